package export

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bixarena/arena-snapshots/internal/battle"
	"github.com/bixarena/arena-snapshots/internal/exitcode"
	"github.com/bixarena/arena-snapshots/internal/pgtest"
	"github.com/jackc/pgx/v5"
)

// fixture inserts hand-made rows into a scratch database.
type fixture struct {
	t    *testing.T
	url  string
	conn *pgx.Conn
}

func newFixture(t *testing.T, models ...string) *fixture {
	t.Helper()
	url := pgtest.NewDB(t)
	f := &fixture{t: t, url: url, conn: pgtest.Connect(t, url)}
	for _, m := range models {
		f.exec(`INSERT INTO api.model (slug, name, license, external_link, api_model_name, api_base)
			VALUES ($1::text, upper($1::text), 'open-source', 'https://example.org', $1::text, 'https://api.example.org')`, m)
	}
	return f
}

func (f *fixture) exec(sql string, args ...any) {
	f.t.Helper()
	if _, err := f.conn.Exec(context.Background(), sql, args...); err != nil {
		f.t.Fatalf("%v\n%s", err, sql)
	}
}

func (f *fixture) id(sql string, args ...any) string {
	f.t.Helper()
	var id string
	if err := f.conn.QueryRow(context.Background(), sql, args...).Scan(&id); err != nil {
		f.t.Fatalf("%v\n%s", err, sql)
	}
	return id
}

// spec describes one battle and the rows around it.
type spec struct {
	a, b      string
	outcome   string // "" for no evaluation
	bio       *bool  // effective validation; nil for none
	otherBio  *bool  // a later, non-effective validation
	status    string // effective categorization status; "" for none
	cats      []string
	otherCats []string // a later, non-effective matched categorization
	at        time.Time
}

var (
	yes = ptr(true)
	no  = ptr(false)
)

func ptr[T any](v T) *T { return &v }

func (f *fixture) battle(s spec) string {
	f.t.Helper()
	if s.at.IsZero() {
		s.at = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	}
	id := f.id(`INSERT INTO api.battle (user_id, model1_id, model2_id, created_at)
		SELECT gen_random_uuid(), a.id, b.id, $3 FROM api.model a, api.model b WHERE a.slug = $1 AND b.slug = $2
		RETURNING id::text`, s.a, s.b, s.at)
	if s.outcome != "" {
		f.exec(`INSERT INTO api.battle_evaluation (battle_id, outcome) VALUES ($1, $2)`, id, s.outcome)
	}
	// One automated validation per method and battle (a unique index says
	// so): the other one comes from another method.
	validation := func(method string, bio bool) string {
		return f.id(`INSERT INTO api.battle_validation (battle_id, method, confidence, is_biomedical)
			VALUES ($1, $2, 0.9, $3) RETURNING id::text`, id, method, bio)
	}
	if s.bio != nil {
		f.exec(`UPDATE api.battle SET effective_validation_id = $2 WHERE id = $1`, id, validation("test", *s.bio))
	}
	if s.otherBio != nil {
		validation("test-older", *s.otherBio)
	}
	categorization := func(status string, cats []string) string {
		cid := f.id(`INSERT INTO api.battle_categorization (battle_id, method, status)
			VALUES ($1, 'test', $2) RETURNING id::text`, id, status)
		for _, c := range cats {
			f.exec(`INSERT INTO api.battle_categorization_category (categorization_id, category) VALUES ($1, $2)`, cid, c)
		}
		return cid
	}
	if s.status != "" {
		f.exec(`UPDATE api.battle SET effective_categorization_id = $2 WHERE id = $1`, id, categorization(s.status, s.cats))
	}
	if s.otherCats != nil {
		categorization("matched", s.otherCats)
	}
	return id
}

// stream is an export parsed back.
type stream struct {
	header  battle.Header
	records []battle.Record
	trailer *battle.Trailer
	raw     string
	stats   Stats
}

func export(t *testing.T, url string, o Options) (stream, error) {
	t.Helper()
	conn := pgtest.Connect(t, url)
	var out bytes.Buffer
	st, err := Run(context.Background(), conn, &out, o)
	s := parse(t, out.String())
	s.stats = st
	return s, err
}

