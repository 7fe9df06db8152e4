package publish

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bixarena/arena-snapshots/internal/leaderboard"
	"github.com/bixarena/arena-snapshots/internal/pgtest"
	"github.com/bixarena/arena-snapshots/internal/snapshot"
	"github.com/bixarena/arena-snapshots/internal/store"
)

// atRun returns a leaderboard file's records as rank writes them for an
// export read at asOf.
func atRun(t *testing.T, file string, asOf time.Time) string {
	t.Helper()
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	for _, line := range strings.SplitAfter(strings.TrimSpace(fixture(t, file)), "\n") {
		var rec leaderboard.Record
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatal(err)
		}
		rec.AsOf = asOf.UTC().Format(time.RFC3339Nano)
		rec.ExportedAt = rec.AsOf
		if err := enc.Encode(&rec); err != nil {
			t.Fatal(err)
		}
	}
	return out.String()
}

// index reads a stored index.json.
func index(t *testing.T, body string) map[string]snapshot.IndexEntry {
	t.Helper()
	var idx snapshot.Index
	if err := json.Unmarshal([]byte(body), &idx); err != nil {
		t.Fatalf("index.json: %v\n%s", err, body)
	}
	out := map[string]snapshot.IndexEntry{}
	for _, l := range idx.Leaderboards {
		out[l.Leaderboard] = l
	}
	return out
}

// TestOneRunOneSnapshot: the same leaderboard file published twice, a
// second apart, makes one snapshot per leaderboard everywhere; a new run
// with the same numbers makes a new one, named and dated after its as_of.
func TestOneRunOneSnapshot(t *testing.T) {
	w := newWorld(t)
	day1 := time.Date(2025, 5, 31, 10, 0, 3, 250000000, time.UTC)
	in := atRun(t, "valid.ndjson", day1)
	r1 := runTool(t, w.everywhere(Options{Now: clockAt(t0)}), in)
	r2 := runTool(t, w.everywhere(Options{Now: clockAt(t0.Add(time.Second))}), in)
	if r1.code != 0 || r2.code != 0 {
		t.Fatalf("exit %d and %d\n%s%s", r1.code, r2.code, r1.stderr, r2.stderr)
	}
	for i := range r1.lines[:2] {
		a, b := r1.lines[i], r2.lines[i]
		if a.Identifier != "snapshot_2025-05-31_10-00-03" || a.Existing || !b.Existing || b.SnapshotID != a.SnapshotID || b.Identifier != a.Identifier {
			t.Errorf("%s: first %+v, again %+v", a.Leaderboard, a, b)
		}
	}
	if n := countRows(t, w.dbURL, "api.leaderboard_snapshot"); n != 2 {
		t.Errorf("%d snapshots after publishing a file of two leaderboards twice", n)
	}
	var created time.Time
	if err := pgtest.Connect(t, w.dbURL).QueryRow(context.Background(), `SELECT max(created_at) FROM api.leaderboard_snapshot`).Scan(&created); err != nil || !created.Equal(day1) {
		t.Errorf("created_at %v, want as_of %v (%v)", created, day1, err)
	}
	doc := w.file("overall/latest.json")
	if !strings.Contains(doc, `"published_at": "2025-05-31T10:00:03Z"`) || !strings.Contains(doc, `"as_of": "2025-05-31T10:00:03.25Z"`) {
		t.Errorf("latest document:\n%s", doc)
	}

	// The next run, identical numbers: a new snapshot everywhere.
	day2 := day1.Add(24 * time.Hour)
	r3 := runTool(t, w.everywhere(Options{Now: clockAt(t0.Add(time.Hour))}), atRun(t, "valid.ndjson", day2))
	if r3.code != 0 || r3.lines[0].Existing || r3.lines[0].Identifier != "snapshot_2025-06-01_10-00-03" {
		t.Fatalf("next run: exit %d %+v\n%s", r3.code, r3.lines, r3.stderr)
	}
	if n := countRows(t, w.dbURL, "api.leaderboard_snapshot"); n != 4 {
		t.Errorf("%d snapshots after two runs of two leaderboards", n)
	}
	for _, get := range []func(string) string{w.file, w.object} {
		if !strings.Contains(get("overall/latest.json"), "snapshot_2025-06-01_10-00-03") ||
			index(t, get("index.json"))["overall"].Identifier != "snapshot_2025-06-01_10-00-03" {
			t.Errorf("latest or index did not move to the next run")
		}
	}

	// Without the database, the files alone: the same run twice is one
	// document, named after as_of.
	dir := t.TempDir()
	for i := 0; i < 2; i++ {
		r := runTool(t, Options{Dir: dir, Now: clockAt(t0.Add(time.Duration(i) * time.Second))}, in)
		if r.code != 0 || r.lines[0].Identifier != "snapshot_2025-05-31_10-00-03" {
			t.Fatalf("folder only, run %d: exit %d %+v\n%s", i+1, r.code, r.lines, r.stderr)
		}
	}
}

