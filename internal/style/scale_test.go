package style

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/bixarena/arena-snapshots/internal/bt"
)

// Boards whose counts are scaled by 1 to 1e12: without a maximum
// likelihood, the fit weighs one virtual tie per model against battles of
// up to 1e14 a model, and its Hessian spans as many orders.

var illPosedScales = []float64{1, 1e3, 1e6, 1e9, 1e12}

// winlessBoard is 3000 battles among 40 models (simulate, seed 5) where
// models 0 to 2 lose every battle against the others. With chain, among
// themselves, the higher index wins (0 never wins, 1 wins only against
// 0, 2 only against 0 and 1: each lies about log10 of its battles below
// the next); without, they win, lose and tie among themselves as
// simulated (a group held to the others only by its losses). Each row's
// W is scaled by scale.
func winlessBoard(scale float64, chain bool) Problem {
	w := simulate(5, 40, 3000, [K]float64{0.3, 0.1, -0.05, 0}, true)
	p := w.p
	p.Rows = slices.Clone(w.p.Rows)
	for r := range p.Rows {
		row := &p.Rows[r]
		if row.I < 3 && (chain || row.J >= 3) {
			row.Y = 0 // I < J: the other model wins
		}
		row.W *= scale
	}
	return p
}

// maxTiesSteps bounds the Newton steps of the fits of winlessBoard at
// every scale (5 measured at each, from the plain fit's ratings).
const maxTiesSteps = 12

// fullNewtonStep is the Newton step of the regularised objective at th
// (ratings not centred, then coefficients), computed apart from Fit: the
// gradient from each battle's exact terms, (1−y)·σ(η) − y·σ(−η) times its
// count, the same rounded term added to both models and each sum
// compensated (Neumaier), so that the battles' terms cancel over the
// ratings as they do in exact arithmetic; the dense Hessian of all the
// parameters with the virtual ties' curvature, no shift; Gaussian
// elimination with partial pivoting after equilibration.
func fullNewtonStep(p Problem, prior float64, th []float64) []float64 {
	n := p.Models
	m := n + K
	sum, comp := make([]float64, m), make([]float64, m)
	add := func(i int, x float64) { bt.AddCompensated(&sum[i], &comp[i], x) }
	h := make([]float64, m*m)
	x := make([]float64, m)
	for _, row := range p.Rows {
		clear(x)
		x[row.I], x[row.J] = math.Ln10, -math.Ln10
		e := math.Ln10 * (th[row.I] - th[row.J])
		for k := range K {
			if p.Active[k] {
				x[n+k] = row.D[k]
				e += th[n+k] * row.D[k]
			}
		}
		s, sm := 1/(1+math.Exp(-e)), 1/(1+math.Exp(e))
		c := row.W * ((1-row.Y)*s - row.Y*sm)
		t := math.Ln10 * c
		add(int(row.I), t)
		add(int(row.J), -t)
		for k := range K {
			add(n+k, c*x[n+k])
		}
		for a := range m {
			if x[a] == 0 {
				continue
			}
			for b := range m {
				h[a*m+b] += row.W * s * sm * x[a] * x[b]
			}
		}
	}
	for i := range n {
		s, sm := 1/(1+math.Exp(-math.Ln10*th[i])), 1/(1+math.Exp(math.Ln10*th[i]))
		add(i, math.Ln10*prior*(s-sm)/2)
		h[i*m+i] += math.Ln10 * math.Ln10 * prior * s * sm
	}
	for k := range K {
		if !p.Active[k] {
			h[(n+k)*m+n+k] = 1
		}
	}
	step := make([]float64, m)
	scale := make([]float64, m)
	for a := range m {
		scale[a] = 1 / math.Sqrt(h[a*m+a])
		step[a] = -(sum[a] + comp[a]) * scale[a]
	}
	for a := range m {
		for b := range m {
			h[a*m+b] *= scale[a] * scale[b]
		}
	}
	gaussSolve(h, step, m)
	for a := range m {
		step[a] *= scale[a]
	}
	return step
}

// On a board without maximum likelihood, with counts from 1 to 1e12 a
// battle line, the fit converges within a number of steps that does not
// grow with the counts, to the optimum of its objective: a Newton step
// computed apart (fullNewtonStep, every parameter, the common shift of
// the ratings included) is below 1e-12 rating or coefficient units
// (measured: 3e-15 at most). The models that won only against the ones
// below them stay in that order, below the others. Its sandwich errors
// are finite, and at counts of 1e6 and more, where the battles outweigh
// the virtual ties, they shrink as 1/√counts to 1e-3 of their value
// (measured: 5e-6 on the chain, 5e-4 at 1e12 for the group, whose
// curvature of about 1 against the others' 1e14 leaves H⁻¹ that much
// rounding; without care for the common shift they were 0 or 1e3 times
// too large from 1e8 on).
func TestIllPosedAcrossScales(t *testing.T) {
	for _, chain := range []bool{true, false} {
		t.Run(fmt.Sprint("chain=", chain), func(t *testing.T) { testIllPosedAcrossScales(t, chain) })
	}
}

