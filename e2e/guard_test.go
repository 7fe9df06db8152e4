package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/bixarena/arena-snapshots/internal/pgtest"
)

// craftingRank puts a rank in front of the real one on PATH that passes
// its records through the jq filter: the job then publishes crafted
// records, as a broken day would make them.
func craftingRank(t *testing.T, filter string) string {
	t.Helper()
	dir := t.TempDir()
	writeScript(t, filepath.Join(dir, "rank"), fmt.Sprintf(`set -e
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
%q "$@" >"$tmp"
jq -c %s "$tmp"
`, filepath.Join(toolDir, "rank"), shellQuote(filter)))
	return dir + ":" + toolDir + ":/usr/local/bin:/usr/bin:/bin"
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// onOverall applies a jq expression to the overall record, after dropping
// what the change would make inconsistent (head-to-head counts, rank
// ranges, tiers: all optional).
func onOverall(change string) string {
	return `if .leaderboard == "overall" then del(.head_to_head) | .entries |= map(del(.rank_best, .rank_worst, .tier)) | ` +
		change + ` else . end`
}

// Filters that break one guard rule on the overall leaderboard.
var (
	fewerBattles = onOverall(`.battles |= (. * 7 / 10 | floor)`)
	// The best-voted model after the leader leaves the board.
	modelGone = onOverall(`(.entries[1:] | max_by(.votes) | .model) as $m
		| .entries |= (map(select(.model != $m)) | to_entries | map(.value.rank = .key + 1 | .value))`)
	// The leader's score jumps by ten times its interval's width.
	scoreJump = onOverall(`(.entries[0] | (.ci_upper - .ci_lower) * 10) as $d
		| .entries[0] |= (.score += $d | .ci_lower += $d | .ci_upper += $d)`)
)

// publicOverall is what readers see of overall: the API's current
// snapshot, latest.json in the folder and the bucket, and the index lines.
func publicOverall(t *testing.T, dbURL, dir, bucketDir string) string {
	t.Helper()
	var id string
	err := pgtest.Connect(t, dbURL).QueryRow(context.Background(), `
		SELECT s.snapshot_identifier FROM api.leaderboard_snapshot s JOIN api.leaderboard l ON l.id = s.leaderboard_id
		WHERE l.slug = 'overall' AND s.visibility = 'public' ORDER BY s.created_at DESC LIMIT 1`).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	read := func(p string) string { b, _ := os.ReadFile(p); return string(b) }
	var idx struct {
		Leaderboards []struct {
			Leaderboard string `json:"leaderboard"`
			Identifier  string `json:"snapshot_identifier"`
		} `json:"leaderboards"`
	}
	line := func(p string) string {
		json.Unmarshal([]byte(read(p)), &idx)
		for _, l := range idx.Leaderboards {
			if l.Leaderboard == "overall" {
				return l.Identifier
			}
		}
		return ""
	}
	return fmt.Sprintf("db %s\ndir latest %s\nbucket latest %s\ndir index %s\nbucket index %s", id,
		read(filepath.Join(dir, "overall", "latest.json")), read(filepath.Join(bucketDir, "overall", "latest.json")),
		line(filepath.Join(dir, "index.json")), line(filepath.Join(bucketDir, "index.json")))
}

// publishedFiles returns the files (relative paths, maybe under a prefix)
// that are not the run history (runs/): what a run published.
func publishedFiles(files []string) []string {
	var out []string
	for _, f := range files {
		if !strings.HasPrefix(f, "runs/") && !strings.Contains(f, "/runs/") {
			out = append(out, f)
		}
	}
	return out
}

// runIndex reads runs/index.json of a place: each run's correlation id,
// exit status and problems.
type runLine struct {
	CorrelationID string `json:"correlation_id"`
	ExitStatus    int    `json:"exit_status"`
	Published     int    `json:"published"`
	Held          int    `json:"held"`
	Problems      []struct {
		Leaderboard string   `json:"leaderboard"`
		Status      string   `json:"status"`
		Rules       []string `json:"rules"`
	} `json:"problems"`
	Record string `json:"record"`
}

func runIndex(t *testing.T, place string) map[string]runLine {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(place, "runs", "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	var idx struct {
		Runs []runLine `json:"runs"`
	}
	if err := json.Unmarshal(b, &idx); err != nil {
		t.Fatal(err)
	}
	out := map[string]runLine{}
	for _, r := range idx.Runs {
		out[r.CorrelationID] = r
	}
	return out
}

// TestJobGuard runs the daily job against the real database, S3 server and
// a folder: a normal next day publishes with no alert; a crafted record
// that breaks each rule is held (nothing new public, the record and its
// reasons in held/, one alert naming the board and the rule, the other
// boards published, exit 6); PUBLISH_GUARD=off publishes it. Every run is
// in the run history of both places.
func TestJobGuard(t *testing.T) {
	needTools(t)
	if _, err := exec.LookPath("jq"); err != nil {
		t.Skip("jq is not installed: the job needs it")
	}
	dbURL := demoDB(t)
	s3 := startS3(t)
	dir := t.TempDir()
	bucketDir := filepath.Join(s3.bucketDir(), "lb")
	env := func(id, hook string) map[string]string {
		return merge(s3.env(), map[string]string{
			"DATABASE_URL":        dbURL,
			"SNAPSHOT_DIR":        dir,
			"SNAPSHOT_S3_URI":     s3.uri("lb"),
			"NUM_BOOTSTRAP":       "50",
			"RETRY_DELAY_SECONDS": "0",
			"CORRELATION_ID":      id,
			"ALERT_WEBHOOK_URL":   hook,
		})
	}
	for i, id := range []string{"guard-day-1", "guard-day-2"} {
		hook := newWebhook(t, http.StatusOK)
		r := runJob(t, "dash", env(id, hook.URL))
		if r.code != 0 {
			t.Fatalf("day %d: %s", i+1, r)
		}
		if got := hook.received(); len(got) != 0 {
			t.Errorf("day %d sent alerts: %v", i+1, got)
		}
	}
	before := publicOverall(t, dbURL, dir, bucketDir)

	cases := []struct{ name, filter, rule string }{
		{"fewer-battles", fewerBattles, "fewer_battles"},
		{"model-gone", modelGone, "model_gone"},
		{"score-jump", scoreJump, "score_jump"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			hook := newWebhook(t, http.StatusOK)
			e := env("guard-"+c.name, hook.URL)
			e["PATH"] = craftingRank(t, c.filter)
			r := runJob(t, "dash", e)
			if r.code != 6 {
				t.Fatalf("exit %d, want 6\n%s", r.code, r)
			}
			complete := onlyEvent(t, r, "complete")
			got := outcomes(t, complete)
			o := got["overall"]
			if o["status"] != "held" || o["snapshot_id"] != nil {
				t.Fatalf("overall: %v", o)
			}
			reasons, _ := o["reasons"].([]any)
			if len(reasons) == 0 || reasons[0].(map[string]any)["rule"] != c.rule {
				t.Errorf("overall reasons %v, want %s first", reasons, c.rule)
			}
			if complete["held"] != 1.0 {
				t.Errorf("complete: held %v", complete["held"])
			}
			for _, slug := range []string{"genomics", "clinical-trials"} {
				if got[slug]["status"] != "published" {
					t.Errorf("%s: %v", slug, got[slug])
				}
			}
			if now := publicOverall(t, dbURL, dir, bucketDir); now != before {
				t.Errorf("overall moved:\n%s\nwant\n%s", now, before)
			}
			id, _ := o["identifier"].(string)
			for _, place := range []string{dir, bucketDir} {
				b, err := os.ReadFile(filepath.Join(place, "held", "overall", id+".json"))
				if err != nil {
					t.Fatal(err)
				}
				var held struct {
					Reasons []struct{ Rule string } `json:"reasons"`
					Record  struct{ Leaderboard string }
				}
				if err := json.Unmarshal(b, &held); err != nil || len(held.Reasons) == 0 || held.Reasons[0].Rule != c.rule || held.Record.Leaderboard != "overall" {
					t.Errorf("%s held/overall/%s.json: %v\n%s", place, id, err, b)
				}
			}
			expectOneAlert(t, hook, "guard-"+c.name, "overall", c.rule)
		})
	}

	// The deliberate change: PUBLISH_GUARD=off publishes it.
	hook := newWebhook(t, http.StatusOK)
	e := env("guard-off", hook.URL)
	e["PATH"] = craftingRank(t, fewerBattles)
	e["PUBLISH_GUARD"] = "off"
	r := runJob(t, "bash", e)
	if r.code != 0 {
		t.Fatalf("PUBLISH_GUARD=off: %s", r)
	}
	if o := outcomes(t, onlyEvent(t, r, "complete"))["overall"]; o["status"] != "published" {
		t.Errorf("PUBLISH_GUARD=off: overall %v", o)
	}
	if publicOverall(t, dbURL, dir, bucketDir) == before || len(hook.received()) != 0 {
		t.Errorf("PUBLISH_GUARD=off: overall not published, or an alert was sent")
	}

	// The run history of both places lists every run with its outcome.
	for _, place := range []string{dir, bucketDir} {
		runs := runIndex(t, place)
		if len(runs) != 6 {
			t.Errorf("%s: %d runs, want 6: %v", place, len(runs), runs)
		}
		if r := runs["guard-day-1"]; r.ExitStatus != 0 || r.Published == 0 || r.Held != 0 {
			t.Errorf("%s: day 1 %+v", place, r)
		}
		for _, c := range cases {
			r := runs["guard-"+c.name]
			if r.ExitStatus != 6 || r.Held != 1 || len(r.Problems) != 1 || r.Problems[0].Leaderboard != "overall" ||
				r.Problems[0].Status != "held" || r.Problems[0].Rules[0] != c.rule {
				t.Errorf("%s: %s %+v", place, c.name, r)
			}
		}
		// The record is the complete event: settings without secrets, and
		// each board's outcome with its snapshot id or reasons.
		b, err := os.ReadFile(filepath.Join(place, runs["guard-score-jump"].Record))
		if err != nil {
			t.Fatal(err)
		}
		var rec struct {
			Event        string           `json:"event"`
			StartedAt    string           `json:"started_at"`
			Settings     map[string]any   `json:"settings"`
			Leaderboards []map[string]any `json:"leaderboards"`
		}
		if err := json.Unmarshal(b, &rec); err != nil {
			t.Fatal(err)
		}
		if rec.Event != "complete" || rec.StartedAt == "" || rec.Settings["guard"] != "on" || rec.Settings["database"] == nil || len(rec.Leaderboards) != 21 {
			t.Errorf("%s: run record %s", place, b)
		}
		for _, l := range rec.Leaderboards {
			if l["status"] == "published" && l["snapshot_id"] == nil {
				t.Errorf("%s: published without a snapshot id: %v", place, l)
			}
		}
		if page, _ := os.ReadFile(filepath.Join(place, "runs", "index.html")); !strings.Contains(string(page), "overall: held by score_jump") {
			t.Errorf("%s: the status page does not show the hold", place)
		}
	}
}