func mustExport(t *testing.T, url string, o Options) stream {
	t.Helper()
	s, err := export(t, url, o)
	if err != nil {
		t.Fatalf("export %+v: %v", o, err)
	}
	if s.trailer == nil {
		t.Fatalf("export %+v: no trailer", o)
	}
	return s
}

func parse(t *testing.T, out string) stream {
	t.Helper()
	s := stream{raw: out}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if out == "" {
		return s
	}
	for i, line := range lines {
		var probe struct {
			Type   string `json:"type"`
			ModelA string `json:"model_a"`
		}
		if err := json.Unmarshal([]byte(line), &probe); err != nil {
			if i == len(lines)-1 {
				continue // a cut stream may end mid-line
			}
			t.Fatalf("line %d: %v: %s", i+1, err, line)
		}
		switch {
		case i == 0:
			if probe.Type != battle.TypeHeader {
				t.Fatalf("first line is not a header: %s", line)
			}
			json.Unmarshal([]byte(line), &s.header)
		case probe.Type == battle.TypeTrailer:
			if i != len(lines)-1 {
				t.Fatalf("trailer on line %d of %d", i+1, len(lines))
			}
			s.trailer = new(battle.Trailer)
			json.Unmarshal([]byte(line), s.trailer)
		default:
			var r battle.Record
			json.Unmarshal([]byte(line), &r)
			s.records = append(s.records, r)
		}
	}
	return s
}

// key is what ranking sees of a battle.
type key struct{ a, b, winner, cats string }

func keyOf(r battle.Record) key {
	return key{r.ModelA, r.ModelB, r.Winner, strings.Join(r.Categories, ",")}
}

func keys(rs []battle.Record) []key {
	ks := make([]key, len(rs))
	for i, r := range rs {
		ks[i] = keyOf(r)
	}
	return ks
}

func TestQualifyingRules(t *testing.T) {
	pgtest.AdminURL(t)
	tests := []struct {
		name    string
		battles []spec
		delete  string // a model deleted before the export
		want    []key
	}{{
		name: "a biomedical battle with an evaluation qualifies, winners mapped",
		battles: []spec{
			{a: "m1", b: "m2", outcome: "model1", bio: yes, at: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)},
			{a: "m1", b: "m2", outcome: "model2", bio: yes, at: time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC)},
			{a: "m2", b: "m1", outcome: "tie", bio: yes, at: time.Date(2025, 1, 3, 0, 0, 0, 0, time.UTC)},
		},
		want: []key{{"m1", "m2", "model_a", ""}, {"m1", "m2", "model_b", ""}, {"m2", "m1", "tie", ""}},
	}, {
		name:    "a non-biomedical battle is excluded",
		battles: []spec{{a: "m1", b: "m2", outcome: "model1", bio: no}},
	}, {
		name:    "a battle without validation is excluded",
		battles: []spec{{a: "m1", b: "m2", outcome: "model1"}, {a: "m1", b: "m2", outcome: "model1", otherBio: yes}},
	}, {
		name: "only the effective validation counts",
		battles: []spec{
			{a: "m1", b: "m2", outcome: "model1", bio: no, otherBio: yes},
			{a: "m2", b: "m1", outcome: "model1", bio: yes, otherBio: no},
		},
		want: []key{{"m2", "m1", "model_a", ""}},
	}, {
		name:    "a battle without evaluation is excluded",
		battles: []spec{{a: "m1", b: "m2", bio: yes, status: "matched", cats: []string{"genomics"}}},
	}, {
		name: "abstained and failed categorizations keep the battle without categories",
		battles: []spec{
			{a: "m1", b: "m2", outcome: "model1", bio: yes, status: "abstained", cats: []string{"genomics"},
				at: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)},
			{a: "m1", b: "m2", outcome: "model2", bio: yes, status: "failed", cats: []string{"immunology"},
				at: time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC)},
		},
		want: []key{{"m1", "m2", "model_a", ""}, {"m1", "m2", "model_b", ""}},
	}, {
		name: "two categories are both listed, sorted",
		battles: []spec{
			{a: "m1", b: "m2", outcome: "tie", bio: yes, status: "matched", cats: []string{"neuroscience", "genomics"}},
		},
		want: []key{{"m1", "m2", "tie", "genomics,neuroscience"}},
	}, {
		name: "only the effective categorization counts",
		battles: []spec{
			{a: "m1", b: "m2", outcome: "model1", bio: yes, status: "matched", cats: []string{"genomics"},
				otherCats: []string{"immunology"}, at: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)},
			{a: "m1", b: "m2", outcome: "model1", bio: yes, otherCats: []string{"immunology"},
				at: time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC)},
		},
		want: []key{{"m1", "m2", "model_a", "genomics"}, {"m1", "m2", "model_a", ""}},
	}, {
		name: "a deleted model's battles are gone",
		battles: []spec{
			{a: "m1", b: "m2", outcome: "model1", bio: yes, at: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)},
			{a: "m3", b: "m1", outcome: "model1", bio: yes, at: time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC)},
			{a: "m2", b: "m1", outcome: "model2", bio: yes, at: time.Date(2025, 1, 3, 0, 0, 0, 0, time.UTC)},
		},
		delete: "m3",
		want:   []key{{"m1", "m2", "model_a", ""}, {"m2", "m1", "model_b", ""}},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, "m1", "m2", "m3")
			ids := map[string]bool{}
			for _, s := range tc.battles {
				ids[f.battle(s)] = true
			}
			if tc.delete != "" {
				f.exec(`DELETE FROM api.model WHERE slug = $1`, tc.delete)
			}
			s := mustExport(t, f.url, Options{})
			if got := keys(s.records); !slices.Equal(got, tc.want) {
				t.Errorf("raw export:\n got %v\nwant %v", got, tc.want)
			}
			for _, r := range s.records {
				if !ids[r.BattleID] || r.Count != 0 {
					t.Errorf("record %+v: battle_id not one of the battles, or a count", r)
				}
				if _, err := time.Parse(time.RFC3339, r.CreatedAt); err != nil {
					t.Errorf("record %+v: created_at: %v", r, err)
				}
			}
			if s.trailer.Records != int64(len(tc.want)) || s.trailer.Battles != int64(len(tc.want)) {
				t.Errorf("trailer %+v, want %d records and battles", *s.trailer, len(tc.want))
			}
			agg := mustExport(t, f.url, Options{Aggregate: true})
			if got, want := multiset(agg.records), multiset(s.records); !maps.Equal(got, want) {
				t.Errorf("aggregated %v, raw %v", got, want)
			}
		})
	}
}

