package bt

import (
	"math"
	"slices"
)

// Chord refits problems close to a reference one (bootstrap resamples of
// it) by the chord method: Newton steps with the reference Hessian,
// inverted once, instead of a new Hessian and factorisation each step.
// A resample's Hessian differs from the reference by the sampling noise of
// the counts, so each step gains one to two digits on large data and less
// on sparse data, where a chord step, a fifth of the cost of a Newton step
// with its line search, still wins while the steps shrink by a fifth each
// time. A refit whose steps shrink slower, or whose resample has no
// maximum likelihood, is finished by Newton's method with the reference's
// inverse as the preconditioner of conjugate gradients (see finish).
type Chord struct {
	n   int
	inv []float64 // the inverse of the (shifted) reference Hessian, n×n
	at  []float64 // where every refit starts: the reference's ratings
	p0  []float64 // P(I beats J) at at, per pair of the reference
}

// NewChord prepares refits of problems like ref, whose fit (Fit's
// ratings: the maximum likelihood, or the fit with virtual ties when ref
// is ill posed) is at. The resamples of an ill-posed problem are ill posed
// too, as resampling adds no result between two models that had none: their
// refits go straight to Newton's method, preconditioned with the inverse of
// the reference's regularised Hessian.
func NewChord(ref Problem, at []float64) (*Chord, bool) {
	n := ref.Models
	c := &Chord{n: n, inv: make([]float64, n*n), at: slices.Clone(at), p0: make([]float64, len(ref.Pairs))}
	for k, q := range ref.Pairs {
		c.p0[k] = sigmoid(Alpha * (at[q.I] - at[q.J]))
	}
	prior := 0.0
	if !WellPosed(ref) {
		prior = VirtualTies
	}
	h := make([]float64, n*n)
	g := make([]float64, n)
	wt := make([]float64, len(ref.Pairs))
	dg := make([]float64, n)
	gradHess(ref, prior, at, make([]float64, n), g, wt, dg)
	hessian(ref, wt, dg, h)
	if prior == 0 {
		shiftHessian(h, n)
	}
	chol := make([]float64, n*n)
	if !cholesky(h, chol, n) {
		return nil, false
	}
	// Steps multiply by the inverse: a product of a matrix and a vector
	// keeps the processor busier than two triangular solves, whose every
	// row waits for the one before and divides.
	for j := range n {
		col := g
		clear(col)
		col[j] = 1
		cholSolve(chol, n, col)
		for i := range n {
			c.inv[i*n+j] = col[i]
		}
	}
	return c, true
}

// chordSteps bounds the chord iterations before Newton finishes, and
// maxShrink is the largest ratio of two successive steps that keeps the
// chord going.
const (
	chordSteps = 40
	maxShrink  = 0.8
)

// Refit returns the ratings of p (same models and pairs as the reference,
// other counts) starting from the reference's ratings, to a last step
// below tol, like Fit with NoReport. Ratings live in w.
func (c *Chord) Refit(p Problem, tol float64, w *Work) Result {
	w.resize(c.n)
	r := w.r
	copy(r, c.at)
	if !WellPosed(p) {
		return c.finish(p, VirtualTies, tol, w, 0)
	}
	prev := math.Inf(1)
	for it := 1; it <= chordSteps; it++ {
		if it == 1 {
			// At the start the probabilities are the reference's.
			clear(w.g)
			for k, q := range p.Pairs {
				d := Alpha * (q.N*c.p0[k] - q.W)
				w.g[q.I] += d
				w.g[q.J] -= d
			}
		} else {
			gradHess(p, 0, r, w.e, w.g, nil, nil)
		}
		c.mul(w.g, w.step)
		stepMax := 0.0
		for i, s := range w.step {
			r[i] -= s
			stepMax = max(stepMax, math.Abs(s))
		}
		// The steps shrink geometrically, by about q = step/previous step
		// each time, so what remains after this one is about
		// step·q/(1−q): stop when that is below tol too, which spares
		// the last step, computed only to find it small.
		q := stepMax / prev
		if stepMax < tol || it > 1 && q < maxShrink && stepMax*q/(1-q) < tol {
			centre(r)
			return Result{Ratings: r, WellPosed: true, Iterations: it}
		}
		if q > maxShrink && it > 2 {
			if q >= 1 {
				copy(r, c.at) // moving away: start Newton afresh
			}
			return c.finish(p, 0, tol, w, it)
		}
		prev = stepMax
	}
	return c.finish(p, 0, tol, w, chordSteps)
}

