package style

import (
	"math"

	"github.com/bixarena/arena-snapshots/internal/bt"
)

// A fit with virtual ties (Result.Prior > 0) has a direction that the
// battles do not see: a common shift of every rating leaves the
// likelihood unchanged, and only the virtual ties, with a curvature of
// α²·prior·Σ σ(1−σ) (tens at most), hold it, while the battles' curvature
// grows with their counts (1e13 and more a model at counts of 1e12 a
// battle line). Newton's method on all the ratings jointly then finds its
// steps along that direction from rounding, drifts the whole board to
// where the virtual ties' curvature vanishes too, and its Hessian stops
// being positive definite. newtonTies treats the shift apart: Newton
// steps on the ratings' differences and the coefficients, with the shift
// solved exactly for each (balance).

// newtonTies runs Newton's method from w.th for a fit with virtual ties
// and returns the steps taken and whether it converged.
//
// Write the ratings r = u + t·1 with Σu = 0. The shift t enters only the
// virtual ties' terms, and for given u their optimum in t is where
// Σ_i (σ(α·r_i) − ½) = 0 (balance); every point visited is balanced so.
// A step then is the Newton step of the objective minimised over t,
// F(u, β): its gradient is the whole gradient g (at the balanced t, the
// battles' part sums to 0 over the ratings and so does the virtual ties'),
// its Hessian H − δδᵀ/d on the sum-zero subspace (block elimination of
// t; H the whole Hessian, δ_i = α²·prior·σ_i(1−σ_i) the virtual ties'
// curvatures, d = Σδ), and the system solved is
//
//	(H − δδᵀ/d + D·Dᵀ/ΣD)·s = −(g − δ·Σg/d)
//
// (1 on the ratings, D the diagonal of H − δδᵀ/d there; see untie), its
// solution centred. H·1 = δ, so H − δδᵀ/d is null along 1 and positive
// definite on the sum-zero subspace whatever the board's distance from
// 0, and D·Dᵀ/ΣD, positive along 1, changes the solution only by a
// multiple of 1; subtracting δ·Σg/d is the block elimination's share of
// the gradient along t, Σg, the battles' rounding. The step is then the
// whole Newton step's sum-zero part, from a matrix that rounding cannot
// make singular. Steps longer than fullStep are halved until the slope of F
// along them, g·s at the balanced point, is not positive (F is convex: it
// then lies below F at the start all the way).
//
// Newton's method stops on a whole step below tol, or on a whole step
// under fullStep, more than half the one before, from a gradient within
// its rounding (atRounding): the step then is the gradient's rounding
// over the curvature (bt.Fit stops the same way). Iterations do not grow
// with the counts' size (see TestIllPosedAcrossScales).
func (w *Work) newtonTies(p Problem, weights []float64, prior, tol float64) (int, bool) {
	n, m := p.Models, w.m
	th, g, step, next := w.th, w.g, w.step, w.nxt
	w.roundingBounds(p, weights, prior)
	balance(th[:n])
	prev := math.Inf(1) // the last step, when whole
	for it := 1; it <= maxIter; it++ {
		eval(p, weights, prior, th, g, w.h, nil)
		d := untie(w.h, w.curv, next, th, n, m, prior)
		if !bt.Cholesky(w.h, w.chol, m) {
			return it, false
		}
		sum := 0.0
		for _, v := range g[:n] {
			sum += v
		}
		for i := range m {
			step[i] = -g[i]
		}
		if d > 0 {
			for i := range n {
				step[i] += w.curv[i] * sum / d
			}
		}
		bt.CholSolve(w.chol, m, step)
		centre(step[:n])
		stepMax := 0.0
		for _, s := range step {
			stepMax = max(stepMax, math.Abs(s))
		}
		rounded := stepMax <= fullStep && stepMax > prev/2 && w.atRounding()
		t := 1.0
		if stepMax <= fullStep {
			for i := range th {
				th[i] += step[i]
			}
			balance(th[:n])
		} else {
			ok := false
			for range maxHalvings + 1 {
				for i := range th {
					next[i] = th[i] + t*step[i]
				}
				balance(next[:n])
				eval(p, weights, prior, next, g, nil, nil)
				if dot(g, step) <= 0 {
					ok = true
					break
				}
				t /= 2
			}
			if !ok {
				return it, false
			}
			copy(th, next)
		}
		whole := t == 1 && stepMax <= fullStep
		if whole && (stepMax < tol || rounded) {
			return it, true
		}
		prev = math.Inf(1)
		if whole {
			prev = stepMax
		}
	}
	return maxIter, false
}

// maxHalvings bounds the halvings of a damped step: a Newton step a
// billion times too long is not a step to take.
const maxHalvings = 30

