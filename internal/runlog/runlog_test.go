package runlog

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bixarena/arena-snapshots/internal/exitcode"
	"github.com/bixarena/arena-snapshots/internal/s3test"
	"github.com/bixarena/arena-snapshots/internal/sink"
)

var now = time.Date(2026, 11, 29, 10, 0, 5, 0, time.UTC)

// complete is a complete event as the job logs it.
func complete(id string, start time.Time, status int, boards ...string) []byte {
	return []byte(fmt.Sprintf(`{"time":%q,"level":"INFO","msg":"complete","tool":"entrypoint","correlation_id":%q,"event":"complete",`+
		`"started_at":%q,"ok":%t,"exit_status":%d,"attempts":1,"duration_seconds":4.25,"published":1,"held":1,"skipped":0,"failed":1,`+
		`"settings":{"leaderboard":"all","database":"arena@db:5432/arena"},"leaderboards":[%s]}`,
		start.Add(4250*time.Millisecond).Format(time.RFC3339Nano), id, start.Format(time.RFC3339), status == 0, status, strings.Join(boards, ",")))
}

const (
	published = `{"leaderboard":"overall","status":"published","snapshot_id":"5d1c","identifier":"snapshot_2026-11-29_10-00-00","entries":20,"where":["db"]}`
	held      = `{"leaderboard":"genomics","status":"held","entries":9,"where":["dir:out"],"reasons":[{"rule":"fewer_battles","message":"battles fell"},{"rule":"score_jump","model":"a","message":"a moved"},{"rule":"score_jump","model":"b","message":"b moved"}]}`
	failed    = `{"leaderboard":"<b>immunology</b>","status":"failed","entries":5,"where":[],"error":"unknown model \"x\""}`
)

func TestParse(t *testing.T) {
	start := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	r, err := Parse(complete("run-1", start, 6, published, held, failed))
	if err != nil {
		t.Fatal(err)
	}
	if r.CorrelationID != "run-1" || r.StartedAt != "2026-11-29T10:00:00Z" || r.FinishedAt != "2026-11-29T10:00:04Z" ||
		r.ExitStatus != 6 || r.OK || r.DurationSeconds != 4.25 || r.Published != 1 || r.Held != 1 || r.Failed != 1 {
		t.Errorf("run %+v", r)
	}
	if r.Record != "runs/2026-11-29/run-1.json" {
		t.Errorf("record %q", r.Record)
	}
	if len(r.Problems) != 2 || r.Problems[0].Leaderboard != "genomics" || strings.Join(r.Problems[0].Rules, ",") != "fewer_battles,score_jump" ||
		r.Problems[1].Status != "failed" || r.Problems[1].Error != `unknown model "x"` {
		t.Errorf("problems %+v", r.Problems)
	}

	// Without started_at, the start is the end minus the duration, and its
	// date names the folder: a run that started before midnight.
	r, err = Parse([]byte(`{"correlation_id":"x","time":"2026-11-30T00:00:02Z","duration_seconds":5,"exit_status":0}`))
	if err != nil {
		t.Fatal(err)
	}
	if r.StartedAt != "2026-11-29T23:59:57Z" || r.Record != "runs/2026-11-29/x.json" || !r.OK {
		t.Errorf("run %+v", r)
	}
	// A start in another zone is written in UTC.
	r, err = Parse([]byte(`{"correlation_id":"x","started_at":"2026-11-30T00:30:00+01:00","exit_status":5}`))
	if err != nil || r.StartedAt != "2026-11-29T23:30:00Z" || r.Record != "runs/2026-11-29/x.json" || r.OK {
		t.Errorf("run %+v, %v", r, err)
	}

	for _, c := range []struct{ in, want string }{
		{``, "not a JSON object"},
		{`[1]`, "not a JSON object"},
		{`{"correlation_id":"x","exit_status":0,"started_at":"2026-11-29T10:00:00Z"} {}`, "more than one"},
		{`{"exit_status":0,"started_at":"2026-11-29T10:00:00Z"}`, "no correlation_id"},
		{`{"correlation_id":"../../etc","exit_status":0,"started_at":"2026-11-29T10:00:00Z"}`, "cannot name a file"},
		{`{"correlation_id":"..","exit_status":0,"started_at":"2026-11-29T10:00:00Z"}`, "cannot name a file"},
		{`{"correlation_id":"a/b","exit_status":0,"started_at":"2026-11-29T10:00:00Z"}`, "cannot name a file"},
		{`{"correlation_id":"index","exit_status":0}`, "no started_at"},
		{`{"correlation_id":"x","started_at":"2026-11-29T10:00:00Z"}`, "no exit_status"},
		{`{"correlation_id":"x","exit_status":0,"started_at":"yesterday"}`, "not an RFC 3339 time"},
		{`{"correlation_id":"x","exit_status":0,"started_at":"2026-11-29T10:00:00Z","duration_seconds":-1}`, "not a duration"},
	} {
		if _, err := Parse([]byte(c.in)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Parse(%s): %v, want an error saying %q", c.in, err, c.want)
		}
	}
}

