#!/usr/bin/env bash
# Runs the project's benchmarks and prints their tables. Timings are wall
# clock on whatever this machine is doing: each table says its conditions,
# and the load average is printed with it.
#
#   scripts/bench.sh            everything (makes 1M-battle databases once: a few minutes)
#   scripts/bench.sh rank       only rank (no database needed)
#   scripts/bench.sh go         only the Go benchmarks of the cores
#   scripts/bench.sh style      only style control (scripts/bench-style.sh)
#
# The parts: rank on synthetic battles (scripts/bench-rank.sh) and what
# its rank ranges, tiers and head-to-head counts cost (scripts/bench-site.sh);
# battles-export against psql \copy (scripts/bench-export.sh); publishing
# 21 leaderboards of 100 models to PostgreSQL and S3 (BenchmarkPublish);
# the whole job on a 1M-battle database (scripts/bench-job.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
export GOFLAGS="${GOFLAGS:-} -buildvcs=false"
export TEST_DATABASE_URL="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}"

what=${1:-all}
section() { printf '\n== %s\n' "$*"; }

if [ "$what" = all ] || [ "$what" = go ]; then
	section "cores (go test -bench; ns/op on this machine)"
	go test -run '^$' -bench 'Fit100|Run30Models' -benchtime 5x ./internal/bt ./internal/bootstrap | grep -E '^Benchmark'
	# 1000 models: the fit against the plain Newton's method, in one run.
	go test -run '^$' -bench 'Fit1000' -benchtime 3x ./internal/bt | grep -E '^Benchmark'
	go test -run '^$' -bench 'Poisson' ./internal/bootstrap | grep -E '^Benchmark'
fi
if [ "$what" = all ] || [ "$what" = rank ]; then
	section "rank"
	scripts/bench-rank.sh
	section "rank: the cost of rank ranges, tiers and head to head"
	scripts/bench-site.sh
fi
if [ "$what" = all ] || [ "$what" = style ]; then
	section "style control"
	# The export part makes a 1M-battle database with two rounds per battle
	# (about 5 GB, once); "scripts/bench.sh style" runs only this section.
	scripts/bench-style.sh
fi
if [ "$what" = all ]; then
	if [ -z "${VERSITYGW:-}" ] && [ -x .cache/bin/versitygw ]; then export VERSITYGW=$PWD/.cache/bin/versitygw; fi
	section "battles-export (1M battles, 30 models)"
	scripts/bench-export.sh
	section "snapshot-publish: 21 leaderboards x 100 models to PostgreSQL and S3"
	# Without an S3 server (VERSITYGW) the benchmark skips, and says so.
	go test -run '^$' -bench Publish -benchtime 5x -v ./internal/publish | grep -E '^Benchmark|is not set' || true
	section "the whole job (1M battles, 30 models, all leaderboards)"
	scripts/bench-job.sh
fi