// TestJobRunHistory: a failed run is recorded where a place can be
// reached, and two jobs at once keep both run records in the index.
func TestJobRunHistory(t *testing.T) {
	needTools(t)
	if _, err := exec.LookPath("jq"); err != nil {
		t.Skip("jq is not installed: the job needs it")
	}
	dir := t.TempDir()
	s3 := startS3(t)
	bucketDir := filepath.Join(s3.bucketDir(), "h")
	hook := newWebhook(t, http.StatusOK)
	r := runJob(t, "dash", merge(s3.env(), map[string]string{
		"DATABASE_URL":        "postgres://nobody@127.0.0.1:" + closedPort(t) + "/x?connect_timeout=2",
		"SNAPSHOT_DIR":        dir,
		"SNAPSHOT_S3_URI":     s3.uri("h"),
		"RETRY_DELAY_SECONDS": "0",
		"CORRELATION_ID":      "history-failed",
		"ALERT_WEBHOOK_URL":   hook.URL,
	}))
	if r.code != 5 {
		t.Fatalf("exit %d, want 5\n%s", r.code, r)
	}
	if evs := r.eventsNamed("run_record_failed"); len(evs) != 0 {
		t.Errorf("recording failed: %v", evs)
	}
	for _, place := range []string{dir, bucketDir} {
		got := runIndex(t, place)["history-failed"]
		if got.ExitStatus != 5 {
			t.Errorf("%s: failed run %+v", place, got)
		}
		if _, err := os.Stat(filepath.Join(place, got.Record)); err != nil {
			t.Errorf("%s: %v", place, err)
		}
	}
	if last := r.events[len(r.events)-1]; last["event"] != "complete" {
		t.Errorf("the last event is %v, want complete", last["event"])
	}

	// Two jobs at once.
	dbURL := demoDB(t)
	var wg sync.WaitGroup
	results := make([]jobResult, 2)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = runJob(t, "dash", merge(s3.env(), map[string]string{
				"DATABASE_URL":     dbURL,
				"SNAPSHOT_DIR":     dir,
				"SNAPSHOT_S3_URI":  s3.uri("h"),
				"NUM_BOOTSTRAP":    "20",
				"LEADERBOARD_SLUG": "genomics",
				"CORRELATION_ID":   fmt.Sprintf("history-together-%d", i),
			}))
		}()
	}
	wg.Wait()
	for i, r := range results {
		if r.code != 0 {
			t.Errorf("job %d: %s", i, r)
		}
	}
	for _, place := range []string{dir, bucketDir} {
		runs := runIndex(t, place)
		for _, id := range []string{"history-failed", "history-together-0", "history-together-1"} {
			if _, ok := runs[id]; !ok {
				t.Errorf("%s: runs/index.json lacks %s: %v", place, id, runs)
			}
		}
	}
}

