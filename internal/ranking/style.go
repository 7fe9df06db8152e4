package ranking

import (
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"maps"
	"math"
	"slices"

	"github.com/bixarena/arena-snapshots/internal/battle"
	"github.com/bixarena/arena-snapshots/internal/leaderboard"
	"github.com/bixarena/arena-snapshots/internal/style"
)

// Style control (Options.StyleControl): every leaderboard gets a second,
// style-controlled record (leaderboard.VariantStyle) from the contextual
// Bradley-Terry fit of internal/style. Its battles cannot be collapsed
// into cells (each has its own features), so the aggregator keeps one row
// per battle line: memory grows with the battles, about 56 bytes each,
// plus 4 bytes per category a battle counts in.

// styleBoard says whether slug, a leaderboard of a stream header, is where
// another leaderboard's style-controlled variant is published
// (leaderboard.StyleSlug of another leaderboard of the header): such a row
// is the operator's opt-in, not a category, and gets no board of its own.
func styleBoard(slug string, boards []battle.LeaderboardName) bool {
	_, ok := leaderboard.VariantOf(slug, battle.HasLeaderboard(boards))
	return ok
}

// styleRow is one battle line as style control keeps it.
type styleRow struct {
	d     [style.K]float64 // feature differences, a's side minus b's
	count int64
	a, b  int32 // models by intern id
	o     battle.Outcome
}

// styleRows holds the battle lines in chunks of chunkRows, so that memory
// grows by a chunk at a time, without the copies of a growing slice, and
// can be handed back a chunk at a time (styleCanonical).
type styleRows struct {
	chunks [][]styleRow
	n      int
	boards map[string][]int32 // category leaderboards: their rows; overall has them all
	unit   string             // the length unit of the lines so far
}

const chunkRows = 1 << 16

func (s *styleRows) row(k int) *styleRow { return &s.chunks[k/chunkRows][k%chunkRows] }

func (s *styleRows) add(r styleRow) {
	if s.n%chunkRows == 0 {
		s.chunks = append(s.chunks, make([]styleRow, 0, chunkRows))
	}
	c := &s.chunks[len(s.chunks)-1]
	*c = append(*c, r)
	s.n++
}

// AddStyle records the style features of a battle that Add counted (call
// it after Add, with the same battle). Style control needs them on every
// line: a battle without them, or with a length unit other than the
// earlier lines', is an error for the caller to place.
func (a *Aggregator) AddStyle(b *battle.Battle) error {
	st := b.Style
	if st == nil {
		return fmt.Errorf(`no style features ("style" or "conv_metadata"): --style-control needs them on every battle`)
	}
	s := a.style
	if s == nil {
		s = &styleRows{boards: map[string][]int32{}, unit: st.Unit}
		a.style = s
	}
	if st.Unit != s.unit {
		return fmt.Errorf("style length in %s, where the battles before counted %s: one leaderboard cannot mix them", st.Unit, s.unit)
	}
	inOverall := a.overall != nil
	id := int32(s.n)
	var member bool
	if a.only != battle.Overall {
		a.seen = a.seen[:0]
		for _, c := range b.Categories {
			if a.only != "" && string(c) != a.only {
				continue
			}
			bd := a.boards[string(c)]
			if bd == nil || slices.Contains(a.seen, bd) {
				continue
			}
			a.seen = append(a.seen, bd)
			s.boards[bd.slug] = append(s.boards[bd.slug], id)
			member = true
		}
	}
	if !inOverall && !member {
		return nil
	}
	s.add(styleRow{
		d:     style.Diff(style.Features(st.A), style.Features(st.B)),
		count: b.Count,
		a:     a.models[string(b.ModelA)],
		b:     a.models[string(b.ModelB)],
		o:     b.Outcome,
	})
	return nil
}

// styleData is a leaderboard's style-control input in canonical form:
// models sorted by slug, rows oriented so that I < J (their features'
// sign flipped with the outcome), sorted, identical rows merged, features
// standardised.
type styleData struct {
	slug    string
	models  []string
	votes   []int64
	battles int64
	problem style.Problem
	scale   style.Scale
	digest  string
}

