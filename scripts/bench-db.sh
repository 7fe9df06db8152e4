#!/usr/bin/env bash
# Creates (or recreates) a database for benchmarks and fills it with the
# demo generator scaled up: testdata/schema.sql, then testdata/demo.sql with
# BATTLES battles (default 1,000,000) between MODELS models (default 30),
# without the demo's answers (scripts/bench-style.sh adds its own), then
# VACUUM ANALYZE so that plans and timings are those of a settled table.
#
#   scripts/bench-db.sh [--reuse] DBNAME [BATTLES] [MODELS]
#
# The database's comment records what made it (the sizes and a digest of
# testdata/schema.sql and testdata/demo.sql). With --reuse, a database
# whose comment matches is kept as it is; any other is made again, so that
# benchmarks never run on an older schema.
#
# The server is the one of TEST_DATABASE_URL (default: the local PostgreSQL
# as postgres, which must be a superuser: foreign-key triggers are skipped
# while filling); the database is dropped first if it exists. A million
# battles take two to five minutes on two cores.
set -euo pipefail
cd "$(dirname "$0")/.."

reuse=
if [ "${1:-}" = --reuse ]; then reuse=1; shift; fi
if [ $# -lt 1 ] || [ $# -gt 3 ]; then
	echo "usage: scripts/bench-db.sh [--reuse] DBNAME [BATTLES] [MODELS]" >&2
	exit 2
fi
db=$1 battles=${2:-1000000} models=${3:-30}
case "$db" in *[!a-z0-9_]* | "") echo "bench-db.sh: DBNAME must be lowercase letters, digits and _" >&2; exit 2 ;; esac
case "$battles$models" in *[!0-9]*) echo "bench-db.sh: BATTLES and MODELS must be numbers" >&2; exit 2 ;; esac

admin="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}"
# The same server, database $db.
url=$(printf '%s' "$admin" | sed -E "s#^(postgres(ql)?://[^/]*)/[^?]*#\1/$db#")

stamp="arena-snapshots benchmark: $battles battles, $models models, schema and demo $(cat testdata/schema.sql testdata/demo.sql | sha256sum | cut -c1-16)"
if [ -n "$reuse" ] && [ "$(psql -X -tAq "$admin" -c "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '$db'")" = "$stamp" ]; then
	echo "$url"
	exit 0
fi

psql -q -X -v ON_ERROR_STOP=1 "$admin" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
psql -q -X -v ON_ERROR_STOP=1 "$url" -f testdata/schema.sql
start=$(date +%s)
psql -q -X -v ON_ERROR_STOP=1 "$url" \
	-c "SET arena.demo_battles = '$battles'" -c "SET arena.demo_models = '$models'" -c "SET arena.demo_answers = 'off'" \
	-c "SET work_mem = '256MB'" -c "SET session_replication_role = replica" -f testdata/demo.sql >/dev/null
psql -q -X -v ON_ERROR_STOP=1 "$url" -c "VACUUM (ANALYZE)" -c "COMMENT ON DATABASE $db IS '$stamp'"
echo "bench-db.sh: $db: $battles battles, $models models in $(( $(date +%s) - start )) s" >&2
echo "$url"
