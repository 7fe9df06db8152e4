// Package snapshot owns what a published leaderboard looks like outside the
// database: the snapshot's JSON document, the index of every leaderboard's
// latest snapshot, the identifier naming a snapshot, and its SVG chart.
// It does no I/O; the sinks store what it makes.
package snapshot

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/bixarena/arena-snapshots/internal/leaderboard"
)

// IdentifierLayout is the time layout of a snapshot identifier (UTC).
const IdentifierLayout = "2006-01-02_15-04-05"

// Identifier names the snapshot published at t: snapshot_YYYY-MM-DD_HH-MM-SS
// in UTC (DESIGN §5).
func Identifier(t time.Time) string {
	return "snapshot_" + t.UTC().Format(IdentifierLayout)
}

// Description is the snapshot's description in the database (DESIGN §5).
func Description(rec *leaderboard.Record) string {
	return fmt.Sprintf("Leaderboard snapshot with %d evaluations and %d ranked models", rec.Battles, len(rec.Entries))
}

// SameNumbers reports whether d holds rec's numbers as the database
// compares them (store.PublishSnapshot): the same battles and entries,
// each with the same model, rank, score, bounds (to numeric(10,6)) and
// votes.
func SameNumbers(d *Document, rec *leaderboard.Record) bool {
	if d.Battles != rec.Battles || len(d.Entries) != len(rec.Entries) || d.Variant != rec.Variant {
		return false
	}
	for i, e := range rec.Entries {
		o := d.Entries[i].Entry
		if o.Model != e.Model || o.Rank != e.Rank || o.Votes != e.Votes || Round6(o.Score) != Round6(e.Score) ||
			Round6(o.CILower) != Round6(e.CILower) || Round6(o.CIUpper) != Round6(e.CIUpper) {
			return false
		}
	}
	return true
}

// Round6 rounds x to 6 decimals, as numeric(10,6) stores it, so that the
// documents and the database carry the same numbers.
func Round6(x float64) float64 {
	r := math.Round(x*1e6) / 1e6
	if r == 0 {
		return 0 // no "-0"
	}
	return r
}

// Model is what the database knows about a model.
type Model struct {
	Name         string
	Organization string // "" when unknown
	License      string
	Link         string
}

// Meta is what publishing adds to a record: its identifier and time, and,
// when the database is at hand, the snapshot's id, the leaderboard's name
// and the models' details.
type Meta struct {
	Identifier  string
	SnapshotID  string           // "" without the database
	PublishedAt time.Time        // written to the second, in UTC
	Name        string           // the leaderboard's name; "" keeps the record's
	Models      map[string]Model // by slug; nil without the database
}

// Document is a snapshot's JSON document.
type Document struct {
	Leaderboard string                 `json:"leaderboard"`
	Name        string                 `json:"name"`
	Identifier  string                 `json:"snapshot_identifier"`
	SnapshotID  string                 `json:"snapshot_id,omitempty"`
	PublishedAt string                 `json:"published_at"`
	AsOf        string                 `json:"as_of,omitempty"`       // the record's: when its battles were read
	ExportedAt  string                 `json:"exported_at,omitempty"` // the record's: the export time
	Battles     int64                  `json:"battles"`
	Models      int                    `json:"models"`
	Params      leaderboard.Params     `json:"params"`
	Provenance  leaderboard.Provenance `json:"provenance"`
	Fit         *leaderboard.Fit       `json:"fit,omitempty"`
	// A style-controlled leaderboard (published under
	// leaderboard.StyleSlug) names its variant, the plain leaderboard it
	// is a variant of, and its style fit's coefficients.
	Variant   string             `json:"variant,omitempty"`
	VariantOf string             `json:"variant_of,omitempty"`
	Style     *leaderboard.Style `json:"style,omitempty"`
	Entries   []Entry            `json:"entries"`
}

// Entry is one model's line of a document: the record's entry and, when
// the database is at hand, the model's name, organization, license and
// link.
type Entry struct {
	leaderboard.Entry
	Name         string `json:"name,omitempty"`
	Organization string `json:"organization,omitempty"`
	License      string `json:"license,omitempty"`
	Link         string `json:"link,omitempty"`
}

// Label is the name a chart shows for the entry: the model's name when
// known, else its slug.
func (e Entry) Label() string {
	if e.Name != "" {
		return e.Name
	}
	return e.Model
}

// StyleLabel is the words that say a leaderboard is style-controlled.
const StyleLabel = "style-controlled"

// VariantName is the name a variant's document carries, and every place
// that shows the document (its page, the front page, its charts, the
// index) shows as it is: name with the variant's label once, "Overall
// (style-controlled)". A name that already says so (an api.leaderboard
// row named "Overall (style control)") is kept as it is.
func VariantName(name, variant string) string {
	if variant != leaderboard.VariantStyle || strings.Contains(strings.ToLower(name), "style") {
		return name
	}
	return name + " (" + StyleLabel + ")"
}

