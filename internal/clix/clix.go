// Package clix owns the command-line conventions the three tools share:
// running a urfave/cli app on injected streams without letting it exit the
// process, reporting each error once with its exit status and an optional
// hint, messages on stderr (plain "tool: message" lines, or JSON lines with
// a correlation id when LOG_FORMAT=json), and the tools' version.
package clix

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/bixarena/arena-snapshots/internal/exitcode"
	"github.com/mattn/go-isatty"
	"github.com/urfave/cli/v2"
)

// version is set at build time with -ldflags "-X .../internal/clix.version=v1.2.3".
var version = ""

// Version returns the tools' version: the one set at build time, else the
// module version or VCS revision recorded by the Go toolchain, else "dev".
func Version() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v := bi.Main.Version; v != "" && v != "(devel)" {
			return v
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				return "dev-" + s.Value[:12]
			}
		}
	}
	return "dev"
}

// IsTerminal reports whether w is a terminal (for progress bars).
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// LogFormats are the values LOG_FORMAT may take ("" is text).
var LogFormats = []string{"text", "json"}

// checkLogFormat refuses a LOG_FORMAT that is neither of LogFormats: it
// would be read as text without a word.
func checkLogFormat(getenv func(string) string) error {
	v := strings.TrimSpace(getenv("LOG_FORMAT"))
	if v == "" || slices.ContainsFunc(LogFormats, func(f string) bool { return strings.EqualFold(f, v) }) {
		return nil
	}
	return exitcode.WithHint(exitcode.Usage, fmt.Errorf("LOG_FORMAT must be text or json, got %s", quote(v)),
		"json: one JSON object per line on stderr, with CORRELATION_ID; text (or unset): tool: message lines")
}

// settingsOK says, after a successful --check-settings, that the settings
// can work: one line on stderr when a person reads it (a terminal, text
// logs); silent in a script, where the status says it.
func settingsOK(app *cli.App, stderr io.Writer, log *Logger) {
	args, _ := app.Metadata[argsKey].([]string)
	checked := false
	for _, a := range args[min(1, len(args)):] {
		if a == "--" {
			break
		}
		if a == "--"+CheckSettings || a == "-"+CheckSettings || strings.HasPrefix(a, "--"+CheckSettings+"=true") {
			checked = true
		}
	}
	if checked && !log.JSON() && IsTerminal(stderr) {
		fmt.Fprintf(stderr, "%s: settings ok: the flags, variables and places given can work (nothing was read or written)\n", app.Name)
	}
}

// Logger writes a tool's messages to stderr. In plain mode, warnings and
// errors are "tool: message" lines and events are silent; in JSON mode
// (LOG_FORMAT=json) every message and event is a JSON line carrying the
// tool's name and the correlation id (CORRELATION_ID).
type Logger struct {
	tool string
	w    io.Writer
	json *slog.Logger

	mu       sync.Mutex
	progress *Progress // the line drawn, if any (see above)
}

// above sends plain messages above the progress line p while it is drawn;
// nil sends them to the logger's writer again.
func (l *Logger) above(p *Progress) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.progress = p
}

// print writes a plain message: above the progress line when one is
// drawn, else on the logger's writer.
func (l *Logger) print(s string) {
	l.mu.Lock()
	p := l.progress
	l.mu.Unlock()
	if p != nil {
		if _, err := io.WriteString(p.container, s); err == nil {
			return
		}
	}
	io.WriteString(l.w, s)
}

// endProgress clears the progress line, if one is drawn, so that a last
// message reaches the terminal before the tool exits.
func (l *Logger) endProgress() {
	l.mu.Lock()
	p := l.progress
	l.mu.Unlock()
	p.stop()
}

// NewLogger returns the logger for tool writing to w, configured from the
// environment through getenv.
func NewLogger(tool string, w io.Writer, getenv func(string) string) *Logger {
	l := &Logger{tool: tool, w: w}
	if strings.EqualFold(getenv("LOG_FORMAT"), "json") {
		h := slog.NewJSONHandler(w, &slog.HandlerOptions{
			ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
				if len(groups) == 0 && a.Key == slog.TimeKey {
					a.Value = slog.StringValue(a.Value.Time().UTC().Format(time.RFC3339Nano))
				}
				return a
			},
		})
		lg := slog.New(h).With("tool", tool)
		if id := getenv("CORRELATION_ID"); id != "" {
			lg = lg.With("correlation_id", id)
		}
		l.json = lg
	}
	return l
}

