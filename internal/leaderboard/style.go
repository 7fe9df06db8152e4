package leaderboard

import (
	"fmt"
	"math"
	"strings"
)

// VariantStyle marks a style-controlled record: the leaderboard of the
// same slug with the voters' taste for long and decorated answers
// separated out (Record.Style says how). It is published beside the plain
// one, to the database under the board StyleSlug(slug).
const VariantStyle = "style"

// StyleSlug is the api.leaderboard slug that a style-controlled record of
// leaderboard slug is published to: the operator opts in by adding that
// row. The folder and S3 documents go under it too.
func StyleSlug(slug string) string { return slug + "-" + VariantStyle }

// VariantOf returns the leaderboard whose style-controlled variant is
// published under slug, when slug is StyleSlug(plain) of a leaderboard
// plain that exists (exists tells): such a row of api.leaderboard is the
// operator's opt-in to publish that variant, not a category, and holds no
// battles of its own. Any other slug, "foo-style" without a "foo" row
// included, is not a variant's.
func VariantOf(slug string, exists func(string) bool) (plain string, ok bool) {
	plain, ok = strings.CutSuffix(slug, "-"+VariantStyle)
	if !ok || plain == "" || !exists(plain) {
		return "", false
	}
	return plain, true
}

// ReasonNoStyleLeaderboard is why snapshot-publish skips a
// style-controlled record for the database: api.leaderboard has no row
// StyleSlug(slug).
const ReasonNoStyleLeaderboard = "no_style_leaderboard"

// Interval methods of a style-controlled record.
const (
	IntervalsSandwich  = "sandwich"
	IntervalsBootstrap = "bootstrap"
)

// Style describes the contextual Bradley-Terry fit behind a
// style-controlled record: logit P(a beats b) = ln10·(r_a − r_b) +
// Σ β_k·d_k, d_k = (f_a − f_b)/(f_a + f_b) standardised over the
// leaderboard's battles.
type Style struct {
	// Intervals is how the entries' and coefficients' intervals were
	// computed: "sandwich" (robust standard errors, normal quantiles) or
	// "bootstrap" (percentiles of rounds that resample battles).
	Intervals string `json:"intervals"`
	// LengthUnit is what the length feature counts: "characters" of the
	// answers (battles-export --style) or "tokens" (public conv_metadata).
	LengthUnit   string        `json:"length_unit"`
	Coefficients []Coefficient `json:"coefficients"`
}

// Coefficient is one style feature's effect: Beta is the change of the
// log odds of winning per standard deviation of the feature's difference
// d_k, with its interval; Mean and SD are the mean and (population)
// standard deviation of d_k over the battles, removed before fitting.
// A feature that cannot be estimated is Dropped, with the reason
// ("constant": it did not vary; "collinear": a linear combination of the
// features before it), and its beta and interval are 0.
type Coefficient struct {
	Feature string  `json:"feature"` // length, headers, lists, bold
	Beta    float64 `json:"beta"`
	CILower float64 `json:"ci_lower"`
	CIUpper float64 `json:"ci_upper"`
	Mean    float64 `json:"mean"`
	SD      float64 `json:"sd"`
	Dropped string  `json:"dropped,omitempty"`
}

// ReasonStyleFitFailed is why a style-controlled record is skipped when
// its fit or its intervals could not be computed (a singular information
// matrix).
const ReasonStyleFitFailed = "style_fit_failed"

// validateVariant checks the variant and, for a style-controlled record,
// its coefficients.
func validateVariant(r *Record) error {
	switch r.Variant {
	case "":
		if r.Style != nil {
			return fmt.Errorf("style without variant %q", VariantStyle)
		}
		return nil
	case VariantStyle:
	default:
		return fmt.Errorf("variant %q is not %q", r.Variant, VariantStyle)
	}
	if r.Status != Ranked {
		return nil
	}
	if r.Style == nil {
		return fmt.Errorf("variant %q without its style fit", r.Variant)
	}
	for _, c := range r.Style.Coefficients {
		for _, v := range []float64{c.Beta, c.CILower, c.CIUpper, c.Mean, c.SD} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("style coefficient %q: not a finite number", c.Feature)
			}
		}
		if c.CILower > c.CIUpper {
			return fmt.Errorf("style coefficient %q: ci_lower %g is above ci_upper %g", c.Feature, c.CILower, c.CIUpper)
		}
	}
	return nil
}
