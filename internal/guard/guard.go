// Package guard owns the checks that stand between a new leaderboard and
// the public: Check compares a ranked record with the leaderboard's
// current public snapshot and names every rule the new one breaks, so that
// an implausible leaderboard (a broken categorizer, a half-migrated table,
// a filter gone wrong) is held back instead of published; Compare says for
// people what would change (the diff). It does no I/O: the caller finds
// the previous snapshot (in the database, or a sink's latest document) and
// decides what holding means.
//
// The rules, each with its name (Violation.Rule) and its threshold
// (Options, defaults in DefaultOptions):
//
//   - fewer_battles: the new record has fewer battles than the previous
//     snapshot beyond BattlesTolerance (a fraction of the previous count;
//     default 0.05). Votes never disappear, so a board that loses battles
//     lost its input, not its voters; the tolerance leaves room for battles
//     re-validated or re-categorised since.
//   - model_gone: a model the previous snapshot listed with at least
//     GoneVotes × min_votes votes (default 10 × the new record's
//     params.min_votes, at least 1) is not listed any more. Such a model
//     cannot fall under min_votes by losing a few battles.
//   - score_jump: a model on both boards moved its score by more than
//     ScoreK (default 4) times the larger of its two interval half-widths
//     ((ci_upper − ci_lower) / 2 on each board). Day-to-day moves stay
//     well within a model's interval; adding or removing a model shifts
//     every score a little (scores have mean 1000 over the fitted models),
//     which K leaves room for.
//   - leader_changed: the first entry (the top model) is another model, and
//     its interval on the new board does not overlap the old leader's
//     interval on the previous one.
//   - fewer_entries: the number of entries fell by more than EntriesDrop
//     (default 0.5: by more than half).
//
// With no previous snapshot (a new board, or the first publish) nothing is
// checked.
package guard

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/bixarena/arena-snapshots/internal/leaderboard"
)

// Rule names, as they appear in summaries, held documents and alerts.
const (
	RuleFewerBattles  = "fewer_battles"
	RuleModelGone     = "model_gone"
	RuleScoreJump     = "score_jump"
	RuleLeaderChanged = "leader_changed"
	RuleFewerEntries  = "fewer_entries"
)

// Rules lists every rule name in the order Check applies them.
var Rules = []string{RuleFewerBattles, RuleModelGone, RuleScoreJump, RuleLeaderChanged, RuleFewerEntries}

// Options are the guard's thresholds. Every field must be set (see
// DefaultOptions and Validate).
type Options struct {
	// BattlesTolerance is the fraction of the previous snapshot's battles
	// that the new record may have fewer of: 0 allows none, 1 disables
	// the rule.
	BattlesTolerance float64
	// GoneVotes is the factor of min_votes from which a model listed before
	// must be listed again.
	GoneVotes float64
	// ScoreK is how many times the larger interval half-width a model's
	// score may move.
	ScoreK float64
	// EntriesDrop is the fraction of the previous entries the new record
	// may lose: 0.5 holds a board whose entries fell by more than half.
	EntriesDrop float64
}

// Default thresholds.
const (
	DefaultBattlesTolerance = 0.05
	DefaultGoneVotes        = 10
	DefaultScoreK           = 4
	DefaultEntriesDrop      = 0.5
)

// DefaultOptions returns the documented default thresholds.
func DefaultOptions() Options {
	return Options{
		BattlesTolerance: DefaultBattlesTolerance,
		GoneVotes:        DefaultGoneVotes,
		ScoreK:           DefaultScoreK,
		EntriesDrop:      DefaultEntriesDrop,
	}
}

// Validate returns an error naming the first threshold out of its range:
// BattlesTolerance and EntriesDrop in [0, 1], GoneVotes and ScoreK
// positive, all finite.
func (o Options) Validate() error {
	for _, f := range []struct {
		name   string
		v      float64
		lo, hi float64
	}{
		{"battles tolerance", o.BattlesTolerance, 0, 1},
		{"gone votes factor", o.GoneVotes, 0, math.MaxFloat64},
		{"score K", o.ScoreK, 0, math.MaxFloat64},
		{"entries drop", o.EntriesDrop, 0, 1},
	} {
		if math.IsNaN(f.v) || math.IsInf(f.v, 0) || f.v < f.lo || f.v > f.hi {
			return fmt.Errorf("%s %v is out of range", f.name, f.v)
		}
	}
	if o.GoneVotes == 0 || o.ScoreK == 0 {
		return fmt.Errorf("the gone votes factor and score K must be above 0")
	}
	return nil
}

