package e2e

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bixarena/arena-snapshots/internal/pgtest"
)

// TestExitStatuses lists each exit status of the README's table with
// commands that produce it, as a user would type them (bash, the tools on
// PATH), and checks the status and that the message says what it is.
func TestExitStatuses(t *testing.T) {
	needTools(t)
	demo := demoDB(t)
	models := pgtest.NewDB(t, "testdata/leaderboards/models.sql")
	noSchema := pgtest.AdminURL(t)
	closed := "postgres://arena@127.0.0.1:" + closedPort(t) + "/arena"
	work := t.TempDir()
	if err := os.WriteFile(filepath.Join(work, "a-file"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	fixtures := filepath.Join(root, "testdata")
	hook := newWebhook(t, http.StatusOK)
	jobEnv := func(kv ...string) map[string]string {
		env := map[string]string{"DATABASE_URL": demo, "NUM_BOOTSTRAP": "20", "RETRY_DELAY_SECONDS": "0",
			"SNAPSHOT_DIR": filepath.Join(work, "job-out"), "ALERT_WEBHOOK_URL": hook.URL}
		for i := 0; i+1 < len(kv); i += 2 {
			env[kv[i]] = kv[i+1]
		}
		return env
	}
	for _, tc := range []struct {
		status  int
		command string
		env     map[string]string
		stderr  string // a part of what stderr says
	}{
		{0, "rank --bootstrap 20 " + fixtures + "/battles.ndjson", nil, ""},
		{0, "battles-export --aggregate | rank --bootstrap 20 | snapshot-publish --dry-run", map[string]string{"DATABASE_URL": demo}, ""},
		{0, "$ROOT/scripts/entrypoint.sh", jobEnv(), ""},
		{0, "$ROOT/scripts/entrypoint.sh --help", nil, ""},

		{1, "$ROOT/scripts/entrypoint.sh", jobEnv("PATH", killerDir(t)+":"+toolDir+":/usr/bin:/bin"), ""},

		{2, "rank --bootstrp 10 " + fixtures + "/battles.ndjson", nil, "rank: unknown flag --bootstrp"},
		{2, "rank " + fixtures + "/battles.ndjson", map[string]string{"SIGNIFICANT": "yes"}, "--significant (SIGNIFICANT) must be true or false"},
		{2, "battles-export --since yesterday", nil, "--since"},
		{2, "snapshot-publish --dir a-file " + fixtures + "/leaderboards/valid.ndjson", nil, "--dir (SNAPSHOT_DIR) a-file is not a folder"},
		{2, "snapshot-publish " + fixtures + "/leaderboards/valid.ndjson", map[string]string{"SNAPSHOT_S3_URI": "http://x"}, "SNAPSHOT_S3_URI"},
		{2, "$ROOT/scripts/entrypoint.sh", jobEnv("SNAPSHOT_DIR", filepath.Join(work, "a-file")), ""},

		{3, "rank < /dev/null", nil, "rank: no battles in the input"},
		{3, "true | rank", nil, "did the command before rank (battles-export?) fail?"},
		{3, "snapshot-publish --dry-run " + fixtures + "/leaderboards/cut.ndjson", nil, "cut.ndjson"},
		{3, "snapshot-publish --db --dry-run " + fixtures + "/leaderboards/unknown-slug.ndjson", map[string]string{"DATABASE_URL": models}, "genetics"},

		{4, "battles-export", map[string]string{"DATABASE_URL": noSchema}, "battles-export:"},
		{4, "snapshot-publish --db " + fixtures + "/leaderboards/valid.ndjson", map[string]string{"DATABASE_URL": noSchema}, "snapshot-publish:"},
		{4, "$ROOT/scripts/entrypoint.sh", jobEnv("PATH", "/usr/bin:/bin"), ""},
		{4, "rank --bootstrap 20 " + fixtures + "/battles.ndjson > /dev/full", nil, "no space left on device"},
		{4, "battles-export > /dev/full", map[string]string{"DATABASE_URL": demo}, "no space left on device"},
		{4, "snapshot-publish --dry-run " + fixtures + "/leaderboards/valid.ndjson > /dev/full", nil, "no space left on device"},

		{5, "battles-export", map[string]string{"DATABASE_URL": closed}, "cannot connect"},
		{5, "snapshot-publish --db " + fixtures + "/leaderboards/valid.ndjson", map[string]string{"DATABASE_URL": closed}, "cannot connect"},
		{5, "$ROOT/scripts/entrypoint.sh", jobEnv("DATABASE_URL", closed), ""},

		{6, "snapshot-publish --db " + fixtures + "/leaderboards/unknown-slug.ndjson", map[string]string{"DATABASE_URL": models}, "1 leaderboard(s) failed, 1 published"},
	} {
		t.Run(fmt.Sprintf("%d/%s", tc.status, tc.command), func(t *testing.T) {
			env := map[string]string{"PATH": toolDir + ":/usr/bin:/bin", "NO_PROGRESS": "1", "ROOT": root}
			for k, v := range tc.env {
				env[k] = v
			}
			r := runShell(t, "bash", env, "-c", "cd "+work+" && "+tc.command)
			if r.code != tc.status {
				t.Errorf("exit %d, want %d\n%s", r.code, tc.status, r)
			}
			if !strings.Contains(r.stderr, tc.stderr) {
				t.Errorf("stderr does not say %q\n%s", tc.stderr, r)
			}
			for _, internal := range []string{"strconv.", "flag provided but not defined", "panic:", "goroutine "} {
				if strings.Contains(r.stderr, internal) {
					t.Errorf("stderr shows %q\n%s", internal, r)
				}
			}
		})
	}
}

// killerDir holds a battles-export that the kernel kills (SIGKILL) once it
// runs: a stage killed by a signal, which the job reports as status 1.
func killerDir(t *testing.T) string {
	d := t.TempDir()
	writeScript(t, filepath.Join(d, "battles-export"), `case "$*" in *--check-settings*) exit 0 ;; esac
kill -KILL $$
`)
	return d
}