func testIllPosedAcrossScales(t *testing.T, chain bool) {
	var ref Errors
	for _, scale := range illPosedScales {
		t.Run(fmt.Sprint(scale), func(t *testing.T) {
			p := winlessBoard(scale, chain)
			if WellPosed(p, nil) {
				t.Fatal("the board should have no maximum likelihood")
			}
			f := Fit(p, Options{})
			if !f.Converged || f.Iterations > maxTiesSteps || f.Prior != bt.VirtualTies {
				t.Fatalf("converged %v after %d iterations (bound %d), prior %g", f.Converged, f.Iterations, maxTiesSteps, f.Prior)
			}
			step := fullNewtonStep(p, f.Prior, f.optimum)
			size := 0.0
			for _, s := range step {
				size = max(size, math.Abs(s))
			}
			if !(size <= 1e-12) {
				t.Errorf("a Newton step of %g from the fit", size)
			}
			for i, r := range f.Ratings {
				if math.IsNaN(r) || math.IsInf(r, 0) {
					t.Fatalf("rating %d = %g", i, r)
				}
			}
			top := slices.Min(f.Ratings[3:])
			if !(slices.Max(f.Ratings[:3]) < top && (!chain || f.Ratings[0] < f.Ratings[1] && f.Ratings[1] < f.Ratings[2])) {
				t.Errorf("ratings of the models without a win over the others %v, the others' lowest %g", f.Ratings[:3], top)
			}
			se := Sandwich(p, f)
			s := math.Sqrt(scale)
			for i, e := range se.Ratings {
				if !(e > 0) || math.IsInf(e, 0) {
					t.Fatalf("standard error of rating %d = %g", i, e)
				}
				if scale == 1e6 {
					continue
				}
				if want := ref.Ratings; scale > 1e6 && math.Abs(e*s/want[i]-1) > 1e-3 {
					t.Errorf("standard error of rating %d ×√counts = %g, %g at counts of 1e6", i, e*s, want[i])
				}
			}
			for k := range K {
				if !(se.Beta[k] > 0) || math.IsInf(se.Beta[k], 0) || scale > 1e6 && math.Abs(se.Beta[k]*s/ref.Beta[k]-1) > 1e-3 {
					t.Errorf("standard error of coefficient %d ×√counts = %g", k, se.Beta[k]*s)
				}
			}
			if scale == 1e6 {
				ref.Ratings = make([]float64, len(se.Ratings))
				for i, e := range se.Ratings {
					ref.Ratings[i] = e * s
				}
				for k := range K {
					ref.Beta[k] = se.Beta[k] * s
				}
			}
			dev := 0.0
			for i, e := range se.Ratings {
				if ref.Ratings != nil {
					dev = max(dev, math.Abs(e*s/ref.Ratings[i]-1))
				}
			}
			t.Logf("%d iterations, max gradient %.3g, Newton step %.3g, errors ×√counts off those at 1e6 by %.2g", f.Iterations, f.MaxGradient, size, dev)
		})
	}
}

// A bootstrap round refits with other counts, from the full data's
// optimum, to a step below 1e-7: on the winless board at every scale, a
// round's counts (every row's W moved by up to a few of its standard
// deviations) still converge, as fast, to their own optimum.
func TestIllPosedRoundsAcrossScales(t *testing.T) {
	for _, scale := range illPosedScales {
		p := winlessBoard(scale, false)
		f := Fit(p, Options{})
		weights := make([]float64, len(p.Rows))
		for r := range p.Rows {
			w := p.Rows[r].W
			weights[r] = max(0, math.Round(w+float64(r%7-3)*math.Sqrt(w)))
		}
		wp := WellPosed(p, weights)
		g := Fit(p, Options{Start: f.optimum, Weights: weights, Tol: 1e-7, WellPosed: &wp, NoReport: true})
		if wp || !g.Converged || g.Iterations > maxTiesSteps {
			t.Errorf("scale %g: well posed %v, converged %v after %d iterations", scale, wp, g.Converged, g.Iterations)
			continue
		}
		q := p
		q.Rows = slices.Clone(p.Rows)
		for r := range q.Rows {
			q.Rows[r].W = weights[r]
		}
		size := 0.0
		for _, s := range fullNewtonStep(q, g.Prior, g.optimum) {
			size = max(size, math.Abs(s))
		}
		// Tol 1e-7: the last step taken was below it, the next one
		// (quadratic convergence) far below.
		if !(size <= 1e-7) {
			t.Errorf("scale %g: a Newton step of %g from the round's fit", scale, size)
		}
	}
}

// The maximum likelihood does not change when every count is multiplied
// by the same factor: a well-posed board's fit with counts of 1e9 times
// its own is its fit.
func TestWellPosedScaleInvariant(t *testing.T) {
	w := simulate(11, 12, 3000, [K]float64{0.3, 0.1, -0.05, 0}, true)
	if !WellPosed(w.p, nil) {
		t.Fatal("simulated data ill posed")
	}
	f := Fit(w.p, Options{})
	p := w.p
	p.Rows = slices.Clone(w.p.Rows)
	for r := range p.Rows {
		p.Rows[r].W *= 1e9
	}
	g := Fit(p, Options{})
	if !f.Converged || !g.Converged || g.Prior != 0 {
		t.Fatalf("converged %v and %v at counts ×1e9, prior %g", f.Converged, g.Converged, g.Prior)
	}
	for i := range f.Ratings {
		if d := math.Abs(g.Ratings[i] - f.Ratings[i]); !(d <= 1e-9) {
			t.Errorf("rating %d: %g at counts ×1e9, %g", i, g.Ratings[i], f.Ratings[i])
		}
	}
	for k := range K {
		if d := math.Abs(g.Beta[k] - f.Beta[k]); !(d <= 1e-9) {
			t.Errorf("coefficient %d: %g at counts ×1e9, %g", k, g.Beta[k], f.Beta[k])
		}
	}
}
