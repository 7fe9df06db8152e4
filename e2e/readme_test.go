package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/bixarena/arena-snapshots/internal/battle"
	"github.com/bixarena/arena-snapshots/internal/leaderboard"
	"github.com/bixarena/arena-snapshots/internal/pgtest"
)

// readmeExamples returns the README's examples: its ```sh blocks, in order.
func readmeExamples(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range regexp.MustCompile("(?ms)^```sh\n(.*?)^```$").FindAllStringSubmatch(string(b), -1) {
		out = append(out, m[1])
	}
	if len(out) == 0 {
		t.Fatal("README.md has no ```sh examples")
	}
	return out
}

// TestREADMEExamples runs scripts/demo.sh as a new user would, pastes the
// two lines it ends with into a fresh shell, and runs every example of the
// README there, as written, from an empty folder: each must succeed.
func TestREADMEExamples(t *testing.T) {
	needTools(t)
	admin := pgtest.AdminURL(t)
	name := "arena_demo_readme_" + pgtest.RandomSuffix()
	pgtest.DropAtCleanup(t, admin, name)
	work := t.TempDir()
	demo := runShell(t, "bash", map[string]string{
		"DATABASE_URL":  admin,
		"DEMO_DATABASE": name,
		"DEMO_BIN":      toolDir, // no Go on PATH: the demo uses the tools built for the tests
		"DEMO_OUT":      filepath.Join(work, "demo-out"),
		"NUM_BOOTSTRAP": "50",
		"PATH":          "/usr/bin:/bin",
	}, "scripts/demo.sh")
	if demo.code != 0 {
		t.Fatalf("the demo failed\n%s", demo)
	}
	lines := strings.Split(strings.TrimRight(demo.stdout, "\n"), "\n")
	if len(lines) < 2 {
		t.Fatalf("the demo printed %q", demo.stdout)
	}
	paste := lines[len(lines)-2:]
	if !strings.HasPrefix(paste[0], "export PATH=") || !strings.HasPrefix(paste[1], "export DATABASE_URL=") {
		t.Fatalf("the demo does not end with the two lines to paste:\n%s", demo.stdout)
	}

	folder := filepath.Join(work, "examples")
	if err := os.Mkdir(folder, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, example := range readmeExamples(t) {
		script := "set -eo pipefail\n" + strings.Join(paste, "\n") + "\ncd " + folder + "\n" + example
		r := runShell(t, "bash", map[string]string{
			"PATH":          "/usr/bin:/bin", // a new shell: only what the two lines add
			"NUM_BOOTSTRAP": "100",           // quicker, and the same commands
		}, "-c", script)
		if r.code != 0 {
			t.Errorf("README example %d failed:\n%s\n%s", i+1, example, r)
			continue
		}
		for _, internal := range []string{"panic:", "flag provided but not defined", "strconv."} {
			if strings.Contains(r.stderr, internal) {
				t.Errorf("README example %d: stderr shows %q\n%s", i+1, internal, r)
			}
		}
		if i == 0 {
			for _, want := range []string{`"model":`, `"status":"would_publish"`, `"status":"published"`} {
				if !strings.Contains(r.stdout, want) {
					t.Errorf("README example 1: the output lacks %s\n%s", want, r)
				}
			}
		}
	}
}

// TestDocumentedLimits: the line limits and the publisher's privileges the
// README, docs/publish.md and the tools' --help state are the code's and
// docs/grants.sql's.
func TestDocumentedLimits(t *testing.T) {
	read := func(parts ...string) string {
		b, err := os.ReadFile(filepath.Join(append([]string{root}, parts...)...))
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(strings.Fields(string(b)), " ") // lines joined
	}
	readme, publishDoc := read("README.md"), read("docs", "publish.md")
	battles, boards := fmt.Sprintf("%d MiB", battle.MaxLine>>20), fmt.Sprintf("%d MiB", leaderboard.MaxLineBytes>>20)
	if !strings.Contains(readme, "at most "+battles+" (battles) and "+boards+" (leaderboards") {
		t.Errorf("the README does not say lines are at most %s (battles) and %s (leaderboards)", battles, boards)
	}
	if !strings.Contains(publishDoc, "a line over "+boards) {
		t.Errorf("docs/publish.md does not say %s", boards)
	}
	for _, doc := range []string{readme, publishDoc} {
		for _, wrong := range regexp.MustCompile(`\b(\d+) MiB \(leaderboards`).FindAllStringSubmatch(doc, -1) {
			if wrong[0] != boards+" (leaderboards" {
				t.Errorf("a document says %q", wrong[0])
			}
		}
	}
	// The publisher's grants: no UPDATE of entries, UPDATE of a snapshot's
	// visibility and updated_at only, wherever they are described.
	grants := read("docs", "grants.sql")
	if !strings.Contains(grants, "UPDATE (visibility, updated_at) ON api.leaderboard_snapshot") {
		t.Fatal("docs/grants.sql changed: update this test")
	}
	for name, text := range map[string]string{"docs/publish.md": publishDoc, "snapshot-publish --help": read("cmd", "snapshot-publish", "main.go")} {
		if strings.Contains(text, "UPDATE on api.leaderboard_snapshot and api.leaderboard_entry") ||
			!strings.Contains(text, "UPDATE of only") {
			t.Errorf("%s describes the publisher's UPDATE privilege otherwise than docs/grants.sql", name)
		}
	}
}
