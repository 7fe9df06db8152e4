package publish

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bixarena/arena-snapshots/internal/faulttest"
	"github.com/bixarena/arena-snapshots/internal/redistest"
)

// TestCacheEvicted: after the database commits, the API's cached
// leaderboard pages are deleted from Redis and nothing else is; with
// Redis stopped, or silent, the data is published all the same and the
// summary lines and stderr carry a warning, exit 0.
func TestCacheEvicted(t *testing.T) {
	w := newWorld(t)
	redis := redistest.Start(t)
	redis.Set(t, "bixarena:api:leaderboardList::SimpleKey []=list",
		"bixarena:api:leaderboardEntries::overall_0_25=page", "bixarena:api:leaderboardEntries::genomics_1_25=page",
		"bixarena:api:models::all=kept", "unrelated=kept")
	day := time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)
	r := runTool(t, Options{DB: true, DatabaseURL: w.dbURL, RedisURL: redis.URL, Now: clockAt(t0)}, atRun(t, "valid.ndjson", day))
	if r.code != 0 || len(r.lines[0].Warnings) != 0 {
		t.Fatalf("exit %d %+v\n%s", r.code, r.lines, r.stderr)
	}
	keys := redis.Keys(t)
	slices.Sort(keys)
	if fmt.Sprint(keys) != "[bixarena:api:models::all unrelated]" {
		t.Errorf("keys left: %v", keys)
	}

	// Redis gone: published, with a warning.
	redis.Stop()
	start := time.Now()
	r = runTool(t, Options{DB: true, DatabaseURL: w.dbURL, RedisURL: redis.URL, RedisTimeout: time.Second, Now: clockAt(t0)},
		atRun(t, "valid.ndjson", day.Add(24*time.Hour)))
	if r.code != 0 || r.lines[0].Status != StatusPublished || r.lines[0].Existing {
		t.Fatalf("with Redis stopped: exit %d %+v\n%s", r.code, r.lines, r.stderr)
	}
	for _, l := range r.lines[:2] {
		if len(l.Warnings) != 1 || !strings.Contains(l.Warnings[0], "not evicted") || !strings.Contains(l.Warnings[0], redis.Addr) {
			t.Errorf("%s: warnings %q", l.Leaderboard, l.Warnings)
		}
	}
	if r.lines[2].Warnings != nil {
		t.Errorf("a skipped leaderboard carries the warning: %+v", r.lines[2])
	}
	if !strings.Contains(r.stderr, "cached leaderboard pages were not evicted") || strings.Contains(r.stderr, "pool.go") {
		t.Errorf("stderr: %s", r.stderr)
	}
	if n := countRows(t, w.dbURL, "api.leaderboard_snapshot"); n != 4 {
		t.Errorf("%d snapshots after two runs of two leaderboards", n)
	}
	t.Logf("with Redis stopped: %v", time.Since(start).Round(time.Millisecond))

	// A Redis that accepts connections and never answers: the timeout.
	silent := faulttest.Silent(t)
	start = time.Now()
	r = runTool(t, Options{DB: true, DatabaseURL: w.dbURL, RedisURL: "redis://" + silent + "/0", RedisTimeout: time.Second,
		Now: clockAt(t0)}, atRun(t, "valid.ndjson", day.Add(48*time.Hour)))
	if d := time.Since(start); r.code != 0 || len(r.lines[0].Warnings) != 1 || d > 10*time.Second {
		t.Errorf("with a silent Redis: exit %d after %v, %+v\n%s", r.code, d, r.lines, r.stderr)
	}
}