func run(id, start string) Run {
	return Run{CorrelationID: id, StartedAt: start, Record: "runs/" + start[:10] + "/" + id + ".json"}
}

func TestMergeIndex(t *testing.T) {
	idx, err := MergeIndex(nil, run("b", "2026-11-02T10:00:00Z"), 3, now)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(idx)
	for _, r := range []Run{run("a", "2026-11-01T10:00:00Z"), run("d", "2026-11-04T10:00:00Z"), run("c", "2026-11-03T10:00:00Z")} {
		idx, err = MergeIndex(b, r, 3, now)
		if err != nil {
			t.Fatal(err)
		}
		b, _ = json.Marshal(idx)
	}
	ids := func(idx *Index) string {
		var s []string
		for _, r := range idx.Runs {
			s = append(s, r.CorrelationID)
		}
		return strings.Join(s, ",")
	}
	// Newest first, the oldest cut.
	if got := ids(idx); got != "d,c,b" {
		t.Errorf("runs %s, want d,c,b", got)
	}
	// A run recorded again replaces its line.
	again := run("c", "2026-11-03T10:00:00Z")
	again.ExitStatus = 5
	idx, _ = MergeIndex(b, again, 3, now)
	if got := ids(idx); got != "d,c,b" || idx.Runs[1].ExitStatus != 5 {
		t.Errorf("runs %s, %+v", got, idx.Runs)
	}
	if idx.UpdatedAt != "2026-11-29T10:00:05Z" {
		t.Errorf("updated_at %q", idx.UpdatedAt)
	}
	if _, err := MergeIndex([]byte("<html>"), again, 3, now); err == nil {
		t.Error("an index that is not one was thrown away")
	}
}

// exercise writes runs to objs and checks the history that read (a
// stored file's bytes, "" when absent) sees.
func exercise(t *testing.T, objs sink.Objects, read func(key string) string) {
	ctx := context.Background()
	start := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	ok := complete("ok-run", start, 0, published)
	if _, err := Write(ctx, objs, ok, now); err != nil {
		t.Fatal(err)
	}
	partial := complete("partial-run", start.Add(24*time.Hour), 6, published, held, failed)
	if _, err := Write(ctx, objs, partial, now); err != nil {
		t.Fatal(err)
	}
	// The record is the event, whole.
	var got, want map[string]any
	if err := json.Unmarshal([]byte(read("runs/2026-11-30/partial-run.json")), &got); err != nil {
		t.Fatal(err)
	}
	json.Unmarshal(partial, &want)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("record %v, want %v", got, want)
	}
	var idx Index
	if err := json.Unmarshal([]byte(read(IndexKey)), &idx); err != nil {
		t.Fatal(err)
	}
	if len(idx.Runs) != 2 || idx.Runs[0].CorrelationID != "partial-run" || idx.Runs[1].CorrelationID != "ok-run" {
		t.Fatalf("index %+v", idx.Runs)
	}
	page := read(PageKey)
	for _, w := range []string{"partial-run", "ok-run", "partial failure", "genomics: held by fewer_battles, score_jump",
		`href="2026-11-30/partial-run.json"`, "&lt;b&gt;immunology&lt;/b&gt;: failed: unknown model &#34;x&#34;"} {
		if !strings.Contains(page, w) {
			t.Errorf("the status page lacks %q:\n%s", w, page)
		}
	}
	if strings.Contains(page, "<b>immunology") {
		t.Error("a leaderboard name reached the page unescaped")
	}
	// A bad record writes nothing.
	if _, err := Write(ctx, objs, []byte(`{"correlation_id":"../x","exit_status":0,"started_at":"2026-11-29T10:00:00Z"}`), now); exitcode.Code(err) != exitcode.BadInput {
		t.Errorf("a bad record: %v", err)
	}
}

