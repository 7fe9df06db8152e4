package clix

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/bixarena/arena-snapshots/internal/exitcode"
	"github.com/urfave/cli/v2"
)

func testApp() *cli.App {
	return &cli.App{Name: "tool", Flags: []cli.Flag{
		&cli.IntFlag{Name: "rounds", Value: 1, EnvVars: []string{"TOOL_ROUNDS"}, Usage: "bootstrap `ROUNDS`"},
		&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Usage: "output `FORMAT`"},
		&cli.BoolFlag{Name: "strict", EnvVars: []string{"TOOL_STRICT"}},
		&cli.Uint64Flag{Name: "seed"},
		&cli.Float64Flag{Name: "level"},
		&cli.DurationFlag{Name: "timeout"},
		&cli.BoolFlag{Name: "secret-flag", Hidden: true},
	}}
}

func TestPermute(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"a.ndjson --format table", "--format table -- a.ndjson"},
		{"--format table a.ndjson", "--format table -- a.ndjson"},
		{"a b --strict c --rounds=5 d", "--strict --rounds=5 -- a b c d"},
		{"a -f csv b", "-f csv -- a b"},
		{"- --strict", "--strict -- -"},
		{"a -- --format b", "-- a --format b"},
		{"--format -- a", "--format -- -- a"}, // "--" is --format's value
		{"--rounds -3 a", "--rounds -3 -- a"},
		{"--strict", "--strict"},
		{"a --unknown 5", "--unknown -- a 5"},
		{"", ""},
	} {
		got, err := permute(testApp(), append([]string{"tool"}, strings.Fields(tc.in)...))
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if want := append([]string{"tool"}, strings.Fields(tc.want)...); !slices.Equal(got, want) {
			t.Errorf("%q: got %q, want %q", tc.in, got, want)
		}
	}
}

// runTool runs testApp with args and the environment env, and returns the
// exit status, stderr and the values its action saw.
func runTool(t *testing.T, env map[string]string, args ...string) (int, string, map[string]any) {
	t.Helper()
	for k, v := range env {
		t.Setenv(k, v)
	}
	app := testApp()
	seen := map[string]any{}
	app.Action = func(c *cli.Context) error {
		seen["rounds"], seen["format"], seen["strict"], seen["args"] = c.Int("rounds"), c.String("format"), c.Bool("strict"), c.Args().Slice()
		return nil
	}
	var stdout, stderr bytes.Buffer
	code := Run(context.Background(), app, append([]string{"tool"}, args...), nil, &stdout, &stderr, NewLogger("tool", &stderr, func(string) string { return "" }))
	return code, stderr.String(), seen
}

func TestFlagsAfterOperands(t *testing.T) {
	code, errs, seen := runTool(t, nil, "in.ndjson", "--format", "table", "-", "--rounds=7", "--strict", "--", "--strict")
	if code != 0 || errs != "" {
		t.Fatalf("status %d: %s", code, errs)
	}
	if seen["rounds"] != 7 || seen["format"] != "table" || seen["strict"] != true ||
		!slices.Equal(seen["args"].([]string), []string{"in.ndjson", "-", "--strict"}) {
		t.Errorf("the action saw %v", seen)
	}
}

// TestUsageErrors: every kind of parse error is a usage error in plain
// words naming the flag and its variable, with a hint; no Go parser's words.
func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		env       map[string]string
		args      []string
		msg, hint string
	}{
		{nil, []string{"--rouns", "5"}, "unknown flag --rouns", "did you mean --rounds? ('tool --help' lists every flag)"},
		{nil, []string{"a", "-formt", "x"}, "unknown flag --formt", "did you mean --format?"},
		{nil, []string{"--stric"}, "unknown flag --stric", "did you mean --strict?"},
		{nil, []string{"--secret-flg"}, "unknown flag --secret-flg", "'tool --help' lists every flag"},
		{nil, []string{"--xyzzy"}, "unknown flag --xyzzy", "'tool --help' lists every flag"},
		{nil, []string{"a", "--format"}, "--format needs a value", "write --format FORMAT or --format=FORMAT"},
		{nil, []string{"--rounds", "many"}, `--rounds (TOOL_ROUNDS) must be a whole number, got "many"`, "'tool --help' says what each flag takes"},
		{nil, []string{"--rounds=1.5"}, `--rounds (TOOL_ROUNDS) must be a whole number, got "1.5"`, ""},
		{nil, []string{"--strict=yes"}, `--strict (TOOL_STRICT) must be true or false, got "yes"`, ""},
		{nil, []string{"--seed", "-1"}, `--seed must be a whole number, 0 or more, got "-1"`, ""},
		{nil, []string{"--level", "high"}, `--level must be a number, got "high"`, ""},
		{nil, []string{"--timeout", "5"}, `--timeout must be a duration such as 90s, 15m or 1h30m, got "5"`, ""},
		{nil, []string{"---strict"}, `"---strict" is not a flag`, "put a file name after --"},
		{map[string]string{"TOOL_ROUNDS": "lots"}, nil, `--rounds (TOOL_ROUNDS) must be a whole number, got "lots" from TOOL_ROUNDS`, ""},
		{map[string]string{"TOOL_STRICT": "yes"}, []string{"a"}, `--strict (TOOL_STRICT) must be true or false, got "yes" from TOOL_STRICT`, ""},
		{map[string]string{"TOOL_STRICT": "a\"b\x1b"}, nil, `got "a\"b\x1b" from TOOL_STRICT`, ""},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) { checkUsageError(t, tc.env, tc.args, tc.msg, tc.hint) })
	}
}

func checkUsageError(t *testing.T, env map[string]string, args []string, msg, hint string) {
	t.Helper()
	code, errs, _ := runTool(t, env, args...)
	lines := strings.Split(strings.TrimSuffix(errs, "\n"), "\n")
	if code != exitcode.Usage || len(lines) != 2 || !strings.HasPrefix(lines[0], "tool: ") || !strings.Contains(lines[0], msg) ||
		!strings.HasPrefix(lines[1], "tool: hint: ") || !strings.Contains(lines[1], hint) {
		t.Errorf("%v %q: status %d, stderr:\n%s\nwant %q and hint %q", env, args, code, errs, msg, hint)
	}
	for _, internal := range []string{"strconv", "parse error", "provided but not defined", "could not parse", "invalid syntax"} {
		if strings.Contains(errs, internal) {
			t.Errorf("%q: stderr shows %q:\n%s", args, internal, errs)
		}
	}
}
