package clix

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// Stopped is why a tool's context ended when SIGINT or SIGTERM arrived: the
// context's cause (context.Cause).
type Stopped struct {
	Signal syscall.Signal
}

func (s *Stopped) Error() string {
	switch s.Signal {
	case syscall.SIGINT:
		return "stopped by SIGINT"
	case syscall.SIGTERM:
		return "stopped by SIGTERM"
	}
	return fmt.Sprintf("stopped by signal %d", int(s.Signal))
}

// Status is the exit status of a tool stopped by the signal: 128 plus its
// number, as a shell reports a process killed by it (130 for SIGINT, 143
// for SIGTERM).
func (s *Stopped) Status() int { return 128 + int(s.Signal) }

// SignalContext returns a context that ends, with a *Stopped cause, at the
// first SIGINT or SIGTERM. Later ones are caught too: a pipe stopped from
// a terminal gets each signal twice (from the terminal and from the job
// passing it on), and Run ends the tool within stopGrace anyway. stop
// releases the signals.
func SignalContext(parent context.Context) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(parent)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case sig := <-ch:
			cancel(&Stopped{Signal: sig.(syscall.Signal)})
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		close(done)
		cancel(nil)
	}
}

// StoppedBy returns the signal that ended ctx, or nil.
func StoppedBy(ctx context.Context) *Stopped {
	if s, ok := context.Cause(ctx).(*Stopped); ok {
		return s
	}
	return nil
}

// Main runs a tool's run function on the process's arguments and streams,
// with a context that SIGINT and SIGTERM end, and exits with its status.
//
// SIGPIPE is caught, never acted on: a write to a stdout or stderr whose
// reader quit returns EPIPE instead of killing the process mid-way (Go's
// default for those two), so that each tool decides what a lost output
// means (exitcode.BrokenPipe). Caught rather than ignored, so that a
// program the tool started would not inherit the disposition.
func Main(run func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int) {
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
	ctx, stop := SignalContext(context.Background())
	code := run(ctx, os.Args, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// stopGrace is how long Run waits, after a signal, for the tool's action to
// return by itself (rolling back a transaction, removing a temporary file)
// before it reports the stop and returns, abandoning the work in flight
// (main then exits). Abandoning leaves nothing that a reader would take for
// whole: rank writes nothing before its work is done, a battles stream
// without its trailer is refused, a database transaction not committed is
// rolled back when its connection goes, and a file is renamed into place
// only once written.
const stopGrace = 400 * time.Millisecond
