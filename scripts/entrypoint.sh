#!/bin/sh
# entrypoint.sh: the daily arena leaderboard job (docs/job.md).
#
#   battles-export --aggregate | rank | snapshot-publish --db
#   (with STYLE_CONTROL=true: battles-export --style | rank --style-control | ...)
#
# A POSIX sh script (with local: dash, bash, busybox ash); needs jq, which
# writes its log lines.
# Sections, in the order they run:
#   usage          entrypoint.sh --help
#   settings       every variable the job reads, with its default
#   logging        log LEVEL EVENT [--arg NAME VALUE | --argjson NAME JSON]...
#   checks         every setting checked before anything runs
#   the pipe       one attempt: the three stages, each one's status kept
#   the outcome    which stage failed, and the job's exit status
#   the run        attempts, the retry, the alert, the complete event

set -u

usage() {
	cat <<'EOF'
usage: entrypoint.sh [RANK-FLAG...]

The daily arena leaderboard job:

    battles-export --aggregate | rank | snapshot-publish --db

Arguments go to rank, for one-off runs (entrypoint.sh --seed 7): rank's
flags only, and none that would break the pipe (a FILE, --format other
than ndjson, --help, --version, --check-settings; --style-control is
STYLE_CONTROL=true), which are refused with status 2. Settings
come from the environment; a variable set to the empty string means its
default, and whole numbers are read in decimal (010 is ten; 0x10 is
refused):

  DATABASE_URL, POSTGRES_HOST/PORT/DB/USER/PASSWORD, PG*
                          the database (read by the tools themselves)
  LEADERBOARD_SLUG        only this leaderboard (default: every leaderboard)
  NUM_BOOTSTRAP, MIN_EVALS, SIGNIFICANT, MIN_TOTAL_BATTLES, MIN_TOTAL_MODELS
                          ranking parameters, read by rank (rank --help);
                          production's defaults: 1000, 10, false, 30, 4
  CONFIDENCE              level of the score and rank intervals, 0.5 to 0.999
                          (0.95), read by rank
  MAX_MODELS, MAX_CATEGORIES, MAX_BATTLES
                          rank's caps on its input (1000, 1000, 2^40): more
                          is bad input
  STYLE_CONTROL           true: also rank and publish each leaderboard's
                          style-controlled variant (as SLUG-style, where
                          api.leaderboard has that row); the export then
                          reads every battle with its style features
                          instead of aggregating (slower: docs/job.md)
  STYLE_CI                sandwich (default) or bootstrap, read by rank
  SNAPSHOT_S3_URI         also publish to s3://bucket/prefix (AWS_* and
                          AWS_ENDPOINT_URL_S3 configure the S3 client)
  SNAPSHOT_S3_PATH_STYLE  true: address the bucket in the URL path (false)
  SNAPSHOT_DIR            also publish to this folder
  PUBLISH_GUARD           on (default): hold back a leaderboard that breaks the
                          guard's rules against its current public snapshot;
                          off for a deliberate change (snapshot-publish --help)
  PUBLISH_GUARD_BATTLES_TOLERANCE, PUBLISH_GUARD_GONE_VOTES,
  PUBLISH_GUARD_SCORE_K, PUBLISH_GUARD_ENTRIES_DROP
                          the guard's thresholds, read by snapshot-publish
  REDIS_URL               the API's Redis (redis://HOST:6379/0): after the
                          database commits, its cached leaderboard pages
                          are deleted (read by snapshot-publish; a failure
                          is a warning, the run still succeeds)
  REDIS_TIMEOUT_SECONDS   give up a Redis connection or command after (5)
  S3_TIMEOUT_SECONDS, AWS_MAX_ATTEMPTS
                          each S3 request's limit in seconds, and the SDK's
                          attempts (30, 3)
  PGCONNECT_TIMEOUT, PGOPTIONS
                          the database's connect timeout (10 s) and server
                          settings (statement 5 min, lock 30 s; for example
                          PGOPTIONS='-c statement_timeout=10min')
  RETRY_DELAY_SECONDS     pause before the one retry of a transient failure (10)
  JOB_TIMEOUT_SECONDS     the whole job's deadline (3600): past it, the stages
                          are stopped and the run ends as transient (5), with
                          an alert and no retry
  LOG_FORMAT              json or unset: the logs are JSON lines either way
  CORRELATION_ID          id carried by every log line, and the name of the
                          run's record: 1 to 128 letters, digits, '.', '_'
                          or '-', starting with a letter or digit (default:
                          a new UUID)
  ALERT_WEBHOOK_URL       on a failed run only, POST {"text": "..."} here

