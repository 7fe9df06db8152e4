package leaderboard

import (
	"math"
	"strings"
	"testing"
)

// The predicted probability against the Bradley-Terry closed form with
// ratings r = (score − 1000)/400 on the log10 scale: σ(ln10·(r_a − r_b)).
func TestWinProbability(t *testing.T) {
	for _, c := range [][2]float64{{1000, 1000}, {1400, 1000}, {1000, 1400}, {1117.695946, 808.4}, {2999, -2999}, {1, 3000}} {
		ra, rb := (c[0]-1000)/400, (c[1]-1000)/400
		want := 1 / (1 + math.Exp(-math.Ln10*(ra-rb)))
		got := WinProbability(c[0], c[1])
		if math.Abs(got-want) > 1e-12 {
			t.Errorf("WinProbability(%v, %v) = %v, want %v", c[0], c[1], got, want)
		}
		if s := got + WinProbability(c[1], c[0]); math.Abs(s-1) > 1e-12 {
			t.Errorf("P(a beats b) + P(b beats a) = %v", s)
		}
	}
	if p := WinProbability(1400, 1000); math.Abs(p-10.0/11) > 1e-15 {
		t.Errorf("400 points are 10:1 odds: %v", p)
	}
}

// PairList spells out every pair in entry order, with the counts of
// head_to_head where the pair met and nothing where it did not.
func TestPairList(t *testing.T) {
	r := ranked(false, e(1, "a", 1200, 1150, 1250), e(2, "b", 1100, 1050, 1150), e(3, "c", 1000, 950, 1050), e(4, "d", 1000, 900, 1100))
	r.HeadToHead = []Meeting{{0, 1, 5, 2, 1}, {0, 3, 1, 0, 0}, {2, 3, 3, 3, 4}}
	got := r.PairList()
	order := [][2]string{{"a", "b"}, {"a", "c"}, {"a", "d"}, {"b", "c"}, {"b", "d"}, {"c", "d"}}
	if len(got) != len(order) {
		t.Fatalf("%d pairs, want %d", len(got), len(order))
	}
	for k, p := range got {
		if p.ModelA != order[k][0] || p.ModelB != order[k][1] {
			t.Errorf("pair %d is %s-%s, want %v", k, p.ModelA, p.ModelB, order[k])
		}
		if p.Battles != p.WinsA+p.WinsB+p.Ties {
			t.Errorf("%s-%s: %d battles, %d+%d+%d", p.ModelA, p.ModelB, p.Battles, p.WinsA, p.WinsB, p.Ties)
		}
	}
	if got[0].Battles != 8 || got[0].WinsA != 5 || got[2].WinsA != 1 || got[5].Ties != 4 || got[1].Battles != 0 || got[4].Battles != 0 {
		t.Errorf("counts misplaced: %+v", got)
	}
	if got[0].PredictedA != 0.640065 || got[5].PredictedA != 0.5 {
		t.Errorf("predicted %v and %v, want 0.640065 (100 points) and 0.5", got[0].PredictedA, got[5].PredictedA)
	}
}

func TestValidateUncertainty(t *testing.T) {
	base := func() *Record {
		r := ranked(false, e(1, "a", 1200, 1150, 1250), e(2, "b", 1100, 1050, 1150), e(3, "c", 1000, 950, 1050))
		r.Battles, r.Params.Confidence = 15, 0.95
		for i, v := range []int64{10, 10, 10} {
			r.Entries[i].Votes = v
			r.Entries[i].RankBest, r.Entries[i].RankWorst = i+1, i+1
			r.Entries[i].Tier = i + 1
		}
		r.HeadToHead = []Meeting{{0, 1, 3, 1, 1}, {0, 2, 5, 0, 0}, {1, 2, 4, 1, 0}}
		return r
	}
	for _, tc := range []struct {
		name   string
		edit   func(*Record)
		errHas string
	}{
		{"valid", func(*Record) {}, ""},
		{"without the new fields", func(r *Record) {
			r.Params.Confidence, r.HeadToHead = 0, nil
			for i := range r.Entries {
				r.Entries[i].RankBest, r.Entries[i].RankWorst, r.Entries[i].Tier = 0, 0, 0
			}
		}, ""},
		{"confidence", func(r *Record) { r.Params.Confidence = 0.9999 }, "confidence 0.9999 out of range"},
		{"confidence NaN", func(r *Record) { r.Params.Confidence = math.NaN() }, "out of range"},
		{"rank range reversed", func(r *Record) { r.Entries[1].RankBest = 3 }, "rank range 3..2"},
		{"rank range beyond", func(r *Record) { r.Entries[2].RankWorst = 4 }, "<= 3"},
		{"first tier", func(r *Record) { r.Entries[0].Tier = 2 }, "want 1 for the first"},
		{"tier decreases", func(r *Record) { r.Entries[2].Tier = 1 }, "tier 1 after tier 2"},
		{"tier skips", func(r *Record) { r.Entries[2].Tier = 4 }, "tier 4 after tier 2"},
		{"tier missing below", func(r *Record) { r.Entries[2].Tier = 0 }, "tier 0 after tier 2"},
		{"pair out of range", func(r *Record) { r.HeadToHead[2][1] = 3 }, "want 0 <= i < j < 3"},
		{"pair reversed", func(r *Record) { r.HeadToHead[0] = Meeting{1, 0, 3, 1, 1} }, "want 0 <= i < j"},
		{"pairs out of order", func(r *Record) { r.HeadToHead[0], r.HeadToHead[1] = r.HeadToHead[1], r.HeadToHead[0] }, "pairs go in order"},
		{"pair twice", func(r *Record) { r.HeadToHead[1] = r.HeadToHead[0] }, "pairs go in order"},
		{"negative count", func(r *Record) { r.HeadToHead[0][4] = -1 }, "count -1"},
		{"empty pair", func(r *Record) { r.HeadToHead[1] = Meeting{0, 2, 0, 0, 0} }, "no battles"},
		{"more than votes", func(r *Record) { r.Models = 4; r.HeadToHead[0][2] = 9 }, "more than its 10 votes"},
		{"all listed, battles missing", func(r *Record) { r.HeadToHead[0][2] = 2 }, "want its 10 votes"},
		{"filtered, fewer is fine", func(r *Record) { r.Models = 4; r.HeadToHead[0][2] = 2 }, ""},
		{"more than the board", func(r *Record) { r.Battles = 14 }, "more than the leaderboard's 14"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := base()
			tc.edit(r)
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