// multiset counts battles per key.
func multiset(rs []battle.Record) map[key]int64 {
	m := map[key]int64{}
	for _, r := range rs {
		n := r.Count
		if n == 0 {
			n = 1
		}
		m[keyOf(r)] += n
	}
	return m
}

func TestHeader(t *testing.T) {
	f := newFixture(t, "m1", "m2")
	f.exec(`INSERT INTO api.leaderboard (slug, name) VALUES ('aaa-first-by-slug', 'AAA')`)
	now := time.Date(2025, 6, 7, 8, 9, 10, 0, time.FixedZone("x", 2*3600))
	s := mustExport(t, f.url, Options{Now: func() time.Time { return now }, Leaderboard: "genomics",
		Since: time.Date(2025, 1, 1, 2, 0, 0, 0, time.FixedZone("y", 3600))})
	h := s.header
	if h.Stream != battle.StreamKind || h.Version != battle.StreamVersion || h.ExportedAt != "2025-06-07T06:09:10Z" ||
		h.Aggregated || h.Filter != (battle.Filter{Leaderboard: "genomics", Since: "2025-01-01T01:00:00Z"}) {
		t.Errorf("header %+v", h)
	}
	if len(h.Leaderboards) != 22 || h.Leaderboards[0] != (battle.LeaderboardName{Slug: "overall", Name: "Overall"}) ||
		h.Leaderboards[1].Slug != "aaa-first-by-slug" || h.Leaderboards[21].Slug != "systems-biology" ||
		!slices.IsSortedFunc(h.Leaderboards[1:], func(a, b battle.LeaderboardName) int { return strings.Compare(a.Slug, b.Slug) }) {
		t.Errorf("leaderboards %v", h.Leaderboards)
	}
	if len(s.records) != 0 || *s.trailer != (battle.Trailer{Stream: "battles", Type: "trailer"}) {
		t.Errorf("records %v, trailer %+v", s.records, *s.trailer)
	}
}

