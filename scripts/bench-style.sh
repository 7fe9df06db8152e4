#!/usr/bin/env bash
# Benchmarks style control and prints its tables.
#
#   scripts/bench-style.sh [rank|export|all]     (default: all)
#
# rank: the core's Go benchmarks on 1M battles, 100 models, 4 features (the
#   fit with its sandwich intervals; 100 bootstrap rounds, 2 threads), in
#   wall seconds and CPU seconds (a busy machine inflates the first only);
#   then rank --leaderboard overall on 1M synthetic battle lines with style
#   features (internal/style/styletest), with and without --style-control,
#   best wall time of RUNS runs (default 3), user CPU time and peak memory.
# export: battles-export --style against psql \copy of the same query, on
#   arena_bench_style: arena_bench (scripts/bench-db.sh: 1M battles, 30
#   models) with two rounds per battle, each with a prompt and two markdown
#   answers of 200 to 1,500 characters (STYLE_BATTLES battles get rounds,
#   default all). Made once (several minutes; about 5 GB); drop it after.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOFLAGS="${GOFLAGS:-} -buildvcs=false"

say() { printf 'bench-style.sh: %s\n' "$*" >&2; }
what=${1:-all}
runs=${RUNS:-3}
data=.cache/bench
bin=$data/bin
mkdir -p "$bin"
if [ ! -x /usr/bin/time ]; then
	say "installing GNU time for peak memory"
	apt-get install -y -qq time >/dev/null 2>&1 || { say "GNU time is missing and could not be installed"; exit 1; }
fi

# best "wall user peakKB" of $runs runs of a command.
measure() {
	local best="" line
	for _ in $(seq "$runs"); do
		/usr/bin/time -o "$data/time" -f '%e %U %M' "$@" >/dev/null 2>&1
		line=$(tail -n1 "$data/time")
		if [ -z "$best" ] || awk -v a="${line%% *}" -v b="${best%% *}" 'BEGIN{exit !(a<b)}'; then best=$line; fi
	done
	echo "$best"
}
row() { # what, "wall user peakKB"
	set -- "$1" $2
	printf '%-52s %8s %8s %8.1f\n' "$1" "$2" "$3" "$(awk -v k="$4" 'BEGIN{print k/1024}')"
}

if [ "$what" = all ] || [ "$what" = rank ]; then
	printf '\n== style control: the core (go test -bench; 1M battles, 100 models, 4 features)\n'
	go test -run '^$' -bench 'FitSandwich1M|Bootstrap100x1M' -benchtime 1x ./internal/style | grep -E '^Benchmark'

	go build -o "$bin/rank" ./cmd/rank
	go build -o "$bin/stylegen" ./internal/style/styletest/gen
	f=$data/1M-100models-style.ndjson
	[ -s "$f" ] || { say "generating $f"; "$bin/stylegen" -battles 1000000 -models 100 >"$f"; }
	printf '\n== rank --leaderboard overall, 1M battle lines with style features, 100 models\n'
	printf '%-52s %8s %8s %8s\n' "what" "wall s" "user s" "peak MB"
	row "rank (plain: 1000 rounds)" "$(measure "$bin/rank" --leaderboard overall "$f")"
	row "rank --style-control (and the plain board)" "$(measure "$bin/rank" --leaderboard overall --style-control "$f")"
	row "rank --style-control --style-ci bootstrap --bootstrap 100" "$(measure "$bin/rank" --leaderboard overall --style-control --style-ci bootstrap --bootstrap 100 "$f")"
	printf '(%s, %s cores, load %s)\n' "$(go version | cut -d' ' -f3)" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
fi

