// Package scripttest holds what the tools' command-line tests share: the
// script commands that run a tool in the test binary, and a run with a
// terminal on stderr.
package scripttest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bixarena/arena-snapshots/internal/clix"
	"github.com/creack/pty"
)

// Run is a tool's testable entry point.
type Run func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int

// Commands returns the commands for testscript.Main: the tool itself, and
// "exits N TOOL ARGS...", which runs the tool and succeeds when its exit
// status is N (testscript's own "! exec" cannot tell one failure from
// another).
func Commands(tool string, run Run) map[string]func() {
	return map[string]func(){
		tool: func() { clix.Main(run) },
		"exits": func() {
			if len(os.Args) < 3 || os.Args[2] != tool {
				fmt.Fprintln(os.Stderr, "usage: exits STATUS "+tool+" [ARGS...]")
				os.Exit(2)
			}
			want, err := strconv.Atoi(os.Args[1])
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(2)
			}
			if got := run(context.Background(), os.Args[2:], os.Stdin, os.Stdout, os.Stderr); got != want {
				fmt.Fprintf(os.Stderr, "exit status %d, want %d\n", got, want)
				os.Exit(1)
			}
			os.Exit(0)
		},
	}
}

// OnTerminal runs the tool with a pseudo-terminal as its stderr and
// returns its exit status, its stdout and what the terminal showed. It
// skips t where no pseudo-terminal can be had.
func OnTerminal(t testing.TB, run Run, args ...string) (code int, stdout, screen string) {
	t.Helper()
	var out bytes.Buffer
	code, screen = Terminal(t, run, nil, &out, args...)
	return code, out.String(), screen
}

// Terminal runs the tool on stdin with a pseudo-terminal as its stderr,
// and as its stdout too when stdout is nil, and returns its exit status and
// what the terminal showed. It skips t where no pseudo-terminal can be had.
func Terminal(t testing.TB, run Run, stdin io.Reader, stdout io.Writer, args ...string) (code int, screen string) {
	t.Helper()
	screen = OnPTY(t, func(tty *os.File) {
		out := stdout
		if out == nil {
			out = tty
		}
		code = run(context.Background(), args, stdin, out, tty)
	})
	return code, screen
}

// OnPTY calls f with the terminal end of a new pseudo-terminal and returns
// what the terminal showed while f ran. It skips t where no
// pseudo-terminal can be had.
func OnPTY(t testing.TB, f func(tty *os.File)) string {
	t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	defer ptmx.Close()
	shown := make(chan string)
	go func() {
		b, _ := io.ReadAll(ptmx) // ends when the terminal's last end closes
		shown <- string(b)
	}()
	f(tty)
	tty.Close()
	return <-shown
}

// clearLine is what a progress line (clix, drawn by mpb) writes to draw
// over its last frame: the cursor up a line, and the screen cleared below.
const clearLine = "\x1b[1A\x1b[J"

// ProgressFrames reads what a terminal showed of one progress line: the
// frames drawn, each a single line drawn over the one before, the last
// cleared at the end. It fails when a frame holds more than one line (two
// lines on the screen at once) or the line is left on the screen.
func ProgressFrames(screen string) ([]string, error) {
	if screen == "" {
		return nil, nil
	}
	if !strings.HasSuffix(screen, clearLine) {
		return nil, fmt.Errorf("the line is not cleared at the end: %q", screen)
	}
	var frames []string
	for _, chunk := range strings.Split(strings.TrimSuffix(screen, clearLine), clearLine) {
		line, ok := strings.CutSuffix(chunk, "\r\n")
		if !ok || strings.ContainsAny(line, "\r\n") {
			return nil, fmt.Errorf("not one line drawn over the one before: %q in %q", chunk, screen)
		}
		frames = append(frames, line)
	}
	return frames, nil
}

// SlowReader returns a reader of data that waits d before its first byte,
// as a stage behind a slow one does: long enough for a progress line to be
// drawn.
func SlowReader(data []byte, d time.Duration) io.Reader {
	return &slowReader{data: data, wait: d}
}

type slowReader struct {
	data []byte
	wait time.Duration
}

