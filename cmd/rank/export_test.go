package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/bixarena/arena-snapshots/internal/export"
	"github.com/bixarena/arena-snapshots/internal/pgtest"
)

// exportDemo writes the demo database's battles as battles-export does.
func exportDemo(t *testing.T, url string, o export.Options) []byte {
	t.Helper()
	conn := pgtest.Connect(t, url)
	var buf bytes.Buffer
	if _, err := export.Run(context.Background(), conn, &buf, o); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func rankBytes(t *testing.T, in []byte, args ...string) (string, string, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), append([]string{tool}, args...), bytes.NewReader(in), &stdout, &stderr)
	return stdout.String(), stderr.String(), code
}

// battles-export | rank gives byte-identical leaderboards whether the
// database aggregates the battles or not, for all leaderboards and for
// one; and rank refuses the export cut short at any line.
func TestRankOfExportRawEqualsAggregated(t *testing.T) {
	url := pgtest.NewDB(t, "testdata/demo.sql")
	// The same export time: it travels into every record (as_of).
	at := func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 678901000, time.UTC) }
	raw := exportDemo(t, url, export.Options{Now: at})
	agg := exportDemo(t, url, export.Options{Aggregate: true, Now: at})
	for _, args := range [][]string{
		{"--bootstrap", "100"},
		{"--bootstrap", "100", "--leaderboard", "genomics", "--significant"},
	} {
		a, errA, codeA := rankBytes(t, raw, args...)
		b, errB, codeB := rankBytes(t, agg, args...)
		if codeA != 0 || codeB != 0 {
			t.Fatalf("%v: exit %d and %d: %s %s", args, codeA, codeB, errA, errB)
		}
		if a != b {
			t.Errorf("%v: rank of the raw and of the aggregated export differ", args)
		}
		if !strings.Contains(a, `"status":"ranked"`) || !strings.Contains(a, `"as_of":"2026-01-02T03:04:05.678901Z"`) {
			t.Errorf("%v: nothing ranked:\n%.500s", args, a)
		}
	}
	lines := bytes.SplitAfter(agg, []byte("\n"))
	for _, cut := range []int{1, len(lines) / 2, len(lines) - 2} {
		out, stderr, code := rankBytes(t, bytes.Join(lines[:cut], nil), "--bootstrap", "10")
		if code != 3 || out != "" || !strings.Contains(stderr, "stream cut short") {
			t.Errorf("cut after %d lines: exit %d, stdout %q, stderr %q", cut, code, out, stderr)
		}
	}
}
