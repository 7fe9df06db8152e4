package main

import (
	"testing"

	"github.com/bixarena/arena-snapshots/internal/exitcode"
	"github.com/bixarena/arena-snapshots/internal/pgtest"
	"github.com/bixarena/arena-snapshots/internal/scripttest"
)

// A reader that quits (rank | head -1) ends rank quietly with 141, as a
// shell reports a stage killed by SIGPIPE: no message, and never 1 (a bug).
func TestClosedStdout(t *testing.T) {
	input := pgtest.RepoFile(t, "testdata/battles.ndjson")
	for _, format := range []string{"ndjson", "table", "csv"} {
		code, stderr := scripttest.RunClosed(t, tool, scripttest.Stdout, nil, []string{"LOG_FORMAT=text"},
			"--bootstrap", "5", "--format", format, input)
		if code != exitcode.BrokenPipe || stderr != "" {
			t.Errorf("%s: exit %d, want %d, and stderr %q, want nothing", format, code, exitcode.BrokenPipe, stderr)
		}
	}
}
