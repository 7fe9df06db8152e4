package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

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
