#!/usr/bin/env bash
# Measures what rank ranges, tiers and head-to-head counts cost rank:
# 1M synthetic battles among 100 models in 21 leaderboards (overall and 20
# categories), 1000 rounds, 2 threads; in each of RUNS iterations (default
# 3) the same input is read, ranked and encoded without them (rank before
# they existed), with them (the default) and with --pairs, in turns, so
# that the ratios compare runs on the same machine. The step alone (rank
# ranges, tiers, head-to-head counts and the encoding of the larger
# records, timed on boards fitted once) is measured in CPU time, which a
# busy machine disturbs less than the difference of two whole runs. The
# target: under 10% over rank without them.
#
#   scripts/bench-site.sh
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-3}
out=$(go test -run '^$' -bench '^BenchmarkUncertainty$' -benchtime "${runs}x" -timeout 60m ./internal/ranking | grep -E '^BenchmarkUncertainty')
metric() { printf '%s\n' "$out" | tr -s ' \t' '\n' | grep -B1 -x "$1" | head -n1; }
printf '%-44s %8s %8s %8s %10s %10s\n' "rank, 1M battles, 100 models, 21 boards" "wall s" "cpu s" "MB out" "wall ratio" "cpu ratio"
for v in without with pairs; do
	wr=1.00 cr=1.00
	if [ "$v" != without ]; then wr=$(metric "$v/without-wall"); cr=$(metric "$v/without-cpu"); fi
	case $v in
	without) name="without rank ranges, tiers, head to head" ;;
	with) name="with them (rank's default)" ;;
	pairs) name="with --pairs" ;;
	esac
	printf '%-44s %8.2f %8.2f %8.2f %10.3f %10.3f\n' "$name" "$(metric "$v-wall-s")" "$(metric "$v-cpu-s")" "$(metric "$v-MB")" "$wr" "$cr"
done
printf '%-44s %8s %8.2f %8s %10s %10.3f\n' "the step alone (cpu, mean of 10)" "" "$(metric step-cpu-s)" "" "" "$(metric step/without-cpu)"
printf '(%s runs in turns; %s, %s cores, load %s)\n' "$runs" "$(go version | cut -d' ' -f3)" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
