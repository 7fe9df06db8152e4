package clix

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/bixarena/arena-snapshots/internal/exitcode"
	"github.com/urfave/cli/v2"
	"github.com/xrash/smetrics"
)

// This file makes urfave/cli's flag parsing behave as people expect from
// jq, rg or gh: flags anywhere among the file names, and every parse error
// said in plain words with the flag, its environment variable and a
// did-you-mean, never a Go parser's message.

// permute returns args (the program's name first) with every flag, and the
// value of a flag that takes one, moved before the first operand, as GNU
// getopt does: "rank FILE --format table" means "rank --format table FILE".
// Everything after "--" is an operand, and so is "-" (stdin). When operands
// remain, a "--" is put before them so that an operand moved past a flag is
// never read as one. A flag that takes a value but ends the arguments is
// the usage error that says how to write it.
func permute(app *cli.App, args []string) ([]string, error) {
	if len(args) == 0 {
		return args, nil
	}
	flags := app.Flags
	takesValue := map[string]bool{}
	for _, f := range append(append([]cli.Flag(nil), flags...), cli.HelpFlag, cli.VersionFlag) {
		if f == nil {
			continue
		}
		tv := true
		if d, ok := f.(interface{ TakesValue() bool }); ok {
			tv = d.TakesValue()
		}
		for _, n := range f.Names() {
			takesValue[n] = tv
		}
	}
	var opts, operands []string
	rest := args[1:]
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		if a == "--" {
			operands = append(operands, rest[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			operands = append(operands, a)
			continue
		}
		opts = append(opts, a)
		name := strings.TrimLeft(a, "-")
		if strings.Contains(name, "=") {
			continue
		}
		if takesValue[name] {
			if i+1 == len(rest) {
				return nil, needsValue(app, name)
			}
			opts = append(opts, rest[i+1])
			i++
		}
	}
	out := append([]string{args[0]}, opts...)
	if len(operands) > 0 {
		out = append(append(out, "--"), operands...)
	}
	return out, nil
}

// The messages of Go's flag package and of urfave/cli that usageError
// rewrites.
var (
	reUndefined   = regexp.MustCompile(`^flag provided but not defined: -+(.*)$`)
	reNeedsArg    = regexp.MustCompile(`^flag needs an argument: -+(.*)$`)
	reBadSyntax   = regexp.MustCompile(`^bad flag syntax: (.*)$`)
	reInvalid     = regexp.MustCompile(`^invalid value "((?:[^"\\]|\\.)*)" for flag -+([^:]*): (.*)$`)
	reInvalidBool = regexp.MustCompile(`^invalid boolean value "((?:[^"\\]|\\.)*)" for -+([^:]*): (.*)$`)
	reFromEnv     = regexp.MustCompile(`^could not parse "((?:[^"\\]|\\.)*)" (?:as .* value )?from (?:environment variable "([^"]*)"|file "[^"]*"|[^ ]*)(?: as value)? for flag ([^:]*): (.*)$`)
)

// usageError turns an error urfave/cli raised while parsing the command
// line or the environment into a usage error (exit status 2) in plain
// words that names the flag and its environment variable, with a hint that
// says how to write it.
func usageError(app *cli.App, err error) error {
	var coded *exitcode.Error
	if errors.As(err, &coded) {
		return err
	}
	msg := err.Error()
	help := fmt.Sprintf("'%s --help' lists every flag", app.Name)
	if m := reUndefined.FindStringSubmatch(msg); m != nil {
		name, _, _ := strings.Cut(m[1], "=")
		hint := help
		if s := suggest(app.Flags, name); s != "" {
			hint = fmt.Sprintf("did you mean --%s? (%s)", s, help)
		}
		return exitcode.WithHint(exitcode.Usage, fmt.Errorf("unknown flag %s", dashes(name)), hint)
	}
	if m := reNeedsArg.FindStringSubmatch(msg); m != nil {
		return needsValue(app, m[1])
	}
	if m := reBadSyntax.FindStringSubmatch(msg); m != nil {
		return exitcode.WithHint(exitcode.Usage, fmt.Errorf("%s is not a flag", quote(m[1])),
			fmt.Sprintf("flags are written --name or --name=value; put a file name after -- (%s)", help))
	}
	if m := reInvalid.FindStringSubmatch(msg); m != nil {
		return badValue(app, m[2], unquote(m[1]), "")
	}
	if m := reInvalidBool.FindStringSubmatch(msg); m != nil {
		return badValue(app, m[2], unquote(m[1]), "")
	}
	if m := reFromEnv.FindStringSubmatch(msg); m != nil {
		return badValue(app, m[3], unquote(m[1]), m[2])
	}
	// Anything else urfave/cli says before the action runs is a usage
	// error too, in its own words.
	return exitcode.WithHint(exitcode.Usage, err, help)
}

// needsValue is the error for a flag written without the value it takes.
func needsValue(app *cli.App, name string) error {
	f := lookup(app.Flags, name)
	return exitcode.WithHint(exitcode.Usage, fmt.Errorf("%s needs a value", described(f, name)),
		fmt.Sprintf("write %s %s or %s=%s", dashes(name), placeholder(f), dashes(name), placeholder(f)))
}

// badValue is the error for a value that does not parse as its flag's
// type; env is the variable it came from, or "" for the command line.
func badValue(app *cli.App, name, value, env string) error {
	f := lookup(app.Flags, name)
	got := fmt.Sprintf("got %s", quote(value))
	if env != "" {
		got += " from " + env
	}
	hint := fmt.Sprintf("'%s --help' says what each flag takes", app.Name)
	if n := otherBase(value); n != "" && isWhole(f) {
		return exitcode.WithHint(exitcode.Usage, fmt.Errorf("%s must be %s, in decimal digits, %s", described(f, name), kind(f), got),
			fmt.Sprintf("whole numbers are read in decimal only (010 is ten): write %s if %s was meant", n, quote(value)))
	}
	return exitcode.WithHint(exitcode.Usage, fmt.Errorf("%s must be %s, %s", described(f, name), kind(f), got), hint)
}

// lookup returns the flag named name (any of its names), or nil.
func lookup(flags []cli.Flag, name string) cli.Flag {
	for _, f := range flags {
		for _, n := range f.Names() {
			if n == name {
				return f
			}
		}
	}
	return nil
}

// described names a flag for a message: "--bootstrap (NUM_BOOTSTRAP)".
func described(f cli.Flag, name string) string {
	if f == nil {
		return dashes(name)
	}
	env := ""
	if e, ok := f.(interface{ GetEnvVars() []string }); ok && len(e.GetEnvVars()) > 0 {
		env = strings.Join(e.GetEnvVars(), ", ")
	}
	return FlagName(f.Names()[0], env)
}

// kind says in words what a flag's value must be.
func kind(f cli.Flag) string {
	switch unwrapDecimal(f).(type) {
	case *cli.BoolFlag:
		return "true or false"
	case *cli.IntFlag, *cli.Int64Flag:
		return "a whole number"
	case *cli.UintFlag, *cli.Uint64Flag:
		return "a whole number, 0 or more"
	case *cli.Float64Flag:
		return "a number"
	case *cli.DurationFlag:
		return "a duration such as 90s, 15m or 1h30m"
	case *cli.IntSliceFlag, *cli.Int64SliceFlag:
		return "whole numbers separated by commas"
	case *cli.Float64SliceFlag:
		return "numbers separated by commas"
	case *cli.TimestampFlag:
		return "a time in the flag's layout"
	}
	return "a valid value"
}

// isWhole reports whether f takes a whole number.
func isWhole(f cli.Flag) bool {
	switch unwrapDecimal(f).(type) {
	case *cli.IntFlag, *cli.Int64Flag, *cli.UintFlag, *cli.Uint64Flag:
		return true
	}
	return false
}

// placeholder is the word a flag's usage puts in backquotes ("ROUNDS"),
// else VALUE.
func placeholder(f cli.Flag) string {
	if d, ok := f.(interface{ GetUsage() string }); ok {
		u := d.GetUsage()
		if i := strings.IndexByte(u, '`'); i >= 0 {
			if j := strings.IndexByte(u[i+1:], '`'); j > 0 {
				return u[i+1 : i+1+j]
			}
		}
	}
	return "VALUE"
}

// suggest returns the name of the flag closest to name when one is close
// enough to be what was meant (Jaro-Winkler similarity, as urfave/cli's own
// suggestions use, or a prefix), else "".
func suggest(flags []cli.Flag, name string) string {
	best, score := "", 0.0
	for _, f := range append(append([]cli.Flag(nil), flags...), cli.HelpFlag) {
		if f == nil {
			continue
		}
		if h, ok := f.(interface{ IsVisible() bool }); ok && !h.IsVisible() {
			continue
		}
		for _, n := range f.Names() {
			if len(n) < 2 {
				continue
			}
			s := smetrics.JaroWinkler(strings.ToLower(name), n, 0.7, 4)
			if strings.HasPrefix(n, name) && len(name) >= 3 {
				s = max(s, 0.95)
			}
			if s > score {
				best, score = n, s
			}
		}
	}
	if score < 0.8 {
		return ""
	}
	return best
}

func dashes(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// quote quotes a value for a message, showing control characters escaped.
func quote(s string) string { return fmt.Sprintf("%q", s) }

// unquote undoes the escaping of a value Go quoted with %q.
func unquote(s string) string {
	var out string
	if _, err := fmt.Sscanf(`"`+s+`"`, "%q", &out); err != nil {
		return s
	}
	return out
}
