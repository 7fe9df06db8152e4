// Package style owns style control: the style features of a battle's
// answers (how long and how decorated each model's answers were) and the
// contextual Bradley-Terry fit that separates a model's strength from the
// voters' taste for style (LMArena's "style control"; FastChat's
// elo_analysis --style-control, lmarena/arena-rank's ContextualBradleyTerry).
//
// For each feature k and battle, d_k = (f_a − f_b)/(f_a + f_b) (0 when both
// are 0), standardised over the leaderboard's battles to mean 0 and
// standard deviation 1. The model is
//
//	logit P(a beats b) = α(r_a − r_b) + Σ_k β_k d_k,   α = ln 10,
//
// ties counting half a win to each side, ratings r with mean 0. It is
// fitted to the exact optimum by Newton's method on the ratings and the
// coefficients jointly (Fit), with sandwich standard errors (Sandwich) or a
// multinomial bootstrap of the battles (Bootstrap).
package style

import "math"

// K is the number of style features.
const K = 4

// The features, in the order of Features and of the coefficients.
const (
	Length  = iota // characters of answer text (tokens in public conv_metadata files)
	Headers        // markdown header lines
	Lists          // ordered and unordered list items
	Bold           // bold spans (** or __)
)

// Names are the features' names in records and messages.
var Names = [K]string{"length", "headers", "lists", "bold"}

// Features are one side's style features of a battle, summed over its
// rounds: Features[Length], Features[Headers], ...
type Features [K]float64

// Diff returns the feature differences of a battle between sides a and b:
// d_k = (a_k − b_k)/(a_k + b_k), 0 when both are 0. Each lies in [−1, 1].
func Diff(a, b Features) [K]float64 {
	var d [K]float64
	for k := range K {
		if s := a[k] + b[k]; s > 0 {
			d[k] = (a[k] - b[k]) / s
		}
	}
	return d
}

// Row is W identical battles between models I and J: same outcome Y for I
// (1 won, 0 lost, 0.5 tie) and same feature differences D (I's side minus
// J's, standardised when the problem is fitted).
type Row struct {
	I, J int32
	Y    float64
	W    float64
	D    [K]float64
}

// Problem is a leaderboard's battles for the contextual fit: models
// 0..Models-1 and the rows. Rows of one pair should be next to each other
// (the fit then adds their curvature into the pair once); any order gives
// the same optimum. Active says which coefficients are estimated: a feature
// that does not vary over the battles (its standard deviation is 0) cannot
// be, and its coefficient stays 0.
type Problem struct {
	Models int
	Rows   []Row
	Active [K]bool
}

// minSD is the smallest standard deviation of a feature difference that
// Standardise accepts; below it the feature is constant over the battles.
const minSD = 1e-12

// minResidual is the smallest share of a standardised feature's variance
// that the features before it may leave unexplained; below it the feature
// is (numerically) a linear combination of them.
const minResidual = 1e-9

// Reasons why Standardise drops a feature.
const (
	DroppedConstant  = "constant"  // it does not vary over the battles
	DroppedCollinear = "collinear" // a linear combination of the features before it
)

// Scale is what Standardise did to the feature differences: the means and
// standard deviations it removed, which features the fit estimates, and
// why each other one is dropped.
type Scale struct {
	Mean, SD [K]float64
	Active   [K]bool
	Dropped  [K]string
}

// Standardise centres each feature difference of rows to mean 0 and scales
// it to standard deviation 1 over the battles (rows weighted by W; the
// population standard deviation, numpy's default, as FastChat computes
// it). A feature that does not vary, or that is a linear combination of
// the features before it (say lists and bold spans always equal), cannot
// be estimated: it is dropped (its D set to 0), which leaves the fit
// unique.
func Standardise(rows []Row) Scale {
	var sc Scale
	var n float64
	for i := range rows {
		n += rows[i].W
		for k := range K {
			sc.Mean[k] += rows[i].W * rows[i].D[k]
		}
	}
	if n == 0 {
		for k := range K {
			sc.Dropped[k] = DroppedConstant
		}
		return sc
	}
	for k := range K {
		sc.Mean[k] /= n
	}
	for i := range rows {
		for k := range K {
			x := rows[i].D[k] - sc.Mean[k]
			sc.SD[k] += rows[i].W * x * x
		}
	}
	for k := range K {
		sc.SD[k] = math.Sqrt(sc.SD[k] / n)
		sc.Active[k] = sc.SD[k] >= minSD && !math.IsNaN(sc.SD[k])
		if !sc.Active[k] {
			sc.Dropped[k] = DroppedConstant
		}
	}
	for i := range rows {
		for k := range K {
			if sc.Active[k] {
				rows[i].D[k] = (rows[i].D[k] - sc.Mean[k]) / sc.SD[k]
			} else {
				rows[i].D[k] = 0
			}
		}
	}
	// The correlations of the standardised features, factored in order
	// (Cholesky), skipping a feature whose residual variance given the
	// kept ones is nil.
	var c, l [K][K]float64
	for i := range rows {
		for k := range K {
			for j := range K {
				c[k][j] += rows[i].W * rows[i].D[k] * rows[i].D[j]
			}
		}
	}
	for k := range K {
		if !sc.Active[k] {
			continue
		}
		s := c[k][k]
		for j := range k {
			if !sc.Active[j] {
				continue
			}
			v := c[k][j]
			for i := range j {
				v -= l[k][i] * l[j][i]
			}
			l[k][j] = v / l[j][j]
			s -= l[k][j] * l[k][j]
		}
		if s < minResidual*c[k][k] {
			sc.Active[k], sc.Dropped[k] = false, DroppedCollinear
			for i := range rows {
				rows[i].D[k] = 0
			}
			continue
		}
		l[k][k] = math.Sqrt(s)
	}
	return sc
}
