package ranking

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/bixarena/arena-snapshots/internal/battle"
	"github.com/bixarena/arena-snapshots/internal/synth"
)

// benchInput caches generated streams across benchmarks.
var benchInput = map[string][]byte{}

func input(b *testing.B, o synth.Options) []byte {
	key := fmt.Sprint(o)
	if in, ok := benchInput[key]; ok {
		return in
	}
	var buf bytes.Buffer
	if err := synth.Write(&buf, o); err != nil {
		b.Fatal(err)
	}
	benchInput[key] = buf.Bytes()
	return buf.Bytes()
}

// rankAll decodes, aggregates and ranks, as rank does.
func rankAll(b *testing.B, in []byte, only string, rounds int) {
	agg := NewAggregator(only)
	d := battle.NewDecoder(bytes.NewReader(in), "bench")
	for d.Next() {
		agg.Add(d.Battle())
	}
	if d.Err() != nil {
		b.Fatal(d.Err())
	}
	recs := agg.Records(Options{Bootstrap: rounds, MinVotes: 10, MinBattles: 100, MinModels: 10, Seed: 1})
	if len(recs) == 0 || recs[0].Status != "ranked" {
		b.Fatalf("overall not ranked: %+v", recs)
	}
}

// The cases: 1M battles, 1000 rounds; 30 or 100 models; overall
// alone or all leaderboards (overall + 7 categories).
func BenchmarkRank(b *testing.B) {
	for _, c := range []struct {
		name        string
		models, cat int
		only        string
	}{
		{"1M/30models/overall", 30, 0, "overall"},
		{"1M/100models/overall", 100, 0, "overall"},
		{"1M/30models/all8", 30, 7, ""},
		{"1M/30models/overall-of-8", 30, 7, "overall"},
	} {
		b.Run(c.name, func(b *testing.B) {
			in := input(b, synth.Options{Battles: 1_000_000, Models: c.models, Categories: c.cat, Ties: 0.1, Seed: 1})
			b.SetBytes(int64(len(in)))
			b.ResetTimer()
			for range b.N {
				rankAll(b, in, c.only, 1000)
			}
		})
	}
}

// Reading alone: decode and aggregate, no fit.
func BenchmarkAggregate(b *testing.B) {
	in := input(b, synth.Options{Battles: 1_000_000, Models: 30, Categories: 7, Ties: 0.1, Seed: 1})
	b.SetBytes(int64(len(in)))
	b.ResetTimer()
	for range b.N {
		agg := NewAggregator("")
		d := battle.NewDecoder(bytes.NewReader(in), "bench")
		for d.Next() {
			agg.Add(d.Battle())
		}
	}
}
