package cache

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bixarena/arena-snapshots/internal/redistest"
)

func TestEvict(t *testing.T) {
	srv := redistest.Start(t)
	var pairs []string
	for i := 0; i < 1200; i++ { // more than one SCAN step
		pairs = append(pairs, fmt.Sprintf("bixarena:api:leaderboardEntries::overall-%d=page", i))
	}
	pairs = append(pairs,
		"bixarena:api:leaderboardList::SimpleKey []=list",
		"bixarena:api:leaderboardList::x*y=glob in a key",
		"bixarena:api:leaderboardListing::other=a cache that is not ours",
		"bixarena:api:leaderboardEntries:one-colon=not under the prefix",
		"bixarena:api:model::gpt-4o=another cache",
		"session:abc=unrelated")
	srv.Set(t, pairs...)
	res, err := Evict(context.Background(), srv.URL, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Deleted != 1202 {
		t.Errorf("deleted %d keys, want 1202", res.Deleted)
	}
	got := srv.Keys(t)
	slices.Sort(got)
	want := []string{"bixarena:api:leaderboardEntries:one-colon", "bixarena:api:leaderboardListing::other",
		"bixarena:api:model::gpt-4o", "session:abc"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("keys left: %v, want %v", got, want)
	}
	// Nothing to evict is fine.
	if res, err := Evict(context.Background(), srv.URL, Options{}); err != nil || res.Deleted != 0 {
		t.Errorf("second eviction: %+v %v", res, err)
	}
}

func TestEvictUnreachable(t *testing.T) {
	srv := redistest.Start(t)
	srv.Stop()
	start := time.Now()
	_, err := Evict(context.Background(), "redis://:s3cret@"+srv.Addr+"/0", Options{Timeout: time.Second})
	if err == nil || strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), srv.Addr) {
		t.Errorf("error %v: want one naming the server without its password", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
}

func TestParseURL(t *testing.T) {
	for _, bad := range []string{"http://x", "redis://:pw@host:notaport", "nonsense"} {
		_, err := ParseURL(bad)
		if err == nil || strings.Contains(err.Error(), "pw@") {
			t.Errorf("%q: %v", bad, err)
		}
	}
	if d := Describe("redis://user:pw@127.0.0.1:6380/2?dial_timeout=1s"); d != "redis://127.0.0.1:6380/2" {
		t.Errorf("Describe: %q", d)
	}
}
