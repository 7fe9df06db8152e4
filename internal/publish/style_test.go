package publish

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bixarena/arena-snapshots/internal/leaderboard"
	"github.com/bixarena/arena-snapshots/internal/pgtest"
	"github.com/bixarena/arena-snapshots/internal/snapshot"
)

// A style-controlled record is published as the leaderboard SLUG-style,
// to the database only when api.leaderboard has that row (the operator
// opts in); otherwise it is skipped with a reason and nothing of it is
// written anywhere.
func TestPublishStyleVariant(t *testing.T) {
	w := newWorld(t)
	pgtest.Exec(t, w.dbURL, `INSERT INTO api.leaderboard (slug, name) VALUES ('overall-style', 'Overall, style control')`)
	in := fixture(t, "style.ndjson")

	dry := runTool(t, Options{DryRun: true, DB: true, DatabaseURL: w.dbURL, Now: clockAt(t0)}, in)
	if dry.code != 0 || len(dry.lines) != 4 || dry.lines[3].Status != StatusSkipped || dry.lines[1].Status != StatusWouldPublish {
		t.Fatalf("dry run: exit %d\n%s%s", dry.code, dry.stdout, dry.stderr)
	}

	r := runTool(t, w.everywhere(Options{Now: clockAt(t0)}), in)
	if r.code != 0 || len(r.lines) != 4 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	want := []struct{ slug, status, reason string }{
		{"overall", StatusPublished, ""},
		{"overall-style", StatusPublished, ""},
		{"genomics", StatusPublished, ""},
		{"genomics-style", StatusSkipped, leaderboard.ReasonNoStyleLeaderboard},
	}
	for i, s := range r.lines {
		if variant := strings.TrimPrefix(want[i].slug, strings.TrimSuffix(want[i].slug, "-style")); (variant != "") != (s.Variant == leaderboard.VariantStyle) {
			t.Errorf("line %d: variant %q", i+1, s.Variant)
		}
		if s.Leaderboard != want[i].slug || s.Status != want[i].status || s.Reason != want[i].reason {
			t.Errorf("line %d: %+v, want %+v", i+1, s, want[i])
		}
	}
	if !strings.Contains(r.stderr, `genomics-style: style-controlled leaderboard skipped: api.leaderboard has no row "genomics-style" (add one to publish it)`) {
		t.Errorf("stderr does not say why genomics-style was skipped:\n%s", r.stderr)
	}

	var n int
	err := pgtest.Connect(t, w.dbURL).QueryRow(context.Background(), `SELECT count(*) FROM api.leaderboard_entry e JOIN api.leaderboard l ON l.id = e.leaderboard_id
		JOIN api.leaderboard_snapshot s ON s.id = e.snapshot_id WHERE l.slug = 'overall-style' AND s.visibility = 'public'`).Scan(&n)
	if err != nil || n != 5 {
		t.Errorf("overall-style holds %d public entries, want 5 (%v)", n, err)
	}
	if got := countRows(t, w.dbURL, "api.leaderboard_snapshot"); got != 3 {
		t.Errorf("%d snapshots, want 3 (overall, overall-style, genomics)", got)
	}

	id := "snapshot_2025-06-01_12-00-00"
	for _, doc := range []string{w.file("overall-style/" + id + ".json"), w.object("overall-style/latest.json")} {
		var d snapshot.Document
		if err := json.Unmarshal([]byte(doc), &d); err != nil {
			t.Fatalf("document: %v\n%s", err, doc)
		}
		if d.Leaderboard != "overall-style" || d.Variant != leaderboard.VariantStyle || d.VariantOf != "overall" ||
			d.Name != "Overall, style control" || d.Style == nil || len(d.Style.Coefficients) != 4 || d.Style.Coefficients[0].Beta != 0.262 {
			t.Errorf("style-controlled document: %+v", d)
		}
	}
	var idx snapshot.Index
	if err := json.Unmarshal([]byte(w.file("index.json")), &idx); err != nil {
		t.Fatal(err)
	}
	var pairs []string
	for _, l := range idx.Leaderboards {
		pairs = append(pairs, l.Leaderboard+":"+l.Variant+":"+l.VariantOf)
	}
	if got := strings.Join(pairs, " "); got != "genomics:: overall:: overall-style:style:overall" {
		t.Errorf("index lines %s", got)
	}
	if _, err := os.Stat(filepath.Join(w.dir, "genomics-style")); !os.IsNotExist(err) {
		t.Errorf("a skipped style-controlled leaderboard has files: %v", err)
	}

	// Without the database, the folder takes both variants.
	dir := filepath.Join(t.TempDir(), "plain")
	r = runTool(t, Options{Dir: dir, Now: clockAt(t0)}, in)
	if r.code != 0 || r.lines[3].Status != StatusPublished {
		t.Fatalf("folder only: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "genomics-style", "latest.json"))
	var d snapshot.Document
	if err := json.Unmarshal(b, &d); err != nil || d.Name != "Genomics (style-controlled)" || d.VariantOf != "genomics" {
		t.Errorf("genomics-style document without the database: %v %+v", err, d)
	}
}

// The variant of a leaderboard whose slug is near the limit would be
// published under a slug longer than api.leaderboard.slug allows: no
// operator can have opted in to it, so it is skipped, not failed.
func TestPublishStyleSlugTooLong(t *testing.T) {
	long := strings.Repeat("x", 96)
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(fixture(t, "style.ndjson")), "\n") {
		lines = append(lines, strings.ReplaceAll(l, `"leaderboard":"genomics"`, `"leaderboard":"`+long+`"`))
	}
	dir := filepath.Join(t.TempDir(), "out")
	r := runTool(t, Options{Dir: dir, Now: clockAt(t0)}, strings.Join(lines, "\n")+"\n")
	if r.code != 0 || len(r.lines) != 4 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if s := r.lines[3]; s.Leaderboard != long+"-style" || s.Status != StatusSkipped || s.Reason != leaderboard.ReasonNoStyleLeaderboard {
		t.Errorf("summary %+v", s)
	}
	if !strings.Contains(r.stderr, "longer than the 100 characters") {
		t.Errorf("stderr:\n%s", r.stderr)
	}
}
