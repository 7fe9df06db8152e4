package pgtest

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Lock takes an ACCESS EXCLUSIVE lock on table (say api.battle_evaluation)
// in a transaction of its own, so that any query of it waits, as a slow
// query or a busy table does. release rolls the transaction back; it may
// be called more than once, and is called when t ends.
func Lock(t testing.TB, dbURL, table string) (release func()) {
	t.Helper()
	ctx := context.Background()
	conn := Connect(t, dbURL)
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "LOCK TABLE "+table+" IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	release = func() { tx.Rollback(ctx) }
	t.Cleanup(release)
	return release
}

// LockWaiters returns how many sessions of the database of dbURL wait for
// a lock.
func LockWaiters(t testing.TB, dbURL string) int {
	t.Helper()
	return lockWaiters(t, Connect(t, dbURL))
}

func lockWaiters(t testing.TB, conn *pgx.Conn) int {
	t.Helper()
	var n int
	err := conn.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
		WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// WaitForLockWaiter waits until a session of the database of dbURL waits
// for a lock (a query held by Lock), and fails t after 30 s.
func WaitForLockWaiter(t testing.TB, dbURL string) {
	t.Helper()
	conn := Connect(t, dbURL)
	for deadline := time.Now().Add(30 * time.Second); lockWaiters(t, conn) == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no query waited for the lock within 30 s")
		}
	}
}
