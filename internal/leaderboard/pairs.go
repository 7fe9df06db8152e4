package leaderboard

import (
	"fmt"
	"math"
)

// Meeting is what two listed models did against each other, as the
// record's head_to_head carries it, compactly:
//
//	[i, j, wins_i, wins_j, ties]
//
// with i < j indexes into the record's entries (so model i is listed
// above model j), and the battles i won, j won and tied (both kinds of
// tie). Only pairs that met appear, ordered by i then j. A model's
// battles against models that are not listed (too few votes) are not
// counted, so the battles of a row add up to at most each model's votes.
type Meeting [5]int64

// Pair indexes and counts of a Meeting.
func (m Meeting) I() int         { return int(m[0]) }
func (m Meeting) J() int         { return int(m[1]) }
func (m Meeting) WinsI() int64   { return m[2] }
func (m Meeting) WinsJ() int64   { return m[3] }
func (m Meeting) Ties() int64    { return m[4] }
func (m Meeting) Battles() int64 { return m[2] + m[3] + m[4] }

// Pair is one pair of listed models, spelled out: model A is listed above
// model B. The counts are those of the Meeting (omitted, i.e. 0, when the
// two never met); PredictedA is the probability that A beats B by the
// Bradley-Terry model, a tie counting half, from the two scores
// (WinProbability), rounded to 6 decimals.
type Pair struct {
	ModelA     string  `json:"model_a"`
	ModelB     string  `json:"model_b"`
	Battles    int64   `json:"battles,omitempty"`
	WinsA      int64   `json:"wins_a,omitempty"`
	WinsB      int64   `json:"wins_b,omitempty"`
	Ties       int64   `json:"ties,omitempty"`
	PredictedA float64 `json:"predicted_a"`
}

// WinProbability is the Bradley-Terry probability that a model of score a
// beats one of score b, a tie counting half (DESIGN §4: scores are
// 400·r + 1000 with ratings on the log10 scale):
//
//	P = 1 / (1 + 10^((b − a)/400))
func WinProbability(a, b float64) float64 {
	return 1 / (1 + math.Pow(10, (b-a)/400))
}

// PairList spells out every pair of the record's entries, i < j in entry
// order (n(n−1)/2 pairs), with the counts of its head_to_head and the
// predicted probabilities from its scores.
func (r *Record) PairList() []Pair {
	n := len(r.Entries)
	out := make([]Pair, 0, n*(n-1)/2)
	for i := range n {
		for j := i + 1; j < n; j++ {
			a, b := &r.Entries[i], &r.Entries[j]
			p := WinProbability(a.Score, b.Score)
			out = append(out, Pair{ModelA: a.Model, ModelB: b.Model, PredictedA: math.Round(p*1e6) / 1e6})
		}
	}
	for _, m := range r.HeadToHead {
		i, j := m.I(), m.J()
		// Pair (i, j) sits after the n−1 + … + n−i pairs of the rows above.
		p := &out[i*(2*n-i-1)/2+(j-i-1)]
		p.Battles, p.WinsA, p.WinsB, p.Ties = m.Battles(), m.WinsI(), m.WinsJ(), m.Ties()
	}
	return out
}

// validateHeadToHead checks a ranked record's head_to_head against its
// entries: indexes in range with i < j, pairs in order and once, counts
// not negative with at least one battle, and no model with more battles
// in it than its votes, nor all of them more than the record's battles.
// With every model listed (models = entries) the counts must account for
// every battle: each model's battles equal its votes. A record without
// head_to_head (written before it existed, or by hand) passes.
func validateHeadToHead(r *Record) error {
	if len(r.HeadToHead) == 0 {
		return nil
	}
	n := len(r.Entries)
	battles := make([]int64, n)
	var total int64
	for k, m := range r.HeadToHead {
		where := fmt.Sprintf("head_to_head %d", k+1)
		i, j := m[0], m[1]
		if i < 0 || j <= i || j >= int64(n) {
			return fmt.Errorf("%s: models %d and %d: want 0 <= i < j < %d (indexes into the entries)", where, i, j, n)
		}
		if k > 0 {
			pi, pj := r.HeadToHead[k-1][0], r.HeadToHead[k-1][1]
			if i < pi || (i == pi && j <= pj) {
				return fmt.Errorf("%s: pair (%d, %d) after (%d, %d): pairs go in order, once each", where, i, j, pi, pj)
			}
		}
		for _, c := range m[2:] {
			if c < 0 || c > MaxInt32 {
				return fmt.Errorf("%s: count %d out of range 0..%d", where, c, MaxInt32)
			}
		}
		b := m.Battles()
		if b == 0 {
			return fmt.Errorf("%s: pair (%d, %d) with no battles (only pairs that met are listed)", where, i, j)
		}
		battles[i] += b
		battles[j] += b
		total += b
	}
	for i, e := range r.Entries {
		switch {
		case battles[i] > e.Votes:
			return fmt.Errorf("head_to_head: %s has %d battles against listed models, more than its %d votes", e.Model, battles[i], e.Votes)
		case r.Models == n && battles[i] != e.Votes:
			return fmt.Errorf("head_to_head: %s has %d battles, want its %d votes (every model is listed)", e.Model, battles[i], e.Votes)
		}
	}
	if total > r.Battles {
		return fmt.Errorf("head_to_head: %d battles, more than the leaderboard's %d", total, r.Battles)
	}
	return nil
}
