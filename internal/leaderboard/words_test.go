package leaderboard

import "testing"

// TestSkipReasonNoEntries: the words for a board without entries say the
// most votes a model had when rank knows it, and claim nothing about votes
// for a record read back from the stream, which does not carry them.
func TestSkipReasonNoEntries(t *testing.T) {
	p := Params{MinVotes: 10}
	base := Record{Status: Skipped, Reason: ReasonNoEntries, Battles: 38, Models: 20, Params: p}
	for _, tc := range []struct {
		name    string
		dropped []Dropped
		want    string
	}{
		{"votes known", []Dropped{{Model: "a", Votes: 8, Reason: DroppedVotes}, {Model: "b", Votes: 3, Reason: DroppedVotes}},
			"no model has 10 votes (--min-votes 10; the most: 8) in 38 battles between 20 models"},
		{"scores", []Dropped{{Model: "a", Votes: 12, Reason: DroppedScore}},
			"no model has a finite score (38 battles, 20 models)"},
		{"read back", nil,
			"no model has both 10 votes (--min-votes 10) and a finite score, in 38 battles between 20 models"},
	} {
		r := base
		r.Dropped = tc.dropped
		if got := SkipReason(r); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
