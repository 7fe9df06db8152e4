package publish

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bixarena/arena-snapshots/internal/clix"
	"github.com/bixarena/arena-snapshots/internal/exitcode"
	"github.com/bixarena/arena-snapshots/internal/guard"
	"github.com/bixarena/arena-snapshots/internal/leaderboard"
	"github.com/bixarena/arena-snapshots/internal/pgtest"
	"github.com/bixarena/arena-snapshots/internal/snapshot"
)

// edit returns the leaderboard lines of in with f applied to the record
// of each slug in fs (the others unchanged).
func edit(t *testing.T, in string, fs map[string]func(r *leaderboard.Record)) string {
	t.Helper()
	var out strings.Builder
	for _, line := range strings.Split(strings.TrimSpace(in), "\n") {
		var r leaderboard.Record
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatal(err)
		}
		if f := fs[r.Leaderboard]; f != nil {
			f(&r)
			if err := leaderboard.Validate(&r); err != nil {
				t.Fatalf("the edited %s is not valid: %v", r.Leaderboard, err)
			}
		}
		b, _ := json.Marshal(&r)
		out.Write(append(b, '\n'))
	}
	return out.String()
}

// more adds battles and votes: a normal next day, scores within their
// intervals.
func more(r *leaderboard.Record) {
	r.Battles += r.Battles / 10
	for i := range r.Entries {
		e := &r.Entries[i]
		e.Votes += 20
		e.Score += 2
		e.CILower += 3
		e.CIUpper += 1
	}
}

func fewerBattles(r *leaderboard.Record) { r.Battles = r.Battles * 7 / 10 }

func modelGone(model string) func(r *leaderboard.Record) {
	return func(r *leaderboard.Record) {
		r.Entries = slices.DeleteFunc(r.Entries, func(e leaderboard.Entry) bool { return e.Model == model })
		for i := range r.Entries {
			r.Entries[i].Rank = i + 1
		}
	}
}

func scoreJump(r *leaderboard.Record) {
	e := &r.Entries[0]
	e.Score, e.CILower, e.CIUpper = e.Score+180, e.CILower+180, e.CIUpper+180
}

// publicState is what readers see of a leaderboard: the API's current
// snapshot (newest public by created_at), latest.json in the bucket and
// the folder, and the index lines.
func (w *world) publicState(t *testing.T, slug string) string {
	t.Helper()
	var id string
	err := pgtest.Connect(t, w.dbURL).QueryRow(context.Background(), `
		SELECT s.snapshot_identifier FROM api.leaderboard_snapshot s JOIN api.leaderboard l ON l.id = s.leaderboard_id
		WHERE l.slug = $1 AND s.visibility = 'public' ORDER BY s.created_at DESC LIMIT 1`, slug).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	var idx snapshot.Index
	json.Unmarshal([]byte(w.object("index.json")), &idx)
	var line snapshot.IndexEntry
	for _, l := range idx.Leaderboards {
		if l.Leaderboard == slug {
			line = l
		}
	}
	return fmt.Sprintf("db %s | s3 latest %s | dir latest %s | index %s",
		id, stampOf(w.object(slug+"/latest.json")), stampOf(w.file(slug+"/latest.json")), line.Identifier)
}

func stampOf(doc string) string {
	var d snapshot.Document
	json.Unmarshal([]byte(doc), &d)
	return d.Identifier
}

func byBoard(lines []Summary) map[string]Summary {
	out := map[string]Summary{}
	for _, s := range lines {
		out[s.Leaderboard] = s
	}
	return out
}

