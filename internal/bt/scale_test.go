package bt

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// Boards without maximum likelihood whose counts are scaled by 1 to 1e12:
// the fit with virtual ties then weighs one virtual tie per model against
// counts of up to 1e13 a model, and its Hessian spans as many orders.

// separated300 is 300 models and 2000 battle lines drawn at random, each
// of 4 or 5 (times scale) battles: models 0 to 9 lose every line against
// the others (between two of them, the second named wins), the others win,
// lose or tie at random. Some of the ten then win only against others of
// the ten: groups that sit, each, about log10 of their battles below the
// ones they lose to.
func separated300(scale float64) Problem {
	rng := rand.New(rand.NewPCG(3, 3))
	type key struct{ i, j int32 }
	at := map[key]int{}
	p := Problem{Models: 300}
	for range 2000 {
		a, b := rng.IntN(300), rng.IntN(299)
		if b >= a {
			b++
		}
		y := [...]float64{1, 0, 0.5}[rng.IntN(3)]
		switch {
		case a < 10:
			y = 0
		case b < 10:
			y = 1
		}
		i, j := int32(a), int32(b)
		if i > j {
			i, j, y = j, i, 1-y
		}
		k, ok := at[key{i, j}]
		if !ok {
			k = len(p.Pairs)
			at[key{i, j}] = k
			p.Pairs = append(p.Pairs, Pair{I: i, J: j})
		}
		n := scale * float64(4+rng.IntN(2))
		p.Pairs[k].N += n
		p.Pairs[k].W += n * y
	}
	slices.SortFunc(p.Pairs, func(x, y Pair) int { return cmp.Or(cmp.Compare(x.I, y.I), cmp.Compare(x.J, y.J)) })
	return p
}

// cycleWinless is six models in a cycle (each beats the next 70% of
// scale battles) and a seventh that lost all of its 1..6 × scale battles
// against them.
func cycleWinless(scale float64) Problem {
	p := Problem{Models: 7}
	for i := range int32(6) {
		j := (i + 1) % 6
		if i < j {
			p.Pairs = append(p.Pairs, Pair{I: i, J: j, N: scale, W: 0.7 * scale})
		} else {
			p.Pairs = append(p.Pairs, Pair{I: j, J: i, N: scale, W: 0.3 * scale})
		}
	}
	for i := range int32(6) {
		n := scale * float64(1+i)
		p.Pairs = append(p.Pairs, Pair{I: i, J: 6, N: n, W: n})
	}
	slices.SortFunc(p.Pairs, func(x, y Pair) int { return cmp.Or(cmp.Compare(x.I, y.I), cmp.Compare(x.J, y.J)) })
	return p
}

// battleTotals returns each model's battles plus the virtual ties: the
// sum of the sizes (over α) of the terms of its gradient.
func battleTotals(p Problem, prior float64) []float64 {
	t := make([]float64, p.Models)
	for i := range t {
		t[i] = prior
	}
	for _, q := range p.Pairs {
		t[q.I] += q.N
		t[q.J] += q.N
	}
	return t
}

// exactGradient is the gradient of the regularised objective at r, each
// pair's term by its own logistic function and each model's sum
// compensated (Neumaier), so that its error is that of the terms alone.
func exactGradient(p Problem, prior float64, r []float64) []float64 {
	n := p.Models
	sum, comp := make([]float64, n), make([]float64, n)
	add := func(i int, x float64) { AddCompensated(&sum[i], &comp[i], x) }
	for _, q := range p.Pairs {
		d := Alpha * (r[q.I] - r[q.J])
		// N·σ(d) − W = (N−W)·σ(d) − W·σ(−d): both terms of one sign.
		t := Alpha * ((q.N-q.W)*sigmoid(d) - q.W*sigmoid(-d))
		add(int(q.I), t)
		add(int(q.J), -t)
	}
	for i, v := range r {
		add(i, Alpha*prior*(sigmoid(Alpha*v)-0.5))
	}
	for i := range sum {
		sum[i] += comp[i]
	}
	return sum
}

// referenceFit is the optimum of the regularised objective by a dense
// Newton's method apart from Fit's: the n×n Hessian pair by pair, the
// gradient of exactGradient, steps cut to 1 rating unit at most (the
// objective is convex: a cut Newton step from above a far optimum moves
// towards it), until the steps stop shrinking below 1e-3 or fall under
// 1e-13. Ratings are not centred.
func referenceFit(t *testing.T, p Problem, prior float64) []float64 {
	t.Helper()
	n := p.Models
	r := make([]float64, n)
	h, l := make([]float64, n*n), make([]float64, n*n)
	prev := math.Inf(1)
	for it := 0; it < 1000; it++ {
		g := exactGradient(p, prior, r)
		clear(h)
		for _, q := range p.Pairs {
			s := sigmoid(Alpha * (r[q.I] - r[q.J]))
			c := Alpha * Alpha * q.N * s * (1 - s)
			i, j := int(q.I), int(q.J)
			h[i*n+i] += c
			h[j*n+j] += c
			h[i*n+j] -= c
			h[j*n+i] -= c
		}
		for i, v := range r {
			s := sigmoid(Alpha * v)
			h[i*n+i] += Alpha * Alpha * prior * s * (1 - s)
		}
		if !cholesky(h, l, n) {
			t.Fatal("reference: Hessian not positive definite")
		}
		for i := range g {
			g[i] = -g[i]
		}
		cholSolve(l, n, g)
		size := 0.0
		for _, s := range g {
			size = max(size, math.Abs(s))
		}
		cut := min(1, 1/size)
		for i := range r {
			r[i] += cut * g[i]
		}
		if size < 1e-13 || size < 1e-3 && size > prev/2 {
			return r
		}
		prev = size
	}
	t.Fatal("reference: no convergence in 1000 steps")
	return nil
}

