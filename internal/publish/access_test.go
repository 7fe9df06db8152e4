package publish

import (
	"strings"
	"testing"

	"github.com/bixarena/arena-snapshots/internal/exitcode"
	"github.com/bixarena/arena-snapshots/internal/pgtest"
)

// A database without the arena's schema, or a role without its grants, is
// one configuration error, said once before any leaderboard (not once per
// leaderboard), in a dry run as in a publish; nothing is written.
func TestDatabaseWithoutSchemaIsOneError(t *testing.T) {
	url := pgtest.NewDB(t)
	pgtest.Exec(t, url, "DROP SCHEMA api CASCADE")
	for _, dry := range []bool{true, false} {
		r := runTool(t, Options{DB: true, DatabaseURL: url, DryRun: dry}, fixture(t, "valid.ndjson"))
		if r.code != exitcode.Config || r.stdout != "" {
			t.Errorf("dry run %v: exit %d, want %d\n%s%s", dry, r.code, exitcode.Config, r.stdout, r.stderr)
		}
		if n := strings.Count(r.stderr, `schema "api" does not exist`); n != 1 || strings.Count(r.stderr, "hint:") != 1 {
			t.Errorf("dry run %v: the error said %d times, want once:\n%s", dry, n, r.stderr)
		}
	}

	url = pgtest.NewDB(t, "testdata/leaderboards/models.sql")
	role := pgtest.NewRole(t, url)
	pgtest.Exec(t, url, pgtest.Grants(t, "arena_publisher", role)+"\nREVOKE SELECT (name) ON api.leaderboard FROM "+role)
	r := runTool(t, Options{DB: true, DatabaseURL: pgtest.WithUser(t, url, role, ""), DryRun: true}, fixture(t, "valid.ndjson"))
	if r.code != exitcode.Config || r.stdout != "" || strings.Count(r.stderr, "SELECT (name) on api.leaderboard") != 1 {
		t.Errorf("a role without a grant: exit %d, want %d\n%s%s", r.code, exitcode.Config, r.stdout, r.stderr)
	}
}
