// Package site owns the leaderboard site's pages: the front page
// (PREFIX/index.html: every leaderboard with its latest snapshot's date,
// battles and top models) and a page per leaderboard (PREFIX/SLUG/index.html:
// its latest snapshot's table, chart and heatmaps, its documents and its
// earlier snapshots). Pages are made from html/template, which escapes
// every value for where it goes, after names are cleaned of what a page
// must not hold (snapshot.CleanText). They are self-contained: one file
// each, with its style inside, no script, font or image from elsewhere,
// only relative links, so that they work from a folder opened with
// file:// and from S3 static hosting alike. They do no I/O; the sinks store
// what they make, in the order of internal/sink.
package site

import (
	"bytes"
	"cmp"
	"embed"
	"fmt"
	"html/template"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bixarena/arena-snapshots/internal/battle"
	"github.com/bixarena/arena-snapshots/internal/clix"
	"github.com/bixarena/arena-snapshots/internal/leaderboard"
	"github.com/bixarena/arena-snapshots/internal/snapshot"
)

// TypeHTML is the content type of the pages.
const TypeHTML = "text/html; charset=utf-8"

// TopModels is how many of a leaderboard's models the front page shows.
const TopModels = 3

//go:embed page.html
var files embed.FS

var pages = template.Must(template.New("").Funcs(template.FuncMap{
	"odd":       func(n int) bool { return n%2 == 1 },
	"thousands": clix.Thousands,
	"split": func(s string) []string {
		if s == "" {
			return nil
		}
		return strings.Split(s, ", ")
	},
}).ParseFS(files, "page.html"))

// Front is what the front page shows: the index's leaderboards, each with
// its latest document when it could be read (nil otherwise), whether the
// job's run history (runs/index.html) is there to link, and the
// leaderboards the publish that draws the page skipped (see Pending).
type Front struct {
	Index   *snapshot.Index
	Latest  map[string]*snapshot.Document // by leaderboard slug
	Runs    bool
	Skipped []Skipped
}

// Skipped is a leaderboard that a publish skipped: its slug and name, the
// record's reason (leaderboard.ReasonInsufficientBattles, …) and why in
// rank's words (leaderboard.SkipReason).
type Skipped struct {
	Leaderboard, Name, Reason, Why string
}

// SkippedOf is the Skipped of a record whose status is leaderboard.Skipped.
func SkippedOf(r *leaderboard.Record) Skipped {
	return Skipped{Leaderboard: r.Leaderboard, Name: r.Name, Reason: r.Reason, Why: leaderboard.SkipReason(*r)}
}

// Index renders the front page.
func Index(f Front) ([]byte, error) {
	v := frontView{Updated: day(f.Index.UpdatedAt) + " " + clock(f.Index.UpdatedAt), Runs: f.Runs}
	variants := map[string][]snapshot.IndexEntry{}
	for _, l := range f.Index.Leaderboards {
		if l.VariantOf != "" {
			variants[l.VariantOf] = append(variants[l.VariantOf], l)
		}
	}
	for _, l := range frontOrder(f.Index.Leaderboards) {
		if l.VariantOf != "" && hasBoard(f.Index, l.VariantOf) {
			continue // shown with the leaderboard it is a variant of
		}
		c := card{Slug: l.Leaderboard, Name: snapshot.CleanText(l.Name), Date: day(l.PublishedAt),
			Battles: l.Battles, Entries: l.Entries, Page: l.Leaderboard + "/index.html"}
		if d := f.Latest[l.Leaderboard]; d != nil && d.Identifier == l.Identifier {
			for _, e := range d.Entries[:min(TopModels, len(d.Entries))] {
				c.Top = append(c.Top, row(e, d))
			}
		}
		for _, s := range variants[l.Leaderboard] {
			c.Variants = append(c.Variants, link{Text: variantName(s.Variant), Href: s.Leaderboard + "/index.html"})
		}
		v.Boards = append(v.Boards, c)
	}
	v.Pending = pending(f)
	return render("front", v)
}

