package bt

import (
	"math"
	"math/rand/v2"
	"testing"
)

func score(r float64) float64 { return 400*r + 1000 }

// Two models: the maximum likelihood gap is 400·log10(W/(N−W)) points,
// ties counting half a win to each.
func TestFitTwoModelsClosedForm(t *testing.T) {
	for _, tc := range []struct{ n, w float64 }{
		{10, 7}, {100, 50}, {3, 1}, {1000, 999.5}, {7, 3.5 + 1},
	} {
		res := Fit(Problem{Models: 2, Pairs: []Pair{{0, 1, tc.n, tc.w}}}, Options{})
		want := 400 * math.Log10(tc.w/(tc.n-tc.w))
		got := score(res.Ratings[0]) - score(res.Ratings[1])
		if math.Abs(got-want) > 1e-6 || !res.WellPosed {
			t.Errorf("n=%v w=%v: gap %.9f, want %.9f (well posed %v)", tc.n, tc.w, got, want, res.WellPosed)
		}
		if m := (score(res.Ratings[0]) + score(res.Ratings[1])) / 2; math.Abs(m-1000) > 1e-9 {
			t.Errorf("mean score %v, want 1000", m)
		}
	}
}

// Three models: the gradient of the log-likelihood vanishes at the result
// and the mean score is 1000.
func TestFitThreeModelsGradientZero(t *testing.T) {
	p := Problem{Models: 3, Pairs: []Pair{
		{0, 1, 20, 13}, {0, 2, 15, 6.5}, {1, 2, 30, 11},
	}}
	res := Fit(p, Options{})
	for i, g := range Gradient(p, res.Ratings) {
		if math.Abs(g) > 1e-9 {
			t.Errorf("gradient[%d] = %g", i, g)
		}
	}
	if s := res.Ratings[0] + res.Ratings[1] + res.Ratings[2]; math.Abs(s) > 1e-12 {
		t.Errorf("ratings sum to %g, want 0", s)
	}
	if res.MaxGradient > 1e-9 || res.Prior != 0 {
		t.Errorf("max gradient %g, prior %g", res.MaxGradient, res.Prior)
	}
	// A perturbation of any rating lowers the likelihood.
	base := objective(p, 0, res.Ratings)
	for i := range 3 {
		r := append([]float64(nil), res.Ratings...)
		r[i] += 1e-4
		if objective(p, 0, r) <= base {
			t.Errorf("moving model %d does not lower the likelihood", i)
		}
	}
}

func TestFitPairOrderInvariant(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	p := simulate(rng, 12, 4000)
	a := Fit(p, Options{})
	q := Problem{Models: p.Models, Pairs: append([]Pair(nil), p.Pairs...)}
	rng.Shuffle(len(q.Pairs), func(i, j int) { q.Pairs[i], q.Pairs[j] = q.Pairs[j], q.Pairs[i] })
	b := Fit(q, Options{})
	for i := range a.Ratings {
		if math.Abs(score(a.Ratings[i])-score(b.Ratings[i])) > 1e-7 {
			t.Fatalf("model %d: %v vs %v", i, score(a.Ratings[i]), score(b.Ratings[i]))
		}
	}
}

// simulate draws battles between n models of known strengths.
func simulate(rng *rand.Rand, n, battles int) Problem {
	strength := make([]float64, n)
	for i := range strength {
		strength[i] = rng.NormFloat64() * 0.4
	}
	type key struct{ i, j int32 }
	cells := map[key]*Pair{}
	for range battles {
		i, j := rng.IntN(n), rng.IntN(n-1)
		if j >= i {
			j++
		}
		if i > j {
			i, j = j, i
		}
		pr := 1 / (1 + math.Pow(10, strength[j]-strength[i]))
		c := cells[key{int32(i), int32(j)}]
		if c == nil {
			c = &Pair{I: int32(i), J: int32(j)}
			cells[key{int32(i), int32(j)}] = c
		}
		c.N++
		switch u := rng.Float64(); {
		case u < 0.1:
			c.W += 0.5
		case u < 0.1+0.9*pr:
			c.W++
		}
	}
	p := Problem{Models: n}
	for i := range n {
		for j := i + 1; j < n; j++ {
			if c := cells[key{int32(i), int32(j)}]; c != nil {
				p.Pairs = append(p.Pairs, *c)
			}
		}
	}
	return p
}

