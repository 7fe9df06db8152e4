package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bixarena/arena-snapshots/internal/pgtest"
	"github.com/bixarena/arena-snapshots/internal/scripttest"
	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	testscript.Main(m, scripttest.Commands(tool, run))
}

// TestScripts runs the command-line scripts of testdata/script. When
// TEST_DATABASE_URL is set, the scripts get DATABASE_URL, a scratch
// database holding testdata/battles.sql, and the condition [db]; scripts
// that need it skip without it.
func TestScripts(t *testing.T) {
	dbURL := ""
	if os.Getenv(pgtest.EnvVar) != "" {
		dbURL = pgtest.NewDB(t, filepath.Join("cmd", "battles-export", "testdata", "battles.sql"))
	}
	testscript.Run(t, testscript.Params{
		Dir: filepath.Join("testdata", "script"),
		Setup: func(env *testscript.Env) error {
			env.Setenv("DATABASE_URL", dbURL)
			return nil
		},
		Condition: func(cond string) (bool, error) {
			if cond == "db" {
				return dbURL != "", nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
	})
}

// A category that no leaderboard row names is exported, and named in a
// warning.
func TestWarnsOfUnlistedCategories(t *testing.T) {
	if os.Getenv(pgtest.EnvVar) == "" {
		t.Skip("TEST_DATABASE_URL is not set: no PostgreSQL to export from")
	}
	url := pgtest.NewDB(t, filepath.Join("cmd", "battles-export", "testdata", "battles.sql"))
	pgtest.Exec(t, url, `INSERT INTO api.battle_categorization_category (categorization_id, category)
		VALUES ('00000000-0000-0000-0000-0000000000c3', 'astrology')`)
	for _, args := range [][]string{{}, {"--aggregate"}} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), append([]string{"battles-export", "--database-url", url}, args...),
			strings.NewReader(""), &stdout, &stderr)
		if code != 0 || !strings.Contains(stdout.String(), `"categories":["astrology","genomics"]`) {
			t.Fatalf("%v: exit %d, stdout:\n%s\nstderr:\n%s", args, code, stdout.String(), stderr.String())
		}
		want := "battles-export: categories that no api.leaderboard row names: astrology (exported all the same"
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("%v: stderr %q, want %q", args, stderr.String(), want)
		}
	}
}
