package main

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bixarena/arena-snapshots/internal/exitcode"
	"github.com/bixarena/arena-snapshots/internal/pgtest"
	"github.com/bixarena/arena-snapshots/internal/scripttest"
)

// A closed stdout (snapshot-publish ... | head -1) or stderr never
// interrupts a publish: every ranked leaderboard reaches the database and
// the folder, and so do index.json and the site. A lost summary is said on
// stderr, with status 141 (exitcode.BrokenPipe); a lost stderr changes
// nothing.
func TestClosedOutputPublishesEverything(t *testing.T) {
	input := pgtest.RepoFile(t, "testdata/golden/rank.ndjson")
	ranked := rankedSlugs(t, input)
	if len(ranked) < 10 {
		t.Fatalf("%d ranked leaderboards in %s", len(ranked), input)
	}
	for _, closed := range []scripttest.Stream{scripttest.Stdout, scripttest.Stderr} {
		t.Run(string(closed), func(t *testing.T) {
			url := pgtest.NewDB(t, "testdata/demo.sql")
			dir := filepath.Join(t.TempDir(), "site")
			// JSON logs write to stderr all along, plain ones only at the
			// end: each stream is written from the start.
			env := []string{"LOG_FORMAT=json"}
			if closed == scripttest.Stdout {
				env = []string{"LOG_FORMAT=text"}
			}
			code, other := scripttest.RunClosed(t, tool, closed, nil, env, "--db", "--database-url", url, "--dir", dir, input)
			switch closed {
			case scripttest.Stdout:
				if code != exitcode.BrokenPipe || !strings.Contains(other, "the summary lines could not be written") ||
					!strings.Contains(other, "broken pipe") {
					t.Errorf("exit %d, want %d; stderr:\n%s", code, exitcode.BrokenPipe, other)
				}
			case scripttest.Stderr:
				if code != 0 || strings.Count(other, `"status":"published"`) != len(ranked) {
					t.Errorf("exit %d, want 0; stdout:\n%s", code, other)
				}
			}
			var n int
			if err := pgtest.Connect(t, url).QueryRow(context.Background(),
				"SELECT count(*) FROM api.leaderboard_snapshot WHERE visibility = 'public'").Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != len(ranked) {
				t.Errorf("%d snapshots in the database, want %d", n, len(ranked))
			}
			for _, slug := range ranked {
				for _, f := range []string{"latest.json", "index.json", "index.html"} {
					if _, err := os.Stat(filepath.Join(dir, slug, f)); err != nil {
						t.Errorf("%s/%s: %v", slug, f, err)
					}
				}
			}
			if _, err := os.Stat(filepath.Join(dir, "index.html")); err != nil {
				t.Errorf("no front page: %v", err)
			}
			b, err := os.ReadFile(filepath.Join(dir, "index.json"))
			if err != nil {
				t.Fatalf("no index: %v", err)
			}
			var index struct {
				Leaderboards []struct{ Leaderboard string }
			}
			if err := json.Unmarshal(b, &index); err != nil {
				t.Fatal(err)
			}
			listed := map[string]bool{}
			for _, l := range index.Leaderboards {
				listed[l.Leaderboard] = true
			}
			for _, slug := range ranked {
				if !listed[slug] {
					t.Errorf("index.json does not list %s", slug)
				}
			}
		})
	}
}

// rankedSlugs returns the leaderboards of the ranked records of a file.
func rankedSlugs(t *testing.T, file string) []string {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var r struct{ Leaderboard, Status string }
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		if r.Status == "ranked" {
			out = append(out, r.Leaderboard)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