// TestBackfillGuard: a backfill compares with its own past. Days 1 and 3
// are published first; day 2, published after day 3, has fewer battles
// than day 3 but more than day 1, and passes: the guard compared it with
// day 1. The same day 2 compared with day 3 would be held: the dry run
// with a later as_of says so.
func TestBackfillGuard(t *testing.T) {
	needTools(t)
	dbURL := demoDB(t)
	pipe := func(until string, publishArgs string) jobResult {
		t.Helper()
		return runShell(t, "bash", map[string]string{"DATABASE_URL": dbURL}, "-c",
			"set -o pipefail; battles-export --aggregate --until "+until+" | rank --bootstrap 20 --leaderboard overall | snapshot-publish --db --diff "+publishArgs)
	}
	summary := func(r jobResult) map[string]any {
		t.Helper()
		var s map[string]any
		if err := json.Unmarshal([]byte(strings.TrimSpace(r.stdout)), &s); err != nil {
			t.Fatalf("summary %q: %v\n%s", r.stdout, err, r)
		}
		return s
	}
	// The demo's battles are spread evenly over 2025-01-01 to 2025-10-28.
	for _, day := range []string{"2025-06-01T00:00:00Z", "2025-10-01T00:00:00Z"} {
		if r := pipe(day, ""); r.code != 0 {
			t.Fatalf("%s: %s", day, r)
		}
	}
	r := pipe("2025-08-01T00:00:00Z", "")
	if r.code != 0 {
		t.Fatalf("the backfill: %s", r)
	}
	s := summary(r)
	diff, _ := s["diff"].(map[string]any)
	prev, _ := diff["previous"].(map[string]any)
	if s["status"] != "published" || prev["identifier"] != "snapshot_2025-06-01_00-00-00" {
		t.Errorf("the backfill: %v", s)
	}
	if n := queryInt(t, dbURL, `SELECT count(*) FROM api.leaderboard_snapshot`); n != 3 {
		t.Errorf("%d snapshots, want 3", n)
	}
	// The API's current snapshot is still day 3.
	var current string
	if err := pgtest.Connect(t, dbURL).QueryRow(context.Background(), `SELECT snapshot_identifier FROM api.leaderboard_snapshot
		WHERE visibility = 'public' ORDER BY created_at DESC LIMIT 1`).Scan(&current); err != nil || current != "snapshot_2025-10-01_00-00-00" {
		t.Errorf("current snapshot %q, %v", current, err)
	}
	// Against day 3, day 2's numbers break fewer_battles.
	if _, err := exec.LookPath("jq"); err != nil {
		t.Skip("jq is not installed")
	}
	r = runShell(t, "bash", map[string]string{"DATABASE_URL": dbURL}, "-c",
		`set -o pipefail; battles-export --aggregate --until 2025-08-01T00:00:00Z | rank --bootstrap 20 --leaderboard overall |
		jq -c '.as_of = "2025-10-02T00:00:00Z"' | snapshot-publish --db --dry-run`)
	if r.code != 3 || !strings.Contains(r.stdout, `"status":"would_hold"`) || !strings.Contains(r.stdout, `"rule":"fewer_battles"`) {
		t.Errorf("day 2's numbers after day 3: %s", r)
	}
}