Logs: the job's events (start, error, retry, alert, complete) are JSON lines
on stdout; the stages' logs are JSON lines on stderr; all carry the same
correlation_id. With SNAPSHOT_S3_URI or SNAPSHOT_DIR, every run's complete
event is also kept in their run history (runs/index.json, runs/index.html).

Exit status (the failing stage's, when a stage failed):
  0         every leaderboard published, or skipped with its reason
  1         internal failure, or a stage killed by a signal
  2         usage: a bad argument or variable, named in the log
  3         bad input: a stream malformed or cut short
  4         configuration: a missing tool, authentication, schema, privilege
  5         transient (database or S3 unreachable), still there after the retry
  6         partial: some leaderboards failed or were held back by the guard,
            the others were published (3 when every one was held)
  130, 143  stopped by SIGINT or SIGTERM

More: docs/job.md.
EOF
}

case ${1-} in
-h | --help | help)
	usage
	exit 0
	;;
esac

# ---- settings ----------------------------------------------------------------

# A set-but-empty variable means its default: unset it so that no tool sees it.
for name in DATABASE_URL POSTGRES_HOST POSTGRES_PORT POSTGRES_DB POSTGRES_USER POSTGRES_PASSWORD \
	LEADERBOARD_SLUG NUM_BOOTSTRAP MIN_EVALS SIGNIFICANT MIN_TOTAL_BATTLES MIN_TOTAL_MODELS \
	STYLE_CONTROL STYLE_CI \
	SNAPSHOT_S3_URI SNAPSHOT_S3_PATH_STYLE SNAPSHOT_DIR \
	PUBLISH_GUARD PUBLISH_GUARD_BATTLES_TOLERANCE PUBLISH_GUARD_GONE_VOTES \
	PUBLISH_GUARD_SCORE_K PUBLISH_GUARD_ENTRIES_DROP REDIS_URL REDIS_TIMEOUT_SECONDS \
	RETRY_DELAY_SECONDS JOB_TIMEOUT_SECONDS CORRELATION_ID ALERT_WEBHOOK_URL LOG_FORMAT; do
	eval "value=\${$name-}"
	if [ -z "$value" ]; then unset "$name"; fi
done

RETRY_DELAY_SECONDS=${RETRY_DELAY_SECONDS:-10}
JOB_TIMEOUT_SECONDS=${JOB_TIMEOUT_SECONDS:-3600}
SNAPSHOT_S3_PATH_STYLE=${SNAPSHOT_S3_PATH_STYLE:-false}
if [ -z "${CORRELATION_ID-}" ]; then
	CORRELATION_ID=$(cat /proc/sys/kernel/random/uuid 2>/dev/null || od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
fi
# The job and its stages log JSON lines carrying the same correlation id:
# LOG_FORMAT can only say so (checked below, with the other settings).
LOG_FORMAT_SET=${LOG_FORMAT-}
LOG_FORMAT=json
export CORRELATION_ID LOG_FORMAT

STARTED=$(jq -n now 2>/dev/null || echo 0)
STARTED_AT=$(date -u +%Y-%m-%dT%H:%M:%SZ)
START_EVENT='{}'
BAD_ID=
ATTEMPT=0
TMP=
INTERRUPTED=
TIMED_OUT=

# On SIGINT or SIGTERM, pass the signal on to every running stage (SIGTERM
# to the pause before a retry); the run then ends with 130 or 143. The
# handler is set before anything runs, so that a signal never finds the job
# without it. The stop file, holding the signal's name, closes the race
# with a stage that is starting: a stage writes its pid and then looks for
# the stop file, while on_signal makes the stop file and then reads the
# pids, so one of the two sees the other.
on_signal() {
	INTERRUPTED=$1
	stop_stages "$1"
}
# stop_stages SIGNAL: the signal to every running stage (SIGTERM to the pause).
stop_stages() {
	[ -n "$TMP" ] || return 0
	echo "$1" >"$TMP/stop"
	for pidfile in "$TMP"/*.pid; do
		[ -f "$pidfile" ] || continue
		case $pidfile in
		*/pause.pid) kill -TERM "$(cat "$pidfile")" 2>/dev/null ;;
		*) kill -"$1" "$(cat "$pidfile")" 2>/dev/null ;;
		esac
	done
}
trap 'on_signal INT' INT
trap 'on_signal TERM' TERM
# The watchdog (see "the pipe") sends SIGUSR1 at the job's deadline.
trap 'TIMED_OUT=1; stop_stages TERM' USR1

