// Package bootstrap owns the confidence intervals of DESIGN §4: rounds that
// redraw the cell counts from Multinomial(N, w/N), refit, and keep every
// model's rating; then the 2.5% and 97.5% quantiles of each model's
// ratings. Rounds are reproducible from a seed and identical for any
// number of threads: round k draws from its own generator, seeded by
// (seed, stream, k), and writes only its own row.
package bootstrap

import (
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/bixarena/arena-snapshots/internal/bt"
)

// Cell is Count identical battles of pair Pair (an index into the
// problem's pairs) that the pair's model I won (Y = 1), lost (0) or tied
// (0.5).
type Cell struct {
	Pair  int32
	Y     float64
	Count int64
}

// Options of a bootstrap.
type Options struct {
	Rounds  int
	Seed    uint64
	Stream  uint64 // separates the rounds of different leaderboards
	Threads int    // 0: all cores
	// Progress, when not nil, is called after each round (from any
	// goroutine) with the number of rounds done so far.
	Progress func(done int)
}

// Result holds every round's ratings.
type Result struct {
	Models  int
	Rounds  int
	Ratings []float64 // Rounds × Models, row per round
	// IllPosed counts the rounds whose resampled data had no maximum
	// likelihood and were fitted with bt.VirtualTies.
	IllPosed int
}

// Run performs the rounds for the battles in cells over the pairs of p,
// the full data (the cells summed), warm-starting every fit from start,
// the full data's ratings.
func Run(p bt.Problem, cells []Cell, start []float64, o Options) Result {
	n := p.Models
	res := Result{Models: n, Rounds: o.Rounds, Ratings: make([]float64, o.Rounds*n)}
	var total int64
	for _, c := range cells {
		total += c.Count
	}
	draws := newPlan(cells)
	threads := o.Threads
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	threads = max(1, min(threads, o.Rounds))
	// Rounds refit by the chord method from the full data's Hessian when
	// the full data is well posed (start is then its maximum likelihood).
	full := bt.Problem{Models: n, Pairs: slices.Clone(p.Pairs)}
	chord, _ := bt.NewChord(full, start)
	if !bt.WellPosed(full) {
		chord = nil
	}
	var next, done, illPosed atomic.Int64
	var wg sync.WaitGroup
	for range threads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			work := new(bt.Work)
			q := bt.Problem{Models: n, Pairs: slices.Clone(p.Pairs)}
			for {
				k := int(next.Add(1) - 1)
				if k >= o.Rounds {
					return
				}
				rng := rand.New(rand.NewPCG(o.Seed, o.Stream^uint64(k)*0x9e3779b97f4a7c15))
				resample(rng, draws, total, q.Pairs)
				var fit bt.Result
				if chord != nil {
					fit = chord.Refit(q, start, 1e-7, work)
				} else {
					fit = bt.Fit(q, bt.Options{Start: start, Tol: 1e-7, Work: work, NoReport: true})
				}
				if !fit.WellPosed {
					illPosed.Add(1)
				}
				copy(res.Ratings[k*n:(k+1)*n], fit.Ratings)
				d := done.Add(1)
				if o.Progress != nil {
					o.Progress(int(d))
				}
			}
		}()
	}
	wg.Wait()
	res.IllPosed = int(illPosed.Load())
	return res
}

// plan is how a round draws each cell's count: cell k gets
// Binomial(left, Count_k/mass_k) of the battles left, mass_k being the
// battles of cells k and after; the probabilities are the same every round.
type plan struct {
	Cell
	b   binom
	all bool // the last cell: it takes what is left
}

func newPlan(cells []Cell) []plan {
	var mass int64
	for _, c := range cells {
		mass += c.Count
	}
	out := make([]plan, len(cells))
	for i, c := range cells {
		out[i] = plan{Cell: c, all: c.Count >= mass}
		if !out[i].all {
			out[i].b = newBinom(float64(c.Count) / float64(mass))
		}
		mass -= c.Count
	}
	return out
}

// resample draws the cell counts of one round from Multinomial(total,
// count/total), by successive conditional binomials, and sums them into
// the pairs' N and W.
func resample(rng *rand.Rand, cells []plan, total int64, pairs []bt.Pair) {
	for i := range pairs {
		pairs[i].N, pairs[i].W = 0, 0
	}
	left := total
	for i := range cells {
		c := &cells[i]
		if left == 0 {
			break
		}
		x := left
		if !c.all {
			x = c.b.draw(rng, left)
		}
		left -= x
		if x > 0 {
			pairs[c.Pair].N += float64(x)
			pairs[c.Pair].W += float64(x) * c.Y
		}
	}
}

// Interval returns the lo and hi quantiles
// (linear interpolation between order statistics, as numpy's default) of
// model i's ratings over the rounds.
func (r Result) Interval(i int, lo, hi float64) (float64, float64) {
	v := make([]float64, r.Rounds)
	for k := range r.Rounds {
		v[k] = r.Ratings[k*r.Models+i]
	}
	slices.Sort(v)
	return Quantile(v, lo), Quantile(v, hi)
}

// Quantile returns the q-quantile of sorted values with linear
// interpolation: position q·(len−1).
func Quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	pos := q * float64(len(sorted)-1)
	i := int(pos)
	if i >= len(sorted)-1 {
		return sorted[len(sorted)-1]
	}
	f := pos - float64(i)
	return sorted[i] + f*(sorted[i+1]-sorted[i])
}
