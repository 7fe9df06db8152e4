// Package store owns publishing a leaderboard snapshot to the arena's
// PostgreSQL database (DESIGN §5): one transaction per leaderboard that
// resolves model slugs, inserts the snapshot and its entries, and makes it
// visible, so that either all of a snapshot is visible or none of it.
//
// The role publishing needs the column grants of docs/grants.sql: SELECT
// of a few columns, INSERT of snapshots and entries, and UPDATE of only
// (visibility, updated_at) on api.leaderboard_snapshot; nothing else, so
// that it cannot rewrite a past leaderboard.
package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/bixarena/arena-snapshots/internal/exitcode"
	"github.com/bixarena/arena-snapshots/internal/guard"
	"github.com/bixarena/arena-snapshots/internal/leaderboard"
	"github.com/bixarena/arena-snapshots/internal/pgconf"
	"github.com/bixarena/arena-snapshots/internal/snapshot"
	"github.com/jackc/pgx/v5"
)

// Querier is what the store needs of a database handle: a way to open a
// transaction. *pgx.Conn, *pgxpool.Pool and pgx.Tx (a nested transaction,
// i.e. a savepoint) all satisfy it. Begin's errors are the driver's; the
// store classifies them with pgconf.Classify.
type Querier interface {
	Begin(ctx context.Context) (pgx.Tx, error)
}

// Visibility values of a snapshot.
const (
	Public  = "public"
	Private = "private"
)

// Options tune a Store. The zero value publishes public snapshots at the
// current time.
type Options struct {
	// Visibility of published snapshots: Public (default) or Private.
	Visibility string
	// Now returns the publish time (default time.Now).
	Now func() time.Time
	// AfterSnapshot, when set, runs inside the transaction right after the
	// snapshot row is inserted and before its entries are: a test seam to
	// break the connection at the worst moment.
	AfterSnapshot func(ctx context.Context, tx pgx.Tx) error
	// Guard, when set, checks each record that is not published yet
	// against the leaderboard's current public snapshot; a record it
	// holds is not written (Result.Held).
	Guard Guard
}

// Store publishes snapshots through a Querier.
type Store struct {
	db   Querier
	opts Options
}

