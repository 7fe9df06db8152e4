package main

import (
	"path/filepath"
	"testing"

	"github.com/bixarena/arena-snapshots/internal/scripttest"
	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	testscript.Main(m, scripttest.Commands(tool, run))
}

// TestScripts runs the command-line scripts of testdata/script; $FIXTURES
// is the repository's testdata/leaderboards.
func TestScripts(t *testing.T) {
	fixtures, err := filepath.Abs(filepath.Join("..", "..", "testdata", "leaderboards"))
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir: filepath.Join("testdata", "script"),
		Setup: func(env *testscript.Env) error {
			env.Setenv("FIXTURES", fixtures)
			return nil
		},
	})
}
