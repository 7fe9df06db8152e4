package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/bixarena/arena-snapshots/internal/pgtest"
	"github.com/creack/pty"
)

// On a terminal, battles-export shows rows and rows per second on stderr;
// stdout is the same as without one.
func TestProgressOnTerminal(t *testing.T) {
	url := pgtest.NewDB(t, "testdata/demo.sql")
	args := []string{tool, "--database-url", url}
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	defer ptmx.Close()
	screen := make(chan string)
	go func() {
		b, _ := io.ReadAll(ptmx)
		screen <- string(b)
	}()
	var onTerminal bytes.Buffer
	code := run(context.Background(), args, nil, &onTerminal, tty)
	tty.Close()
	shown := <-screen
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
	cut := func(b []byte) string { return string(b[bytes.IndexByte(b, '\n'):]) }
	if cut(plain.Bytes()) != cut(onTerminal.Bytes()) {
		t.Error("stdout differs with a terminal on stderr")
	}
}