# ---- logging -----------------------------------------------------------------

# log LEVEL EVENT [--arg NAME VALUE | --argjson NAME JSON]...: one JSON line
# on stdout with the time, level, event and correlation id, then each NAME
# as a field, in order.
log() {
	local level=$1 event=$2
	shift 2
	jq -nc --arg level "$level" --arg msg "$event" --arg tool entrypoint \
		--arg correlation_id "$CORRELATION_ID" --arg event "$event" "$@" \
		'{time: (now | todate)} + $ARGS.named'
}

# json_array [STRING...]: the strings as a JSON array (each one passed as a
# value, so that a string like --seed is not read as an option of jq).
json_array() {
	local s
	for s in "$@"; do jq -n --arg s "$s" '$s'; done | jq -cs .
}

status_kind() {
	case $1 in
	0) echo ok ;;
	1) echo "internal failure" ;;
	2) echo "usage error" ;;
	3) echo "bad input" ;;
	4) echo "configuration error" ;;
	5) echo "transient failure" ;;
	6) echo "partial failure" ;;
	130 | 143) echo "stopped by a signal" ;;
	*) echo "failure" ;;
	esac
}

# alert TEXT: POST {"text": TEXT} to ALERT_WEBHOOK_URL, if set, within
# 15 seconds. A failing webhook is logged and changes nothing else. TEXT is
# data (stage messages, leaderboard names): the characters chat services
# read as markup (&, <, >) are escaped as they ask, control characters
# replaced. The URL (it holds the webhook's secret) reaches curl in a
# config on a file descriptor, never on its command line, where ps shows it.
alert() {
	[ -n "${ALERT_WEBHOOK_URL-}" ] || return 0
	if ! command -v curl >/dev/null 2>&1; then
		log ERROR alert_failed --arg error "no curl to send the alert with"
		return 0
	fi
	local out rc url
	url=$(printf '%s' "$ALERT_WEBHOOK_URL" | sed 's/[\\"]/\\&/g')
	out=$(jq -nc --arg text "$1" '{text: ($text | gsub("[\u0000-\u001f\u007f]"; "\ufffd")
			| gsub("&"; "&amp;") | gsub("<"; "&lt;") | gsub(">"; "&gt;"))}' |
		curl -sS -f --connect-timeout 5 -m 15 -X POST -H 'Content-Type: application/json' --data-binary @- \
			-K /dev/fd/3 3<<EOF 2>&1 >/dev/null
url = "$url"
EOF
	)
	rc=$?
	if [ "$rc" -ne 0 ]; then
		log ERROR alert_failed --arg client curl --argjson exit_status "$rc" --arg error "$out"
	else
		log INFO alert --arg client curl
	fi
}

# summary: snapshot-publish's summary lines of the last attempt, as one
# JSON array.
summary() {
	if [ -n "$TMP" ] && [ -s "$TMP/summary" ]; then
		jq -cRn '[inputs | fromjson? | objects]' "$TMP/summary"
	else
		echo '[]'
	fi
}

# count STATUS SUMMARY: how many leaderboards of SUMMARY have STATUS.
count() { jq -n --arg s "$1" --argjson l "$2" '[$l[] | select(.status == $s)] | length'; }

# record_run EVENT: keep the complete event in the run history of the S3
# and folder places (snapshot-publish --record-run), when there are any
# and snapshot-publish is there. A run that cannot be recorded is a
# warning, not a failure.
record_run() {
	[ -n "${SNAPSHOT_S3_URI-}${SNAPSHOT_DIR-}" ] || return 0
	[ -z "$BAD_ID" ] || return 0
	command -v snapshot-publish >/dev/null 2>&1 || return 0
	local err rc
	err=$(printf '%s\n' "$1" | snapshot-publish --record-run - \
		${SNAPSHOT_S3_URI:+--s3 "$SNAPSHOT_S3_URI"} $S3_PATH_STYLE_FLAG \
		${SNAPSHOT_DIR:+--dir "$SNAPSHOT_DIR"} 2>&1 >/dev/null)
	rc=$?
	[ "$rc" -eq 0 ] && return 0
	log WARN run_record_failed --argjson exit_status "$rc" \
		--arg error "$(printf '%s\n' "$err" | jq -rR 'fromjson? | objects | select(.level == "ERROR") | .msg' | tail -n 1)"
}

