package clix

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/bixarena/arena-snapshots/internal/exitcode"
	"github.com/creack/pty"
	"github.com/urfave/cli/v2"
)

func runApp(t *testing.T, action cli.ActionFunc, getenv func(string) string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	app := &cli.App{Name: "tool", Action: action, Flags: []cli.Flag{&cli.IntFlag{Name: "n", Value: 1}}}
	code := Run(context.Background(), app, append([]string{"tool"}, args...), nil, &stdout, &stderr, NewLogger("tool", &stderr, getenv))
	return code, stdout.String(), stderr.String()
}

func noenv(string) string { return "" }

func TestRunReportsOnceWithStatus(t *testing.T) {
	code, out, errs := runApp(t, func(*cli.Context) error {
		return exitcode.WithHint(exitcode.BadInput, errors.New("in:3: bad"), "fix line 3")
	}, noenv)
	if code != exitcode.BadInput || out != "" || errs != "tool: in:3: bad\ntool: hint: fix line 3\n" {
		t.Errorf("status %d, stdout %q, stderr %q", code, out, errs)
	}
	code, _, errs = runApp(t, func(*cli.Context) error { return errors.New("boom") }, noenv)
	if code != exitcode.Failure || errs != "tool: boom\n" {
		t.Errorf("plain error: status %d, stderr %q", code, errs)
	}
	code, _, errs = runApp(t, func(*cli.Context) error { return nil }, noenv, "--nope")
	if code != exitcode.Usage || errs != "tool: unknown flag --nope\ntool: hint: 'tool --help' lists every flag\n" {
		t.Errorf("bad flag: status %d, stderr %q", code, errs)
	}
	code, _, errs = runApp(t, func(*cli.Context) error { return nil }, noenv)
	if code != exitcode.OK || errs != "" {
		t.Errorf("success: status %d, stderr %q", code, errs)
	}
}

func TestJSONLogs(t *testing.T) {
	getenv := func(k string) string {
		return map[string]string{"LOG_FORMAT": "json", "CORRELATION_ID": "abc"}[k]
	}
	code, _, errs := runApp(t, func(c *cli.Context) error {
		return exitcode.Errorf(exitcode.Transient, "lost")
	}, getenv)
	if code != exitcode.Transient || !strings.Contains(errs, `"msg":"lost"`) || !strings.Contains(errs, `"correlation_id":"abc"`) ||
		!strings.Contains(errs, `"exit_status":5`) || strings.Count(errs, "\n") != 1 {
		t.Errorf("status %d, stderr %q", code, errs)
	}
}

func crashingRound() { panic("index out of range in a round") }

// A panic in a goroutine the tool started (and waits for with an
// exitcode.Group), like one in its own, ends it as an internal failure:
// status 1, a plain message, the stack of the goroutine that panicked;
// never Go's status 2, a usage error's.
func TestRunPanicInAnotherGoroutine(t *testing.T) {
	code, out, errs := runApp(t, func(*cli.Context) error {
		var g exitcode.Group
		g.Go(crashingRound)
		g.Wait()
		return nil
	}, noenv)
	if code != exitcode.Failure || out != "" {
		t.Fatalf("status %d, stdout %q", code, out)
	}
	if !strings.HasPrefix(errs, "tool: internal error: panic: index out of range in a round\ntool: hint: this is a bug; the stack follows\n") ||
		!strings.Contains(errs, "crashingRound") {
		t.Errorf("stderr:\n%s", errs)
	}
	code, _, errs = runApp(t, func(*cli.Context) error { panic("own") }, noenv)
	if code != exitcode.Failure || !strings.HasPrefix(errs, "tool: internal error: panic: own\n") {
		t.Errorf("a panic of the tool's goroutine: status %d\n%s", code, errs)
	}
}

// TestLogFormat: LOG_FORMAT is text or json; anything else is a usage
// error naming it and the values it takes, before the tool does anything.
func TestLogFormat(t *testing.T) {
	for v, want := range map[string]int{"": exitcode.OK, "json": exitcode.OK, "JSON": exitcode.OK, "text": exitcode.OK, " json ": exitcode.OK,
		"xml": exitcode.Usage, "plain": exitcode.Usage, "jsonl": exitcode.Usage} {
		t.Run(v, func(t *testing.T) {
			t.Setenv("LOG_FORMAT", v)
			ran := false
			app := &cli.App{Name: "tool", Action: func(*cli.Context) error { ran = true; return nil }}
			var stdout, stderr bytes.Buffer
			code := Run(context.Background(), app, []string{"tool"}, nil, &stdout, &stderr, NewLogger("tool", &stderr, os.Getenv))
			if code != want || ran != (want == exitcode.OK) {
				t.Errorf("status %d (ran %v), want %d: %s", code, ran, want, stderr.String())
			}
			if want != exitcode.OK && (!strings.Contains(stderr.String(), `tool: LOG_FORMAT must be text or json, got "`+strings.TrimSpace(v)+`"`) || !strings.Contains(stderr.String(), "tool: hint: ")) {
				t.Errorf("stderr %q", stderr.String())
			}
		})
	}
}

// TestSettingsOK: a successful --check-settings says so in one line on a
// terminal, and nothing in a pipe or with JSON logs.
func TestSettingsOK(t *testing.T) {
	app := func() *cli.App {
		return &cli.App{Name: "tool", Flags: []cli.Flag{CheckSettingsFlag()}, Action: func(*cli.Context) error { return nil }}
	}
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	defer ptmx.Close()
	shown := make(chan string)
	go func() { b, _ := io.ReadAll(ptmx); shown <- string(b) }()
	var stdout bytes.Buffer
	code := Run(context.Background(), app(), []string{"tool", "--check-settings"}, nil, &stdout, tty, NewLogger("tool", tty, func(string) string { return "" }))
	Run(context.Background(), app(), []string{"tool"}, nil, &stdout, tty, NewLogger("tool", tty, func(string) string { return "" }))
	tty.Close()
	if got := <-shown; code != 0 || strings.Count(got, "settings ok") != 1 || !strings.HasPrefix(got, "tool: settings ok: ") {
		t.Errorf("status %d, the terminal showed %q", code, got)
	}
	var stderr bytes.Buffer
	if code := Run(context.Background(), app(), []string{"tool", "--check-settings"}, nil, &stdout, &stderr, NewLogger("tool", &stderr, func(string) string { return "" })); code != 0 || stderr.Len() != 0 || stdout.Len() != 0 {
		t.Errorf("in a pipe: status %d, stderr %q", code, stderr.String())
	}
}