func TestWriteDir(t *testing.T) {
	root := filepath.Join(t.TempDir(), "out")
	d, err := sink.NewDir(root)
	if err != nil {
		t.Fatal(err)
	}
	exercise(t, d, func(key string) string {
		b, _ := os.ReadFile(filepath.Join(root, key))
		return string(b)
	})
	// Nothing but the history: no temporary or stray files.
	var files []string
	filepath.WalkDir(root, func(p string, e os.DirEntry, err error) error {
		if !e.IsDir() {
			rel, _ := filepath.Rel(root, p)
			files = append(files, rel)
		}
		return nil
	})
	if strings.Join(files, " ") != "runs/2026-11-29/ok-run.json runs/2026-11-30/partial-run.json runs/index.html runs/index.json" {
		t.Errorf("files %v", files)
	}
	// An index that is not one is kept, and the run is refused.
	os.WriteFile(filepath.Join(root, IndexKey), []byte("junk"), 0o644)
	if _, err := Write(context.Background(), d, complete("third", now, 0), now); exitcode.Code(err) != exitcode.BadInput {
		t.Errorf("unreadable index: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(root, IndexKey)); string(b) != "junk" {
		t.Errorf("the unreadable index was replaced: %q", b)
	}
}

func TestWriteS3(t *testing.T) {
	srv := s3test.Start(t)
	objs := sink.NewS3(srv.Client(), srv.Bucket, "arena")
	exercise(t, objs, func(key string) string {
		b, _ := os.ReadFile(filepath.Join(srv.Dir, srv.Bucket, "arena", key))
		return string(b)
	})
}

// Runs recorded at the same moment keep every line in the index, and the
// page written last shows them all.
func concurrentWriters(t *testing.T, objs sink.Objects) {
	const writers = 6
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	start := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := Write(context.Background(), objs, complete(fmt.Sprintf("run-%d", i), start.Add(time.Duration(i)*time.Second), 0, published), now)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	b, _, err := objs.Get(context.Background(), IndexKey)
	if err != nil {
		t.Fatal(err)
	}
	var idx Index
	if err := json.Unmarshal(b, &idx); err != nil {
		t.Fatal(err)
	}
	if len(idx.Runs) != writers {
		t.Errorf("index holds %d runs, want %d", len(idx.Runs), writers)
	}
	page, _, _ := objs.Get(context.Background(), PageKey)
	for i := range writers {
		if id := fmt.Sprintf("run-%d", i); !strings.Contains(string(page), id) {
			t.Errorf("the page lacks %s", id)
		}
	}
}

func TestConcurrentWritersDir(t *testing.T) {
	d, err := sink.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	concurrentWriters(t, d)
}

func TestConcurrentWritersS3(t *testing.T) {
	srv := s3test.Start(t)
	concurrentWriters(t, sink.NewS3(srv.Client(), srv.Bucket, ""))
}

func TestPageEmpty(t *testing.T) {
	b, err := Page(&Index{}, false)
	if err != nil || !strings.Contains(string(b), "No run recorded yet") {
		t.Errorf("empty page: %v\n%s", err, b)
	}
}

// The status page links back to the leaderboard site when its front page
// is there, and not before.
func TestPageLinksTheSite(t *testing.T) {
	root := t.TempDir()
	d, err := sink.NewDir(root)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	start := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	if _, err := Write(ctx, d, complete("first", start, 0), now); err != nil {
		t.Fatal(err)
	}
	page, _ := os.ReadFile(filepath.Join(root, PageKey))
	if strings.Contains(string(page), `href="../index.html"`) {
		t.Error("a link to a site that is not there")
	}
	if err := d.Put(ctx, SiteKey, []byte("<!DOCTYPE html>"), sink.Meta{}); err != nil {
		t.Fatal(err)
	}
	if _, err := Write(ctx, d, complete("second", start.Add(time.Hour), 0), now); err != nil {
		t.Fatal(err)
	}
	page, _ = os.ReadFile(filepath.Join(root, PageKey))
	if !strings.Contains(string(page), `<a href="../index.html">All leaderboards</a>`) {
		t.Errorf("no link to the site:\n%s", page)
	}
}
