#!/usr/bin/env bash
# demo.sh: the daily job on this machine, with no setup.
#
# Builds the three tools into ./bin, creates a scratch database (dropped
# first if it exists) on the PostgreSQL server of DATABASE_URL, else the
# local one (127.0.0.1:5432 as postgres, else the unix socket as the current
# user), loads testdata/schema.sql and testdata/demo.sql, runs
# scripts/entrypoint.sh publishing to that database and to ./out, then prints
# the published overall leaderboard as a table and where its JSON and SVG
# files are, and ends with the two lines to paste into a shell to use the
# tools on the demo database (export PATH=..., export DATABASE_URL=...).
# Without a reachable PostgreSQL it says so and ranks the shipped fixture
# testdata/battles.ndjson offline instead. Running it again starts over with
# a fresh database and a fresh ./out. The first build takes a few minutes
# (the tools' dependencies are compiled once); it prints each package.
#
#   scripts/demo.sh
#
# Environment: DATABASE_URL (the server to use), DEMO_DATABASE (scratch
# database name, default arena_demo), DEMO_BIN and DEMO_OUT (folders for
# the binaries and the published files, default ./bin and ./out), and the
# job's own variables (NUM_BOOTSTRAP, ...), passed through.
# Exit status: the job's (see scripts/entrypoint.sh); 0 for the offline demo.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

db=${DEMO_DATABASE:-arena_demo}
bin=${DEMO_BIN:-$repo/bin}
out=${DEMO_OUT:-$repo/out}
case $db in *[!a-z0-9_]* | "" | [0-9]*)
	echo "demo: DEMO_DATABASE must be lowercase letters, digits and _, got \"$db\"" >&2
	exit 2
	;;
