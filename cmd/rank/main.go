// Command rank reads arena battles (NDJSON) and writes one ranked
// leaderboard per line: Bradley-Terry scores with bootstrap confidence
// intervals, for overall and every category, in one pass over the input.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
