package main

import (
	"context"
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
// query cancelled, and no trailer, so that no reader takes the stream for
// a whole one.
func TestSignalMidQuery(t *testing.T) {
	url := pgtest.NewDB(t, filepath.Join("cmd", "battles-export", "testdata", "battles.sql"))
	ctx := context.Background()
	locker := pgtest.Connect(t, url)
	tx, err := locker.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "LOCK TABLE api.battle_evaluation IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	p := scripttest.Start(t, tool, nil, nil, "--database-url", url, "--aggregate")
	// Wait until the export's query waits for the lock.
	watch := pgtest.Connect(t, url)
	deadline := time.Now().Add(30 * time.Second)
	for {
		var waiting int
		if err := watch.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the export's query never waited for the lock")
		}
		time.Sleep(20 * time.Millisecond)
	}
	out := p.StopWith(t, syscall.SIGTERM)
	if strings.Contains(out, `"type":"trailer"`) {
		t.Errorf("a stopped export wrote its trailer:\n%s", out)
	}
	// The server cancelled the query: nothing of the export's waits.
	time.Sleep(200 * time.Millisecond)
	var left int
	if err := watch.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
		WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&left); err != nil {
		t.Fatal(err)
	}
	if left != 0 {
		t.Errorf("%d queries still wait for the lock", left)
	}
}
