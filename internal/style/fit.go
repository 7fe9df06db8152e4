package style

import (
	"math"
	"slices"

	"github.com/bixarena/arena-snapshots/internal/bt"
)

// Alpha is ln 10, as in the plain fit: ratings are in log10 odds.
const Alpha = bt.Alpha

// fullStep is the largest Newton step (in rating or coefficient units)
// taken without a line search.
const fullStep = 0.05

// maxIter bounds Newton's iterations.
const maxIter = 200

// Result is a contextual fit.
type Result struct {
	Ratings []float64 // mean 0, log10 units (score = 400·r + 1000)
	Beta    [K]float64
	// WellPosed says that the plain Bradley-Terry maximum likelihood of
	// the same battles exists; when it does not, every model gets
	// bt.VirtualTies virtual ties (with no style difference) against a
	// phantom of rating 0, as the plain fit does, and Prior says so.
	WellPosed bool
	Prior     float64
	// Converged is false when Newton's method stopped at its iteration
	// limit or on a singular Hessian (features that are exact linear
	// combinations of each other) before its step fell below the
	// tolerance.
	Converged   bool
	Iterations  int
	MaxGradient float64 // max |∂(−log L)/∂θ| over ratings and coefficients at the result

	optimum []float64 // ratings and coefficients before centring (they differ only with Prior)
}

// Options tune a fit. The zero value is the default.
type Options struct {
	// Start, when not nil, holds the ratings (Models values) and then the
	// K coefficients to start from. It is not modified.
	Start []float64
	// Weights, when not nil, replaces each row's W (a bootstrap round).
	Weights []float64
	// Tol is the largest step, in rating or coefficient units, at which
	// the fit stops; 0 means 1e-10.
	Tol float64
	// Work, when not nil, is scratch memory reused between fits (one per
	// goroutine).
	Work *Work
	// WellPosed, when not nil, says whether the plain maximum likelihood
	// of the (weighted) battles exists, sparing Fit the check.
	WellPosed *bool
	// NoReport skips the pass that computes Result.MaxGradient (left 0):
	// bootstrap rounds do not report it.
	NoReport bool
}

// Work is scratch memory for fits of one size.
type Work struct {
	m                int
	h, chol          []float64 // m×m
	g, step, th, nxt []float64
	curv, bound      []float64 // with virtual ties: their curvatures, the gradient's rounding
	pairs            []bt.Pair
}

func (w *Work) resize(m int) {
	if w.m == m {
		return
	}
	w.m = m
	w.h, w.chol = make([]float64, m*m), make([]float64, m*m)
	w.g, w.step, w.th, w.nxt = make([]float64, m), make([]float64, m), make([]float64, m), make([]float64, m)
	w.curv, w.bound = make([]float64, m), make([]float64, m)
}

// WellPosed reports whether the plain Bradley-Terry maximum likelihood of
// the rows (weighted by weights, or by W when nil) exists (bt.WellPosed).
func WellPosed(p Problem, weights []float64) bool {
	return bt.WellPosed(bt.Problem{Models: p.Models, Pairs: plainPairs(p, weights, nil)})
}

// weight is row r's battles: weights[r], or the row's W when weights is
// nil.
func weight(p Problem, weights []float64, r int) float64 {
	if weights != nil {
		return weights[r]
	}
	return p.Rows[r].W
}

// plainPairs sums the rows into the pairs of a plain problem, into buf.
func plainPairs(p Problem, weights []float64, buf []bt.Pair) []bt.Pair {
	pairs := buf[:0]
	for r := range p.Rows {
		row := &p.Rows[r]
		w := weight(p, weights, r)
		if w == 0 {
			continue
		}
		if n := len(pairs); n == 0 || pairs[n-1].I != row.I || pairs[n-1].J != row.J {
			pairs = append(pairs, bt.Pair{I: row.I, J: row.J})
		}
		q := &pairs[len(pairs)-1]
		q.N += w
		q.W += w * row.Y
	}
	return pairs
}

