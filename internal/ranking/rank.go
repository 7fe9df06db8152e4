package ranking

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"math"
	"slices"

	"github.com/bixarena/arena-snapshots/internal/battle"
	"github.com/bixarena/arena-snapshots/internal/bootstrap"
	"github.com/bixarena/arena-snapshots/internal/bt"
	"github.com/bixarena/arena-snapshots/internal/exitcode"
	"github.com/bixarena/arena-snapshots/internal/leaderboard"
)

// Options are the ranking parameters of DESIGN §4.
type Options struct {
	Bootstrap   int
	MinVotes    int
	MinBattles  int // all leaderboards only
	MinModels   int // all leaderboards only; one chosen leaderboard uses SingleMinModels
	Significant bool
	// Confidence is the level of the score and rank intervals, in
	// [0.5, 0.999]; 0 means DefaultConfidence.
	Confidence float64
	// Pairs spells out every pair of listed models in the record.
	Pairs   bool
	Seed    uint64
	Threads int
	Version string // of the tool, for provenance
	// StyleControl adds to each leaderboard its style-controlled variant
	// (see AddStyle); StyleCI is its interval method,
	// leaderboard.IntervalsSandwich (the default) or IntervalsBootstrap.
	StyleControl bool
	StyleCI      string
	// noUncertainty leaves out rank ranges, tiers and head-to-head counts:
	// the yardstick of BenchmarkUncertainty.
	noUncertainty bool
	// inject, when set, runs at the start of each stage's goroutine
	// ("prepare", "record"): a test seam for failures there.
	inject func(stage string)
	// Progress, when not nil, is called after every bootstrap round.
	Progress func()
	// Stop, when closed, ends Records early: the leaderboards and rounds
	// not yet started are not computed, and the records are incomplete.
	Stop <-chan struct{}
}

// SingleMinModels is the least number of entries of a leaderboard chosen
// alone (DESIGN §4).
const SingleMinModels = 4

// Score bounds (DESIGN §4).
const (
	MaxScore = 3000.0
	MaxBound = 3000.0
)

// data is one leaderboard's aggregated input in canonical form: models
// sorted by slug, pairs (i < j) and cells sorted, independent of the order
// in which battles came.
type data struct {
	slug    string
	models  []string
	votes   []int64
	battles int64
	problem bt.Problem
	cells   []bootstrap.Cell
	digest  string
}

// canonical turns a board's cells into data.
func (a *Aggregator) canonical(b *board) data {
	d := data{slug: b.slug}
	local := map[int32]int32{}
	a.each(b, func(k cellKey, _ int64) {
		local[k.a], local[k.b] = 0, 0
	})
	ids := make([]int32, 0, len(local))
	for id := range local {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(x, y int32) int { return cmp.Compare(a.slugs[x], a.slugs[y]) })
	for i, id := range ids {
		local[id] = int32(i)
		d.models = append(d.models, a.slugs[id])
	}
	d.votes = make([]int64, len(ids))
	// Cells keyed by (i, j, outcome for i) with i < j.
	type ck struct {
		i, j int32
		o    battle.Outcome
	}
	merged := map[ck]int64{}
	a.each(b, func(k cellKey, n int64) {
		i, j, o, _ := orient(local[k.a], local[k.b], k.o)
		merged[ck{i, j, o}] += n
		d.votes[i] += n
		d.votes[j] += n
		d.battles += n
	})
	keys := make([]ck, 0, len(merged))
	for k := range merged {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(x, y ck) int {
		return cmp.Or(cmp.Compare(x.i, y.i), cmp.Compare(x.j, y.j), cmp.Compare(x.o, y.o))
	})
	h := sha256.New()
	d.problem.Models = len(ids)
	for _, k := range keys {
		n := merged[k]
		if len(d.problem.Pairs) == 0 || d.problem.Pairs[len(d.problem.Pairs)-1].I != k.i || d.problem.Pairs[len(d.problem.Pairs)-1].J != k.j {
			d.problem.Pairs = append(d.problem.Pairs, bt.Pair{I: k.i, J: k.j})
		}
		p := &d.problem.Pairs[len(d.problem.Pairs)-1]
		y := [...]float64{battle.AWins: 1, battle.BWins: 0, battle.Tie: 0.5}[k.o]
		p.N += float64(n)
		p.W += float64(n) * y
		d.cells = append(d.cells, bootstrap.Cell{Pair: int32(len(d.problem.Pairs) - 1), Y: y, Count: n})
		fmt.Fprintf(h, "%s\t%s\t%s\t%d\n", d.models[k.i], d.models[k.j], [...]string{"model_a", "model_b", "tie"}[k.o], n)
	}
	d.digest = "sha256:" + hex.EncodeToString(h.Sum(nil))
	return d
}

