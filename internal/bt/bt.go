// Package bt owns the Bradley-Terry fit (DESIGN §4): maximum likelihood
// ratings from pairwise results, to full convergence, with the rule that
// keeps ratings finite when the maximum likelihood does not exist; the
// refits of bootstrap resamples (Chord) and the one-step bootstrap's
// rounds (OneStep). Dense problems are solved with n×n matrices, sparse
// ones (see Dense) in passes over the pairs that met, with nothing n×n.
//
// Ratings r are in log10 units (P(i beats j) = 1/(1+10^(r_j-r_i))) with
// mean 0; a score is 400·r + 1000.
package bt

import (
	"math"
	"slices"
)

// fullStep is the largest Newton step (rating units) taken without a line
// search.
const fullStep = 0.05

// Alpha is ln 10: the model is σ(Alpha·(r_i − r_j)).
const Alpha = math.Ln10

// Pair is what the likelihood needs of the battles between models I < J:
// N battles, of which I won W (a tie counts half).
type Pair struct {
	I, J int32
	N, W float64
}

// Problem is a set of models 0..Models-1 and the pairs that met.
type Problem struct {
	Models int
	Pairs  []Pair
}

// VirtualTies is the regularisation applied when the maximum likelihood
// does not exist: every model gets this many virtual ties against a phantom
// model of rating 0. It keeps every rating finite and unique, moves the
// ratings of the models that caused the problem the most, and is applied
// only then: on well-posed data the fit is the plain maximum likelihood.
const VirtualTies = 1.0

// Result is a fit.
type Result struct {
	Ratings     []float64 // mean 0
	WellPosed   bool      // the maximum likelihood exists
	Prior       float64   // virtual ties per model applied (0 when well posed)
	Iterations  int
	MaxGradient float64 // max |∂(−log L)/∂r_i| at Ratings (of the regularised objective when Prior > 0)
}

// Options tune a fit. The zero value is the default.
type Options struct {
	// Start, when not nil, is the rating vector to start from (a warm start
	// for bootstrap rounds). It is not modified.
	Start []float64
	// Tol is the largest Newton step, in rating units, at which the fit
	// stops; 0 means 1e-10 (1/25,000,000 of a score point).
	Tol float64
	// Work, when not nil, is reused for scratch memory (one per goroutine).
	Work *Work
	// NoReport skips computing Result.MaxGradient (bootstrap rounds do
	// not report it); with Work set, Ratings then lives in Work's memory,
	// valid until its next fit.
	NoReport bool
}

// Work is scratch memory for fits of one size, reusable across fits but not
// shared between goroutines.
type Work struct {
	h, chol []float64 // a dense fit's Hessian and its factor, n×n (dense problems only)
	g, step []float64
	r, next []float64
	e       []float64    // gradHess's strengths
	dg      []float64    // the Hessian's diagonal from the prior
	diag    []float64    // the whole diagonal, for sparse fits
	y       []float64    // an incomplete factor's scratch
	mix     []float64    // Anderson's history
	wt      []float64    // the Hessian's weight of each pair
	cg      [4][]float64 // conjugate gradients' vectors
}

// resize makes the vectors of w hold n models; the n×n matrices are made
// only by Fit, which alone needs them.
func (w *Work) resize(n int) {
	for _, p := range []*[]float64{&w.g, &w.step, &w.r, &w.next, &w.e, &w.dg, &w.y, &w.cg[0], &w.cg[1], &w.cg[2], &w.cg[3]} {
		*p = grow(*p, n)
	}
}

func grow(v []float64, n int) []float64 {
	if cap(v) < n {
		return make([]float64, n)
	}
	return v[:n]
}

