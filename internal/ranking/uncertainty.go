package ranking

import (
	"cmp"
	"math"
	"slices"

	"github.com/bixarena/arena-snapshots/internal/bootstrap"
	"github.com/bixarena/arena-snapshots/internal/leaderboard"
)

// DefaultConfidence is the level of the intervals when none is given.
const DefaultConfidence = 0.95

// Tails returns the quantiles (1−c)/2 and (1+c)/2 that bound the central
// interval of level c, rounded to 12 decimals so that a level written in
// decimal gives the tails written in decimal (0.95 gives exactly the
// float64 nearest 0.025 and 0.975, as the intervals always used).
func Tails(c float64) (lo, hi float64) {
	if c == 0 {
		c = DefaultConfidence
	}
	r := func(x float64) float64 { return math.Round(x*1e12) / 1e12 }
	return r((1 - c) / 2), r((1 + c) / 2)
}

// RankIntervals sets each listed entry's RankBest and RankWorst from the
// bootstrap rounds: in every round, each listed model's rank among the
// listed models by that round's rating (1 + the number of listed models
// rated strictly higher), then the lo and hi quantiles of its ranks over
// the rounds as integers, by the order statistics below and above
// (numpy's "lower" and "higher" methods): rank_best is the
// ⌊lo·(B−1)⌋-th and rank_worst the ⌈hi·(B−1)⌉-th smallest of its B ranks
// (0-based). The range is then widened, when needed, to hold the model's
// place by its point score (1 + the number of listed models scored
// higher), so that a model's range always holds the place the board shows
// it in. model[k] is entry k's index in the rounds.
//
// Cost: one sort of the listed models per round, O(B·n log n), and an
// n×n histogram of ranks.
func RankIntervals(entries []leaderboard.Entry, model []int, boot bootstrap.Result, lo, hi float64) {
	n := len(entries)
	if n == 0 {
		return
	}
	hist := make([]int32, n*n) // hist[k*n + r-1]: rounds where entry k had rank r
	order := make([]int, n)
	ratings := make([]float64, n)
	for round := range boot.Rounds {
		row := boot.Ratings[round*boot.Models : (round+1)*boot.Models]
		for k := range n {
			order[k] = k
			ratings[k] = row[model[k]]
		}
		// Best first; NaN (no rating) last.
		slices.SortFunc(order, func(x, y int) int { return cmp.Compare(ratings[y], ratings[x]) })
		rank := 1
		for p, k := range order {
			if p > 0 && ratings[k] != ratings[order[p-1]] {
				rank = p + 1
			}
			hist[k*n+rank-1]++
		}
	}
	loAt := int(math.Floor(lo * float64(boot.Rounds-1)))
	hiAt := int(math.Ceil(hi * float64(boot.Rounds-1)))
	for k := range entries {
		e := &entries[k]
		best, worst, seen := 0, 0, 0
		for r, c := range hist[k*n : (k+1)*n] {
			seen += int(c)
			if best == 0 && seen > loAt {
				best = r + 1
			}
			if seen > hiAt {
				worst = r + 1
				break
			}
		}
		place := 1
		for _, o := range entries {
			if o.Score > e.Score {
				place++
			}
		}
		if boot.Rounds == 0 {
			best, worst = place, place
		}
		e.RankBest, e.RankWorst = min(best, place), max(worst, place)
	}
}

// RankRangesFromIntervals sets each entry's RankBest and RankWorst from
// the score intervals alone, for scores without bootstrap rounds (the
// style-controlled variant's sandwich intervals): the best rank is 1 + the
// number of entries whose interval lies wholly above (ci_lower above this
// ci_upper), the worst is the number of entries minus those whose interval
// lies wholly below; then widened, like RankIntervals, to hold the place
// the score gives the model. The ranges are wider than the rounds would
// give: two intervals that overlap can still be told apart.
func RankRangesFromIntervals(entries []leaderboard.Entry) {
	for k := range entries {
		e := &entries[k]
		best, worst, place := 1, len(entries), 1
		for _, o := range entries {
			switch {
			case o.CILower > e.CIUpper:
				best++
			case o.CIUpper < e.CILower:
				worst--
			}
			if o.Score > e.Score {
				place++
			}
		}
		e.RankBest, e.RankWorst = min(best, place), max(worst, place)
	}
}