// New returns a store publishing through db.
func New(db Querier, opts Options) *Store {
	if opts.Visibility == "" {
		opts.Visibility = Public
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Store{db: db, opts: opts}
}

// Result says what a leaderboard's publication did.
type Result struct {
	SnapshotID  string
	Identifier  string
	PublishedAt time.Time // the snapshot's created_at
	Existing    bool      // the newest snapshot already held this record: nothing inserted
	Name        string    // the leaderboard's name
	Models      map[string]snapshot.Model
	// Visibility is, with Existing, the visibility the snapshot had (Check)
	// or was given (PublishSnapshot).
	Visibility string
	// With a Guard: the current public snapshot the record was compared
	// with (nil when none), and the rules it broke; when Held is not
	// empty, nothing was written.
	Previous *guard.Snapshot
	Held     []guard.Violation
}

// ErrUnknown marks an unknown leaderboard or model slug: the record does
// not fit this database. Every *UnknownError wraps it.
var ErrUnknown = errors.New("unknown slug")

// UnknownError lists the slugs of a record the database does not know.
type UnknownError struct {
	Kind  string // "leaderboard" or "model"
	Slugs []string
}

func (e *UnknownError) Error() string {
	if len(e.Slugs) == 1 {
		return fmt.Sprintf("unknown %s %q", e.Kind, e.Slugs[0])
	}
	q := make([]string, len(e.Slugs))
	for i, s := range e.Slugs {
		q[i] = strconv.Quote(s)
	}
	return fmt.Sprintf("unknown %ss %s", e.Kind, strings.Join(q, ", "))
}

func (e *UnknownError) Unwrap() error { return ErrUnknown }

// RunError says that a leaderboard's run (its as_of) is published already
// with other numbers: one run makes one snapshot, and a snapshot is never
// rewritten.
type RunError struct {
	Leaderboard, Identifier, AsOf string
}

func (e *RunError) Error() string {
	return fmt.Sprintf("the run of %s (as_of %s) is published already as %s with other numbers", e.Leaderboard, e.AsOf, e.Identifier)
}

// PublishSnapshot publishes a validated ranked record in one transaction:
//
//  1. take a transaction-scoped advisory lock on the leaderboard, so that
//     concurrent publishers of the same leaderboard take turns;
//  2. resolve the leaderboard and model slugs (an unknown one fails with an
//     *UnknownError naming it, and nothing is written);
//  3. find the snapshot this record may already be (DESIGN §5, one run,
//     one snapshot): for a record with as_of, the leaderboard's snapshot of
//     the same run, i.e. created_at equal to as_of and the identifier of
//     as_of (with or without a suffix); it must hold the same numbers, or
//     the record fails with a *RunError. For a record without as_of (a
//     hand-made battles file), the leaderboard's newest snapshot when it
//     holds the same numbers. When found, return it with Existing set,
//     after giving it the requested visibility;
//  4. with a Guard, read the leaderboard's current public snapshot as of
//     the record (Previous) and ask the guard: a record it holds is not
//     written, and the Result lists the rules it broke in Held;
//  5. else insert the snapshot as private, dated as_of (else the publish
//     time) and named after it (on a clash with another run's identifier,
//     the suffixes _2, _3, ... are tried), insert its entries in one
//     statement, then set its visibility and updated_at (the publish
//     time), and commit.
//
// Errors carry an exit status: Config or Transient as pgconf.Classify
// says, Failure for anything unexpected; an *UnknownError or a *RunError
// carries BadInput.
func (s *Store) PublishSnapshot(ctx context.Context, rec *leaderboard.Record) (*Result, error) {
	tx, err := s.db.Begin(ctx)
	if err != nil {
		return nil, pgconf.Classify(fmt.Errorf("begin: %w", err))
	}
	defer tx.Rollback(context.Background())

	res, err := s.publish(ctx, tx, rec)
	if err != nil {
		return nil, classify(err)
	}
	if len(res.Held) > 0 {
		return res, nil
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, pgconf.Classify(fmt.Errorf("commit: %w", err))
	}
	return res, nil
}

// Check resolves a record's slugs and says whether the record is
// published already (step 3 of PublishSnapshot) and, when not and with a
// Guard, what the guard says (Previous, Held), writing nothing (for
// --dry-run). The returned result
// has no identifier unless Existing is set.
func (s *Store) Check(ctx context.Context, rec *leaderboard.Record) (*Result, error) {
	tx, err := s.db.Begin(ctx)
	if err != nil {
		return nil, pgconf.Classify(fmt.Errorf("begin: %w", err))
	}
	defer tx.Rollback(context.Background())
	lb, res, err := resolve(ctx, tx, rec)
	if err != nil {
		return nil, classify(err)
	}
	prev, err := published(ctx, tx, lb, rec)
	if err != nil {
		return nil, classify(err)
	}
	if prev != nil {
		res.SnapshotID, res.Identifier, res.PublishedAt, res.Existing = prev.id, prev.identifier, prev.createdAt, true
		res.Visibility = prev.visibility
		return res, nil
	}
	if _, err := s.guardRecord(ctx, tx, lb, rec, res); err != nil {
		return nil, classify(err)
	}
	return res, nil
}

func classify(err error) error {
	var ue *UnknownError
	var re *RunError
	if errors.As(err, &ue) || errors.As(err, &re) {
		return exitcode.New(exitcode.BadInput, err)
	}
	return pgconf.Classify(err)
}

func (s *Store) publish(ctx context.Context, tx pgx.Tx, rec *leaderboard.Record) (*Result, error) {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('arena-snapshots/leaderboard/' || $1, 0))`, rec.Leaderboard); err != nil {
		return nil, fmt.Errorf("lock leaderboard: %w", err)
	}
	lb, res, err := resolve(ctx, tx, rec)
	if err != nil {
		return nil, err
	}
	prev, err := published(ctx, tx, lb, rec)
	if err != nil {
		return nil, err
	}
	if prev != nil {
		if prev.visibility != s.opts.Visibility {
			if _, err := tx.Exec(ctx, `UPDATE api.leaderboard_snapshot SET visibility = $2, updated_at = now() WHERE id = $1`,
				prev.id, s.opts.Visibility); err != nil {
				return nil, fmt.Errorf("set visibility: %w", err)
			}
		}
		res.SnapshotID, res.Identifier, res.PublishedAt, res.Existing = prev.id, prev.identifier, prev.createdAt, true
		res.Visibility = s.opts.Visibility
		return res, nil
	}
	if held, err := s.guardRecord(ctx, tx, lb, rec, res); err != nil || held {
		return res, err
	}

	now := s.recordTime(rec)
	base := snapshot.Identifier(now)
	for n := 1; res.SnapshotID == ""; n++ {
		if n > 100 {
			return nil, fmt.Errorf("identifiers %s to %s_100 are all taken", base, base)
		}
		res.Identifier = base
		if n > 1 {
			res.Identifier = fmt.Sprintf("%s_%d", base, n)
		}
		err := tx.QueryRow(ctx, `
			INSERT INTO api.leaderboard_snapshot (leaderboard_id, snapshot_identifier, description, visibility, created_at, updated_at)
			VALUES ($1, $2, $3, 'private', $4, $4)
			ON CONFLICT (leaderboard_id, snapshot_identifier) DO NOTHING
			RETURNING id::text`,
			lb, res.Identifier, snapshot.Description(rec), now).Scan(&res.SnapshotID)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return nil, fmt.Errorf("insert snapshot: %w", err)
		}
	}
	res.PublishedAt = now

	if s.opts.AfterSnapshot != nil {
		if err := s.opts.AfterSnapshot(ctx, tx); err != nil {
			return nil, err
		}
	}

	n := len(rec.Entries)
	models := make([]string, n)
	scores, lows, highs := make([]string, n), make([]string, n), make([]string, n)
	votes, ranks := make([]int64, n), make([]int64, n)
	for i, e := range rec.Entries {
		models[i] = e.Model
		scores[i], lows[i], highs[i] = numeric(e.Score), numeric(e.CILower), numeric(e.CIUpper)
		votes[i], ranks[i] = e.Votes, int64(e.Rank)
	}
	tag, err := tx.Exec(ctx, `
		INSERT INTO api.leaderboard_entry
			(leaderboard_id, model_id, snapshot_id, bt_score, vote_count, rank, bootstrap_q025, bootstrap_q975, created_at)
		SELECT $1, m.id, $2, t.score::numeric(10,6), t.votes::int, t.rank::int, t.lo::numeric(10,6), t.hi::numeric(10,6), $9
		FROM unnest($3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::text[], $8::text[])
			AS t(slug, score, votes, rank, lo, hi)
		JOIN api.model m ON m.slug = t.slug`,
		lb, res.SnapshotID, models, scores, votes, ranks, lows, highs, now)
	if err != nil {
		return nil, fmt.Errorf("insert entries: %w", err)
	}
	if int(tag.RowsAffected()) != n {
		return nil, fmt.Errorf("inserted %d entries of %d", tag.RowsAffected(), n)
	}
	if _, err := tx.Exec(ctx, `UPDATE api.leaderboard_snapshot SET visibility = $2, updated_at = now() WHERE id = $1`,
		res.SnapshotID, s.opts.Visibility); err != nil {
		return nil, fmt.Errorf("set visibility: %w", err)
	}
	return res, nil
}

// numeric formats x as numeric(10,6) stores it.
func numeric(x float64) string {
	return strconv.FormatFloat(snapshot.Round6(x), 'f', 6, 64)
}

// resolve finds the leaderboard's id and name and the models' details,
// failing with an *UnknownError naming what the database lacks.
func resolve(ctx context.Context, tx pgx.Tx, rec *leaderboard.Record) (string, *Result, error) {
	var lb string
	res := &Result{Models: make(map[string]snapshot.Model, len(rec.Entries))}
	err := tx.QueryRow(ctx, `SELECT id::text, name FROM api.leaderboard WHERE slug = $1`, rec.Leaderboard).Scan(&lb, &res.Name)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil, &UnknownError{Kind: "leaderboard", Slugs: []string{rec.Leaderboard}}
	}
	if err != nil {
		return "", nil, fmt.Errorf("read leaderboard: %w", err)
	}
	slugs := make([]string, len(rec.Entries))
	for i, e := range rec.Entries {
		slugs[i] = e.Model
	}
	rows, err := tx.Query(ctx, `SELECT slug, name, coalesce(organization, ''), license, external_link FROM api.model WHERE slug = ANY($1)`, slugs)
	if err != nil {
		return "", nil, fmt.Errorf("read models: %w", err)
	}
	for rows.Next() {
		var slug string
		var m snapshot.Model
		if err := rows.Scan(&slug, &m.Name, &m.Organization, &m.License, &m.Link); err != nil {
			rows.Close()
			return "", nil, fmt.Errorf("read models: %w", err)
		}
		res.Models[slug] = m
	}
	if err := rows.Err(); err != nil {
		return "", nil, fmt.Errorf("read models: %w", err)
	}
	var unknown []string
	for _, s := range slugs {
		if _, ok := res.Models[s]; !ok {
			unknown = append(unknown, s)
		}
	}
	if len(unknown) > 0 {
		return "", nil, &UnknownError{Kind: "model", Slugs: unknown}
	}
	return lb, res, nil
}

type existing struct {
	id, identifier, visibility string
	createdAt                  time.Time
}

// published returns the snapshot that already holds rec (step 3 of
// PublishSnapshot), else nil.
func published(ctx context.Context, tx pgx.Tx, lb string, rec *leaderboard.Record) (*existing, error) {
	asOf, run := rec.AsOfTime()
	var prev existing
	var desc *string
	var err error
	if run {
		at := asOf.UTC().Truncate(time.Microsecond)
		err = tx.QueryRow(ctx, `
			SELECT id::text, snapshot_identifier, description, visibility, created_at
			FROM api.leaderboard_snapshot
			WHERE leaderboard_id = $1 AND created_at = $2 AND left(snapshot_identifier, length($3)) = $3
			ORDER BY snapshot_identifier LIMIT 1`, lb, at, snapshot.Identifier(at)).
			Scan(&prev.id, &prev.identifier, &desc, &prev.visibility, &prev.createdAt)
	} else {
		err = tx.QueryRow(ctx, `
			SELECT id::text, snapshot_identifier, description, visibility, created_at
			FROM api.leaderboard_snapshot WHERE leaderboard_id = $1
			ORDER BY created_at DESC, snapshot_identifier DESC LIMIT 1`, lb).
			Scan(&prev.id, &prev.identifier, &desc, &prev.visibility, &prev.createdAt)
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read published snapshot: %w", err)
	}
	same := desc != nil && *desc == snapshot.Description(rec)
	if same {
		if same, err = sameEntries(ctx, tx, prev.id, rec); err != nil {
			return nil, err
		}
	}
	switch {
	case same:
		return &prev, nil
	case run:
		return nil, &RunError{Leaderboard: rec.Leaderboard, Identifier: prev.identifier, AsOf: rec.AsOf}
	default:
		return nil, nil
	}
}

// sameEntries reports whether the snapshot id holds exactly rec's entries:
// the same models with the same ranks, scores, bounds (as numeric(10,6)
// stores them) and votes.
func sameEntries(ctx context.Context, tx pgx.Tx, id string, rec *leaderboard.Record) (bool, error) {
	rows, err := tx.Query(ctx, `
		SELECT m.slug, e.rank, e.bt_score::text, e.bootstrap_q025::text, e.bootstrap_q975::text, e.vote_count
		FROM api.leaderboard_entry e JOIN api.model m ON m.id = e.model_id
		WHERE e.snapshot_id = $1`, id)
	if err != nil {
		return false, fmt.Errorf("read published snapshot's entries: %w", err)
	}
	type row struct {
		rank          int
		score, lo, hi string
		votes         int64
	}
	want := make(map[string]row, len(rec.Entries))
	for _, e := range rec.Entries {
		want[e.Model] = row{e.Rank, numeric(e.Score), numeric(e.CILower), numeric(e.CIUpper), e.Votes}
	}
	same, count := true, 0
	for rows.Next() {
		var slug string
		var r row
		if err := rows.Scan(&slug, &r.rank, &r.score, &r.lo, &r.hi, &r.votes); err != nil {
			rows.Close()
			return false, fmt.Errorf("read published snapshot's entries: %w", err)
		}
		count++
		if w, ok := want[slug]; !ok || w != r {
			same = false
		}
	}
	if err := rows.Err(); err != nil {
		return false, fmt.Errorf("read published snapshot's entries: %w", err)
	}
	return same && count == len(rec.Entries), nil
}
