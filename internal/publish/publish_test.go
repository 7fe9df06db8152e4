package publish

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bixarena/arena-snapshots/internal/clix"
	"github.com/bixarena/arena-snapshots/internal/exitcode"
	"github.com/bixarena/arena-snapshots/internal/pgtest"
	"github.com/bixarena/arena-snapshots/internal/s3test"
	"github.com/bixarena/arena-snapshots/internal/snapshot"
)

// world is a database, an S3 server and a folder to publish to.
type world struct {
	dbURL string
	s3    *s3test.Server
	dir   string
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{dbURL: pgtest.NewDB(t, "testdata/leaderboards/models.sql"), s3: s3test.Start(t), dir: filepath.Join(t.TempDir(), "out")}
	for _, kv := range w.s3.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	return w
}

// everywhere publishes to the database, the bucket and the folder.
func (w *world) everywhere(o Options) Options {
	o.DB, o.DatabaseURL, o.S3URL, o.S3PathStyle, o.Dir = true, w.dbURL, "s3://"+w.s3.Bucket+"/lb", true, w.dir
	return o
}

// object returns a stored object's bytes, read from the server's folder.
func (w *world) object(key string) string {
	b, _ := os.ReadFile(filepath.Join(w.s3.Dir, w.s3.Bucket, "lb", key))
	return string(b)
}

func (w *world) file(key string) string {
	b, _ := os.ReadFile(filepath.Join(w.dir, key))
	return string(b)
}

type result struct {
	code           int
	stdout, stderr string
	lines          []Summary
}

// runTool runs a publish as the command does and returns its exit status,
// output and summary lines.
func runTool(t *testing.T, o Options, stdin string) result {
	t.Helper()
	var out, errb bytes.Buffer
	log := clix.NewLogger("snapshot-publish", &errb, os.Getenv)
	err := Run(context.Background(), o, strings.NewReader(stdin), &out, log)
	if err != nil {
		log.Error(err)
	}
	r := result{code: exitcode.Code(err), stdout: out.String(), stderr: errb.String()}
	for _, l := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		if l == "" {
			continue
		}
		var s Summary
		if err := json.Unmarshal([]byte(l), &s); err != nil {
			t.Fatalf("stdout line %q: %v", l, err)
		}
		r.lines = append(r.lines, s)
	}
	return r
}

