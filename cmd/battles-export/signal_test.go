package main

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bixarena/arena-snapshots/internal/pgtest"
	"github.com/bixarena/arena-snapshots/internal/scripttest"
)

// SIGTERM while the battle query runs (here: waits behind a lock, as a
// slow query does) stops battles-export within a second: exit 143, the
// query cancelled on the server, and no trailer, so that no reader takes
// the stream for a whole one.
func TestSignalMidQuery(t *testing.T) {
	url := pgtest.NewDB(t, filepath.Join("cmd", "battles-export", "testdata", "battles.sql"))
	pgtest.Lock(t, url, "api.battle_evaluation")
	p := scripttest.Start(t, tool, nil, nil, "--database-url", url, "--aggregate")
	pgtest.WaitForLockWaiter(t, url)
	out := p.StopWith(t, syscall.SIGTERM)
	if strings.Contains(out, `"type":"trailer"`) {
		t.Errorf("a stopped export wrote its trailer:\n%s", out)
	}
	// The server cancelled the query: nothing of the export's waits.
	time.Sleep(200 * time.Millisecond)
	if n := pgtest.LockWaiters(t, url); n != 0 {
		t.Errorf("%d queries still wait for the lock", n)
	}
}