// Snapshot is a published leaderboard as the guard sees it: the
// leaderboard's current public snapshot, against which a new record is
// checked.
type Snapshot struct {
	SnapshotID  string    // "" when read from a sink without the database
	Identifier  string    // snapshot_YYYY-MM-DD_HH-MM-SS
	PublishedAt time.Time // the snapshot's created_at
	// Battles is the snapshot's battle count, or -1 when unknown (then
	// fewer_battles is not checked).
	Battles int64
	Entries []leaderboard.Entry // best first
}

// Ref names a snapshot in summaries and documents.
type Ref struct {
	SnapshotID  string `json:"snapshot_id,omitempty"`
	Identifier  string `json:"identifier"`
	PublishedAt string `json:"published_at"` // RFC 3339, UTC
}

// RefOf returns the reference of prev, or nil when prev is nil.
func RefOf(prev *Snapshot) *Ref {
	if prev == nil {
		return nil
	}
	return &Ref{SnapshotID: prev.SnapshotID, Identifier: prev.Identifier,
		PublishedAt: prev.PublishedAt.UTC().Format(time.RFC3339)}
}

// Violation is one broken rule: its name, the model it concerns (when
// one), a sentence for people, and the numbers behind it.
type Violation struct {
	Rule    string `json:"rule"`
	Model   string `json:"model,omitempty"`
	Message string `json:"message"`
	// Before and After are the compared quantities (battles, votes,
	// scores, entries) on the previous snapshot and the new record; Limit
	// is the threshold that was crossed, in the same unit.
	Before float64 `json:"before"`
	After  float64 `json:"after"`
	Limit  float64 `json:"limit"`
}

// Check returns the rules rec breaks compared with prev, the leaderboard's
// current public snapshot, in the order of Rules (one violation per model
// for model_gone and score_jump, models in prev's order). It returns nil
// when prev is nil or rec is not ranked. rec must be valid
// (leaderboard.Validate) and o valid (Options.Validate).
func Check(prev *Snapshot, rec *leaderboard.Record, o Options) []Violation {
	if prev == nil || rec.Status != leaderboard.Ranked || len(prev.Entries) == 0 {
		return nil
	}
	var out []Violation

	if prev.Battles >= 0 {
		floor := float64(prev.Battles) * (1 - o.BattlesTolerance)
		if float64(rec.Battles) < floor {
			drop := 1 - float64(rec.Battles)/float64(prev.Battles)
			out = append(out, Violation{Rule: RuleFewerBattles,
				Message: fmt.Sprintf("battles fell from %d to %d (%s fewer; tolerance %s)",
					prev.Battles, rec.Battles, percent(drop), percent(o.BattlesTolerance)),
				Before: float64(prev.Battles), After: float64(rec.Battles), Limit: floor})
		}
	}

	next := make(map[string]leaderboard.Entry, len(rec.Entries))
	for _, e := range rec.Entries {
		next[e.Model] = e
	}
	minVotes := max(rec.Params.MinVotes, 1)
	wellVoted := o.GoneVotes * float64(minVotes)
	for _, e := range prev.Entries {
		if _, ok := next[e.Model]; ok || float64(e.Votes) < wellVoted {
			continue
		}
		out = append(out, Violation{Rule: RuleModelGone, Model: e.Model,
			Message: fmt.Sprintf("%s is gone: it was listed with %d votes (at least %g = %g × min_votes %d)",
				e.Model, e.Votes, round6(wellVoted), o.GoneVotes, minVotes),
			Before: float64(e.Votes), After: 0, Limit: wellVoted})
	}

	for _, e := range prev.Entries {
		n, ok := next[e.Model]
		if !ok {
			continue
		}
		hw := max(halfWidth(e), halfWidth(n))
		move := n.Score - e.Score
		if limit := o.ScoreK * hw; math.Abs(move) > limit {
			out = append(out, Violation{Rule: RuleScoreJump, Model: e.Model,
				Message: fmt.Sprintf("%s moved from %.2f to %.2f (%+.2f), more than %g × %.2f (the larger interval half-width)",
					e.Model, e.Score, n.Score, move, o.ScoreK, hw),
				Before: e.Score, After: n.Score, Limit: limit})
		}
	}

	if old, top := prev.Entries[0], rec.Entries[0]; old.Model != top.Model && !overlap(old, top) {
		out = append(out, Violation{Rule: RuleLeaderChanged, Model: top.Model,
			Message: fmt.Sprintf("the top model changed from %s [%.2f, %.2f] to %s [%.2f, %.2f], intervals apart",
				old.Model, old.CILower, old.CIUpper, top.Model, top.CILower, top.CIUpper),
			Before: old.Score, After: top.Score, Limit: nearest(old, top)})
	}

	before, after := len(prev.Entries), len(rec.Entries)
	if floor := float64(before) * (1 - o.EntriesDrop); float64(after) < floor {
		out = append(out, Violation{Rule: RuleFewerEntries,
			Message: fmt.Sprintf("entries fell from %d to %d (%s fewer; at most %s allowed)",
				before, after, percent(1-float64(after)/float64(before)), percent(o.EntriesDrop)),
			Before: float64(before), After: float64(after), Limit: floor})
	}
	return out
}

