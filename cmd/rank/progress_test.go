package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bixarena/arena-snapshots/internal/scripttest"
	"github.com/bixarena/arena-snapshots/internal/synth"
)

// On a terminal, rank shows its progress on stderr; the output on stdout
// is the same as without one.
func TestProgressOnTerminal(t *testing.T) {
	in := filepath.Join(t.TempDir(), "battles.ndjson")
	f, err := os.Create(in)
	if err != nil {
		t.Fatal(err)
	}
	if err := synth.Write(f, synth.Options{Battles: 300_000, Models: 20, Categories: 3, Ties: 0.1, Seed: 2}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	args := []string{tool, "--bootstrap", "300", in}

	code, onTerminal, shown := scripttest.OnTerminal(t, run, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, shown)
	}
	if !strings.Contains(shown, "bootstrap") || !strings.Contains(shown, "rounds") {
		t.Errorf("no progress on the terminal; it showed %q", shown)
	}

	var plain, stderr bytes.Buffer
	if code := run(context.Background(), args, nil, &plain, &stderr); code != 0 || stderr.Len() != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
	if plain.String() != onTerminal {
		t.Error("stdout differs with a terminal on stderr")
	}
}