// Fit returns the maximum likelihood of the contextual Bradley-Terry
// model over p: ratings (mean 0) and coefficients, by Newton's method on
// both jointly, damped by halving the step while the objective rises
// when the step is longer than 0.05, until the step is below Tol. When the
// plain maximum likelihood does not exist, the virtual ties of
// bt.VirtualTies keep every rating finite (Result.Prior); Newton's method
// then treats the common shift of the ratings, which only they hold,
// apart, and stops also on steps at the gradient's rounding (see
// newtonTies), in iterations that do not grow with the counts. The result
// is deterministic for a given order of the rows.
func Fit(p Problem, o Options) Result {
	n := p.Models
	m := n + K
	w := o.Work
	if w == nil {
		w = new(Work)
	}
	w.resize(m)
	tol := o.Tol
	if tol == 0 {
		tol = 1e-10
	}
	var res Result
	if o.WellPosed != nil {
		res.WellPosed = *o.WellPosed
	} else {
		w.pairs = plainPairs(p, o.Weights, w.pairs)
		res.WellPosed = bt.WellPosed(bt.Problem{Models: n, Pairs: w.pairs})
	}
	if !res.WellPosed {
		res.Prior = bt.VirtualTies
	}
	th := w.th
	if o.Start != nil {
		copy(th, o.Start)
	} else {
		// From the plain fit of the same battles, a few hundredths of a
		// rating from the optimum when style matters little: Newton's
		// steps are then short enough to need no line search.
		if o.WellPosed != nil {
			w.pairs = plainPairs(p, o.Weights, w.pairs)
		}
		clear(th)
		copy(th, bt.Fit(bt.Problem{Models: n, Pairs: w.pairs}, bt.Options{}).Ratings)
	}
	for k := range K {
		if !p.Active[k] {
			th[n+k] = 0
		}
	}
	if res.Prior > 0 {
		res.Iterations, res.Converged = w.newtonTies(p, o.Weights, res.Prior, tol)
	} else {
		centre(th[:n])
		loss := math.NaN()
		for res.Iterations = 1; res.Iterations <= maxIter; res.Iterations++ {
			eval(p, o.Weights, res.Prior, th, w.g, w.h, nil)
			shift(w.h, n, m)
			if !bt.Cholesky(w.h, w.chol, m) {
				break
			}
			for i := range m {
				w.step[i] = -w.g[i]
			}
			bt.CholSolve(w.chol, m, w.step)
			var stepMax float64
			stepMax, loss = advance(p, o.Weights, res.Prior, th, w.step, w.nxt, loss)
			if stepMax < tol {
				res.Converged = true
				break
			}
		}
		res.Iterations = min(res.Iterations, maxIter)
	}
	if !o.NoReport {
		eval(p, o.Weights, res.Prior, th, w.g, nil, nil)
		for _, g := range w.g {
			res.MaxGradient = max(res.MaxGradient, math.Abs(g))
		}
	}
	res.optimum = slices.Clone(th)
	centre(th[:n])
	res.Ratings = slices.Clone(th[:n])
	copy(res.Beta[:], th[n:])
	return res
}

// Theta returns the fit's parameters as one vector: the ratings, then the
// coefficients (Options.Start's layout).
func (r Result) Theta() []float64 {
	return append(slices.Clone(r.Ratings), r.Beta[:]...)
}

// advance moves th along step as bt's fit does: the whole step near the
// optimum, else halved until the objective does not rise. It returns the
// largest change of a parameter and the objective at the new point (NaN
// when not computed). next is scratch.
func advance(p Problem, weights []float64, prior float64, th, step, next []float64, loss float64) (float64, float64) {
	stepMax := 0.0
	for _, s := range step {
		stepMax = max(stepMax, math.Abs(s))
	}
	t := 1.0
	if stepMax > fullStep {
		if math.IsNaN(loss) {
			loss = objective(p, weights, prior, th)
		}
		var v float64
		for range 60 {
			for i := range th {
				next[i] = th[i] + t*step[i]
			}
			v = objective(p, weights, prior, next)
			if v <= loss {
				break
			}
			t /= 2
		}
		loss = v
	} else {
		for i := range th {
			next[i] = th[i] + step[i]
		}
		loss = math.NaN()
	}
	copy(th, next)
	return stepMax * t, loss
}

// eta is the linear predictor of a row: α(r_I − r_J) + β·D.
func eta(row *Row, th []float64, n int) float64 {
	x := Alpha * (th[row.I] - th[row.J])
	for k := range K {
		x += th[n+k] * row.D[k]
	}
	return x
}

// objective is −log L at th (plus the virtual ties).
func objective(p Problem, weights []float64, prior float64, th []float64) float64 {
	n := p.Models
	s := 0.0
	for r := range p.Rows {
		row := &p.Rows[r]
		w := weight(p, weights, r)
		if w == 0 {
			continue
		}
		x := eta(row, th, n)
		s -= w * (row.Y*bt.LogSigmoid(x) + (1-row.Y)*bt.LogSigmoid(-x))
	}
	if prior > 0 {
		for _, v := range th[:n] {
			s -= prior * 0.5 * (bt.LogSigmoid(Alpha*v) + bt.LogSigmoid(-Alpha*v))
		}
	}
	return s
}

