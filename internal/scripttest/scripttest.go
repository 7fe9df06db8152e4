// Package scripttest holds what the tools' testscript tests share: the
// script commands that run a tool in the test binary.
package scripttest

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
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
