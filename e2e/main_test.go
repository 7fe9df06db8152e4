// Package e2e tests the daily job end to end: scripts/entrypoint.sh (under
// bash and under dash), hand-typed pipes of the three tools, and
// scripts/demo.sh, against a real PostgreSQL (TEST_DATABASE_URL) and a real
// S3-compatible server (versitygw). The tools are built once, in TestMain,
// into a temporary folder that the jobs find first on PATH.
//
// Without TEST_DATABASE_URL the tests that need a database skip; without
// versitygw those that need S3 skip; scripts/test.sh provides both.
package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bixarena/arena-snapshots/internal/faulttest"
	"github.com/bixarena/arena-snapshots/internal/pgtest"
	"github.com/jackc/pgx/v5"
)

var toolNames = []string{"battles-export", "rank", "snapshot-publish"}

var (
	root      string            // the repository
	toolDir   string            // the built tools
	buildErrs map[string]string // tool -> go build output, when it failed
)

func TestMain(m *testing.M) {
	flag.Parse()
	var err error
	root, err = findRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	tmp, err := os.MkdirTemp("", "arena-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	toolDir = filepath.Join(tmp, "bin")
	buildErrs = map[string]string{}
	if !testing.Short() {
		for _, tool := range toolNames {
			cmd := exec.Command("go", "build", "-o", filepath.Join(toolDir, tool), "./cmd/"+tool)
			cmd.Dir = root
			if out, err := cmd.CombinedOutput(); err != nil {
				buildErrs[tool] = fmt.Sprintf("%v\n%s", err, out)
			}
		}
	}
	code := m.Run()
	dropTemplate()
	os.RemoveAll(tmp)
	os.Exit(code)
}

func findRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above %s", dir)
		}
		dir = parent
	}
}

func repoRoot(t *testing.T) string {
	t.Helper()
	return root
}

// needTools fails t when a tool did not build, and skips it in -short mode.
func needTools(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end job tests build the tools: not in -short mode")
	}
	for _, tool := range toolNames {
		if e, ok := buildErrs[tool]; ok {
			t.Fatalf("%s does not build: %s", tool, e)
		}
	}
}

// ---- databases -------------------------------------------------------------

var tmpl struct {
	once  sync.Once
	admin string
	name  string
	err   error
}