// pending lists, by slug, the skipped leaderboards of f that have no
// snapshot in its index: those that have one keep their card. A
// style-controlled leaderboard skipped because it was not opted in to
// (leaderboard.ReasonNoStyleLeaderboard) is not waiting for anything, and
// is left out.
func pending(f Front) []skippedView {
	var out []skippedView
	for _, s := range f.Skipped {
		if hasBoard(f.Index, s.Leaderboard) || s.Reason == leaderboard.ReasonNoStyleLeaderboard {
			continue
		}
		v := skippedView{Leaderboard: snapshot.CleanText(s.Leaderboard), Name: snapshot.CleanText(s.Name), Why: snapshot.CleanText(s.Why)}
		if v.Name == "" {
			v.Name = v.Leaderboard
		}
		out = append(out, v)
	}
	slices.SortStableFunc(out, func(a, b skippedView) int { return strings.Compare(a.Leaderboard, b.Leaderboard) })
	return slices.CompactFunc(out, func(a, b skippedView) bool { return a.Leaderboard == b.Leaderboard })
}

// frontOrder returns the leaderboards in the front page's order: overall
// first, then the others by slug, each variant right after the
// leaderboard it varies (or where that one would be).
func frontOrder(boards []snapshot.IndexEntry) []snapshot.IndexEntry {
	// key: (0 for overall and its variants, else 1; the plain slug; 0 for
	// the plain leaderboard, 1 for a variant).
	key := func(l snapshot.IndexEntry) (int, string, int) {
		plain, variant := l.Leaderboard, 0
		if l.VariantOf != "" {
			plain, variant = l.VariantOf, 1
		}
		if plain == battle.Overall {
			return 0, plain, variant
		}
		return 1, plain, variant
	}
	out := slices.Clone(boards)
	slices.SortStableFunc(out, func(a, b snapshot.IndexEntry) int {
		fa, pa, va := key(a)
		fb, pb, vb := key(b)
		return cmp.Or(cmp.Compare(fa, fb), strings.Compare(pa, pb), cmp.Compare(va, vb), strings.Compare(a.Leaderboard, b.Leaderboard))
	})
	return out
}

// Board is what a leaderboard's page shows: its latest document, its
// history (nil when none is stored), and the leaderboards of the index
// (nil when none is stored), for links to its variants.
type Board struct {
	Doc     *snapshot.Document
	History *snapshot.History
	Index   *snapshot.Index
	Runs    bool
}

// BoardPage renders a leaderboard's page. Links are relative to the
// leaderboard's folder.
func BoardPage(b Board) ([]byte, error) {
	d := b.Doc
	if d == nil || len(d.Entries) == 0 {
		return nil, fmt.Errorf("page of a leaderboard without entries")
	}
	rel := func(p string) string { return strings.TrimPrefix(p, d.Leaderboard+"/") }
	level := confidence(d.Params.Confidence)
	v := boardView{
		Slug: d.Leaderboard, Name: snapshot.CleanText(d.Name), Date: day(d.PublishedAt), Time: clock(d.PublishedAt),
		Identifier: snapshot.CleanText(d.Identifier), Battles: d.Battles, Models: d.Models, Ranked: len(d.Entries),
		Level:     strconv.FormatFloat(100*level, 'f', -1, 64) + "%",
		Rounds:    d.Params.Bootstrap,
		Chart:     d.Identifier + ".svg",
		Document:  d.Identifier + ".json",
		Runs:      b.Runs,
		Confident: d.Params.Significant,
	}
	if d.Fit != nil && !d.Fit.WellPosed {
		v.IllPosed = true
	}
	v.Method = "bootstrap"
	if d.Fit != nil && d.Fit.Intervals == leaderboard.IntervalsOneStep {
		v.Method = "one-step bootstrap"
	}
	if d.VariantOf != "" {
		v.VariantOf = &link{Text: d.VariantOf, Href: "../" + d.VariantOf + "/index.html"}
	}
	if b.Index != nil {
		for _, l := range b.Index.Leaderboards {
			if v.VariantOf != nil && l.Leaderboard == d.VariantOf && l.Name != "" {
				v.VariantOf.Text = snapshot.CleanText(l.Name)
			}
			if l.VariantOf == d.Leaderboard {
				v.Variants = append(v.Variants, link{Text: variantName(l.Variant), Href: "../" + l.Leaderboard + "/index.html"})
			}
		}
	}
	if d.Style != nil {
		v.Style = styleView(d.Style)
	}
	for _, e := range d.Entries {
		r := row(e, d)
		if e.Organization != "" || e.License != "" {
			v.Details = true
		}
		v.Rows = append(v.Rows, r)
	}
	if b.History != nil {
		for _, h := range b.History.Snapshots {
			if h.Identifier == d.Identifier {
				v.Pairs, v.Observed, v.Predicted = rel(h.Pairs), rel(h.Observed), rel(h.Predicted)
				continue
			}
			v.Earlier = append(v.Earlier, earlier{
				Date: day(h.PublishedAt) + " " + clock(h.PublishedAt), Identifier: snapshot.CleanText(h.Identifier),
				Battles: h.Battles, Entries: h.Entries, Document: rel(h.Document), Chart: rel(h.Chart),
			})
		}
	}
	return render("board", v)
}

