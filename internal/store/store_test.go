package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/bixarena/arena-snapshots/internal/exitcode"
	"github.com/bixarena/arena-snapshots/internal/leaderboard"
	"github.com/bixarena/arena-snapshots/internal/leaderboard/leaderboardtest"
	"github.com/bixarena/arena-snapshots/internal/pgtest"
	"github.com/bixarena/arena-snapshots/internal/snapshot"
	"github.com/jackc/pgx/v5"
)

func newDB(t *testing.T) string {
	return pgtest.NewDB(t, "testdata/leaderboards/models.sql")
}

func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }

var t0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func count(t *testing.T, conn *pgx.Conn, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := conn.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

type apiRow struct {
	Identifier, Description string
	Model                   string
	Rank                    int
	Score, Lo, Hi           float64
	Votes                   int64
}

// readPublic reads what the API shows of a leaderboard: its public
// snapshots' entries joined to the models.
func readPublic(t *testing.T, conn *pgx.Conn, slug string) []apiRow {
	t.Helper()
	rows, err := conn.Query(context.Background(), `
		SELECT s.snapshot_identifier, s.description, m.slug, e.rank, e.bt_score::float8,
		       e.bootstrap_q025::float8, e.bootstrap_q975::float8, e.vote_count
		FROM api.leaderboard_snapshot s
		JOIN api.leaderboard l ON l.id = s.leaderboard_id
		JOIN api.leaderboard_entry e ON e.snapshot_id = s.id AND e.leaderboard_id = l.id
		JOIN api.model m ON m.id = e.model_id
		WHERE s.visibility = 'public' AND l.slug = $1
		ORDER BY s.created_at, e.bt_score DESC, e.rank`, slug)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []apiRow
	for rows.Next() {
		var r apiRow
		if err := rows.Scan(&r.Identifier, &r.Description, &r.Model, &r.Rank, &r.Score, &r.Lo, &r.Hi, &r.Votes); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRoundTrip(t *testing.T) {
	dbURL := newDB(t)
	conn := pgtest.Connect(t, dbURL)
	ctx := context.Background()
	recs := append(leaderboardtest.Ranked(t, "valid.ndjson"), leaderboardtest.Ranked(t, "limits.ndjson")...)
	s := New(conn, Options{Now: fixedClock(t0)})
	for _, rec := range recs {
		res, err := s.PublishSnapshot(ctx, rec)
		if err != nil {
			t.Fatalf("%s: %v", rec.Leaderboard, err)
		}
		if res.Existing || res.Identifier != "snapshot_2025-06-01_12-00-00" || res.SnapshotID == "" {
			t.Errorf("%s: result %+v", rec.Leaderboard, res)
		}
		got := readPublic(t, conn, rec.Leaderboard)
		if len(got) != len(rec.Entries) {
			t.Fatalf("%s: the API reads %d entries, want %d", rec.Leaderboard, len(got), len(rec.Entries))
		}
		for i, e := range rec.Entries {
			want := apiRow{Identifier: res.Identifier, Description: snapshot.Description(rec), Model: e.Model, Rank: e.Rank,
				Score: snapshot.Round6(e.Score), Lo: snapshot.Round6(e.CILower), Hi: snapshot.Round6(e.CIUpper), Votes: e.Votes}
			if got[i] != want {
				t.Errorf("%s entry %d: the API reads %+v, want %+v", rec.Leaderboard, i+1, got[i], want)
			}
		}
		if m := res.Models[rec.Entries[0].Model]; m.Name == "" || m.License == "" || m.Link == "" {
			t.Errorf("%s: model details missing: %+v", rec.Leaderboard, res.Models)
		}
	}
	if got := readPublic(t, conn, "pathology"); got[0].Score != 9999.999999 || got[2].Score != -3000 || got[1].Lo != -9999.999999 {
		t.Errorf("limits did not round-trip: %+v", got)
	}
	var desc string
	if err := conn.QueryRow(ctx, `SELECT s.description FROM api.leaderboard_snapshot s JOIN api.leaderboard l ON l.id = s.leaderboard_id WHERE l.slug = 'overall'`).Scan(&desc); err != nil {
		t.Fatal(err)
	}
	if desc != "Leaderboard snapshot with 1234 evaluations and 5 ranked models" {
		t.Errorf("description %q", desc)
	}
}

func TestConnectionLostBeforeEntries(t *testing.T) {
	dbURL := newDB(t)
	conn := pgtest.Connect(t, dbURL)
	killer := pgtest.Connect(t, dbURL)
	rec := leaderboardtest.Ranked(t, "valid.ndjson")[0]
	s := New(conn, Options{AfterSnapshot: func(ctx context.Context, tx pgx.Tx) error {
		pid := tx.Conn().PgConn().PID()
		var ok bool
		if err := killer.QueryRow(ctx, `SELECT pg_terminate_backend($1)`, pid).Scan(&ok); err != nil || !ok {
			t.Errorf("terminate backend %d: %v %v", pid, ok, err)
		}
		return nil
	}})
	_, err := s.PublishSnapshot(context.Background(), rec)
	if err == nil {
		t.Fatal("publishing on a terminated connection succeeded")
	}
	if code := exitcode.Code(err); code != exitcode.Transient {
		t.Errorf("exit status %d, want %d (transient): %v", code, exitcode.Transient, err)
	}
	if n := count(t, killer, `SELECT count(*) FROM api.leaderboard_snapshot`); n != 0 {
		t.Errorf("%d snapshot rows left", n)
	}
	if n := count(t, killer, `SELECT count(*) FROM api.leaderboard_entry`); n != 0 {
		t.Errorf("%d entry rows left", n)
	}
}

func TestUnknownSlugs(t *testing.T) {
	dbURL := newDB(t)
	conn := pgtest.Connect(t, dbURL)
	recs := leaderboardtest.Ranked(t, "unknown-slug.ndjson")
	s := New(conn, Options{Now: fixedClock(t0)})
	_, err := s.PublishSnapshot(context.Background(), recs[1])
	var ue *UnknownError
	if !errors.As(err, &ue) || ue.Kind != "model" || len(ue.Slugs) != 1 || ue.Slugs[0] != "no-such-model" {
		t.Fatalf("error %v, want unknown model no-such-model", err)
	}
	if exitcode.Code(err) != exitcode.BadInput || err.Error() != `unknown model "no-such-model"` {
		t.Errorf("error %q with status %d", err, exitcode.Code(err))
	}
	bad := *recs[0]
	bad.Leaderboard = "astrology"
	if _, err := s.PublishSnapshot(context.Background(), &bad); err == nil || err.Error() != `unknown leaderboard "astrology"` {
		t.Errorf("unknown leaderboard: %v", err)
	}
	if n := count(t, conn, `SELECT count(*) FROM api.leaderboard_snapshot`); n != 0 {
		t.Errorf("%d snapshots written", n)
	}
	if _, err := s.PublishSnapshot(context.Background(), recs[0]); err != nil {
		t.Errorf("a good leaderboard after a bad one: %v", err)
	}
}

func TestIdempotentAndSameSecond(t *testing.T) {
	dbURL := newDB(t)
	conn := pgtest.Connect(t, dbURL)
	ctx := context.Background()
	rec := leaderboardtest.Ranked(t, "valid.ndjson")[0]
	s := New(conn, Options{Now: fixedClock(t0)})
	first, err := s.PublishSnapshot(ctx, rec)
	if err != nil {
		t.Fatal(err)
	}
	again, err := New(conn, Options{Now: fixedClock(t0.Add(time.Hour))}).PublishSnapshot(ctx, rec)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Existing || again.SnapshotID != first.SnapshotID || again.Identifier != first.Identifier || !again.PublishedAt.Equal(first.PublishedAt) {
		t.Errorf("republishing: %+v, want the existing %+v", again, first)
	}
	if n := count(t, conn, `SELECT count(*) FROM api.leaderboard_snapshot`); n != 1 {
		t.Errorf("%d snapshots after publishing the same record twice", n)
	}

	// A changed record in the same second gets the next suffix.
	changed := *rec
	changed.Entries = append([]leaderboard.Entry(nil), rec.Entries...)
	changed.Entries[2].Votes++
	second, err := s.PublishSnapshot(ctx, &changed)
	if err != nil {
		t.Fatal(err)
	}
	if second.Existing || second.Identifier != first.Identifier+"_2" {
		t.Errorf("same-second publication: %+v", second)
	}
	changed.Battles++
	third, err := s.PublishSnapshot(ctx, &changed)
	if err != nil {
		t.Fatal(err)
	}
	if third.Existing || third.Identifier != first.Identifier+"_3" {
		t.Errorf("third same-second publication: %+v", third)
	}
	// Only the newest snapshot counts: the first record is new again.
	back, err := New(conn, Options{Now: fixedClock(t0.Add(time.Second))}).PublishSnapshot(ctx, rec)
	if err != nil || back.Existing || back.Identifier != "snapshot_2025-06-01_12-00-01" {
		t.Errorf("publishing the first record after others: %+v %v", back, err)
	}
}

func TestVisibility(t *testing.T) {
	dbURL := newDB(t)
	conn := pgtest.Connect(t, dbURL)
	ctx := context.Background()
	rec := leaderboardtest.Ranked(t, "valid.ndjson")[0]
	res, err := New(conn, Options{Visibility: Private, Now: fixedClock(t0)}).PublishSnapshot(ctx, rec)
	if err != nil {
		t.Fatal(err)
	}
	if got := readPublic(t, conn, rec.Leaderboard); len(got) != 0 {
		t.Errorf("a private snapshot is public")
	}
	// Check writes nothing and sees the existing snapshot.
	chk, err := New(conn, Options{}).Check(ctx, rec)
	if err != nil || !chk.Existing || chk.SnapshotID != res.SnapshotID {
		t.Errorf("check: %+v %v", chk, err)
	}
	// Publishing it again publicly releases the reviewed snapshot.
	pub, err := New(conn, Options{Now: fixedClock(t0.Add(time.Minute))}).PublishSnapshot(ctx, rec)
	if err != nil || !pub.Existing || pub.SnapshotID != res.SnapshotID {
		t.Fatalf("release: %+v %v", pub, err)
	}
	if got := readPublic(t, conn, rec.Leaderboard); len(got) != len(rec.Entries) {
		t.Errorf("the released snapshot shows %d entries", len(got))
	}
}

func TestConcurrentPublishers(t *testing.T) {
	dbURL := newDB(t)
	recs := leaderboardtest.Ranked(t, "valid.ndjson")
	const workers = 6
	var wg sync.WaitGroup
	results := make([]*Result, workers)
	errs := make([]error, workers)
	for i := 0; i < workers; i++ {
		conn := pgtest.Connect(t, dbURL)
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			// Half publish the same record, half a changed one, all in the same second.
			rec := recs[0]
			if i%2 == 1 {
				c := *rec
				c.Battles += int64(i)
				rec = &c
			}
			results[i], errs[i] = New(conn, Options{Now: fixedClock(t0)}).PublishSnapshot(context.Background(), rec)
		}(i)
	}
	wg.Wait()
	ids := map[string]string{}
	for i, err := range errs {
		if err != nil {
			t.Fatalf("publisher %d: %v", i, err)
		}
		if prev, ok := ids[results[i].Identifier]; ok && prev != results[i].SnapshotID {
			t.Errorf("identifier %s names two snapshots", results[i].Identifier)
		}
		ids[results[i].Identifier] = results[i].SnapshotID
	}
	conn := pgtest.Connect(t, dbURL)
	snaps := count(t, conn, `SELECT count(*) FROM api.leaderboard_snapshot`)
	if snaps < 2 || snaps > workers {
		t.Errorf("%d snapshots", snaps)
	}
	if n := count(t, conn, `SELECT count(*) FROM api.leaderboard_entry`); n != snaps*len(recs[0].Entries) {
		t.Errorf("%d entries for %d snapshots", n, snaps)
	}
	if n := count(t, conn, `SELECT count(*) FROM api.leaderboard_snapshot s WHERE (SELECT count(*) FROM api.leaderboard_entry e WHERE e.snapshot_id = s.id) <> 5`); n != 0 {
		t.Errorf("%d snapshots with a wrong number of entries", n)
	}
}

func TestRestrictedRole(t *testing.T) {
	dbURL := newDB(t)
	role := pgtest.NewRole(t, dbURL)
	pgtest.Exec(t, dbURL, fmt.Sprintf(`
		GRANT USAGE ON SCHEMA api TO %[1]s;
		GRANT SELECT ON api.model, api.leaderboard TO %[1]s;
		GRANT SELECT, INSERT, UPDATE ON api.leaderboard_snapshot, api.leaderboard_entry TO %[1]s;`, role))
	conn := pgtest.Connect(t, pgtest.WithUser(t, dbURL, role, ""))
	ctx := context.Background()
	s := New(conn, Options{Now: fixedClock(t0)})
	for _, rec := range leaderboardtest.Ranked(t, "valid.ndjson") {
		if _, err := s.PublishSnapshot(ctx, rec); err != nil {
			t.Fatalf("%s: %v", rec.Leaderboard, err)
		}
		res, err := s.PublishSnapshot(ctx, rec)
		if err != nil || !res.Existing {
			t.Fatalf("%s again: %+v %v", rec.Leaderboard, res, err)
		}
	}
	// Without UPDATE on the snapshots, publishing is a configuration error.
	pgtest.Exec(t, dbURL, fmt.Sprintf(`REVOKE UPDATE ON api.leaderboard_snapshot FROM %s`, role))
	c := *leaderboardtest.Ranked(t, "valid.ndjson")[0]
	c.Battles++
	_, err := s.PublishSnapshot(ctx, &c)
	if exitcode.Code(err) != exitcode.Config {
		t.Errorf("without UPDATE: %v (status %d), want a configuration error", err, exitcode.Code(err))
	}
}

// TestOneRunOneSnapshot: a record with as_of is dated and named after it;
// publishing the same run again finds its snapshot, a new run makes a new
// one even with identical numbers, and a run is never published twice with
// different numbers.
func TestOneRunOneSnapshot(t *testing.T) {
	dbURL := newDB(t)
	conn := pgtest.Connect(t, dbURL)
	ctx := context.Background()
	day1 := time.Date(2025, 5, 30, 10, 0, 7, 123456000, time.UTC)
	run := func(at time.Time) *leaderboard.Record {
		rec := *leaderboardtest.Ranked(t, "valid.ndjson")[0]
		rec.AsOf, rec.ExportedAt = at.Format(time.RFC3339Nano), at.Add(time.Hour).Format(time.RFC3339Nano)
		return &rec
	}
	s := New(conn, Options{Now: fixedClock(t0)})
	first, err := s.PublishSnapshot(ctx, run(day1))
	if err != nil {
		t.Fatal(err)
	}
	if first.Existing || first.Identifier != "snapshot_2025-05-30_10-00-07" || !first.PublishedAt.Equal(day1) {
		t.Errorf("first run: %+v", first)
	}
	if n := count(t, conn, `SELECT count(*) FROM api.leaderboard_entry WHERE created_at = $1`, day1); n != len(run(day1).Entries) {
		t.Errorf("%d entries dated as_of", n)
	}
	// The same run again, later (a retry, the same file published twice).
	again, err := New(conn, Options{Now: fixedClock(t0.Add(time.Hour))}).PublishSnapshot(ctx, run(day1))
	if err != nil || !again.Existing || again.SnapshotID != first.SnapshotID {
		t.Errorf("the same run again: %+v %v", again, err)
	}
	// The next run with identical numbers: a new snapshot.
	day2 := day1.Add(24 * time.Hour)
	second, err := s.PublishSnapshot(ctx, run(day2))
	if err != nil || second.Existing || second.Identifier != "snapshot_2025-05-31_10-00-07" {
		t.Errorf("the next run: %+v %v", second, err)
	}
	// Another run in the same second as day2: the next suffix.
	third, err := s.PublishSnapshot(ctx, run(day2.Add(time.Microsecond)))
	if err != nil || third.Existing || third.Identifier != "snapshot_2025-05-31_10-00-07_2" {
		t.Errorf("a run in the same second: %+v %v", third, err)
	}
	// And that one again: found, not a third suffix.
	if r, err := s.PublishSnapshot(ctx, run(day2.Add(time.Microsecond))); err != nil || !r.Existing || r.SnapshotID != third.SnapshotID {
		t.Errorf("the same-second run again: %+v %v", r, err)
	}
	// The first run with other numbers: refused, nothing written.
	changed := run(day1)
	changed.Entries[0].Votes++
	_, err = s.PublishSnapshot(ctx, changed)
	var re *RunError
	if !errors.As(err, &re) || exitcode.Code(err) != exitcode.BadInput || re.Identifier != first.Identifier {
		t.Errorf("the same run with other numbers: %v", err)
	}
	if _, err := s.Check(ctx, changed); !errors.As(err, &re) {
		t.Errorf("check of the same run with other numbers: %v", err)
	}
	if n := count(t, conn, `SELECT count(*) FROM api.leaderboard_snapshot`); n != 3 {
		t.Errorf("%d snapshots after three runs", n)
	}
	// Check sees a published run and a new one.
	if c, err := s.Check(ctx, run(day1)); err != nil || !c.Existing || c.SnapshotID != first.SnapshotID {
		t.Errorf("check of a published run: %+v %v", c, err)
	}
	if c, err := s.Check(ctx, run(day2.Add(time.Hour))); err != nil || c.Existing {
		t.Errorf("check of a new run: %+v %v", c, err)
	}
}