// demoDB returns the URL of a fresh scratch database holding
// testdata/schema.sql and testdata/demo.sql, dropped when t ends. The demo
// data are loaded once into a template database that each test copies.
func demoDB(t *testing.T) string {
	t.Helper()
	admin := pgtest.AdminURL(t)
	tmpl.once.Do(func() {
		tmpl.admin = admin
		tmpl.name = "arena_e2e_tmpl_" + pgtest.RandomSuffix()
		tmpl.err = func() error {
			ctx := context.Background()
			conn, err := pgx.Connect(ctx, admin)
			if err != nil {
				return err
			}
			defer conn.Close(ctx)
			if _, err := conn.Exec(ctx, "CREATE DATABASE "+tmpl.name); err != nil {
				return err
			}
			db, err := pgx.Connect(ctx, withDatabase(admin, tmpl.name))
			if err != nil {
				return err
			}
			defer db.Close(ctx)
			for _, f := range []string{"testdata/schema.sql", "testdata/demo.sql"} {
				sql, err := os.ReadFile(filepath.Join(root, f))
				if err != nil {
					return err
				}
				if _, err := db.Exec(ctx, string(sql)); err != nil {
					return fmt.Errorf("%s: %w", f, err)
				}
			}
			return nil
		}()
	})
	if tmpl.err != nil {
		t.Fatalf("demo database: %v", tmpl.err)
	}
	name := "arena_e2e_" + pgtest.RandomSuffix()
	pgtest.Exec(t, admin, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s", name, tmpl.name))
	pgtest.DropAtCleanup(t, admin, name)
	return withDatabase(admin, name)
}

func dropTemplate() {
	if tmpl.name == "" {
		return
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, tmpl.admin)
	if err != nil {
		return
	}
	defer conn.Close(ctx)
	conn.Exec(ctx, "DROP DATABASE IF EXISTS "+tmpl.name+" WITH (FORCE)")
}

// withDatabase returns the URL base with its database replaced by name.
func withDatabase(base, name string) string {
	u, err := url.Parse(base)
	if err != nil {
		panic(fmt.Sprintf("%s is not a URL: %v", pgtest.EnvVar, err))
	}
	u.Path = "/" + name
	return u.String()
}

// queryInt runs a query returning one integer.
func queryInt(t *testing.T, dbURL, sql string, args ...any) int {
	t.Helper()
	conn := pgtest.Connect(t, dbURL)
	var n int
	if err := conn.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func countSnapshots(t *testing.T, dbURL string) int {
	t.Helper()
	return queryInt(t, dbURL, "SELECT count(*) FROM api.leaderboard_snapshot")
}

// closedPort returns a 127.0.0.1 port that nothing listens on.
func closedPort(t *testing.T) string { return faulttest.FreePort(t) }

// ---- running the job -------------------------------------------------------

// jobResult is what a run of the entrypoint (or a pipe) left behind.
type jobResult struct {
	code           int
	stdout, stderr string
	events         []map[string]any // stdout, one JSON object per line
}

// eventsNamed returns the job's events with the given name.
func (r jobResult) eventsNamed(name string) []map[string]any {
	var out []map[string]any
	for _, e := range r.events {
		if e["event"] == name {
			out = append(out, e)
		}
	}
	return out
}

func (r jobResult) String() string {
	return fmt.Sprintf("exit %d\n--- stdout\n%s--- stderr\n%s", r.code, r.stdout, r.stderr)
}

// baseEnv is the environment of every job: the tools first on PATH, and
// nothing from the test's own environment that could reach a database.
func baseEnv(t *testing.T) map[string]string {
	return map[string]string{
		"PATH":   toolDir + ":/usr/local/bin:/usr/bin:/bin",
		"HOME":   t.TempDir(),
		"TMPDIR": t.TempDir(),
		"LANG":   "C.UTF-8",
	}
}

// runShell runs a shell (bash or dash) with args in the repository,
// environment env (added to baseEnv; an empty value unsets nothing, it is
// passed as empty).
func runShell(t *testing.T, shell string, env map[string]string, args ...string) jobResult {
	t.Helper()
	path, err := exec.LookPath(shell)
	if err != nil {
		t.Skipf("%s is not installed: %v", shell, err)
	}
	all := baseEnv(t)
	for k, v := range env {
		all[k] = v
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Dir = root
	for k, v := range all {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	r := jobResult{stdout: stdout.String(), stderr: stderr.String()}
	if ctx.Err() != nil {
		t.Fatalf("%s %v timed out\n%s", shell, args, r)
	}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return r
}

// runJob runs scripts/entrypoint.sh under shell and checks the logging
// contract: stdout is JSON lines only, stderr is JSON lines only (the
// stages log JSON), all carrying the same correlation id.
func runJob(t *testing.T, shell string, env map[string]string, args ...string) jobResult {
	t.Helper()
	r := runShell(t, shell, env, append([]string{"scripts/entrypoint.sh"}, args...)...)
	id := env["CORRELATION_ID"]
	check := func(stream, text string) []map[string]any {
		var objs []map[string]any
		sc := bufio.NewScanner(strings.NewReader(text))
		sc.Buffer(nil, 16<<20)
		for n := 1; sc.Scan(); n++ {
			line := sc.Text()
			var obj map[string]any
			if err := json.Unmarshal([]byte(line), &obj); err != nil {
				t.Errorf("%s:%d is not a JSON object: %v\n%s", stream, n, err, line)
				continue
			}
			cid, _ := obj["correlation_id"].(string)
			if id == "" {
				id = cid
			}
			if cid == "" || cid != id {
				t.Errorf("%s:%d: correlation_id %q, want %q\n%s", stream, n, cid, id, line)
			}
			objs = append(objs, obj)
		}
		return objs
	}
	r.events = check("stdout", r.stdout)
	check("stderr", r.stderr)
	if t.Failed() {
		t.Logf("%s", r)
	}
	return r
}

// shells are the shells every entrypoint test runs under: bash, and the
// system's POSIX sh (dash on Debian).
var shells = []string{"bash", "dash"}

// writeScript writes an executable shell script.
func writeScript(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
}

// listFiles returns the regular files under dir, relative, sorted.
func listFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) && p == dir {
				return filepath.SkipDir
			}
			return err
		}
		if d.Type().IsRegular() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
