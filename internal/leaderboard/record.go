// Package leaderboard owns the leaderboard record (DESIGN §3): one whole
// leaderboard per NDJSON line, written by rank and read by snapshot-publish.
package leaderboard

// Status values of a record.
const (
	Ranked  = "ranked"
	Skipped = "skipped"
)

// Skip reasons (DESIGN §4).
const (
	ReasonInsufficientBattles = "insufficient_battles"
	ReasonInsufficientModels  = "insufficient_models"
	ReasonInsufficientEntries = "insufficient_qualifying_entries"
	ReasonNoEntries           = "no_qualifying_entries"
)

// Record is one leaderboard. Entries are best first.
type Record struct {
	Leaderboard string     `json:"leaderboard"`
	Variant     string     `json:"variant,omitempty"` // "" or VariantStyle
	Name        string     `json:"name,omitempty"`
	Status      string     `json:"status"`
	Reason      string     `json:"reason,omitempty"`
	Battles     int64      `json:"battles"` // qualifying battles
	Models      int        `json:"models"`  // distinct models in those battles
	Params      Params     `json:"params"`
	Provenance  Provenance `json:"provenance"`
	// AsOf is when the battles were read (RFC 3339, UTC): the export's
	// until bound for a backfill, else its export time; snapshot-publish
	// names and dates the snapshot after it, so that one run makes one
	// snapshot. Empty for a hand-made battles file: the publish time is
	// used. ExportedAt is the export time itself.
	AsOf       string  `json:"as_of,omitempty"`
	ExportedAt string  `json:"exported_at,omitempty"`
	Fit        *Fit    `json:"fit,omitempty"`
	Style      *Style  `json:"style,omitempty"` // with VariantStyle
	Entries    []Entry `json:"entries"`
	// HeadToHead is what the listed models did against each other (see
	// Meeting); rank always writes it for a ranked leaderboard, so that
	// the published documents can show it.
	HeadToHead []Meeting `json:"head_to_head,omitempty"`
	// Pairs spells out every pair of listed models (rank --pairs).
	Pairs []Pair `json:"pairs,omitempty"`
	// Dropped are the models of the battles that have no entry, with why:
	// for rank's table and messages, not part of the stream.
	Dropped []Dropped `json:"-"`
}

// Dropped is a model left out of a leaderboard's entries.
type Dropped struct {
	Model  string
	Votes  int64
	Reason string   // DroppedVotes or DroppedScore
	Flags  []string // the fit's flags of the model (Entry.Flags)
}

// Why a model has no entry (DESIGN §4's filters).
const (
	DroppedVotes = "votes" // fewer votes than min_votes
	DroppedScore = "score" // a score that is not finite or outside (0, 3000]
)

// Params are the ranking parameters a record was computed with.
type Params struct {
	Bootstrap   int  `json:"bootstrap"`
	MinVotes    int  `json:"min_votes"`
	MinBattles  int  `json:"min_battles"` // 0 when one leaderboard was chosen
	MinModels   int  `json:"min_models"`
	Significant bool `json:"significant"`
	// Confidence is the level c of the score and rank intervals: they run
	// from the (1-c)/2 to the (1+c)/2 quantile of the bootstrap rounds.
	// 0 in records written before it was recorded, which used 0.95.
	Confidence float64 `json:"confidence,omitempty"`
}

// Provenance says how to reproduce a record: the same tool version, seed
// and input (identified by its digest) give the same record.
type Provenance struct {
	Tool        string `json:"tool"`
	Version     string `json:"version"`
	Seed        uint64 `json:"seed"`
	InputDigest string `json:"input_digest"` // "sha256:<hex>" of the aggregated input
	// Filter says what the input stream held when it was not the whole
	// arena (a battles-export header's filter); nil when it was.
	Filter *Filter `json:"filter,omitempty"`
}

// Filter is what a filtered battle stream held: one leaderboard's
// battles, battles from Since and before Until (RFC 3339).
type Filter struct {
	Leaderboard string `json:"leaderboard,omitempty"`
	Since       string `json:"since,omitempty"`
	Until       string `json:"until,omitempty"`
}

// Fit describes the maximum-likelihood fit behind a ranked record.
type Fit struct {
	// WellPosed is false when the maximum likelihood does not exist:
	// a model that only won or only lost, or a comparison graph in pieces.
	WellPosed bool `json:"well_posed"`
	// Undefeated and Winless list the models that never lost or never won
	// against the rest (sorted slugs). Like Components, they name only
	// models that Entries list: well_posed false with no name means that
	// the cause lies with models the listing leaves out (min_votes).
	Undefeated []string `json:"undefeated,omitempty"`
	Winless    []string `json:"winless,omitempty"`
	// Components lists, when the listed models are in two or more pieces
	// of the comparison graph, the listed models of each piece (largest
	// piece first, slugs sorted).
	Components [][]string `json:"components,omitempty"`
	// Prior is the strength of the regularisation applied to keep the
	// scores finite on ill-posed data; 0 on well-posed data.
	Prior       float64 `json:"prior"`
	Iterations  int     `json:"iterations"`
	MaxGradient float64 `json:"max_gradient"`
	// IllPosedRounds counts the bootstrap rounds whose resampled battles
	// had no maximum likelihood.
	IllPosedRounds int `json:"ill_posed_rounds"`
	// Intervals is the interval method: IntervalsBootstrap (the
	// percentile bootstrap: each round refits its resample, DESIGN §4) or
	// IntervalsOneStep (each round is one Newton step from the fit, used
	// when more than (1 − confidence)/2 of the rounds are ill posed; see
	// the README's Ranking section).
	Intervals string `json:"intervals,omitempty"`
}

// IntervalsOneStep names the one-step bootstrap in Fit.Intervals.
const IntervalsOneStep = "one_step_bootstrap"

// Entry is one model's line of a leaderboard.
type Entry struct {
	Rank    int      `json:"rank"`
	Model   string   `json:"model"`
	Score   float64  `json:"score"`
	CILower float64  `json:"ci_lower"`
	CIUpper float64  `json:"ci_upper"`
	Votes   int64    `json:"votes"`
	Flags   []string `json:"flags,omitempty"`
	// RankBest and RankWorst bound the ranks the model plausibly holds
	// among the listed models, at the record's confidence (see
	// ranking.RankIntervals); Tier groups models that cannot be told
	// apart from their tier's first model, 1 at the top (ranking.Tiers).
	// 0 in records written before they were computed.
	RankBest  int `json:"rank_best,omitempty"`
	RankWorst int `json:"rank_worst,omitempty"`
	Tier      int `json:"tier,omitempty"`
}
