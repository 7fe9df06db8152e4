// Command gen writes a synthetic battle stream to stdout (see package
// synth); scripts/bench.sh and scripts/bench-rank.sh use it.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/bixarena/arena-snapshots/internal/synth"
)

func main() {
	var o synth.Options
	flag.IntVar(&o.Battles, "battles", 1_000_000, "number of battles")
	flag.IntVar(&o.Models, "models", 30, "number of models")
	flag.IntVar(&o.Categories, "categories", 0, "number of categories (0 to 20)")
	flag.Float64Var(&o.Ties, "ties", 0.1, "share of ties")
	flag.Uint64Var(&o.Seed, "seed", 1, "seed")
	flag.BoolVar(&o.Aggregate, "aggregate", false, "write one line per distinct battle with a count")
	flag.Float64Var(&o.PairExponent, "pair-exponent", 0, "Zipf exponent of pair popularity (0: 1.1)")
	flag.Float64Var(&o.ModelSpread, "model-spread", 0, "standard deviation of the models' log popularity (0: all alike)")
	flag.Float64Var(&o.Spread, "spread", 0, "standard deviation of the true strengths, log10 units (0: 0.35)")
	flag.IntVar(&o.Groups, "groups", 0, "groups of models that mostly meet each other (0: none)")
	flag.Float64Var(&o.CrossGroup, "cross-group", 0, "popularity of a pair across groups, relative (0: 0.02)")
	flag.Parse()
	if err := synth.Write(os.Stdout, o); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}
