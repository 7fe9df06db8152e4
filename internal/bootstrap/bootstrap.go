// Package bootstrap owns the confidence intervals of DESIGN §4: rounds that
// redraw the cell counts from Multinomial(N, w/N), refit, and keep every
// model's rating; then, at confidence c, the (1−c)/2 and (1+c)/2
// quantiles of each model's ratings (2.5% and 97.5% at 95%). Rounds are
// reproducible from a seed and identical for any number of threads:
// round k draws from its own generator, seeded by (seed, stream, k), and
// writes only its own row.
//
// On sparse data many resamples have no maximum likelihood (a model that
// won its few battles wins all of its resampled ones), and a refit of such
// a round is a different estimator (the fit with virtual ties) from the
// point score (the maximum likelihood): the percentile interval of such
// rounds can miss its own point. Past a share of such rounds, the rounds
// are one-step rounds instead (see Method).
package bootstrap

import (
	"github.com/bixarena/arena-snapshots/internal/exitcode"
	"math"
	"math/bits"
	"math/rand/v2"
	"runtime"
	"slices"
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
	// Level is the confidence level the intervals will be read at, in
	// (0, 1); 0 means 0.95. It sets the share of ill-posed rounds past
	// which the rounds are one-step rounds: (1 − Level)/2 (see Method).
	Level float64
	// Progress, when not nil, is called after each round (from any
	// goroutine) with the number of rounds done so far: Rounds calls in
	// all, those of Run's first pass when a second pass by the other
	// method follows (see Run).
	Progress func(done int)
	// Stop, when closed, ends the run before the rounds not yet started:
	// their ratings are left zero.
	Stop <-chan struct{}
}

// Method says what a round's ratings are.
type Method string

const (
	// Refit rounds are the fit of the resample, by bt.Fit's rule: the
	// maximum likelihood, or the fit with virtual ties when the resample
	// has none (DESIGN §4). Their quantiles are the percentile bootstrap
	// interval.
	Refit Method = "bootstrap"
	// OneStep rounds are the full fit plus one Newton step for the
	// resample's counts, with the full fit's Hessian (bt.OneStep: the
	// estimating-function bootstrap of Hu and Kalbfleisch, 2000). They
	// exist for every resample, are centred on the point score, and their
	// covariance is the sandwich covariance of the fit, as in LMArena's
	// intervals; they differ from refits only by terms that vanish as the
	// battles grow.
	OneStep Method = "one_step_bootstrap"
)

// Result holds every round's ratings.
type Result struct {
	Models int
	Rounds int
	// Ratings is Rounds × Models, a row per round, centred: what the
	// rounds of Method give for every model. Quantiles of a model's
	// ratings are its interval (Interval); any statistic of the ratings
	// (a model's rank in each round, say) has its bootstrap distribution
	// over the rows, with either method. One-step rows are not refits:
	// they are the fit's sampling distribution to first order (the
	// sandwich's), centred on the point scores, which is what makes a
	// statistic of them consistent with the point on sparse boards, where
	// refits of ill-posed resamples would pull the rows of the models
	// that caused them towards 1000.
	Ratings []float64
	// IllPosed counts the rounds whose resampled data had no maximum
	// likelihood: refitted with bt.VirtualTies by Refit, taken as they
	// are by OneStep.
	IllPosed int
	Method   Method
}

// Run performs the rounds for the battles in cells over the pairs of p,
// the full data (the cells summed), from start, the full data's fit by
// bt.Fit. The rounds refit (Refit) unless more than (1 − Level)/2 of them
// are ill posed, in which case they are one-step rounds (OneStep): with
// more than that share of rounds not fitted by the point score's
// estimator, every bound of a percentile interval may come from those
// rounds. A problem without maximum likelihood has only ill-posed
// resamples, so its rounds are one-step rounds.
func Run(p bt.Problem, cells []Cell, start []float64, o Options) Result {
	level := o.Level
	if level == 0 {
		level = 0.95
	}
	share := (1 - level) / 2
	draws := newPlan(cells, tableBudget)
	if !bt.WellPosed(p) {
		return run(p, draws, start, OneStep, o, true)
	}
	// Start with the method the rounds likely need. The other method runs
	// (without progress reports) only when the count of ill-posed rounds
	// says so: the method is the count's, whichever ran first, and a
	// wrong guess costs the pass it made.
	first := Refit
	if oneStepLikely(singleFailures(p, cells), share, o.Rounds) {
		first = OneStep
	}
	res := run(p, draws, start, first, o, true)
	want := Refit
	if float64(res.IllPosed) > share*float64(o.Rounds) {
		want = OneStep
	}
	if want != first {
		res = run(p, draws, start, want, o, false)
	}
	return res
}