// Fit returns the Bradley-Terry ratings of p: the maximum likelihood when
// it exists (WellPosed), else the maximum of the likelihood with
// VirtualTies per model. Models with no battles get rating 0 before
// centring. The result is deterministic.
//
// The fit is Newton's method with a damped step (see advance). A Dense
// problem solves each step with a Cholesky factorisation of the n×n
// Hessian; a sparse one by conjugate gradients preconditioned with the
// Hessian's incomplete Cholesky factor (see sparse.go), in time and memory
// that follow the pairs that met. With virtual ties, MM sweeps come first
// (see mmSweeps) and steps are damped by the objective's slope (see
// advanceSlope). Newton's method stops on a whole step below tol, or, when
// counts so large that rounding keeps every step above tol, once its
// steps stop shrinking with a gradient at its rounding (see atRounding):
// the steps then are rounding. The iterations then stay bounded at any
// counts (under 40 on the boards of scale_test.go, counts 1 to 1e12 a
// pair: they grow with log10 of the counts only by the Newton steps of
// 1/α that move groups of models which won only among themselves).
// Should Newton's method fail to converge
// from Start (it does not on any data measured), Fit starts again from 0,
// then falls back to the MM algorithm, slow but convergent from anywhere
// (see mm).
func Fit(p Problem, o Options) Result {
	n := p.Models
	if n == 0 {
		return Result{WellPosed: true}
	}
	w := o.Work
	if w == nil {
		w = new(Work)
	}
	w.resize(n)
	tol := o.Tol
	if tol == 0 {
		tol = 1e-10
	}
	res := Result{WellPosed: WellPosed(p)}
	prior := 0.0
	if !res.WellPosed {
		prior = VirtualTies
		res.Prior = prior
	}
	r := w.r
	if o.Start != nil {
		copy(r, o.Start)
	} else {
		clear(r)
	}
	dense := Dense(p)
	if prior > 0 {
		res.Iterations += w.mmSweeps(p, prior)
	}
	newton := func() (int, bool) {
		if prior == 0 {
			centre(r)
		}
		if dense {
			return w.newtonDense(p, prior, tol)
		}
		return w.newtonSparse(p, prior, tol)
	}
	it, ok := newton()
	res.Iterations += it
	if !ok && o.Start != nil {
		clear(r)
		it, ok = newton()
		res.Iterations += it
	}
	if !ok {
		clear(r)
		res.Iterations += mm(p, prior, tol, w)
	}
	if !o.NoReport {
		gradHess(p, prior, r, w.e, w.g, nil, nil)
		for _, g := range w.g {
			res.MaxGradient = max(res.MaxGradient, math.Abs(g))
		}
	}
	centre(r)
	res.Ratings = r
	if o.Work == nil || !o.NoReport {
		res.Ratings = slices.Clone(r)
	}
	return res
}

// precond returns f's apply with w's scratch.
func (w *Work) precond(f *incomplete) func(r, z []float64) {
	return func(r, z []float64) { f.apply(r, z, w.y) }
}

// maxIter bounds Newton's steps in a fit.
const maxIter = 200

// newton runs Newton's method from w.r to a whole step below tol: at each
// step gradHess sets the gradient and the Hessian's weights in w, and
// solve sets w.step to the Newton step (false: it cannot); advance takes
// it. It converges on a whole step below tol, or on a whole step under
// fullStep, more than half the one before, from a gradient within its
// rounding (atRounding): Newton's steps shrink quadratically near the
// optimum, so a step that does not is the rounding of the gradient over
// the curvature, and no later one would be more exact. It returns the
// steps taken and whether it converged.
func (w *Work) newton(p Problem, prior, tol float64, solve func() bool) (int, bool) {
	w.wt = grow(w.wt, len(p.Pairs))
	loss := math.NaN()  // not yet computed
	prev := math.Inf(1) // the last step, when whole
	for it := 1; it <= maxIter; it++ {
		gradHess(p, prior, w.r, w.e, w.g, w.wt, w.dg)
		if !solve() {
			return it, false
		}
		stepMax, full, ok := w.advance(p, prior, &loss)
		if !ok {
			return it, false
		}
		if full && (stepMax < tol || stepMax <= fullStep && stepMax > prev/2 && w.atRounding(p, prior)) {
			return it, true
		}
		prev = math.Inf(1)
		if full {
			prev = stepMax
		}
	}
	return maxIter, false
}

// gradRounding is the relative size, to the sum of the magnitudes of its
// terms, below which a computed gradient is rounding (see atRounding):
// 1024 units in the last place, a margin of some hundreds over the
// rounding measured (up to about 2 units on boards of 7 to 300 models
// with counts up to 1e12).
const gradRounding = 1024 * 0x1p-52