# finish STATUS [TEXT]: alert when STATUS is a failure, record the run,
# log complete (the last line), exit.
finish() {
	local status=$1 level=INFO ok=true leaderboards complete
	if [ "$status" -ne 0 ]; then
		level=ERROR ok=false
		alert "arena leaderboard job failed (exit $status: $(status_kind "$status")): ${2-}; correlation_id $CORRELATION_ID, attempts $ATTEMPT"
	fi
	leaderboards=$(summary)
	complete=$(log "$level" complete --argjson ok "$ok" --argjson exit_status "$status" --argjson attempts "$ATTEMPT" \
		--arg started_at "$STARTED_AT" \
		--argjson duration_seconds "$(jq -n --argjson t0 "$STARTED" '(now - $t0) * 1000 | round / 1000')" \
		--argjson published "$(count published "$leaderboards")" \
		--argjson held "$(count held "$leaderboards")" \
		--argjson skipped "$(count skipped "$leaderboards")" \
		--argjson failed "$(count failed "$leaderboards")" \
		${2:+--arg error "$2"} \
		--argjson settings "$(printf '%s' "$START_EVENT" | jq -c 'del(.time, .level, .msg, .tool, .correlation_id, .event, .attempt)')" \
		--argjson leaderboards "$leaderboards")
	record_run "$complete"
	printf '%s\n' "$complete"
	exit "$status"
}

# fail_early STATUS MESSAGE: an error before any stage ran.
fail_early() {
	log ERROR error --argjson exit_status "$1" --arg error "$2"
	finish "$1" "$2"
}

# ---- checks --------------------------------------------------------------------

if ! command -v jq >/dev/null 2>&1; then
	echo "entrypoint: jq not found on PATH ($PATH): the job writes its log lines with it" >&2
	exit 4
fi

# CORRELATION_ID names the run's record (runs/YYYY-MM-DD/ID.json), so it
# must be one safe file name: 1 to 128 ASCII letters, digits, '.', '_' or
# '-', starting with a letter or digit (the rule snapshot-publish
# --record-run applies).
ALNUM=abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789
case $CORRELATION_ID in
[$ALNUM]*) case $CORRELATION_ID in *[!$ALNUM._-]*) BAD_ID=1 ;; esac ;;
*) BAD_ID=1 ;;
esac
[ "${#CORRELATION_ID}" -le 128 ] || BAD_ID=1
if [ -n "$BAD_ID" ]; then
	fail_early 2 "CORRELATION_ID must be 1 to 128 letters, digits, '.', '_' or '-', starting with a letter or digit (it names the run's record file), got $(jq -n --arg s "$CORRELATION_ID" '$s')"
fi

case $LOG_FORMAT_SET in
'' | json | JSON) ;;
*) fail_early 2 "LOG_FORMAT must be json or unset (the job's logs and its stages' are JSON lines), got $(jq -n --arg s "$LOG_FORMAT_SET" '$s')" ;;
esac

# Whole numbers are read in decimal, as the tools read theirs: "010" is ten
# (the leading zeros are dropped before sh arithmetic, which would read
# octal), and 0x10 or 1_000 are refused.
case $RETRY_DELAY_SECONDS in
'' | *[!0-9]*) fail_early 2 "RETRY_DELAY_SECONDS must be a whole number of seconds in decimal digits, got \"$RETRY_DELAY_SECONDS\"" ;;
esac
case $JOB_TIMEOUT_SECONDS in
'' | *[!0-9]*) fail_early 2 "JOB_TIMEOUT_SECONDS must be a whole number of seconds above 0 in decimal digits, got \"$JOB_TIMEOUT_SECONDS\"" ;;
esac
RETRY_DELAY_SECONDS=${RETRY_DELAY_SECONDS#"${RETRY_DELAY_SECONDS%%[!0]*}"}
RETRY_DELAY_SECONDS=${RETRY_DELAY_SECONDS:-0}
JOB_TIMEOUT_SECONDS=${JOB_TIMEOUT_SECONDS#"${JOB_TIMEOUT_SECONDS%%[!0]*}"}
[ -n "$JOB_TIMEOUT_SECONDS" ] || fail_early 2 "JOB_TIMEOUT_SECONDS must be a whole number of seconds above 0, got 0"

S3_PATH_STYLE_FLAG=
case $SNAPSHOT_S3_PATH_STYLE in
true | TRUE | True | 1 | yes) S3_PATH_STYLE_FLAG=--s3-path-style ;;
false | FALSE | False | 0 | no) ;;
*) fail_early 2 "SNAPSHOT_S3_PATH_STYLE must be true or false, got \"$SNAPSHOT_S3_PATH_STYLE\"" ;;
esac
[ -n "${SNAPSHOT_S3_URI-}" ] || S3_PATH_STYLE_FLAG=

