package ranking

import (
	"math"
	"testing"

	"github.com/bixarena/arena-snapshots/internal/bootstrap"
	"github.com/bixarena/arena-snapshots/internal/leaderboard"
	"github.com/bixarena/arena-snapshots/internal/synth"
)

// plausibleWidth is the width of a model's plausible range: from
// 400·log10(2v+1) points below its weakest opponent's score to as much
// above its strongest's, v its votes; the scores at which its v battles
// would be expected to end in all but half a battle lost, or won. On a
// board fitted with virtual ties (prior > 0) the phantom of score 1000 is
// one more opponent, its ties more votes.
func plausibleWidth(o synth.Options, scores map[string]float64, prior float64) map[string]float64 {
	lo, hi, votes := map[string]float64{}, map[string]float64{}, map[string]float64{}
	for _, c := range synth.Cells(o) {
		a, b := synth.ModelName(c.A), synth.ModelName(c.B)
		for _, m := range [][2]string{{a, b}, {b, a}} {
			if _, ok := lo[m[0]]; !ok {
				lo[m[0]], hi[m[0]] = math.Inf(1), math.Inf(-1)
			}
			lo[m[0]] = min(lo[m[0]], scores[m[1]])
			hi[m[0]] = max(hi[m[0]], scores[m[1]])
			votes[m[0]] += float64(c.Count)
		}
	}
	width := map[string]float64{}
	for m := range lo {
		if prior > 0 {
			lo[m], hi[m], votes[m] = min(lo[m], 1000), max(hi[m], 1000), votes[m]+prior
		}
		width[m] = hi[m] - lo[m] + 800*math.Log10(2*votes[m]+1)
	}
	return width
}

// On sparse boards, most of whose resamples have no maximum likelihood,
// and on dense ones: every listed score lies inside its own interval, and
// no interval is wider than the model's plausible range; the record names
// the interval method, the percentile bootstrap where it holds.
func TestIntervalsHoldTheirScores(t *testing.T) {
	for name, tc := range map[string]struct {
		o      synth.Options
		method bootstrap.Method
	}{
		"dense":    {synth.Options{Battles: 30_000, Models: 12, Ties: 0.1, Seed: 2}, bootstrap.Refit},
		"sparse":   {synth.Options{Battles: 12_000, Models: 150, Ties: 0.1, Seed: 7, PairExponent: 0.7, ModelSpread: 0.8}, bootstrap.OneStep},
		"league":   {synth.Options{Battles: 25_000, Models: 200, Ties: 0.2, Seed: 2, PairExponent: 0.3, Groups: 5, CrossGroup: 0.005, Spread: 0.8, ModelSpread: 1.0}, bootstrap.OneStep},
		"illposed": {synth.Options{Battles: 8_000, Models: 150, Ties: 0.1, Seed: 3, PairExponent: 0.7, ModelSpread: 1.5}, bootstrap.OneStep},
		// International football's shape: 316 teams in regional groups,
		// 49,000 games, 7,100 of 49,770 pairs met, the full data well
		// posed and most resamples not.
		"football": {synth.Options{Battles: 49_000, Models: 316, Ties: 0.2, Seed: 2, PairExponent: 0.3, Groups: 6, CrossGroup: 0.005, Spread: 0.8, ModelSpread: 1.0}, bootstrap.OneStep},
	} {
		o := testOptions
		o.MinVotes, o.MinModels, o.Bootstrap = 0, 4, 60
		r := rankStream(t, gen(t, tc.o), "", o)[0]
		if r.Status != leaderboard.Ranked || r.Fit.Intervals != string(tc.method) {
			t.Fatalf("%s: %s, intervals %q, want %q (%d of %d rounds ill posed)", name, r.Status, r.Fit.Intervals, tc.method, r.Fit.IllPosedRounds, o.Bootstrap)
		}
		if name == "football" && (!r.Fit.WellPosed || r.Fit.IllPosedRounds < o.Bootstrap/2) {
			t.Fatalf("%s: well posed %v, %d of %d rounds ill posed: not the shape the test needs", name, r.Fit.WellPosed, r.Fit.IllPosedRounds, o.Bootstrap)
		}
		scores := map[string]float64{}
		for _, e := range r.Entries {
			scores[e.Model] = e.Score
		}
		width := plausibleWidth(tc.o, scores, r.Fit.Prior)
		for _, e := range r.Entries {
			if !(e.CILower <= e.Score && e.Score <= e.CIUpper) {
				t.Errorf("%s: %s: score %.3f outside its interval [%.3f, %.3f]", name, e.Model, e.Score, e.CILower, e.CIUpper)
			}
			if w := e.CIUpper - e.CILower; !(w <= width[e.Model]) {
				t.Errorf("%s: %s (%d votes): interval %.1f points wide, plausible range %.1f", name, e.Model, e.Votes, w, width[e.Model])
			}
		}
		t.Logf("%s: %d entries, %s, %d of %d rounds ill posed", name, len(r.Entries), r.Fit.Intervals, r.Fit.IllPosedRounds, o.Bootstrap)
	}
}