// orient returns a battle between models i and j with the lower index
// first (i < j), its outcome seen from it, and whether they swapped.
func orient(i, j int32, o battle.Outcome) (int32, int32, battle.Outcome, bool) {
	if i <= j {
		return i, j, o, false
	}
	switch o {
	case battle.AWins:
		o = battle.BWins
	case battle.BWins:
		o = battle.AWins
	}
	return j, i, o, true
}

// Records ranks every leaderboard, in output order. A leaderboard goes
// through three stages: its canonical form and full fit (prepare), its
// bootstrap rounds, which use every thread, then its intervals and ranks
// (record). The first and last stages of the neighbouring leaderboards
// run beside the rounds, so that the threads do not wait for them.
func (a *Aggregator) Records(o Options) []leaderboard.Record {
	slugs := a.Leaderboards()
	out := make([]leaderboard.Record, len(slugs))
	ready := make(chan *fitted, 1)
	// A panic in a stage's goroutine is raised again here, once the
	// others are done, so that the tool ends as an internal failure.
	var g exitcode.Group
	g.Go(func() {
		defer close(ready)
		for _, slug := range slugs {
			if stopped(o.Stop) {
				return
			}
			if o.inject != nil {
				o.inject("prepare")
			}
			ready <- a.prepare(a.canonical(a.boards[slug]), o)
		}
	})
	var plain []*fitted // kept for the style-controlled records
	if o.StyleControl {
		plain = make([]*fitted, len(slugs))
	}
	i := 0
	for f := range ready {
		f.bootstrap(o)
		if plain != nil {
			plain[i] = f
		}
		at := i
		g.Go(func() {
			if o.inject != nil {
				o.inject("record")
			}
			out[at] = f.record(o)
		})
		i++
	}
	g.Wait()
	if plain != nil {
		out = a.styleRecords(out, plain, o)
	}
	return out
}

// Rounds returns the number of bootstrap rounds Records will run (for a
// progress bar): o.Bootstrap for each leaderboard that will be fitted.
func (a *Aggregator) Rounds(o Options) int {
	n := 0
	for _, slug := range a.Leaderboards() {
		b := a.boards[slug]
		var battles int64
		models := map[int32]bool{}
		a.each(b, func(k cellKey, n int64) {
			battles += n
			models[k.a], models[k.b] = true, true
		})
		if a.skipBeforeFit(battles, len(models), o) == "" {
			n += o.Bootstrap
			if o.StyleControl && o.StyleCI == leaderboard.IntervalsBootstrap {
				n += o.Bootstrap
			}
		}
	}
	return n
}

// skipBeforeFit returns why a leaderboard of that many battles and models
// is skipped without fitting, or "" (DESIGN §4).
func (a *Aggregator) skipBeforeFit(battles int64, models int, o Options) string {
	switch {
	case a.only == "" && battles < int64(o.MinBattles):
		return leaderboard.ReasonInsufficientBattles
	case a.only == "" && models < o.MinModels:
		return leaderboard.ReasonInsufficientModels
	case models == 0:
		return leaderboard.ReasonNoEntries
	}
	return ""
}

// fitted is a leaderboard between its stages (see Records).
type fitted struct {
	d          data
	rec        leaderboard.Record // final when skipped before fitting
	skipped    bool
	minEntries int
	ratings    []float64  // the full data's
	flags      [][]string // per model
	boot       bootstrap.Result
}