// untie turns the whole Hessian h at th into the matrix of newtonTies'
// system, H − δδᵀ/d + D·Dᵀ/ΣD on the ratings' block, sets delta (n
// values) to δ and returns d = Σδ (see newtonTies); diag (n values) is
// scratch. δδᵀ/d removes from the virtual ties' curvature diag(δ) its part
// along 1, and no more (by Cauchy-Schwarz diag(δ) − δδᵀ/d is positive
// semi-definite, null only along 1). D·Dᵀ/ΣD, D the diagonal after that,
// puts along 1 a curvature of ΣD, each rating's share in proportion to
// its own curvature: unlike shift's c·11ᵀ, it does not swamp by rounding
// the row of a model that only a curvature of about 1 holds (a model
// without a win, among models with curvatures of 1e13), and the inverse's
// columns of such a model hold no common shift of the others' ratings,
// which the sandwich's meat, null along 1 only to its rounding, would
// multiply (see Sandwich).
func untie(h, delta, diag, th []float64, n, m int, prior float64) float64 {
	d := 0.0
	for i, v := range th[:n] {
		s, sm := sigmoids(Alpha * v)
		delta[i] = Alpha * Alpha * prior * s * sm
		d += delta[i]
	}
	if d > 0 {
		for i := range n {
			row := h[i*m : i*m+n]
			a := delta[i] / d
			for j := range n {
				row[j] -= a * delta[j]
			}
		}
	}
	sum := 0.0
	for i := range n {
		diag[i] = h[i*m+i]
		sum += diag[i]
	}
	if sum > 0 {
		for i := range n {
			a := diag[i] / sum
			for j := range n {
				h[i*m+j] += a * diag[j]
			}
		}
	}
	return d
}

// balance adds to the ratings r the shift t at which the virtual ties'
// gradient sums to 0, Σ_i (σ(α(r_i + t)) − ½) = Σ_i tanh(α(r_i + t)/2)/2
// = 0: the optimum of the objective along 1, which the battles do not
// see. The sum increases with t, from −n/2 to n/2, and changes sign
// between −max r and −min r: Newton's method on it, kept in that bracket
// by bisection, to a step below 1e-12.
func balance(r []float64) {
	if len(r) == 0 {
		return
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range r {
		lo, hi = min(lo, -v), max(hi, -v)
	}
	t := min(max(0, lo), hi)
	for range 200 {
		f, df := 0.0, 0.0
		for _, v := range r {
			x := math.Tanh(Alpha * (v + t) / 2)
			f += x
			df += 1 - x*x
		}
		if f == 0 {
			break
		}
		if f > 0 {
			hi = t
		} else {
			lo = t
		}
		nt := t - 2*f/(Alpha*df)
		if !(nt > lo && nt < hi) {
			nt = lo + (hi-lo)/2
		}
		if nt == t {
			break
		}
		dt := nt - t
		t = nt
		if math.Abs(dt) < 1e-12 {
			break
		}
	}
	for i := range r {
		r[i] += t
	}
}

// gradRounding is the relative size, to the sum of the magnitudes of its
// terms, below which a computed gradient is rounding: 1024 units in the
// last place (bt's fit uses the same margin).
const gradRounding = 1024 * 0x1p-52

// roundingBounds sets w.bound to the bound of atRounding for each
// parameter: gradRounding·α·(T_i + prior) for a rating, T_i its battles,
// and gradRounding·Σ w·|D_k| for a coefficient, over the rows (weighted
// by weights, or by W when nil).
func (w *Work) roundingBounds(p Problem, weights []float64, prior float64) {
	n := p.Models
	b := w.bound
	for i := range n {
		b[i] = prior
	}
	for k := range K {
		b[n+k] = 0
	}
	for r := range p.Rows {
		row := &p.Rows[r]
		wt := weight(p, weights, r)
		b[row.I] += wt
		b[row.J] += wt
		for k := range K {
			b[n+k] += wt * math.Abs(row.D[k])
		}
	}
	for i := range n {
		b[i] *= Alpha
	}
	for i := range b {
		b[i] *= gradRounding
	}
	for k := range K {
		if !p.Active[k] {
			b[n+k] = math.Inf(1)
		}
	}
}

// atRounding reports whether the gradient w.g is within its own rounding
// error, |g_i| ≤ w.bound[i] for every parameter (roundingBounds): each row
// adds to its models' sums terms of up to α·w, exact in float64 to about
// 2⁻⁵²·α·w, which counts of 1e9 and more make larger than the gradient
// that a step of Tol leaves. No step can then be shown to be below Tol,
// and Newton's method has converged as far as float64 allows when,
// besides, its steps stop shrinking (see newtonTies).
func (w *Work) atRounding() bool {
	for i, g := range w.g {
		if !(math.Abs(g) <= w.bound[i]) {
			return false
		}
	}
	return true
}

// sigmoids returns σ(x) and σ(−x) = 1 − σ(x), each to its own relative
// rounding, without overflow.
func sigmoids(x float64) (float64, float64) {
	e := math.Exp(-math.Abs(x))
	a, b := 1/(1+e), e/(1+e)
	if x >= 0 {
		return a, b
	}
	return b, a
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i, v := range a {
		s += v * b[i]
	}
	return s
}