// The fit recovers simulated strengths: with many battles the error is
// small against the spread of the strengths.
func TestFitRecoversStrengths(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	n := 8
	strength := []float64{-0.6, -0.3, -0.1, 0, 0.05, 0.2, 0.4, 0.7}
	p := Problem{Models: n}
	for i := range n {
		for j := i + 1; j < n; j++ {
			pr := 1 / (1 + math.Pow(10, strength[j]-strength[i]))
			q := Pair{I: int32(i), J: int32(j), N: 20000}
			for range 20000 {
				if rng.Float64() < pr {
					q.W++
				}
			}
			p.Pairs = append(p.Pairs, q)
		}
	}
	res := Fit(p, Options{})
	mean := 0.0
	for _, s := range strength {
		mean += s
	}
	mean /= float64(n)
	for i, s := range strength {
		if d := math.Abs(400 * (res.Ratings[i] - (s - mean))); d > 5 {
			t.Errorf("model %d: off by %.2f points", i, d)
		}
	}
}

func TestFitIllPosedStaysFinite(t *testing.T) {
	for name, p := range map[string]Problem{
		"undefeated": {Models: 3, Pairs: []Pair{{0, 1, 10, 10}, {1, 2, 10, 5}, {0, 2, 4, 4}}},
		"winless":    {Models: 3, Pairs: []Pair{{0, 1, 10, 5}, {0, 2, 6, 6}, {1, 2, 10, 10}}},
		"pieces":     {Models: 4, Pairs: []Pair{{0, 1, 10, 6}, {2, 3, 10, 3}}},
		"dominant":   {Models: 4, Pairs: []Pair{{0, 1, 10, 6}, {2, 3, 10, 3}, {0, 2, 5, 5}, {1, 3, 5, 5}}},
	} {
		if WellPosed(p) {
			t.Errorf("%s: reported well posed", name)
		}
		a := Fit(p, Options{})
		b := Fit(p, Options{})
		if a.Prior != VirtualTies || a.WellPosed {
			t.Errorf("%s: prior %v well posed %v", name, a.Prior, a.WellPosed)
		}
		for i, r := range a.Ratings {
			if math.IsNaN(r) || math.IsInf(r, 0) || math.Abs(r) > 5 || r != b.Ratings[i] {
				t.Errorf("%s: rating %d = %v (again %v)", name, i, r, b.Ratings[i])
			}
		}
		if a.MaxGradient > 1e-8 {
			t.Errorf("%s: regularised fit did not converge: gradient %g", name, a.MaxGradient)
		}
	}
	d := Diagnose(Problem{Models: 5, Pairs: []Pair{{0, 1, 10, 10}, {2, 3, 10, 3}, {3, 4, 2, 1}}})
	if len(d.Undefeated) != 1 || d.Undefeated[0] != 0 || len(d.Winless) != 1 || d.Winless[0] != 1 {
		t.Errorf("diagnosis %+v", d)
	}
	if len(d.Components) != 2 || len(d.Components[0]) != 3 || d.Components[1][0] != 0 {
		t.Errorf("components %+v", d.Components)
	}
}

// On well-posed data the virtual ties are not applied at all, so the fit
// is the maximum likelihood itself; the regularised fit of the same data
// would differ, which shows the test can tell.
func TestWellPosedUnregularised(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	p := simulate(rng, 10, 3000)
	res := Fit(p, Options{})
	if !res.WellPosed || res.Prior != 0 || res.MaxGradient > 1e-8 {
		t.Fatalf("well posed %v prior %v gradient %g", res.WellPosed, res.Prior, res.MaxGradient)
	}
	w := new(Work)
	w.resize(p.Models)
	r := append([]float64(nil), res.Ratings...)
	gradHess(p, VirtualTies, r, w.e, w.g, nil, nil)
	moved := false
	for _, g := range w.g {
		moved = moved || math.Abs(g) > 1e-6
	}
	if !moved {
		t.Fatal("the regularised objective is also stationary here: the test cannot tell")
	}
}

func BenchmarkFit100(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	p := simulate(rng, 100, 1_000_000)
	w := new(Work)
	start := Fit(p, Options{}).Ratings
	b.ResetTimer()
	for range b.N {
		Fit(p, Options{Work: w, Start: start, Tol: 1e-7})
	}
}