// styleCanonical builds the canonical form of leaderboard slug. With
// consume, on the board that holds every row (overall), it hands the
// aggregator's rows back chunk by chunk as it converts them, so that the
// two copies are never whole at once; no board can be built after that.
func (a *Aggregator) styleCanonical(slug string, consume bool) styleData {
	d := styleData{slug: slug}
	s := a.style
	if s == nil {
		s = &styleRows{}
	}
	var ids []int32
	all := a.overall != nil && slug == a.overall.slug
	if !all {
		ids = s.boards[slug]
	}
	n := len(ids)
	if all {
		n = s.n
	}
	row := func(k int) *styleRow {
		if all {
			return s.row(k)
		}
		return s.row(int(ids[k]))
	}
	local := make([]int32, len(a.slugs)) // by intern id: 1 + the board's model index, 0 when absent
	for k := range n {
		r := row(k)
		local[r.a], local[r.b] = 1, 1
	}
	var gids []int32
	for id, in := range local {
		if in != 0 {
			gids = append(gids, int32(id))
		}
	}
	slices.SortFunc(gids, func(x, y int32) int { return cmp.Compare(a.slugs[x], a.slugs[y]) })
	for i, id := range gids {
		local[id] = int32(i)
		d.models = append(d.models, a.slugs[id])
	}
	d.votes = make([]int64, len(gids))
	// oriented is a row with I < J, its outcome and features seen from I.
	oriented := func(r *styleRow) style.Row {
		i, j, o, swapped := orient(local[r.a], local[r.b], r.o)
		x := r.d
		if swapped {
			for f := range x {
				x[f] = -x[f]
			}
		}
		return style.Row{I: i, J: j, Y: [...]float64{battle.AWins: 1, battle.BWins: 0, battle.Tie: 0.5}[o], W: float64(r.count), D: x}
	}
	// The rows go straight to their place in (I, J) order (a counting
	// sort: two passes), then each pair's few rows are sorted by outcome
	// and features, which orders them all without comparing every row's
	// pair.
	pairs := newPairIndex(len(gids))
	for k := range n {
		r := oriented(row(k))
		*pairs.at(r.I, r.J)++
	}
	pairs.offsets()
	rows := make([]style.Row, n)
	for k := range n {
		r := oriented(row(k))
		at := pairs.at(r.I, r.J)
		rows[*at] = r
		*at++
		d.votes[r.I] += int64(r.W)
		d.votes[r.J] += int64(r.W)
		d.battles += int64(r.W)
		if all && consume && (k+1)%chunkRows == 0 {
			s.chunks[k/chunkRows] = nil
		}
	}
	if all && consume {
		s.chunks, s.n = nil, 0
	}
	for lo := 0; lo < len(rows); {
		hi := lo + 1
		for hi < len(rows) && rows[hi].I == rows[lo].I && rows[hi].J == rows[lo].J {
			hi++
		}
		slices.SortFunc(rows[lo:hi], func(x, y style.Row) int {
			c := cmp.Compare(x.Y, y.Y)
			for f := range style.K {
				c = cmp.Or(c, cmp.Compare(x.D[f], y.D[f]))
			}
			return c
		})
		lo = hi
	}
	merged := rows[:0]
	for _, r := range rows {
		if m := len(merged); m > 0 && merged[m-1].I == r.I && merged[m-1].J == r.J && merged[m-1].Y == r.Y && merged[m-1].D == r.D {
			merged[m-1].W += r.W
			continue
		}
		merged = append(merged, r)
	}
	rows = slices.Clip(merged)
	// The digest identifies the merged rows before standardising.
	h := sha256.New()
	for _, m := range d.models {
		fmt.Fprintf(h, "%s\n", m)
	}
	buf := make([]byte, 0, 64)
	for _, r := range rows {
		buf = binary.LittleEndian.AppendUint32(buf[:0], uint32(r.I))
		buf = binary.LittleEndian.AppendUint32(buf, uint32(r.J))
		buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(r.Y))
		buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(r.W))
		for _, x := range r.D {
			buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(x))
		}
		h.Write(buf)
	}
	d.digest = "sha256:" + hex.EncodeToString(h.Sum(nil))
	d.scale = style.Standardise(rows)
	d.problem.Active = d.scale.Active
	d.problem.Models, d.problem.Rows = len(d.models), rows
	return d
}