func TestLeaderboardAndWindowSelectExactly(t *testing.T) {
	f := newFixture(t, "m1", "m2")
	day := func(d int) time.Time { return time.Date(2025, 1, d, 0, 0, 0, 0, time.UTC) }
	b := func(d int, cats ...string) {
		s := spec{a: "m1", b: "m2", outcome: "model1", bio: yes, at: day(d)}
		if cats != nil {
			s.status, s.cats = "matched", cats
		}
		f.battle(s)
	}
	b(1, "genomics")
	b(2)
	b(3, "genomics", "immunology")
	b(4, "immunology")
	b(5, "genomics")
	f.battle(spec{a: "m1", b: "m2", outcome: "model1", bio: yes, status: "abstained", cats: []string{"genomics"}, at: day(6)})
	dates := func(s stream) []int {
		var ds []int
		for _, r := range s.records {
			at, _ := time.Parse(time.RFC3339, r.CreatedAt)
			ds = append(ds, at.Day())
		}
		return ds
	}
	for _, tc := range []struct {
		o    Options
		want []int
	}{
		{Options{}, []int{1, 2, 3, 4, 5, 6}},
		{Options{Leaderboard: "overall"}, []int{1, 2, 3, 4, 5, 6}},
		{Options{Leaderboard: "genomics"}, []int{1, 3, 5}},
		{Options{Leaderboard: "immunology"}, []int{3, 4}},
		{Options{Leaderboard: "neuroscience"}, nil},
		{Options{Since: day(2)}, []int{2, 3, 4, 5, 6}},
		{Options{Until: day(2)}, []int{1}},
		{Options{Since: day(2), Until: day(5)}, []int{2, 3, 4}},
		{Options{Since: day(2).Add(time.Microsecond), Until: day(5).Add(time.Microsecond)}, []int{3, 4, 5}},
		{Options{Leaderboard: "genomics", Since: day(2), Until: day(6)}, []int{3, 5}},
	} {
		s := mustExport(t, f.url, tc.o)
		if got := dates(s); !slices.Equal(got, tc.want) {
			t.Errorf("%+v: battles of days %v, want %v", tc.o, got, tc.want)
		}
		agg := mustExport(t, f.url, Options{Aggregate: true, Leaderboard: tc.o.Leaderboard, Since: tc.o.Since, Until: tc.o.Until})
		if agg.trailer.Battles != int64(len(tc.want)) {
			t.Errorf("%+v aggregated: %d battles, want %d", tc.o, agg.trailer.Battles, len(tc.want))
		}
	}
}

// Categories travel as bit masks up to MaskBits distinct categories and as
// arrays beyond: both give the same records, a category without a
// leaderboard row included.
func TestCategoriesAsMasksAndAsArrays(t *testing.T) {
	for _, many := range []bool{false, true} {
		t.Run(fmt.Sprintf("many=%v", many), func(t *testing.T) {
			f := newFixture(t, "m1", "m2")
			day := func(d int) time.Time { return time.Date(2025, 1, d, 0, 0, 0, 0, time.UTC) }
			b := func(d int, status string, cats ...string) {
				f.battle(spec{a: "m1", b: "m2", outcome: "model2", bio: yes, status: status, cats: cats, at: day(d)})
			}
			b(1, "matched", "genomics")
			b(2, "matched", "immunology", "genomics")
			b(3, "")
			b(4, "matched", "not-a-leaderboard")
			b(5, "abstained", "genomics")
			if many {
				// A battle that is not exported (no evaluation) whose
				// older categorization lists enough categories to pass
				// MaskBits.
				var extra []string
				for i := range MaskBits + 1 {
					extra = append(extra, fmt.Sprintf("extra-%02d", i))
				}
				f.battle(spec{a: "m1", b: "m2", bio: yes, otherCats: extra})
			}
			cats := func(s stream) []string {
				var out []string
				for _, r := range s.records {
					out = append(out, strings.Join(r.Categories, "+"))
				}
				return out
			}
			raw := mustExport(t, f.url, Options{})
			want := []string{"genomics", "genomics+immunology", "", "not-a-leaderboard", ""}
			if got := cats(raw); !slices.Equal(got, want) {
				t.Errorf("categories %q, want %q", got, want)
			}
			agg := mustExport(t, f.url, Options{Aggregate: true})
			if got, want := multiset(agg.records), multiset(raw.records); !maps.Equal(got, want) {
				t.Errorf("aggregated %v, raw %v", got, want)
			}
			// The category no leaderboard names is reported, and the
			// aggregated query, which tried the leaderboards' categories
			// first, ran again for it.
			for _, s := range []stream{raw, agg} {
				if !slices.Equal(s.stats.Unlisted, []string{"not-a-leaderboard"}) || s.stats.Reread != s.header.Aggregated {
					t.Errorf("aggregated %v: stats %+v", s.header.Aggregated, s.stats)
				}
			}
			for lb, want := range map[string][]string{
				"genomics":   {"genomics", "genomics+immunology"},
				"immunology": {"genomics+immunology"},
				"physiology": nil,
			} {
				if got := cats(mustExport(t, f.url, Options{Leaderboard: lb})); !slices.Equal(got, want) {
					t.Errorf("--leaderboard %s: categories %q, want %q", lb, got, want)
				}
			}
		})
	}
}

