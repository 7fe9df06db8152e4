#!/usr/bin/env bash
# Runs vet and every test, after making sure the services the tests need
# are there: the local PostgreSQL (started if it is down), the
# S3-compatible server versitygw (built with go install at a pinned version
# the first time; each S3 test starts its own instance on 127.0.0.1) and
# Debian's chromium for the site's browser test (installed when missing;
# its screenshots go to .cache/artifacts/site).
#
#   scripts/test.sh            everything
#   scripts/test.sh -run Fit   extra arguments go to 'go test'
set -euo pipefail
cd "$(dirname "$0")/.."

VERSITYGW_VERSION=v1.8.0
export GOFLAGS="${GOFLAGS:-} -buildvcs=false"

say() { printf 'test.sh: %s\n' "$*" >&2; }

# PostgreSQL: the machine's cluster, started when it is not running.
export TEST_DATABASE_URL="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}"
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
	if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
		say "starting PostgreSQL"
		pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
		for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
	fi
	pg_isready -q -h 127.0.0.1 -p 5432 || { say "PostgreSQL is not reachable at 127.0.0.1:5432"; exit 1; }
fi

# versitygw: built once into .cache/bin, reused afterwards.
bin="$PWD/.cache/bin"
export VERSITYGW="$bin/versitygw"
if [ ! -x "$VERSITYGW" ] || [ "$(cat "$bin/versitygw.version" 2>/dev/null)" != "$VERSITYGW_VERSION" ]; then
	say "building versitygw $VERSITYGW_VERSION (about two minutes, once)"
	mkdir -p "$bin"
	# Build outside the module so that its dependencies do not touch go.mod.
	(cd / && GOBIN="$bin" GOFLAGS=-buildvcs=false go install "github.com/versity/versitygw/cmd/versitygw@$VERSITYGW_VERSION")
	echo "$VERSITYGW_VERSION" >"$bin/versitygw.version"
fi

# Chromium for the site's browser test: Debian's package, installed when
# missing (as root, as in CI).
if ! command -v chromium >/dev/null 2>&1; then
	say "installing Debian's chromium for the site's browser test"
	{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >/dev/null ||
		{ say "chromium could not be installed (apt-get as root)"; exit 1; }
fi
export CHROMIUM="${CHROMIUM:-$(command -v chromium)}"

# jq and curl for the job (scripts/entrypoint.sh writes its log lines with
# jq and calls the webhook with curl), run by the end-to-end tests: Debian's
# packages, installed when missing (as root, as in CI), as the Dockerfile
# installs them.
for pkg in jq curl; do
	if ! command -v "$pkg" >/dev/null 2>&1; then
		say "installing Debian's $pkg for the job's tests"
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg"; } >/dev/null ||
			{ say "$pkg could not be installed (apt-get as root)"; exit 1; }
	fi
done

# Redis for the cache tests: each test starts its own redis-server on a
# free 127.0.0.1 port with a temporary folder (internal/redistest), never
# the one a machine may run on 6379. Debian's package, installed when
# missing (as root, as in CI).
if ! command -v redis-server >/dev/null 2>&1; then
	say "installing Debian's redis-server for the cache tests"
	{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server; } >/dev/null ||
		{ say "redis-server could not be installed (apt-get as root)"; exit 1; }
fi
export REDIS_SERVER="${REDIS_SERVER:-$(command -v redis-server)}"

say "go vet"
go vet ./...
unformatted=$(gofmt -l cmd internal e2e 2>/dev/null || true)
if [ -n "$unformatted" ]; then say "not gofmt-formatted: $unformatted"; exit 1; fi

say "go test"
go test -count=1 -timeout 20m "$@" ./...

# A short fuzzing of the names that reach paths (their seed corpora ran
# above); a whole run only, not one narrowed by arguments.
if [ "$#" -eq 0 ]; then
	say "fuzz: names reaching paths"
	go test -run '^$' -fuzz '^FuzzNamesReachingPaths$' -fuzztime 5s ./internal/names
	go test -run '^$' -fuzz '^FuzzDirKey$' -fuzztime 5s ./internal/sink
fi