// styleRecords returns the plain records out with each one's
// style-controlled record after it. They are computed after the plain
// ones, the board holding every battle (overall) last: it takes the
// aggregator's rows as it goes (see styleCanonical).
func (a *Aggregator) styleRecords(out []leaderboard.Record, plain []*fitted, o Options) []leaderboard.Record {
	styled := make([]leaderboard.Record, len(out))
	last := -1
	for i, f := range plain {
		if f == nil || stopped(o.Stop) {
			return out // stopped: the caller writes nothing
		}
		if a.overall != nil && f.d.slug == a.overall.slug {
			last = i
			continue
		}
		styled[i] = a.styleRecord(f, o, false)
	}
	if last >= 0 {
		if stopped(o.Stop) {
			return out
		}
		styled[last] = a.styleRecord(plain[last], o, true)
	}
	both := make([]leaderboard.Record, 0, 2*len(out))
	for i := range out {
		both = append(both, out[i], styled[i])
	}
	return both
}

// styleRecord ranks the style-controlled variant of leaderboard slug.
// plain is the same leaderboard's plain fit, whose diagnosis of an
// ill-posed board (the same battles, the same models in the same order)
// the style-controlled record shares.
func (a *Aggregator) styleRecord(plain *fitted, o Options, consume bool) leaderboard.Record {
	slug := plain.d.slug
	d := a.styleCanonical(slug, consume)
	// Everything the plain record says of the leaderboard (name, params,
	// provenance, ...) holds for its variant, but the fit and the entries.
	rec := plain.rec
	rec.Variant = leaderboard.VariantStyle
	rec.Fit, rec.Style = nil, nil
	rec.Provenance.InputDigest = d.digest
	if o.StyleCI != leaderboard.IntervalsBootstrap {
		rec.Params.Bootstrap = 0
	}
	if plain.skipped {
		// The same battles and models: skipped before fitting for the
		// same reason.
		return rec
	}
	rec.Status, rec.Reason, rec.Entries = leaderboard.Ranked, "", []leaderboard.Entry{}
	minEntries := plain.minEntries
	fit := style.Fit(d.problem, style.Options{})
	rec.Fit = &leaderboard.Fit{
		WellPosed:   fit.WellPosed,
		Prior:       fit.Prior,
		Iterations:  fit.Iterations,
		MaxGradient: fit.MaxGradient,
	}
	st := &leaderboard.Style{Intervals: leaderboard.IntervalsSandwich, LengthUnit: a.style.unit} // a.style: battles were read
	rec.Style = st
	lower := make([]float64, len(d.models))
	upper := make([]float64, len(d.models))
	var blo, bhi [style.K]float64
	if o.StyleCI == leaderboard.IntervalsBootstrap && style.Resamplable(d.problem) {
		st.Intervals = leaderboard.IntervalsBootstrap
		h := fnv.New64a()
		h.Write([]byte(slug))
		var progress func(int)
		if o.Progress != nil {
			progress = func(int) { o.Progress() }
		}
		b := style.Bootstrap(d.problem, fit, style.BootOptions{
			Rounds: o.Bootstrap, Seed: o.Seed, Stream: h.Sum64(), Threads: o.Threads, Progress: progress, Stop: o.Stop,
		})
		rec.Fit.IllPosedRounds = b.IllPosed
		qlo, qhi := Tails(o.Confidence)
		for i := range d.models {
			lower[i], upper[i] = b.RatingInterval(i, qlo, qhi)
		}
		for k := range style.K {
			blo[k], bhi[k] = b.BetaInterval(k, qlo, qhi)
		}
	} else {
		se := style.Sandwich(d.problem, fit)
		z := style.Z(cmp.Or(o.Confidence, DefaultConfidence))
		for i, r := range fit.Ratings {
			lower[i], upper[i] = r-z*se.Ratings[i], r+z*se.Ratings[i]
		}
		for k := range style.K {
			blo[k], bhi[k] = fit.Beta[k]-z*se.Beta[k], fit.Beta[k]+z*se.Beta[k]
		}
	}
	finite := fit.Converged
	for k := range style.K {
		c := leaderboard.Coefficient{Feature: style.Names[k], Mean: round6(d.scale.Mean[k]), SD: round6(d.scale.SD[k]), Dropped: d.scale.Dropped[k]}
		if d.problem.Active[k] {
			c.Beta, c.CILower, c.CIUpper = round6(fit.Beta[k]), round6(blo[k]), round6(bhi[k])
		}
		finite = finite && allFinite(c.Beta, c.CILower, c.CIUpper)
		st.Coefficients = append(st.Coefficients, c)
	}
	for i, r := range fit.Ratings {
		finite = finite && allFinite(r, lower[i], upper[i])
	}
	if !finite {
		// Features that are linear combinations of each other are
		// dropped before fitting, so this is a board whose information
		// matrix is singular all the same: say so rather than publish
		// numbers that are not.
		rec.Fit, rec.Style = nil, nil
		return skip(rec, leaderboard.ReasonStyleFitFailed)
	}
	var flags [][]string
	if !fit.WellPosed {
		rec.Fit.Undefeated, rec.Fit.Winless, rec.Fit.Components = plain.rec.Fit.Undefeated, plain.rec.Fit.Winless, plain.rec.Fit.Components
		flags = plain.flags
	}
	entries := make([]leaderboard.Entry, len(d.models))
	for i, m := range d.models {
		entries[i] = leaderboard.Entry{
			Model:   m,
			Score:   400*fit.Ratings[i] + 1000,
			CILower: 400*lower[i] + 1000,
			CIUpper: 400*upper[i] + 1000,
			Votes:   d.votes[i],
		}
		if flags != nil {
			entries[i].Flags = flags[i]
		}
	}
	rec = finish(rec, entries, o, minEntries)
	if rec.Status == leaderboard.Ranked {
		plain.uncertainty(&rec, o, nil) // the same battles; no plain rounds for these scores
	}
	return rec
}

