#!/usr/bin/env bash
# bench-job.sh: the whole daily job (scripts/entrypoint.sh, all
# leaderboards, default parameters) on a database of BATTLES battles
# (default 1,000,000) between MODELS models (default 30) with categories,
# made by scripts/bench-db.sh. Prints, for each run, a table of the wall
# time and peak memory (maximum resident set size) of each process; the
# stages run concurrently in the pipe, so their times overlap and the job's
# wall time is the one to compare (target: <= 5 s, <= 100 MB per process).
#
#   scripts/bench-job.sh [BATTLES] [MODELS]
#
# Environment: TEST_DATABASE_URL (the server; default the local
# PostgreSQL as postgres), BENCH_DATABASE (default arena_bench_job),
# BENCH_REUSE=1 to keep an existing database of the right size (making one
# takes a minute or two), BENCH_RUNS (default 3).
#
# Peak memory comes from GNU time (/usr/bin/time), wrapped around each tool
# by a shim folder put first on PATH; the script installs it with apt-get
# when it can, and otherwise reports wall times only.
set -euo pipefail
cd "$(dirname "$0")/.."

battles=${1:-1000000} models=${2:-30}
db=${BENCH_DATABASE:-arena_bench_job}
runs=${BENCH_RUNS:-3}
admin=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}
url=$(printf '%s' "$admin" | sed -E "s#^(postgres(ql)?://[^/]*)/[^?]*#\1/$db#")
say() { printf 'bench-job: %s\n' "$*" >&2; }

# ---- GNU time ----------------------------------------------------------------
gnutime=
if /usr/bin/time -f '%e %M' true >/dev/null 2>&1; then
	gnutime=/usr/bin/time
elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
	say "installing GNU time"
	if apt-get install -y -qq time >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq time >/dev/null 2>&1; }; then
		gnutime=/usr/bin/time
	fi
fi
[ -n "$gnutime" ] || say "GNU time (/usr/bin/time) is not available: wall times only, no peak memory"

# ---- the database --------------------------------------------------------------
have=$(psql -X -At "$url" -c "SELECT count(*) FROM api.battle" 2>/dev/null || true)
if [ "${BENCH_REUSE:-}" = 1 ] && [ "$have" = "$battles" ]; then
	say "reusing $db ($have battles)"
else
	say "making $db: $battles battles, $models models (scripts/bench-db.sh)"
	scripts/bench-db.sh "$db" "$battles" "$models" >/dev/null
fi
psql -X -At "$url" -c "SELECT 'database: ' || (SELECT count(*) FROM api.battle) || ' battles, ' ||
	(SELECT count(*) FROM api.battle_evaluation) || ' evaluations, ' ||
	(SELECT count(*) FROM api.model) || ' models, ' ||
	(SELECT count(*) FROM api.battle_categorization_category) || ' category labels'" >&2

# ---- the tools, and shims that measure them ---------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/bench-job.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin" "$work/shim" "$work/times"
say "building the tools"
GOFLAGS="${GOFLAGS:-} -buildvcs=false" go build -o "$work/bin/" ./cmd/battles-export ./cmd/rank ./cmd/snapshot-publish
tools="battles-export rank snapshot-publish"
for t in $tools; do
	if [ -n "$gnutime" ]; then
		printf '#!/bin/sh\nexec %s -a -o "%s/times/%s" -f "%%e %%M" "%s/bin/%s" "$@"\n' \
			"$gnutime" "$work" "$t" "$work" "$t" >"$work/shim/$t"
	else
		printf '#!/bin/sh\nexec "%s/bin/%s" "$@"\n' "$work" "$t" >"$work/shim/$t"
	fi
	chmod +x "$work/shim/$t"
done

mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# ---- the runs ----------------------------------------------------------------------
echo "cores: $(nproc), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "load average before the runs: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine slows the job)"
echo "job: all leaderboards, NUM_BOOTSTRAP=${NUM_BOOTSTRAP:-1000 (default)}, sinks: database and folder"
for run in $(seq 1 "$runs"); do
	rm -rf "$work/times"/* "$work/out"
	t0=$(now_ms)
	set +e
	if [ -n "$gnutime" ]; then
		PATH="$work/shim:$PATH" DATABASE_URL=$url SNAPSHOT_DIR="$work/out" RETRY_DELAY_SECONDS=0 \
			"$gnutime" -o "$work/times/job" -f '%e %M' scripts/entrypoint.sh >"$work/job.log" 2>"$work/stages.log"
	else
		PATH="$work/shim:$PATH" DATABASE_URL=$url SNAPSHOT_DIR="$work/out" RETRY_DELAY_SECONDS=0 \
			scripts/entrypoint.sh >"$work/job.log" 2>"$work/stages.log"
	fi
	status=$?
	set -e
	wall=$(($(now_ms) - t0))
	if [ "$status" -ne 0 ]; then
		say "run $run: the job failed with exit status $status"
		cat "$work/job.log" >&2
		tail -n 20 "$work/stages.log" >&2
		exit "$status"
	fi
	published=$(grep -o '"published":[0-9]*' "$work/job.log" | tail -n 1 | cut -d: -f2)
	skipped=$(grep -o '"skipped":[0-9]*' "$work/job.log" | tail -n 1 | cut -d: -f2)
	echo
	echo "run $run: $published leaderboards published, $skipped skipped"
	printf '%-28s %9s %9s\n' stage seconds "peak MB"
	for t in $tools; do
		if [ -s "$work/times/$t" ]; then
			# A tool the job runs more than once (snapshot-publish: the
			# leaderboards, then the run's record): the sum of its
			# times, its largest peak.
			set -- $(awk '{ s += $1; if ($2 > kb) kb = $2; n++ } END { printf "%.2f %d %d", s, kb, n }' "$work/times/$t")
			name=$t
			[ "$3" -gt 1 ] && name="$t ($3 runs)"
			printf '%-28s %9s %9s\n' "$name" "$1" "$(mb "$2")"
		else
			printf '%-28s %9s %9s\n' "$t" - -
		fi
	done
	if [ -s "$work/times/job" ]; then
		read -r s kb <"$work/times/job"
		printf '%-28s %9s %9s\n' "job (its largest process)" "$s" "$(mb "$kb")"
	fi
	printf '%-28s %9s\n' "whole job (wall)" "$(printf '%d.%03d' $((wall / 1000)) $((wall % 1000)))"
done