// JSON reports whether the logger writes JSON lines.
func (l *Logger) JSON() bool { return l.json != nil }

// Warnf reports something the user should know that does not stop the tool.
func (l *Logger) Warnf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if l.json != nil {
		l.json.Warn(msg, "event", "warning")
		return
	}
	l.print(fmt.Sprintf("%s: %s\n", l.tool, Printable(msg)))
}

// Event records a structured event (start, complete, ...). Plain mode drops
// it: a tool that succeeds is quiet on a shell.
func (l *Logger) Event(event string, attrs ...any) {
	if l.json == nil {
		return
	}
	l.json.Info(event, append([]any{"event", event}, attrs...)...)
}

// Error reports err once, with its hint on a line of its own. A quiet
// error (exitcode.IsQuiet: stdout's reader quit) is a JSON line only, as
// a shell prints nothing for a stage that a broken pipe ended.
func (l *Logger) Error(err error) {
	hint := exitcode.HintOf(err)
	if l.json != nil {
		attrs := []any{"event", "error", "exit_status", exitcode.Code(err)}
		if hint != "" {
			attrs = append(attrs, "hint", hint)
		}
		l.json.Error(err.Error(), attrs...)
		return
	}
	if exitcode.IsQuiet(err) {
		return
	}
	l.print(fmt.Sprintf("%s: %s\n", l.tool, Printable(err.Error())))
	if hint != "" {
		l.print(fmt.Sprintf("%s: hint: %s\n", l.tool, Printable(hint)))
	}
}

// Printable returns s for a terminal: control and format characters (ESC,
// CR, a line break, bidirectional overrides) and invalid UTF-8 are shown
// escaped as Go writes them (\x1b, \n, \u202e), so that data inside a
// message can neither drive the terminal nor forge a line.
func Printable(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029' {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i, w := 0, 0; i < len(s); i += w {
		r, n := utf8.DecodeRuneInString(s[i:])
		w = n
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, "\\x%02x", s[i])
		case unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029':
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteString(s[i : i+n])
		}
	}
	return b.String()
}

// Run runs app on args with the given streams and returns the exit status.
// The app must not exit the process: Run sets its streams and error
// handling. Flags may come anywhere among the operands (see permute).
// Errors from the app's action keep their exit status (an error without
// one is an internal failure); errors urfave/cli raises before the action
// runs (an unknown flag, a flag or environment value that does not parse)
// are usage errors in plain words (see usageError). Each error is reported
// once on stderr.
//
// When ctx ends by SIGINT or SIGTERM (SignalContext), the status is 130 or
// 143 unless the action still succeeds; Run waits stopGrace at most for
// the action to return, then reports the stop and returns.
//
// A panic in the tool's own goroutine, or in one it started and waited
// for with an exitcode.Group, is an internal failure (status 1, "internal
// error: …" with the stack of the goroutine that panicked on stderr),
// never Go's status 2, which the job would read as a usage error.
func Run(ctx context.Context, app *cli.App, args []string, stdin io.Reader, stdout, stderr io.Writer, log *Logger) int {
	app.Reader = stdin
	app.Writer = stdout
	app.ErrWriter = stderr
	app.ExitErrHandler = func(*cli.Context, error) {}
	app.HideHelpCommand = true
	app.Version = Version()
	decimalFlags(app)
	if app.OnUsageError == nil {
		app.OnUsageError = func(_ *cli.Context, err error, _ bool) error { return usageError(app, err) }
	}
	if act := app.Action; act != nil {
		app.Action = func(c *cli.Context) error {
			err := act(c)
			if err != nil && !errors.As(err, new(*exitcode.Error)) {
				err = exitcode.New(exitcode.Failure, err)
			}
			return err
		}
	}
	done := make(chan error, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				if gp, ok := p.(*exitcode.Panicked); ok {
					// Raised again from another goroutine: its own stack.
					done <- &panicked{value: gp.Value, stack: gp.Stack}
					return
				}
				done <- &panicked{value: p, stack: debug.Stack()}
			}
		}()
		if err := checkLogFormat(os.Getenv); err != nil {
			done <- err
			return
		}
		args, err := permute(app, args)
		if err != nil {
			done <- err
			return
		}
		if app.Metadata == nil {
			app.Metadata = map[string]any{}
		}
		app.Metadata[argsKey] = args
		done <- app.RunContext(ctx, args)
	}()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		select {
		case err = <-done:
		case <-time.After(stopGrace):
			err = exitcode.New(exitcode.Failure, context.Cause(ctx))
		}
	}
	if err == nil {
		settingsOK(app, stderr, log)
		return exitcode.OK
	}
	log.endProgress() // the action may still run, with its line drawn
	if p, ok := err.(*panicked); ok {
		log.Error(exitcode.WithHint(exitcode.Failure, fmt.Errorf("internal error: panic: %v", p.value),
			"this is a bug; the stack follows"))
		stderr.Write(p.stack)
		return exitcode.Failure
	}
	if s := StoppedBy(ctx); s != nil {
		log.Error(exitcode.New(s.Status(), s))
		return s.Status()
	}
	if !errors.As(err, new(*exitcode.Error)) {
		err = usageError(app, err)
	}
	log.Error(err)
	return exitcode.Code(err)
}

