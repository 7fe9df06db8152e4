package bt

import "math"

// The dense Cholesky factorisation, the logistic function and compensated
// sums, for the contextual Bradley-Terry fit of internal/style, whose
// Hessian couples every rating with the style coefficients and so stays
// dense.

// Cholesky factors the symmetric positive definite n×n matrix a (row
// major) into the lower triangle of l, reporting false when a is not
// positive definite.
func Cholesky(a, l []float64, n int) bool { return cholesky(a, l, n) }

// CholSolve solves L·Lᵀ·x = b in place, L from Cholesky.
func CholSolve(l []float64, n int, b []float64) { cholSolve(l, n, b) }

// Sigmoid is the logistic function 1/(1+e^−x), without overflow.
func Sigmoid(x float64) float64 { return sigmoid(x) }

// LogSigmoid is log σ(x), without overflow.
func LogSigmoid(x float64) float64 { return logSigmoid(x) }

// AddCompensated adds x to the sum *s, keeping in *c the rounding error
// of the additions so far (Neumaier's improvement of Kahan summation:
// A. Neumaier, ZAMM 54, 1974); *s + *c is the sum with the error of its
// terms alone, whatever their signs and sizes.
func AddCompensated(s, c *float64, x float64) {
	t := *s + x
	if math.Abs(*s) >= math.Abs(x) {
		*c += (*s - t) + x
	} else {
		*c += (x - t) + *s
	}
	*s = t
}
