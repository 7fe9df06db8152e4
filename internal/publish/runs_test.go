package publish

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bixarena/arena-snapshots/internal/exitcode"
	"github.com/bixarena/arena-snapshots/internal/faulttest"
	"github.com/bixarena/arena-snapshots/internal/runlog"
)

const runRecord = `{"time":"2026-11-29T10:00:04Z","event":"complete","correlation_id":"job-7","started_at":"2026-11-29T10:00:00Z","ok":false,"exit_status":5,"duration_seconds":4,"published":0,"held":0,"skipped":0,"failed":0,"error":"battles-export exited 5","leaderboards":[]}`

func recordRun(t *testing.T, o Options, record string) (int, RunRecord, string) {
	t.Helper()
	var out strings.Builder
	var errb strings.Builder
	log := nopLogger()
	err := RecordRun(t.Context(), o, "-", strings.NewReader(record), &out, log)
	if err != nil {
		errb.WriteString(err.Error())
	}
	var r RunRecord
	if out.Len() > 0 {
		if err := json.Unmarshal([]byte(out.String()), &r); err != nil {
			t.Fatalf("stdout %q: %v", out.String(), err)
		}
	}
	return exitcode.Code(err), r, errb.String()
}

// A failed run is recorded in every place that can be reached: the bucket
// and the folder.
func TestRecordRunEverywhere(t *testing.T) {
	w := newWorld(t)
	o := w.everywhere(Options{})
	o.DB, o.DatabaseURL = false, ""
	code, r, msg := recordRun(t, o, runRecord)
	if code != 0 || r.Run != "job-7" || r.Record != "runs/2026-11-29/job-7.json" || len(r.Where) != 2 {
		t.Fatalf("exit %d %+v %s", code, r, msg)
	}
	for _, read := range []func(string) string{w.object, w.file} {
		var idx runlog.Index
		if err := json.Unmarshal([]byte(read(runlog.IndexKey)), &idx); err != nil {
			t.Fatal(err)
		}
		if len(idx.Runs) != 1 || idx.Runs[0].ExitStatus != 5 || idx.Runs[0].Error != "battles-export exited 5" {
			t.Errorf("index %+v", idx)
		}
		if !strings.Contains(read(runlog.PageKey), "transient failure") {
			t.Errorf("status page:\n%s", read(runlog.PageKey))
		}
	}
}

// One place unreachable: the record is in the other, and the status says
// partial.
func TestRecordRunOnePlaceDown(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	t.Setenv("AWS_ACCESS_KEY_ID", "x")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "y")
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	o := Options{S3URL: "s3://arena/lb", S3Endpoint: "http://127.0.0.1:1", S3PathStyle: true, Dir: dir}
	code, r, msg := recordRun(t, o, runRecord)
	if code != exitcode.Partial || len(r.Where) != 1 || r.Where[0] != "dir:"+dir || r.Error == "" {
		t.Errorf("exit %d %+v %s", code, r, msg)
	}
	if _, err := os.Stat(filepath.Join(dir, "runs", "2026-11-29", "job-7.json")); err != nil {
		t.Error(err)
	}
	// Nowhere reachable: the sink's status (transient).
	o.Dir = ""
	if code, _, msg := recordRun(t, o, runRecord); code != exitcode.Transient {
		t.Errorf("exit %d, want %d: %s", code, exitcode.Transient, msg)
	}
}

// The job's first run publishes before it records itself: recording it
// draws the site's pages again, so that the first run's front page and
// leaderboard pages link the run history, in the folder and the bucket.
func TestFirstRunLinksRunHistory(t *testing.T) {
	w := newWorld(t)
	o := w.everywhere(Options{Now: clockAt(t0)})
	o.DB, o.DatabaseURL = false, ""
	if r := runTool(t, o, fixture(t, "valid.ndjson")); r.code != 0 {
		t.Fatalf("publish: exit %d\n%s", r.code, r.stderr)
	}
	pages, _ := filepath.Glob(filepath.Join(w.dir, "*", "index.html"))
	var keys []string
	for _, p := range pages {
		if k, _ := filepath.Rel(w.dir, p); !strings.HasPrefix(k, "runs") {
			keys = append(keys, filepath.ToSlash(k))
		}
	}
	if len(keys) == 0 {
		t.Fatal("no leaderboard page")
	}
	keys = append(keys, "index.html")
	for _, read := range []func(string) string{w.object, w.file} {
		for _, k := range keys {
			if page := read(k); page == "" || strings.Contains(page, "runs/index.html") {
				t.Fatalf("%s before the run is recorded: missing, or links the run history", k)
			}
		}
	}
	if code, r, msg := recordRun(t, o, runRecord); code != 0 || len(r.Where) != 2 {
		t.Fatalf("record: exit %d %+v %s", code, r, msg)
	}
	for i, read := range []func(string) string{w.object, w.file} {
		for _, k := range keys {
			if !strings.Contains(read(k), "runs/index.html") {
				t.Errorf("place %d: %s does not link the run history after the first run", i, k)
			}
		}
		if !strings.Contains(read(runlog.PageKey), `href="../index.html"`) {
			t.Errorf("place %d: the run history does not link the site", i)
		}
	}
	// Without a site, recording a run draws none.
	bare := Options{Dir: filepath.Join(t.TempDir(), "bare")}
	if code, _, msg := recordRun(t, bare, runRecord); code != 0 {
		t.Fatalf("record without a site: exit %d %s", code, msg)
	}
	if _, err := os.Stat(filepath.Join(bare.Dir, "index.html")); !os.IsNotExist(err) {
		t.Errorf("a front page drawn where there was no site: %v", err)
	}
}

// A panic in a goroutine of a publish (a leaderboard's files, or the
// leaderboards' way through the database) comes back to the caller with
// its stack, and ends the publish there: no index, no site, no latest
// file of the leaderboard it stopped, no transaction committed.
func TestPanicInPublishGoroutine(t *testing.T) {
	t.Run("files", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "out")
		o := Options{Dir: dir, Now: clockAt(t0), BeforeLatest: func() { panic("in the files") }}
		faulttest.Panics(t, "publish.(*publisher).storeFiles", func() {
			Run(t.Context(), o, strings.NewReader(fixture(t, "valid.ndjson")), io.Discard, nopLogger())
		})
		for _, name := range []string{"index.json", "index.html", "overall/latest.json"} {
			if _, err := os.Stat(filepath.Join(dir, name)); !os.IsNotExist(err) {
				t.Errorf("%s written after the panic (%v)", name, err)
			}
		}
	})
	t.Run("database", func(t *testing.T) {
		w := newWorld(t)
		o := w.everywhere(Options{Now: clockAt(t0), AfterSnapshot: func(context.Context) { panic("in the transaction") }})
		faulttest.Panics(t, "publish.(*publisher).run", func() {
			Run(t.Context(), o, strings.NewReader(fixture(t, "valid.ndjson")), io.Discard, nopLogger())
		})
		if n := countRows(t, w.dbURL, "api.leaderboard_snapshot"); n != 0 {
			t.Errorf("%d snapshots committed", n)
		}
		if w.file("index.json") != "" || w.object("index.json") != "" {
			t.Error("an index written after the panic")
		}
	})
}