// oneStepLikely reports whether the rounds should start as one-step
// rounds, when a share u of the resamples is expected to be ill posed
// (singleFailures): whether more than share of the rounds may well be ill
// posed, with a probability above 1/9 by the normal approximation of the
// binomial count, u taken a quarter higher than estimated. A wrong guess
// costs the pass it made: a refit pass costs up to eight one-step passes
// (1000 models, 80,000 pairs met), so refits go first only when they
// will most likely stand; u is a quarter below the share of ill-posed
// rounds on such a board, and within a tenth on boards of 300 models.
func oneStepLikely(u, share float64, rounds int) bool {
	if u <= 0 {
		return false
	}
	r, u := float64(rounds), min(1.25*u, 1)
	limit := math.Floor(share*r) + 0.5 // more than share·rounds: beyond this
	sd := math.Sqrt(r * u * (1 - u))
	if sd == 0 {
		return r*u > limit
	}
	return 0.5*math.Erfc((limit-r*u)/sd/math.Sqrt2) > 1.0/9
}

// singleFailures estimates the share of resamples in which some model
// has no loss or no win (ties count as both), by the sum over models of
// (1 − L/N)^N + (1 − W/N)^N, L and W its battles lost or tied and won or
// tied, N all battles. Groups of models that only won or only lost
// against the others are left out: where they are likely, single models
// mostly are too.
func singleFailures(p bt.Problem, cells []Cell) float64 {
	won, lost := make([]float64, p.Models), make([]float64, p.Models)
	var total float64
	for _, c := range cells {
		q, n := p.Pairs[c.Pair], float64(c.Count)
		total += n
		if c.Y > 0 {
			won[q.I] += n
			lost[q.J] += n
		}
		if c.Y < 1 {
			won[q.J] += n
			lost[q.I] += n
		}
	}
	u := 0.0
	for i := range won {
		u += math.Exp(total*math.Log1p(-won[i]/total)) + math.Exp(total*math.Log1p(-lost[i]/total))
	}
	return u
}

// run performs the rounds by method m, reporting progress when told to.
func run(p bt.Problem, draws *plan, start []float64, m Method, o Options, progress bool) Result {
	n := p.Models
	res := Result{Models: n, Rounds: o.Rounds, Ratings: make([]float64, o.Rounds*n), Method: m}
	var chord *bt.Chord
	var step *bt.OneStep
	if m == OneStep {
		prior := 0.0
		if !bt.WellPosed(p) {
			prior = bt.VirtualTies
		}
		var ok bool
		if step, ok = bt.NewOneStep(p, bt.Result{Ratings: start, Prior: prior}); !ok {
			// Not for a start that is bt.Fit's; should it happen, the
			// rounds refit, and say so.
			step, res.Method = nil, Refit
		}
	}
	if step == nil {
		// Rounds refit from the full data's Hessian (see bt.Chord).
		chord, _ = bt.NewChord(p, start)
	}
	var done, illPosed atomic.Int64
	Parallel(o.Rounds, o.Threads, o.Seed, o.Stream, o.Stop, func() func(int, *rand.PCG) {
		work := new(bt.Work)
		q := bt.Problem{Models: n, Pairs: slices.Clone(p.Pairs)}
		return func(k int, rng *rand.PCG) {
			resample(rng, draws, q.Pairs)
			var ratings []float64
			switch {
			case step != nil:
				if !step.WellPosed(q) {
					illPosed.Add(1)
				}
				ratings = step.Round(q, work)
			default:
				var fit bt.Result
				if chord != nil {
					fit = chord.Refit(q, 1e-7, work)
				} else {
					fit = bt.Fit(q, bt.Options{Start: start, Tol: 1e-7, Work: work, NoReport: true})
				}
				if !fit.WellPosed {
					illPosed.Add(1)
				}
				ratings = fit.Ratings
			}
			copy(res.Ratings[k*n:(k+1)*n], ratings)
			d := done.Add(1)
			if progress && o.Progress != nil {
				o.Progress(int(d))
			}
		}
	})
	res.IllPosed = int(illPosed.Load())
	return res
}