# Style control needs each battle's features, which an aggregated export
# cannot carry: the export then writes every battle with them (rank reads
# STYLE_CONTROL itself). The values are those rank accepts.
EXPORT_FLAG=--aggregate
case ${STYLE_CONTROL:-false} in
1 | t | T | true | TRUE | True) EXPORT_FLAG=--style ;;
0 | f | F | false | FALSE | False) ;;
*) fail_early 2 "STYLE_CONTROL must be true or false, got \"$STYLE_CONTROL\"" ;;
esac

# The arguments go to rank in the middle of the pipe: those that would
# break it are refused here, before anything runs. rank must read the
# export (no FILE, no "--") and write NDJSON for snapshot-publish (--format
# ndjson only; no --help, --version or --check-settings, which print
# something else or nothing); style control needs the export's features,
# which STYLE_CONTROL turns on. RANK_BOOL_FLAGS are rank's flags that take
# no value (a test checks the list against rank --help): any other flag
# written without "=" takes the next argument as its value.
RANK_BOOL_FLAGS="significant pairs no-progress style-control check-settings help h version v"
bad_rank_arg() {
	fail_early 2 "the argument $(jq -n --arg s "$1" '$s') cannot go to rank in the job: $2"
}
check_rank_args() {
	local a name value=
	for a in "$@"; do
		if [ -n "$value" ]; then
			[ "$value" != format ] || [ "$a" = ndjson ] ||
				bad_rank_arg "--format $a" "snapshot-publish reads rank's NDJSON (--format ndjson); run rank by hand for a table or CSV"
			value=
			continue
		fi
		name=${a#-}
		name=${name#-}
		name=${name%%=*}
		case $a in
		--)
			bad_rank_arg "$a" "rank reads the export; the job takes rank's flags only" ;;
		--format=* | -format=*)
			[ "${a#*=}" = ndjson ] ||
				bad_rank_arg "$a" "snapshot-publish reads rank's NDJSON (--format ndjson); run rank by hand for a table or CSV" ;;
		- | [!-]*)
			bad_rank_arg "$a" "rank reads the export, not a file; the job takes rank's flags only" ;;
		esac
		case $name in
		help | h | version | v)
			bad_rank_arg "$a" "it prints text, not leaderboards (entrypoint.sh --help prints the job's usage)" ;;
		check-settings)
			bad_rank_arg "$a" "the job checks every stage's settings itself, before the export" ;;
		style-control)
			bad_rank_arg "$a" "set STYLE_CONTROL=true instead: the export must then carry each battle's style features" ;;
		esac
		case $a in
		*=*) ;;
		*) case " $RANK_BOOL_FLAGS " in *" $name "*) ;; *) value=$name ;; esac ;;
		esac
	done
	[ -z "$value" ] || [ "$value" != format ] || bad_rank_arg "--format" "it needs a value, and only ndjson can go to snapshot-publish"
}
check_rank_args "$@"

for tool in battles-export rank snapshot-publish; do
	command -v "$tool" >/dev/null 2>&1 || fail_early 4 "$tool not found on PATH ($PATH)"
done

# ---- the pipe ----------------------------------------------------------------

TMP=$(mktemp -d "${TMPDIR:-/tmp}/arena-job.XXXXXX") || fail_early 1 "cannot create a temporary folder"
trap 'stop_watchdog; rm -rf "$TMP"' EXIT

# The watchdog: JOB_TIMEOUT_SECONDS from now, SIGUSR1 to the job, which
# stops the stages and ends the run (timed_out). It is not the job's child
# (the job's wait for its stages must not wait for it), holds none of the
# job's output open, and ends with the job: stopped by it, or within a
# second of it when the job itself was killed.
(
	(
		trap 'kill "$s" 2>/dev/null; exit 0' TERM
		left=$JOB_TIMEOUT_SECONDS
		while [ "$left" -gt 0 ]; do
			sleep 1 &
			s=$!
			wait "$s"
			kill -0 $$ 2>/dev/null || exit 0
			left=$((left - 1))
		done
		kill -USR1 $$
	) </dev/null >/dev/null 2>&1 &
	echo $! >"$TMP/watchdog"
)
stop_watchdog() {
	[ -f "$TMP/watchdog" ] && kill -TERM "$(cat "$TMP/watchdog")" 2>/dev/null
	rm -f "$TMP/watchdog"
}

