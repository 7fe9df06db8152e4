package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/bixarena/arena-snapshots/internal/pgtest"
)

// ---- the alert webhook -------------------------------------------------------

// webhook is a local HTTP listener standing for a Slack incoming webhook.
type webhook struct {
	*httptest.Server
	mu     sync.Mutex
	bodies []map[string]any
	status int // the answer to every request
}

func newWebhook(t *testing.T, status int) *webhook {
	h := &webhook{status: status}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var body map[string]any
		if r.Method != http.MethodPost || json.Unmarshal(b, &body) != nil {
			body = map[string]any{"bad_request": r.Method + " " + string(b)}
		}
		h.mu.Lock()
		h.bodies = append(h.bodies, body)
		h.mu.Unlock()
		w.WriteHeader(h.status)
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *webhook) received() []map[string]any {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.bodies)
}

// expectOneAlert checks that the webhook got exactly one JSON POST whose
// text names the correlation id and each of words.
func expectOneAlert(t *testing.T, h *webhook, correlationID string, words ...string) {
	t.Helper()
	got := h.received()
	if len(got) != 1 {
		t.Fatalf("webhook received %d messages, want 1: %v", len(got), got)
	}
	text, _ := got[0]["text"].(string)
	if text == "" {
		t.Fatalf("webhook message has no text field: %v", got[0])
	}
	for _, w := range append([]string{correlationID}, words...) {
		if !strings.Contains(text, w) {
			t.Errorf("webhook text %q does not mention %q", text, w)
		}
	}
}

// ---- helpers -----------------------------------------------------------------