// atRounding reports whether the gradient w.g is within its own rounding
// error: |g_i| ≤ gradRounding·α·(T_i + prior) for every model i, T_i its
// battles. Each pair adds α·(N·σ − W), of size up to α·N, to the sums of
// its two models; in float64 these sums are exact to about 2⁻⁵²·α·T_i,
// which counts of 1e9 and more make larger than the gradient that a
// step of tol leaves: there no step can be shown to be below tol, and a
// Newton step is the rounding error divided by the curvature. Newton's
// method has then converged as far as float64 allows when, besides, its
// steps stop shrinking (see newton).
func (w *Work) atRounding(p Problem, prior float64) bool {
	t := w.next // free between steps
	for i := range t {
		t[i] = prior
	}
	for _, q := range p.Pairs {
		t[q.I] += q.N
		t[q.J] += q.N
	}
	for i, g := range w.g {
		if !(math.Abs(g) <= gradRounding*Alpha*t[i]) {
			return false
		}
	}
	return true
}

// newtonDense runs Newton's method with each step solved by the Cholesky
// factor of the n×n Hessian.
func (w *Work) newtonDense(p Problem, prior, tol float64) (int, bool) {
	n := p.Models
	w.h, w.chol = grow(w.h, n*n), grow(w.chol, n*n)
	return w.newton(p, prior, tol, func() bool {
		hessian(p, w.wt, w.dg, w.h)
		if prior == 0 {
			shiftHessian(w.h, n)
		}
		if !cholesky(w.h, w.chol, n) {
			// Only a graph that is not connected within a prior-free fit can
			// get here, and WellPosed excludes that; stay safe anyway.
			return false
		}
		for i := range n {
			w.step[i] = -w.g[i]
		}
		cholSolve(w.chol, n, w.step)
		return true
	})
}

// newtonSparse runs Newton's method with each step solved by conjugate
// gradients. The preconditioner is the Hessian's diagonal (Jacobi), which
// costs nothing to build: on arena boards the iterations then number 5 to
// 50 a step, where an incomplete Cholesky factor would take fewer but cost
// more to build than they save. Should they not reach the residual asked
// for in cgSteps, the steps that remain use the incomplete Cholesky factor
// of their own Hessian.
func (w *Work) newtonSparse(p Problem, prior, tol float64) (int, bool) {
	w.diag = grow(w.diag, p.Models)
	jacobi := func(v, z []float64) {
		for i, d := range w.diag {
			z[i] = v[i] / d
		}
		if prior == 0 {
			centre(z)
		}
	}
	var ic *incomplete
	edges := edgesOf(p)
	return w.newton(p, prior, tol, func() bool {
		for i, g := range w.g {
			w.next[i] = -g
		}
		if ic == nil {
			copy(w.diag, w.dg)
			for k, q := range p.Pairs {
				w.diag[q.I] += w.wt[k]
				w.diag[q.J] += w.wt[k]
			}
			if cgSolve(edges, w.wt, w.dg, jacobi, w.next, w.step, newtonForcing, cgSteps, &w.cg) {
				return true
			}
			ic = newIncomplete(newPattern(p), prior == 0)
		}
		if !ic.factor(p, w.wt, w.dg) {
			return false
		}
		cgSolve(edges, w.wt, w.dg, w.precond(ic), w.next, w.step, newtonForcing, p.Models+cgSteps, &w.cg)
		return true
	})
}

// advance moves w.r along the Newton step w.step and returns the largest
// change of a rating, whether the step was taken whole, and false when the
// step cannot be justified: it does not descend (w.g, the gradient at
// w.r, is the judge), is not finite, or raises the objective at every
// length down to 2⁻³⁰ of itself. *loss is the objective at w.r, NaN when
// not computed; advance updates it. Near the optimum (a step under
// fullStep, about 20 points) the step is taken as it is: the
// log-likelihood is close to quadratic there, and comparing objectives
// that differ in the last bits would only add rounding noise. Farther
// away, damp: halve the step until the objective does not rise (with
// virtual ties: until its slope along the step is not positive, see
// advanceSlope). A fit
// converges only on a whole step: a step cut short says nothing about the
// distance to the optimum.
func (w *Work) advance(p Problem, prior float64, loss *float64) (float64, bool, bool) {
	r, step, next := w.r, w.step, w.next
	stepMax := 0.0
	for _, s := range step {
		stepMax = max(stepMax, math.Abs(s))
	}
	if !(stepMax < math.Inf(1)) || !(dot(w.g, step) <= 0) {
		return stepMax, false, false
	}
	if stepMax <= fullStep {
		for i := range r {
			r[i] += step[i]
		}
		*loss = math.NaN()
		return stepMax, true, true
	}
	if prior > 0 {
		return w.advanceSlope(p, prior, stepMax)
	}
	if math.IsNaN(*loss) {
		*loss = objective(p, prior, r)
	}
	t := 1.0
	for range maxHalvings + 1 {
		for i := range r {
			next[i] = r[i] + t*step[i]
		}
		if v := objective(p, prior, next); v <= *loss {
			*loss = v
			copy(r, next)
			return stepMax * t, t == 1, true
		}
		t /= 2
	}
	return stepMax, false, false
}

