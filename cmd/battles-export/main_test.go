package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/bixarena/arena-snapshots/internal/pgtest"
	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		tool: func() { os.Exit(run(context.Background(), os.Args, os.Stdin, os.Stdout, os.Stderr)) },
		// exits N battles-export ARGS... runs the tool and succeeds when
		// its exit status is N.
		"exits": func() {
			if len(os.Args) < 3 || os.Args[2] != tool {
				fmt.Fprintln(os.Stderr, "usage: exits STATUS "+tool+" [ARGS...]")
				os.Exit(2)
			}
			want, err := strconv.Atoi(os.Args[1])
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(2)
			}
			if got := run(context.Background(), os.Args[2:], os.Stdin, os.Stdout, os.Stderr); got != want {
				fmt.Fprintf(os.Stderr, "exit status %d, want %d\n", got, want)
				os.Exit(1)
			}
			os.Exit(0)
		},
	})
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
