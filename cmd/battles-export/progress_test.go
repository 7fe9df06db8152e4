package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/bixarena/arena-snapshots/internal/pgtest"
	"github.com/bixarena/arena-snapshots/internal/scripttest"
)

// On a terminal, battles-export shows rows and rows per second on stderr;
// stdout is the same as without one.
func TestProgressOnTerminal(t *testing.T) {
	url := pgtest.NewDB(t, "testdata/demo.sql")
	args := []string{tool, "--database-url", url}
	code, onTerminal, shown := scripttest.OnTerminal(t, run, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, shown)
	}
	if !strings.Contains(shown, "rows") {
		t.Errorf("no progress on the terminal; it showed %q", shown)
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
