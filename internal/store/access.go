package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/bixarena/arena-snapshots/internal/exitcode"
	"github.com/bixarena/arena-snapshots/internal/pgconf"
)

// privilege is one column privilege publishing uses.
type privilege struct {
	table, kind string // kind: SELECT, INSERT or UPDATE
	columns     []string
}

// privileges are the column privileges the store's statements use: what
// docs/grants.sql grants the publishing role, and nothing more.
var privileges = []privilege{
	{"api.leaderboard", "SELECT", []string{"id", "slug", "name"}},
	{"api.model", "SELECT", []string{"id", "slug", "name", "organization", "license", "external_link"}},
	{"api.leaderboard_snapshot", "SELECT", []string{"id", "leaderboard_id", "snapshot_identifier", "description", "visibility", "created_at"}},
	{"api.leaderboard_entry", "SELECT", []string{"snapshot_id", "model_id", "rank", "bt_score", "bootstrap_q025", "bootstrap_q975", "vote_count"}},
	{"api.leaderboard_snapshot", "INSERT", []string{"leaderboard_id", "snapshot_identifier", "description", "visibility", "created_at", "updated_at"}},
	{"api.leaderboard_snapshot", "UPDATE", []string{"visibility", "updated_at"}},
	{"api.leaderboard_entry", "INSERT", []string{"leaderboard_id", "model_id", "snapshot_id", "bt_score", "vote_count", "rank", "bootstrap_q025", "bootstrap_q975", "created_at"}},
}

// CheckAccess checks once, before any leaderboard is read or written,
// that the database holds the arena's api schema and that the role may
// do what publishing does: USAGE on schema api and the SELECT privileges
// of the columns it reads, and, when write is set, those of INSERT and
// UPDATE (see privileges and docs/grants.sql). It writes nothing. Without
// it, every leaderboard would fail on its own with the same message.
//
// A missing schema, table or column is the server's own error (SQLSTATE
// 3F000, 42P01, 42703); missing privileges are listed in one error. Both
// carry Config (pgconf.Classify); a lost connection carries Transient.
func (s *Store) CheckAccess(ctx context.Context, write bool) error {
	tx, err := s.db.Begin(ctx)
	if err != nil {
		return pgconf.Classify(fmt.Errorf("begin: %w", err))
	}
	defer tx.Rollback(context.Background())
	var role string
	var usage bool
	if err := tx.QueryRow(ctx, `SELECT current_user, has_schema_privilege('api', 'USAGE')`).Scan(&role, &usage); err != nil {
		return pgconf.Classify(fmt.Errorf("check the database: %w", err))
	}
	if !usage {
		return missing(role, []string{"USAGE on schema api"})
	}
	var tables, columns, kinds []string
	for _, p := range privileges {
		if !write && p.kind != "SELECT" {
			continue
		}
		for _, c := range p.columns {
			tables, columns, kinds = append(tables, p.table), append(columns, c), append(kinds, p.kind)
		}
	}
	rows, err := tx.Query(ctx, `
		SELECT t.tbl, t.kind, string_agg(t.col, ', ' ORDER BY t.n)
		FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS t(tbl, col, kind, n)
		WHERE NOT has_column_privilege(t.tbl, t.col, t.kind)
		GROUP BY t.tbl, t.kind
		ORDER BY min(t.n)`, tables, columns, kinds)
	if err != nil {
		return pgconf.Classify(fmt.Errorf("check the database: %w", err))
	}
	var lacks []string
	for rows.Next() {
		var table, kind, cols string
		if err := rows.Scan(&table, &kind, &cols); err != nil {
			rows.Close()
			return pgconf.Classify(fmt.Errorf("check the database: %w", err))
		}
		lacks = append(lacks, fmt.Sprintf("%s (%s) on %s", kind, cols, table))
	}
	if err := rows.Err(); err != nil {
		return pgconf.Classify(fmt.Errorf("check the database: %w", err))
	}
	if len(lacks) > 0 {
		return missing(role, lacks)
	}
	return nil
}

// missing is the configuration error of a role without privileges that
// publishing needs.
func missing(role string, privileges []string) error {
	return exitcode.WithHint(exitcode.Config,
		fmt.Errorf("role %q lacks what publishing needs: %s", role, strings.Join(privileges, "; ")),
		"grant them as docs/grants.sql does (README, Security)")
}
