package site

import (
	"html"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bixarena/arena-snapshots/internal/leaderboard"
	"github.com/bixarena/arena-snapshots/internal/snapshot"
)

var published = time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)

// board is a small published leaderboard whose names try to break a page.
func board() *snapshot.Document {
	rec := &leaderboard.Record{
		Leaderboard: "overall", Name: `Overall <i>"&"</i>`, Status: leaderboard.Ranked, Battles: 12345, Models: 4,
		Params: leaderboard.Params{Bootstrap: 1000, Confidence: 0.9},
		Fit:    &leaderboard.Fit{WellPosed: false, Undefeated: []string{"<script>alert(1)</script>"}, Intervals: leaderboard.IntervalsOneStep},
		Entries: []leaderboard.Entry{
			{Rank: 1, Model: "<script>alert(1)</script>", Score: 1200, CILower: 1150, CIUpper: 1260, Votes: 600, Flags: []string{"undefeated"}, RankBest: 1, RankWorst: 1, Tier: 1},
			{Rank: 2, Model: "gpt-4o", Score: 1100, CILower: 1080, CIUpper: 1120, Votes: 580, RankBest: 2, RankWorst: 3, Tier: 2},
			{Rank: 3, Model: "ctl\x1b[31m\u202e", Score: 1090, CILower: 1070, CIUpper: 1110, Votes: 500, RankBest: 2, RankWorst: 3, Tier: 2},
			{Rank: 4, Model: strings.Repeat("long-", 40), Score: 900, CILower: 850, CIUpper: 950, Votes: 480, RankBest: 4, RankWorst: 4, Tier: 3},
		},
	}
	return snapshot.Build(rec, snapshot.Meta{Identifier: snapshot.Identifier(published), PublishedAt: published,
		Models: map[string]snapshot.Model{
			"gpt-4o": {Name: "GPT-4o", Organization: `Open"AI" <b>`, License: "proprietary", Link: "javascript:alert(2)"},
		}})
}

// noForeign fails when a page refers to anything outside its folder tree
// or runs anything: no script, no absolute or protocol-relative URL, no
// @import or url() in its style.
func noForeign(t *testing.T, page string) {
	t.Helper()
	for _, bad := range []string{"<script", "<link", "@import", "url(", "javascript:", "//fonts", "<iframe", "<object", "<embed"} {
		if strings.Contains(strings.ToLower(page), bad) {
			t.Errorf("the page holds %q", bad)
		}
	}
	for _, m := range regexp.MustCompile(`(?i)(?:href|src)="([^"]*)"`).FindAllStringSubmatch(page, -1) {
		u := m[1]
		if strings.Contains(u, "://") || strings.HasPrefix(u, "//") || strings.HasPrefix(u, "/") {
			if !strings.HasPrefix(u, "https://") { // only a model's own link leaves the site, as a link
				t.Errorf("the page refers to %q", u)
			}
		}
	}
	for _, m := range regexp.MustCompile(`(?i)src="([^"]*)"`).FindAllStringSubmatch(page, -1) {
		if strings.Contains(m[1], "://") {
			t.Errorf("the page loads %q from elsewhere", m[1])
		}
	}
	if strings.ContainsAny(page, "\x00\x1b\u202e") {
		t.Errorf("the page holds control or format characters")
	}
}