// advanceSlope is advance's damped step for a fit with virtual ties:
// halve the step until the objective's slope along it, ∇f(r+t·s)·s, is
// not positive. The objective being convex, it then lies below f(r) all
// the way from r, and the step is at least half as long as the one to the
// minimum along s. The slope, not the objective's values, is the judge:
// with counts of 1e12 the objective is about 1e16, rounded to units,
// while the virtual ties weigh about 1 (the curvature along the ratings
// they alone hold), so that comparing objectives refuses, by rounding,
// steps that the slope, a sum of terms of the gradient's size, still
// tells apart.
func (w *Work) advanceSlope(p Problem, prior, stepMax float64) (float64, bool, bool) {
	r, step, next, g := w.r, w.step, w.next, w.cg[0]
	t := 1.0
	for range maxHalvings + 1 {
		for i := range r {
			next[i] = r[i] + t*step[i]
		}
		gradHess(p, prior, next, w.e, g, nil, nil)
		if dot(g, step) <= 0 {
			copy(r, next)
			return stepMax * t, t == 1, true
		}
		t /= 2
	}
	return stepMax, false, false
}

// maxHalvings bounds the halvings of a damped step: a Newton step a
// billion times too long is not a step to take.
const maxHalvings = 30

// shiftHessian adds c·11ᵀ to the n×n Hessian h of the unregularised
// likelihood. The likelihood is invariant to a common shift, so h has the
// null space 1; the shift makes it positive definite without changing
// Newton steps, which stay orthogonal to 1 as the gradient is.
func shiftHessian(h []float64, n int) {
	c := 0.0
	for i := range n {
		c = max(c, h[i*n+i])
	}
	c = max(c, 1) / float64(n)
	for i := range h {
		h[i] += c
	}
}

func centre(r []float64) {
	m := 0.0
	for _, v := range r {
		m += v
	}
	m /= float64(len(r))
	for i := range r {
		r[i] -= m
	}
}

// logSigmoid returns log σ(x) without overflow.
func logSigmoid(x float64) float64 {
	if x >= 0 {
		return -math.Log1p(math.Exp(-x))
	}
	return x - math.Log1p(math.Exp(x))
}

func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// objective is −log L (plus the virtual ties).
func objective(p Problem, prior float64, r []float64) float64 {
	s := 0.0
	for _, q := range p.Pairs {
		d := Alpha * (r[q.I] - r[q.J])
		s -= q.W*logSigmoid(d) + (q.N-q.W)*logSigmoid(-d)
	}
	if prior > 0 {
		for _, v := range r {
			s -= prior * 0.5 * (logSigmoid(Alpha*v) + logSigmoid(-Alpha*v))
		}
	}
	return s
}

