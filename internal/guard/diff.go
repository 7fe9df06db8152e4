package guard

import (
	"math"
	"sort"

	"github.com/bixarena/arena-snapshots/internal/leaderboard"
)

// Diff says what publishing a record changes for the leaderboard's
// readers, against its current public snapshot: the models that enter or
// leave, and those whose rank or score moved beyond what their intervals
// allow. Moves within the intervals are only counted: they are the noise
// of a day's new votes.
type Diff struct {
	Leaderboard string `json:"leaderboard"`
	// Previous is the snapshot compared with; nil (null) when the board
	// has no public snapshot before: then every entry is added.
	Previous *Ref     `json:"previous"`
	Battles  Count    `json:"battles"`
	Entries  Count    `json:"entries"`
	Added    []Listed `json:"added"`   // on the new board only, best first
	Removed  []Listed `json:"removed"` // on the previous board only, best first
	Moved    []Move   `json:"moved"`   // on both, moved beyond their intervals, by new rank
	Within   int      `json:"within"`  // on both, rank or score changed within their intervals
}

// Count is a quantity before and after; Before is -1 when unknown and 0
// when there is no previous snapshot.
type Count struct {
	Before int64 `json:"before"`
	After  int64 `json:"after"`
}

// Listed is an entry that enters or leaves the board.
type Listed struct {
	Model   string  `json:"model"`
	Rank    int     `json:"rank"`
	Score   float64 `json:"score"`
	CILower float64 `json:"ci_lower"`
	CIUpper float64 `json:"ci_upper"`
	Votes   int64   `json:"votes"`
}

// Move is a model on both boards whose rank or score moved beyond its
// intervals.
type Move struct {
	Model      string `json:"model"`
	RankBefore int    `json:"rank_before"`
	RankAfter  int    `json:"rank_after"`
	// RankRange is the range of ranks the model's score interval allowed
	// on the previous board (see PlausibleRanks); RankBeyond says the new
	// rank lies outside it.
	RankRange   [2]int  `json:"rank_range"`
	RankBeyond  bool    `json:"rank_beyond"`
	ScoreBefore float64 `json:"score_before"`
	ScoreAfter  float64 `json:"score_after"`
	// HalfWidth is the larger of the model's two interval half-widths;
	// ScoreBeyond says the score moved by more than it.
	HalfWidth   float64 `json:"half_width"`
	ScoreBeyond bool    `json:"score_beyond"`
	Votes       int64   `json:"votes"` // on the new board
}

// Compare returns the diff of a ranked record against prev (nil: no
// previous public snapshot). A move is beyond its intervals when the new
// rank lies outside the ranks the model's score interval allowed on the
// previous board (PlausibleRanks), or when the score moved by more than
// the larger of its two interval half-widths (the guard's score_jump rule
// with K = 1).
func Compare(prev *Snapshot, rec *leaderboard.Record) *Diff {
	d := &Diff{Leaderboard: rec.Leaderboard, Previous: RefOf(prev),
		Battles: Count{After: rec.Battles}, Entries: Count{After: int64(len(rec.Entries))},
		Added: []Listed{}, Removed: []Listed{}, Moved: []Move{}}
	var old []leaderboard.Entry
	if prev != nil {
		old = prev.Entries
		d.Battles.Before = prev.Battles
		d.Entries.Before = int64(len(old))
	}
	before := make(map[string]int, len(old))
	for i, e := range old {
		before[e.Model] = i
	}
	after := make(map[string]bool, len(rec.Entries))
	ranges := PlausibleRanks(old)
	for _, e := range rec.Entries {
		after[e.Model] = true
		i, ok := before[e.Model]
		if !ok {
			d.Added = append(d.Added, listed(e))
			continue
		}
		o := old[i]
		m := Move{Model: e.Model, RankBefore: o.Rank, RankAfter: e.Rank, RankRange: ranges[i],
			ScoreBefore: o.Score, ScoreAfter: e.Score, HalfWidth: max(halfWidth(o), halfWidth(e)), Votes: e.Votes}
		m.RankBeyond = e.Rank < m.RankRange[0] || e.Rank > m.RankRange[1]
		m.ScoreBeyond = math.Abs(e.Score-o.Score) > m.HalfWidth
		switch {
		case m.RankBeyond || m.ScoreBeyond:
			d.Moved = append(d.Moved, m)
		case o.Rank != e.Rank || o.Score != e.Score:
			d.Within++
		}
	}
	for _, e := range old {
		if !after[e.Model] {
			d.Removed = append(d.Removed, listed(e))
		}
	}
	return d
}

// Changed reports whether d shows anything beyond the intervals: models
// added or removed, or moves beyond their intervals.
func (d *Diff) Changed() bool {
	return len(d.Added)+len(d.Removed)+len(d.Moved) > 0
}

func listed(e leaderboard.Entry) Listed {
	return Listed{Model: e.Model, Rank: e.Rank, Score: e.Score, CILower: e.CILower, CIUpper: e.CIUpper, Votes: e.Votes}
}

// PlausibleRanks returns, for each entry of a board, the range of ranks
// its score interval allows among the board's entries: from 1 + the
// number of entries whose interval lies wholly above it, to the number of
// entries minus those whose interval lies wholly below it. (The first is
// the rank by significance, DESIGN §4.)
func PlausibleRanks(entries []leaderboard.Entry) [][2]int {
	n := len(entries)
	out := make([][2]int, n)
	// Sorted bounds turn the counts into binary searches.
	lows := make([]float64, n)
	highs := make([]float64, n)
	for i, e := range entries {
		lows[i], highs[i] = e.CILower, e.CIUpper
	}
	sort.Float64s(lows)
	sort.Float64s(highs)
	for i, e := range entries {
		// above: entries whose lower bound is above e's upper bound.
		above := n - sort.Search(n, func(k int) bool { return lows[k] > e.CIUpper })
		// below: entries whose upper bound is below e's lower bound.
		below := sort.Search(n, func(k int) bool { return highs[k] >= e.CILower })
		out[i] = [2]int{1 + above, n - below}
	}
	return out
}
