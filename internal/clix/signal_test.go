package clix

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/urfave/cli/v2"
)

// TestRunStopped: a stop by SIGINT or SIGTERM ends Run with 130 or 143
// and one message, whether the action returns at once or never; an action
// that still succeeds keeps its 0.
func TestRunStopped(t *testing.T) {
	// The action that does not return is let go at the end, so that the
	// race detector sees it end before the next test parses its flags.
	release, released := make(chan struct{}), make(chan struct{})
	defer func() { close(release); <-released }()
	for _, tc := range []struct {
		name   string
		sig    syscall.Signal
		action func(c *cli.Context) error
		want   int
	}{
		{"returns", syscall.SIGINT, func(c *cli.Context) error { <-c.Done(); return errors.New("interrupted") }, 130},
		{"succeeds", syscall.SIGTERM, func(c *cli.Context) error { <-c.Done(); return nil }, 0},
		{"never returns", syscall.SIGTERM, func(c *cli.Context) error { <-release; return nil }, 143},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancelCause(context.Background())
			time.AfterFunc(50*time.Millisecond, func() { cancel(&Stopped{Signal: tc.sig}) })
			var stderr bytes.Buffer
			action := tc.action
			if tc.name == "never returns" {
				action = func(c *cli.Context) error { defer close(released); return tc.action(c) }
			}
			app := &cli.App{Name: "tool", Action: action}
			start := time.Now()
			code := Run(ctx, app, []string{"tool"}, nil, &bytes.Buffer{}, &stderr, NewLogger("tool", &stderr, func(string) string { return "" }))
			if took := time.Since(start); took > time.Second {
				t.Errorf("Run took %v after the signal", took)
			}
			if code != tc.want {
				t.Errorf("status %d, want %d", code, tc.want)
			}
			want := ""
			if tc.want != 0 {
				want = "tool: " + (&Stopped{Signal: tc.sig}).Error() + "\n"
			}
			if stderr.String() != want {
				t.Errorf("stderr %q, want %q", stderr.String(), want)
			}
		})
	}
}

func TestStoppedNames(t *testing.T) {
	for sig, want := range map[syscall.Signal]string{syscall.SIGINT: "stopped by SIGINT", syscall.SIGTERM: "stopped by SIGTERM"} {
		s := &Stopped{Signal: sig}
		if s.Error() != want || s.Status() != 128+int(sig) {
			t.Errorf("%v: %q, %d", sig, s.Error(), s.Status())
		}
	}
	if !strings.HasPrefix((&Stopped{Signal: syscall.SIGHUP}).Error(), "stopped by signal") {
		t.Error("other signals")
	}
}