func merge(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// onlyEvent returns the single event named name, failing t otherwise.
func onlyEvent(t *testing.T, r jobResult, name string) map[string]any {
	t.Helper()
	evs := r.eventsNamed(name)
	if len(evs) != 1 {
		t.Fatalf("%d %q events, want 1\n%s", len(evs), name, r)
	}
	return evs[0]
}

// outcomes returns complete's per-leaderboard summaries by slug.
func outcomes(t *testing.T, complete map[string]any) map[string]map[string]any {
	t.Helper()
	list, ok := complete["leaderboards"].([]any)
	if !ok {
		t.Fatalf("complete has no leaderboards array: %v", complete)
	}
	out := map[string]map[string]any{}
	for _, x := range list {
		m, _ := x.(map[string]any)
		slug, _ := m["leaderboard"].(string)
		if slug == "" {
			t.Fatalf("summary without leaderboard: %v", x)
		}
		out[slug] = m
	}
	return out
}

// dbEntry is a published entry as the database has it.
type dbEntry struct {
	Rank          int
	Model         string
	Score, Lo, Hi float64
	Votes         int64
	SnapshotID    string
	Identifier    string
	Leaderboard   string
	Visibility    string
}

// publishedEntries returns the database's entries of snapshot id.
func publishedEntries(t *testing.T, dbURL, snapshotID string) []dbEntry {
	t.Helper()
	conn := pgtest.Connect(t, dbURL)
	rows, err := conn.Query(context.Background(), `
		SELECT e.rank, m.slug, e.bt_score::float8, e.bootstrap_q025::float8, e.bootstrap_q975::float8,
		       e.vote_count, s.id::text, s.snapshot_identifier, l.slug, s.visibility
		FROM api.leaderboard_entry e
		JOIN api.model m ON m.id = e.model_id
		JOIN api.leaderboard_snapshot s ON s.id = e.snapshot_id
		JOIN api.leaderboard l ON l.id = s.leaderboard_id AND l.id = e.leaderboard_id
		WHERE s.id = $1::uuid ORDER BY e.rank, m.slug`, snapshotID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []dbEntry
	for rows.Next() {
		var e dbEntry
		if err := rows.Scan(&e.Rank, &e.Model, &e.Score, &e.Lo, &e.Hi, &e.Votes, &e.SnapshotID, &e.Identifier, &e.Leaderboard, &e.Visibility); err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// document is the part of a snapshot document the tests compare.
type document struct {
	Leaderboard string `json:"leaderboard"`
	Identifier  string `json:"snapshot_identifier"`
	SnapshotID  string `json:"snapshot_id"`
	Provenance  struct {
		Seed uint64 `json:"seed"`
	} `json:"provenance"`
	Entries []struct {
		Rank    int     `json:"rank"`
		Model   string  `json:"model"`
		Score   float64 `json:"score"`
		CILower float64 `json:"ci_lower"`
		CIUpper float64 `json:"ci_upper"`
		Votes   int64   `json:"votes"`
	} `json:"entries"`
}

// documents reads the snapshot documents (JSON files with entries) under
// dir, by relative path.
func documents(t *testing.T, dir string) map[string]document {
	t.Helper()
	out := map[string]document{}
	for _, rel := range listFiles(t, dir) {
		if !strings.HasSuffix(rel, ".json") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, rel))
		if err != nil {
			t.Fatal(err)
		}
		var d document
		if err := json.Unmarshal(b, &d); err != nil {
			t.Errorf("%s: %v", rel, err)
			continue
		}
		if d.Leaderboard != "" && d.Entries != nil {
			out[rel] = d
		}
	}
	return out
}

// sameEntries compares a document's entries with the database's.
func sameEntries(t *testing.T, where string, d document, db []dbEntry) {
	t.Helper()
	if len(d.Entries) != len(db) {
		t.Errorf("%s: %d entries, the database has %d", where, len(d.Entries), len(db))
		return
	}
	near := func(a, b float64) bool { return math.Abs(a-b) <= 1e-6 }
	for i, e := range d.Entries {
		w := db[i]
		if e.Rank != w.Rank || e.Model != w.Model || e.Votes != w.Votes ||
			!near(e.Score, w.Score) || !near(e.CILower, w.Lo) || !near(e.CIUpper, w.Hi) {
			t.Errorf("%s: entry %d is %+v, the database has %+v", where, i, e, w)
		}
	}
}

// ---- tests -------------------------------------------------------------------

// TestJobPublishesEverywhere runs the job on the demo data with all three
// sinks: every leaderboard is published or skipped with its reason, and
// the database rows, the S3 documents and the folder files agree. No alert
// is sent. Under bash the database comes from DATABASE_URL; under dash from
// POSTGRES_* with a password that must never be logged.
func TestJobPublishesEverywhere(t *testing.T) {
	needTools(t)
	for _, sh := range shells {
		t.Run(sh, func(t *testing.T) {
			dbURL := demoDB(t)
			s3 := startS3(t)
			dir := t.TempDir()
			hook := newWebhook(t, http.StatusOK)
			const secret = "hunter2-never-logged"
			env := merge(s3.env(), map[string]string{
				"SNAPSHOT_DIR":        dir,
				"SNAPSHOT_S3_URI":     s3.uri("leaderboards"),
				"NUM_BOOTSTRAP":       "50",
				"ALERT_WEBHOOK_URL":   hook.URL,
				"RETRY_DELAY_SECONDS": "0",
				"CORRELATION_ID":      "e2e-everywhere-" + sh,
				"LEADERBOARD_SLUG":    "", // empty means unset: every leaderboard
			})
			if sh == "bash" {
				env["DATABASE_URL"] = dbURL
			} else {
				u, _ := url.Parse(dbURL)
				env["POSTGRES_HOST"] = u.Hostname()
				env["POSTGRES_PORT"] = u.Port()
				env["POSTGRES_DB"] = strings.TrimPrefix(u.Path, "/")
				env["POSTGRES_USER"] = u.User.Username()
				env["POSTGRES_PASSWORD"] = secret // trust authentication ignores it
			}
			start := time.Now()
			r := runJob(t, sh, env)
			t.Logf("%s: job took %v", sh, time.Since(start).Round(time.Millisecond))
			if r.code != 0 {
				t.Fatalf("job failed\n%s", r)
			}
			if strings.Contains(r.stdout+r.stderr, secret) {
				t.Errorf("the password appears in the logs")
			}
			onlyEvent(t, r, "start")
			if n := len(r.eventsNamed("retry")) + len(r.eventsNamed("error")); n != 0 {
				t.Errorf("%d retry/error events on success", n)
			}
			complete := onlyEvent(t, r, "complete")
			if complete["ok"] != true || complete["exit_status"] != 0.0 {
				t.Errorf("complete: %v", complete)
			}
			if d, _ := complete["duration_seconds"].(float64); d <= 0 {
				t.Errorf("complete has no duration: %v", complete)
			}

			got := outcomes(t, complete)
			if len(got) != 21 {
				t.Errorf("%d leaderboards in complete, want 21: %v", len(got), got)
			}
			var published []map[string]any
			skipped := 0
			for slug, o := range got {
				switch o["status"] {
				case "published":
					published = append(published, o)
				case "skipped":
					skipped++
					switch o["reason"] {
					case "insufficient_battles", "insufficient_models", "insufficient_qualifying_entries", "no_qualifying_entries":
					default:
						t.Errorf("%s skipped without a known reason: %v", slug, o)
					}
				default:
					t.Errorf("%s: %v", slug, o)
				}
			}
			for _, slug := range []string{"overall", "genomics", "clinical-trials", "cancer-biology"} {
				if got[slug]["status"] != "published" {
					t.Errorf("%s not published: %v", slug, got[slug])
				}
			}
			// 30-40 battles over 20 models: enough battles for production's
			// minimum (30), but no model reaches 10 votes.
			for _, slug := range []string{"biochemistry", "systems-biology"} {
				if got[slug]["status"] != "skipped" || got[slug]["reason"] != "no_qualifying_entries" {
					t.Errorf("sparse %s: %v, want skipped for no_qualifying_entries", slug, got[slug])
				}
			}
			if complete["published"] != float64(len(published)) || complete["skipped"] != float64(skipped) {
				t.Errorf("complete counts: %v published, %v skipped; want %d and %d",
					complete["published"], complete["skipped"], len(published), skipped)
			}

			// The database: one public snapshot per published leaderboard.
			if n := countSnapshots(t, dbURL); n != len(published) {
				t.Errorf("%d snapshots in the database, %d published", n, len(published))
			}
			folder := documents(t, dir)
			bucketDir := filepath.Join(s3.bucketDir(), "leaderboards")
			bucket := documents(t, bucketDir)
			for _, o := range published {
				slug := o["leaderboard"].(string)
				id, _ := o["snapshot_id"].(string)
				entries := publishedEntries(t, dbURL, id)
				if len(entries) == 0 {
					t.Errorf("%s: snapshot %q has no entries in the database", slug, id)
					continue
				}
				if entries[0].Leaderboard != slug || entries[0].Visibility != "public" {
					t.Errorf("%s: snapshot %s is %s/%s", slug, id, entries[0].Leaderboard, entries[0].Visibility)
				}
				if n, _ := o["entries"].(float64); int(n) != len(entries) {
					t.Errorf("%s: summary says %v entries, the database has %d", slug, o["entries"], len(entries))
				}
				// Every document of this snapshot, in the folder and in
				// the bucket (immutable and latest), has the database's entries.
				for name, docs := range map[string]map[string]document{"folder": folder, "bucket": bucket} {
					n := 0
					for rel, d := range docs {
						if d.Leaderboard != slug || d.Identifier != entries[0].Identifier {
							continue
						}
						n++
						if d.SnapshotID != "" && d.SnapshotID != id {
							t.Errorf("%s %s: snapshot_id %s, want %s", name, rel, d.SnapshotID, id)
						}
						sameEntries(t, name+" "+rel, d, entries)
					}
					if n < 2 {
						t.Errorf("%s: %d documents of snapshot %s in the %s, want the immutable one and latest", slug, n, entries[0].Identifier, name)
					}
				}
				for _, f := range []string{"latest.json", "latest.svg"} {
					if _, err := os.Stat(filepath.Join(dir, slug, f)); err != nil {
						t.Errorf("folder: %v", err)
					}
				}
			}
			for _, o := range got {
				if o["status"] == "skipped" {
					if _, err := os.Stat(filepath.Join(dir, o["leaderboard"].(string))); err == nil {
						t.Errorf("folder has files for skipped %s", o["leaderboard"])
					}
				}
			}
			// The folder and the bucket hold the same files, byte for byte.
			ff, bf := listFiles(t, dir), listFiles(t, bucketDir)
			if !slices.Equal(ff, bf) {
				t.Errorf("folder files %v\nbucket objects %v", ff, bf)
			} else {
				for _, rel := range ff {
					a, _ := os.ReadFile(filepath.Join(dir, rel))
					b, _ := os.ReadFile(filepath.Join(bucketDir, rel))
					if !bytes.Equal(a, b) {
						t.Errorf("%s differs between the folder and the bucket", rel)
					}
				}
			}
			if got := hook.received(); len(got) != 0 {
				t.Errorf("a successful run sent %d alerts: %v", len(got), got)
			}
		})
	}
}

// TestJobOneLeaderboard: LEADERBOARD_SLUG chooses one leaderboard, and
// extra arguments reach rank.
func TestJobOneLeaderboard(t *testing.T) {
	needTools(t)
	dbURL := demoDB(t)
	dir := t.TempDir()
	r := runJob(t, "dash", map[string]string{
		"DATABASE_URL":     dbURL,
		"SNAPSHOT_DIR":     dir,
		"NUM_BOOTSTRAP":    "50",
		"LEADERBOARD_SLUG": "genomics",
	}, "--seed", "7")
	if r.code != 0 {
		t.Fatalf("job failed\n%s", r)
	}
	start := onlyEvent(t, r, "start")
	if start["leaderboard"] != "genomics" {
		t.Errorf("start: leaderboard %v", start["leaderboard"])
	}
	got := outcomes(t, onlyEvent(t, r, "complete"))
	if len(got) != 1 || got["genomics"]["status"] != "published" {
		t.Fatalf("outcomes %v, want genomics published only", got)
	}
	if n := countSnapshots(t, dbURL); n != 1 {
		t.Errorf("%d snapshots, want 1", n)
	}
	docs := documents(t, dir)
	if len(docs) == 0 {
		t.Fatalf("no documents in %s: %v", dir, listFiles(t, dir))
	}
	for rel, d := range docs {
		if d.Leaderboard != "genomics" && d.Leaderboard != "" {
			t.Errorf("%s is of leaderboard %s", rel, d.Leaderboard)
		}
		if d.Provenance.Seed != 7 {
			t.Errorf("%s: seed %d, want 7 (the extra argument --seed 7)", rel, d.Provenance.Seed)
		}
	}
}

// killingExport installs, in a new folder put first on PATH, a
// battles-export that streams the first lines of the real one's output and
// is then killed with SIGKILL: a stream cut short by a dying producer.
func killingExport(t *testing.T, lines int) (pathDir string) {
	t.Helper()
	d := t.TempDir()
	writeScript(t, filepath.Join(d, "battles-export"), `case "$*" in *--check-settings*) exec "$REAL_BATTLES_EXPORT" "$@" ;; esac
"$REAL_BATTLES_EXPORT" "$@" | { head -n "$KILL_AFTER_LINES"; kill -KILL $$; }
`)
	return d
}

// TestJobExportKilled: battles-export dies by SIGKILL mid-stream, in the
// entrypoint and in a pipe typed by hand in bash without pipefail. Nothing
// is published anywhere.
func TestJobExportKilled(t *testing.T) {
	needTools(t)
	dbURL := demoDB(t)
	s3 := startS3(t)
	dir := t.TempDir()
	pathDir := killingExport(t, 20)
	env := merge(s3.env(), map[string]string{
		"PATH":                pathDir + ":" + toolDir + ":/usr/local/bin:/usr/bin:/bin",
		"REAL_BATTLES_EXPORT": filepath.Join(toolDir, "battles-export"),
		"KILL_AFTER_LINES":    "20",
		"DATABASE_URL":        dbURL,
		"SNAPSHOT_DIR":        dir,
		"SNAPSHOT_S3_URI":     s3.uri("leaderboards"),
		"NUM_BOOTSTRAP":       "50",
		"RETRY_DELAY_SECONDS": "0",
	})
	nothingPublished := func(t *testing.T) {
		t.Helper()
		if n := countSnapshots(t, dbURL); n != 0 {
			t.Errorf("%d snapshots in the database", n)
		}
		if f := publishedFiles(listFiles(t, dir)); len(f) != 0 {
			t.Errorf("files in the folder: %v", f)
		}
		if o := publishedFiles(s3.objects(t)); len(o) != 0 {
			t.Errorf("objects in the bucket: %v", o)
		}
	}

	for _, sh := range shells {
		t.Run("entrypoint/"+sh, func(t *testing.T) {
			hook := newWebhook(t, http.StatusOK)
			r := runJob(t, sh, merge(env, map[string]string{"ALERT_WEBHOOK_URL": hook.URL, "CORRELATION_ID": "e2e-killed"}))
			if r.code != 1 {
				t.Errorf("exit %d, want 1 (a stage killed by a signal)\n%s", r.code, r)
			}
			if n := len(r.eventsNamed("start")); n != 1 {
				t.Errorf("%d start events, want 1 (no retry)", n)
			}
			e := onlyEvent(t, r, "error")
			if e["stage"] != "export" || !strings.Contains(e["error"].(string), "KILL") {
				t.Errorf("error event: %v", e)
			}
			if !strings.Contains(r.stderr, `"tool":"rank"`) {
				t.Errorf("rank said nothing about the cut stream\n%s", r.stderr)
			}
			nothingPublished(t)
			expectOneAlert(t, hook, "e2e-killed", "battles-export", "KILL")
		})
	}

	t.Run("hand-typed pipe", func(t *testing.T) {
		pipe := `set +o pipefail; battles-export --aggregate | rank | snapshot-publish --db --dir "$SNAPSHOT_DIR" --s3 "$SNAPSHOT_S3_URI"`
		r := runShell(t, "bash", env, "-c", pipe)
		t.Logf("pipe status (snapshot-publish's): %d\n%s", r.code, r.stderr)
		if !strings.Contains(r.stderr, "rank:") {
			t.Errorf("rank said nothing about the cut stream\n%s", r)
		}
		if strings.Contains(r.stdout, `"published"`) {
			t.Errorf("snapshot-publish reports a publication\n%s", r)
		}
		nothingPublished(t)
	})
}

// TestJobDatabaseUnreachable: with nothing listening at the database's
// address, the job retries once after RETRY_DELAY_SECONDS, then exits 5;
// the webhook receives one message; nothing is published.
func TestJobDatabaseUnreachable(t *testing.T) {
	needTools(t)
	for _, sh := range shells {
		t.Run(sh, func(t *testing.T) {
			hook := newWebhook(t, http.StatusOK)
			dir := t.TempDir()
			start := time.Now()
			r := runJob(t, sh, map[string]string{
				"POSTGRES_HOST":       "127.0.0.1",
				"POSTGRES_PORT":       closedPort(t),
				"POSTGRES_DB":         "arena",
				"POSTGRES_USER":       "postgres",
				"SNAPSHOT_DIR":        dir,
				"RETRY_DELAY_SECONDS": "1",
				"ALERT_WEBHOOK_URL":   hook.URL,
				"CORRELATION_ID":      "e2e-unreachable-" + sh,
			})
			if r.code != 5 {
				t.Errorf("exit %d, want 5\n%s", r.code, r)
			}
			if time.Since(start) < time.Second {
				t.Errorf("no pause before the retry")
			}
			starts, retries, errs := r.eventsNamed("start"), r.eventsNamed("retry"), r.eventsNamed("error")
			if len(starts) != 2 || len(retries) != 1 || len(errs) != 2 {
				t.Errorf("%d start, %d retry, %d error events; want 2, 1, 2\n%s", len(starts), len(retries), len(errs), r)
			}
			for _, e := range errs {
				if e["stage"] != "export" || e["exit_status"] != 5.0 {
					t.Errorf("error event %v, want battles-export's transient failure", e)
				}
			}
			c := onlyEvent(t, r, "complete")
			if c["ok"] != false || c["exit_status"] != 5.0 || c["attempts"] != 2.0 {
				t.Errorf("complete: %v", c)
			}
			if f := publishedFiles(listFiles(t, dir)); len(f) != 0 {
				t.Errorf("files in the folder: %v", f)
			}
			expectOneAlert(t, hook, "e2e-unreachable-"+sh, "battles-export", "exit 5")
		})
	}
}

// TestJobBadParameters: a bad ranking variable is a usage error naming it,
// with no retry; the alert goes out, and a webhook that fails changes
// nothing but a log line.
func TestJobBadParameters(t *testing.T) {
	needTools(t)
	dbURL := demoDB(t)
	for i, c := range []struct{ name, value string }{
		{"NUM_BOOTSTRAP", "lots"},
		{"NUM_BOOTSTRAP", "0"},
		{"MIN_EVALS", "-1"},
		{"SIGNIFICANT", "maybe"},
	} {
		sh := shells[i%len(shells)]
		t.Run(c.name+"="+c.value+"/"+sh, func(t *testing.T) {
			status := http.StatusOK
			if i%2 == 1 {
				status = http.StatusInternalServerError
			}
			hook := newWebhook(t, status)
			dir := t.TempDir()
			r := runJob(t, sh, map[string]string{
				"DATABASE_URL":        dbURL,
				"SNAPSHOT_DIR":        dir,
				c.name:                c.value,
				"RETRY_DELAY_SECONDS": "0",
				"ALERT_WEBHOOK_URL":   hook.URL,
				"CORRELATION_ID":      "e2e-bad-param",
			})
			if r.code != 2 {
				t.Errorf("exit %d, want 2\n%s", r.code, r)
			}
			if n := len(r.eventsNamed("start")); n != 1 {
				t.Errorf("%d start events, want 1 (no retry)", n)
			}
			e := onlyEvent(t, r, "error")
			if e["stage"] != "rank" || !strings.Contains(e["error"].(string), c.name) {
				t.Errorf("error event does not name %s: %v", c.name, e)
			}
			if n := countSnapshots(t, dbURL); n != 0 {
				t.Errorf("%d snapshots", n)
			}
			expectOneAlert(t, hook, "e2e-bad-param", c.name)
			if status != http.StatusOK {
				if len(r.eventsNamed("alert_failed")) != 1 {
					t.Errorf("the failing webhook is not logged\n%s", r.stdout)
				}
			}
		})
	}
}

// TestJobMissingTool: a tool missing from PATH is a configuration error
// naming it.
func TestJobMissingTool(t *testing.T) {
	needTools(t)
	d := t.TempDir()
	for _, tool := range []string{"battles-export", "snapshot-publish"} {
		if err := os.Symlink(filepath.Join(toolDir, tool), filepath.Join(d, tool)); err != nil {
			t.Fatal(err)
		}
	}
	for _, sh := range shells {
		t.Run(sh, func(t *testing.T) {
			hook := newWebhook(t, http.StatusOK)
			r := runJob(t, sh, map[string]string{
				"PATH":              d + ":/usr/bin:/bin",
				"ALERT_WEBHOOK_URL": hook.URL,
				"CORRELATION_ID":    "e2e-missing",
			})
			if r.code != 4 {
				t.Errorf("exit %d, want 4\n%s", r.code, r)
			}
			e := onlyEvent(t, r, "error")
			if msg, _ := e["error"].(string); !strings.HasPrefix(msg, "rank not found") {
				t.Errorf("error event: %v", e)
			}
			expectOneAlert(t, hook, "e2e-missing", "rank")
		})
	}
}

// cuttingProxy forwards TCP connections from 127.0.0.1 to target and cuts
// the first connection over which the server has sent more than cutAfter
// bytes: a database that goes away in the middle of a query. Later
// connections pass untouched.
type cuttingProxy struct {
	addr     string
	mu       sync.Mutex
	cut      bool
	cutAfter int64
}

func newCuttingProxy(t *testing.T, target string, cutAfter int64) *cuttingProxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cuttingProxy{addr: l.Addr().String(), cutAfter: cutAfter}
	var wg sync.WaitGroup
	t.Cleanup(func() { l.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				p.serve(c, target)
			}()
		}
	}()
	return p
}

