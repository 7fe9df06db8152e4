// Command gen writes synthetic battles with style features to stdout (see
// package styletest); scripts/bench-style.sh uses it.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/bixarena/arena-snapshots/internal/style/styletest"
)

func main() {
	var o styletest.Options
	flag.IntVar(&o.Battles, "battles", 1_000_000, "number of battles")
	flag.IntVar(&o.Models, "models", 100, "number of models")
	flag.IntVar(&o.Categories, "categories", 0, "number of categories (0 to 20)")
	flag.Float64Var(&o.Ties, "ties", 0.1, "share of ties")
	flag.Float64Var(&o.Beta[0], "beta-length", 0.5, "style effect of the length difference")
	flag.Float64Var(&o.Beta[1], "beta-headers", 0.1, "style effect of the headers difference")
	flag.Uint64Var(&o.Seed, "seed", 1, "seed")
	flag.BoolVar(&o.ConvMetadata, "conv-metadata", false, "write the public conv_metadata form")
	flag.Parse()
	if err := styletest.Write(os.Stdout, o); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}
