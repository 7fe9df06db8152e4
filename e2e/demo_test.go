package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bixarena/arena-snapshots/internal/pgtest"
	"github.com/jackc/pgx/v5"
)

// TestDemo runs scripts/demo.sh twice on a fresh scratch database (its own
// name, so that a user's arena_demo is left alone): both runs publish and
// print the overall leaderboard and where its files are.
func TestDemo(t *testing.T) {
	needTools(t)
	admin := pgtest.AdminURL(t)
	name := "arena_demo_e2e_" + pgtest.RandomSuffix()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if conn, err := pgx.Connect(ctx, admin); err == nil {
			conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			conn.Close(ctx)
		}
	})
	work := t.TempDir()
	env := map[string]string{
		"DATABASE_URL":  admin,
		"DEMO_DATABASE": name,
		"DEMO_BIN":      filepath.Join(work, "bin"),
		"DEMO_OUT":      filepath.Join(work, "out"),
		"NUM_BOOTSTRAP": "50",
		"PATH":          goBinDir(t) + ":/usr/local/bin:/usr/bin:/bin",
		"GOCACHE":       goEnv(t, "GOCACHE"),
		"GOMODCACHE":    goEnv(t, "GOMODCACHE"),
	}
	for run := 1; run <= 2; run++ {
		if run == 2 {
			// The second run uses the tools the first one built, as on a
			// machine without Go: the build is covered once, and slow.
			env["PATH"] = "/usr/bin:/bin"
		}
		r := runShell(t, "bash", env, "scripts/demo.sh")
		if r.code != 0 {
			t.Fatalf("run %d failed\n%s", run, r)
		}
		for _, want := range []string{"rank", "score", "votes", filepath.Join(work, "out/overall/latest.json"), filepath.Join(work, "out/overall/latest.svg")} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("run %d: output lacks %q\n%s", run, want, r.stdout)
			}
		}
		if n := queryInt(t, withDatabase(admin, name), "SELECT count(*) FROM api.leaderboard_snapshot"); n < 2 {
			t.Errorf("run %d: %d snapshots in %s", run, n, name)
		}
		// Quiet about a database it drops before it exists; skipped
		// leaderboards explained as rank's table does, not by reason codes.
		if strings.Contains(r.stdout+r.stderr, "NOTICE") {
			t.Errorf("run %d: psql's notices reached the output\n%s", run, r)
		}
		for _, line := range strings.Split(r.stdout, "\n") {
			if strings.HasPrefix(line, "  skipped ") && (strings.Contains(line, "_") || !strings.Contains(line, ": ")) {
				t.Errorf("run %d: a skipped leaderboard without its explanation: %q", run, line)
			}
		}
		// The logs beside the published folder, not in it.
		for _, f := range []string{"job.log", "stages.log"} {
			if _, err := os.Stat(filepath.Join(work, "out", f)); err == nil {
				t.Errorf("run %d: %s published in out/", run, f)
			}
			if _, err := os.Stat(filepath.Join(work, "out.logs", f)); err != nil {
				t.Errorf("run %d: %v", run, err)
			}
		}
	}
	// The tools report the checkout's version, not "dev".
	want := "dev"
	if b, err := exec.Command("git", "-C", root, "describe", "--always", "--dirty").Output(); err == nil {
		want = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile(filepath.Join(work, "out/overall/latest.json")); err != nil || !strings.Contains(string(b), `"version": "`+want+`"`) {
		t.Errorf("the published document does not carry version %q: %v", want, err)
	}
	if _, err := os.Stat(filepath.Join(work, "out/overall/latest.json")); err != nil {
		t.Error(err)
	}
}

// TestDemoOffline: without a reachable PostgreSQL the demo says so and
// ranks the shipped fixture.
func TestDemoOffline(t *testing.T) {
	needTools(t)
	work := t.TempDir()
	r := runShell(t, "bash", map[string]string{
		"DATABASE_URL": "postgres://postgres@127.0.0.1:" + closedPort(t) + "/postgres?sslmode=disable",
		"DEMO_BIN":     toolDir, // no Go on PATH: the demo uses these
		"DEMO_OUT":     filepath.Join(work, "out"),
		"PATH":         "/usr/bin:/bin",
	}, "scripts/demo.sh")
	if r.code != 0 {
		t.Fatalf("offline demo failed\n%s", r)
	}
	if !strings.Contains(r.stdout, "no reachable PostgreSQL") || !strings.Contains(strings.ToLower(r.stdout), "score") {
		t.Errorf("offline demo output:\n%s", r.stdout)
	}
}

// TestDemoWithoutJq: the job needs jq; where it is missing and cannot be
// installed (no apt-get here), the demo says what to install and ranks the
// shipped fixture, instead of running a job that fails half-way.
func TestDemoWithoutJq(t *testing.T) {
	needTools(t)
	work := t.TempDir()
	path := filepath.Join(work, "path")
	if err := os.Mkdir(path, 0o755); err != nil {
		t.Fatal(err)
	}
	// Every command of /usr/bin and /bin but jq and apt-get.
	for _, dir := range []string{"/usr/bin", "/bin"} {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			switch e.Name() {
			case "jq", "apt-get":
				continue
			}
			os.Symlink(filepath.Join(dir, e.Name()), filepath.Join(path, e.Name()))
		}
	}
	r := runShell(t, "bash", map[string]string{
		"DATABASE_URL": pgtest.AdminURL(t),
		"DEMO_BIN":     toolDir, // no Go on PATH: the demo uses these
		"DEMO_OUT":     filepath.Join(work, "out"),
		"PATH":         path,
	}, "scripts/demo.sh")
	if r.code != 0 {
		t.Fatalf("demo without jq failed\n%s", r)
	}
	for _, want := range []string{"jq is not installed", "install jq", "score"} {
		if !strings.Contains(strings.ToLower(r.stdout), strings.ToLower(want)) {
			t.Errorf("demo without jq: output lacks %q\n%s", want, r.stdout)
		}
	}
	if _, err := os.Stat(filepath.Join(work, "out")); err == nil {
		t.Errorf("demo without jq published to out/")
	}
}

// goBinDir is the folder of the go command, for scripts that build.
func goBinDir(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	return filepath.Dir(p)
}

func goEnv(t *testing.T, key string) string {
	t.Helper()
	out, err := exec.Command("go", "env", key).Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}
