package clix

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"
)

// Whole numbers are read in decimal only, from the command line and from
// the environment alike: "010" is ten, as people mean it (Go's parsers,
// which urfave/cli uses, read it as octal eight), and a number written
// with a base prefix (0x10, 0o10, 0b11) or with "_" between its digits is
// refused, naming the flag and its variable. decimalFlags puts this rule
// under every integer flag of an app, so that no tool can forget it.

// decimalFlags replaces app's integer flags (int, int64, uint, uint64) by
// the same flags reading decimal only.
func decimalFlags(app *cli.App) {
	for i, f := range app.Flags {
		switch f := f.(type) {
		case *cli.IntFlag:
			app.Flags[i] = &decimalInt{f}
		case *cli.Int64Flag:
			app.Flags[i] = &decimalInt64{f}
		case *cli.UintFlag:
			app.Flags[i] = &decimalUint{f}
		case *cli.Uint64Flag:
			app.Flags[i] = &decimalUint64{f}
		}
	}
}

type decimalInt struct{ *cli.IntFlag }
type decimalInt64 struct{ *cli.Int64Flag }
type decimalUint struct{ *cli.UintFlag }
type decimalUint64 struct{ *cli.Uint64Flag }

func (d *decimalInt) Apply(set *flag.FlagSet) error {
	return applyDecimal(set, d.IntFlag, &d.EnvVars, &d.HasBeenSet, strconv.IntSize, false, d.IntFlag.Apply)
}

func (d *decimalInt64) Apply(set *flag.FlagSet) error {
	return applyDecimal(set, d.Int64Flag, &d.EnvVars, &d.HasBeenSet, 64, false, d.Int64Flag.Apply)
}

func (d *decimalUint) Apply(set *flag.FlagSet) error {
	return applyDecimal(set, d.UintFlag, &d.EnvVars, &d.HasBeenSet, strconv.IntSize, true, d.UintFlag.Apply)
}

func (d *decimalUint64) Apply(set *flag.FlagSet) error {
	return applyDecimal(set, d.Uint64Flag, &d.EnvVars, &d.HasBeenSet, 64, true, d.Uint64Flag.Apply)
}

// unwrapDecimal returns the urfave/cli flag under a decimal one.
func unwrapDecimal(f cli.Flag) cli.Flag {
	switch d := f.(type) {
	case *decimalInt:
		return d.IntFlag
	case *decimalInt64:
		return d.Int64Flag
	case *decimalUint:
		return d.UintFlag
	case *decimalUint64:
		return d.Uint64Flag
	}
	return f
}

// applyDecimal reads the flag's variable (the first of envs that is set)
// in decimal, lets urfave/cli register the flag (apply) without it, then
// puts a decimal reader under each of its names, holding the value read
// from the variable, or the default. A value that does not read is
// reported as urfave/cli reports one, for usageError to put in words.
func applyDecimal(set *flag.FlagSet, f cli.Flag, envs *[]string, hasBeenSet *bool, bits int, unsigned bool, apply func(*flag.FlagSet) error) error {
	var fromEnv *decimalValue
	for _, env := range *envs {
		v, ok := os.LookupEnv(strings.TrimSpace(env))
		if !ok {
			continue
		}
		if v = strings.TrimSpace(v); v != "" {
			d := &decimalValue{bits: bits, unsigned: unsigned}
			if err := d.Set(v); err != nil {
				return fmt.Errorf("could not parse %q as int value from environment variable %q for flag %s: %v", v, env, f.Names()[0], err)
			}
			fromEnv = d
		}
		break
	}
	// urfave/cli would read the variable again, in any base ("08" fails).
	saved := *envs
	*envs = nil
	err := apply(set)
	*envs = saved
	if err != nil {
		return err
	}
	if fromEnv != nil {
		*hasBeenSet = true
	}
	for _, name := range f.Names() {
		fl := set.Lookup(name)
		if fl == nil {
			continue
		}
		d := &decimalValue{bits: bits, unsigned: unsigned}
		if fromEnv != nil {
			*d = *fromEnv
		} else if err := d.Set(fl.Value.String()); err != nil {
			return err
		}
		fl.Value = d
	}
	return nil
}

// decimalValue is a flag.Value holding a whole number read in decimal.
// Its String is the plain decimal form, which urfave/cli's accessors
// (c.Int, c.Uint64, ...) read back in any base to the same number.
type decimalValue struct {
	n        int64
	u        uint64
	bits     int
	unsigned bool
}

func (d *decimalValue) Set(s string) error {
	if err := decimalSyntax(s, d.unsigned); err != nil {
		return err
	}
	var err error
	if d.unsigned {
		d.u, err = strconv.ParseUint(s, 10, d.bits)
	} else {
		d.n, err = strconv.ParseInt(s, 10, d.bits)
	}
	if errors.Is(err, strconv.ErrRange) {
		return errors.New("out of range")
	}
	return err
}

func (d *decimalValue) String() string {
	if d == nil {
		return "0"
	}
	if d.unsigned {
		return strconv.FormatUint(d.u, 10)
	}
	return strconv.FormatInt(d.n, 10)
}

func (d *decimalValue) Get() any {
	if d.unsigned {
		return d.u
	}
	return d.n
}

// errNotDecimal is decimalSyntax's error for a number written in another
// base or with separators.
var errNotDecimal = errors.New("not written in decimal digits")

// decimalSyntax checks that s is decimal digits after an optional sign
// (none when unsigned), leading zeros allowed.
func decimalSyntax(s string, unsigned bool) error {
	digits := s
	if !unsigned && (strings.HasPrefix(s, "+") || strings.HasPrefix(s, "-")) {
		digits = s[1:]
	}
	if digits == "" {
		return errors.New("no digits")
	}
	for _, r := range digits {
		if r < '0' || r > '9' {
			return errNotDecimal
		}
	}
	return nil
}

// otherBase says how s reads in the base its prefix names ("0x10" is 16),
// when it is a whole number written that way (Go's syntax: 0x, 0o, 0b,
// "_" between digits), else "".
func otherBase(s string) string {
	if decimalSyntax(s, false) == nil {
		return ""
	}
	if n, err := strconv.ParseInt(s, 0, 64); err == nil {
		return strconv.FormatInt(n, 10)
	}
	if n, err := strconv.ParseUint(s, 0, 64); err == nil {
		return strconv.FormatUint(n, 10)
	}
	return ""
}