// maxFitSteps bounds the iterations (MM sweeps and Newton steps) of the
// fits of illPosedScales, at every scale: from 9 to 36 measured, as
// groups of models that won only among themselves each lie about log10 of
// their battles below the others, a distance Newton's method covers by
// about 1/α a step.
const maxFitSteps = 50

var illPosedScales = []float64{1, 1e3, 1e6, 1e9, 1e12}

// On boards without maximum likelihood, with counts from 1 to 1e12 a pair,
// the fit ends converged: at the optimum of its own objective (the
// virtual ties included) as float64 knows it, within a bounded number of
// iterations. The ratings are not those of another scale (the virtual
// ties weigh less against more battles) but a dense Newton's method's of
// the same objective, to the rounding that the counts imply: a gradient
// of α·T_i battles a model is known to about 2⁻⁵²·α·T_i, and the ratings
// that the virtual ties alone hold, with a curvature of about α²·prior,
// to about that over α²: 1e-12 rating units plus 1e-15 per battle of the
// largest total T (4.5 units of rounding of T over a curvature of 1;
// measured: 0.2 to 0.4 of it at 1e9 and 1e12 a pair). The gradient at
// the fit is within 16 units of rounding of T.
func TestIllPosedFitAcrossScales(t *testing.T) {
	for _, shape := range []struct {
		name string
		p    func(float64) Problem
	}{{"separated300", separated300}, {"cycle+winless", cycleWinless}} {
		for _, scale := range illPosedScales {
			t.Run(fmt.Sprintf("%s/%g", shape.name, scale), func(t *testing.T) {
				p := shape.p(scale)
				if WellPosed(p) {
					t.Fatal("the board should have no maximum likelihood")
				}
				res := Fit(p, Options{})
				top := slices.Max(battleTotals(p, VirtualTies))
				if res.Iterations > maxFitSteps {
					t.Errorf("%d iterations, more than %d", res.Iterations, maxFitSteps)
				}
				if lim := 16 * 0x1p-52 * Alpha * top; !(res.MaxGradient <= lim) {
					t.Errorf("max gradient %g, above %g (16 units of rounding of %g battles)", res.MaxGradient, lim, top)
				}
				want := referenceFit(t, p, VirtualTies)
				centre(want)
				lim := 1e-12 + 1e-15*top
				d := 0.0
				for i := range want {
					d = max(d, math.Abs(res.Ratings[i]-want[i]))
				}
				if !(d <= lim) {
					t.Errorf("ratings %g from the dense reference, above %g", d, lim)
				}
				t.Logf("%d iterations, max gradient %.3g, %.3g rating units from the reference", res.Iterations, res.MaxGradient, d)
			})
		}
	}
}

// The one-step rounds of a board without maximum likelihood are the
// dense rounds of their definition at every scale of its counts: within
// 1e-5 of their distance from the fit (sparse rounds solve to a relative
// residual of oneStepForcing) plus the rounding of the fit's test.
func TestOneStepAcrossScales(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	for _, scale := range illPosedScales {
		p := separated300(scale)
		fit := Fit(p, Options{})
		s, ok := NewOneStep(p, fit)
		if !ok || s.ic == nil {
			t.Fatalf("scale %g: ok %v, sparse %v", scale, ok, s.ic != nil)
		}
		top := slices.Max(battleTotals(p, VirtualTies))
		w := new(Work)
		for range 3 {
			q := Problem{Models: p.Models, Pairs: slices.Clone(p.Pairs)}
			for k := range q.Pairs {
				// A resample's counts: within a few standard deviations.
				f := 1 + 3*rng.NormFloat64()/math.Sqrt(q.Pairs[k].N)
				q.Pairs[k].N *= f
				q.Pairs[k].W *= f
			}
			want := oneStepRef(p, q, fit)
			got := s.Round(q, w)
			d, moved := 0.0, 0.0
			for i := range want {
				d = max(d, math.Abs(got[i]-want[i]))
				moved = max(moved, math.Abs(want[i]-fit.Ratings[i]))
			}
			if lim := 1e-5*moved + 1e-12 + 1e-15*top; !(d <= lim) {
				t.Errorf("scale %g: a round %g rating units from the dense one, above %g", scale, d, lim)
			}
		}
	}
}
