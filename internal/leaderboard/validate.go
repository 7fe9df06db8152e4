package leaderboard

import (
	"fmt"
	"math"
	"time"

	"github.com/bixarena/arena-snapshots/internal/names"
)

// Limits a record must respect to be published: the database stores
// scores and bounds as numeric(10,6) (an absolute value below 10^4 once
// rounded to 6 decimals), votes and ranks as integer; slugs follow
// internal/names (leaderboard slugs in varchar(100), model slugs in
// varchar(200), counted in characters).
const (
	MaxAbsNumber = 9999.9999994 // rounds to at most 9999.999999
	MaxInt32     = math.MaxInt32
)

// Validate checks a whole record before anything of it is written and
// returns the first problem found, in words, or nil:
//
//   - a non-empty leaderboard slug, as_of and exported_at empty or RFC 3339
//     times, and a known status; a skipped record
//     needs a reason and is not checked further;
//   - battles and models not negative, at least one entry, no more entries
//     than models;
//   - each entry: a non-empty model slug seen once, votes in 0..2^31-1,
//     finite score and bounds that fit numeric(10,6), ci_lower <= ci_upper;
//   - the rank rule of params.significant (DESIGN §4). Ranking by score:
//     ranks are exactly 1..n in entry order and scores do not increase.
//     Ranking by significance: ranks do not decrease down the list and
//     each rank is 1 + the number of entries whose ci_lower is above this
//     entry's ci_upper. rank counts over every fitted model before the
//     min_votes filter, so when that filter removed models (models >
//     entries) a rank may be larger than the count over the entries, never
//     smaller.
func Validate(r *Record) error {
	if r.Leaderboard == "" {
		return fmt.Errorf("missing leaderboard slug")
	}
	if err := names.Leaderboard(r.Leaderboard); err != nil {
		return fmt.Errorf("leaderboard %q: %v", r.Leaderboard, err)
	}
	if err := validateVariant(r); err != nil {
		return fmt.Errorf("leaderboard %q: %v", r.Leaderboard, err)
	}
	for _, f := range [...]struct{ name, value string }{{"as_of", r.AsOf}, {"exported_at", r.ExportedAt}} {
		if _, err := parseTime(f.value); err != nil {
			return fmt.Errorf("leaderboard %q: %s %q is not an RFC 3339 time", r.Leaderboard, f.name, f.value)
		}
	}
	switch r.Status {
	case Ranked:
	case Skipped:
		if r.Reason == "" {
			return fmt.Errorf("leaderboard %q: skipped without a reason", r.Leaderboard)
		}
		return nil
	case "":
		return fmt.Errorf("leaderboard %q: missing status", r.Leaderboard)
	default:
		return fmt.Errorf("leaderboard %q: status %q is not one of %q, %q", r.Leaderboard, r.Status, Ranked, Skipped)
	}
	if err := validateRanked(r); err != nil {
		return fmt.Errorf("leaderboard %q: %v", r.Leaderboard, err)
	}
	return nil
}

