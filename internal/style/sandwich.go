package style

import (
	"math"

	"github.com/bixarena/arena-snapshots/internal/bt"
)

// Errors are the standard errors of a fit's parameters: of each rating
// (log10 units; a score's is 400 times it) and of each coefficient (0 for
// an inactive one).
type Errors struct {
	Ratings []float64
	Beta    [K]float64
}

// Sandwich returns the sandwich (robust) standard errors of fit, the
// maximum likelihood of p: the square roots of the diagonal of
//
//	V = H⁻¹ · M · H⁻¹,
//	H = Σ_b w_b·σ_b(1−σ_b)·x_b·x_bᵀ   (the observed information),
//	M = Σ_b w_b·(σ_b − y_b)²·x_b·x_bᵀ (the outer products of the battles' scores),
//
// over the rows b (w_b identical battles, x_b = ∂η_b/∂θ, σ_b the fitted
// probability that I wins, y_b its outcome): the estimator of Huber (1967)
// and White (1980), which stays valid when the model is not exactly right;
// LMArena's leaderboard has used it for its style-controlled intervals
// since 2025. The ratings are defined up to a common shift: H is inverted
// on the ratings' sum-zero subspace (H + c·11ᵀ, whose inverse differs
// from the pseudo-inverse only along 1, which M ignores), and the ratings'
// variances are those of the centred ratings r_i − mean(r). With Prior,
// H includes the virtual ties and M the battles alone (see sandwichTies).
func Sandwich(p Problem, fit Result) Errors {
	n := p.Models
	m := n + K
	th := fit.optimum
	if th == nil {
		th = fit.Theta()
	}
	if fit.Prior > 0 {
		return sandwichTies(p, fit.Prior, th)
	}
	h, meat, l := make([]float64, m*m), make([]float64, m*m), make([]float64, m*m)
	g := make([]float64, m)
	eval(p, nil, fit.Prior, th, g, h, meat)
	shift(h, n, m)
	if !bt.Cholesky(h, l, m) {
		return nanErrors(n)
	}
	out := Errors{Ratings: make([]float64, n)}
	a := h // h is not needed any more
	inverse(l, m, a, g)
	// b = M·H⁻¹; V_ii = Σ_k (H⁻¹)_ik b_ki.
	b := l
	clear(b)
	for i := range m {
		mi, bi := meat[i*m:(i+1)*m], b[i*m:(i+1)*m]
		for k, v := range mi {
			if v == 0 {
				continue
			}
			ak := a[k*m : (k+1)*m]
			for j := range bi {
				bi[j] += v * ak[j]
			}
		}
	}
	diag := make([]float64, m)
	for i := range m {
		s := 0.0
		ai := a[i*m : (i+1)*m]
		for k := range m {
			s += ai[k] * b[k*m+i]
		}
		diag[i] = s
	}
	// Centring: Var(r_i − r̄) = V_ii − 2(V·1)_i/n + 1ᵀV1/n², V·1 = H⁻¹·(b·1).
	b1 := make([]float64, m)
	for i := range m {
		for j := range n {
			b1[i] += b[i*m+j]
		}
	}
	v1 := make([]float64, m)
	for i := range m {
		for k := range m {
			v1[i] += a[i*m+k] * b1[k]
		}
	}
	total := 0.0
	for i := range n {
		total += v1[i]
	}
	nf := float64(n)
	for i := range n {
		out.Ratings[i] = math.Sqrt(max(0, diag[i]-2*v1[i]/nf+total/(nf*nf)))
	}
	for k := range K {
		if p.Active[k] {
			out.Beta[k] = math.Sqrt(max(0, diag[n+k]))
		}
	}
	return out
}

// Z returns the standard normal quantile for a two-sided interval of the
// given confidence: 1.959964 for 0.95.
func Z(confidence float64) float64 {
	return math.Sqrt2 * math.Erfinv(confidence)
}

// inverse writes into a (m×m) the inverse of the matrix whose Cholesky
// factor is l, column by column (the matrix being symmetric, so is its
// inverse: column j is row j); col (m) is scratch.
func inverse(l []float64, m int, a, col []float64) {
	for j := range m {
		clear(col)
		col[j] = 1
		bt.CholSolve(l, m, col)
		copy(a[j*m:(j+1)*m], col)
	}
}

// nanErrors is the Errors of a fit whose information matrix is singular.
func nanErrors(n int) Errors {
	out := Errors{Ratings: make([]float64, n)}
	for i := range out.Ratings {
		out.Ratings[i] = math.NaN()
	}
	for k := range K {
		out.Beta[k] = math.NaN()
	}
	return out
}

// sandwichTies is Sandwich for a fit with virtual ties, th its optimum.
// H⁻¹ is taken as (H − δδᵀ/d + D·Dᵀ/ΣD)⁻¹ (see newtonTies and untie): on
// the sum-zero ratings and the coefficients it is the block of H⁻¹ that
// V's centred ratings and coefficients read (block elimination of the
// common shift), without the variance of that shift, which at counts of
// 1e8 and more exceeds the centred ratings' variances by more than
// float64 can subtract. And V's diagonal is summed battle by battle, as
// Σ_b w_b·(σ_b − y_b)²·(P·H⁻¹·x_b)_i² (P centring the ratings), each pair's
// rows at once (the quadratic form of their acc): x_b is exactly 0 along
// 1, where M is so only to its rounding, which H⁻¹'s columns of models
// held to the others by a curvature of about 1 (a group that lost every
// battle against the others) would multiply by their common shift of the
// others' ratings. It costs O(pairs·m·K²) after the m³ of H⁻¹.
func sandwichTies(p Problem, prior float64, th []float64) Errors {
	n := p.Models
	m := n + K
	h, l := make([]float64, m*m), make([]float64, m*m)
	g := make([]float64, m)
	eval(p, nil, prior, th, g, h, nil)
	untie(h, make([]float64, n), make([]float64, n), th, n, m, prior)
	if !bt.Cholesky(h, l, m) {
		return nanErrors(n)
	}
	// pa = P·H⁻¹: H⁻¹, then each column centred over the ratings.
	pa := h
	inverse(l, m, pa, g)
	for j := range m {
		mean := 0.0
		for i := range n {
			mean += pa[i*m+j]
		}
		mean /= float64(n)
		for i := range n {
			pa[i*m+j] -= mean
		}
	}
	v := make([]float64, m)
	var a acc
	pi, pj := int32(-1), int32(-1)
	flush := func() {
		for i := range m {
			y := pa[i*m : (i+1)*m]
			u := Alpha * (y[pi] - y[pj])
			q := a.rr * u * u
			for k := range K {
				yk := y[n+k]
				q += 2 * u * a.cross[k] * yk
				for j := range K {
					q += a.bb[k][j] * yk * y[n+j]
				}
			}
			v[i] += q
		}
		a = acc{}
	}
	for r := range p.Rows {
		row := &p.Rows[r]
		if row.W == 0 {
			continue
		}
		if row.I != pi || row.J != pj {
			if pi >= 0 {
				flush()
			}
			pi, pj = row.I, row.J
		}
		s, sm := sigmoids(eta(row, th, n))
		dev := (1-row.Y)*s - row.Y*sm
		a.add(row.W*dev*dev, &row.D)
	}
	if pi >= 0 {
		flush()
	}
	out := Errors{Ratings: make([]float64, n)}
	for i := range n {
		out.Ratings[i] = math.Sqrt(max(0, v[i]))
	}
	for k := range K {
		if p.Active[k] {
			out.Beta[k] = math.Sqrt(max(0, v[n+k]))
		}
	}
	return out
}
