package style

import (
	"math/bits"
	"math/rand/v2"
	"slices"
	"sync/atomic"

	"github.com/bixarena/arena-snapshots/internal/bootstrap"
	"github.com/bixarena/arena-snapshots/internal/bt"
)

// BootOptions are a bootstrap's rounds, seed and threads, with the seed
// rules of the plain bootstrap: round k draws from its own generator,
// seeded by (Seed, Stream, k), and writes only its own row, so that the
// result does not depend on Threads.
type BootOptions struct {
	Rounds  int
	Seed    uint64
	Stream  uint64 // separates the rounds of different leaderboards
	Threads int    // 0: all cores
	// Progress, when not nil, is called after each round (from any
	// goroutine) with the number of rounds done so far.
	Progress func(done int)
	// Stop, when closed, ends the run before the rounds not yet started;
	// the result is then incomplete and is not to be used.
	Stop <-chan struct{}
}

// Rounds holds every bootstrap round's fit.
type Rounds struct {
	Models, Rounds int
	Ratings        []float64 // Rounds × Models, a row per round
	Beta           []float64 // Rounds × K
	// IllPosed counts the rounds whose resampled battles had no plain
	// maximum likelihood (fitted with the virtual ties); NotConverged
	// those whose fit stopped short (see Result.Converged).
	IllPosed, NotConverged int
}

// Resamplable says whether Bootstrap's rounds cost what p's rows cost: a
// round draws its N battles one by one, so lines whose counts add up to
// far more battles than there are rows (a file of hand-made counts, up to
// 2^40 a line) would make every round as long as N. Beyond 16 battles a
// row on average (and a million battles), callers use the sandwich
// intervals instead, and say so.
func Resamplable(p Problem) bool {
	var n float64
	for i := range p.Rows {
		n += p.Rows[i].W
	}
	return n <= 16*float64(len(p.Rows))+1<<20
}

// Bootstrap refits p on Rounds multinomial resamples of its battles: each
// round draws the battles' counts from Multinomial(N, w/N) over the rows
// (N battles in all; the rows cannot be collapsed into the plain
// bootstrap's cells, since every battle has its own features), exactly, by
// drawing N battles one by one, and refits from fit, the full data's
// optimum, to a step below 1e-7. A round costs O(N + rows·iterations).
func Bootstrap(p Problem, fit Result, o BootOptions) Rounds {
	n := p.Models
	res := Rounds{Models: n, Rounds: o.Rounds, Ratings: make([]float64, o.Rounds*n), Beta: make([]float64, o.Rounds*K)}
	if o.Rounds <= 0 {
		return res
	}
	smp := newSampler(p.Rows)
	start := fit.optimum
	if start == nil {
		start = fit.Theta()
	}
	var done, illPosed, notConverged atomic.Int64
	bootstrap.Parallel(o.Rounds, o.Threads, o.Seed, o.Stream, o.Stop, func() func(int, *rand.PCG) {
		work := new(Work)
		weights := make([]float64, len(p.Rows))
		return func(k int, rng *rand.PCG) {
			smp.draw(rng, weights)
			work.pairs = plainPairs(p, weights, work.pairs)
			wp := bt.WellPosed(bt.Problem{Models: n, Pairs: work.pairs})
			f := Fit(p, Options{Start: start, Weights: weights, Tol: 1e-7, Work: work, WellPosed: &wp, NoReport: true})
			if !f.WellPosed {
				illPosed.Add(1)
			}
			if !f.Converged {
				notConverged.Add(1)
			}
			copy(res.Ratings[k*n:(k+1)*n], f.Ratings)
			copy(res.Beta[k*K:(k+1)*K], f.Beta[:])
			d := done.Add(1)
			if o.Progress != nil {
				o.Progress(int(d))
			}
		}
	})
	res.IllPosed, res.NotConverged = int(illPosed.Load()), int(notConverged.Load())
	return res
}

// RatingInterval returns the lo and hi quantiles (bootstrap.Quantile's
// interpolation) of model i's rating over the rounds.
func (r Rounds) RatingInterval(i int, lo, hi float64) (float64, float64) {
	return r.interval(r.Ratings, r.Models, i, lo, hi)
}

// BetaInterval returns the lo and hi quantiles of coefficient k over the
// rounds.
func (r Rounds) BetaInterval(k int, lo, hi float64) (float64, float64) {
	return r.interval(r.Beta, K, k, lo, hi)
}

func (r Rounds) interval(v []float64, stride, i int, lo, hi float64) (float64, float64) {
	x := make([]float64, r.Rounds)
	for k := range r.Rounds {
		x[k] = v[k*stride+i]
	}
	slices.Sort(x)
	return bootstrap.Quantile(x, lo), bootstrap.Quantile(x, hi)
}

// sampler draws battles uniformly from the rows' N battles, exactly: a
// uniform integer u < N falls in the row r with cum[r] ≤ u < cum[r+1],
// found from a guide table (Chen and Asau, 1974) in constant expected
// time: guide[b] is the row of battle ⌊b·N/g⌋, g = len(guide). One 64-bit
// draw x gives both u = ⌊x·N/2⁶⁴⌋ and its slice b = ⌊x·g/2⁶⁴⌋, and
// ⌊b·N/g⌋ ≤ u, so the search starts at or before u's row. (u is off
// uniform by less than N/2⁶⁴.)
type sampler struct {
	total uint64
	cum   []uint64
	guide []int32
}

func newSampler(rows []Row) *sampler {
	s := &sampler{cum: make([]uint64, len(rows)+1)}
	for r := range rows {
		s.cum[r+1] = s.cum[r] + uint64(rows[r].W)
	}
	s.total = s.cum[len(rows)]
	if s.total == 0 {
		return s
	}
	g := uint64(len(rows))
	s.guide = make([]int32, g)
	r := 0
	for b := range g {
		hi, lo := bits.Mul64(b, s.total)
		q, _ := bits.Div64(hi, lo, g)
		for s.cum[r+1] <= q {
			r++
		}
		s.guide[b] = int32(r)
	}
	return s
}

// draw sets weights to the counts of N battles drawn with replacement.
func (s *sampler) draw(rng *rand.PCG, weights []float64) {
	clear(weights)
	g := uint64(len(s.guide))
	for range s.total {
		x := rng.Uint64()
		u, _ := bits.Mul64(x, s.total)
		b, _ := bits.Mul64(x, g)
		r := s.guide[b]
		for s.cum[r+1] <= u {
			r++
		}
		weights[r]++
	}
}