esac
case $bin in /*) ;; *) bin=$repo/$bin ;; esac
case $out in /*) ;; *) out=$repo/$out ;; esac

say() { printf '\n== %s\n' "$*"; }

# ---- the tools -------------------------------------------------------------
tools="battles-export rank snapshot-publish"
if command -v go >/dev/null; then
	say "building battles-export, rank and snapshot-publish into $bin"
	echo "(the first build compiles their dependencies, pgx, the AWS SDK and gonum/plot among them, and takes a few minutes; later ones take seconds)"
	mkdir -p "$bin"
	buildlog=$(mktemp)
	# go build -v names each package as it compiles it: on a terminal, on
	# one line redrawn; otherwise a line each.
	# The version the tools report (provenance.version): the checkout's,
	# else dev.
	version=$(git describe --always --dirty 2>/dev/null || echo dev)
	if ! GOFLAGS="${GOFLAGS:-} -buildvcs=false" go build -v -ldflags "-X github.com/bixarena/arena-snapshots/internal/clix.version=$version" \
		-o "$bin/" ./cmd/battles-export ./cmd/rank ./cmd/snapshot-publish 2>&1 |
		tee "$buildlog" | while IFS= read -r pkg; do
			if [ -t 1 ]; then printf '\r\033[K  compiling %s' "$pkg"; else echo "  compiling $pkg"; fi
		done; then
		[ -t 1 ] && printf '\r\033[K'
		echo "demo: the build failed:" >&2
		cat "$buildlog" >&2
		exit 1
	fi
	[ ! -t 1 ] || printf '\r\033[K'
	rm -f "$buildlog"
else
	for t in $tools; do
		[ -x "$bin/$t" ] || { echo "demo: no Go toolchain to build $t, and no $bin/$t" >&2; exit 4; }
	done
	say "using the tools in $bin (no Go toolchain to rebuild them)"
fi
export PATH="$bin:$PATH"

# ---- a PostgreSQL server ---------------------------------------------------
# offline WHY [WHAT TO DO]: rank the fixture without a database.
offline() {
	say "$1: ranking the shipped fixture offline instead"
	echo "rank --format table testdata/battles.ndjson"
	echo
	rank --format table testdata/battles.ndjson
	echo
	echo "${2:-To run the whole job, start PostgreSQL (or set DATABASE_URL to a server where you may create a database) and run scripts/demo.sh again.}"
	echo "To use the tools from any folder, paste:"
	echo
	echo "export PATH=\"$bin:\$PATH\""
	exit 0
}

command -v psql >/dev/null || offline "no reachable PostgreSQL (psql is not installed)"

# The job writes its log lines with jq (the Dockerfile installs it): on
# Debian, as root, install it when missing, as scripts/test.sh does;
# elsewhere say what to install.
if ! command -v jq >/dev/null; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		say "installing Debian's jq, which the job needs for its log lines"
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq jq; } >/dev/null 2>&1 ||
			offline "jq is not installed and apt-get could not install it" "To run the whole job, install jq (the job writes its log lines with it) and run scripts/demo.sh again."
	else
		offline "jq is not installed" "To run the whole job, install jq (the job writes its log lines with it: apt-get install jq, brew install jq) and run scripts/demo.sh again."
	fi
fi

# with_db URL NAME: URL with its database replaced by NAME.
with_db() {
	local u=$1 name=$2 base query=
	case $u in *\?*) query="?${u#*\?}" base=${u%%\?*} ;; *) base=$u ;; esac
	local scheme=${base%%://*} rest=${base#*://}
	case $rest in */*) rest=${rest%%/*} ;; esac
	printf '%s://%s/%s%s' "$scheme" "$rest" "$name" "$query"
}

reachable() { PGCONNECT_TIMEOUT=3 psql -X -q -At -d "$1" -c 'SELECT 1' >/dev/null 2>&1; }

admin=
if [ -n "${DATABASE_URL:-}" ]; then
	case $DATABASE_URL in
	postgres://* | postgresql://*) ;;
	*) echo "demo: DATABASE_URL must be a postgres:// URL here" >&2; exit 2 ;;
	esac
	reachable "$DATABASE_URL" || offline "no reachable PostgreSQL (DATABASE_URL does not answer)"
	admin=$DATABASE_URL
else
	for cand in "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable" "postgres:///postgres"; do
		if reachable "$cand"; then admin=$cand; break; fi
	done
	[ -n "$admin" ] || offline "no reachable PostgreSQL (nothing answers at 127.0.0.1:5432 or on the local socket)"
fi
url=$(with_db "$admin" "$db")

say "creating the scratch database $db"
psql -X -q -v ON_ERROR_STOP=1 -d "$admin" -c "SET client_min_messages TO warning" \
	-c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
psql -X -q -v ON_ERROR_STOP=1 -d "$url" -f testdata/schema.sql >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d "$url" -f testdata/demo.sql >/dev/null
psql -X -At -d "$url" -c "SELECT count(*) || ' battles, ' || (SELECT count(*) FROM api.model) || ' models' FROM api.battle"

# ---- the job ---------------------------------------------------------------
# ./out is the demo's own: start it over (the marker says it is ours).
if [ -e "$out" ]; then
	if [ -f "$out/.arena-demo" ]; then
		rm -rf "$out"
	else
		echo "demo: $out exists and was not made by the demo: move it away or set DEMO_OUT" >&2
		exit 2
	fi
fi
mkdir -p "$out"
: >"$out/.arena-demo"
# The logs go beside the published folder, not into it.
logs=${out%/}.logs
mkdir -p "$logs"

say "running the job: scripts/entrypoint.sh (logs: $logs/job.log, $logs/stages.log)"
set +e
DATABASE_URL=$url SNAPSHOT_DIR=$out scripts/entrypoint.sh >"$logs/job.log" 2>"$logs/stages.log"
status=$?
set -e
# The job's complete event, in words.
field() { grep '"event":"complete"' "$logs/job.log" | grep -o "\"$1\":[^,]*" | head -n 1 | cut -d: -f2; }
echo "exit status $status in $(field duration_seconds) s: $(field published) leaderboards published, $(field skipped) skipped, $(field failed) failed"
# The skipped leaderboards, with why in rank's words (its complete event).
jq -r 'select(.tool == "rank" and .event == "complete") | .leaderboards[] | select(.status == "skipped")
	| "  skipped \(.leaderboard)\(if .variant then " (style-controlled)" else "" end): \(.why // .reason)"' "$logs/stages.log" 2>/dev/null || true
if [ "$status" -ne 0 ]; then
	echo "demo: the job failed with exit status $status; its stages said:" >&2
	tail -n 20 "$logs/stages.log" >&2
	exit "$status"
fi

say "the published overall leaderboard"
psql -X -d "$url" -v ON_ERROR_STOP=1 -P footer=off -c "
SELECT e.rank, m.name AS model, m.organization, round(e.bt_score, 1) AS score,
       round(e.bootstrap_q025, 1) || ' .. ' || round(e.bootstrap_q975, 1) AS \"95% interval\",
       e.vote_count AS votes
FROM api.leaderboard_entry e
JOIN api.model m ON m.id = e.model_id
WHERE e.snapshot_id = (
    SELECT s.id FROM api.leaderboard_snapshot s
    JOIN api.leaderboard l ON l.id = s.leaderboard_id
    WHERE l.slug = 'overall' AND s.visibility = 'public'
    ORDER BY s.created_at DESC LIMIT 1)
ORDER BY e.rank, m.name"

say "files"
found=
for f in "$out/overall/latest.json" "$out/overall/latest.svg"; do
	if [ -f "$f" ]; then echo "$f"; found=yes; fi
done
if [ -z "$found" ]; then
	# Another layout: show whatever "latest" files the folder sink wrote for overall.
	find "$out" -path '*overall*' -name 'latest*' | sort
fi
echo "every leaderboard: $out (published to the database $db too)"

say "to use the tools on the demo database from any folder, paste these two lines into your shell"
echo "(then every example of README.md runs as written)"
echo
echo "export PATH=\"$bin:\$PATH\""
echo "export DATABASE_URL='$url'"