func TestQueryFormOfCategories(t *testing.T) {
	cats := make([]string, MaskBits+1)
	for i := range cats {
		cats[i] = fmt.Sprintf("c%02d", i)
	}
	for _, tc := range []struct {
		cats       []string
		masks      bool
		leaderArgs []any
	}{
		{cats[:MaskBits], true, []any{cats[:MaskBits], int64(1) << 62}},
		{cats, false, []any{"c62"}},
		{nil, false, []any{"c62"}},
	} {
		sql, args := Query(Options{Leaderboard: "c62"}, tc.cats)
		if strings.Contains(sql, "bit_or") != tc.masks || strings.Contains(sql, "array_agg") == tc.masks {
			t.Errorf("%d categories: masks should be %v:\n%s", len(tc.cats), tc.masks, sql)
		}
		if fmt.Sprint(args) != fmt.Sprint(tc.leaderArgs) {
			t.Errorf("%d categories: arguments %v, want %v", len(tc.cats), args, tc.leaderArgs)
		}
	}
}

// TestStyleRowIsNotACategory: a SLUG-style row of api.leaderboard opts
// SLUG's style-controlled variant in: it is no category (not a --leaderboard
// to export, not in the category list), while a "-style" slug with no
// plain row is an ordinary category.
func TestStyleRowIsNotACategory(t *testing.T) {
	boards := []battle.LeaderboardName{{Slug: "overall"}, {Slug: "genomics"}, {Slug: "genomics-style"}, {Slug: "overall-style"}, {Slug: "free-style"}, {Slug: "-style"}}
	if got := categorySlugs(boards); !slices.Equal(got, []string{"-style", "free-style", "genomics"}) {
		t.Errorf("categories %q", got)
	}
	for _, slug := range []string{"overall-style", "genomics-style"} {
		err := Options{Leaderboard: slug}.checkLeaderboard(boards)
		plain := strings.TrimSuffix(slug, "-style")
		if exitcode.Code(err) != exitcode.Usage || !strings.Contains(err.Error(), "--leaderboard (LEADERBOARD_SLUG)") ||
			!strings.Contains(exitcode.HintOf(err), "STYLE_CONTROL=true LEADERBOARD_SLUG="+plain) {
			t.Errorf("%s: %v (hint %q)", slug, err, exitcode.HintOf(err))
		}
	}
	for _, slug := range []string{"", "genomics", "free-style", "overall"} {
		if err := (Options{Leaderboard: slug}).checkLeaderboard(boards); err != nil {
			t.Errorf("%s: %v", slug, err)
		}
	}

	f := newFixture(t, "a", "b")
	f.exec(`INSERT INTO api.leaderboard (slug, name, description) VALUES ('genomics-style', 'Genomics (style)', 'x')`)
	if _, err := export(t, f.url, Options{Leaderboard: "genomics-style", Aggregate: true}); exitcode.Code(err) != exitcode.Usage {
		t.Errorf("--leaderboard genomics-style: %v", err)
	}
}