func (s *slowReader) Read(b []byte) (int, error) {
	if s.wait > 0 {
		time.Sleep(s.wait)
		s.wait = 0
	}
	if len(s.data) == 0 {
		return 0, io.EOF
	}
	n := copy(b, s.data)
	s.data = s.data[n:]
	return n, nil
}

// Proc is a tool running in a process of its own: this test binary, run
// under the tool's name (testscript.Main runs the tool then), with JSON
// logs on stderr.
type Proc struct {
	cmd    *exec.Cmd
	lines  chan string // stderr, line by line
	stdout strings.Builder
	seen   []string
}

// Start starts tool with args, reading stdin (nil: nothing), in the
// test's environment plus env ("KEY=value") and LOG_FORMAT=json. The
// process is killed when t ends.
func Start(t testing.TB, tool string, stdin io.Reader, env []string, args ...string) *Proc {
	t.Helper()
	p := &Proc{lines: make(chan string, 1000)}
	p.cmd = &exec.Cmd{Path: os.Args[0], Args: append([]string{tool}, args...), Stdin: stdin,
		Env: append(append(os.Environ(), "LOG_FORMAT=json"), env...), Stdout: &p.stdout}
	errs, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(p.lines)
		sc := bufio.NewScanner(errs)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
	}()
	t.Cleanup(func() { p.cmd.Process.Kill() })
	return p
}

// WaitFor waits until the tool writes a stderr line holding s, and fails
// t when it ends first or does not within 30 s.
func (p *Proc) WaitFor(t testing.TB, s string) {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case l, ok := <-p.lines:
			if !ok {
				t.Fatalf("the tool ended before writing %q:\n%s", s, strings.Join(p.seen, "\n"))
			}
			p.seen = append(p.seen, l)
			if strings.Contains(l, s) {
				return
			}
		case <-timeout:
			t.Fatalf("no %q after 30 s:\n%s", s, strings.Join(p.seen, "\n"))
		}
	}
}

// StopWith sends sig and checks that the tool ends within 2 s with status
// 128+sig and a message saying it was stopped. It returns its stdout.
func (p *Proc) StopWith(t testing.TB, sig syscall.Signal) string {
	t.Helper()
	sent := time.Now()
	p.cmd.Process.Signal(sig)
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("the tool still runs 10 s after %v", sig)
	}
	if took := time.Since(sent); took > 2*time.Second {
		t.Errorf("the tool took %v to stop after %v", took, sig)
	}
	if got, want := p.cmd.ProcessState.ExitCode(), 128+int(sig); got != want {
		t.Errorf("exit %d, want %d", got, want)
	}
	for l := range p.lines {
		p.seen = append(p.seen, l)
	}
	if all := strings.Join(p.seen, "\n"); !strings.Contains(all, `"msg":"stopped by SIG`) {
		t.Errorf("no message saying the tool was stopped:\n%s", all)
	}
	return p.stdout.String()
}

// Stream names one of a tool's output streams.
type Stream string

// The output streams.
const (
	Stdout Stream = "stdout"
	Stderr Stream = "stderr"
)

// RunClosed runs tool with args in a process of its own (as Start does,
// in the test's environment plus env, reading stdin, nil: nothing), its
// stream closed being a pipe whose reader is gone before the tool starts,
// as a reader that quit at once leaves it (a pipe into true). It
// returns the tool's exit status (-1 when a signal killed it) and what it
// wrote on its other output stream.
func RunClosed(t testing.TB, tool string, closed Stream, stdin io.Reader, env []string, args ...string) (code int, other string) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	var out bytes.Buffer
	cmd := &exec.Cmd{Path: os.Args[0], Args: append([]string{tool}, args...), Stdin: stdin,
		Env: append(os.Environ(), env...)}
	switch closed {
	case Stdout:
		cmd.Stdout, cmd.Stderr = w, &out
	case Stderr:
		cmd.Stdout, cmd.Stderr = &out, w
	default:
		t.Fatalf("no stream %q", closed)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close() // the tool's end stays open in the tool only
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		cmd.Process.Kill()
		<-done
		t.Fatalf("%s still ran after 2 minutes", tool)
	}
	return cmd.ProcessState.ExitCode(), out.String()
}
