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
	for _, tc := range []struct {
		name   string
		sig    syscall.Signal
		action func(c *cli.Context) error
		want   int
	}{
		{"returns", syscall.SIGINT, func(c *cli.Context) error { <-c.Done(); return errors.New("interrupted") }, 130},
		{"never returns", syscall.SIGTERM, func(c *cli.Context) error { select {} }, 143},
		{"succeeds", syscall.SIGTERM, func(c *cli.Context) error { <-c.Done(); return nil }, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancelCause(context.Background())
			time.AfterFunc(50*time.Millisecond, func() { cancel(&Stopped{Signal: tc.sig}) })
			var stderr bytes.Buffer
			app := &cli.App{Name: "tool", Action: tc.action}
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
