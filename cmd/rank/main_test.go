package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/bixarena/arena-snapshots/internal/scripttest"
	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	cmds := scripttest.Commands(tool, run)
	// longline N FILE writes a battle line padded to N bytes, then
	// a newline, to FILE.
	cmds["longline"] = func() {
		n, _ := strconv.Atoi(os.Args[1])
		head := `{"model_a":"a","model_b":"b","winner":"tie","pad":"`
		line := head + strings.Repeat("x", n-len(head)-2) + `"}` + "\n"
		if err := os.WriteFile(os.Args[2], []byte(line), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	// genbattles KIND N FILE writes N hostile battle lines to FILE: each
	// with its own two models (models), its own category (categories), or
	// the largest count (count).
	cmds["genbattles"] = func() {
		n, _ := strconv.Atoi(os.Args[2])
		var b strings.Builder
		for i := 0; i < n; i++ {
			switch os.Args[1] {
			case "models":
				fmt.Fprintf(&b, `{"model_a":"m%da","model_b":"m%db","winner":"tie"}`+"\n", i, i)
			case "categories":
				fmt.Fprintf(&b, `{"model_a":"a","model_b":"b","winner":"model_a","categories":["c%d"]}`+"\n", i)
			case "count":
				fmt.Fprintf(&b, `{"model_a":"a","model_b":"b","winner":"model_a","count":1099511627776}`+"\n")
			}
		}
		if err := os.WriteFile(os.Args[3], []byte(b.String()), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	testscript.Main(m, cmds)
}

// TestScripts runs the command-line scripts of testdata/script; $FIXTURES
// is the repository's testdata folder.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: filepath.Join("testdata", "script"),
		Setup: func(env *testscript.Env) error {
			env.Setenv("FIXTURES", fixtures(t))
			return nil
		},
	})
}

func fixtures(t *testing.T) string {
	dir, err := filepath.Abs(filepath.Join("..", "..", "testdata"))
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

var update = flag.Bool("update", false, "rewrite the golden files")

// version hides the tool version, which depends on how the test binary
// was built.
var version = regexp.MustCompile(`"version":"[^"]*"`)

// TestGolden ranks the shipped fixture (the demo database's aggregated
// export) and compares every output format with testdata/golden.
func TestGolden(t *testing.T) {
	for _, tc := range []struct{ golden, format string }{
		{"rank.ndjson", "ndjson"},
		{"rank-table.txt", "table"},
		{"rank.csv", "csv"},
	} {
		var stdout, stderr bytes.Buffer
		args := []string{tool, "--bootstrap", "200", "--seed", "1", "--format", tc.format, filepath.Join(fixtures(t), "battles.ndjson")}
		if code := run(context.Background(), args, nil, &stdout, &stderr); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr.String())
		}
		got := version.ReplaceAll(stdout.Bytes(), []byte(`"version":"test"`))
		path := filepath.Join(fixtures(t), "golden", tc.golden)
		if *update {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the output (go test ./cmd/rank -run Golden -update rewrites it)", path)
		}
	}
}
