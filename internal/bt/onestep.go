package bt

import (
	"math"
	"slices"
)

// OneStep computes the rounds of the one-step bootstrap of a fit: a
// round's ratings are the fit's plus one Newton step, from the fit, for
// the round's resampled counts, with the fit's own Hessian H:
//
//	r* = r̂ − H⁻¹ ∇(−log L*)(r̂),
//
// L* the resample's likelihood (with the fit's virtual ties when it had
// them). This is the linear estimating-function bootstrap (Hu and
// Kalbfleisch, "The estimating function bootstrap", Canad. J. Statist. 28,
// 2000; for generalised linear models, Moulton and Zeger, "Bootstrapping
// generalized linear models", Comput. Statist. Data Anal. 11, 1991). The
// round needs no maximum likelihood of its own, so it exists whether or
// not the resample is well posed, and it is centred on the fit: over the
// rounds, r* − r̂ has mean 0 and covariance H⁻¹·B·H⁻¹, B the covariance of
// the per-battle gradients, Σ over cells of count·g·gᵀ: the sandwich
// (robust) covariance of the fit, which LMArena's intervals use.
//
// A Dense fit solves with the inverse of its n×n Hessian; a sparse one by
// conjugate gradients preconditioned with the Hessian's incomplete Cholesky
// factor, holding nothing n×n.
type OneStep struct {
	ref   Problem   // the full data
	edges []edge    // its pairs
	at    []float64 // the fit's ratings, not centred when it has a prior
	prior float64
	p0    []float64 // P(I beats J) at the fit, per pair
	wt    []float64 // the fit's Hessian: pair weights and diagonal
	dg    []float64
	inv   []float64   // dense: H⁻¹ (shifted when without prior)
	ic    *incomplete // sparse: H's factor
	two   []int32     // the pairs with results both ways (see twoWay)
}

// NewOneStep prepares the one-step rounds of p from its fit by Fit. It
// reports false when the fit's Hessian cannot be factored, which Fit's
// result never causes.
func NewOneStep(p Problem, fit Result) (*OneStep, bool) {
	n := p.Models
	s := &OneStep{ref: p, edges: edgesOf(p), at: slices.Clone(fit.Ratings), prior: fit.Prior, p0: make([]float64, len(p.Pairs)), two: twoWay(p)}
	if s.prior > 0 {
		// The virtual ties tie the ratings to 0: the optimum is the
		// centred ratings shifted by the c at which the gradient's sum
		// (the prior's alone: the pairs' terms cancel) vanishes.
		s.at = uncentre(s.at, s.prior)
	}
	for k, q := range p.Pairs {
		s.p0[k] = sigmoid(Alpha * (s.at[q.I] - s.at[q.J]))
	}
	g, e := make([]float64, n), make([]float64, n)
	s.wt, s.dg = make([]float64, len(p.Pairs)), make([]float64, n)
	gradHess(p, s.prior, s.at, e, g, s.wt, s.dg)
	if !Dense(p) {
		s.ic = newIncomplete(newPattern(p), s.prior == 0)
		return s, s.ic.factor(p, s.wt, s.dg)
	}
	h := make([]float64, n*n)
	hessian(p, s.wt, s.dg, h)
	if s.prior == 0 {
		shiftHessian(h, n)
	}
	var ok bool
	s.inv, ok = inverse(h, n)
	return s, ok
}

// uncentre returns the ratings r (centred) shifted to where the gradient
// of the virtual ties sums to 0, which is where Fit's optimum lies before
// centring: Σ_i σ(α(r_i + c)) = n/2, solved for c by Newton's method on a
// function that increases in c.
func uncentre(r []float64, prior float64) []float64 {
	c := 0.0
	for range 100 {
		f, df := -float64(len(r))/2, 0.0
		for _, v := range r {
			sg := sigmoid(Alpha * (v + c))
			f += sg
			df += Alpha * sg * (1 - sg)
		}
		if df == 0 {
			break
		}
		step := f / df
		c -= step
		if math.Abs(step) < 1e-15 {
			break
		}
	}
	out := make([]float64, len(r))
	for i, v := range r {
		out[i] = v + c
	}
	return out
}

// WellPosed reports whether the maximum likelihood of q, a resample of
// the fit's problem (the same models and pairs, other counts), exists:
// bt.WellPosed(q), in a pass over the pairs that can join models in
// resamples (see twoWay).
func (s *OneStep) WellPosed(q Problem) bool { return wellPosed(q, s.two) }

// oneStepForcing is the relative residual to which a sparse round's
// equation is solved: the round's error is about that share of its
// distance from the fit, under 1e-4 points for any interval narrower than
// 100 points.
const oneStepForcing = 1e-6

// Round returns the ratings (centred, living in w) of the round whose
// counts are q's (the same models and pairs as the fit's problem).
func (s *OneStep) Round(q Problem, w *Work) []float64 {
	n := s.ref.Models
	w.resize(n)
	// The gradient of −log L* at the fit: the full data's is 0 there, so
	// only the change of the counts remains (the virtual ties cancel).
	b := w.next
	clear(b)
	at, bi := int32(-1), 0.0 // b[I] of a run of pairs in a register (see hessVec)
	for k, pr := range q.Pairs {
		if pr.I != at {
			if at >= 0 {
				b[at] = bi
			}
			at, bi = pr.I, b[pr.I]
		}
		ref := s.ref.Pairs[k]
		d := Alpha * ((pr.N-ref.N)*s.p0[k] - (pr.W - ref.W))
		bi -= d
		b[pr.J] += d
	}
	if at >= 0 {
		b[at] = bi
	}
	if s.ic != nil {
		// Conjugate gradients end in n steps in exact arithmetic; the
		// factor makes that 5 to 20 on the boards measured.
		cgSolve(s.edges, s.wt, s.dg, w.precond(s.ic), b, w.step, oneStepForcing, n+cgSteps, &w.cg)
	} else {
		mulDense(s.inv, n, b, w.step)
	}
	r := w.r
	for i := range r {
		r[i] = s.at[i] + w.step[i]
	}
	centre(r)
	return r
}