// Tiers sets each entry's Tier, walking down the board: the first entry
// leads tier 1; an entry stays in the current tier while its score
// interval overlaps the interval of the tier's leader (its ci_upper is not
// below the leader's ci_lower), else it opens the next tier and leads it.
// Tiers therefore start at 1 and never decrease down the board; a tier
// holds the models that cannot be told apart from its leader at the
// board's confidence. Two models of equal strength fall in different tiers
// only when their own intervals do not overlap, or when the leader's
// interval ends between them; on boards whose models are well measured
// (intervals narrow against the gaps between unequal models) that is rare
// (TestTiersKeepEqualModelsTogether).
func Tiers(entries []leaderboard.Entry) {
	tier, leader := 0, -1
	for k := range entries {
		if leader < 0 || entries[k].CIUpper < entries[leader].CILower {
			tier, leader = tier+1, k
		}
		entries[k].Tier = tier
	}
}

// headToHead counts, for every pair of listed entries that met, the
// battles each won and the ties, from the leaderboard's cells (DESIGN §4:
// identical battles with their counts). model[k] is entry k's index in
// d.models.
func headToHead(entries []leaderboard.Entry, model []int, d *data) []leaderboard.Meeting {
	entry := make([]int, len(d.models)) // model index → entry index, or −1
	for i := range entry {
		entry[i] = -1
	}
	for k, m := range model {
		entry[m] = k
	}
	// Per pair of the problem: wins of its model I, of its model J, ties.
	counts := make([][3]int64, len(d.problem.Pairs))
	for _, c := range d.cells {
		switch c.Y {
		case 1:
			counts[c.Pair][0] += c.Count
		case 0:
			counts[c.Pair][1] += c.Count
		default:
			counts[c.Pair][2] += c.Count
		}
	}
	var out []leaderboard.Meeting
	for p, pair := range d.problem.Pairs {
		i, j := entry[pair.I], entry[pair.J]
		if i < 0 || j < 0 {
			continue
		}
		wi, wj, t := counts[p][0], counts[p][1], counts[p][2]
		if i > j {
			i, j, wi, wj = j, i, wj, wi
		}
		out = append(out, leaderboard.Meeting{int64(i), int64(j), wi, wj, t})
	}
	slices.SortFunc(out, func(x, y leaderboard.Meeting) int {
		return cmp.Or(cmp.Compare(x[0], y[0]), cmp.Compare(x[1], y[1]))
	})
	return out
}

// uncertainty completes a ranked record of f's battles: rank ranges from
// boot's rounds (from the record's intervals when boot is nil), tiers, the
// head-to-head counts and, when asked, the spelled-out pairs.
func (f *fitted) uncertainty(rec *leaderboard.Record, o Options, boot *bootstrap.Result) {
	model := make([]int, len(rec.Entries))
	for k, e := range rec.Entries {
		i, found := slices.BinarySearch(f.d.models, e.Model) // d.models is sorted
		if !found {
			panic("ranking: entry " + e.Model + " is not a model of the leaderboard's battles")
		}
		model[k] = i
	}
	if boot != nil {
		lo, hi := Tails(o.Confidence)
		RankIntervals(rec.Entries, model, *boot, lo, hi)
	} else {
		RankRangesFromIntervals(rec.Entries)
	}
	Tiers(rec.Entries)
	rec.HeadToHead = headToHead(rec.Entries, model, &f.d)
	if o.Pairs {
		rec.Pairs = rec.PairList()
	}
}
