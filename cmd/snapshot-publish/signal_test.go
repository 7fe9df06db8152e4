package main

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/bixarena/arena-snapshots/internal/pgtest"
	"github.com/bixarena/arena-snapshots/internal/scripttest"
)

// SIGINT while a leaderboard is being published (here: its insert waits
// behind a lock) stops snapshot-publish within a second: exit 130, the
// transaction rolled back, nothing in the database or the folder.
func TestSignalMidPublish(t *testing.T) {
	url := pgtest.NewDB(t, "testdata/leaderboards/models.sql")
	ctx := context.Background()
	locker := pgtest.Connect(t, url)
	tx, err := locker.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "LOCK TABLE api.leaderboard_snapshot IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	in, err := os.Open(pgtest.RepoFile(t, "testdata/leaderboards/valid.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	dir := filepath.Join(t.TempDir(), "out")
	p := scripttest.Start(t, tool, in, nil, "--db", "--database-url", url, "--dir", dir)
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
			t.Fatal("the publish never waited for the lock")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if out := p.StopWith(t, syscall.SIGINT); out != "" {
		t.Errorf("summary lines of a stopped publish: %s", out)
	}
	tx.Rollback(ctx)
	var n int
	if err := watch.QueryRow(ctx, "SELECT count(*) FROM api.leaderboard_snapshot").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d snapshots in the database after the stop", n)
	}
	if files, _ := filepath.Glob(filepath.Join(dir, "*", "*")); len(files) != 0 {
		t.Errorf("files in the folder: %v", files)
	}
}
