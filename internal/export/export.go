// Package export owns reading the qualifying battles out of the arena's
// PostgreSQL database (DESIGN §2) and writing them as a battles-export
// stream (DESIGN §3): the query, one read-only snapshot for header, rows
// and trailer, streaming row by row with constant memory, and the mapping
// of database failures to exit statuses.
package export

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/bits"
	"slices"
	"strings"
	"time"

	"github.com/bixarena/arena-snapshots/internal/battle"
	"github.com/bixarena/arena-snapshots/internal/exitcode"
	"github.com/bixarena/arena-snapshots/internal/leaderboard"
	"github.com/bixarena/arena-snapshots/internal/pgconf"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

const overall = battle.Overall

// Options select what an export reads.
type Options struct {
	// Aggregate makes the database count identical battles: one line per
	// (model_a, model_b, winner, categories) with its count.
	Aggregate bool
	// Style adds each battle's style features to its line (see style.go);
	// raw lines only: Run refuses it with Aggregate.
	Style bool
	// Leaderboard keeps only the battles of that leaderboard; "" and
	// "overall" keep every qualifying battle.
	Leaderboard string
	// Since (inclusive) and Until (exclusive) bound battle.created_at;
	// zero values leave that side open.
	Since, Until time.Time
	// Now gives the export time of the header (default time.Now).
	Now func() time.Time
	// Progress, if set, is called with the number of lines written so far
	// every ProgressEvery lines and once at the end of the rows.
	Progress func(lines int64)
}

// Check returns a usage error for options that cannot go together: Style
// with Aggregate (a group of battles cannot carry each one's features).
func (o Options) Check() error {
	if o.Style && o.Aggregate {
		return exitcode.WithHint(exitcode.Usage, errors.New("--style cannot be used with --aggregate"),
			"every battle has its own style features: a group of battles cannot carry them")
	}
	return nil
}

// ProgressEvery is how many lines pass between two Progress calls.
const ProgressEvery = 4096

// Stats says what an export wrote.
type Stats struct {
	Records int64 // battle lines
	Battles int64 // battles they stand for
	// Unlisted are the categories of the lines that no leaderboard row
	// names, sorted; Reread says that the aggregated query ran twice
	// because of them (see Run).
	Unlisted []string
	Reread   bool
}

// Conn is what an export needs of a database connection.
type Conn interface {
	BeginTx(ctx context.Context, opts pgx.TxOptions) (pgx.Tx, error)
}

// Run writes the battles selected by o from the database behind conn to w:
// a header, the battle lines, a trailer. Everything is read in one
// REPEATABLE READ, READ ONLY transaction, so the three agree. The trailer
// is written only when the rows were all read and the transaction ended
// cleanly; on any error Run returns without writing it.
//
// Errors carry an exit status: an unknown leaderboard is a usage error,
// database failures are classified by pgconf.Classify (connection lost:
// transient; missing table or privilege: configuration).
func Run(ctx context.Context, conn Conn, w io.Writer, o Options) (Stats, error) {
	if err := o.Check(); err != nil {
		return Stats{}, err
	}
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return Stats{}, pgconf.Classify(fmt.Errorf("begin transaction: %w", err))
	}
	defer tx.Rollback(context.WithoutCancel(ctx))

	boards, err := Leaderboards(ctx, tx)
	if err != nil {
		return Stats{}, err
	}
	if err := o.checkLeaderboard(boards); err != nil {
		return Stats{}, err
	}
	models, err := modelSlugs(ctx, tx)
	if err != nil {
		return Stats{}, err
	}
	// The category masks need a list of categories. Reading every category
	// costs a scan before the battle query can start, so the aggregated
	// export first tries the leaderboards' own: the groups of battles with
	// another category come first, so the first row tells, and the query
	// runs again with every category. Raw rows come in time order, where
	// such a battle could come last: the raw export reads the list first.
	listed := categorySlugs(boards)
	categories := listed
	if !o.Aggregate || !masked(listed) {
		if categories, err = Categories(ctx, tx); err != nil {
			return Stats{}, err
		}
	}

	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	enc := battle.NewEncoder(w)
	h := battle.Header{
		ExportedAt:   battle.Format(now()),
		Aggregated:   o.Aggregate,
		Filter:       battle.Filter{Leaderboard: o.Leaderboard},
		Leaderboards: boards,
	}
	if !o.Since.IsZero() {
		h.Filter.Since = o.Since.UTC().Format(time.RFC3339Nano)
	}
	if !o.Until.IsZero() {
		h.Filter.Until = o.Until.UTC().Format(time.RFC3339Nano)
	}
	if err := enc.WriteHeader(h); err != nil {
		return Stats{}, writeError(err)
	}
	seen, err := streamRows(ctx, tx, enc, models, categories, o)
	reread := errors.Is(err, errUnlisted)
	if reread {
		if categories, err = Categories(ctx, tx); err != nil {
			return Stats{}, err
		}
		seen, err = streamRows(ctx, tx, enc, models, categories, o)
	}
	if err != nil {
		return Stats{}, err
	}
	// Only a transaction that ends cleanly proves the rows were all read
	// from a live connection.
	if err := tx.Commit(ctx); err != nil {
		return Stats{}, pgconf.Classify(fmt.Errorf("end transaction: %w", err))
	}
	t, err := enc.Close()
	if err != nil {
		return Stats{}, writeError(err)
	}
	st := Stats{Records: t.Records, Battles: t.Battles, Reread: reread}
	for _, c := range seen {
		if !slices.Contains(listed, c) {
			st.Unlisted = append(st.Unlisted, c)
		}
	}
	return st, nil
}

