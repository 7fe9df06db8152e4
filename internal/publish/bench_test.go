package publish

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/bixarena/arena-snapshots/internal/clix"
	"github.com/bixarena/arena-snapshots/internal/leaderboard"
	"github.com/bixarena/arena-snapshots/internal/pgtest"
	"github.com/bixarena/arena-snapshots/internal/s3test"
)

var leaderboardSlugs = []string{"overall", "biochemistry", "bioengineering", "bioinformatics", "cancer-biology",
	"cell-biology", "clinical-trials", "developmental-biology", "epidemiology", "evolutionary-biology", "genetics",
	"genomics", "immunology", "microbiology", "molecular-biology", "neuroscience", "pathology",
	"pharmacology-and-toxicology", "physiology", "synthetic-biology", "systems-biology"}

// benchInput is 21 ranked leaderboards of n models each; battles makes
// every call's records differ from the last published ones.
func benchInput(n int, battles int64) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for li, slug := range leaderboardSlugs {
		rec := leaderboard.Record{Leaderboard: slug, Status: leaderboard.Ranked, Battles: battles, Models: n,
			Params:     leaderboard.Params{Bootstrap: 1000, MinVotes: 10, MinBattles: 30, MinModels: 4},
			Provenance: leaderboard.Provenance{Tool: "rank", Version: "bench", Seed: 1, InputDigest: "sha256:00"}}
		for i := 0; i < n; i++ {
			s := 1300 - float64(i)*6.123457 - float64(li)
			rec.Entries = append(rec.Entries, leaderboard.Entry{Rank: i + 1, Model: fmt.Sprintf("model-%03d", i),
				Score: s, CILower: s - 20.5, CIUpper: s + 21.25, Votes: int64(1000 + i)})
		}
		enc.Encode(&rec)
	}
	return buf.String()
}

// BenchmarkPublish publishes 21 leaderboards of 100 models to the
// database and S3 (a local versitygw) per operation.
func BenchmarkPublish(b *testing.B) {
	dbURL := pgtest.NewDB(b)
	pgtest.Exec(b, dbURL, `INSERT INTO api.model (slug, name, license, external_link, api_model_name, api_base)
		SELECT format('model-%s', lpad(i::text, 3, '0')), format('Model %s', i), 'open-source', 'https://example.org', 'm', 'https://example.org'
		FROM generate_series(0, 99) AS i`)
	srv := s3test.Start(b)
	for _, kv := range srv.Env() {
		k, v, _ := strings.Cut(kv, "=")
		b.Setenv(k, v)
	}
	clock := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		in := benchInput(100, int64(100000+i))
		clock = clock.Add(time.Second)
		now := clock
		b.StartTimer()
		o := Options{DB: true, DatabaseURL: dbURL, S3URL: "s3://" + srv.Bucket + "/lb", S3PathStyle: true,
			Now: func() time.Time { return now }}
		if err := Run(context.Background(), o, strings.NewReader(in), io.Discard, clix.NewLogger("snapshot-publish", io.Discard, os.Getenv)); err != nil {
			b.Fatal(err)
		}
	}
}
