package bt

import (
	"math"
	"slices"
)

// Chord refits problems close to a reference one (bootstrap resamples of
// it) by the chord method: Newton steps with the reference Hessian,
// factored once, instead of a new Hessian and factorisation each step. A
// resample's Hessian differs from the reference by the sampling noise of
// the counts, so each step gains one to two digits on large data and less
// on sparse data, where a chord step, a fifth of the cost of a Newton step
// with its line search, still wins while the steps shrink by a fifth each
// time. A refit whose steps shrink slower is finished by Newton's method
// with the reference's factor as the preconditioner of conjugate gradients
// (see finish). A resample without maximum likelihood is refitted by Fit,
// with its own Hessian at every step: the reference Hessian, without the
// virtual ties such a refit adds, is no guide to it.
//
// On a Dense reference the factor is the inverse of the n×n Hessian; on a
// sparse one, the Hessian's incomplete Cholesky factor (see sparse.go),
// so that nothing n×n is held.
type Chord struct {
	n         int
	wellPosed bool
	inv       []float64   // dense: the inverse of the (shifted) reference Hessian, n×n
	ic        *incomplete // sparse: the reference Hessian's factor
	edges     []edge      // the reference's pairs
	at        []float64   // where every refit starts: the reference's ratings
	p0        []float64   // P(I beats J) at at, per pair of the reference
	twoWay    []int32     // the reference's pairs with results both ways (see twoWay)
}

// NewChord prepares refits of problems like ref, whose fit (Fit's
// ratings: the maximum likelihood, or the fit with virtual ties when ref
// is ill posed) is at. It reports false when the reference Hessian cannot
// be factored, which Fit's ratings of ref never cause.
func NewChord(ref Problem, at []float64) (*Chord, bool) {
	n := ref.Models
	c := &Chord{n: n, wellPosed: WellPosed(ref), edges: edgesOf(ref), at: slices.Clone(at), p0: make([]float64, len(ref.Pairs)), twoWay: twoWay(ref)}
	for k, q := range ref.Pairs {
		c.p0[k] = sigmoid(Alpha * (at[q.I] - at[q.J]))
	}
	if !c.wellPosed {
		// The resamples of an ill-posed problem are ill posed too, as
		// resampling adds no result between two models that had none:
		// every refit is Fit's.
		return c, true
	}
	g, e, dg := make([]float64, n), make([]float64, n), make([]float64, n)
	wt := make([]float64, len(ref.Pairs))
	gradHess(ref, 0, at, e, g, wt, dg)
	if !Dense(ref) {
		c.ic = newIncomplete(newPattern(ref), true)
		return c, c.ic.factor(ref, wt, dg)
	}
	h := make([]float64, n*n)
	hessian(ref, wt, dg, h)
	shiftHessian(h, n)
	var ok bool
	c.inv, ok = inverse(h, n)
	return c, ok
}

