package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bixarena/arena-snapshots/internal/leaderboard"
	"github.com/bixarena/arena-snapshots/internal/pgtest"
	"github.com/jackc/pgx/v5"
)

// The arena's API (DESIGN §8), as queries: what the web app shows of what
// we publish.

// apiCurrent is a leaderboard's current snapshot: its newest public one by
// created_at (nothing else counts).
func apiCurrent(t *testing.T, conn *pgx.Conn, slug string) (id string, created time.Time) {
	t.Helper()
	err := conn.QueryRow(context.Background(), `
		SELECT s.id::text, s.created_at FROM api.leaderboard_snapshot s
		JOIN api.leaderboard l ON l.id = s.leaderboard_id
		WHERE l.slug = $1 AND s.visibility = 'public'
		ORDER BY s.created_at DESC LIMIT 1`, slug).Scan(&id, &created)
	if err != nil {
		t.Fatalf("%s: current snapshot: %v", slug, err)
	}
	return id, created
}

// apiEntry is one line of an entries page.
type apiEntry struct {
	Model      string
	Rank       int
	Score      float64
	Lo, Hi     float64
	Votes      int64
	RankChange *int // nil: not on the board 7 days before
}

// apiPage is one page of a snapshot's entries, ordered by rank ascending,
// then bt_score descending, with each entry's rank change against the
// newest public snapshot of the board whose created_at is at least 7 days
// older.
func apiPage(t *testing.T, conn *pgx.Conn, snapshotID string, size, page int) []apiEntry {
	t.Helper()
	rows, err := conn.Query(context.Background(), `
		WITH cur AS (SELECT id, leaderboard_id, created_at FROM api.leaderboard_snapshot WHERE id = $1 AND visibility = 'public'),
		     before AS (
		         SELECT s.id FROM api.leaderboard_snapshot s, cur
		         WHERE s.leaderboard_id = cur.leaderboard_id AND s.visibility = 'public'
		           AND s.created_at <= cur.created_at - interval '7 days'
		         ORDER BY s.created_at DESC LIMIT 1)
		SELECT m.slug, e.rank, e.bt_score::float8, e.bootstrap_q025::float8, e.bootstrap_q975::float8, e.vote_count,
		       (SELECT o.rank FROM api.leaderboard_entry o, before WHERE o.snapshot_id = before.id AND o.model_id = e.model_id) - e.rank
		FROM api.leaderboard_entry e JOIN cur ON cur.id = e.snapshot_id
		JOIN api.model m ON m.id = e.model_id
		ORDER BY e.rank ASC, e.bt_score DESC
		LIMIT $2 OFFSET $3`, snapshotID, size, page*size)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []apiEntry
	for rows.Next() {
		var e apiEntry
		if err := rows.Scan(&e.Model, &e.Rank, &e.Score, &e.Lo, &e.Hi, &e.Votes, &e.RankChange); err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// apiHeader is a page's header: the number of entries and the sum of
// their votes.
func apiHeader(t *testing.T, conn *pgx.Conn, snapshotID string) (entries int, votes int64) {
	t.Helper()
	if err := conn.QueryRow(context.Background(), `
		SELECT count(*), coalesce(sum(vote_count), 0) FROM api.leaderboard_entry WHERE snapshot_id = $1`,
		snapshotID).Scan(&entries, &votes); err != nil {
		t.Fatal(err)
	}
	return entries, votes
}

// apiHistory is a model's history on a board: every entry, newest
// created_at first, WITHOUT a visibility filter.
func apiHistory(t *testing.T, conn *pgx.Conn, slug, model string) (created []time.Time, ranks []int) {
	t.Helper()
	rows, err := conn.Query(context.Background(), `
		SELECT s.created_at, e.rank FROM api.leaderboard_entry e
		JOIN api.leaderboard_snapshot s ON s.id = e.snapshot_id
		JOIN api.leaderboard l ON l.id = e.leaderboard_id
		JOIN api.model m ON m.id = e.model_id
		WHERE l.slug = $1 AND m.slug = $2
		ORDER BY s.created_at DESC`, slug, model)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var at time.Time
		var r int
		if err := rows.Scan(&at, &r); err != nil {
			t.Fatal(err)
		}
		created, ranks = append(created, at.UTC()), append(ranks, r)
	}
	return created, ranks
}

// apiBoards is the board list: each board's latest public snapshot and
// its entry count; boards without one are hidden.
func apiBoards(t *testing.T, dbURL string) map[string]int {
	t.Helper()
	return bySlug[int](t, dbURL, `
		SELECT DISTINCT ON (l.slug) l.slug, (SELECT count(*) FROM api.leaderboard_entry e WHERE e.snapshot_id = s.id)
		FROM api.leaderboard l JOIN api.leaderboard_snapshot s ON s.leaderboard_id = l.id
		WHERE s.visibility = 'public'
		ORDER BY l.slug, s.created_at DESC`)
}

// readRecords reads rank's output.
func readRecords(t *testing.T, path string) map[string]leaderboard.Record {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]leaderboard.Record{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var r leaderboard.Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		out[r.Leaderboard] = r
	}
	return out
}