func fixture(t *testing.T, name string) string {
	b, err := os.ReadFile(pgtest.RepoFile(t, "testdata/leaderboards/"+name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func clockAt(t time.Time) func() time.Time { return func() time.Time { return t } }

var t0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func countRows(t *testing.T, dbURL, table string) int {
	var n int
	if err := pgtest.Connect(t, dbURL).QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestPublishEverywhere(t *testing.T) {
	w := newWorld(t)
	r := runTool(t, w.everywhere(Options{Now: clockAt(t0)}), fixture(t, "valid.ndjson"))
	if r.code != 0 || len(r.lines) != 3 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	id := "snapshot_2025-06-01_12-00-00"
	where := []string{"db", "s3://arena/lb", "dir:" + w.dir}
	for i, s := range r.lines[:2] {
		if s.Status != StatusPublished || s.Identifier != id || s.SnapshotID == "" || s.Existing || fmt.Sprint(s.Where) != fmt.Sprint(where) {
			t.Errorf("line %d: %+v", i+1, s)
		}
	}
	if r.lines[2].Status != StatusSkipped || r.lines[2].Reason != "insufficient_battles" {
		t.Errorf("skipped line: %+v", r.lines[2])
	}
	// Every place holds the same document, naming the database's snapshot.
	doc := w.object("overall/" + id + ".json")
	var d snapshot.Document
	if err := json.Unmarshal([]byte(doc), &d); err != nil {
		t.Fatalf("S3 document: %v\n%s", err, doc)
	}
	if d.SnapshotID != r.lines[0].SnapshotID || d.Entries[0].Name != "GPT-4o" || d.Entries[0].Organization != "OpenAI" || d.Name != "Overall" {
		t.Errorf("S3 document: %+v", d)
	}
	for _, other := range []string{w.object("overall/latest.json"), w.file("overall/" + id + ".json"), w.file("overall/latest.json")} {
		if other != doc {
			t.Errorf("the places disagree:\n%s\n%s", other, doc)
		}
	}
	if !strings.Contains(w.object("overall/latest.svg"), "GPT-4o") || !strings.Contains(w.object("index.json"), `"genomics"`) {
		t.Errorf("chart or index missing")
	}
	// The head-to-head files and the site, the same in both places.
	for _, key := range []string{"overall/" + id + ".pairs.json", "overall/" + id + ".observed.svg", "overall/" + id + ".predicted.svg",
		"overall/index.json", "overall/index.html", "genomics/index.html", "index.html"} {
		if w.object(key) == "" || w.object(key) != w.file(key) {
			t.Errorf("%s missing or different in S3 and the folder", key)
		}
	}
	if !strings.Contains(w.object("overall/"+id+".pairs.json"), `"predicted_a"`) || !strings.Contains(w.object("index.html"), "GPT-4o") {
		t.Errorf("the pairs document or the front page lacks what it shows")
	}

	// Again, an hour later: nothing new anywhere, the existing snapshot reported.
	r2 := runTool(t, w.everywhere(Options{Now: clockAt(t0.Add(time.Hour))}), fixture(t, "valid.ndjson"))
	if r2.code != 0 {
		t.Fatalf("second run: exit %d\n%s", r2.code, r2.stderr)
	}
	if s := r2.lines[0]; !s.Existing || s.Identifier != id || s.SnapshotID != r.lines[0].SnapshotID || s.Status != StatusPublished {
		t.Errorf("second run: %+v", s)
	}
	if n := countRows(t, w.dbURL, "api.leaderboard_snapshot"); n != 2 {
		t.Errorf("%d snapshots after two runs of two leaderboards", n)
	}
	if w.object("overall/latest.json") != doc {
		t.Errorf("latest changed on a rerun")
	}

	// Dry run with the database: reads only, and says what the publish
	// would: published already, nothing to do.
	r3 := runTool(t, w.everywhere(Options{Now: clockAt(t0.Add(2 * time.Hour)), DryRun: true}), fixture(t, "valid.ndjson"))
	if r3.code != 0 || r3.lines[0].Status != StatusPublished || !r3.lines[0].Existing || r3.lines[0].Identifier != id {
		t.Errorf("dry run: %d %+v %s", r3.code, r3.lines, r3.stderr)
	}
}

func TestUnknownSlugIsPartial(t *testing.T) {
	w := newWorld(t)
	r := runTool(t, w.everywhere(Options{Now: clockAt(t0)}), fixture(t, "unknown-slug.ndjson"))
	if r.code != exitcode.Partial {
		t.Fatalf("exit %d, want %d\n%s", r.code, exitcode.Partial, r.stderr)
	}
	if len(r.lines) != 2 || r.lines[0].Status != StatusPublished || r.lines[1].Status != StatusFailed ||
		!strings.Contains(r.lines[1].Error, `unknown model "no-such-model"`) || len(r.lines[1].Where) != 0 {
		t.Errorf("summaries: %+v", r.lines)
	}
	if !strings.Contains(r.stderr, `leaderboard genetics (stdin:2): unknown model "no-such-model"`) {
		t.Errorf("stderr: %s", r.stderr)
	}
	if w.file("genetics/latest.json") != "" || w.object("genetics/latest.json") != "" || w.file("overall/latest.json") == "" {
		t.Errorf("the failed leaderboard reached a folder or the bucket, or the good one did not")
	}
	if strings.Contains(w.object("index.json"), "genetics") || !strings.Contains(w.object("index.json"), "overall") {
		t.Errorf("index: %s", w.object("index.json"))
	}
}

func TestCutInputWritesNothing(t *testing.T) {
	w := newWorld(t)
	r := runTool(t, w.everywhere(Options{Now: clockAt(t0)}), fixture(t, "cut.ndjson"))
	if r.code != exitcode.BadInput || r.stdout != "" || !strings.Contains(r.stderr, "stdin:2: line cut short") {
		t.Fatalf("exit %d\nstdout %q\nstderr %s", r.code, r.stdout, r.stderr)
	}
	if n := countRows(t, w.dbURL, "api.leaderboard_snapshot"); n != 0 {
		t.Errorf("%d snapshots written from a cut input", n)
	}
	if _, err := os.Stat(w.dir); !os.IsNotExist(err) {
		t.Errorf("the folder was created: %v", err)
	}
	if entries, _ := os.ReadDir(filepath.Join(w.s3.Dir, w.s3.Bucket)); len(entries) != 0 {
		t.Errorf("the bucket holds %d objects", len(entries))
	}
}

func TestS3StoppedBeforeLatest(t *testing.T) {
	w := newWorld(t)
	in := fixture(t, "limits.ndjson")
	if r := runTool(t, w.everywhere(Options{Now: clockAt(t0)}), in); r.code != 0 {
		t.Fatalf("first run: exit %d\n%s", r.code, r.stderr)
	}
	old := w.object("pathology/latest.json")
	changed := strings.Replace(in, `"battles":2147483647`, `"battles":2147483646`, 1)
	r := runTool(t, Options{DB: true, DatabaseURL: w.dbURL, S3URL: "s3://" + w.s3.Bucket + "/lb", S3PathStyle: true,
		Now: clockAt(t0.Add(time.Minute)), BeforeLatest: w.s3.Stop}, changed)
	if r.code != exitcode.Transient {
		t.Fatalf("exit %d, want %d (transient)\n%s", r.code, exitcode.Transient, r.stderr)
	}
	if len(r.lines) != 1 || r.lines[0].Status != StatusFailed || fmt.Sprint(r.lines[0].Where) != "[db]" {
		t.Errorf("summary: %+v", r.lines)
	}
	if got := w.object("pathology/latest.json"); got != old {
		t.Errorf("latest changed:\n%s", got)
	}
	if !strings.Contains(w.object("pathology/snapshot_2025-06-01_12-01-00.json"), `"battles": 2147483646`) {
		t.Errorf("the immutable document was not written first")
	}
}

func TestS3UnreachableTouchesNothing(t *testing.T) {
	dbURL := pgtest.NewDB(t, "testdata/leaderboards/models.sql")
	t.Setenv("AWS_ACCESS_KEY_ID", "x")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "y")
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_ENDPOINT_URL_S3", "")
	r := runTool(t, Options{DB: true, DatabaseURL: dbURL, S3URL: "s3://arena/lb", S3Endpoint: "http://127.0.0.1:1", S3PathStyle: true},
		fixture(t, "valid.ndjson"))
	if r.code != exitcode.Transient || r.stdout != "" {
		t.Fatalf("exit %d, stdout %q\n%s", r.code, r.stdout, r.stderr)
	}
	if n := countRows(t, dbURL, "api.leaderboard_snapshot"); n != 0 {
		t.Errorf("%d snapshots written while S3 was unreachable", n)
	}
}

func TestDatabaseUnreachable(t *testing.T) {
	r := runTool(t, Options{DB: true, DatabaseURL: "postgres://nobody@127.0.0.1:1/x?connect_timeout=2"}, fixture(t, "valid.ndjson"))
	if r.code != exitcode.Transient || r.stdout != "" || !strings.Contains(r.stderr, "cannot connect") {
		t.Fatalf("exit %d, stdout %q\n%s", r.code, r.stdout, r.stderr)
	}
}