func allFinite(xs ...float64) bool {
	for _, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}

// pairIndex counts, then places, a board's rows by pair (i < j): a dense
// table for up to denseModels models, a map beyond.
type pairIndex struct {
	n      int32
	dense  []int
	sparse map[uint64]*int
}

const denseModels = 1024

func newPairIndex(models int) *pairIndex {
	p := &pairIndex{n: int32(models)}
	if models <= denseModels {
		p.dense = make([]int, models*models)
	} else {
		p.sparse = map[uint64]*int{}
	}
	return p
}

// at returns pair (i, j)'s counter: its rows while counting, then, after
// offsets, the place of its next row.
func (p *pairIndex) at(i, j int32) *int {
	if p.dense != nil {
		return &p.dense[int(i)*int(p.n)+int(j)]
	}
	k := uint64(i)<<32 | uint64(j)
	c := p.sparse[k]
	if c == nil {
		c = new(int)
		p.sparse[k] = c
	}
	return c
}

// offsets turns the counts into the places of each pair's first row, in
// (i, j) order.
func (p *pairIndex) offsets() {
	next := 0
	if p.dense != nil {
		for k, c := range p.dense {
			p.dense[k], next = next, next+c
		}
		return
	}
	keys := slices.Sorted(maps.Keys(p.sparse))
	for _, k := range keys {
		c := p.sparse[k]
		*c, next = next, next+*c
	}
}