// Build makes the document of a validated ranked record.
func Build(rec *leaderboard.Record, m Meta) *Document {
	name := rec.Name
	if m.Name != "" {
		name = m.Name
	}
	if name == "" {
		name = rec.Leaderboard
	}
	var of string
	if rec.Variant == leaderboard.VariantStyle {
		of = strings.TrimSuffix(rec.Leaderboard, "-"+leaderboard.VariantStyle)
		name = VariantName(name, rec.Variant)
	}
	d := &Document{
		Leaderboard: rec.Leaderboard,
		Name:        name,
		Identifier:  m.Identifier,
		SnapshotID:  m.SnapshotID,
		PublishedAt: m.PublishedAt.UTC().Format(time.RFC3339),
		AsOf:        rec.AsOf,
		ExportedAt:  rec.ExportedAt,
		Battles:     rec.Battles,
		Models:      rec.Models,
		Params:      rec.Params,
		Provenance:  rec.Provenance,
		Fit:         rec.Fit,
		Variant:     rec.Variant,
		VariantOf:   of,
		Style:       rec.Style,
		Entries:     make([]Entry, len(rec.Entries)),
	}
	for i, e := range rec.Entries {
		e.Score, e.CILower, e.CIUpper = Round6(e.Score), Round6(e.CILower), Round6(e.CIUpper)
		de := Entry{Entry: e}
		if md, ok := m.Models[e.Model]; ok {
			de.Name, de.Organization, de.License, de.Link = md.Name, md.Organization, md.License, md.Link
		}
		d.Entries[i] = de
	}
	return d
}

// Marshal encodes v as indented JSON ending with a newline: the bytes the
// sinks store.
func Marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Index lists every leaderboard's latest snapshot; it lives at
// PREFIX/index.json. Paths in it are relative to PREFIX.
type Index struct {
	UpdatedAt    string       `json:"updated_at"`
	Leaderboards []IndexEntry `json:"leaderboards"`
}

// IndexEntry is one leaderboard's line of the index.
type IndexEntry struct {
	Leaderboard string `json:"leaderboard"`
	Name        string `json:"name"`
	Identifier  string `json:"snapshot_identifier"`
	SnapshotID  string `json:"snapshot_id,omitempty"`
	PublishedAt string `json:"published_at"`
	Battles     int64  `json:"battles"`
	Entries     int    `json:"entries"`
	Document    string `json:"document"`             // SLUG/IDENTIFIER.json
	Chart       string `json:"chart"`                // SLUG/IDENTIFIER.svg
	Latest      string `json:"latest"`               // SLUG/latest.json
	Variant     string `json:"variant,omitempty"`    // "style": a style-controlled leaderboard
	VariantOf   string `json:"variant_of,omitempty"` // the leaderboard it is a variant of
}

// IndexEntryOf returns the index line of a document.
func IndexEntryOf(d *Document) IndexEntry {
	return IndexEntry{
		Leaderboard: d.Leaderboard, Name: d.Name, Identifier: d.Identifier, SnapshotID: d.SnapshotID,
		PublishedAt: d.PublishedAt, Battles: d.Battles, Entries: len(d.Entries), Variant: d.Variant, VariantOf: d.VariantOf,
		Document: d.Leaderboard + "/" + d.Identifier + ".json",
		Chart:    d.Leaderboard + "/" + d.Identifier + ".svg",
		Latest:   d.Leaderboard + "/latest.json",
	}
}

// MergeIndex returns the index old (the stored bytes; nil when there is
// none) with the given lines replacing those of the same leaderboards,
// unless the stored line is of a newer snapshot (a backfill never moves
// the index back in time), sorted by leaderboard slug. Stored bytes that are not an index are an
// error: a run must not throw away what it cannot read.
func MergeIndex(old []byte, lines []IndexEntry, now time.Time) ([]byte, error) {
	var idx Index
	if len(old) > 0 {
		if err := json.Unmarshal(old, &idx); err != nil {
			return nil, fmt.Errorf("the stored index is not an index document: %v", err)
		}
	}
	by := make(map[string]IndexEntry, len(idx.Leaderboards)+len(lines))
	for _, l := range idx.Leaderboards {
		by[l.Leaderboard] = l
	}
	for _, l := range lines {
		if old, ok := by[l.Leaderboard]; ok && l.Stamp().Before(old.Stamp()) {
			continue
		}
		by[l.Leaderboard] = l
	}
	idx.Leaderboards = idx.Leaderboards[:0]
	for _, l := range by {
		idx.Leaderboards = append(idx.Leaderboards, l)
	}
	sort.Slice(idx.Leaderboards, func(i, j int) bool {
		return idx.Leaderboards[i].Leaderboard < idx.Leaderboards[j].Leaderboard
	})
	idx.UpdatedAt = now.UTC().Format(time.RFC3339)
	return Marshal(&idx)
}