func render(name string, v any) ([]byte, error) {
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, v); err != nil {
		return nil, fmt.Errorf("page: %v", err)
	}
	return buf.Bytes(), nil
}

type frontView struct {
	Updated string
	Runs    bool
	Boards  []card
	Pending []skippedView
}

type skippedView struct{ Leaderboard, Name, Why string }

type card struct {
	Slug, Name, Date, Page string
	Battles                int64
	Entries                int
	Top                    []entryRow
	Variants               []link
}

type link struct{ Text, Href string }

type boardView struct {
	Slug, Name, Date, Time, Identifier, Level string
	Battles                                   int64
	Models, Ranked, Rounds                    int
	Chart, Document, Pairs, Observed          string
	Predicted                                 string
	Runs, IllPosed, Details, Confident        bool
	Method                                    string
	VariantOf                                 *link
	Variants                                  []link
	Style                                     *styleTable
	Rows                                      []entryRow
	Earlier                                   []earlier
}

type entryRow struct {
	Rank, Tier                 int
	Ranks                      string
	Name, Slug                 string // Slug is shown when the name is not the slug
	Organization, License      string
	Score, Lower, Upper, Minus string
	Plus                       string
	Votes                      int64
	Flags                      string
	Link                       string
}

type earlier struct {
	Date, Identifier, Document, Chart string
	Battles                           int64
	Entries                           int
}

type styleTable struct {
	Intervals, Unit string
	Rows            []styleRow
}

type styleRow struct {
	Feature, Beta, Lower, Upper string
	Dropped                     string // why the feature was not estimated
}

func row(e snapshot.Entry, d *snapshot.Document) entryRow {
	r := entryRow{
		Rank: e.Rank, Tier: e.Tier, Name: snapshot.CleanText(e.Label()),
		Organization: snapshot.CleanText(e.Organization), License: snapshot.CleanText(e.License),
		Score: num(e.Score), Lower: num(e.CILower), Upper: num(e.CIUpper),
		Minus: num(e.Score - e.CILower), Plus: num(e.CIUpper - e.Score),
		Votes: e.Votes, Flags: snapshot.CleanText(strings.Join(e.Flags, ", ")),
	}
	if e.RankBest > 0 {
		r.Ranks = snapshot.RankRange(e.RankBest, e.RankWorst)
	}
	if e.Name != "" && e.Name != e.Model {
		r.Slug = snapshot.CleanText(e.Model)
	}
	if strings.HasPrefix(e.Link, "https://") || strings.HasPrefix(e.Link, "http://") {
		r.Link = snapshot.CleanText(e.Link)
	}
	return r
}

func styleView(s *leaderboard.Style) *styleTable {
	t := &styleTable{Intervals: snapshot.CleanText(s.Intervals), Unit: snapshot.CleanText(s.LengthUnit)}
	for _, c := range s.Coefficients {
		r := styleRow{Feature: snapshot.CleanText(c.Feature), Dropped: snapshot.CleanText(c.Dropped)}
		if c.Dropped == "" {
			f := func(x float64) string { return strconv.FormatFloat(x, 'f', 3, 64) }
			r.Beta, r.Lower, r.Upper = f(c.Beta), f(c.CILower), f(c.CIUpper)
		}
		t.Rows = append(t.Rows, r)
	}
	return t
}

func num(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "–"
	}
	return strconv.FormatFloat(x, 'f', 1, 64)
}

func hasBoard(idx *snapshot.Index, slug string) bool {
	for _, l := range idx.Leaderboards {
		if l.Leaderboard == slug {
			return true
		}
	}
	return false
}

func variantName(v string) string {
	if v == leaderboard.VariantStyle {
		return snapshot.StyleLabel
	}
	return snapshot.CleanText(v)
}

func confidence(c float64) float64 {
	if c == 0 {
		return 0.95
	}
	return c
}

// day and clock write an RFC 3339 time as its UTC date and time of day;
// text that is not one is shown as it is.
func day(s string) string {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC().Format("2006-01-02")
	}
	return snapshot.CleanText(s)
}

func clock(s string) string {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC().Format("15:04") + " UTC"
	}
	return ""
}