func validateRanked(r *Record) error {
	if r.Battles < 0 {
		return fmt.Errorf("battles %d is negative", r.Battles)
	}
	if r.Models < 0 {
		return fmt.Errorf("models %d is negative", r.Models)
	}
	n := len(r.Entries)
	if n == 0 {
		return fmt.Errorf("ranked with no entries")
	}
	if n > r.Models {
		return fmt.Errorf("%d entries but only %d models", n, r.Models)
	}
	seen := make(map[string]int, n)
	for i, e := range r.Entries {
		where := fmt.Sprintf("entry %d", i+1)
		if e.Model == "" {
			return fmt.Errorf("%s: missing model slug", where)
		}
		if err := names.Model(e.Model); err != nil {
			return fmt.Errorf("%s: model %q: %v", where, e.Model, err)
		}
		where = fmt.Sprintf("entry %d (%s)", i+1, e.Model)
		if j, dup := seen[e.Model]; dup {
			return fmt.Errorf("%s: model listed twice (also entry %d)", where, j+1)
		}
		seen[e.Model] = i
		if e.Votes < 0 || e.Votes > MaxInt32 {
			return fmt.Errorf("%s: votes %d out of range 0..%d", where, e.Votes, MaxInt32)
		}
		if e.Rank < 1 || e.Rank > n {
			if !(r.Params.Significant && e.Rank >= 1 && e.Rank <= MaxInt32) {
				return fmt.Errorf("%s: rank %d out of range 1..%d", where, e.Rank, n)
			}
		}
		for _, f := range []struct {
			name string
			v    float64
		}{{"score", e.Score}, {"ci_lower", e.CILower}, {"ci_upper", e.CIUpper}} {
			if math.IsNaN(f.v) || math.IsInf(f.v, 0) {
				return fmt.Errorf("%s: %s is not a finite number", where, f.name)
			}
			if math.Abs(f.v) > MaxAbsNumber {
				return fmt.Errorf("%s: %s %g does not fit numeric(10,6) (absolute value below 10000)", where, f.name, f.v)
			}
		}
		if e.CILower > e.CIUpper {
			return fmt.Errorf("%s: ci_lower %g is above ci_upper %g", where, e.CILower, e.CIUpper)
		}
	}
	if err := validateUncertainty(r); err != nil {
		return err
	}
	if !r.Params.Significant {
		for i, e := range r.Entries {
			if e.Rank != i+1 {
				return fmt.Errorf("entry %d (%s): rank %d, want %d (ranking by score numbers entries 1..n in order)", i+1, e.Model, e.Rank, i+1)
			}
			if i > 0 && e.Score > r.Entries[i-1].Score {
				return fmt.Errorf("entry %d (%s): score %g is above the previous entry's %g (entries go best first)", i+1, e.Model, e.Score, r.Entries[i-1].Score)
			}
		}
		return nil
	}
	filtered := r.Models > n
	for i, e := range r.Entries {
		if i > 0 && e.Rank < r.Entries[i-1].Rank {
			return fmt.Errorf("entry %d (%s): rank %d is below the previous entry's %d (entries go best first)", i+1, e.Model, e.Rank, r.Entries[i-1].Rank)
		}
		want := 1
		for _, o := range r.Entries {
			if o.CILower > e.CIUpper {
				want++
			}
		}
		if e.Rank != want && !(filtered && e.Rank > want) {
			return fmt.Errorf("entry %d (%s): rank %d, want %d (1 + the number of entries whose ci_lower is above this ci_upper)", i+1, e.Model, e.Rank, want)
		}
	}
	return nil
}

// validateUncertainty checks the confidence, rank ranges, tiers and
// head_to_head of a ranked record, those that it has.
func validateUncertainty(r *Record) error {
	if c := r.Params.Confidence; c != 0 && !(c >= 0.5 && c <= 0.999) {
		return fmt.Errorf("params.confidence %g out of range 0.5..0.999", c)
	}
	n := len(r.Entries)
	for i, e := range r.Entries {
		where := fmt.Sprintf("entry %d (%s)", i+1, e.Model)
		if e.RankBest != 0 || e.RankWorst != 0 {
			if e.RankBest < 1 || e.RankBest > e.RankWorst || e.RankWorst > n {
				return fmt.Errorf("%s: rank range %d..%d: want 1 <= rank_best <= rank_worst <= %d", where, e.RankBest, e.RankWorst, n)
			}
		}
		prev := 0
		if i > 0 {
			prev = r.Entries[i-1].Tier
		}
		switch {
		case e.Tier == 0 && prev == 0:
		case i == 0 && e.Tier != 1:
			return fmt.Errorf("%s: tier %d, want 1 for the first entry", where, e.Tier)
		case i > 0 && (e.Tier < prev || e.Tier > prev+1):
			return fmt.Errorf("%s: tier %d after tier %d: tiers go 1, 2, ... down the list", where, e.Tier, prev)
		}
	}
	return validateHeadToHead(r)
}

// AsOfTime returns the record's as_of (see Record), and false when it has
// none. Call it on a validated record.
func (r *Record) AsOfTime() (time.Time, bool) {
	t, err := parseTime(r.AsOf)
	return t, err == nil && !t.IsZero()
}

// parseTime reads an RFC 3339 time; "" is the zero time.
func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return time.Parse(time.RFC3339Nano, s)
}