// Parallel runs rounds 0 to rounds-1 on threads goroutines (GOMAXPROCS
// when threads ≤ 0; at most one a round), handing each the next round left; it stops before
// the next round once stop is closed. Round k draws from its own stream,
// PCG(seed, stream^k·φ), so that its result does not depend on the
// goroutine that runs it. newWorker is called once in each goroutine and
// returns its round function (with scratch space of its own). A panic in a
// round is raised again in the caller's goroutine once the others have
// stopped (exitcode.Group): the tool then ends as an internal failure.
func Parallel(rounds, threads int, seed, stream uint64, stop <-chan struct{}, newWorker func() func(k int, rng *rand.PCG)) {
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	threads = max(1, min(threads, rounds))
	var next atomic.Int64
	var g exitcode.Group
	for range threads {
		g.Go(func() {
			round := newWorker()
			for {
				k := int(next.Add(1) - 1)
				if k >= rounds {
					return
				}
				select {
				case <-stop:
					return
				case <-g.Panicked():
					return
				default:
				}
				round(k, rand.NewPCG(seed, stream^uint64(k)*0x9e3779b97f4a7c15))
			}
		})
	}
	g.Wait()
}

// plan is how a round draws the cell counts from Multinomial(total,
// Count/total), exactly. Each cell first gets an independent
// Poisson(mean·Count/total) count, mean a little under total: given their
// sum s, such counts are Multinomial(s, Count/total), so the total − s
// battles left, drawn one at a time from an alias table over the cells
// weighted by Count, complete them to Multinomial(total, Count/total). A
// round whose Poisson counts sum past total is drawn again (conditioning
// on s leaves the counts given s as they are). Unlike conditional
// binomials, no draw waits for the one before, and each draw's constants
// are computed once for all rounds, once for all the cells of one count:
// on a sparse board, where most cells hold one battle or a few, a few
// tables serve every cell and stay in the processor's cache.
type plan struct {
	total int64
	cells []Cell
	kind  []int32   // per cell, its count's draw in draws
	draws []poisson // per distinct count
	poissonTables
	alias []column // alias table over cells, weighted by Count
	mass  uint64   // its total weight: total
}

// column is one of the alias table's len(alias) columns, each worth mass
// positions: its first keep positions are cell own, the others cell other.
type column struct {
	keep       uint64
	own, other int32
}

// slack sets the Poisson stage's mean to total − slack·√total: a round is
// drawn again with probability about P(Z > slack), and about slack·√total
// battles are left to the alias table (measured: from 0.5 to 2.5 the time
// hardly changes).
const slack = 1.5

// tableBudget bounds the entries of a plan's Poisson tables (12 bytes
// each, 1.5 MB in all), so that they stay in a core's cache: the counts
// of the largest means, where PTRS costs least, draw by PTRS (measured: a
// budget of 2²⁰ made a million battles among 30 models with no small cells
// half again slower); the counts of means under ptrsFrom get tables
// whatever the budget.
const tableBudget = 1 << 17