// LeaderboardFlag names the --leaderboard flag and its variable in messages.
const LeaderboardFlag = "--leaderboard (LEADERBOARD_SLUG)"

// checkLeaderboard checks o.Leaderboard against the database's
// leaderboards: it must be one of them, and not the row that opts a
// leaderboard's style-controlled variant in (leaderboard.VariantOf), which
// holds no battles: that variant comes from the plain leaderboard's
// battles with --style, ranked with rank --style-control.
func (o Options) checkLeaderboard(boards []battle.LeaderboardName) error {
	if o.Leaderboard == "" {
		return nil
	}
	has := battle.HasLeaderboard(boards)
	if plain, ok := leaderboard.VariantOf(o.Leaderboard, has); ok {
		return exitcode.WithHint(exitcode.Usage,
			fmt.Errorf("%s %q is where the style-controlled variant of %q is published, not a category with battles of its own",
				LeaderboardFlag, o.Leaderboard, plain),
			fmt.Sprintf("export %s with its style features and rank them with style control: battles-export --style --leaderboard %s | rank --style-control (the job: STYLE_CONTROL=true LEADERBOARD_SLUG=%s)",
				plain, plain, plain))
	}
	if !has(o.Leaderboard) {
		return exitcode.WithHint(exitcode.Usage,
			fmt.Errorf("%s %q is not a leaderboard of the database (api.leaderboard)", LeaderboardFlag, o.Leaderboard),
			"its leaderboards: "+slugList(boards))
	}
	return nil
}

// categorySlugs returns the slugs of the category leaderboards, sorted:
// all but overall and the rows that opt a style-controlled variant in
// (leaderboard.VariantOf).
func categorySlugs(boards []battle.LeaderboardName) []string {
	var slugs []string
	has := battle.HasLeaderboard(boards)
	for _, l := range boards {
		if _, variant := leaderboard.VariantOf(l.Slug, has); l.Slug != overall && !variant {
			slugs = append(slugs, l.Slug)
		}
	}
	slices.Sort(slugs)
	return slugs
}

// errUnlisted stops a battle query whose first row has a category outside
// its list, before anything is written.
var errUnlisted = errors.New("a category outside the list")

// Querier is what reading needs: a transaction or a connection.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// Leaderboards returns every row of api.leaderboard, overall first, then
// by slug (byte order).
func Leaderboards(ctx context.Context, q Querier) ([]battle.LeaderboardName, error) {
	rows, err := q.Query(ctx, `SELECT slug, name FROM api.leaderboard`)
	if err != nil {
		return nil, readError("api.leaderboard", err)
	}
	boards, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (battle.LeaderboardName, error) {
		var l battle.LeaderboardName
		err := r.Scan(&l.Slug, &l.Name)
		return l, err
	})
	if err != nil {
		return nil, readError("api.leaderboard", err)
	}
	slices.SortFunc(boards, func(a, b battle.LeaderboardName) int {
		if a.Slug == b.Slug {
			return 0
		}
		if a.Slug == overall {
			return -1
		}
		if b.Slug == overall {
			return 1
		}
		return cmp.Compare(a.Slug, b.Slug)
	})
	return boards, nil
}

func slugList(boards []battle.LeaderboardName) string {
	slugs := make([]string, len(boards))
	for i, l := range boards {
		slugs[i] = l.Slug
	}
	return strings.Join(slugs, ", ")
}

// modelSlugs maps every model's id to its slug: the battle rows carry ids,
// which are cheaper to read than two joined slugs per row.
func modelSlugs(ctx context.Context, q Querier) (map[[16]byte]string, error) {
	rows, err := q.Query(ctx, `SELECT id, slug FROM api.model`)
	if err != nil {
		return nil, readError("api.model", err)
	}
	defer rows.Close()
	m := make(map[[16]byte]string)
	for rows.Next() {
		var id [16]byte
		var slug string
		if err := rows.Scan(&id, &slug); err != nil {
			return nil, readError("api.model", err)
		}
		m[id] = slug
	}
	if err := rows.Err(); err != nil {
		return nil, readError("api.model", err)
	}
	return m, nil
}

