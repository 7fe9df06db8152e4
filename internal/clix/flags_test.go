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

// TestDecimal: a whole number with leading zeros is read in decimal, from
// the command line and from the variable (Go's parsers read it as octal,
// or refuse 08 and 09).
func TestDecimal(t *testing.T) {
	const refused = -1 << 31
	for _, tc := range []struct {
		env  map[string]string
		args []string
		want int
	}{
		{nil, []string{"--rounds", "010"}, 10},
		{nil, []string{"--rounds=0009"}, 9},
		{nil, []string{"--rounds", "-010"}, -10},
		{map[string]string{"TOOL_ROUNDS": "010"}, nil, 10},
		{map[string]string{"TOOL_ROUNDS": "08"}, nil, 8},
		{map[string]string{"TOOL_ROUNDS": " 012 "}, nil, 12},
		{map[string]string{"TOOL_ROUNDS": ""}, nil, 1},
		{map[string]string{"TOOL_ROUNDS": "0x10"}, []string{"--rounds", "017"}, refused}, // the variable is read first, and refused
		{nil, nil, 1},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, errs, seen := runTool(t, tc.env, tc.args...)
			if tc.want == refused {
				if code != exitcode.Usage {
					t.Errorf("%v %q: status %d, want 2: %s", tc.env, tc.args, code, errs)
				}
				return
			}
			if code != 0 || seen["rounds"] != tc.want {
				t.Errorf("%v %q: status %d, rounds %v, want %d: %s", tc.env, tc.args, code, seen["rounds"], tc.want, errs)
			}
		})
	}
}

// TestGot: a range error says the variable the value came from, as parse
// errors do, and not when the flag was given on the command line.
func TestGot(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{map[string]string{"TOOL_ROUNDS": "0"}, nil, "got 0 from TOOL_ROUNDS"},
		{map[string]string{"TOOL_ROUNDS": "0"}, []string{"--rounds", "-1"}, "got -1\n"},
		{map[string]string{"TOOL_ROUNDS": "0"}, []string{"--format", "rounds", "--rounds=-2"}, "got -2\n"},
		{map[string]string{"TOOL_ROUNDS": "3"}, []string{"--rounds=0"}, "got 0\n"},
		{nil, []string{"--rounds", "0"}, "got 0\n"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			app := testApp()
			app.Action = func(c *cli.Context) error { _, err := IntInRange(c, "rounds", "TOOL_ROUNDS", 1, 9); return err }
			var stdout, stderr bytes.Buffer
			code := Run(context.Background(), app, append([]string{"tool"}, tc.args...), nil, &stdout, &stderr, NewLogger("tool", &stderr, func(string) string { return "" }))
			if code != exitcode.Usage || !strings.Contains(stderr.String(), "--rounds (TOOL_ROUNDS) must be between 1 and 9, "+tc.want) {
				t.Errorf("%v %q: status %d, stderr %q, want %q", tc.env, tc.args, code, stderr.String(), tc.want)
			}
		})
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
		// Whole numbers read in decimal only: a base prefix or "_" is
		// refused, from the command line and from the variable.
		{nil, []string{"--rounds", "0x1f"}, `--rounds (TOOL_ROUNDS) must be a whole number, in decimal digits, got "0x1f"`, "write 31 if"},
		{nil, []string{"--rounds=0B101"}, `--rounds (TOOL_ROUNDS) must be a whole number, in decimal digits, got "0B101"`, "write 5 if"},
		{nil, []string{"--seed", "0o17"}, `--seed must be a whole number, 0 or more, in decimal digits, got "0o17"`, "write 15 if"},
		{nil, []string{"--seed", "2_000"}, `--seed must be a whole number, 0 or more, in decimal digits, got "2_000"`, "write 2000 if"},
		{nil, []string{"--seed", "+4"}, `--seed must be a whole number, 0 or more, got "+4"`, ""},
		{map[string]string{"TOOL_ROUNDS": "0X20"}, nil, `--rounds (TOOL_ROUNDS) must be a whole number, in decimal digits, got "0X20" from TOOL_ROUNDS`, "write 32 if"},
		{map[string]string{"TOOL_ROUNDS": "-0x2"}, []string{"a"}, `got "-0x2" from TOOL_ROUNDS`, "write -2 if"},
		{map[string]string{"TOOL_ROUNDS": "99999999999999999999"}, nil, `--rounds (TOOL_ROUNDS) must be a whole number, got "99999999999999999999" from TOOL_ROUNDS`, ""},
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