func newPlan(cells []Cell, budget int) *plan {
	pl := &plan{cells: cells, kind: make([]int32, len(cells))}
	for _, c := range cells {
		pl.total += c.Count
	}
	mean := max(0, float64(pl.total)-slack*math.Sqrt(float64(pl.total)))
	counts := make([]int64, 0, len(cells))
	for _, c := range cells {
		counts = append(counts, c.Count)
	}
	slices.Sort(counts)
	counts = slices.Compact(counts)
	pl.draws = make([]poisson, len(counts))
	for d, n := range counts {
		pl.draws[d] = newPTRS(mean * float64(n) / float64(pl.total))
	}
	for j, c := range cells {
		d, _ := slices.BinarySearch(counts, c.Count)
		pl.kind[j] = int32(d)
	}
	// Tables for the smallest means first, while they fit.
	n, entries := 0, 0
	for d := range pl.draws {
		if mu := pl.draws[d].mu; mu > 0 {
			// A table holds more than 2·√mu entries (±1 standard
			// deviation): a mean too large for what is left of the
			// budget stops here without walking its span, whose cost
			// grows with √mu (a count of 2⁴⁰ would walk 2·10⁷ steps).
			if mu >= ptrsFrom && 2*math.Sqrt(mu) > float64(budget-entries) {
				break
			}
			_, _, size := span(mu)
			if entries+size > budget && mu >= ptrsFrom {
				break
			}
			entries += size
		}
		n++
	}
	pl.cdf, pl.guide = make([]float64, 0, entries), make([]int32, 0, entries)
	for d := range pl.draws[:n] {
		if pl.draws[d].mu > 0 {
			pl.table(&pl.draws[d])
		}
	}
	pl.mass, pl.alias = aliasTable(cells)
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
func resample(rng *rand.PCG, pl *plan, pairs []bt.Pair) {
	var left int64
	for drawn := false; !drawn; {
		for i := range pairs {
			pairs[i].N, pairs[i].W = 0, 0
		}
		left, drawn = pl.total, true
		for j, d := range pl.kind {
			// Zero counts, a third of a sparse board's, are added as
			// the others: a branch on them would be guessed wrong
			// about as often (measured: a round takes half again as
			// long).
			x := pl.draw(&pl.draws[d], rng)
			if left -= x; left < 0 {
				drawn = false
				break
			}
			c := &pl.cells[j]
			pairs[c.Pair].N += float64(x)
			pairs[c.Pair].W += float64(x) * c.Y
		}
	}
	if left > directTopUp(len(pl.cells)) {
		left = topUp(rng, pl, pairs, left)
	}
	// One 64-bit draw per battle gives its column (the high part of
	// draw·columns) and its position in the column (the rest times mass):
	// each cell's probability is off by less than columns·mass/2⁶⁴, under
	// 10⁻⁸ for 10⁷ battles in 15,000 cells (100 models).
	n := uint64(len(pl.alias))
	for ; left > 0; left-- {
		col, rest := bits.Mul64(rng.Uint64(), n)
		pos, _ := bits.Mul64(rest, pl.mass)
		t := &pl.alias[col]
		k := t.own
		if pos >= t.keep {
			k = t.other
		}
		c := &pl.cells[k]
		pairs[c.Pair].N++
		pairs[c.Pair].W += c.Y
	}
}

// directTopUp is the most battles left after the Poisson stage that are
// drawn one at a time. With real counts (10⁷ battles in 1,300 cells leave
// about 4,700) the limit is never reached and rounds are drawn as above;
// a stream of huge counts (2⁴⁰ battles leave about 1.6·10⁶ per round)
// takes further Poisson passes instead, so that the cost of a round never
// grows with the counts.
func directTopUp(cells int) int64 { return 8*int64(cells) + 1024 }

// topUp draws Multinomial(left, Count/total) by passes like the first:
// independent Poisson counts of mean left − slack·√left, drawn again when
// their sum passes left; each pass leaves about slack·√left battles, until
// few enough are left for the alias table. Given its sum, each pass is
// multinomial, and independent multinomials of the same probabilities
// add up to one, so the round stays exact. It returns the battles left.
func topUp(rng *rand.PCG, pl *plan, pairs []bt.Pair, left int64) int64 {
	x := make([]int64, len(pl.cells))
	for left > directTopUp(len(pl.cells)) {
		mean := float64(left) - slack*math.Sqrt(float64(left))
		var sum int64
		for sum = -1; sum < 0 || sum > left; {
			sum = 0
			for j, c := range pl.cells {
				x[j] = poissonDraw(mean*float64(c.Count)/float64(pl.total), rng)
				sum += x[j]
			}
		}
		for j, c := range pl.cells {
			pairs[c.Pair].N += float64(x[j])
			pairs[c.Pair].W += float64(x[j]) * c.Y
		}
		left -= sum
	}
	return left
}

// poissonDraw draws Poisson(mu) without tables: PTRS from ptrsFrom on,
// inversion below.
func poissonDraw(mu float64, rng *rand.PCG) int64 {
	if mu >= ptrsFrom {
		p := newPTRS(mu)
		return p.ptrs(rng)
	}
	if mu <= 0 {
		return 0
	}
	u := uniform(rng)
	p := math.Exp(-mu)
	f, k := p, int64(0)
	for u > f && k < 1000 {
		k++
		p *= mu / float64(k)
		f += p
	}
	return k
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