// Categories returns every category that a categorization lists, sorted
// (byte order): the bits of the battle query's category masks.
func Categories(ctx context.Context, q Querier) ([]string, error) {
	rows, err := q.Query(ctx, `SELECT DISTINCT category FROM api.battle_categorization_category`)
	if err != nil {
		return nil, readError("api.battle_categorization_category", err)
	}
	cats, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, readError("api.battle_categorization_category", err)
	}
	slices.Sort(cats)
	return cats, nil
}

// streamRows runs the battle query and writes each row as it arrives. It
// returns the categories written, sorted, or errUnlisted when the first row
// has a category outside cats (see Query).
func streamRows(ctx context.Context, q Querier, enc *battle.Encoder, models map[[16]byte]string, cats []string, o Options) ([]string, error) {
	sql, args := Query(o, cats)
	masks := masked(cats)
	for _, set := range Settings {
		if _, err := q.Exec(ctx, set); err != nil {
			return nil, readError("battles", err)
		}
	}
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, readError("battles", err)
	}
	defer rows.Close()
	var seenMask uint64       // the categories written, with masks
	seen := map[string]bool{} // and with arrays

	var (
		m1, m2, id [16]byte
		outcome    string
		categories []string
		mask       *int64
		createdAt  time.Time
		count      int64
		r          battle.Record
		dest       = []any{&m1, &m2, &outcome, &categories, &id, &createdAt}
		tsBuf      []byte
		idBuf      [36]byte
	)
	var st battle.StyleRecord
	if o.Aggregate {
		dest = []any{&m1, &m2, &outcome, &categories, &count}
	}
	if o.Style && !o.Aggregate {
		dest = append(dest, &st.A.Length, &st.A.Headers, &st.A.Lists, &st.A.Bold, &st.B.Length, &st.B.Headers, &st.B.Lists, &st.B.Bold)
		r.Style = &st
	}
	if masks {
		dest[3] = &mask
	}
	var lines int64
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, readError("battles", err)
		}
		var ok bool
		if r.ModelA, ok = models[m1]; !ok {
			return nil, exitcode.Errorf(exitcode.Failure, "battle refers to model %x, not in api.model", m1)
		}
		if r.ModelB, ok = models[m2]; !ok {
			return nil, exitcode.Errorf(exitcode.Failure, "battle refers to model %x, not in api.model", m2)
		}
		if r.Winner, ok = winners[outcome]; !ok {
			return nil, exitcode.Errorf(exitcode.Failure, "battle outcome %q is not model1, model2 or tie", outcome)
		}
		switch {
		case masks && mask != nil && *mask < 0:
			if lines > 0 {
				// Query sorts such rows first.
				return nil, exitcode.Errorf(exitcode.Failure, "battle query: a category outside the list after %d rows", lines)
			}
			return nil, errUnlisted
		case masks:
			categories = categories[:0]
			if mask != nil {
				seenMask |= uint64(*mask)
				for m := uint64(*mask); m != 0; m &= m - 1 {
					categories = append(categories, cats[bits.TrailingZeros64(m)])
				}
			}
		case !o.Aggregate:
			slices.Sort(categories)
		}
		if !masks {
			for _, c := range categories {
				seen[c] = true
			}
		}
		r.Categories = categories
		if o.Aggregate {
			r.Count = count
		} else {
			formatUUID(&idBuf, id)
			r.BattleID = string(idBuf[:])
			tsBuf = createdAt.UTC().AppendFormat(tsBuf[:0], time.RFC3339Nano)
			r.CreatedAt = string(tsBuf)
		}
		if err := enc.WriteRecord(&r); err != nil {
			return nil, writeError(err)
		}
		lines++
		if o.Progress != nil && lines%ProgressEvery == 0 {
			o.Progress(lines)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, readError("battles", err)
	}
	if o.Progress != nil {
		o.Progress(lines)
	}
	for m := seenMask; m != 0; m &= m - 1 {
		seen[cats[bits.TrailingZeros64(m)]] = true
	}
	return slices.Sorted(maps.Keys(seen)), nil
}

// winners maps api.battle_evaluation.outcome to the battle record's winner.
var winners = map[string]string{
	"model1": battle.WinnerA,
	"model2": battle.WinnerB,
	"tie":    battle.WinnerTie,
}

func formatUUID(dst *[36]byte, u [16]byte) {
	const hexDigits = "0123456789abcdef"
	j := 0
	for i, b := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			dst[j] = '-'
			j++
		}
		dst[j], dst[j+1] = hexDigits[b>>4], hexDigits[b&0xf]
		j += 2
	}
}

// readError classifies a database error met while reading what.
func readError(what string, err error) error {
	return pgconf.Classify(fmt.Errorf("read %s: %w", what, err))
}

// writeError is a failure to write the output (a closed pipe, a full disk).
func writeError(err error) error {
	return exitcode.WriteError("output", err)
}