# The three stages' commands, with the flags the job gives them; extra
# arguments come first. Each runs in a process of its own (see stage), so
# it execs the tool. snapshot-publish reads SNAPSHOT_S3_URI,
# SNAPSHOT_DIR and REDIS_URL itself (--s3, --dir, --redis-url), so that its
# messages name them and no secret shows in ps.
export_command() {
	exec battles-export "$@" $EXPORT_FLAG ${LEADERBOARD_SLUG:+--leaderboard "$LEADERBOARD_SLUG"}
}
rank_command() {
	exec rank ${LEADERBOARD_SLUG:+--leaderboard "$LEADERBOARD_SLUG"} "$@"
}
publish_command() {
	exec snapshot-publish "$@" --db $S3_PATH_STYLE_FLAG
}

# stage NAME COMMAND [ARGS...]: runs COMMAND as one stage of the pipe. Its
# stdout goes down the pipe; its stderr both to ours and to $TMP/NAME.err;
# its pid is kept in $TMP/NAME.pid (for on_signal) and its exit status in
# $TMP/NAME.rc. COMMAND runs in the background so that the pid is known,
# and a background command's stdin would be /dev/null: fd 4 carries the
# stage's stdin to it, fd 3 its stdout. The shell's own notices ("Killed")
# are dropped: the outcome reports them.
stage() {
	local name=$1
	shift
	{
		{
			"$@" <&4 2>&1 >&3 3>&- 4>&- &
			echo $! >"$TMP/$name.pid"
			[ ! -e "$TMP/stop" ] || kill -"$(cat "$TMP/stop")" $! 2>/dev/null
			wait $!
			echo $? >"$TMP/$name.rc"
		} 2>/dev/null | tee "$TMP/$name.err" >&2 3>&- 4>&-
	} 3>&1 4<&0
}