func (p *cuttingProxy) serve(c net.Conn, target string) {
	defer c.Close()
	s, err := net.Dial("tcp", target)
	if err != nil {
		return
	}
	defer s.Close()
	go func() { io.Copy(s, c); s.Close() }()
	p.mu.Lock()
	cutThis := !p.cut
	p.mu.Unlock()
	if !cutThis {
		io.Copy(c, s)
		return
	}
	n, _ := io.CopyN(c, s, p.cutAfter)
	if n < p.cutAfter {
		return // a short conversation: not the one to cut
	}
	p.mu.Lock()
	p.cut = true
	p.mu.Unlock()
	// Drop the connection without a word, as a server that dies does.
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
}

func (p *cuttingProxy) didCut() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cut
}

// TestJobDatabaseLostThenBack: the database connection is lost while
// battles-export streams; the job retries once and the second attempt
// publishes. No alert: the run succeeded.
func TestJobDatabaseLostThenBack(t *testing.T) {
	needTools(t)
	dbURL := demoDB(t)
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := newCuttingProxy(t, u.Host, 64<<10)
	u.Host = proxy.addr
	hook := newWebhook(t, http.StatusOK)
	r := runJob(t, "dash", map[string]string{
		"DATABASE_URL":        u.String(),
		"SNAPSHOT_DIR":        t.TempDir(),
		"NUM_BOOTSTRAP":       "50",
		"RETRY_DELAY_SECONDS": "1",
		"ALERT_WEBHOOK_URL":   hook.URL,
	})
	if !proxy.didCut() {
		t.Fatalf("the proxy never cut a connection\n%s", r)
	}
	if r.code != 0 {
		t.Fatalf("exit %d, want 0 after the retry\n%s", r.code, r)
	}
	if len(r.eventsNamed("start")) != 2 || len(r.eventsNamed("retry")) != 1 {
		t.Errorf("want two attempts and one retry\n%s", r)
	}
	e := onlyEvent(t, r, "error")
	t.Logf("first attempt: %v", e["error"])
	if e["stage"] != "export" || e["exit_status"] != 5.0 {
		t.Errorf("first attempt's error: %v, want battles-export's transient failure", e)
	}
	c := onlyEvent(t, r, "complete")
	if c["ok"] != true || c["attempts"] != 2.0 {
		t.Errorf("complete: %v", c)
	}
	if n, want := countSnapshots(t, dbURL), int(c["published"].(float64)); n != want || n == 0 {
		t.Errorf("%d snapshots, %d published", n, want)
	}
	if got := hook.received(); len(got) != 0 {
		t.Errorf("alerts on a run that succeeded at the retry: %v", got)
	}
}

