package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bixarena/arena-snapshots/internal/pgtest"
	"github.com/bixarena/arena-snapshots/internal/redistest"
)

// bySlug runs a query of two columns, a slug and a value, and returns the
// values by slug.
func bySlug[V any](t *testing.T, dbURL, sql string) map[string]V {
	t.Helper()
	rows, err := pgtest.Connect(t, dbURL).Query(context.Background(), sql)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]V{}
	for rows.Next() {
		var slug string
		var v V
		if err := rows.Scan(&slug, &v); err != nil {
			t.Fatal(err)
		}
		out[slug] = v
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// snapshotsPerBoard returns the number of snapshots of each leaderboard.
func snapshotsPerBoard(t *testing.T, dbURL string) map[string]int {
	t.Helper()
	return bySlug[int](t, dbURL, `
		SELECT l.slug, count(s.id) FROM api.leaderboard l
		JOIN api.leaderboard_snapshot s ON s.leaderboard_id = l.id GROUP BY l.slug`)
}

// readFile returns a file's content, "" when it cannot be read.
func readFile(t *testing.T, path string) string {
	t.Helper()
	b, _ := os.ReadFile(path)
	return string(b)
}

// published returns the slugs a job's complete event lists as published.
func published(t *testing.T, r jobResult) []string {
	t.Helper()
	var out []string
	for slug, o := range outcomes(t, onlyEvent(t, r, "complete")) {
		if o["status"] == "published" {
			out = append(out, slug)
		}
	}
	if len(out) == 0 {
		t.Fatalf("nothing published\n%s", r)
	}
	return out
}

// TestJobTwoRunsTwoSnapshots: two runs of the job on unchanged data make
// two snapshots per ranked leaderboard (production's job makes one a day
// even when no vote changed), each dated when its battles were read.
func TestJobTwoRunsTwoSnapshots(t *testing.T) {
	needTools(t)
	dbURL := demoDB(t)
	env := map[string]string{"DATABASE_URL": dbURL, "NUM_BOOTSTRAP": "20", "RETRY_DELAY_SECONDS": "0"}
	first := runJob(t, "dash", env)
	second := runJob(t, "dash", env)
	if first.code != 0 || second.code != 0 {
		t.Fatalf("first run:\n%s\nsecond run:\n%s", first, second)
	}
	boards := published(t, first)
	counts := snapshotsPerBoard(t, dbURL)
	for _, slug := range boards {
		if counts[slug] != 2 {
			t.Errorf("%s: %d snapshots after two runs, want 2", slug, counts[slug])
		}
	}
	if len(counts) != len(boards) || len(published(t, second)) != len(boards) {
		t.Errorf("the runs published different boards: %v then %v", boards, published(t, second))
	}
	// Each snapshot is dated by its run's export: the two differ, the
	// second is the current one.
	if n := queryInt(t, dbURL, `SELECT count(DISTINCT created_at) FROM api.leaderboard_snapshot`); n != 2 {
		t.Errorf("%d distinct created_at over two runs, want 2", n)
	}
}

// TestLeaderboardFilePublishedTwice: the same leaderboard file published
// twice, a second apart, makes one snapshot per leaderboard.
func TestLeaderboardFilePublishedTwice(t *testing.T) {
	needTools(t)
	dbURL := demoDB(t)
	env := map[string]string{"DATABASE_URL": dbURL}
	dir := t.TempDir()
	if r := runShell(t, "sh", env, "-c", `battles-export --aggregate | rank --bootstrap 20 >"$1"/boards.ndjson &&
		snapshot-publish --db "$1"/boards.ndjson >"$1"/first && sleep 1 &&
		snapshot-publish --db --dir "$1"/out "$1"/boards.ndjson >"$1"/second`, "sh", dir); r.code != 0 {
		t.Fatalf("%s", r)
	}
	counts := snapshotsPerBoard(t, dbURL)
	if len(counts) == 0 {
		t.Fatal("nothing published")
	}
	for slug, n := range counts {
		if n != 1 {
			t.Errorf("%s: %d snapshots after publishing one file twice", slug, n)
		}
	}
	if second := readFile(t, dir+"/second"); strings.Count(second, `"existing":true`) != len(counts) {
		t.Errorf("the second publish does not report the existing snapshots:\n%s", second)
	}
}

// failingS3 is a proxy in front of an S3 server that answers 503 to every
// PUT between the first and the second read of the index: the first
// attempt's publish reaches S3, checks the index and then fails to write,
// after the database committed; the retry's publish goes through.
type failingS3 struct {
	*httptest.Server
	mu         sync.Mutex
	indexReads int
	failed     int
}

func newFailingS3(t *testing.T, target, indexPath string) *failingS3 {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	f := &failingS3{}
	proxy := httputil.NewSingleHostReverseProxy(u)
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		if r.Method == http.MethodGet && r.URL.Path == indexPath {
			f.indexReads++
		}
		fail := r.Method == http.MethodPut && f.indexReads == 1
		if fail {
			f.failed++
		}
		f.mu.Unlock()
		if fail {
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>ServiceUnavailable</Code><Message>try later</Message></Error>`))
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(f.Close)
	return f
}

// TestJobRetryPublishesOnce: when publishing fails transiently after the
// database committed (S3 refuses the files), the job's retry publishes the
// same leaderboards again rather than a new run: one snapshot per
// leaderboard, and the files complete.
func TestJobRetryPublishesOnce(t *testing.T) {
	needTools(t)
	dbURL := demoDB(t)
	s3 := startS3(t)
	proxy := newFailingS3(t, s3.Endpoint, "/"+s3.Bucket+"/lb/index.json")
	env := merge(s3.env(), map[string]string{
		"DATABASE_URL":        dbURL,
		"AWS_ENDPOINT_URL_S3": proxy.URL,
		"AWS_MAX_ATTEMPTS":    "1",
		"SNAPSHOT_S3_URI":     s3.uri("lb"),
		"NUM_BOOTSTRAP":       "20",
		"RETRY_DELAY_SECONDS": "0",
		"CORRELATION_ID":      "e2e-retry-publish",
	})
	start := time.Now()
	r := runJob(t, "dash", env)
	t.Logf("job took %v", time.Since(start).Round(time.Millisecond))
	if r.code != 0 || proxy.failed == 0 {
		t.Fatalf("exit %d after %d refused writes, want 0 after the retry\n%s", r.code, proxy.failed, r)
	}
	e := onlyEvent(t, r, "error")
	retry := onlyEvent(t, r, "retry")
	if e["stage"] != "publish" || e["exit_status"] != 5.0 || retry["replay"] != true {
		t.Errorf("first attempt: %v, retry: %v; want publish's transient failure replayed", e, retry)
	}
	boards := published(t, r)
	counts := snapshotsPerBoard(t, dbURL)
	for _, slug := range boards {
		if counts[slug] != 1 {
			t.Errorf("%s: %d snapshots after a retried publish, want 1", slug, counts[slug])
		}
		if readFile(t, s3.bucketDir()+"/lb/"+slug+"/latest.json") == "" {
			t.Errorf("%s: no latest.json after the retry", slug)
		}
	}
	for slug, o := range outcomes(t, onlyEvent(t, r, "complete")) {
		if o["status"] == "published" && o["existing"] != true {
			t.Errorf("%s: the retry made a new snapshot: %v", slug, o)
		}
	}
}

// sparseArenaSQL fills a database made from testdata/schema.sql with
// qualifying battles: 300 in overall alone among six models, and category
// boards of 80 battles (five models), 45 and 31 (four models), 25 (four
// models: below production's 30) and 60 (three models: below its 4).
func sparseArenaSQL() string {
	specs := []struct {
		category string
		battles  int
		models   []int
	}{
		{"", 300, []int{1, 2, 3, 4, 5, 6}},
		{"genomics", 80, []int{1, 2, 3, 4, 5}},
		{"immunology", 45, []int{1, 2, 3, 4}},
		{"pathology", 31, []int{3, 4, 5, 6}},
		{"neuroscience", 25, []int{1, 2, 5, 6}},
		{"genetics", 60, []int{2, 4, 6}},
	}
	var sql strings.Builder
	sql.WriteString("INSERT INTO api.model (id, slug, name, license, external_link, api_model_name, api_base) VALUES ")
	for m := 1; m <= 6; m++ {
		if m > 1 {
			sql.WriteString(", ")
		}
		fmt.Fprintf(&sql, "(md5('m%d')::uuid, 'model-%d', 'Model %d', 'open-source', 'https://example.org', 'm', 'https://example.org')", m, m, m)
	}
	sql.WriteString(";\n")
	outcomes := []string{"model1", "model2", "model1", "tie", "model2"}
	n := 0
	for _, s := range specs {
		var pairs [][2]int
		for i, a := range s.models {
			for _, b := range s.models[i+1:] {
				pairs = append(pairs, [2]int{a, b})
			}
		}
		for g := 0; g < s.battles; g++ {
			n++
			p := pairs[g%len(pairs)]
			if g/len(pairs)%2 == 1 {
				p[0], p[1] = p[1], p[0]
			}
			fmt.Fprintf(&sql, `INSERT INTO api.battle (id, user_id, model1_id, model2_id, created_at)
				VALUES (md5('b%[1]d')::uuid, md5('u%[4]d')::uuid, md5('m%[2]d')::uuid, md5('m%[3]d')::uuid, timestamptz '2025-01-01' + %[1]d * interval '1 minute');
				INSERT INTO api.battle_evaluation (battle_id, outcome) VALUES (md5('b%[1]d')::uuid, '%[5]s');
				INSERT INTO api.battle_validation (id, battle_id, method, confidence, is_biomedical) VALUES (md5('v%[1]d')::uuid, md5('b%[1]d')::uuid, 'llm', 0.9, true);
				UPDATE api.battle SET effective_validation_id = md5('v%[1]d')::uuid WHERE id = md5('b%[1]d')::uuid;
			`, n, p[0], p[1], n%50, outcomes[(g+g/len(pairs))%len(outcomes)])
			if s.category != "" {
				fmt.Fprintf(&sql, `INSERT INTO api.battle_categorization (id, battle_id, method, status) VALUES (md5('c%[1]d')::uuid, md5('b%[1]d')::uuid, 'llm', 'matched');
					INSERT INTO api.battle_categorization_category (categorization_id, category) VALUES (md5('c%[1]d')::uuid, '%[2]s');
					UPDATE api.battle SET effective_categorization_id = md5('c%[1]d')::uuid WHERE id = md5('b%[1]d')::uuid;
				`, n, s.category)
			}
		}
	}
	return sql.String()
}

// TestJobProductionDefaults: the job with no ranking variable, on a
// database whose category boards hold 30 to 99 battles, publishes overall
// and those boards, as production's job does (min_battles 30, min_models
// 4); a board under 30 battles or 4 models is skipped with its reason.
func TestJobProductionDefaults(t *testing.T) {
	needTools(t)
	dbURL := pgtest.NewDB(t)
	pgtest.Exec(t, dbURL, sparseArenaSQL())
	r := runJob(t, "dash", map[string]string{"DATABASE_URL": dbURL, "RETRY_DELAY_SECONDS": "0"})
	if r.code != 0 {
		t.Fatalf("job failed\n%s", r)
	}
	got := outcomes(t, onlyEvent(t, r, "complete"))
	for _, slug := range []string{"overall", "genomics", "immunology", "pathology"} {
		if got[slug]["status"] != "published" {
			t.Errorf("%s: %v, want published", slug, got[slug])
		}
	}
	for slug, reason := range map[string]string{"neuroscience": "insufficient_battles", "genetics": "insufficient_models"} {
		if got[slug]["status"] != "skipped" || got[slug]["reason"] != reason {
			t.Errorf("%s: %v, want skipped for %s", slug, got[slug], reason)
		}
	}
	if n := len(published(t, r)); n != 4 {
		t.Errorf("%d boards published, want 4", n)
	}
}

// TestJobEvictsCache: with REDIS_URL, the job's publish deletes the API's
// cached leaderboard pages and nothing else; with that Redis stopped, the
// run still succeeds and its complete event carries the warning.
func TestJobEvictsCache(t *testing.T) {
	needTools(t)
	dbURL := demoDB(t)
	redis := redistest.Start(t)
	redis.Set(t, "bixarena:api:leaderboardList::SimpleKey []=list", "bixarena:api:leaderboardEntries::overall_0_25=page", "other=kept")
	env := map[string]string{"DATABASE_URL": dbURL, "REDIS_URL": redis.URL, "REDIS_TIMEOUT_SECONDS": "1",
		"NUM_BOOTSTRAP": "10", "RETRY_DELAY_SECONDS": "0"}
	r := runJob(t, "dash", env)
	if r.code != 0 {
		t.Fatalf("%s", r)
	}
	if keys := redis.Keys(t); len(keys) != 1 || keys[0] != "other" {
		t.Errorf("keys left: %v", keys)
	}
	if s := onlyEvent(t, r, "start"); s["redis_cache"] != true {
		t.Errorf("start: %v", s)
	}
	redis.Stop()
	r = runJob(t, "dash", env)
	if r.code != 0 {
		t.Fatalf("with Redis stopped: %s", r)
	}
	c := onlyEvent(t, r, "complete")
	if o := outcomes(t, c)["overall"]; o["status"] != "published" || !strings.Contains(fmt.Sprint(o["warnings"]), "not evicted") {
		t.Errorf("overall with Redis stopped: %v", o)
	}
}