func TestBoardPage(t *testing.T) {
	d := board()
	id := d.Identifier
	older := snapshot.HistoryEntryOf(d)
	older.Identifier, older.PublishedAt = "snapshot_2025-03-13_09-00-00", "2025-03-13T09:00:00Z"
	older.Document, older.Chart = "overall/snapshot_2025-03-13_09-00-00.json", "overall/snapshot_2025-03-13_09-00-00.svg"
	h := &snapshot.History{Leaderboard: "overall", Snapshots: []snapshot.HistoryEntry{snapshot.HistoryEntryOf(d), older}}
	idx := &snapshot.Index{Leaderboards: []snapshot.IndexEntry{
		snapshot.IndexEntryOf(d), {Leaderboard: "overall-style", Variant: leaderboard.VariantStyle, VariantOf: "overall"},
	}}
	b, err := BoardPage(Board{Doc: d, History: h, Index: idx, Runs: true})
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	noForeign(t, page)
	for _, want := range []string{
		`&lt;script&gt;alert(1)&lt;/script&gt;`, // the model's name, as text
		`Overall &lt;i&gt;&#34;&amp;&#34;&lt;/i&gt;`,
		`<td class="n ranks wide">2–3</td>`, `<td class="n tier wide">3</td>`,
		`<span class="nobr">ranks 2–3</span> · <span class="nobr">tier 2</span> · <span class="nobr">580 votes</span>`, // folded on a phone
		`<small class="fold">1150.0–1260.0</small>`,
		"GPT-4o", "Open&#34;AI&#34; &lt;b&gt;", "proprietary", "1150.0 – 1260.0", "600",
		"12,345 battles", "90% intervals from 1000 one-step bootstrap rounds", "2025-03-14 09:26 UTC",
		`src="` + id + `.svg"`, `src="` + id + `.observed.svg"`, `src="` + id + `.predicted.svg"`,
		`href="` + id + `.json"`, `href="` + id + `.pairs.json"`, `href="latest.json"`, `href="index.json"`,
		`href="snapshot_2025-03-13_09-00-00.json"`, `href="../index.html"`, `href="../runs/index.html"`,
		`href="../overall-style/index.html"`, "no maximum-likelihood scores", "ctl\ufffd[31m\ufffd",
		strings.Repeat("long-", 40),
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Contains(page, `href="javascript`) || strings.Contains(page, "alert(2)") {
		t.Errorf("a model's javascript: link reached the page")
	}

	// Without history, no heatmaps nor earlier snapshots; a variant links
	// back to its leaderboard.
	d.Variant, d.VariantOf, d.Leaderboard = leaderboard.VariantStyle, "overall", "overall-style"
	d.Style = &leaderboard.Style{Intervals: "sandwich", LengthUnit: "characters", Coefficients: []leaderboard.Coefficient{
		{Feature: "length", Beta: 0.25, CILower: 0.2, CIUpper: 0.3}, {Feature: "bold", Dropped: "did not vary"}}}
	b, err = BoardPage(Board{Doc: d})
	if err != nil {
		t.Fatal(err)
	}
	page = string(b)
	noForeign(t, page)
	for _, want := range []string{`href="../overall/index.html"`, "style-controlled", "0.250", "0.200 – 0.300", "not estimated: did not vary"} {
		if !strings.Contains(page, want) {
			t.Errorf("the variant's page lacks %q", want)
		}
	}
	for _, unwanted := range []string{"observed.svg", "Earlier snapshots", "runs/index.html"} {
		if strings.Contains(page, unwanted) {
			t.Errorf("the page without history or runs shows %q", unwanted)
		}
	}
}

// TestVariantNamedOnce: a style-controlled board's name carries its label
// once, wherever it is shown: its document, its page's title and heading,
// its card on the front page, its chart's title.
func TestVariantNamedOnce(t *testing.T) {
	for _, tc := range []struct{ recName, dbName, want string }{
		{"Overall", "", "Overall (style-controlled)"},
		{"", "", "overall-style"}, // no name: the slug, which says it
		{"Overall", "Overall", "Overall (style-controlled)"},
		{"Overall", "Overall (style control)", "Overall (style control)"},
		{"Overall", "Style-controlled overall", "Style-controlled overall"},
	} {
		rec := &leaderboard.Record{Leaderboard: "overall", Name: tc.recName, Variant: leaderboard.VariantStyle, Status: leaderboard.Ranked,
			Battles: 40, Models: 2, Params: leaderboard.Params{Bootstrap: 10},
			Style: &leaderboard.Style{Intervals: "sandwich", LengthUnit: "characters"},
			Entries: []leaderboard.Entry{
				{Rank: 1, Model: "a", Score: 1010, CILower: 1000, CIUpper: 1020, Votes: 40, RankBest: 1, RankWorst: 1, Tier: 1},
				{Rank: 2, Model: "b", Score: 990, CILower: 980, CIUpper: 1000, Votes: 40, RankBest: 2, RankWorst: 2, Tier: 2},
			}}
		rec.Leaderboard = leaderboard.StyleSlug("overall")
		d := snapshot.Build(rec, snapshot.Meta{Name: tc.dbName, Identifier: "snapshot_2025-03-14_09-26-00", PublishedAt: time.Date(2025, 3, 14, 9, 26, 0, 0, time.UTC)})
		if d.Name != tc.want {
			t.Errorf("%q/%q: the document's name %q, want %q", tc.recName, tc.dbName, d.Name, tc.want)
		}
		idx := &snapshot.Index{Leaderboards: []snapshot.IndexEntry{snapshot.IndexEntryOf(d)}}
		pages := map[string][]byte{}
		var err error
		if pages["board"], err = BoardPage(Board{Doc: d, Index: idx}); err != nil {
			t.Fatal(err)
		}
		if pages["front"], err = Index(Front{Index: idx, Latest: map[string]*snapshot.Document{d.Leaderboard: d}}); err != nil {
			t.Fatal(err)
		}
		if pages["chart"], err = snapshot.Chart(d); err != nil {
			t.Fatal(err)
		}
		label := regexp.MustCompile(`(?i)style[- ]control`)
		for what, b := range pages {
			tags := regexp.MustCompile(`<[^>]*>`)
			for _, el := range []string{"title", "h1", "h2", "text"} {
				for _, m := range regexp.MustCompile(`(?s)<`+el+`[ >].*?</`+el+`>`).FindAllString(string(b), -1) {
					if n := len(label.FindAllString(tags.ReplaceAllString(m, " "), -1)); n > 1 {
						t.Errorf("%q/%q: the %s's %s says it %d times: %q", tc.recName, tc.dbName, what, el, n, m)
					}
				}
			}
			if !strings.Contains(string(b), html.EscapeString(tc.want)) && !strings.Contains(string(b), strings.ReplaceAll(tc.want, " ", "&#160;")) {
				t.Errorf("%q/%q: the %s does not show %q", tc.recName, tc.dbName, what, tc.want)
			}
		}
	}
}

// TestSignificanceRankLabelled: with ranks by significance beside the
// rank ranges, the page heads the column for what it is and says the two
// measures differ; without, it does not.
func TestSignificanceRankLabelled(t *testing.T) {
	d := board()
	for _, sig := range []bool{false, true} {
		d.Params.Significant = sig
		b, err := BoardPage(Board{Doc: d})
		if err != nil {
			t.Fatal(err)
		}
		page := string(b)
		for _, want := range []string{`<th class="n">Rank (sig.)</th>`, "Rank (by significance): 1 + the number of models whose 90% interval lies wholly above", "need not contain the rank by significance"} {
			if strings.Contains(page, want) != sig {
				t.Errorf("significant %v: the page holds %q: %v", sig, want, !sig)
			}
		}
	}
}

// TestFrontOrder: overall first, then the others by slug, each variant
// next to its leaderboard, whatever the index's order.
func TestFrontOrder(t *testing.T) {
	e := func(slug, of string) snapshot.IndexEntry {
		return snapshot.IndexEntry{Leaderboard: slug, Name: slug, VariantOf: of, Identifier: "snapshot_2025-03-14_09-26-00"}
	}
	idx := &snapshot.Index{Leaderboards: []snapshot.IndexEntry{
		e("zoology", ""), e("genomics-style", "genomics"), e("anatomy", ""), e("overall-style", "overall"),
		e("oncology", ""), e("overall", ""), e("genomics", ""), e("pathology-style", "pathology"),
	}}
	var got []string
	for _, l := range frontOrder(idx.Leaderboards) {
		got = append(got, l.Leaderboard)
	}
	want := []string{"overall", "overall-style", "anatomy", "genomics", "genomics-style", "oncology", "pathology-style", "zoology"}
	if !slices.Equal(got, want) {
		t.Errorf("order %q, want %q", got, want)
	}
	b, err := Index(Front{Index: idx})
	if err != nil {
		t.Fatal(err)
	}
	var cards []string
	for _, m := range regexp.MustCompile(`<h2><a href="([^/"]*)/index.html"`).FindAllStringSubmatch(string(b), -1) {
		cards = append(cards, m[1])
	}
	if want := []string{"overall", "anatomy", "genomics", "oncology", "pathology-style", "zoology"}; !slices.Equal(cards, want) {
		t.Errorf("cards %q, want %q", cards, want)
	}
}

func TestFrontPage(t *testing.T) {
	d := board()
	g := *d
	g.Leaderboard, g.Name = "genomics", "Genomics"
	style := snapshot.IndexEntry{Leaderboard: "overall-style", Name: "Overall (style-controlled)", Variant: leaderboard.VariantStyle, VariantOf: "overall"}
	idx := &snapshot.Index{UpdatedAt: "2025-03-14T09:27:00Z", Leaderboards: []snapshot.IndexEntry{
		snapshot.IndexEntryOf(&g), snapshot.IndexEntryOf(d), style,
	}}
	b, err := Index(Front{Index: idx, Latest: map[string]*snapshot.Document{"overall": d}})
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	noForeign(t, page)
	for _, want := range []string{
		`href="overall/index.html"`, `href="genomics/index.html"`, `href="overall-style/index.html"`,
		"Genomics", "2025-03-14 · 12,345 battles · 4 models", `&lt;script&gt;alert(1)&lt;/script&gt;`,
		"GPT-4o", "(ranks 2–3)", "updated 2025-03-14 09:27 UTC", `href="index.json"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the front page lacks %q", want)
		}
	}
	if strings.Contains(page, strings.Repeat("long-", 40)) {
		t.Errorf("the front page shows more than the top %d models", TopModels)
	}
	if strings.Contains(page, "runs/index.html") {
		t.Errorf("a link to the job runs without them")
	}
	if n := strings.Count(page, `class="card"`); n != 2 {
		t.Errorf("%d cards, want 2 (the style-controlled variant goes with its leaderboard)", n)
	}
	empty, err := Index(Front{Index: &snapshot.Index{}})
	if err != nil || !strings.Contains(string(empty), "No leaderboard published yet") {
		t.Errorf("the front page of nothing: %v %s", err, empty)
	}
}

// TestFrontPagePending: the leaderboards a publish skipped that have no
// snapshot at the place are listed, by slug, with rank's words for why
// and every name escaped; one that has a snapshot keeps its card and is
// not listed; a style-controlled leaderboard that was not opted in to is
// not waiting for anything and is not listed.
func TestFrontPagePending(t *testing.T) {
	d := board()
	idx := &snapshot.Index{Leaderboards: []snapshot.IndexEntry{snapshot.IndexEntryOf(d)}}
	recs := []leaderboard.Record{
		{Leaderboard: "zoology", Name: `Zoo <img src=x onerror=alert(3)> "&"`, Status: leaderboard.Skipped,
			Reason: leaderboard.ReasonInsufficientBattles, Battles: 12, Params: leaderboard.Params{MinBattles: 30}},
		{Leaderboard: "anatomy", Status: leaderboard.Skipped, Reason: leaderboard.ReasonInsufficientModels,
			Battles: 40, Models: 3, Params: leaderboard.Params{MinModels: 4}},
		{Leaderboard: "overall", Name: "Overall", Status: leaderboard.Skipped, Reason: leaderboard.ReasonInsufficientBattles, Battles: 1},
		{Leaderboard: "genomics-style", Name: "Genomics", Status: leaderboard.Skipped, Reason: leaderboard.ReasonNoStyleLeaderboard},
		{Leaderboard: "oncology", Name: "Onco\x1b[31m\u202elogy", Status: leaderboard.Skipped, Reason: "some_new_reason"},
	}
	var skipped []Skipped
	for i := range recs {
		skipped = append(skipped, SkippedOf(&recs[i]))
	}
	b, err := Index(Front{Index: idx, Latest: map[string]*snapshot.Document{"overall": d}, Skipped: skipped})
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	noForeign(t, page)
	section := regexp.MustCompile(`(?s)<section id="pending">.*</section>`).FindString(page)
	want := `<section id="pending">
<h2>Not yet published</h2>
<p class="note">Leaderboards that the last publish skipped and that have no snapshot here yet, with why.</p>
<ul class="pending">
<li data-leaderboard="anatomy"><span class="name">anatomy</span> — 3 models &lt; --min-models 4 (40 battles)</li>
<li data-leaderboard="oncology"><span class="name">Onco` + "\ufffd[31m\ufffd" + `logy</span> — some new reason</li>
<li data-leaderboard="zoology"><span class="name">Zoo &lt;img src=x onerror=alert(3)&gt; &#34;&amp;&#34;</span> — 12 battles &lt; --min-battles 30</li>
</ul>
</section>`
	if section != want {
		t.Errorf("the section of leaderboards not yet published:\n%s\nwant\n%s", section, want)
	}
	if n := strings.Count(page, `class="card"`); n != 1 {
		t.Errorf("%d cards, want the published leaderboard's only", n)
	}
	b, err = Index(Front{Index: idx, Latest: map[string]*snapshot.Document{"overall": d}, Skipped: skipped[2:4]})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "Not yet published") {
		t.Errorf("a section of leaderboards not yet published, with none to list")
	}
	b, err = Index(Front{Index: &snapshot.Index{}, Skipped: skipped[:1]})
	if err != nil || !strings.Contains(string(b), "No leaderboard published yet") || !strings.Contains(string(b), `data-leaderboard="zoology"`) {
		t.Errorf("the front page of nothing published, one skipped: %v %s", err, b)
	}
}