// TestJobConfigurationError: a database without the api schema is a
// configuration error (exit 4), not retried.
func TestJobConfigurationError(t *testing.T) {
	needTools(t)
	r := runJob(t, "dash", map[string]string{
		"DATABASE_URL":        pgtest.AdminURL(t), // a database without the api schema
		"RETRY_DELAY_SECONDS": "0",
	})
	if r.code != 4 {
		t.Errorf("exit %d, want 4\n%s", r.code, r)
	}
	if len(r.eventsNamed("start")) != 1 || len(r.eventsNamed("retry")) != 0 {
		t.Errorf("a configuration error was retried\n%s", r)
	}
	if e := onlyEvent(t, r, "error"); e["stage"] != "export" {
		t.Errorf("error event %v, want battles-export's", e)
	}
}

// TestJobStopped: SIGTERM to the job reaches the running stage; the job
// ends at once with 143, publishes nothing and alerts. The signal comes
// either while the export runs or the moment the job has logged its start,
// when the stages are being started: a stage starting as the signal
// arrives must be stopped too.
func TestJobStopped(t *testing.T) {
	needTools(t)
	for _, when := range []string{"at-start", "mid-export"} {
		t.Run(when, func(t *testing.T) {
			d := t.TempDir()
			// A battles-export that hangs, as one waiting on a stuck database.
			writeScript(t, filepath.Join(d, "battles-export"), "case \"$*\" in *--check-settings*) exit 0 ;; esac\nexec sleep 60\n")
			hook := newWebhook(t, http.StatusOK)
			dir := t.TempDir()
			env := merge(baseEnv(t), map[string]string{
				"PATH":              d + ":" + toolDir + ":/usr/bin:/bin",
				"SNAPSHOT_DIR":      dir,
				"ALERT_WEBHOOK_URL": hook.URL,
				"CORRELATION_ID":    "e2e-stopped",
			})
			cmd := exec.Command("dash", "scripts/entrypoint.sh")
			cmd.Dir = root
			for k, v := range env {
				cmd.Env = append(cmd.Env, k+"="+v)
			}
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			var stdout strings.Builder
			started := make(chan struct{})
			copied := make(chan struct{})
			go func() {
				defer close(copied)
				buf := make([]byte, 4096)
				once := false
				for {
					n, err := out.Read(buf)
					stdout.Write(buf[:n])
					if !once && strings.Contains(stdout.String(), `"event":"start"`) {
						once = true
						close(started)
					}
					if err != nil {
						return
					}
				}
			}()
			select {
			case <-started:
			case <-time.After(20 * time.Second):
				cmd.Process.Kill()
				t.Fatal("the job logged no start")
			}
			if when == "mid-export" {
				time.Sleep(time.Second)
			}
			start := time.Now()
			cmd.Process.Signal(syscall.SIGTERM)
			done := make(chan error, 1)
			go func() { <-copied; done <- cmd.Wait() }()
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				cmd.Process.Kill()
				t.Fatalf("the job did not stop on SIGTERM\n%s", stdout.String())
			}
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("the job took %v to stop", took)
			}
			if code := cmd.ProcessState.ExitCode(); code != 143 {
				t.Errorf("exit %d, want 143\n%s", code, stdout.String())
			}
			if !strings.Contains(stdout.String(), "stopped by SIGTERM") {
				t.Errorf("no error event naming the signal\n%s", stdout.String())
			}
			if f := publishedFiles(listFiles(t, dir)); len(f) != 0 {
				t.Errorf("files in the folder: %v", f)
			}
			expectOneAlert(t, hook, "e2e-stopped", "SIGTERM")
		})
	}
}