func TestUnknownLeaderboardIsAUsageError(t *testing.T) {
	f := newFixture(t)
	s, err := export(t, f.url, Options{Leaderboard: "astrology"})
	if exitcode.Code(err) != exitcode.Usage {
		t.Fatalf("error %v (status %d), want a usage error", err, exitcode.Code(err))
	}
	hint := exitcode.HintOf(err)
	if !strings.Contains(err.Error(), `"astrology"`) || !strings.Contains(hint, "overall, biochemistry,") ||
		!strings.Contains(hint, "systems-biology") {
		t.Errorf("error %q, hint %q", err, hint)
	}
	if s.raw != "" {
		t.Errorf("output on error: %q", s.raw)
	}
}

func TestAggregateAndRawAgreeOnDemoData(t *testing.T) {
	url := pgtest.NewDB(t, "testdata/demo.sql")
	raw := mustExport(t, url, Options{})
	agg := mustExport(t, url, Options{Aggregate: true})
	if len(raw.records) < 10000 || len(agg.records) >= len(raw.records) {
		t.Fatalf("%d raw lines, %d aggregated: the demo data should have many battles, fewer groups",
			len(raw.records), len(agg.records))
	}
	if !agg.header.Aggregated || raw.header.Aggregated {
		t.Error("header's aggregated flag is wrong")
	}
	if got, want := multiset(agg.records), multiset(raw.records); !maps.Equal(got, want) {
		t.Errorf("aggregated and raw exports differ: %d and %d groups", len(got), len(want))
	}
	if agg.trailer.Battles != raw.trailer.Battles || raw.trailer.Records != int64(len(raw.records)) ||
		raw.trailer.Battles != int64(len(raw.records)) || agg.trailer.Records != int64(len(agg.records)) {
		t.Errorf("trailers: raw %+v, aggregated %+v", *raw.trailer, *agg.trailer)
	}
	seen := map[key]bool{}
	for _, r := range agg.records {
		if seen[keyOf(r)] || r.Count < 1 || r.BattleID != "" || r.CreatedAt != "" {
			t.Fatalf("aggregated line %+v repeats a group or has a bad count or per-battle fields", r)
		}
		seen[keyOf(r)] = true
	}
	// Every category of the demo data has a leaderboard: the aggregated
	// query ran once.
	if agg.stats.Reread || len(agg.stats.Unlisted)+len(raw.stats.Unlisted) > 0 {
		t.Errorf("stats: aggregated %+v, raw %+v", agg.stats, raw.stats)
	}
	// Deterministic: a second export writes the same lines.
	again := mustExport(t, url, Options{Aggregate: true})
	if !slices.Equal(keys(again.records), keys(agg.records)) {
		t.Error("two aggregated exports differ")
	}
	var last battle.Record
	for i, r := range raw.records {
		if i > 0 && r.CreatedAt < last.CreatedAt {
			t.Fatalf("raw line %d not in created_at order: %s after %s", i+1, r.CreatedAt, last.CreatedAt)
		}
		last = r
	}
	// The demo data has categories enough to rank and sparse ones.
	per := map[string]int{}
	for _, r := range raw.records {
		for _, c := range r.Categories {
			per[c]++
		}
	}
	var ranked, sparse int
	for _, n := range per {
		if n >= 100 {
			ranked++
		} else {
			sparse++
		}
	}
	if ranked < 4 || sparse < 4 {
		t.Errorf("categories with >= 100 battles: %d, sparse: %d (%v)", ranked, sparse, per)
	}
}