// mul writes inv·v into out. Four sums, each of every fourth term, keep
// the processor's adders busy: one sum waits for each addition before the
// next.
func (c *Chord) mul(v, out []float64) {
	n := c.n
	for i := range out {
		row := c.inv[i*n : (i+1)*n : (i+1)*n]
		var s0, s1, s2, s3 float64
		k := 0
		for ; k+4 <= n; k += 4 {
			r, x := row[k:k+4:k+4], v[k:k+4:k+4]
			s0 += r[0] * x[0]
			s1 += r[1] * x[1]
			s2 += r[2] * x[2]
			s3 += r[3] * x[3]
		}
		for ; k < n; k++ {
			s0 += row[k] * v[k]
		}
		out[i] = (s0 + s1) + (s2 + s3)
	}
}

// Newton's steps in finish solve their equations to a residual below
// forcing times the gradient, which makes each step gain about three
// digits, in at most cgSteps conjugate-gradient iterations, and finish
// takes at most newtonSteps steps before leaving the refit to Fit.
const (
	forcing     = 1e-3
	cgSteps     = 200
	newtonSteps = 50
)

// finish continues a refit of p from w.r by Newton's method with prior
// virtual ties per model (0: the maximum likelihood), each step solved by
// conjugate gradients preconditioned with the reference's inverse Hessian.
// A resample's Hessian is close enough to the reference's that a few
// iterations, each a pass over the pairs and a product with the inverse,
// replace the factorisation of a new n×n Hessian at every step, which
// costs n³/3 (9 million multiplications for 300 models). Should the
// iterations stall, Fit redoes the refit. done is the chord steps taken.
func (c *Chord) finish(p Problem, prior, tol float64, w *Work, done int) Result {
	r := w.r
	w.wt = grow(w.wt, len(p.Pairs))
	loss := math.NaN()
	it := 1
	for ; it <= newtonSteps; it++ {
		gradHess(p, prior, r, w.e, w.g, w.wt, w.dg)
		if !c.solve(p, w) {
			break
		}
		var stepMax float64
		stepMax, loss = advance(p, prior, r, w.step, w.next, loss)
		if stepMax < tol {
			centre(r)
			return Result{Ratings: r, WellPosed: prior == 0, Prior: prior, Iterations: done + it}
		}
	}
	res := Fit(p, Options{Start: c.at, Tol: tol, Work: w, NoReport: true})
	res.Iterations += done + min(it, newtonSteps)
	return res
}

// solve sets w.step to s with H·s ≈ −g, H and g gradHess's in w, by
// conjugate gradients preconditioned with the reference's inverse, to a
// residual below forcing·|g|. It reports false when they stall. Without
// a prior H is singular along 1, but g, every product with H and every
// product with the inverse (of which 1 is an eigenvector) are orthogonal
// to 1, so the iterations stay where H is positive definite.
func (c *Chord) solve(p Problem, w *Work) bool {
	x, res, z, d, hd := w.step, w.cg[0], w.cg[1], w.cg[2], w.cg[3]
	clear(x)
	for i, g := range w.g {
		res[i] = -g
	}
	stop := forcing * forcing * dot(res, res)
	if stop == 0 {
		return true
	}
	c.mul(res, z)
	copy(d, z)
	rz := dot(res, z)
	for range cgSteps {
		hessVec(p, w.wt, w.dg, d, hd)
		dhd := dot(d, hd)
		if !(dhd > 0) {
			return false
		}
		a := rz / dhd
		for i := range x {
			x[i] += a * d[i]
			res[i] -= a * hd[i]
		}
		if dot(res, res) <= stop {
			return true
		}
		c.mul(res, z)
		next := dot(res, z)
		b := next / rz
		rz = next
		for i := range d {
			d[i] = z[i] + b*d[i]
		}
	}
	return false
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i, x := range a {
		s += x * b[i]
	}
	return s
}
