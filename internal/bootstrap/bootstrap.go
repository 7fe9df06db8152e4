// Package bootstrap owns the confidence intervals of DESIGN §4: rounds that
// redraw the cell counts from Multinomial(N, w/N), refit, and keep every
// model's rating; then the 2.5% and 97.5% quantiles of each model's
// ratings. Rounds are reproducible from a seed and identical for any
// number of threads: round k draws from its own generator, seeded by
// (seed, stream, k), and writes only its own row.
package bootstrap

import (
	"math/bits"
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
	chord, _ := bt.NewChord(p, start)
	if !bt.WellPosed(p) {
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
				rng := rand.NewPCG(o.Seed, o.Stream^uint64(k)*0x9e3779b97f4a7c15)
				resample(rng, draws, total, q.Pairs)
				var fit bt.Result
				if chord != nil {
					fit = chord.Refit(q, 1e-7, work)
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

// plan is how a round draws the cell counts from Multinomial(total,
// Count/total). A cell of many battles gets Binomial(left, Count/mass) of
// the battles left, mass being the battles of that cell and of the cells
// after it (the probabilities are the same every round). The cells of
// fewer than fewBattles battles come last and share what is left one
// battle at a time, from an alias table: a binomial draw costs as much as
// several battles drawn from the table, and a sparse leaderboard (a small
// category) has hardly any other cells.
type plan struct {
	steps []step
	few   []Cell   // the cells of few battles
	table []column // alias table over few, weighted by Count
	mass  uint64   // battles of the cells of few battles
}

type step struct {
	Cell
	b   binom
	all bool // the last cell, with no cells of few battles: it takes what is left
}

// column is one of the alias table's len(table) columns, each worth mass
// positions: its first keep positions are cell own, the others cell other.
type column struct {
	keep       uint64
	own, other int32
}

// fewBattles is the count under which a cell is drawn battle by battle
// (measured: 8 is about where a battle drawn from the table, times the
// cell's battles, costs what a binomial draw costs).
const fewBattles = 8

func newPlan(cells []Cell) *plan {
	pl := new(plan)
	var mass int64
	for _, c := range cells {
		mass += c.Count
		if c.Count < fewBattles {
			pl.few = append(pl.few, c)
		}
	}
	for _, c := range cells {
		if c.Count < fewBattles {
			continue
		}
		st := step{Cell: c, all: c.Count >= mass}
		if !st.all {
			st.b = newBinom(float64(c.Count) / float64(mass))
		}
		pl.steps = append(pl.steps, st)
		mass -= c.Count
	}
	pl.mass, pl.table = aliasTable(pl.few)
	return pl
}

// aliasTable builds Walker's alias table over the cells, weighted by
// their counts, with exact integer arithmetic (Vose's method): cell j
// brings Count_j·n positions to n columns of mass positions each.
func aliasTable(cells []Cell) (uint64, []column) {
	n := uint64(len(cells))
	var mass uint64
	for _, c := range cells {
		mass += uint64(c.Count)
	}
	table := make([]column, n)
	left := make([]uint64, n) // positions still to place
	var under, over []int32
	for j, c := range cells {
		left[j] = uint64(c.Count) * n
		table[j] = column{keep: mass, own: int32(j), other: int32(j)}
		switch {
		case left[j] < mass:
			under = append(under, int32(j))
		case left[j] > mass:
			over = append(over, int32(j))
		}
	}
	// Fill each under-full column with positions of an over-full cell.
	for len(under) > 0 && len(over) > 0 {
		u, o := under[len(under)-1], over[len(over)-1]
		under = under[:len(under)-1]
		table[u].keep, table[u].other = left[u], o
		left[o] -= mass - left[u]
		switch {
		case left[o] < mass:
			over = over[:len(over)-1]
			under = append(under, o)
		case left[o] == mass:
			over = over[:len(over)-1]
		}
	}
	return mass, table
}

// resample draws the cell counts of one round and sums them into the
// pairs' N and W.
func resample(rng *rand.PCG, pl *plan, total int64, pairs []bt.Pair) {
	for i := range pairs {
		pairs[i].N, pairs[i].W = 0, 0
	}
	left := total
	for i := range pl.steps {
		st := &pl.steps[i]
		if left == 0 {
			return
		}
		x := left
		if !st.all {
			x = st.b.draw(rng, left)
		}
		left -= x
		if x > 0 {
			pairs[st.Pair].N += float64(x)
			pairs[st.Pair].W += float64(x) * st.Y
		}
	}
	// One 64-bit draw per battle gives its column (the high part of
	// draw·columns) and its position in the column (the rest times mass):
	// each cell's probability is off by less than columns·mass/2⁶⁴, under
	// 10⁻⁹ for any plausible leaderboard.
	n := uint64(len(pl.table))
	for ; left > 0; left-- {
		col, rest := bits.Mul64(rng.Uint64(), n)
		pos, _ := bits.Mul64(rest, pl.mass)
		t := &pl.table[col]
		k := t.own
		if pos >= t.keep {
			k = t.other
		}
		c := &pl.few[k]
		pairs[c.Pair].N++
		pairs[c.Pair].W += c.Y
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