// eval computes at th the gradient g of −log L and, when not nil, its
// Hessian h (the observed information Σ w·σ(1−σ)·x·xᵀ, x = ∂η/∂θ) and the
// sandwich estimator's meat (Σ over battles of the outer product of each
// battle's score, w·(σ − y)²·x·xᵀ for a row of w identical battles), both
// m×m, m = Models + K. An inactive coefficient gets 1 on the diagonal of
// h and nothing else, so that its Newton step is 0.
//
// A row's x is α at I, −α at J and D at the coefficients: what a pair's
// rows add to the ratings' block is accumulated over the pair's run of
// rows and written once.
//
// With virtual ties (prior > 0), σ − y and σ(1−σ) are made of σ(η) and
// σ(−η), each exact to its rounding (sigmoids): a model without a win
// lies where its rows' σ(−η) are 1e-13 and less, which 1 − σ(η) would
// round away. Without them, the arithmetic is the well-posed fit's.
func eval(p Problem, weights []float64, prior float64, th, g, h, meat []float64) {
	n := p.Models
	m := n + K
	clear(g)
	for _, a := range [][]float64{h, meat} {
		if a != nil {
			clear(a)
		}
	}
	// With virtual ties, the ratings' sums are compensated (Neumaier):
	// each row adds the same term, of either sign, to its two models, so
	// that the battles among a group of models add up to 0 over the
	// group, as in exact arithmetic, and do not push a group held to the
	// others by a curvature of about 1 (models that lost every battle
	// against the others, among which counts of 1e12 leave rounding of
	// 1e-2) with their rounding.
	var comp []float64
	add := func(i int32, x float64) { bt.AddCompensated(&g[i], &comp[i], x) }
	if prior > 0 {
		comp = make([]float64, n)
	}
	var hA, mA acc
	pi, pj := int32(-1), int32(-1)
	var gb [K]float64
	flush := func(a *acc, dst []float64) {
		i, j := int(pi), int(pj)
		c := Alpha * Alpha * a.rr
		dst[i*m+i] += c
		dst[j*m+j] += c
		dst[i*m+j] -= c
		dst[j*m+i] -= c
		for k := range K {
			x := Alpha * a.cross[k]
			dst[i*m+n+k] += x
			dst[(n+k)*m+i] += x
			dst[j*m+n+k] -= x
			dst[(n+k)*m+j] -= x
			for l := range K {
				dst[(n+k)*m+n+l] += a.bb[k][l]
			}
		}
		*a = acc{}
	}
	for r := range p.Rows {
		row := &p.Rows[r]
		w := weight(p, weights, r)
		if w == 0 {
			continue
		}
		if row.I != pi || row.J != pj {
			if pi >= 0 {
				if h != nil {
					flush(&hA, h)
				}
				if meat != nil {
					flush(&mA, meat)
				}
			}
			pi, pj = row.I, row.J
		}
		// dev = σ − y and s·(1 − σ) = σ(η)·σ(−η); with virtual ties,
		// each from the tail where it is small (see sigmoids).
		var dev, curv float64
		if prior > 0 {
			s, sm := sigmoids(eta(row, th, n))
			dev, curv = (1-row.Y)*s-row.Y*sm, w*s*sm
		} else {
			s := bt.Sigmoid(eta(row, th, n))
			dev, curv = s-row.Y, w*s*(1-s)
		}
		c := w * dev
		if comp != nil {
			add(row.I, Alpha*c)
			add(row.J, -Alpha*c)
		} else {
			g[row.I] += Alpha * c
			g[row.J] -= Alpha * c
		}
		for k := range K {
			gb[k] += c * row.D[k]
		}
		if h != nil {
			hA.add(curv, &row.D)
		}
		if meat != nil {
			mA.add(c*dev, &row.D)
		}
	}
	if pi >= 0 {
		if h != nil {
			flush(&hA, h)
		}
		if meat != nil {
			flush(&mA, meat)
		}
	}
	for k := range K {
		if p.Active[k] {
			g[n+k] = gb[k]
		} else if h != nil {
			for l := range m {
				h[(n+k)*m+l], h[l*m+n+k] = 0, 0
			}
			h[(n+k)*m+n+k] = 1
		}
	}
	if prior > 0 {
		for i, v := range th[:n] {
			sg, sm := sigmoids(Alpha * v)
			g[i] += comp[i] + Alpha*prior*(sg-sm)/2
			if h != nil {
				h[i*m+i] += Alpha * Alpha * prior * sg * sm
			}
		}
	}
}

// acc sums c·x·xᵀ over a pair's rows, x = (α at I, −α at J, D).
type acc struct {
	rr    float64       // Σ c: α²·rr goes to the ratings' block
	cross [K]float64    // Σ c·D_k: ±α·cross[k] goes to (I or J, k)
	bb    [K][K]float64 // Σ c·D_k·D_l
}

func (a *acc) add(c float64, d *[K]float64) {
	a.rr += c
	for k := range K {
		cd := c * d[k]
		a.cross[k] += cd
		for l := range K {
			a.bb[k][l] += cd * d[l]
		}
	}
}

// shift adds c·11ᵀ to the ratings' block of the m×m Hessian h: the
// likelihood does not change when every rating moves by the same amount,
// so h has the null space (1, …, 1, 0, …, 0); the shift makes h positive
// definite without changing a Newton step, which stays orthogonal to it as
// the gradient is (bt's shiftHessian, with the coefficients' block left
// alone).
func shift(h []float64, n, m int) {
	c := 0.0
	for i := range n {
		c = max(c, h[i*m+i])
	}
	c = max(c, 1) / float64(n)
	for i := range n {
		for j := range n {
			h[i*m+j] += c
		}
	}
}

func centre(r []float64) {
	if len(r) == 0 {
		return
	}
	s := 0.0
	for _, v := range r {
		s += v
	}
	s /= float64(len(r))
	for i := range r {
		r[i] -= s
	}
}