// RuleNames returns the distinct rule names of vs, in the order of Rules.
func RuleNames(vs []Violation) []string {
	var out []string
	for _, r := range Rules {
		for _, v := range vs {
			if v.Rule == r {
				out = append(out, r)
				break
			}
		}
	}
	return out
}

func halfWidth(e leaderboard.Entry) float64 { return (e.CIUpper - e.CILower) / 2 }

func overlap(a, b leaderboard.Entry) bool { return a.CILower <= b.CIUpper && b.CILower <= a.CIUpper }

// nearest is the bound of old's interval that top's interval missed.
func nearest(old, top leaderboard.Entry) float64 {
	if top.CILower > old.CIUpper {
		return old.CIUpper
	}
	return old.CILower
}

func percent(f float64) string {
	p := math.Round(f*1000) / 10
	if p == math.Trunc(p) {
		return fmt.Sprintf("%.0f%%", p)
	}
	return fmt.Sprintf("%.1f%%", p)
}

// round6 rounds x to 6 decimals, as the documents' scores are
// (numeric(10,6); snapshot.Round6), so that the numbers the guard and the
// diff write carry no binary noise (a limit of 15948.6, not
// 15948.599999999999).
func round6(x float64) float64 {
	r := math.Round(x*1e6) / 1e6
	if r == 0 {
		return 0 // no "-0"
	}
	return r
}

// marshal encodes v as JSON without escaping HTML characters, as the
// summary lines and documents that hold it are written.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// MarshalJSON writes the violation with its numbers rounded (round6).
func (v Violation) MarshalJSON() ([]byte, error) {
	type plain Violation
	p := plain(v)
	p.Before, p.After, p.Limit = round6(p.Before), round6(p.After), round6(p.Limit)
	return marshal(p)
}

// MarshalJSON writes the entry with its score and interval rounded
// (round6).
func (l Listed) MarshalJSON() ([]byte, error) {
	type plain Listed
	p := plain(l)
	p.Score, p.CILower, p.CIUpper = round6(p.Score), round6(p.CILower), round6(p.CIUpper)
	return marshal(p)
}

// MarshalJSON writes the move with its scores and half-width rounded
// (round6).
func (m Move) MarshalJSON() ([]byte, error) {
	type plain Move
	p := plain(m)
	p.ScoreBefore, p.ScoreAfter, p.HalfWidth = round6(p.ScoreBefore), round6(p.ScoreAfter), round6(p.HalfWidth)
	return marshal(p)
}