// gradHess computes the gradient g of −log L at r, with prior virtual ties
// per model against a phantom of rating 0, and, when wt is not nil, its
// Hessian in the form the pairs give it: wt[k] is pair k's weight
// α²·N·σ(1−σ), which it adds to the diagonal entries of both models and
// takes from the two entries between them, and dg[i] the prior's share of
// the diagonal (see hessian and hessVec). e (len n) is scratch.
//
// P(i beats j) is e_i/(e_i+e_j) with e_i = 10^(r_i−top), top the largest
// rating: one exponential per model instead of one per pair, the pairs
// being the most work of a bootstrap round. When the ratings spread over
// more than 300 (10^−300 is near the smallest normal number) it falls back
// to the logistic function per pair.
func gradHess(p Problem, prior float64, r, e, g, wt, dg []float64) {
	clear(g)
	top, bottom := slices.Max(r), slices.Min(r)
	strengths := top-bottom < 300
	if strengths {
		for i, v := range r {
			e[i] = math.Exp(Alpha * (v - top))
		}
		if wt == nil {
			gradient(p, e, g)
			if prior > 0 {
				addPrior(prior, r, g, nil)
			}
			return
		}
	}
	// g[i] of the run of pairs with model i as I sums in a register (see
	// hessVec).
	at, gi := -1, 0.0
	for k, q := range p.Pairs {
		i, j := int(q.I), int(q.J)
		if i != at {
			if at >= 0 {
				g[at] = gi
			}
			at, gi = i, g[i]
		}
		var sg, sq float64 // σ and σ(1−σ)
		if strengths {
			inv := 1 / (e[i] + e[j])
			sg = e[i] * inv
			sq = sg * e[j] * inv
		} else {
			sg = sigmoid(Alpha * (r[i] - r[j]))
			sq = sg * (1 - sg)
		}
		d := Alpha * (q.N*sg - q.W)
		gi += d
		g[j] -= d
		if wt != nil {
			wt[k] = Alpha * Alpha * q.N * sq
		}
	}
	if at >= 0 {
		g[at] = gi
	}
	if wt != nil {
		clear(dg)
	}
	if prior > 0 {
		addPrior(prior, r, g, dg)
	}
}

// gradient is gradHess's pass for the gradient alone from the strengths
// e, the refits' most frequent pass: the same sums, in the same order.
func gradient(p Problem, e, g []float64) {
	at, gi := -1, 0.0
	for _, q := range p.Pairs {
		i, j := int(q.I), int(q.J)
		if i != at {
			if at >= 0 {
				g[at] = gi
			}
			at, gi = i, g[i]
		}
		inv := 1 / (e[i] + e[j])
		d := Alpha * (q.N*(e[i]*inv) - q.W)
		gi += d
		g[j] -= d
	}
	if at >= 0 {
		g[at] = gi
	}
}

// addPrior adds the virtual ties' share to the gradient g at r and, when
// dg is not nil, sets dg to their share of the Hessian's diagonal.
func addPrior(prior float64, r, g, dg []float64) {
	for i, v := range r {
		sg := sigmoid(Alpha * v)
		g[i] += Alpha * prior * (sg - 0.5)
		if dg != nil {
			dg[i] = Alpha * Alpha * prior * sg * (1 - sg)
		}
	}
}

// hessian writes the n×n Hessian of gradHess's weights into h.
func hessian(p Problem, wt, dg, h []float64) {
	n := len(dg)
	clear(h)
	for k, q := range p.Pairs {
		i, j, c := int(q.I), int(q.J), wt[k]
		h[i*n+i] += c
		h[j*n+j] += c
		h[i*n+j] -= c
		h[j*n+i] -= c
	}
	for i, d := range dg {
		h[i*n+i] += d
	}
}

// hessVec writes H·v into out, H the Hessian of gradHess's weights over
// the problem's pairs as edges: one pass over the pairs, where the n×n
// matrix would cost n² and a resample's pairs are often far fewer.
//
// Pairs come sorted by their model I, and out[I] sums a run of them in a
// register: summed in memory, each addition would wait for the store of
// the one before (measured: a pass takes half again as long). The sum is
// the same, in the same order, as nothing else writes out[I] within the
// run (I < J); unsorted pairs make shorter runs, with the same result.
func hessVec(edges []edge, wt, dg, v, out []float64) {
	for i, d := range dg {
		out[i] = d * v[i]
	}
	at, oi := int32(-1), 0.0
	for k, e := range edges {
		if e.i != at {
			if at >= 0 {
				out[at] = oi
			}
			at, oi = e.i, out[e.i]
		}
		c := wt[k] * (v[e.i] - v[e.j])
		oi += c
		out[e.j] -= c
	}
	if at >= 0 {
		out[at] = oi
	}
}

// edge is a pair's two models: all that a product with the Hessian reads
// of a pair, in a third of a Pair's bytes.
type edge struct{ i, j int32 }

func edgesOf(p Problem) []edge {
	out := make([]edge, len(p.Pairs))
	for k, q := range p.Pairs {
		out[k] = edge{q.I, q.J}
	}
	return out
}

