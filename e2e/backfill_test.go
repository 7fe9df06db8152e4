package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bixarena/arena-snapshots/internal/pgtest"
)

// current returns, per leaderboard, the API's current snapshot: the
// newest public one by created_at (DESIGN §8).
func current(t *testing.T, dbURL string) map[string]string {
	t.Helper()
	return bySlug[string](t, dbURL, `
		SELECT DISTINCT ON (l.slug) l.slug, s.snapshot_identifier
		FROM api.leaderboard l JOIN api.leaderboard_snapshot s ON s.leaderboard_id = l.id
		WHERE s.visibility = 'public'
		ORDER BY l.slug, s.created_at DESC`)
}

// TestBackfill30Days: the documented backfill loop, 30 days of the demo
// database after today's run: each leaderboard ranked on a day gets a
// snapshot dated that day (created_at and identifier), and the current
// snapshot, latest.json and index.json stay today's.
func TestBackfill30Days(t *testing.T) {
	needTools(t)
	dbURL := demoDB(t)
	out := t.TempDir()
	env := map[string]string{"DATABASE_URL": dbURL, "NUM_BOOTSTRAP": "10", "OUT": out}
	if r := runShell(t, "sh", env, "-c", `battles-export --aggregate | rank | snapshot-publish --db --dir "$OUT" >/dev/null`); r.code != 0 {
		t.Fatalf("today's run: %s", r)
	}
	today := current(t, dbURL)
	latest, index := currentFiles(t, filepath.Join(out, "overall")), readFile(t, filepath.Join(out, "index.json"))

	// The demo's battles run from 2025-01-01 to 2025-10-28: the 30 days
	// before 2025-10-29, oldest first, as docs/publish.md writes the loop.
	start := time.Now()
	r := runShell(t, "bash", env, "-c", `
		for i in $(seq 30 -1 1); do
			until=$(date -u -d "2025-10-29 -$i days" +%Y-%m-%dT00:00:00Z)
			battles-export --aggregate --until "$until" | rank | snapshot-publish --db --dir "$OUT" || exit
		done`)
	t.Logf("30-day backfill took %v", time.Since(start).Round(time.Millisecond))
	if r.code != 0 {
		t.Fatalf("backfill: %s", r)
	}

	conn := pgtest.Connect(t, dbURL)
	for slug, id := range today {
		rows, err := conn.Query(context.Background(), `
			SELECT s.created_at, s.snapshot_identifier FROM api.leaderboard_snapshot s
			JOIN api.leaderboard l ON l.id = s.leaderboard_id
			WHERE l.slug = $1 AND s.snapshot_identifier <> $2 ORDER BY s.created_at`, slug, id)
		if err != nil {
			t.Fatal(err)
		}
		var days []time.Time
		for rows.Next() {
			var at time.Time
			var ident string
			if err := rows.Scan(&at, &ident); err != nil {
				t.Fatal(err)
			}
			if want := "snapshot_" + at.UTC().Format("2006-01-02") + "_00-00-00"; ident != want {
				t.Errorf("%s: snapshot %s dated %v", slug, ident, at)
			}
			days = append(days, at.UTC())
		}
		rows.Close()
		first := time.Date(2025, 9, 29, 0, 0, 0, 0, time.UTC)
		// overall and the popular categories are ranked every day.
		if slug == "overall" || slug == "genomics" || slug == "clinical-trials" {
			if len(days) != 30 {
				t.Errorf("%s: %d backfilled snapshots, want 30", slug, len(days))
				continue
			}
			for i, d := range days {
				if want := first.AddDate(0, 0, i); !d.Equal(want) {
					t.Errorf("%s: snapshot %d dated %v, want %v", slug, i+1, d, want)
				}
			}
		}
	}
	if got := current(t, dbURL); fmt.Sprint(got) != fmt.Sprint(today) {
		t.Errorf("the current snapshots moved:\nbefore %v\nafter  %v", today, got)
	}
	if got := currentFiles(t, filepath.Join(out, "overall")); fmt.Sprint(got) != fmt.Sprint(latest) {
		var moved []string
		for name, body := range got {
			if latest[name] != body {
				moved = append(moved, name)
			}
		}
		t.Errorf("overall's current files moved back in time: %v", moved)
	}
	if readFile(t, filepath.Join(out, "index.json")) == "" || !sameIndexLines(t, readFile(t, filepath.Join(out, "index.json")), index) {
		t.Errorf("index.json moved back in time")
	}
	var documents int
	for _, f := range listFiles(t, filepath.Join(out, "overall")) {
		if strings.HasPrefix(f, "snapshot_") && strings.HasSuffix(f, ".json") && !strings.HasSuffix(f, ".pairs.json") {
			documents++
		}
	}
	if documents != 31 {
		t.Errorf("%d snapshot documents for overall in the folder, want 31: today's and 30 backfilled", documents)
	}
	var history struct {
		Snapshots []struct {
			Identifier string `json:"snapshot_identifier"`
		} `json:"snapshots"`
	}
	if err := json.Unmarshal([]byte(readFile(t, filepath.Join(out, "overall", "index.json"))), &history); err != nil {
		t.Fatal(err)
	}
	if len(history.Snapshots) != 31 || history.Snapshots[0].Identifier != today["overall"] {
		t.Errorf("overall's history lists %d snapshots, newest %v; want 31, newest today's %s",
			len(history.Snapshots), history.Snapshots[:min(1, len(history.Snapshots))], today["overall"])
	}
}

// currentFiles returns the files of a leaderboard's folder that stand for
// its current snapshot (latest.json, latest.svg, ...), by name. The
// folder's index.json and index.html list every snapshot, so a backfill
// adds to them; the page's current part is drawn from latest.json.
func currentFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	for _, f := range listFiles(t, dir) {
		if strings.HasPrefix(f, "latest.") {
			files[f] = readFile(t, filepath.Join(dir, f))
		}
	}
	if len(files) == 0 {
		t.Fatalf("no current files in %s", dir)
	}
	return files
}

// sameIndexLines reports whether two index.json documents list the same
// snapshots (their updated_at aside).
func sameIndexLines(t *testing.T, a, b string) bool {
	t.Helper()
	var x, y struct {
		Leaderboards []map[string]any `json:"leaderboards"`
	}
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	return len(x.Leaderboards) > 0 && fmt.Sprint(x.Leaderboards) == fmt.Sprint(y.Leaderboards)
}
