package store

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/bixarena/arena-snapshots/internal/guard"
	"github.com/bixarena/arena-snapshots/internal/leaderboard"
	"github.com/bixarena/arena-snapshots/internal/leaderboard/leaderboardtest"
	"github.com/bixarena/arena-snapshots/internal/pgtest"
	"github.com/bixarena/arena-snapshots/internal/snapshot"
)

// Previous is the API's current snapshot seen from a moment: the newest
// public one created before it; private and later snapshots do not count.
func TestPrevious(t *testing.T) {
	dbURL := newDB(t)
	conn := pgtest.Connect(t, dbURL)
	ctx := context.Background()
	rec := leaderboardtest.Ranked(t, "valid.ndjson")[0]
	day := func(n int) time.Time { return t0.Add(time.Duration(n) * 24 * time.Hour) }
	publishAt := func(n int, visibility string, battles int64) {
		r := *rec
		r.Battles = battles
		r.Entries = slices.Clone(rec.Entries)
		r.Entries[0].Votes += int64(n) // a different record each day
		if _, err := New(conn, Options{Now: fixedClock(day(n)), Visibility: visibility}).PublishSnapshot(ctx, &r); err != nil {
			t.Fatal(err)
		}
	}
	publishAt(1, Public, 1000)
	publishAt(2, Private, 2000)
	publishAt(3, Public, 3000)
	var lb string
	if err := conn.QueryRow(ctx, `SELECT id::text FROM api.leaderboard WHERE slug = 'overall'`).Scan(&lb); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		at      time.Time
		battles int64 // 0: none
	}{
		{day(1), 0}, // strictly before
		{day(1).Add(time.Second), 1000},
		{day(3), 1000}, // the private day 2 does not count
		{day(3).Add(time.Second), 3000},
		{day(30), 3000},
	} {
		prev, err := Previous(ctx, conn, lb, c.at)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case c.battles == 0 && prev != nil:
			t.Errorf("at %s: %+v, want none", c.at, prev)
		case c.battles != 0 && (prev == nil || prev.Battles != c.battles):
			t.Errorf("at %s: %+v, want the snapshot of %d battles", c.at, prev, c.battles)
		}
	}
	prev, _ := Previous(ctx, conn, lb, day(30))
	if prev.SnapshotID == "" || prev.Identifier != "snapshot_2025-06-04_12-00-00" || !prev.PublishedAt.Equal(day(3)) || len(prev.Entries) != len(rec.Entries) {
		t.Fatalf("previous %+v", prev)
	}
	for i, e := range prev.Entries {
		want := rec.Entries[i]
		if i == 0 {
			want.Votes += 3
		}
		want.Flags = nil
		if e.Model != want.Model || e.Rank != want.Rank || e.Votes != want.Votes ||
			e.Score != snapshot.Round6(want.Score) || e.CILower != snapshot.Round6(want.CILower) || e.CIUpper != snapshot.Round6(want.CIUpper) {
			t.Errorf("entry %d: %+v, want %+v", i+1, e, want)
		}
	}
	// A description that does not give the battles leaves them unknown.
	if _, err := conn.Exec(ctx, `UPDATE api.leaderboard_snapshot SET description = 'by hand' WHERE snapshot_identifier = 'snapshot_2025-06-04_12-00-00'`); err != nil {
		t.Fatal(err)
	}
	if prev, _ := Previous(ctx, conn, lb, day(30)); prev.Battles != -1 {
		t.Errorf("battles %d, want -1", prev.Battles)
	}
}

// A held record writes nothing; the guard sees the current public
// snapshot; a record already published is not guarded again.
func TestGuardHoldsInTransaction(t *testing.T) {
	dbURL := newDB(t)
	conn := pgtest.Connect(t, dbURL)
	ctx := context.Background()
	rec := leaderboardtest.Ranked(t, "valid.ndjson")[0]
	var seen []*guard.Snapshot
	hold := func(r *leaderboard.Record, prev *guard.Snapshot) []guard.Violation {
		seen = append(seen, prev)
		return guard.Check(prev, r, guard.DefaultOptions())
	}
	s := New(conn, Options{Now: fixedClock(t0), Guard: hold})
	first, err := s.PublishSnapshot(ctx, rec)
	if err != nil || len(first.Held) != 0 || first.Previous != nil || len(seen) != 1 || seen[0] != nil {
		t.Fatalf("first publish: %+v, %v (guard saw %v)", first, err, seen)
	}
	// The same record again is existing: not guarded.
	if res, err := s.PublishSnapshot(ctx, rec); err != nil || !res.Existing || len(seen) != 1 {
		t.Errorf("republish: %+v, %v (guard called %d times)", res, err, len(seen))
	}
	// 30% fewer battles a day later: held, nothing written.
	fewer := *rec
	fewer.Battles = rec.Battles * 7 / 10
	s = New(conn, Options{Now: fixedClock(t0.Add(24 * time.Hour)), Guard: hold})
	res, err := s.PublishSnapshot(ctx, &fewer)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Held) != 1 || res.Held[0].Rule != guard.RuleFewerBattles || res.SnapshotID != "" ||
		res.Previous == nil || res.Previous.SnapshotID != first.SnapshotID {
		t.Errorf("held: %+v", res)
	}
	if n := count(t, conn, `SELECT count(*) FROM api.leaderboard_snapshot`); n != 1 {
		t.Errorf("%d snapshots after a hold, want 1", n)
	}
	// The dry run's Check says the same.
	res, err = s.Check(ctx, &fewer)
	if err != nil || len(res.Held) != 1 || res.Previous == nil {
		t.Errorf("check: %+v, %v", res, err)
	}
}
