package leaderboard

import (
	"math"
	"strings"
	"testing"
)

func ranked(significant bool, entries ...Entry) *Record {
	return &Record{Leaderboard: "overall", Status: Ranked, Battles: 100, Models: len(entries),
		Params: Params{Significant: significant}, Entries: entries}
}

func e(rank int, model string, score, lo, hi float64) Entry {
	return Entry{Rank: rank, Model: model, Score: score, CILower: lo, CIUpper: hi, Votes: 10}
}

func TestValidate(t *testing.T) {
	okScore := func() *Record {
		return ranked(false, e(1, "a", 1100, 1050, 1150), e(2, "b", 1000, 950, 1050), e(3, "c", 1000, 900, 1100))
	}
	okSig := func() *Record {
		return ranked(true, e(1, "a", 1200, 1150, 1250), e(1, "b", 1100, 1000, 1160), e(3, "c", 900, 850, 950))
	}
	for _, tc := range []struct {
		name   string
		rec    func() *Record
		edit   func(*Record)
		errHas string // "" = valid
	}{
		{"by score", okScore, nil, ""},
		{"significant", okSig, nil, ""},
		{"skipped", func() *Record {
			return &Record{Leaderboard: "x", Status: Skipped, Reason: ReasonNoEntries}
		}, nil, ""},
		{"skipped without reason", func() *Record { return &Record{Leaderboard: "x", Status: Skipped} }, nil, "without a reason"},
		{"no slug", okScore, func(r *Record) { r.Leaderboard = "" }, "missing leaderboard"},
		{"slug with space", okScore, func(r *Record) { r.Leaderboard = "a b" }, "lower-case letters"},
		{"as_of", okScore, func(r *Record) { r.AsOf, r.ExportedAt = "2026-01-01T00:00:00Z", "2026-01-02T03:04:05.123456Z" }, ""},
		{"as_of not a time", okScore, func(r *Record) { r.AsOf = "2026-01-01" }, `as_of "2026-01-01" is not an RFC 3339 time`},
		{"exported_at not a time", okScore, func(r *Record) { r.ExportedAt = "now" }, `exported_at "now" is not an RFC 3339 time`},
		{"unknown status", okScore, func(r *Record) { r.Status = "done" }, `status "done" is not one of`},
		{"missing status", okScore, func(r *Record) { r.Status = "" }, "missing status"},
		{"no entries", okScore, func(r *Record) { r.Entries = nil }, "no entries"},
		{"more entries than models", okScore, func(r *Record) { r.Models = 2 }, "3 entries but only 2 models"},
		{"negative battles", okScore, func(r *Record) { r.Battles = -1 }, "negative"},
		{"empty model", okScore, func(r *Record) { r.Entries[1].Model = "" }, "entry 2: missing model"},
		{"duplicate model", okScore, func(r *Record) { r.Entries[2].Model = "a" }, "listed twice (also entry 1)"},
		{"negative votes", okScore, func(r *Record) { r.Entries[0].Votes = -1 }, "votes -1"},
		{"votes beyond int32", okScore, func(r *Record) { r.Entries[0].Votes = math.MaxInt32 + 1 }, "votes"},
		{"NaN", okScore, func(r *Record) { r.Entries[0].CILower = math.NaN() }, "ci_lower is not a finite"},
		{"Inf", okScore, func(r *Record) { r.Entries[0].CIUpper = math.Inf(1) }, "ci_upper is not a finite"},
		{"too large", okScore, func(r *Record) { r.Entries[0].CIUpper = 10000 }, "numeric(10,6)"},
		{"rounds to 10000", okScore, func(r *Record) { r.Entries[0].CIUpper = 9999.9999996 }, "numeric(10,6)"},
		{"at the limit", okScore, func(r *Record) { r.Entries[0].CIUpper = 9999.999999; r.Entries[2].CILower = -9999.999999 }, ""},
		{"bounds swapped", okScore, func(r *Record) { r.Entries[1].CILower = 1060 }, "ci_lower 1060 is above ci_upper"},
		{"rank gap", okScore, func(r *Record) { r.Entries[2].Rank = 4 }, "rank 4 out of range"},
		{"tied rank by score", okScore, func(r *Record) { r.Entries[2].Rank = 2 }, "rank 2, want 3"},
		{"score increases", okScore, func(r *Record) { r.Entries[2].Score = 1001 }, "above the previous entry"},
		{"rank zero", okScore, func(r *Record) { r.Entries[0].Rank = 0 }, "rank 0 out of range"},
		{"significant wrong rank", okSig, func(r *Record) { r.Entries[2].Rank = 2 }, "rank 2, want 3"},
		{"significant rank decreases", okSig, func(r *Record) {
			r.Entries[1], r.Entries[2] = r.Entries[2], r.Entries[1]
		}, "below the previous entry"},
		{"significant filtered allows larger", okSig, func(r *Record) { r.Models = 5; r.Entries[2].Rank = 4 }, ""},
		{"significant filtered not smaller", okSig, func(r *Record) { r.Models = 5; r.Entries[2].Rank = 2 }, "rank 2, want 3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.rec()
			if tc.edit != nil {
				tc.edit(r)
			}
			err := Validate(r)
			switch {
			case tc.errHas == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.errHas != "" && (err == nil || !strings.Contains(err.Error(), tc.errHas)):
				t.Fatalf("error %v, want one containing %q", err, tc.errHas)
			}
		})
	}
}