// prepare builds a leaderboard's record up to its bootstrap: parameters
// and provenance, the skip before fitting, the full fit and its diagnosis.
func (a *Aggregator) prepare(d data, o Options) *fitted {
	single := a.only != ""
	rec := leaderboard.Record{
		Leaderboard: d.slug,
		Name:        a.names[d.slug],
		Status:      leaderboard.Ranked,
		Battles:     d.battles,
		Models:      len(d.models),
		Params: leaderboard.Params{
			Bootstrap:   o.Bootstrap,
			MinVotes:    o.MinVotes,
			MinBattles:  o.MinBattles,
			MinModels:   o.MinModels,
			Significant: o.Significant,
			Confidence:  cmp.Or(o.Confidence, DefaultConfidence),
		},
		Provenance: leaderboard.Provenance{Tool: "rank", Version: o.Version, Seed: o.Seed, InputDigest: d.digest, Filter: a.provenanceFilter()},
		Entries:    []leaderboard.Entry{},
	}
	f := &fitted{d: d, minEntries: o.MinModels}
	if single {
		rec.Params.MinBattles = 0
		rec.Params.MinModels = SingleMinModels
		f.minEntries = SingleMinModels
	}
	if reason := a.skipBeforeFit(d.battles, len(d.models), o); reason != "" {
		f.rec, f.skipped = skip(rec, reason), true
		return f
	}

	fit := bt.Fit(d.problem, bt.Options{})
	rec.Fit = &leaderboard.Fit{
		WellPosed:   fit.WellPosed,
		Prior:       fit.Prior,
		Iterations:  fit.Iterations,
		MaxGradient: fit.MaxGradient,
	}
	flags := make([][]string, len(d.models))
	if !fit.WellPosed {
		diag := bt.Diagnose(d.problem)
		for _, i := range diag.Undefeated {
			rec.Fit.Undefeated = append(rec.Fit.Undefeated, d.models[i])
			flags[i] = append(flags[i], "undefeated")
		}
		for _, i := range diag.Winless {
			rec.Fit.Winless = append(rec.Fit.Winless, d.models[i])
			flags[i] = append(flags[i], "winless")
		}
		for c, comp := range diag.Components {
			var names []string
			for _, i := range comp {
				names = append(names, d.models[i])
				if c > 0 {
					flags[i] = append(flags[i], "separate")
				}
			}
			rec.Fit.Components = append(rec.Fit.Components, names)
		}
	}
	f.rec, f.ratings, f.flags = rec, fit.Ratings, flags
	return f
}

// bootstrap runs the leaderboard's rounds, from a stream of its own.
func (f *fitted) bootstrap(o Options) {
	if f.skipped {
		return
	}
	h := fnv.New64a()
	h.Write([]byte(f.d.slug))
	var progress func(int)
	if o.Progress != nil {
		progress = func(int) { o.Progress() }
	}
	f.boot = bootstrap.Run(f.d.problem, f.d.cells, f.ratings, bootstrap.Options{
		Rounds: o.Bootstrap, Seed: o.Seed, Stream: h.Sum64(), Threads: o.Threads, Level: cmp.Or(o.Confidence, DefaultConfidence), Progress: progress, Stop: o.Stop,
	})
}

// record completes the leaderboard's record: entries with their
// intervals, ranked and filtered.
func (f *fitted) record(o Options) leaderboard.Record {
	if f.skipped {
		return f.rec
	}
	rec, d := f.rec, f.d
	rec.Fit.IllPosedRounds = f.boot.IllPosed
	rec.Fit.Intervals = string(f.boot.Method)
	entries := make([]leaderboard.Entry, len(d.models))
	qlo, qhi := Tails(o.Confidence)
	for i, m := range d.models {
		lo, hi := f.boot.Interval(i, qlo, qhi)
		entries[i] = leaderboard.Entry{
			Model:   m,
			Score:   400*f.ratings[i] + 1000,
			CILower: 400*lo + 1000,
			CIUpper: 400*hi + 1000,
			Votes:   d.votes[i],
			Flags:   f.flags[i],
		}
	}
	rec = finish(rec, entries, o, f.minEntries)
	if rec.Status == leaderboard.Ranked && !o.noUncertainty {
		f.uncertainty(&rec, o, &f.boot)
	}
	return rec
}