// The guard against the database: a normal next day publishes; each rule
// trips on a crafted record, and then nothing new is public anywhere, the
// held record and its reasons are in held/ of both places, and the other
// boards are published (exit 6); all boards held is exit 3; --guard off
// publishes.
func TestGuardHolds(t *testing.T) {
	w := newWorld(t)
	day := func(n int) time.Time { return t0.Add(time.Duration(n) * 24 * time.Hour) }
	base := fixture(t, "valid.ndjson")
	if r := runTool(t, w.everywhere(Options{Now: clockAt(day(0))}), base); r.code != 0 {
		t.Fatalf("day 0: exit %d\n%s", r.code, r.stderr)
	}
	next := edit(t, base, map[string]func(*leaderboard.Record){"overall": more, "genomics": func(r *leaderboard.Record) { r.Battles += 5 }})
	r := runTool(t, w.everywhere(Options{Now: clockAt(day(1))}), next)
	if r.code != 0 {
		t.Fatalf("a normal next day: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, s := range r.lines[:2] {
		if s.Status != StatusPublished || s.Existing || len(s.Reasons) > 0 {
			t.Errorf("a normal next day: %+v", s)
		}
	}
	before := w.publicState(t, "overall")
	day1 := snapshot.Identifier(day(1))
	if !strings.HasPrefix(before, "db "+day1) {
		t.Fatalf("day 1 is not public: %s", before)
	}

	cases := []struct {
		name string
		edit func(*leaderboard.Record)
		rule string
	}{
		{"30% fewer battles", fewerBattles, guard.RuleFewerBattles},
		{"a well-voted model gone", modelGone("biogpt"), guard.RuleModelGone},
		{"a score jump", scoreJump, guard.RuleScoreJump},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			now := day(2 + i)
			genomics := func(r *leaderboard.Record) { r.Battles += int64(10 * (i + 1)) }
			in := edit(t, next, map[string]func(*leaderboard.Record){"overall": c.edit, "genomics": genomics})
			r := runTool(t, w.everywhere(Options{Now: clockAt(now)}), in)
			if r.code != exitcode.Partial {
				t.Fatalf("exit %d, want %d\n%s%s", r.code, exitcode.Partial, r.stdout, r.stderr)
			}
			lines := byBoard(r.lines)
			s := lines["overall"]
			id := snapshot.Identifier(now)
			if s.Status != StatusHeld || s.Identifier != id || s.SnapshotID != "" || s.Previous == nil || s.Previous.Identifier != day1 ||
				fmt.Sprint(s.Where) != fmt.Sprint([]string{"s3://arena/lb", "dir:" + w.dir}) {
				t.Errorf("held summary: %+v", s)
			}
			if got := guard.RuleNames(s.Reasons); !slices.Equal(got, []string{c.rule}) {
				t.Errorf("rules %v, want [%s]", got, c.rule)
			}
			if g := lines["genomics"]; g.Status != StatusPublished || g.Identifier != id {
				t.Errorf("the other board: %+v", g)
			}
			// Nothing new is public for the held board.
			if got := w.publicState(t, "overall"); got != before {
				t.Errorf("public state moved:\n got %s\nwant %s", got, before)
			}
			if n := countRows(t, w.dbURL, "api.leaderboard_snapshot s JOIN api.leaderboard l ON l.id = s.leaderboard_id WHERE l.slug = 'overall'"); n != 2 {
				t.Errorf("overall has %d snapshots, want 2 (nothing written, not even private)", n)
			}
			// The held record and its reasons, in both places.
			for _, doc := range []string{w.object("held/overall/" + id + ".json"), w.file("held/overall/" + id + ".json")} {
				var h heldDocument
				if err := json.Unmarshal([]byte(doc), &h); err != nil {
					t.Fatalf("held document: %v\n%s", err, doc)
				}
				if h.Leaderboard != "overall" || h.Identifier != id || h.Previous == nil || h.Previous.Identifier != day1 ||
					len(h.Reasons) == 0 || h.Reasons[0].Rule != c.rule || h.Record == nil || h.Record.Battles == 0 {
					t.Errorf("held document: %s", doc)
				}
			}
			if w.file("overall/"+id+".json") != "" || w.object("overall/"+id+".json") != "" {
				t.Error("the held board's snapshot document was written")
			}
			// The message names the board and the rule.
			if !strings.Contains(r.stderr, "overall (stdin:1) held: "+c.rule) ||
				!strings.Contains(r.stderr, "1 leaderboard(s) held by the guard (overall: "+c.rule+"), 1 published") {
				t.Errorf("stderr:\n%s", r.stderr)
			}
		})
	}

	// Every board held: nothing published, exit 3.
	in := edit(t, next, map[string]func(*leaderboard.Record){"overall": fewerBattles, "genomics": fewerBattles})
	r = runTool(t, w.everywhere(Options{Now: clockAt(day(9))}), in)
	if r.code != exitcode.BadInput || r.lines[0].Status != StatusHeld || r.lines[1].Status != StatusHeld ||
		!strings.Contains(r.stderr, "none published") || !strings.Contains(r.stderr, "hint: the held records") {
		t.Errorf("all held: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// The dry run says the same, writing nothing.
	// (genomics grew by 10, 20 and 30 battles in the cases above.)
	in = edit(t, next, map[string]func(*leaderboard.Record){"overall": scoreJump, "genomics": func(r *leaderboard.Record) { r.Battles += 40 }})
	r = runTool(t, w.everywhere(Options{Now: clockAt(day(10)), DryRun: true, Diff: true}), in)
	if r.code != exitcode.BadInput || r.lines[0].Status != StatusWouldHold || r.lines[1].Status != StatusWouldPublish ||
		r.lines[0].Diff == nil || len(r.lines[0].Diff.Moved) != 1 || r.lines[0].Diff.Moved[0].Model != "gpt-4o" {
		t.Errorf("dry run: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if w.file("held/overall/"+snapshot.Identifier(day(10))+".json") != "" {
		t.Error("the dry run wrote a held record")
	}

	// --guard off publishes the deliberate change.
	in = edit(t, next, map[string]func(*leaderboard.Record){"overall": modelGone("biogpt")})
	r = runTool(t, w.everywhere(Options{Now: clockAt(day(11)), GuardOff: true}), in)
	if r.code != 0 || r.lines[0].Status != StatusPublished {
		t.Fatalf("--guard off: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got := w.publicState(t, "overall"); !strings.HasPrefix(got, "db "+snapshot.Identifier(day(11))) ||
		strings.Count(got, snapshot.Identifier(day(11))) != 4 {
		t.Errorf("--guard off: public state %s", got)
	}
}

// A backfill compares with its own past, not with the newest snapshot:
// day 2 published after day 3 is checked against day 1.
func TestGuardBackfillComparesWithItsPast(t *testing.T) {
	dbURL := pgtest.NewDB(t, "testdata/leaderboards/models.sql")
	day := func(n int) time.Time { return t0.Add(time.Duration(n) * 24 * time.Hour) }
	o := func(n int) Options { return Options{DB: true, DatabaseURL: dbURL, Now: clockAt(day(n))} }
	grow := func(n int64) func(*leaderboard.Record) {
		return func(r *leaderboard.Record) { r.Battles += n }
	}
	base := fixture(t, "valid.ndjson")
	for _, d := range []struct {
		n     int
		extra int64
	}{{1, 0}, {3, 2000}} {
		r := runTool(t, o(d.n), edit(t, base, map[string]func(*leaderboard.Record){"overall": grow(d.extra)}))
		if r.code != 0 {
			t.Fatalf("day %d: exit %d\n%s", d.n, r.code, r.stderr)
		}
	}
	// Day 2 has fewer battles than day 3 (1234+1000 < 1234+2000) but more
	// than day 1: it passes.
	r := runTool(t, Options{DB: true, DatabaseURL: dbURL, Now: clockAt(day(2)), Diff: true},
		edit(t, base, map[string]func(*leaderboard.Record){"overall": grow(1000)}))
	if r.code != 0 || r.lines[0].Status != StatusPublished {
		t.Fatalf("backfill: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if d := r.lines[0].Diff; d == nil || d.Previous == nil || d.Previous.Identifier != snapshot.Identifier(day(1)) || d.Battles.Before != 1234 {
		t.Errorf("backfill diff: %+v", d)
	}
	// A backfill that has fewer battles than its own past is held.
	r = runTool(t, Options{DB: true, DatabaseURL: dbURL, Now: clockAt(day(2).Add(time.Hour))},
		edit(t, base, map[string]func(*leaderboard.Record){"overall": fewerBattles}))
	if r.code != exitcode.Partial || r.lines[0].Status != StatusHeld || r.lines[0].Previous.Identifier != snapshot.Identifier(day(2)) {
		t.Errorf("backfill below its past: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// Without the database, the guard compares with latest.json of the place.
func TestGuardWithoutDatabase(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	base := fixture(t, "valid.ndjson")
	if r := runTool(t, Options{Dir: dir, Now: clockAt(t0)}, base); r.code != 0 {
		t.Fatalf("first run: exit %d\n%s", r.code, r.stderr)
	}
	latest, _ := os.ReadFile(filepath.Join(dir, "overall", "latest.json"))
	in := edit(t, base, map[string]func(*leaderboard.Record){"overall": modelGone("biogpt"), "genomics": func(r *leaderboard.Record) { r.Battles++ }})
	r := runTool(t, Options{Dir: dir, Now: clockAt(t0.Add(time.Hour)), Diff: true}, in)
	if r.code != exitcode.Partial {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	s := r.lines[0]
	if s.Status != StatusHeld || s.Previous == nil || s.Previous.Identifier != snapshot.Identifier(t0) || s.Previous.SnapshotID != "" ||
		len(s.Reasons) != 1 || s.Reasons[0].Model != "biogpt" {
		t.Errorf("held: %+v", s)
	}
	if s.Diff == nil || len(s.Diff.Removed) != 1 || s.Diff.Removed[0].Model != "biogpt" {
		t.Errorf("diff: %+v", s.Diff)
	}
	if now, _ := os.ReadFile(filepath.Join(dir, "overall", "latest.json")); string(now) != string(latest) {
		t.Error("latest.json moved")
	}
	if _, err := os.Stat(filepath.Join(dir, "held", "overall", snapshot.Identifier(t0.Add(time.Hour))+".json")); err != nil {
		t.Error(err)
	}
	// A record older than latest (a backfill without the database) has
	// nothing to compare with here, and is published as before.
	r = runTool(t, Options{Dir: dir, Now: clockAt(t0.Add(-time.Hour))}, in)
	if r.code != 0 {
		t.Errorf("older than latest: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

func TestDiffTable(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	base := fixture(t, "valid.ndjson")
	if r := runTool(t, Options{Dir: dir, Now: clockAt(t0)}, base); r.code != 0 {
		t.Fatalf("first run: exit %d\n%s", r.code, r.stderr)
	}
	in := edit(t, base, map[string]func(*leaderboard.Record){"overall": scoreJump})
	var out strings.Builder
	err := Run(context.Background(), Options{Dir: dir, DryRun: true, Diff: true, DiffTable: true, Now: clockAt(t0.Add(time.Hour))},
		strings.NewReader(in), &out, nopLogger())
	if exitcode.Code(err) != exitcode.BadInput {
		t.Errorf("exit %d: %v", exitcode.Code(err), err)
	}
	for _, want := range []string{"overall: would_hold, against " + snapshot.Identifier(t0), "gpt-4o", "held by score_jump",
		// genomics, without as_of and with the same numbers, is the snapshot
		// it already is, as the database would find it.
		"genomics: published already as " + snapshot.Identifier(t0) + ": nothing to do", "neuroscience: skipped: insufficient battles"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the table lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "{") {
		t.Errorf("JSON in the table:\n%s", out.String())
	}
}

func nopLogger() *clix.Logger {
	return clix.NewLogger("snapshot-publish", io.Discard, func(string) string { return "" })
}

func TestHeldOutcome(t *testing.T) {
	held := []heldBoard{{leaderboard: "overall", rules: []string{guard.RuleFewerBattles, guard.RuleScoreJump}}}
	transient := exitcode.Errorf(exitcode.Transient, "lost")
	config := exitcode.Errorf(exitcode.Config, "denied")
	for _, c := range []struct {
		name      string
		failures  []error
		published int
		dryRun    bool
		want      int
		words     []string
	}{
		{"held alone", nil, 0, false, exitcode.BadInput, []string{"1 leaderboard(s) held by the guard (overall: fewer_battles, score_jump)", "none published"}},
		{"held and published", nil, 3, false, exitcode.Partial, []string{"3 published"}},
		{"held, failed and published", []error{transient}, 3, false, exitcode.Partial, []string{"1 failed", "3 published"}},
		{"held and a transient failure", []error{transient}, 0, false, exitcode.BadInput, []string{"1 failed", "none published"}},
		{"held and a configuration failure", []error{config}, 0, false, exitcode.Config, []string{"1 failed"}},
		{"a dry run", nil, 0, true, exitcode.BadInput, []string{"would be held by the guard"}},
	} {
		p := &publisher{o: Options{DryRun: c.dryRun}}
		err := p.heldOutcome(c.failures, nil, c.published, held, true)
		if exitcode.Code(err) != c.want {
			t.Errorf("%s: status %d, want %d: %v", c.name, exitcode.Code(err), c.want, err)
		}
		for _, w := range c.words {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %q lacks %q", c.name, err, w)
			}
		}
	}
}