// The chord method reaches the same optimum as Newton on resampled data.
func TestChordMatchesNewton(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	for _, battles := range []int{200_000, 3_000} {
		p := simulate(rng, 20, battles)
		full := Fit(p, Options{})
		c, ok := NewChord(p, full.Ratings)
		if !ok {
			t.Fatal("no chord for a well-posed problem")
		}
		w := new(Work)
		for range 20 {
			q := Problem{Models: p.Models, Pairs: append([]Pair(nil), p.Pairs...)}
			for i := range q.Pairs { // perturb the counts as a resample would
				f := 1 + 0.3*rng.NormFloat64()/math.Sqrt(q.Pairs[i].N)
				q.Pairs[i].N *= f
				q.Pairs[i].W = min(q.Pairs[i].N, q.Pairs[i].W*(1+0.3*rng.NormFloat64()/math.Sqrt(q.Pairs[i].N)))
			}
			want := Fit(q, Options{})
			got := c.Refit(q, 1e-9, w)
			for i := range want.Ratings {
				if d := math.Abs(400 * (got.Ratings[i] - want.Ratings[i])); d > 1e-6 {
					t.Fatalf("%d battles: model %d off by %g points after %d chord steps", battles, i, d, got.Iterations)
				}
			}
		}
	}
}

// mmFit is an independent reference: Zermelo's fixed point for the
// Bradley-Terry strengths (Hunter's MM algorithm), π_i ← W_i / Σ_j
// n_ij/(π_i+π_j), iterated to a fixed point and mapped to mean-0 log10
// ratings.
func mmFit(p Problem) []float64 {
	n := p.Models
	pi := make([]float64, n)
	for i := range pi {
		pi[i] = 1
	}
	wins := make([]float64, n)
	for _, q := range p.Pairs {
		wins[q.I] += q.W
		wins[q.J] += q.N - q.W
	}
	for range 200000 {
		den := make([]float64, n)
		for _, q := range p.Pairs {
			d := q.N / (pi[q.I] + pi[q.J])
			den[q.I] += d
			den[q.J] += d
		}
		change := 0.0
		for i := range pi {
			next := wins[i] / den[i]
			change = max(change, math.Abs(math.Log(next/pi[i])))
			pi[i] = next
		}
		if change < 1e-14 {
			break
		}
	}
	r := make([]float64, n)
	for i := range r {
		r[i] = math.Log10(pi[i])
	}
	centre(r)
	return r
}

// Newton's result agrees with the MM fixed point, an algorithm that shares
// nothing with it but the likelihood.
func TestFitAgreesWithMM(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 21))
	for _, tc := range []struct{ models, battles int }{{5, 500}, {12, 5000}, {30, 100000}} {
		p := simulate(rng, tc.models, tc.battles)
		if !WellPosed(p) {
			t.Fatalf("%d models: simulated data is ill posed", tc.models)
		}
		got := Fit(p, Options{}).Ratings
		want := mmFit(p)
		for i := range got {
			if d := math.Abs(400 * (got[i] - want[i])); d > 1e-6 {
				t.Errorf("%d models: model %d differs by %g points", tc.models, i, d)
			}
		}
	}
}

// thinned is a coarse resample of p: each pair's results vanish, stay or
// double.
func thinned(rng *rand.Rand, p Problem) Problem {
	q := Problem{Models: p.Models, Pairs: append([]Pair(nil), p.Pairs...)}
	for i := range q.Pairs {
		k := float64(rng.IntN(3))
		q.Pairs[i].N *= k
		q.Pairs[i].W *= k
	}
	return q
}

// hessVec is the product with the matrix hessian builds, with and without
// a prior.
func TestHessVecMatchesHessian(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	p := simulate(rng, 15, 400)
	n := p.Models
	r := make([]float64, n)
	v := make([]float64, n)
	for i := range r {
		r[i], v[i] = rng.NormFloat64(), rng.NormFloat64()
	}
	for _, prior := range []float64{0, VirtualTies} {
		g, e, dg := make([]float64, n), make([]float64, n), make([]float64, n)
		wt := make([]float64, len(p.Pairs))
		gradHess(p, prior, r, e, g, wt, dg)
		h := make([]float64, n*n)
		hessian(p, wt, dg, h)
		got := make([]float64, n)
		hessVec(edgesOf(p), wt, dg, v, got)
		for i := range n {
			want := 0.0
			for j := range n {
				want += h[i*n+j] * v[j]
			}
			if math.Abs(got[i]-want) > 1e-12*max(1, math.Abs(want)) {
				t.Fatalf("prior %v: (Hv)[%d] = %v, want %v", prior, i, got[i], want)
			}
		}
	}
}

