package store

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/bixarena/arena-snapshots/internal/guard"
	"github.com/bixarena/arena-snapshots/internal/leaderboard"
	"github.com/jackc/pgx/v5"
)

// Guard is called in a leaderboard's transaction, after its lock and
// before anything is inserted, with the record and the leaderboard's
// current public snapshot as of the record (see Previous; nil when there
// is none). The violations it returns hold the record back.
type Guard func(rec *leaderboard.Record, prev *guard.Snapshot) []guard.Violation

// guardRecord runs the guard, when one is set, on a record about to be
// inserted: it reads the previous public snapshot into res.Previous and
// the violations into res.Held, and reports whether the record is held.
func (s *Store) guardRecord(ctx context.Context, tx pgx.Tx, lb string, rec *leaderboard.Record, res *Result) (bool, error) {
	if s.opts.Guard == nil {
		return false, nil
	}
	prev, err := Previous(ctx, tx, lb, s.recordTime(rec))
	if err != nil {
		return false, err
	}
	res.Previous = prev
	res.Held = s.opts.Guard(rec, prev)
	return len(res.Held) > 0, nil
}

// recordTime is the moment a record stands for, to the microsecond
// PostgreSQL keeps: when its battles were read (as_of), else the publish
// time. Its snapshot is dated and named after it.
func (s *Store) recordTime(rec *leaderboard.Record) time.Time {
	t, ok := rec.AsOfTime()
	if !ok {
		t = s.opts.Now()
	}
	return t.UTC().Truncate(time.Microsecond)
}

// Querier for Previous: a transaction or a connection.
type rowQuerier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// descriptionBattles reads the battles count back from a snapshot's
// description (snapshot.Description), the only place the database keeps it.
var descriptionBattles = regexp.MustCompile(`^Leaderboard snapshot with (\d+) evaluations`)

// Previous returns the leaderboard lb's current public snapshot as of at:
// the newest public snapshot created before at, as the API picks the
// current one (DESIGN §8), so that a backfill dated at compares with its
// own past. Its entries come in the API's order (rank, then score
// descending); Battles is read from the description, -1 when it does not
// say. nil when there is none.
func Previous(ctx context.Context, q rowQuerier, lb string, at time.Time) (*guard.Snapshot, error) {
	var prev guard.Snapshot
	var desc *string
	err := q.QueryRow(ctx, `
		SELECT id::text, snapshot_identifier, description, created_at
		FROM api.leaderboard_snapshot
		WHERE leaderboard_id = $1 AND visibility = 'public' AND created_at < $2
		ORDER BY created_at DESC, snapshot_identifier DESC LIMIT 1`, lb, at).
		Scan(&prev.SnapshotID, &prev.Identifier, &desc, &prev.PublishedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the current public snapshot: %w", err)
	}
	prev.PublishedAt = prev.PublishedAt.UTC()
	prev.Battles = -1
	if desc != nil {
		if m := descriptionBattles.FindStringSubmatch(*desc); m != nil {
			if n, err := strconv.ParseInt(m[1], 10, 64); err == nil {
				prev.Battles = n
			}
		}
	}
	rows, err := q.Query(ctx, `
		SELECT m.slug, e.rank, e.bt_score::float8, coalesce(e.bootstrap_q025, e.bt_score)::float8,
		       coalesce(e.bootstrap_q975, e.bt_score)::float8, e.vote_count
		FROM api.leaderboard_entry e JOIN api.model m ON m.id = e.model_id
		WHERE e.snapshot_id = $1
		ORDER BY e.rank, e.bt_score DESC, m.slug`, prev.SnapshotID)
	if err != nil {
		return nil, fmt.Errorf("read the current public snapshot's entries: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e leaderboard.Entry
		if err := rows.Scan(&e.Model, &e.Rank, &e.Score, &e.CILower, &e.CIUpper, &e.Votes); err != nil {
			return nil, fmt.Errorf("read the current public snapshot's entries: %w", err)
		}
		prev.Entries = append(prev.Entries, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read the current public snapshot's entries: %w", err)
	}
	return &prev, nil
}