// TestAPIShowsWhatRankComputed publishes three runs of the demo database
// (dated 1, 5 and 10 March: battles-export --until) and a private fourth
// (12 March), then reads them back the way the API does and checks that
// they show exactly what rank computed: the current snapshot (the newest
// public), its entries in the API's order and pages, the page header's
// sums, each entry's rank change against the run 7 or more days older (1
// March, not 5 March), the board list, and a model's history, which lists
// the private run too.
func TestAPIShowsWhatRankComputed(t *testing.T) {
	needTools(t)
	dbURL := demoDB(t)
	dir := t.TempDir()
	days := []string{"2025-03-01", "2025-03-05", "2025-03-10", "2025-03-12"}
	script := `
		set -e
		for day in 2025-03-01 2025-03-05 2025-03-10; do
			battles-export --aggregate --until "${day}T00:00:00Z" | rank --bootstrap 20 --significant >"$OUT/$day.ndjson"
			snapshot-publish --db "$OUT/$day.ndjson" >/dev/null
		done
		battles-export --aggregate --until 2025-03-12T00:00:00Z | rank --bootstrap 20 >"$OUT/2025-03-12.ndjson"
		snapshot-publish --db --visibility private "$OUT/2025-03-12.ndjson" >/dev/null 2>"$OUT/private.err"`
	if r := runShell(t, "sh", map[string]string{"DATABASE_URL": dbURL, "OUT": dir}, "-c", script); r.code != 0 {
		t.Fatalf("publishing: %s", r)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "private.err")); !strings.Contains(string(b), "model history") {
		t.Errorf("a private publish did not warn about the model history: %s", b)
	}
	runs := make([]map[string]leaderboard.Record, len(days))
	for i, d := range days {
		runs[i] = readRecords(t, filepath.Join(dir, d+".ndjson"))
	}
	conn := pgtest.Connect(t, dbURL)
	near := func(a, b float64) bool { return math.Abs(a-b) < 5e-7 }
	march := func(day int) time.Time { return time.Date(2025, 3, day, 0, 0, 0, 0, time.UTC) }

	boards := apiBoards(t, dbURL)
	ranked := 0
	for slug, rec := range runs[2] {
		if rec.Status != leaderboard.Ranked {
			if _, shown := boards[slug]; shown && runs[0][slug].Status != leaderboard.Ranked && runs[1][slug].Status != leaderboard.Ranked {
				t.Errorf("%s: listed with no public snapshot", slug)
			}
			continue
		}
		ranked++
		if boards[slug] != len(rec.Entries) {
			t.Errorf("%s: the board list shows %d entries, rank listed %d", slug, boards[slug], len(rec.Entries))
		}
		id, created := apiCurrent(t, conn, slug)
		if !created.Equal(march(10)) {
			t.Errorf("%s: current snapshot dated %v, want the 10 March run (the private 12 March one is not current)", slug, created)
		}
		var page []apiEntry
		for p := 0; ; p++ {
			part := apiPage(t, conn, id, 7, p)
			page = append(page, part...)
			if len(part) < 7 {
				break
			}
		}
		entries, votes := apiHeader(t, conn, id)
		var wantVotes int64
		for _, e := range rec.Entries {
			wantVotes += e.Votes
		}
		if entries != len(rec.Entries) || votes != wantVotes || len(page) != len(rec.Entries) {
			t.Errorf("%s: header %d entries, %d votes, %d on the pages; rank: %d entries, %d votes", slug, entries, votes, len(page), len(rec.Entries), wantVotes)
			continue
		}
		old := map[string]int{}
		if runs[0][slug].Status == leaderboard.Ranked {
			for _, e := range runs[0][slug].Entries {
				old[e.Model] = e.Rank
			}
		}
		for i, e := range rec.Entries {
			g := page[i]
			if g.Model != e.Model || g.Rank != e.Rank || g.Votes != e.Votes || !near(g.Score, e.Score) || !near(g.Lo, e.CILower) || !near(g.Hi, e.CIUpper) {
				t.Errorf("%s: line %d shows %+v, rank computed %+v", slug, i+1, g, e)
			}
			before, was := old[e.Model]
			switch {
			case !was && g.RankChange != nil:
				t.Errorf("%s: %s has a rank change %d but was not on the 1 March board", slug, e.Model, *g.RankChange)
			case was && (g.RankChange == nil || *g.RankChange != before-e.Rank):
				t.Errorf("%s: %s rank change %v, want %d (rank %d on 1 March, %d now)", slug, e.Model, g.RankChange, before-e.Rank, before, e.Rank)
			}
		}
	}
	if ranked == 0 {
		t.Fatal("nothing ranked on 10 March")
	}
	if _, ok := boards["systems-biology"]; ok && runs[2]["systems-biology"].Status != leaderboard.Ranked {
		t.Errorf("a board with no public snapshot is listed")
	}

	// A model's history: every run, newest first, the private one included.
	model := runs[3]["overall"].Entries[0].Model
	created, ranks := apiHistory(t, conn, "overall", model)
	want := []time.Time{march(12), march(10), march(5), march(1)}
	if len(created) != len(want) {
		t.Fatalf("%s's history on overall: %v, want the four runs", model, created)
	}
	for i, at := range created {
		if !at.Equal(want[i]) {
			t.Errorf("%s's history, line %d: %v, want %v", model, i+1, at, want[i])
		}
		rec := runs[3-i]["overall"]
		for _, e := range rec.Entries {
			if e.Model == model && e.Rank != ranks[i] {
				t.Errorf("%s's history, %v: rank %d, rank computed %d", model, at, ranks[i], e.Rank)
			}
		}
	}
}
