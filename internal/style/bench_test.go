package style

import (
	"sync"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the process's user and system time so far: on a busy
// machine it measures the work where wall time measures the neighbours.
func cpuTime() time.Duration {
	var u syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &u)
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}

// reportCPU adds the CPU seconds per operation since start to b's output.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric((cpuTime()-start).Seconds()/float64(b.N), "cpu-s/op")
}

// bench1M is a leaderboard of 1M battles among 100 models with four
// features, made once.
var bench1M = sync.OnceValue(func() world {
	return simulate(1, 100, 1_000_000, [K]float64{0.3, 0.1, 0, -0.1}, true)
})

// The case: 1M battles, 100 models, 4 features; the fit and its
// sandwich intervals (target 2 s on two cores).
func BenchmarkFitSandwich1M(b *testing.B) {
	w := bench1M()
	b.ResetTimer()
	start := cpuTime()
	for range b.N {
		f := Fit(w.p, Options{})
		Sandwich(w.p, f)
	}
	reportCPU(b, start)
}

// 100 bootstrap rounds of the same leaderboard, two threads (target 20 s).
func BenchmarkBootstrap100x1M(b *testing.B) {
	w := bench1M()
	f := Fit(w.p, Options{})
	b.ResetTimer()
	start := cpuTime()
	for range b.N {
		Bootstrap(w.p, f, BootOptions{Rounds: 100, Seed: 1, Threads: 2})
	}
	reportCPU(b, start)
}