// TestOlderRunKeepsLatest: publishing an older run (a backfill) after a
// newer one stores its snapshot but leaves latest and the index on the
// newer one, in the folder and the bucket.
func TestOlderRunKeepsLatest(t *testing.T) {
	w := newWorld(t)
	newer, older := time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC), time.Date(2025, 5, 20, 0, 0, 0, 0, time.UTC)
	if r := runTool(t, w.everywhere(Options{Now: clockAt(t0)}), atRun(t, "valid.ndjson", newer)); r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	latest, svg, idx := w.file("overall/latest.json"), w.file("overall/latest.svg"), index(t, w.file("index.json"))
	r := runTool(t, w.everywhere(Options{Now: clockAt(t0.Add(time.Minute))}), atRun(t, "valid.ndjson", older))
	if r.code != 0 || r.lines[0].Identifier != "snapshot_2025-05-20_00-00-00" || r.lines[0].Existing {
		t.Fatalf("older run: exit %d %+v\n%s", r.code, r.lines, r.stderr)
	}
	for name, get := range map[string]func(string) string{"folder": w.file, "bucket": w.object} {
		if get("overall/snapshot_2025-05-20_00-00-00.json") == "" {
			t.Errorf("%s: the older snapshot's document is missing", name)
		}
		if get("overall/latest.json") != latest || get("overall/latest.svg") != svg {
			t.Errorf("%s: latest moved back in time", name)
		}
		if got := index(t, get("index.json")); got["overall"] != idx["overall"] || got["genomics"] != idx["genomics"] {
			t.Errorf("%s: the index moved back in time: %+v", name, got)
		}
	}
}

