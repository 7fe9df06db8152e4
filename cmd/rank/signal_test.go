package main

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/bixarena/arena-snapshots/internal/scripttest"
	"github.com/bixarena/arena-snapshots/internal/synth"
)

// SIGINT in the middle of the bootstrap stops rank within a second: exit
// 130, nothing written.
func TestSignalMidBootstrap(t *testing.T) {
	in := filepath.Join(t.TempDir(), "battles.ndjson")
	f, err := os.Create(in)
	if err != nil {
		t.Fatal(err)
	}
	// 100 models and 5000 rounds on one thread: several seconds of rounds.
	if err := synth.Write(f, synth.Options{Battles: 100_000, Models: 100, Ties: 0.1, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	p := scripttest.Start(t, tool, nil, nil, "--bootstrap", "5000", "--threads", "1", in)
	p.WaitFor(t, `"event":"read"`)
	time.Sleep(300 * time.Millisecond) // well into the rounds
	if out := p.StopWith(t, syscall.SIGINT); out != "" {
		t.Errorf("rank wrote %d bytes", len(out))
	}
}

// SIGTERM while rank waits for the rest of its input stops it too: 143.
func TestSignalMidRead(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	p := scripttest.Start(t, tool, r, nil, "--bootstrap", "5")
	r.Close()
	w.Write([]byte(`{"model_a":"a","model_b":"b","winner":"model_a"}` + "\n"))
	p.WaitFor(t, `"event":"start"`)
	if out := p.StopWith(t, syscall.SIGTERM); out != "" {
		t.Errorf("rank wrote %q", out)
	}
}