// Refits of coarse resamples, which the chord leaves to Newton's method
// with conjugate gradients (well posed) or to Fit (ill posed), reach Fit's
// optimum: the maximum likelihood where it exists, the fit with virtual
// ties where it does not.
func TestRefitOfCoarseResamplesMatchesFit(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	p := simulate(rng, 40, 400)
	full := Fit(p, Options{})
	if !full.WellPosed {
		t.Fatal("reference data is ill posed")
	}
	c, ok := NewChord(p, full.Ratings)
	if !ok {
		t.Fatal("no chord for a well-posed problem")
	}
	w := new(Work)
	seen := map[bool]int{}
	for range 40 {
		q := thinned(rng, p)
		posed := WellPosed(q)
		seen[posed]++
		prior := 0.0
		if !posed {
			prior = VirtualTies
		}
		want := Fit(q, Options{Tol: 1e-12})
		got := c.Refit(q, 1e-9, w)
		if got.WellPosed != posed || got.Prior != prior || got.Iterations >= newtonSteps {
			t.Fatalf("well posed %v (want %v), prior %v, %d iterations", got.WellPosed, posed, got.Prior, got.Iterations)
		}
		for i := range want.Ratings {
			if d := math.Abs(400 * (got.Ratings[i] - want.Ratings[i])); d > 1e-6 {
				t.Fatalf("well posed %v: model %d off by %g points", posed, i, d)
			}
		}
	}
	if seen[true] == 0 || seen[false] == 0 {
		t.Fatalf("resamples: %d well posed, %d ill posed: the test needs both", seen[true], seen[false])
	}
}

// A reference without maximum likelihood still gives a chord: its
// resamples, ill posed too, are refitted with virtual ties to Fit's
// optimum.
func TestChordOfIllPosedReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	p := simulate(rng, 40, 80)
	full := Fit(p, Options{})
	if full.WellPosed {
		t.Fatal("reference data is well posed: the test needs one that is not")
	}
	c, ok := NewChord(p, full.Ratings)
	if !ok {
		t.Fatal("no chord for an ill-posed reference")
	}
	w := new(Work)
	for range 20 {
		q := thinned(rng, p)
		want := Fit(q, Options{Tol: 1e-12})
		got := c.Refit(q, 1e-9, w)
		if got.WellPosed || got.Prior != VirtualTies || got.Iterations >= newtonSteps {
			t.Fatalf("well posed %v, prior %v, %d iterations", got.WellPosed, got.Prior, got.Iterations)
		}
		for i := range want.Ratings {
			if d := math.Abs(400 * (got.Ratings[i] - want.Ratings[i])); d > 1e-6 {
				t.Fatalf("model %d off by %g points", i, d)
			}
		}
	}
}

// When conjugate gradients stall (here with a preconditioner of zeros,
// which gives no direction) the refit is Fit's.
func TestFinishFallsBackToFit(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	p := simulate(rng, 40, 400)
	c, ok := NewChord(p, Fit(p, Options{}).Ratings)
	if !ok {
		t.Fatal("no chord")
	}
	clear(c.inv)
	q := thinned(rng, p)
	want := Fit(q, Options{Tol: 1e-9})
	w := new(Work)
	w.resize(p.Models)
	copy(w.r, c.at)
	got := c.finish(q, 1e-9, w, 0)
	if got.WellPosed != want.WellPosed || got.Prior != want.Prior {
		t.Fatalf("well posed %v prior %v, want %v and %v", got.WellPosed, got.Prior, want.WellPosed, want.Prior)
	}
	for i := range want.Ratings {
		if d := math.Abs(400 * (got.Ratings[i] - want.Ratings[i])); d > 1e-6 {
			t.Fatalf("model %d off by %g points", i, d)
		}
	}
}
