// Package scripttest holds what the tools' command-line tests share: the
// script commands that run a tool in the test binary, and a run with a
// terminal on stderr.
package scripttest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"testing"

	"github.com/creack/pty"
)

// Run is a tool's testable entry point.
type Run func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int

// Commands returns the commands for testscript.Main: the tool itself, and
// "exits N TOOL ARGS...", which runs the tool and succeeds when its exit
// status is N (testscript's own "! exec" cannot tell one failure from
// another).
func Commands(tool string, run Run) map[string]func() {
	return map[string]func(){
		tool: func() { os.Exit(run(context.Background(), os.Args, os.Stdin, os.Stdout, os.Stderr)) },
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
	}
}

// OnTerminal runs the tool with a pseudo-terminal as its stderr and
// returns its exit status, its stdout and what the terminal showed. It
// skips t where no pseudo-terminal can be had.
func OnTerminal(t testing.TB, run Run, args ...string) (code int, stdout, screen string) {
	t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	defer ptmx.Close()
	shown := make(chan string)
	go func() {
		b, _ := io.ReadAll(ptmx) // ends when the terminal's last end closes
		shown <- string(b)
	}()
	var out bytes.Buffer
	code = run(context.Background(), args, nil, &out, tty)
	tty.Close()
	return code, out.String(), <-shown
}