if [ "$what" = all ] || [ "$what" = export ]; then
	admin="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}"
	on() { printf '%s' "$admin" | sed -E "s#^(postgres(ql)?://[^/]*)/[^?]*#\1/$1#"; }
	exists() { [ "$(psql -X -tAq "$admin" -c "SELECT count(*) FROM pg_database WHERE datname = '$1'")" = 1 ]; }
	url=$(on arena_bench_style)
	# arena_bench_style is made again when arena_bench was (another schema):
	# it carries arena_bench's comment (scripts/bench-db.sh).
	comment() { psql -X -tAq "$admin" -c "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '$1'"; }
	scripts/bench-db.sh --reuse arena_bench >/dev/null
	if ! exists arena_bench_style || [ "$(comment arena_bench_style)" != "$(comment arena_bench)" ]; then
		say "making arena_bench_style: two rounds per battle (several minutes, once)"
		psql -q -X -v ON_ERROR_STOP=1 "$admin" -c "DROP DATABASE IF EXISTS arena_bench_style WITH (FORCE)" \
			-c "CREATE DATABASE arena_bench_style TEMPLATE arena_bench"
		psql -q -X -v ON_ERROR_STOP=1 "$admin" -c "COMMENT ON DATABASE arena_bench_style IS '$(comment arena_bench)'"
		psql -q -X -v ON_ERROR_STOP=1 "$url" -v battles="${STYLE_BATTLES:-all}" <<'SQL'
SET session_replication_role = replica; -- no foreign-key triggers while filling
-- 64 answers in markdown: headers, bold, lists, and a code block in some.
CREATE TEMP TABLE answer AS
SELECT g AS k,
       repeat(E'## A section\n\n', g % 4)
       || repeat('The gene encodes a **kinase** that acts early in the pathway, and its loss is well tolerated. ', 2 + g % 13)
       || repeat(E'\n- a point with __a detail__ worth noting', g % 7)
       || repeat(E'\n1. a step of the protocol', (g / 7) % 5)
       || CASE WHEN g % 5 = 0 THEN E'\n```\n# a comment\n- not a list\n```\n' ELSE '' END AS content
FROM generate_series(0, 63) g;
CREATE TEMP TABLE pick AS
SELECT b.id, r.n FROM api.battle b CROSS JOIN (VALUES (1), (2)) r(n)
WHERE :'battles' = 'all' OR b.id IN (SELECT id FROM api.battle ORDER BY id LIMIT NULLIF(:'battles', 'all')::int);
INSERT INTO api.message (id, role, content)
SELECT md5(p.id::text || p.n || s.side)::uuid,
       CASE s.side WHEN 'p' THEN 'user' ELSE 'assistant' END,
       CASE s.side WHEN 'p' THEN 'What does this gene do, and how would you test it?'
       ELSE (SELECT content FROM answer WHERE k = abs(hashtext(p.id::text || p.n || s.side)) % 64) END
FROM pick p CROSS JOIN (VALUES ('p'), ('a'), ('b')) s(side);
INSERT INTO api.battle_round (battle_id, round_number, prompt_message_id, model1_message_id, model2_message_id)
SELECT p.id, p.n, md5(p.id::text || p.n || 'p')::uuid, md5(p.id::text || p.n || 'a')::uuid, md5(p.id::text || p.n || 'b')::uuid
FROM pick p;
SQL
		psql -q -X "$url" -c "VACUUM ANALYZE api.message" -c "VACUUM ANALYZE api.battle_round"
	fi
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	go build -o "$bin/battles-export" ./cmd/battles-export
	"$bin/battles-export" --database-url "$url" --print-query --style | sed '$s#.*#\\copy (&) TO '"'"'/dev/null'"'"'#' >"$tmp/copy.sql"
	"$bin/battles-export" --database-url "$url" --print-query | sed '$s#.*#\\copy (&) TO '"'"'/dev/null'"'"'#' >"$tmp/plain.sql"
	runs=${RUNS_EXPORT:-2}
	printf '\n== battles-export --style: %s battles, %s rounds, %s answers\n' \
		"$(psql -X -tAq "$url" -c "SELECT count(*) FROM api.battle")" \
		"$(psql -X -tAq "$url" -c "SELECT count(*) FROM api.battle_round")" \
		"$(psql -X -tAq "$url" -c "SELECT count(*) FROM api.message WHERE role = 'assistant'")"
	printf '%-52s %8s %8s %8s\n' "what" "wall s" "user s" "peak MB"
	row "psql \\copy, raw query without style" "$(measure psql -X -q "$url" -f "$tmp/plain.sql")"
	row "psql \\copy, the --style query" "$(measure psql -X -q "$url" -f "$tmp/copy.sql")"
	row "battles-export --style" "$(measure "$bin/battles-export" --database-url "$url" --style)"
	printf '(PostgreSQL %s, %s cores, load %s)\n' "$(psql -X -tAq "$url" -c 'SHOW server_version')" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
fi