func TestSelectOnlyRole(t *testing.T) {
	f := newFixture(t, "m1", "m2")
	f.battle(spec{a: "m1", b: "m2", outcome: "model1", bio: yes, status: "matched", cats: []string{"genomics"}})
	tables := []string{"leaderboard", "model", "battle", "battle_evaluation", "battle_validation",
		"battle_categorization", "battle_categorization_category"}
	role := pgtest.NewRole(t, f.url)
	f.exec("GRANT USAGE ON SCHEMA api TO " + role)
	for _, tb := range tables {
		f.exec(fmt.Sprintf("GRANT SELECT ON api.%s TO %s", tb, role))
	}
	roleURL := pgtest.WithUser(t, f.url, role, "")
	s := mustExport(t, roleURL, Options{})
	if got := keys(s.records); !slices.Equal(got, []key{{"m1", "m2", "model_a", "genomics"}}) {
		t.Errorf("export as a SELECT-only role: %v", got)
	}
	mustExport(t, roleURL, Options{Aggregate: true, Leaderboard: "genomics"})

	for _, tb := range tables {
		t.Run("without SELECT on "+tb, func(t *testing.T) {
			f.exec(fmt.Sprintf("REVOKE SELECT ON api.%s FROM %s", tb, role))
			defer f.exec(fmt.Sprintf("GRANT SELECT ON api.%s TO %s", tb, role))
			s, err := export(t, roleURL, Options{})
			if exitcode.Code(err) != exitcode.Config {
				t.Fatalf("error %v (status %d), want a configuration error", err, exitcode.Code(err))
			}
			if !strings.Contains(err.Error(), "table "+tb+" ") || !strings.Contains(err.Error(), "permission denied") {
				t.Errorf("error %q does not name table %s", err, tb)
			}
			if s.raw != "" {
				t.Errorf("output on error: %q", s.raw)
			}
		})
	}
	t.Run("without USAGE on schema api", func(t *testing.T) {
		f.exec("REVOKE USAGE ON SCHEMA api FROM " + role)
		_, err := export(t, roleURL, Options{})
		if exitcode.Code(err) != exitcode.Config || !strings.Contains(err.Error(), "schema api") {
			t.Fatalf("error %v (status %d), want a configuration error naming schema api", err, exitcode.Code(err))
		}
	})
}

func TestMissingTable(t *testing.T) {
	f := newFixture(t)
	f.exec(`DROP TABLE api.battle_categorization_category`)
	_, err := export(t, f.url, Options{})
	if exitcode.Code(err) != exitcode.Config || !strings.Contains(err.Error(), "api.battle_categorization_category") {
		t.Fatalf("error %v (status %d), want a configuration error naming the table", err, exitcode.Code(err))
	}
	f.exec(`DROP SCHEMA api CASCADE`)
	_, err = export(t, f.url, Options{})
	if exitcode.Code(err) != exitcode.Config || !strings.Contains(err.Error(), "api.leaderboard") {
		t.Fatalf("error %v (status %d), want a configuration error naming the table", err, exitcode.Code(err))
	}
}

func TestConnectionCutMidStream(t *testing.T) {
	url := pgtest.NewDB(t, "testdata/demo.sql")
	for _, aggregate := range []bool{false, true} {
		t.Run(fmt.Sprintf("aggregate=%v", aggregate), func(t *testing.T) {
			conn := pgtest.Connect(t, url)
			admin := pgtest.Connect(t, url)
			pid := conn.PgConn().PID()
			var out bytes.Buffer
			cut := false
			o := Options{Aggregate: aggregate, Progress: func(lines int64) {
				if cut {
					return
				}
				cut = true
				var ok bool
				if err := admin.QueryRow(context.Background(), `SELECT pg_terminate_backend($1, 10000)`, pid).Scan(&ok); err != nil || !ok {
					t.Errorf("terminate backend %d: %v %v", pid, ok, err)
				}
			}}
			_, err := Run(context.Background(), conn, &out, o)
			if !cut {
				t.Fatal("the stream ended before the cut")
			}
			if exitcode.Code(err) != exitcode.Transient {
				t.Fatalf("error %v (status %d), want a transient failure", err, exitcode.Code(err))
			}
			if strings.Contains(out.String(), `"trailer"`) {
				t.Error("a cut stream has a trailer")
			}
		})
	}
}

// Aggregated rows with a category outside the list (a negative mask) come
// first, so that the first row tells.
func TestAggregateOrdersUnlistedFirst(t *testing.T) {
	sql, _ := Query(Options{Aggregate: true}, []string{"genomics"})
	if !strings.Contains(sql, "ORDER BY x.categories NULLS LAST, x.model1_id") {
		t.Errorf("aggregated query:\n%s", sql)
	}
	if sql, _ := Query(Options{Aggregate: true}, nil); !strings.Contains(sql, "ORDER BY x.model1_id") {
		t.Errorf("aggregated query with arrays:\n%s", sql)
	}
}