// TestJobHelp: --help prints the usage and the variables, and runs nothing
// (no tool on PATH, no event).
func TestJobHelp(t *testing.T) {
	for _, sh := range shells {
		for _, arg := range []string{"--help", "-h"} {
			r := runShell(t, sh, map[string]string{"PATH": "/usr/bin:/bin"}, "scripts/entrypoint.sh", arg)
			if r.code != 0 || r.stderr != "" {
				t.Errorf("%s %s: %s", sh, arg, r)
			}
			for _, want := range []string{"usage: entrypoint.sh", "NUM_BOOTSTRAP", "SNAPSHOT_S3_URI", "RETRY_DELAY_SECONDS", "130, 143"} {
				if !strings.Contains(r.stdout, want) {
					t.Errorf("%s %s: the usage lacks %q\n%s", sh, arg, want, r.stdout)
				}
			}
		}
	}
}

// TestJobLogsAnyText: values with quotes, backslashes, control characters
// and option-like words reach the log lines intact, as valid JSON.
func TestJobLogsAnyText(t *testing.T) {
	needTools(t)
	// (An id with such text is refused: it names the run's record;
	// TestJobChecksCorrelationID.)
	id := "any-text.1_A"
	args := []string{"--seed", "7", `--min-votes="x\y"`, "--leaderboard", "two words ünï\ttab\nnewline"}
	for _, sh := range shells {
		t.Run(sh, func(t *testing.T) {
			r := runJob(t, sh, map[string]string{
				"CORRELATION_ID":      id,
				"LEADERBOARD_SLUG":    "a \"slug\"",
				"DATABASE_URL":        "postgres://u@127.0.0.1:" + closedPort(t) + "/arena",
				"RETRY_DELAY_SECONDS": "0",
			}, args...)
			start := r.eventsNamed("start")[0]
			if start["correlation_id"] != id || start["leaderboard"] != "a \"slug\"" {
				t.Errorf("start: %v", start)
			}
			got, _ := start["rank_args"].([]any)
			if len(got) != len(args) {
				t.Fatalf("rank_args %v, want %q", got, args)
			}
			for i, a := range args {
				if got[i] != a {
					t.Errorf("rank_args[%d] = %q, want %q", i, got[i], a)
				}
			}
			if c := onlyEvent(t, r, "complete"); c["ok"] != false {
				t.Errorf("complete: %v", c)
			}
		})
	}
}

// TestJobWithoutJQ: without jq the job cannot log; it says so on stderr and
// exits 4 (configuration) before running anything.
func TestJobWithoutJQ(t *testing.T) {
	needTools(t)
	for _, sh := range shells {
		r := runShell(t, sh, map[string]string{"PATH": toolDir, "CORRELATION_ID": "x"}, "scripts/entrypoint.sh")
		if r.code != 4 || !strings.Contains(r.stderr, "jq not found") || r.stdout != "" {
			t.Errorf("%s: %s", sh, r)
		}
	}
}
