package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bixarena/arena-snapshots/internal/scripttest"
	"github.com/creack/pty"
)

// slowFixture is the shipped fixture, read from a stdin that waits before
// its first byte, so that every run lasts long enough to draw.
func slowFixture(t *testing.T, wait time.Duration) io.Reader {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtures(t), "battles.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	return scripttest.SlowReader(b, wait)
}

// On a terminal, rank draws one progress line on stderr (a spinner while
// nothing has come yet), redrawn in place and cleared at the end; stdout
// is the same as without one. --no-progress, NO_PROGRESS and JSON logs
// draw nothing.
func TestProgressOnTerminal(t *testing.T) {
	args := []string{tool, "--bootstrap", "20", "--format", "ndjson"}
	var onTerminal bytes.Buffer
	code, shown := scripttest.Terminal(t, run, slowFixture(t, 700*time.Millisecond), &onTerminal, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, shown)
	}
	frames, err := scripttest.ProgressFrames(shown)
	if err != nil {
		t.Fatal(err)
	}
	if len(frames) < 3 || frames[0] != "rank: reading stdin  ⠋  0s" || frames[1] != "rank: reading stdin  ⠙  0s" ||
		!strings.HasPrefix(frames[len(frames)-1], "rank: bootstrap  ") {
		t.Errorf("no spinner while nothing came, or no bootstrap after; it showed %q", frames)
	}
	var plain, stderr bytes.Buffer
	if code := run(context.Background(), append(args, filepath.Join(fixtures(t), "battles.ndjson")), nil, &plain, &stderr); code != 0 || stderr.Len() != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
	if plain.String() != onTerminal.String() {
		t.Error("stdout differs with a terminal on stderr")
	}

	for _, tc := range []struct {
		name, env string
		args      []string
	}{
		{"--no-progress", "", append(args, "--no-progress")},
		{"NO_PROGRESS=1", "NO_PROGRESS=1", args},
		{"NO_PROGRESS=yes", "NO_PROGRESS=yes", args},
		{"LOG_FORMAT=json", "LOG_FORMAT=json", args},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if k, v, ok := strings.Cut(tc.env, "="); ok {
				t.Setenv(k, v)
			}
			code, shown := scripttest.Terminal(t, run, slowFixture(t, 400*time.Millisecond), io.Discard, tc.args...)
			if code != 0 || strings.Contains(shown, "\x1b[") || strings.Contains(shown, "reading") {
				t.Errorf("exit %d, the terminal showed %q", code, shown)
			}
		})
	}
}

// In a pipe (stdout read by another program), rank is not the last stage
// on the terminal and draws nothing.
func TestNoProgressIntoPipe(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	read := make(chan int)
	go func() {
		n, _ := io.Copy(io.Discard, r)
		read <- int(n)
	}()
	code, shown := scripttest.Terminal(t, run, slowFixture(t, 400*time.Millisecond), w, tool, "--bootstrap", "20")
	w.Close()
	if n := <-read; code != 0 || n == 0 {
		t.Fatalf("exit %d, %d bytes into the pipe", code, n)
	}
	if shown != "" {
		t.Errorf("the terminal showed %q", shown)
	}
}

// rank prints a table for people when stdout is a terminal, NDJSON when it
// is not; --format decides when given.
func TestTableOnTerminal(t *testing.T) {
	in := filepath.Join(fixtures(t), "battles.ndjson")
	code, screen := scripttest.Terminal(t, run, nil, nil, tool, "--bootstrap", "20", "--no-progress", in)
	if code != 0 || !strings.Contains(screen, "overall (Overall): 16788 battles, 20 models, 20 ranked") ||
		!strings.Contains(screen, "95% interval") || strings.Contains(screen, `"leaderboard"`) {
		t.Errorf("exit %d, a terminal showed:\n%s", code, screen)
	}
	code, screen = scripttest.Terminal(t, run, nil, nil, tool, "--bootstrap", "20", "--format", "ndjson", in)
	if code != 0 || !strings.Contains(screen, `{"leaderboard":"overall"`) {
		t.Errorf("--format ndjson on a terminal: exit %d:\n%.300s", code, screen)
	}
	var out, errs bytes.Buffer
	if code := run(context.Background(), []string{tool, "--bootstrap", "20", in}, nil, &out, &errs); code != 0 || !strings.HasPrefix(out.String(), `{"leaderboard":"overall"`) {
		t.Errorf("not a terminal: exit %d, stdout %.100q", code, out.String())
	}
}

// With stdin a terminal, rank says that it reads battles from it, so that
// a forgotten file name does not look like a hang; Ctrl-D ends them.
func TestNoteTerminalStdin(t *testing.T) {
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	defer ptmx.Close()
	shown := make(chan string)
	go func() {
		b, _ := io.ReadAll(ptmx)
		shown <- string(b)
	}()
	go func() {
		time.Sleep(100 * time.Millisecond)
		ptmx.Write([]byte(`{"model_a":"a","model_b":"b","winner":"model_a"}` + "\n\x04"))
	}()
	var out bytes.Buffer
	code := run(context.Background(), []string{tool, "--format", "csv", "--no-progress"}, tty, &out, tty)
	tty.Close()
	screen := <-shown
	if code != 0 || !strings.Contains(screen, "rank: reading battles from the terminal: paste them and end with Ctrl-D") {
		t.Errorf("exit %d, the terminal showed %q", code, screen)
	}
}
