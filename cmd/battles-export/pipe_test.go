package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/bixarena/arena-snapshots/internal/exitcode"
	"github.com/bixarena/arena-snapshots/internal/pgtest"
	"github.com/bixarena/arena-snapshots/internal/scripttest"
)

// A reader that quits (battles-export | head -1) ends battles-export
// quietly with 141, as a shell reports a stage killed by SIGPIPE: no
// message, and never 1 (a bug); the same for --print-query.
func TestClosedStdout(t *testing.T) {
	if os.Getenv(pgtest.EnvVar) == "" {
		t.Skip("TEST_DATABASE_URL is not set: no PostgreSQL to export from")
	}
	url := pgtest.NewDB(t, filepath.Join("cmd", "battles-export", "testdata", "battles.sql"))
	for _, args := range [][]string{{}, {"--aggregate"}, {"--print-query"}} {
		code, stderr := scripttest.RunClosed(t, tool, scripttest.Stdout, nil, []string{"LOG_FORMAT=text"},
			append([]string{"--database-url", url}, args...)...)
		if code != exitcode.BrokenPipe || stderr != "" {
			t.Errorf("%v: exit %d, want %d, and stderr %q, want nothing", args, code, exitcode.BrokenPipe, stderr)
		}
	}
}
