// Command gen writes a synthetic battle stream to stdout (see package
// synth); scripts/bench.sh uses it.
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
	flag.Parse()
	if err := synth.Write(os.Stdout, o); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}
