package main

import (
	"fmt"
	"os"
	"path/filepath"
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
