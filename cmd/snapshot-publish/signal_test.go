package main

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/bixarena/arena-snapshots/internal/pgtest"
	"github.com/bixarena/arena-snapshots/internal/scripttest"
)

// SIGINT while a leaderboard is being published (here: its insert waits
// behind a lock) stops snapshot-publish within a second: exit 130, the
// transaction rolled back, nothing in the database or the folder.
func TestSignalMidPublish(t *testing.T) {
	url := pgtest.NewDB(t, "testdata/leaderboards/models.sql")
	release := pgtest.Lock(t, url, "api.leaderboard_snapshot")
	in, err := os.Open(pgtest.RepoFile(t, "testdata/leaderboards/valid.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	dir := filepath.Join(t.TempDir(), "out")
	p := scripttest.Start(t, tool, in, nil, "--db", "--database-url", url, "--dir", dir)
	pgtest.WaitForLockWaiter(t, url)
	if out := p.StopWith(t, syscall.SIGINT); out != "" {
		t.Errorf("summary lines of a stopped publish: %s", out)
	}
	release()
	var n int
	if err := pgtest.Connect(t, url).QueryRow(context.Background(), "SELECT count(*) FROM api.leaderboard_snapshot").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d snapshots in the database after the stop", n)
	}
	if files, _ := filepath.Glob(filepath.Join(dir, "*", "*")); len(files) != 0 {
		t.Errorf("files in the folder: %v", files)
	}
}
