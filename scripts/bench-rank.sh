#!/usr/bin/env bash
# Benchmarks rank on synthetic battles (package synth: Zipf-like pair
# popularity, 10% ties, up to two categories per battle) and prints a
# table: case, best wall time of RUNS runs (default 3), user CPU time, peak
# memory (maximum resident set size), and the issue's target.
#
#   scripts/bench-rank.sh
#
# Input files are generated once into .cache/bench (about 300 MB); the
# 10M-battle case is piped straight from the generator.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'bench-rank.sh: %s\n' "$*" >&2; }
runs=${RUNS:-3}

if [ ! -x /usr/bin/time ]; then
	say "installing GNU time for peak memory"
	apt-get install -y -qq time >/dev/null 2>&1 || { say "GNU time is missing and could not be installed"; exit 1; }
fi

bin=.cache/bench/bin
data=.cache/bench
mkdir -p "$bin"
go build -o "$bin/rank" ./cmd/rank
go build -o "$bin/gen" ./internal/synth/gen
for spec in "30 0" "100 0" "30 7" "300 20"; do
	set -- $spec
	f="$data/1M-$1models-$2cat.ndjson"
	[ -s "$f" ] || { say "generating $f"; "$bin/gen" -battles 1000000 -models "$1" -categories "$2" >"$f"; }
done
# 1000 models, 150k battles: the default shape (30,000 pairs met) and a
# sparser one (80,000 pairs, few battles per pair, some models with few
# votes).
[ -s "$data/150k-1000models.ndjson" ] || "$bin/gen" -battles 150000 -models 1000 >"$data/150k-1000models.ndjson"
[ -s "$data/150k-1000models-sparse.ndjson" ] ||
	"$bin/gen" -battles 150000 -models 1000 -pair-exponent 0.7 -model-spread 0.8 >"$data/150k-1000models-sparse.ndjson"

# measure NAME TARGET CMD...: best wall of $runs, with that run's user time and peak memory.
measure() {
	local name=$1 target=$2 best="" line
	shift 2
	for _ in $(seq "$runs"); do
		/usr/bin/time -o "$data/time" -f '%e %U %M' "$@" >/dev/null 2>&1
		line=$(tail -n1 "$data/time")
		if [ -z "$best" ] || awk -v a="${line%% *}" -v b="${best%% *}" 'BEGIN{exit !(a<b)}'; then best=$line; fi
	done
	set -- $best
	printf '%-44s %8s %8s %8.1f   %s\n' "$name" "$1" "$2" "$(awk -v k="$3" 'BEGIN{print k/1024}')" "$target"
}

printf '%-44s %8s %8s %8s   %s\n' "rank, 1000 rounds, 2 threads" "wall s" "user s" "peak MB" "target"
measure "1M battles, 30 models, overall" "<= 0.5 s, <= 64 MB" "$bin/rank" --leaderboard overall "$data/1M-30models-0cat.ndjson"
measure "1M battles, 100 models, overall" "<= 2 s" "$bin/rank" --leaderboard overall "$data/1M-100models-0cat.ndjson"
measure "1M battles, 30 models, overall of 8" "" "$bin/rank" --leaderboard overall "$data/1M-30models-7cat.ndjson"
measure "1M battles, 30 models, all 8 leaderboards" "<= 2x overall of 8" "$bin/rank" "$data/1M-30models-7cat.ndjson"
# Many models and sparse category leaderboards (some with many ill-posed
# rounds, whose rounds are one-step rounds), and one board of 1000 models.
measure "1M battles, 300 models, all 21" "<= 8 s" "$bin/rank" "$data/1M-300models-20cat.ndjson"
measure "150k battles, 1000 models, overall" "<= 10 s, <= 200 MB" "$bin/rank" --leaderboard overall "$data/150k-1000models.ndjson"
measure "150k battles, 1000 models, sparse, overall" "" "$bin/rank" --leaderboard overall "$data/150k-1000models-sparse.ndjson"
measure "10M battles, 30 models, all 8 (piped)" "<= 64 MB" sh -c "'$bin/gen' -battles 10000000 -models 30 -categories 7 | '$bin/rank'"
# The ratio from runs of the two cases taken in turns, so that both meet
# the same machine: the median of RUNS pairs (best walls of runs made at
# different moments would compare different machines when it is busy).
wall() { /usr/bin/time -o "$data/time" -f '%e' "$@" >/dev/null 2>&1; tail -n1 "$data/time"; }
ratios=$(for _ in $(seq "$runs"); do
	one=$(wall "$bin/rank" --leaderboard overall "$data/1M-30models-7cat.ndjson")
	all=$(wall "$bin/rank" "$data/1M-30models-7cat.ndjson")
	awk -v a="$all" -v b="$one" 'BEGIN{printf "%.2f\n", a/b}'
done | sort -n | tr '\n' ' ')
printf '%-44s %8s   (runs in turns: %s)\n' "ratio all 8 / overall of 8, median" \
	"$(printf '%s\n' $ratios | awk '{v[NR]=$1} END{print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}')" "$ratios"
printf '(%s, %s cores, load %s)\n' "$(go version | cut -d' ' -f3)" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