// finish orders and ranks a leaderboard's entries, then filters them in
// the order of DESIGN §4: votes, renumber, finite scores in (0, 3000],
// renumber, clamp the bounds; and skips the leaderboard when fewer than
// minEntries remain.
func finish(rec leaderboard.Record, entries []leaderboard.Entry, o Options, minEntries int) leaderboard.Record {
	// Best first; equal scores by slug, so that the order is total.
	slices.SortStableFunc(entries, func(x, y leaderboard.Entry) int {
		return cmp.Or(cmp.Compare(y.Score, x.Score), cmp.Compare(x.Model, y.Model))
	})
	if o.Significant {
		significantRanks(entries)
	} else {
		renumber(entries)
	}

	kept := entries[:0]
	for _, e := range entries {
		if e.Votes >= int64(o.MinVotes) {
			kept = append(kept, e)
		} else {
			rec.Dropped = append(rec.Dropped, leaderboard.Dropped{Model: e.Model, Votes: e.Votes, Reason: leaderboard.DroppedVotes, Flags: e.Flags})
		}
	}
	if !o.Significant {
		renumber(kept)
	}
	finite := kept[:0]
	for _, e := range kept {
		if !math.IsNaN(e.Score) && !math.IsInf(e.Score, 0) && e.Score > 0 && e.Score <= MaxScore {
			finite = append(finite, e)
		} else {
			rec.Dropped = append(rec.Dropped, leaderboard.Dropped{Model: e.Model, Votes: e.Votes, Reason: leaderboard.DroppedScore, Flags: e.Flags})
		}
	}
	if !o.Significant {
		renumber(finite)
	}
	for i := range finite {
		e := &finite[i]
		e.CILower = max(-MaxBound, min(MaxBound, e.CILower))
		e.CIUpper = max(-MaxBound, min(MaxBound, e.CIUpper))
		e.Score, e.CILower, e.CIUpper = round6(e.Score), round6(e.CILower), round6(e.CIUpper)
	}
	rec.Entries = append([]leaderboard.Entry{}, finite...)
	rec.Fit = listedDiagnosis(rec.Fit, rec.Entries)
	switch {
	case len(rec.Entries) == 0:
		return skip(rec, leaderboard.ReasonNoEntries)
	case len(rec.Entries) < minEntries:
		return skip(rec, leaderboard.ReasonInsufficientEntries)
	}
	return rec
}

// listedDiagnosis returns fit with its diagnosis (undefeated, winless,
// components) naming only the models entries list, so that every name in
// a record's fit has an entry: a model left out of the listing (fewer
// votes than min_votes, a score that is not finite) is named in the
// record's Dropped, with its flags, for rank's warning. Components keeps
// each piece's listed models, in the fit's order, and is left out when
// the listed models are not in two pieces or more.
func listedDiagnosis(fit *leaderboard.Fit, entries []leaderboard.Entry) *leaderboard.Fit {
	if fit == nil || fit.WellPosed {
		return fit
	}
	listed := make(map[string]bool, len(entries))
	for _, e := range entries {
		listed[e.Model] = true
	}
	keep := func(names []string) []string {
		var out []string
		for _, m := range names {
			if listed[m] {
				out = append(out, m)
			}
		}
		return out
	}
	out := *fit
	out.Undefeated, out.Winless, out.Components = keep(fit.Undefeated), keep(fit.Winless), nil
	for _, c := range fit.Components {
		if k := keep(c); len(k) > 0 {
			out.Components = append(out.Components, k)
		}
	}
	if len(out.Components) < 2 {
		out.Components = nil
	}
	return &out
}

// significantRanks sets rank = 1 + the number of entries whose lower bound
// is above the entry's upper bound, and orders entries by rank, keeping
// the score order among equal ranks.
func significantRanks(entries []leaderboard.Entry) {
	for i := range entries {
		r := 1
		for _, e := range entries {
			if e.CILower > entries[i].CIUpper {
				r++
			}
		}
		entries[i].Rank = r
	}
	slices.SortStableFunc(entries, func(x, y leaderboard.Entry) int { return cmp.Compare(x.Rank, y.Rank) })
}

// stopped reports whether stop is closed.
func stopped(stop <-chan struct{}) bool {
	select {
	case <-stop:
		return true
	default:
		return false
	}
}

func renumber(es []leaderboard.Entry) {
	for i := range es {
		es[i].Rank = i + 1
	}
}

func skip(rec leaderboard.Record, reason string) leaderboard.Record {
	rec.Status, rec.Reason, rec.Entries = leaderboard.Skipped, reason, []leaderboard.Entry{}
	return rec
}

// round6 rounds to the 6 decimals of numeric(10,6), where the scores are
// stored.
func round6(x float64) float64 {
	return math.Round(x*1e6) / 1e6
}