// inverse returns the inverse of the symmetric positive definite h (n×n),
// overwriting h, or false when h is not positive definite. Steps multiply
// by the inverse: a product of a matrix and a vector keeps the processor
// busier than two triangular solves, whose every row waits for the one
// before and divides.
func inverse(h []float64, n int) ([]float64, bool) {
	chol := make([]float64, n*n)
	if !cholesky(h, chol, n) {
		return nil, false
	}
	col := make([]float64, n)
	for j := range n {
		clear(col)
		col[j] = 1
		cholSolve(chol, n, col)
		for i := range n {
			h[i*n+j] = col[i]
		}
	}
	return h, true
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
// below tol, like Fit with NoReport: the optimum of p under p's own rule,
// the maximum likelihood when it exists, else the fit with virtual ties.
// Ratings live in w.
func (c *Chord) Refit(p Problem, tol float64, w *Work) Result {
	w.resize(c.n)
	r := w.r
	copy(r, c.at)
	if !c.wellPosed || !wellPosed(p, c.twoWay) {
		return c.fit(p, tol, w, 0)
	}
	if c.ic != nil {
		return c.anderson(p, tol, w)
	}
	prev := math.Inf(1)
	for it := 1; it <= chordSteps; it++ {
		c.gradient(p, it, w)
		c.apply(w.g, w.step, w)
		stepMax := 0.0
		for i, s := range w.step {
			r[i] -= s
			stepMax = max(stepMax, math.Abs(s))
		}
		if !(stepMax < math.Inf(1)) {
			copy(r, c.at)
			return c.finish(p, tol, w, it)
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
			return c.finish(p, tol, w, it)
		}
		prev = stepMax
	}
	return c.finish(p, tol, w, chordSteps)
}

// andersonDepth is how many earlier chord steps Anderson's mixing
// combines, and andersonSteps bounds its iterations.
const (
	andersonDepth = 10
	andersonSteps = 60
)

// anderson refits the well-posed p by chord steps with Anderson's mixing
// (Anderson, J. ACM 12, 1965; Walker and Ni, SIAM J. Numer. Anal. 49,
// 2011): each step combines the last andersonDepth steps and their changes
// to cancel what the reference's factor gets wrong about p's Hessian. On a
// sparse board a resample's Hessian differs from the reference's by much
// (a pair of one battle resampled to 0, 1, 2 or 3), the plain chord
// contracts by 0.5 to 0.8 a step, and Newton's method needs a
// conjugate-gradient solve per step; the mixed chord builds one set of
// directions across all its steps, as a single such solve does. It stops
// when a chord step is below tol/3, which leaves the refit within tol of
// its optimum (measured on sparse boards of 300 models: at most 0.6·tol
// over 420 refits; the chord steps are those of the factor that
// sparse.go describes); should the steps grow, finish takes over from the
// reference's ratings.
func (c *Chord) anderson(p Problem, tol float64, w *Work) Result {
	n, depth := c.n, andersonDepth
	w.mix = grow(w.mix, (2*depth+2)*n)
	dx, df := w.mix[:depth*n], w.mix[depth*n:2*depth*n]
	xPrev, fPrev := w.mix[2*depth*n:(2*depth+1)*n], w.mix[(2*depth+1)*n:]
	r, f := w.r, w.step
	var a [andersonDepth * andersonDepth]float64
	var b, gamma [andersonDepth]float64
	best := math.Inf(1)
	for it := 1; it <= andersonSteps; it++ {
		c.gradient(p, it, w)
		c.apply(w.g, f, w)
		fMax := 0.0
		for i := range f {
			f[i] = -f[i]
			fMax = max(fMax, math.Abs(f[i]))
		}
		if fMax < tol/3 {
			for i := range r {
				r[i] += f[i]
			}
			centre(r)
			return Result{Ratings: r, WellPosed: true, Iterations: it}
		}
		if !(fMax < 100*best) { // growing, or not finite
			copy(r, c.at)
			return c.finish(p, tol, w, it)
		}
		best = min(best, fMax)
		// The history: the changes of x and of f over the last steps, and
		// the products of the changes of f, kept from step to step.
		k := min(it-1, depth)
		if it > 1 {
			j := (it - 2) % depth
			dj := df[j*n : (j+1)*n]
			for i := range n {
				dx[j*n+i] = r[i] - xPrev[i]
				dj[i] = f[i] - fPrev[i]
			}
			for v := range k {
				a[j*depth+v] = dot(dj, df[v*n:(v+1)*n])
				a[v*depth+j] = a[j*depth+v]
			}
		}
		copy(xPrev, r)
		copy(fPrev, f)
		if k == 0 {
			for i := range r {
				r[i] += f[i]
			}
			continue
		}
		// γ minimises |f − ΔF·γ|, by the normal equations with a ridge
		// of 1e-10 of their trace against rounding.
		trace := 0.0
		for u := range k {
			b[u] = dot(df[u*n:(u+1)*n], f)
			trace += a[u*depth+u]
		}
		var m [andersonDepth * andersonDepth]float64
		for u := range k {
			for v := range k {
				m[u*k+v] = a[u*depth+v]
			}
			m[u*k+u] += 1e-10 * trace
			gamma[u] = b[u]
		}
		var l [andersonDepth * andersonDepth]float64
		if !cholesky(m[:k*k], l[:k*k], k) {
			for i := range r {
				r[i] += f[i]
			}
			continue
		}
		cholSolve(l[:k*k], k, gamma[:k])
		for i := range r {
			s := f[i]
			for u := range k {
				s -= gamma[u] * (dx[u*n+i] + df[u*n+i])
			}
			r[i] += s
		}
	}
	return c.finish(p, tol, w, andersonSteps)
}

// gradient sets w.g to the gradient of p's −log L at w.r, which at
// iteration 1 is the reference's ratings, whose probabilities the chord
// keeps.
func (c *Chord) gradient(p Problem, it int, w *Work) {
	if it > 1 {
		gradHess(p, 0, w.r, w.e, w.g, nil, nil)
		return
	}
	g := w.g
	clear(g)
	at, gi := int32(-1), 0.0 // g[I] of a run of pairs in a register (see hessVec)
	for k, q := range p.Pairs {
		if q.I != at {
			if at >= 0 {
				g[at] = gi
			}
			at, gi = q.I, g[q.I]
		}
		d := Alpha * (q.N*c.p0[k] - q.W)
		gi += d
		g[q.J] -= d
	}
	if at >= 0 {
		g[at] = gi
	}
}

// apply sets z to the reference's inverse Hessian times v, with w's
// scratch.
func (c *Chord) apply(v, z []float64, w *Work) {
	if c.ic != nil {
		c.ic.apply(v, z, w.y)
		return
	}
	mulDense(c.inv, c.n, v, z)
}

// mulDense writes m·v into out, m n×n. Four sums, each of every fourth
// term, keep the processor's adders busy: one sum waits for each addition
// before the next.
func mulDense(m []float64, n int, v, out []float64) {
	for i := range out {
		row := m[i*n : (i+1)*n : (i+1)*n]
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
// takes at most newtonSteps steps before leaving the refit to Fit. Fit's
// own sparse steps solve to newtonForcing.
const (
	forcing       = 1e-3
	newtonForcing = 1e-4
	cgSteps       = 200
	newtonSteps   = 50
)

// finish continues the refit of a well-posed p from w.r by Newton's
// method, each step solved by conjugate gradients preconditioned with the
// reference's factor. A resample's Hessian is close enough to the
// reference's that a few iterations, each a pass over the pairs and a
// product with the factor, replace the factorisation of a new Hessian at
// every step, which costs n³/3 multiplications when dense (9 million for
// 300 models). Should the iterations stall, or a step fail to lower the
// objective, Fit redoes the refit. done is the chord steps taken.
func (c *Chord) finish(p Problem, tol float64, w *Work, done int) Result {
	r := w.r
	w.wt = grow(w.wt, len(p.Pairs))
	loss := math.NaN()
	centre(r)
	it := 1
	for ; it <= newtonSteps; it++ {
		gradHess(p, 0, r, w.e, w.g, w.wt, w.dg)
		for i, g := range w.g {
			w.next[i] = -g
		}
		if !cgSolve(c.edges, w.wt, w.dg, func(v, z []float64) { c.apply(v, z, w) }, w.next, w.step, forcing, cgSteps, &w.cg) {
			break
		}
		stepMax, full, ok := w.advance(p, 0, &loss)
		if !ok {
			break
		}
		if full && stepMax < tol {
			centre(r)
			return Result{Ratings: r, WellPosed: true, Iterations: done + it}
		}
	}
	return c.fit(p, tol, w, done+min(it, newtonSteps))
}

// fit refits p with Fit from the reference's ratings.
func (c *Chord) fit(p Problem, tol float64, w *Work, done int) Result {
	res := Fit(p, Options{Start: c.at, Tol: tol, Work: w, NoReport: true})
	res.Iterations += done
	return res
}
