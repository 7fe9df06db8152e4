// Package bt owns the Bradley-Terry fit (DESIGN §4): maximum likelihood
// ratings from pairwise results, to full convergence, with the rule that
// keeps ratings finite when the maximum likelihood does not exist.
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
	h, chol []float64 // Fit's dense Hessian and its factor, n×n
	g, step []float64
	r, next []float64
	e       []float64    // gradHess's strengths
	dg      []float64    // the Hessian's diagonal from the prior
	wt      []float64    // the Hessian's weight of each pair
	cg      [4][]float64 // conjugate gradients' vectors
}

// resize makes the vectors of w hold n models; the n×n matrices are made
// only by Fit, which alone needs them.
func (w *Work) resize(n int) {
	for _, p := range []*[]float64{&w.g, &w.step, &w.r, &w.next, &w.e, &w.dg, &w.cg[0], &w.cg[1], &w.cg[2], &w.cg[3]} {
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
	if prior == 0 {
		centre(r)
	}
	w.h, w.chol = grow(w.h, n*n), grow(w.chol, n*n)
	w.wt = grow(w.wt, len(p.Pairs))
	loss := math.NaN() // not yet computed
	const maxIter = 200
	for res.Iterations = 1; res.Iterations <= maxIter; res.Iterations++ {
		gradHess(p, prior, r, w.e, w.g, w.wt, w.dg)
		hessian(p, w.wt, w.dg, w.h)
		if prior == 0 {
			shiftHessian(w.h, n)
		}
		if !cholesky(w.h, w.chol, n) {
			// Only a graph that is not connected within a prior-free fit can
			// get here, and WellPosed excludes that; stay safe anyway.
			break
		}
		for i := range n {
			w.step[i] = -w.g[i]
		}
		cholSolve(w.chol, n, w.step)
		var stepMax float64
		stepMax, loss = advance(p, prior, r, w.step, w.next, loss)
		if stepMax < tol {
			break
		}
	}
	res.Iterations = min(res.Iterations, maxIter)
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

// advance moves r along a Newton step and returns the largest change of a
// rating and the objective at the new point (NaN when not computed; loss
// is the objective at r, or NaN). Near the optimum (a step under fullStep,
// about 20 points) the step is taken as it is: the log-likelihood is close
// to quadratic there, and comparing objectives that differ in the last
// bits would only add rounding noise. Farther away, damp: halve the step
// until the objective does not rise. next is scratch.
func advance(p Problem, prior float64, r, step, next []float64, loss float64) (float64, float64) {
	stepMax := 0.0
	for _, s := range step {
		stepMax = max(stepMax, math.Abs(s))
	}
	t := 1.0
	if stepMax > fullStep {
		if math.IsNaN(loss) {
			loss = objective(p, prior, r)
		}
		var v float64
		for range 60 {
			for i := range r {
				next[i] = r[i] + t*step[i]
			}
			v = objective(p, prior, next)
			if v <= loss {
				break
			}
			t /= 2
		}
		loss = v
	} else {
		for i := range r {
			next[i] = r[i] + step[i]
		}
		loss = math.NaN()
	}
	copy(r, next)
	return stepMax * t, loss
}

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
	}
	for k, q := range p.Pairs {
		i, j := int(q.I), int(q.J)
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
		g[i] += d
		g[j] -= d
		if wt != nil {
			wt[k] = Alpha * Alpha * q.N * sq
		}
	}
	if wt != nil {
		clear(dg)
	}
	if prior > 0 {
		for i, v := range r {
			sg := sigmoid(Alpha * v)
			g[i] += Alpha * prior * (sg - 0.5)
			if wt != nil {
				dg[i] = Alpha * Alpha * prior * sg * (1 - sg)
			}
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

// hessVec writes H·v into out, H the Hessian of gradHess's weights: one
// pass over the pairs, where the n×n matrix would cost n² and a
// resample's pairs are often far fewer.
func hessVec(p Problem, wt, dg, v, out []float64) {
	for i, d := range dg {
		out[i] = d * v[i]
	}
	for k, q := range p.Pairs {
		c := wt[k] * (v[q.I] - v[q.J])
		out[q.I] += c
		out[q.J] -= c
	}
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
