// Command rank reads arena battles (NDJSON) and writes one ranked
// leaderboard per line: Bradley-Terry scores with bootstrap confidence
// intervals, for overall and every category, in one pass over the input.
package main

import "github.com/bixarena/arena-snapshots/internal/clix"

func main() { clix.Main(run) }