// Gradient returns the gradient of −log L at r (no regularisation): zero
// at the maximum likelihood. Tests use it.
func Gradient(p Problem, r []float64) []float64 {
	g := make([]float64, len(r))
	gradHess(p, 0, r, make([]float64, len(r)), g, nil, nil)
	return g
}

// cholesky factors the symmetric positive definite a (n×n) into the lower
// triangle of l. It reports false when a is not positive definite.
func cholesky(a, l []float64, n int) bool {
	for i := range n {
		for j := 0; j <= i; j++ {
			s := a[i*n+j]
			ri, rj := l[i*n:i*n+j], l[j*n:j*n+j]
			for k := range ri {
				s -= ri[k] * rj[k]
			}
			if i == j {
				if s <= 0 || math.IsNaN(s) {
					return false
				}
				l[i*n+i] = math.Sqrt(s)
			} else {
				l[i*n+j] = s / l[j*n+j]
			}
		}
	}
	return true
}

// cholSolve solves L·Lᵀ·x = b in place.
func cholSolve(l []float64, n int, b []float64) {
	for i := range n {
		s := b[i]
		for k := range i {
			s -= l[i*n+k] * b[k]
		}
		b[i] = s / l[i*n+i]
	}
	for i := n - 1; i >= 0; i-- {
		s := b[i]
		for k := i + 1; k < n; k++ {
			s -= l[k*n+i] * b[k]
		}
		b[i] = s / l[i*n+i]
	}
}

// mmSteps bounds the MM algorithm's iterations.
const mmSteps = 1_000_000

// mm runs the MM algorithm from w.r (Hunter, "MM algorithms for
// generalized Bradley-Terry models", Ann. Statist. 32, 2004): every
// rating moves at once by log10(W_i/E_i), W_i the wins of model i (ties
// half, virtual ties included) and E_i the wins the ratings expect. Each
// iteration raises the likelihood, and the ratings converge to the
// optimum from any start, however slowly; Fit uses it only when Newton's
// method fails. It stops when no rating moves by tol/100 and returns the
// iterations.
func mm(p Problem, prior, tol float64, w *Work) int {
	for it := 1; it <= mmSteps; it++ {
		if w.mmStep(p, prior) < tol/100 {
			return it
		}
	}
	return mmSteps
}

// mmStep makes one iteration of the MM algorithm on w.r (see mm) and
// returns the largest move of a rating.
func (w *Work) mmStep(p Problem, prior float64) float64 {
	r, wins, expect := w.r, w.next, w.step
	clear(wins)
	clear(expect)
	for _, q := range p.Pairs {
		sg := sigmoid(Alpha * (r[q.I] - r[q.J]))
		wins[q.I] += q.W
		wins[q.J] += q.N - q.W
		expect[q.I] += q.N * sg
		expect[q.J] += q.N * (1 - sg)
	}
	moved := 0.0
	for i := range r {
		if prior > 0 {
			wins[i] += prior / 2
			expect[i] += prior * sigmoid(Alpha*r[i])
		}
		if wins[i] > 0 && expect[i] > 0 {
			d := math.Log10(wins[i] / expect[i])
			r[i] += d
			moved = max(moved, math.Abs(d))
		}
	}
	if prior == 0 {
		centre(r)
	}
	return moved
}

// mmSweepsMax bounds mmSweeps, and mmSweepsMove is the largest move of a
// rating, in rating units, at which they stop.
const (
	mmSweepsMax  = 50
	mmSweepsMove = 0.5
)

// mmSweeps moves w.r by iterations of the MM algorithm (see mm) until no
// rating moves by mmSweepsMove, at most mmSweepsMax times, and returns
// the iterations. Fit makes them before Newton's method when it adds
// virtual ties: a model (or a group of models) without wins then lies
// about log10 of its battles below the others, a distance that Newton's
// method, from 0, covers 1/α a step (on the exponential tail of its
// expected wins: about 30 steps for counts of 1e9 on a 6-model cycle
// with a winless model), while MM puts a single such model at once where
// the others' ratings place it (7 iterations in all on the same board).
func (w *Work) mmSweeps(p Problem, prior float64) int {
	for it := 1; it <= mmSweepsMax; it++ {
		if w.mmStep(p, prior) < mmSweepsMove {
			return it
		}
	}
	return mmSweepsMax
}
