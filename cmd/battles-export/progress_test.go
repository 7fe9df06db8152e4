package main

import (
	"bytes"
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bixarena/arena-snapshots/internal/pgtest"
	"github.com/bixarena/arena-snapshots/internal/scripttest"
)

// On a terminal, battles-export shows a spinner with the elapsed time while
// the database runs its query (here: waits behind a lock for a while), and
// clears it at the end; stdout is the same as without one.
func TestProgressOnTerminal(t *testing.T) {
	url := pgtest.NewDB(t, filepath.Join("cmd", "battles-export", "testdata", "battles.sql"))
	release := pgtest.Lock(t, url, "api.battle_evaluation")
	time.AfterFunc(700*time.Millisecond, release)
	args := []string{tool, "--database-url", url}
	code, onTerminal, shown := scripttest.OnTerminal(t, run, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, shown)
	}
	frames, err := scripttest.ProgressFrames(shown)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(frames, "battles-export: querying the database  ⠙  0s") {
		t.Errorf("no spinner while the query runs; it showed %q", frames)
	}
	var plain, stderr bytes.Buffer
	if code := run(context.Background(), args, nil, &plain, &stderr); code != 0 || stderr.Len() != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
	// The header's export time may differ; the battles may not.
	cut := func(s string) string { return s[strings.IndexByte(s, '\n'):] }
	if cut(plain.String()) != cut(onTerminal) {
		t.Error("stdout differs with a terminal on stderr")
	}
}