// panicked is a panic of the tool's goroutine, with its stack.
type panicked struct {
	value any
	stack []byte
}

func (p *panicked) Error() string { return fmt.Sprint("panic: ", p.value) }

// Usagef is a usage error naming what is wrong.
func Usagef(format string, args ...any) error {
	return exitcode.Errorf(exitcode.Usage, format, args...)
}

// FlagName names a flag for messages: "--bootstrap (NUM_BOOTSTRAP)" when the
// flag reads an environment variable and the value came from it or could
// have, else "--bootstrap".
func FlagName(name, env string) string {
	if env == "" {
		return "--" + name
	}
	return fmt.Sprintf("--%s (%s)", name, env)
}

// IntInRange checks a flag's value against [lo, hi] with a usage error
// naming the flag and its environment variable, and the variable again
// when the value came from it (see Got).
func IntInRange(c *cli.Context, name, env string, lo, hi int) (int, error) {
	v := c.Int(name)
	if v < lo || v > hi {
		return 0, Usagef("%s must be between %d and %d, %s", FlagName(name, env), lo, hi, Got(c, name, env, v))
	}
	return v, nil
}

// argsKey keeps, in the app's Metadata, the arguments Run parsed.
const argsKey = "clix.args"

// Got ends a message about a flag's value: `got 0 from NUM_BOOTSTRAP` when
// the value came from the variable env (set, and the flag not given on the
// command line), else `got 0`, as the parse errors say it. Strings are
// quoted.
func Got(c *cli.Context, name, env string, v any) string {
	got := fmt.Sprintf("got %v", v)
	if s, ok := v.(string); ok {
		got = "got " + quote(s)
	}
	if env != "" && strings.TrimSpace(os.Getenv(env)) != "" && !onCommandLine(c, name) {
		got += " from " + env
	}
	return got
}

// onCommandLine reports whether the flag name (or one of its aliases) was
// given on the command line Run parsed.
func onCommandLine(c *cli.Context, name string) bool {
	args, _ := c.App.Metadata[argsKey].([]string)
	names := []string{name}
	if f := lookup(c.App.Flags, name); f != nil {
		names = f.Names()
	}
	for _, a := range args[min(1, len(args)):] {
		if a == "--" {
			break
		}
		if !strings.HasPrefix(a, "-") {
			continue // an operand, or a flag's value
		}
		a, _, _ = strings.Cut(strings.TrimLeft(a, "-"), "=")
		if slices.Contains(names, a) {
			return true
		}
	}
	return false
}