// TestPrivateWritesNothingPublic: a private snapshot is written to the
// database only; the folder and the bucket (public places) keep the last
// public snapshot as latest and in the index. Publishing the same records
// again as public releases the snapshot and writes its files.
func TestPrivateWritesNothingPublic(t *testing.T) {
	w := newWorld(t)
	day1, day2 := time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC), time.Date(2025, 6, 2, 10, 0, 0, 0, time.UTC)
	if r := runTool(t, w.everywhere(Options{Now: clockAt(t0)}), atRun(t, "valid.ndjson", day1)); r.code != 0 {
		t.Fatalf("day 1: exit %d\n%s", r.code, r.stderr)
	}
	latest, objLatest, idx := w.file("overall/latest.json"), w.object("overall/latest.json"), w.file("index.json")
	day2In := atRun(t, "valid.ndjson", day2)

	r := runTool(t, w.everywhere(Options{Now: clockAt(t0.Add(time.Hour)), Visibility: store.Private}), day2In)
	if r.code != 0 || r.lines[0].Status != StatusPublished || fmt.Sprint(r.lines[0].Where) != "[db]" {
		t.Fatalf("private: exit %d %+v\n%s", r.code, r.lines, r.stderr)
	}
	if !strings.Contains(r.stderr, "model history") || !strings.Contains(r.stderr, "nothing is written to --s3 or --dir") {
		t.Errorf("no warning:\n%s", r.stderr)
	}
	if n := countRows(t, w.dbURL, "api.leaderboard_snapshot WHERE visibility = 'private'"); n != 2 {
		t.Errorf("%d private snapshots, want 2", n)
	}
	for name, get := range map[string]func(string) string{"folder": w.file, "bucket": w.object} {
		if get("overall/snapshot_2025-06-02_10-00-00.json") != "" {
			t.Errorf("%s: the private snapshot's document was written", name)
		}
	}
	if w.file("overall/latest.json") != latest || w.object("overall/latest.json") != objLatest ||
		!sameLines(t, w.file("index.json"), idx) {
		t.Errorf("a private snapshot reached latest or the index")
	}

	// Released: the same records, public.
	r = runTool(t, w.everywhere(Options{Now: clockAt(t0.Add(2 * time.Hour))}), day2In)
	if r.code != 0 || !r.lines[0].Existing || len(r.lines[0].Where) != 3 {
		t.Fatalf("release: exit %d %+v\n%s", r.code, r.lines, r.stderr)
	}
	if n := countRows(t, w.dbURL, "api.leaderboard_snapshot WHERE visibility = 'private'"); n != 0 {
		t.Errorf("%d private snapshots after the release", n)
	}
	for _, get := range []func(string) string{w.file, w.object} {
		if !strings.Contains(get("overall/latest.json"), "snapshot_2025-06-02_10-00-00") ||
			index(t, get("index.json"))["overall"].Identifier != "snapshot_2025-06-02_10-00-00" {
			t.Errorf("the released snapshot is not latest")
		}
	}
}

// sameLines reports whether two index.json documents list the same
// snapshots.
func sameLines(t *testing.T, a, b string) bool {
	return fmt.Sprint(index(t, a)) == fmt.Sprint(index(t, b))
}

// TestExistingInEveryPlace: publishing the same run (records with as_of)
// again reports the snapshot it already is, "existing", the same in the
// database, the bucket and the folder, each alone; and a dry run says so
// too: published already, nothing to do (not would_publish).
func TestExistingInEveryPlace(t *testing.T) {
	w := newWorld(t)
	day := time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)
	id := snapshot.Identifier(day)
	in := atRun(t, "valid.ndjson", day)
	places := map[string]Options{
		"db":  {DB: true, DatabaseURL: w.dbURL},
		"s3":  {S3URL: "s3://" + w.s3.Bucket + "/alone", S3PathStyle: true},
		"dir": {Dir: filepath.Join(t.TempDir(), "alone")},
	}
	for name, o := range places {
		t.Run(name, func(t *testing.T) {
			o.Now = clockAt(t0)
			if r := runTool(t, o, in); r.code != 0 || r.lines[0].Existing {
				t.Fatalf("first run: exit %d %+v\n%s", r.code, r.lines, r.stderr)
			}
			o.Now = clockAt(t0.Add(time.Hour))
			again := runTool(t, o, in)
			o.DryRun, o.Diff = true, true
			dry := runTool(t, o, in)
			o.DiffTable = true
			var table strings.Builder
			if err := Run(context.Background(), o, strings.NewReader(in), &table, nopLogger()); err != nil {
				t.Errorf("the dry run's table: %v", err)
			}
			for what, r := range map[string]result{"again": again, "dry run": dry} {
				if r.code != 0 || len(r.lines) != 3 {
					t.Fatalf("%s: exit %d\n%s%s", what, r.code, r.stdout, r.stderr)
				}
				for _, s := range r.lines[:2] {
					if s.Status != StatusPublished || !s.Existing || s.Identifier != id || s.Diff != nil {
						t.Errorf("%s: %+v", what, s)
					}
				}
			}
			if want := "overall: published already as " + id + ": nothing to do"; !strings.Contains(table.String(), want) {
				t.Errorf("the dry run's table lacks %q:\n%s", want, table.String())
			}
		})
	}
}
