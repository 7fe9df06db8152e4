package store

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/bixarena/arena-snapshots/internal/exitcode"
	"github.com/bixarena/arena-snapshots/internal/guard"
	"github.com/bixarena/arena-snapshots/internal/leaderboard"
	"github.com/bixarena/arena-snapshots/internal/leaderboard/leaderboardtest"
	"github.com/bixarena/arena-snapshots/internal/pgtest"
)

// TestPublisherGrants: the grants of docs/grants.sql, and nothing more,
// are enough to publish, publish again, change a snapshot's visibility
// and compare with the current public snapshot; they do not let the role
// change an entry; less is a configuration error.
func TestPublisherGrants(t *testing.T) {
	dbURL := newDB(t)
	role := pgtest.NewRole(t, dbURL)
	pgtest.Exec(t, dbURL, pgtest.Grants(t, "arena_publisher", role))
	conn := pgtest.Connect(t, pgtest.WithUser(t, dbURL, role, ""))
	ctx := context.Background()
	recs := leaderboardtest.Ranked(t, "valid.ndjson")
	for _, write := range []bool{false, true} {
		if err := New(conn, Options{}).CheckAccess(ctx, write); err != nil {
			t.Fatalf("the access check (write %v) refuses the grants: %v", write, err)
		}
	}
	private := New(conn, Options{Now: fixedClock(t0), Visibility: Private})
	public := New(conn, Options{Now: fixedClock(t0), Visibility: Public})
	for _, rec := range recs {
		if _, err := private.PublishSnapshot(ctx, rec); err != nil {
			t.Fatalf("%s as private: %v", rec.Leaderboard, err)
		}
		res, err := public.PublishSnapshot(ctx, rec)
		if err != nil || !res.Existing {
			t.Fatalf("%s made public: %+v %v", rec.Leaderboard, res, err)
		}
		if _, err := public.Check(ctx, rec); err != nil {
			t.Fatalf("%s checked: %v", rec.Leaderboard, err)
		}
	}
	// A later run is compared with the current public snapshot.
	var compared bool
	later := New(conn, Options{Now: fixedClock(t0.Add(24 * 3600e9)), Visibility: Public,
		Guard: func(rec *leaderboard.Record, prev *guard.Snapshot) []guard.Violation {
			compared = prev != nil && len(prev.Entries) == len(rec.Entries)
			return nil
		}})
	c := *recs[0]
	c.Battles++
	if _, err := later.PublishSnapshot(ctx, &c); err != nil || !compared {
		t.Fatalf("a later run: %v (compared with the current snapshot: %v)", err, compared)
	}
	// The role cannot rewrite what was published.
	for _, sql := range []string{
		`UPDATE api.leaderboard_entry SET bt_score = 1`,
		`UPDATE api.leaderboard_snapshot SET description = 'x'`,
		`UPDATE api.leaderboard_snapshot SET created_at = now()`,
		`DELETE FROM api.leaderboard_entry`,
		`DELETE FROM api.leaderboard_snapshot`,
		`UPDATE api.model SET name = 'x'`,
	} {
		if _, err := conn.Exec(ctx, sql); err == nil {
			t.Errorf("the publisher may %s", sql)
		}
	}
	// Less than the grants is a configuration error.
	for _, tc := range []struct{ revoke, named string }{
		{"REVOKE UPDATE (visibility) ON api.leaderboard_snapshot FROM %s", "UPDATE (visibility) on api.leaderboard_snapshot"},
		{"REVOKE INSERT (bootstrap_q975) ON api.leaderboard_entry FROM %s", "INSERT (bootstrap_q975) on api.leaderboard_entry"},
		{"REVOKE SELECT (external_link) ON api.model FROM %s", "SELECT (external_link) on api.model"},
	} {
		revoke := tc.revoke
		t.Run(fmt.Sprintf(revoke, "role"), func(t *testing.T) {
			pgtest.Exec(t, dbURL, fmt.Sprintf(revoke, role))
			defer pgtest.Exec(t, dbURL, pgtest.Grants(t, "arena_publisher", role))
			// The access check names what is missing, up front.
			err := New(conn, Options{}).CheckAccess(ctx, true)
			if exitcode.Code(err) != exitcode.Config || !strings.Contains(fmt.Sprint(err), tc.named) {
				t.Errorf("access check: %v (status %d), want a configuration error naming %s", err, exitcode.Code(err), tc.named)
			}
			dryRun := New(conn, Options{}).CheckAccess(ctx, false)
			if read := strings.HasPrefix(tc.named, "SELECT"); (dryRun != nil) != read {
				t.Errorf("access check of a dry run: %v", dryRun)
			}
			c := *recs[0]
			c.Battles += 2
			_, err = New(conn, Options{Now: fixedClock(t0.Add(48 * 3600e9)), Visibility: Public}).PublishSnapshot(ctx, &c)
			if exitcode.Code(err) != exitcode.Config {
				t.Errorf("error %v (status %d), want a configuration error", err, exitcode.Code(err))
			}
		})
	}
}
