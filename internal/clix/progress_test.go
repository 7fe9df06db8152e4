package clix

import (
	"bytes"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bixarena/arena-snapshots/internal/exitcode"
)

// clock is a settable clock for the line's times.
type clock struct{ at atomic.Int64 }

func (c *clock) now() time.Time      { return time.Unix(0, c.at.Load()) }
func (c *clock) set(d time.Duration) { c.at.Store(int64(d)) }

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// drawn starts a progress line drawn on a buffer as on a terminal 100
// columns wide, on a clock at 0.
func drawn(t *testing.T, what, unit string, total int64) (*Progress, *syncBuffer, *clock) {
	t.Helper()
	var w syncBuffer
	c := new(clock)
	p := newProgress(NewLogger("tool", &w, noenv), what, unit, total, c.now, true)
	t.Cleanup(p.stop)
	return p, &w, c
}

// waitFor waits until the buffer shows s, for two seconds at most.
func waitFor(t *testing.T, w *syncBuffer, s string) {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if strings.Contains(w.String(), s) {
			return
		}
	}
	t.Fatalf("never drew %q; drew %q", s, w.String())
}

// TestProgressLine: a spinner until the first unit, no rate before the
// first second, totals and percentages when known, bytes in SI units.
func TestProgressLine(t *testing.T) {
	p, w, c := drawn(t, "working", "rows", 0)
	c.set(300 * time.Millisecond)
	waitFor(t, w, "tool: working  ⠋  0s\n")
	waitFor(t, w, "tool: working  ⠙  0s\n")
	p.Set(120_000)
	c.set(500 * time.Millisecond)
	waitFor(t, w, "tool: working  120,000 rows  0s\n")
	c.set(4*time.Second + 700*time.Millisecond)
	waitFor(t, w, "tool: working  120,000 rows  25,531 rows/s  4s\n")
	p.Describe("writing")
	waitFor(t, w, "tool: writing  120,000 rows")

	p, w, c = drawn(t, "working", "rounds", 21_000)
	p.Add(5250)
	c.set(2 * time.Second)
	waitFor(t, w, "tool: working  5,250/21,000 rounds (25%)  2,625 rounds/s  2s\n")

	p, w, c = drawn(t, "working", "", 40_000_000)
	p.Reader(strings.NewReader(strings.Repeat("x", 12_400_000))).Read(make([]byte, 12_400_000))
	c.set(2 * time.Second)
	waitFor(t, w, "tool: working  12.4 MB/40.0 MB (31%)  6.2 MB/s  2s\n")

	p, w, _ = drawn(t, "working", "", 0)
	p.Add(999)
	waitFor(t, w, "tool: working  999 B  0s\n")
}

// TestProgressDrawsAndClears: the line is drawn again in place (the
// cursor goes back up over it), messages go above it, and it is cleared
// at the end; a nil Progress does nothing.
func TestProgressDrawsAndClears(t *testing.T) {
	p, w, _ := drawn(t, "reading", "", 0)
	p.Add(10)
	waitFor(t, w, "tool: reading  10 B  0s\n")
	p.log.Warnf("a message")
	waitFor(t, w, "tool: a message\n")
	p.Finish()
	p.Finish()
	out := w.String()
	if !strings.HasSuffix(out, "\x1b[1A\x1b[J") {
		t.Errorf("the line is not cleared at the end: %q", out)
	}
	if i := strings.Index(out, "tool: a message\n"); i < 0 || !strings.Contains(out[i:], "tool: reading") {
		t.Errorf("the message is not above the line: %q", out)
	}
	frames := strings.Count(out, "tool: reading")
	if frames < 2 || strings.Count(out, "\x1b[1A\x1b[J") < frames {
		t.Errorf("%d frames, not each drawn over the one before: %q", frames, out)
	}
	// Once cleared, messages go straight to the writer.
	p.log.Warnf("after")
	if !strings.HasSuffix(w.String(), "\x1b[1A\x1b[Jtool: after\n") {
		t.Errorf("a message after the end: %q", w.String())
	}

	var none *Progress
	none.Add(1)
	none.Describe("x")
	none.Finish()
	if r := none.Reader(strings.NewReader("a")); r == nil {
		t.Error("nil reader")
	}
}

// A panic while drawing stops the line and comes back, with its stack,
// from Finish, in the tool's goroutine: an internal failure, never Go's
// status 2.
func TestProgressPanicReachesFinish(t *testing.T) {
	var w syncBuffer
	var calls atomic.Int32
	now := func() time.Time {
		if calls.Add(1) > 1 { // the first call is the start
			panic("a broken clock")
		}
		return time.Time{}
	}
	p := newProgress(NewLogger("tool", &w, noenv), "reading", "", 0, now, true)
	select {
	case <-p.panics.Panicked():
	case <-time.After(2 * time.Second):
		t.Fatal("the line was never drawn")
	}
	defer func() {
		v, ok := recover().(*exitcode.Panicked)
		if !ok || v.Value != "a broken clock" || !strings.Contains(string(v.Stack), "clix.(*Progress).decorator") {
			t.Fatalf("Finish raised %#v", v)
		}
	}()
	p.Finish()
	t.Fatal("Finish returned")
}

func TestThousands(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 16788: "16,788", -1234567: "-1,234,567"} {
		if got := Thousands(n); got != want {
			t.Errorf("Thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

// When Run reports an error while the action still draws (a signal's
// grace ran out), the line is cleared first and the message written
// straight away, not queued above a line the exit would cut short.
func TestErrorClearsProgressFirst(t *testing.T) {
	p, w, _ := drawn(t, "reading", "", 0)
	waitFor(t, w, "tool: reading")
	p.log.endProgress()
	p.log.Error(errors.New("stopped by SIGINT"))
	if !strings.HasSuffix(w.String(), "\x1b[1A\x1b[Jtool: stopped by SIGINT\n") {
		t.Errorf("drew %q", w.String())
	}
	p.Add(1) // the action, still running, goes on counting
	p.Finish()
}
