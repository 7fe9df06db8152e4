package ranking

import (
	"bytes"
	"io"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/bixarena/arena-snapshots/internal/battle"
	"github.com/bixarena/arena-snapshots/internal/leaderboard"
	"github.com/bixarena/arena-snapshots/internal/synth"
	"github.com/goccy/go-json"
)

// BenchmarkUncertainty measures what rank ranges, tiers and head-to-head
// counts add to rank on 1M battles among 100 models in 21 leaderboards,
// 1000 rounds, 2 threads: each iteration reads, ranks and encodes the same
// input three times in turns, without them (rank before they existed),
// with them (rank's default) and with --pairs, and reports each one's
// wall and CPU seconds, its output's size and the ratios to the first, so
// that the three meet the same machine (go test -run '^$' -bench Uncertainty -benchtime 3x
// ./internal/ranking; scripts/bench-site.sh).
func BenchmarkUncertainty(b *testing.B) {
	in := input(b, synth.Options{Battles: 1_000_000, Models: 100, Categories: 20, Ties: 0.1, Seed: 1})
	o := Options{Bootstrap: 1000, MinVotes: 10, MinBattles: 30, MinModels: 4, Seed: 1, Threads: 2}
	variants := []struct {
		name string
		o    Options
	}{{"without", o}, {"with", o}, {"pairs", o}}
	variants[0].o.noUncertainty = true
	variants[2].o.Pairs = true
	wall := make([]time.Duration, len(variants))
	cpu := make([]time.Duration, len(variants))
	size := make([]int, len(variants))
	b.ResetTimer()
	for range b.N {
		for i, v := range variants {
			start, startCPU := time.Now(), cpuTime(b)
			size[i] = rankAndEncode(b, in, v.o)
			wall[i] += time.Since(start)
			cpu[i] += cpuTime(b) - startCPU
		}
	}
	step := uncertaintyStep(b, in, o)
	b.ReportMetric(step.Seconds(), "step-cpu-s")
	b.ReportMetric(step.Seconds()/(cpu[0].Seconds()/float64(b.N)), "step/without-cpu")
	for i, v := range variants {
		b.ReportMetric(wall[i].Seconds()/float64(b.N), v.name+"-wall-s")
		b.ReportMetric(cpu[i].Seconds()/float64(b.N), v.name+"-cpu-s")
		b.ReportMetric(float64(size[i])/1e6, v.name+"-MB")
		if i > 0 {
			b.ReportMetric(wall[i].Seconds()/wall[0].Seconds(), v.name+"/without-wall")
			b.ReportMetric(cpu[i].Seconds()/cpu[0].Seconds(), v.name+"/without-cpu")
		}
	}
}

// cpuTime is the CPU time the process has used, user and system: on a
// busy machine it varies less than wall time.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// uncertaintyStep returns the CPU time of what rank ranges, tiers and
// head-to-head counts add to ranking the leaderboards of in, alone: the
// step itself and the encoding of the larger records, the mean of ten
// repetitions over boards fitted and bootstrapped once. Timed alone on one
// thread, it varies less on a busy machine than the difference of two
// whole runs.
func uncertaintyStep(b *testing.B, in []byte, o Options) time.Duration {
	agg := NewAggregator("")
	d := battle.NewDecoder(bytes.NewReader(in), "bench")
	for d.Next() {
		agg.Add(d.Battle())
	}
	plain := o
	plain.noUncertainty = true
	var boards []*fitted
	var recs []leaderboard.Record
	for _, slug := range agg.Leaderboards() {
		f := agg.prepare(agg.canonical(agg.boards[slug]), plain)
		f.bootstrap(plain)
		boards, recs = append(boards, f), append(recs, f.record(plain))
	}
	const reps = 10
	start := cpuTime(b)
	for range reps {
		for i, f := range boards {
			r := recs[i]
			if r.Status != leaderboard.Ranked {
				continue
			}
			r.Entries = slices.Clone(r.Entries)
			f.uncertainty(&r, o, &f.boot)
			with, _ := json.Marshal(r)
			without, _ := json.Marshal(recs[i])
			io.Discard.Write(with)
			io.Discard.Write(without)
		}
	}
	spent := cpuTime(b) - start
	// The encoding of the record without them was rank's already.
	start = cpuTime(b)
	for range reps {
		for i := range boards {
			without, _ := json.Marshal(recs[i])
			io.Discard.Write(without)
		}
	}
	return (spent - (cpuTime(b) - start)) / reps
}

// rankAndEncode does what rank does with its input and returns the bytes
// of NDJSON written.
func rankAndEncode(b *testing.B, in []byte, o Options) int {
	agg := NewAggregator("")
	d := battle.NewDecoder(bytes.NewReader(in), "bench")
	for d.Next() {
		agg.Add(d.Battle())
	}
	if d.Err() != nil {
		b.Fatal(d.Err())
	}
	n := 0
	for _, r := range agg.Records(o) {
		line, err := json.Marshal(r)
		if err != nil {
			b.Fatal(err)
		}
		n += len(line) + 1
		io.Discard.Write(line)
	}
	return n
}