# run_once RANK-ARGS...: one attempt of the whole job: export and rank
# into $TMP/boards.ndjson, then publish them (publish_once) when both
# succeeded. The stages run in the background so that a signal interrupts
# the wait for them at once.
run_once() {
	rm -f "$TMP"/*.rc "$TMP"/*.err "$TMP"/*.pid "$TMP/summary" "$TMP/boards.ndjson"
	stage export export_command |
		stage rank rank_command "$@" >"$TMP/boards.ndjson" &
	# wait returns early when a trapped signal arrives: wait again until
	# every stage has ended.
	until wait; do :; done
	rm -f "$TMP"/*.pid
	[ -z "$INTERRUPTED" ] || return 0
	[ "$(cat "$TMP/export.rc" 2>/dev/null)" = 0 ] && [ "$(cat "$TMP/rank.rc" 2>/dev/null)" = 0 ] && publish_once
}

# publish_once: publishes the leaderboards of $TMP/boards.ndjson. The retry
# after publishing alone failed runs only this: the same records, with the
# same as_of, are the same run, so no leaderboard is published twice
# (docs/publish.md), where a new export would be a new run.
publish_once() {
	rm -f "$TMP/publish.rc" "$TMP/publish.err" "$TMP/summary"
	stage publish publish_command <"$TMP/boards.ndjson" >"$TMP/summary" &
	until wait; do :; done
	rm -f "$TMP"/*.pid
}

# check_settings RANK-ARGS...: every stage checks its flags, variables and
# places (--check-settings: nothing read, nothing written) before the
# export starts, so that a bad setting ends the run at once, named in the
# error; the outcome is read as a run's.
check_settings() {
	rm -f "$TMP"/*.rc "$TMP"/*.err "$TMP/summary"
	{
		stage export export_command --check-settings
		stage rank rank_command --check-settings "$@"
		stage publish publish_command --check-settings
	} </dev/null >/dev/null &
	until wait; do :; done
	rm -f "$TMP"/*.pid
	outcome
}

# pause SECONDS: sleep, ended early by a signal.
pause() {
	sleep "$1" &
	echo $! >"$TMP/pause.pid"
	[ ! -e "$TMP/stop" ] || kill -TERM $! 2>/dev/null
	wait $!
	rm -f "$TMP/pause.pid"
}

# database: where the stages read and publish, as user@host:port/db. A
# DATABASE_URL is shown only when it parses without doubt (a password with
# '/', '@' or '?' not percent-encoded does not): a setting that does not
# parse is never echoed, and a password never is.
database() {
	if [ -n "${DATABASE_URL-}" ]; then
		printf '%s' "$DATABASE_URL" | jq -Rr '
			(capture("^postgres(ql)?://((?<user>[^:/@?#\\s]*)(:[^/@?#\\s]*)?@)?(?<host>[A-Za-z0-9._-]+|\\[[0-9A-Fa-f:.]+\\])(:(?<port>[0-9]+))?/(?<db>[^/@?#\\s]+)([?][^@#]*)?$") // null)
			| if . == null then "(DATABASE_URL, not shown: not a plain postgres:// URL)"
			  else "\(.user // "")@\(.host):\(.port // "5432")/\(.db)" end'
	else
		printf '%s@%s:%s/%s' "${POSTGRES_USER:-${PGUSER:-}}" "${POSTGRES_HOST:-${PGHOST:-localhost}}" \
			"${POSTGRES_PORT:-${PGPORT:-5432}}" "${POSTGRES_DB:-${PGDATABASE:-}}"
	fi
}

# s3_place: SNAPSHOT_S3_URI when it is a plain s3://bucket/prefix, else a
# note (a URI with credentials in it is never echoed).
s3_place() {
	printf '%s' "$SNAPSHOT_S3_URI" | jq -Rr 'if test("^s3://[a-z0-9][a-z0-9.-]*(/[^@?#\\s]*)?$") then . else "(SNAPSHOT_S3_URI, not shown: not a plain s3://bucket/prefix)" end'
}

# log_start RANK-ARGS...: the start event of an attempt, with the settings
# (a ranking variable left unset shows as "default").
log_start() {
	local hook=false redis=false
	[ -n "${ALERT_WEBHOOK_URL-}" ] && hook=true
	[ -n "${REDIS_URL-}" ] && redis=true
	START_EVENT=$(log INFO start --argjson attempt "$ATTEMPT" \
		--arg leaderboard "${LEADERBOARD_SLUG:-all}" \
		--arg num_bootstrap "${NUM_BOOTSTRAP:-default}" \
		--arg min_evals "${MIN_EVALS:-default}" \
		--arg significant "${SIGNIFICANT:-default}" \
		--arg min_total_battles "${MIN_TOTAL_BATTLES:-default}" \
		--arg min_total_models "${MIN_TOTAL_MODELS:-default}" \
		--arg style_control "${STYLE_CONTROL:-default}" \
		--arg guard "${PUBLISH_GUARD:-on}" \
		--arg database "$(database)" \
		--argjson sinks "$(json_array db ${SNAPSHOT_S3_URI:+"$(s3_place)"} ${SNAPSHOT_DIR:+"dir:$SNAPSHOT_DIR"})" \
		--argjson retry_delay_seconds "$RETRY_DELAY_SECONDS" \
		--argjson job_timeout_seconds "$JOB_TIMEOUT_SECONDS" \
		--argjson alert_webhook "$hook" \
		--argjson redis_cache "$redis" \
		--argjson rank_args "$(json_array "$@")")
	printf '%s\n' "$START_EVENT"
}

# ---- the outcome ---------------------------------------------------------------

# outcome: sets FAILED_STAGE, FAILED_STATUS (the stage's exit status),
# STATUS (the job's), FAILURE (a sentence) and STAGE_ERROR (the stage's own
# JSON error line, if any) from the stages' statuses. The failing stage is
# the first one that failed, except that a stage killed by SIGPIPE (its
# reader quit) gives way to the later stage that failed.
outcome() {
	local name rc tool err message failed crash
	FAILED_STAGE= FAILED_STATUS=0 STATUS=0 FAILURE= STAGE_ERROR=
	for name in publish rank export; do
		rc=$(cat "$TMP/$name.rc" 2>/dev/null)
		rc=${rc:-unknown}
		[ "$rc" = 0 ] && continue
		[ "$rc" = 141 ] && [ -n "$FAILED_STAGE" ] && continue
		FAILED_STAGE=$name FAILED_STATUS=$rc
	done
	[ -n "$FAILED_STAGE" ] || return 0

	case $FAILED_STAGE in
	export) tool=battles-export ;;
	rank) tool=rank ;;
	publish) tool=snapshot-publish ;;
	esac
	# A Go program that crashes (a panic, running out of memory) exits 2,
	# the tools' status for usage errors: its "panic:" or "fatal error:"
	# line tells the two apart.
	crash=$(grep -m 1 -E '^(panic|fatal error): ' "$TMP/$FAILED_STAGE.err" 2>/dev/null)
	case $FAILED_STATUS in
	2)
		if [ -n "$crash" ]; then
			STATUS=1
			FAILURE="$tool crashed (internal failure): $crash"
		else
			STATUS=2
			FAILURE="$tool exited 2 ($(status_kind 2))"
		fi
		;;
	[1-6])
		STATUS=$FAILED_STATUS
		FAILURE="$tool exited $FAILED_STATUS ($(status_kind "$FAILED_STATUS"))"
		;;
	unknown)
		STATUS=1
		FAILURE="$tool ended without an exit status"
		;;
	*)
		STATUS=1
		if [ "$FAILED_STATUS" -gt 128 ]; then
			FAILURE="$tool was killed by signal $(kill -l $((FAILED_STATUS - 128)) 2>/dev/null || echo $((FAILED_STATUS - 128)))"
		else
			FAILURE="$tool exited $FAILED_STATUS"
		fi
		;;
	esac

	# The stage's own message: its last JSON error line, else the last line
	# it wrote that is not JSON (a crash).
	err=$TMP/$FAILED_STAGE.err
	STAGE_ERROR=$(jq -cR 'fromjson? | objects | select(.level == "ERROR")' "$err" 2>/dev/null | tail -n 1)
	if [ -n "$STAGE_ERROR" ]; then
		message=$(printf '%s\n' "$STAGE_ERROR" | jq -r '.msg')
	else
		message=$(grep -v '^{.*}$' "$err" 2>/dev/null | grep . | tail -n 1)
	fi
	[ -n "$message" ] && FAILURE="$FAILURE: $message"
	if [ "$STATUS" = 6 ]; then
		failed=$(jq -rRn '[inputs | fromjson? | objects | select(.status == "failed") | .leaderboard] | join(", ")' "$TMP/summary" 2>/dev/null)
		[ -n "$failed" ] && FAILURE="$FAILURE; failed leaderboards: $failed"
	fi
}

log_error() {
	log ERROR error --argjson attempt "$ATTEMPT" --arg stage "$FAILED_STAGE" \
		--arg stage_exit_status "$FAILED_STATUS" --argjson exit_status "$STATUS" --arg error "$FAILURE" \
		${STAGE_ERROR:+--argjson stage_error "$STAGE_ERROR"}
}

# timed_out: the end of a run past JOB_TIMEOUT_SECONDS: transient (the
# database or S3 too slow or hung; worth the next scheduled run), not
# retried (the deadline is the whole job's).
timed_out() {
	local msg="the job ran past its deadline (JOB_TIMEOUT_SECONDS=$JOB_TIMEOUT_SECONDS); the stages were stopped"
	log ERROR error --argjson attempt "$ATTEMPT" --argjson exit_status 5 --arg error "$msg"
	finish 5 "$msg"
}

# stopped: the end of a run stopped by SIGINT (130) or SIGTERM (143).
stopped() {
	local status=143
	[ "$INTERRUPTED" = INT ] && status=130
	log ERROR error --argjson attempt "$ATTEMPT" --argjson exit_status "$status" --arg error "stopped by SIG$INTERRUPTED"
	finish "$status" "stopped by SIG$INTERRUPTED"
}

# ---- the run -------------------------------------------------------------------

ATTEMPT=1
log_start "$@"
[ -z "$INTERRUPTED" ] || stopped
check_settings "$@"
[ -z "$INTERRUPTED" ] || stopped
if [ "$STATUS" -ne 0 ]; then
	log_error
	finish "$STATUS" "$FAILURE"
fi
REPLAY=false
while :; do
	if [ "$REPLAY" = true ]; then publish_once; else run_once "$@"; fi
	[ -z "$INTERRUPTED" ] || stopped
	[ -z "$TIMED_OUT" ] || timed_out
	outcome
	[ "$STATUS" -ne 0 ] || finish 0
	log_error
	# Retry once, after a pause, when the failure may be transient: the
	# whole job, or, when only publishing failed, publishing the same
	# leaderboards again.
	if [ "$STATUS" -eq 5 ] && [ "$ATTEMPT" -lt 2 ]; then
		[ "$FAILED_STAGE" = publish ] && REPLAY=true
		log WARN retry --argjson attempt "$ATTEMPT" --argjson delay_seconds "$RETRY_DELAY_SECONDS" --arg reason "$FAILURE" \
			--argjson replay "$REPLAY"
		pause "$RETRY_DELAY_SECONDS"
		[ -z "$INTERRUPTED" ] || stopped
		[ -z "$TIMED_OUT" ] || timed_out
		ATTEMPT=$((ATTEMPT + 1))
		log_start "$@"
		[ -z "$INTERRUPTED" ] || stopped
		continue
	fi
	finish "$STATUS" "$FAILURE"
done
