package clix

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestProgressLine: a spinner until the first unit, no rate before the
// first second, totals and percentages when known, bytes in SI units.
func TestProgressLine(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(p *Progress, d time.Duration) string {
		p.now = func() time.Time { return t0.Add(d) }
		return p.line()
	}
	newP := func(unit string, total int64) *Progress {
		p := &Progress{tool: "tool", unit: unit, total: total, start: t0}
		what := "working"
		p.what.Store(&what)
		return p
	}

	p := newP("rows", 0)
	if got := at(p, 300*time.Millisecond); got != "tool: working  ⠋  0s" {
		t.Errorf("before the first row: %q", got)
	}
	p.Set(120_000)
	if got := at(p, 500*time.Millisecond); got != "tool: working  120,000 rows  0s" {
		t.Errorf("before the first second: %q", got)
	}
	if got := at(p, 4*time.Second+700*time.Millisecond); got != "tool: working  120,000 rows  25,531 rows/s  4s" {
		t.Errorf("after: %q", got)
	}

	p = newP("rounds", 21_000)
	p.Add(5250)
	if got := at(p, 2*time.Second); got != "tool: working  5,250/21,000 rounds (25%)  2,625 rounds/s  2s" {
		t.Errorf("with a total: %q", got)
	}

	p = newP("", 40_000_000)
	p.Reader(strings.NewReader(strings.Repeat("x", 12_400_000))).Read(make([]byte, 12_400_000))
	if got := at(p, 2*time.Second); got != "tool: working  12.4 MB/40.0 MB (31%)  6.2 MB/s  2s" {
		t.Errorf("bytes: %q", got)
	}
	p.width = 20
	if got := at(p, 2*time.Second); len([]rune(got)) != 19 {
		t.Errorf("not cut to the terminal's width: %q", got)
	}
}

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

// TestProgressDrawsAndClears: the line is redrawn in place and cleared at
// the end; a nil Progress does nothing.
func TestProgressDrawsAndClears(t *testing.T) {
	var w syncBuffer
	p := NewProgress(&w, "tool", "reading", "", 0)
	p.Add(10)
	time.Sleep(3 * progressInterval)
	p.Finish()
	p.Finish()
	out := w.String()
	if !strings.HasPrefix(out, "\r\x1b[Ktool: reading  10 B  0s") || !strings.HasSuffix(out, "\r\x1b[K") || strings.Contains(out, "\n") {
		t.Errorf("drawn %q", out)
	}
	var none *Progress
	none.Add(1)
	none.Describe("x")
	none.Finish()
	if r := none.Reader(strings.NewReader("a")); r == nil {
		t.Error("nil reader")
	}
}
