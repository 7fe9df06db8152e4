// Package leaderboardtest gives tests the leaderboard records of the
// fixtures in testdata/leaderboards.
package leaderboardtest

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/bixarena/arena-snapshots/internal/leaderboard"
)

// Ranked returns the ranked records of testdata/leaderboards/file, in
// file order; it fails the test when the file cannot be read or decoded.
func Ranked(t testing.TB, file string) []*leaderboard.Record {
	t.Helper()
	_, src, _, _ := runtime.Caller(0)
	f, err := os.Open(filepath.Join(filepath.Dir(src), "..", "..", "..", "testdata", "leaderboards", file))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d := leaderboard.NewDecoder(f, file)
	var out []*leaderboard.Record
	for {
		r, err := d.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if r.Status == leaderboard.Ranked {
			out = append(out, r)
		}
	}
}
