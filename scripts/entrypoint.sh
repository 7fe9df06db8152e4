#!/bin/sh
# entrypoint.sh: the daily arena leaderboard job (DESIGN §6).
#
#   battles-export --aggregate | rank | snapshot-publish --db [--s3 URI] [--dir DIR]
#
# Usage: entrypoint.sh [RANK-ARGS...]   (extra arguments go to rank, for one-off runs)
#
# Runs under bash and under POSIX sh (dash, busybox ash). Configuration is
# the environment:
#   DATABASE_URL, POSTGRES_HOST/PORT/DB/USER/PASSWORD, PG*   the database
#       (read by battles-export and snapshot-publish themselves)
#   LEADERBOARD_SLUG      unset or empty: every leaderboard; set: only that one
#   NUM_BOOTSTRAP, MIN_EVALS, SIGNIFICANT, MIN_TOTAL_BATTLES, MIN_TOTAL_MODELS
#                         ranking parameters, read and checked by rank
#                         (production's defaults: 1000, 10, false, 30, 4)
#   SNAPSHOT_S3_URI       also publish to s3://bucket/prefix (AWS_* and
#                         AWS_ENDPOINT_URL_S3 configure the S3 client)
#   SNAPSHOT_S3_PATH_STYLE  true: address the bucket in the URL path
#                         (most S3-compatible servers want it; default false)
#   SNAPSHOT_DIR          also publish to this folder
#   RETRY_DELAY_SECONDS   pause before the one retry of a transient failure (10)
#   CORRELATION_ID        id carried by every log line (generated when unset)
#   ALERT_WEBHOOK_URL     on a failed run only, POST {"text": "..."} here
# A set-but-empty variable means its default.
#
# Logs: the job's own events are JSON lines on stdout (start, retry, error,
# alert, complete); the stages' logs are JSON lines on stderr
# (LOG_FORMAT=json), all with the same correlation_id. Secrets (passwords)
# are never logged.
#
# Safety: nothing is published when an earlier stage fails. The streams are
# self-verifying (rank refuses a battle stream cut short and writes nothing;
# snapshot-publish publishes nothing from empty or cut input), so this holds
# for the pipe typed by hand too; here each stage's status is also checked.
#
# Retry: the whole run is retried once, after RETRY_DELAY_SECONDS, when the
# stage that failed exited 5 (transient). Other failures are not retried.
#
# Exit status (the failing stage's, when a stage failed):
#   0  success: every leaderboard published or skipped with its reason
#   1  internal failure, or a stage killed by a signal
#   2  usage: bad argument or variable (e.g. NUM_BOOTSTRAP), named in the log
#   3  bad input: the battle or leaderboard stream is malformed or cut short
#   4  configuration: a tool is missing, authentication, schema, privilege
#   5  transient failure (database or S3 unreachable), still there after the retry
#   6  partial failure: some leaderboards failed, the others were published
#   130, 143  the job was stopped by SIGINT or SIGTERM

set -u
if (set -o pipefail) 2>/dev/null; then set -o pipefail; fi

JOB=entrypoint

# ---- JSON output -----------------------------------------------------------

# json_str S: S escaped for use inside a JSON string (control characters
# other than tab and newline are dropped); jstr calls it only for strings
# that need it.
json_str() {
	printf '%s' "$1" | tr -d '\000-\010\013-\037' |
		sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/	/\\t/g' |
		awk 'NR > 1 { printf "\\n" } { printf "%s", $0 }'
}

# jstr S: sets J to S as a JSON string, without a subshell when S needs no
# escaping (the job's start is on its critical path: every fork counts).
jstr() {
	case $1 in
	*[\\\"]* | *[![:print:]]*) J="\"$(json_str "$1")\"" ;;
	*) J="\"$1\"" ;;
	esac
}

# q S: S as a JSON string.
q() {
	jstr "$1"
	printf '%s' "$J"
}

now_iso() { date -u +%Y-%m-%dT%H:%M:%SZ; }

# clock: sets MS to a clock in milliseconds, for durations: the system's
# uptime where /proc has it (read without a fork), else the epoch from
# date (seconds resolution where date lacks %N).
clock() {
	MS=
	if read -r _up _ </proc/uptime 2>/dev/null; then
		case $_up in
		*[0-9].[0-9][0-9]) MS=$((${_up%.*} * 1000 + (1${_up#*.} - 100) * 10)) ;;
		esac
	fi
	case $MS in
	'' | *[!0-9]*) ;;
	*) return ;;
	esac
	MS=$(date +%s%N 2>/dev/null)
	case $MS in
	'' | *[!0-9]*) MS=$(($(date +%s) * 1000)) ;;
	*) MS=$((MS / 1000000)) ;;
	esac
}

# log LEVEL EVENT [FIELDS]: one JSON line on stdout; FIELDS is JSON text
# starting with a comma.
log() {
	printf '{"time":"%s","level":"%s","msg":"%s","tool":"%s","correlation_id":%s,"event":"%s"%s}\n' \
		"$(now_iso)" "$1" "$2" "$JOB" "$CID_JSON" "$2" "${3-}"
}

# ---- configuration -----------------------------------------------------------

# A set-but-empty variable means its default: unset it so that no tool sees it.
for _v in LEADERBOARD_SLUG NUM_BOOTSTRAP MIN_EVALS SIGNIFICANT MIN_TOTAL_BATTLES \
	MIN_TOTAL_MODELS SNAPSHOT_S3_URI SNAPSHOT_S3_PATH_STYLE SNAPSHOT_DIR RETRY_DELAY_SECONDS CORRELATION_ID \
	ALERT_WEBHOOK_URL DATABASE_URL POSTGRES_HOST POSTGRES_PORT POSTGRES_DB POSTGRES_USER \
	POSTGRES_PASSWORD; do
	eval "_val=\${$_v-}"
	if [ -z "$_val" ]; then unset "$_v"; fi
done

if [ -z "${CORRELATION_ID-}" ]; then
	read -r CORRELATION_ID </proc/sys/kernel/random/uuid 2>/dev/null || CORRELATION_ID=
	if [ -z "$CORRELATION_ID" ]; then
		CORRELATION_ID=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n' |
			sed 's/^\(........\)\(....\)\(....\)\(....\)\(............\)$/\1-\2-\3-\4-\5/')
	fi
fi
LOG_FORMAT=json
export CORRELATION_ID LOG_FORMAT
jstr "$CORRELATION_ID"
CID_JSON=$J

clock
STARTED_MS=$MS
ATTEMPT=0
TMP=

# ---- alerting and the end of the job ---------------------------------------

# alert TEXT: POST {"text": TEXT} to ALERT_WEBHOOK_URL, if set. A failing
# webhook is logged and changes nothing else.
alert() {
	[ -n "${ALERT_WEBHOOK_URL-}" ] || return 0
	_body="{\"text\":$(q "$1")}"
	_how=
	if command -v curl >/dev/null 2>&1; then
		_how=curl
		_out=$(printf '%s' "$_body" | curl -sS -f -m 10 -X POST -H 'Content-Type: application/json' \
			--data-binary @- "$ALERT_WEBHOOK_URL" 2>&1 >/dev/null)
		_rc=$?
	elif command -v wget >/dev/null 2>&1; then
		_how=wget
		_f=${TMP:-/tmp}/alert.$$.json
		printf '%s' "$_body" >"$_f"
		_out=$(wget -q -O /dev/null -T 10 --header='Content-Type: application/json' \
			--post-file="$_f" "$ALERT_WEBHOOK_URL" 2>&1)
		_rc=$?
		rm -f "$_f"
	else
		log ERROR alert_failed ",\"error\":\"no HTTP client (curl or wget) to send the alert\""
		return 0
	fi
	if [ "$_rc" -ne 0 ]; then
		log ERROR alert_failed ",\"client\":\"$_how\",\"exit_status\":$_rc,\"error\":$(q "$_out")"
	else
		log INFO alert ",\"client\":\"$_how\""
	fi
	return 0
}

# summary_fields: the per-leaderboard outcomes of the last attempt, from
# snapshot-publish's summary lines (already JSON), as JSON fields.
summary_fields() {
	_lines=
	_pub=0 _skip=0 _fail=0
	if [ -n "$TMP" ] && [ -s "$TMP/summary" ]; then
		while IFS= read -r _l; do
			case $_l in
			'{'*) _lines="$_lines${_lines:+,}$_l" ;;
			*) continue ;;
			esac
			case $_l in
			*'"status":"published"'*) _pub=$((_pub + 1)) ;;
			*'"status":"skipped"'*) _skip=$((_skip + 1)) ;;
			*'"status":"failed"'*) _fail=$((_fail + 1)) ;;
			esac
		done <"$TMP/summary"
	fi
	printf ',"published":%s,"skipped":%s,"failed":%s,"leaderboards":[%s]' "$_pub" "$_skip" "$_fail" "$_lines"
}

# finish STATUS [TEXT]: alert when STATUS is a failure, log complete, exit.
finish() {
	_status=$1
	if [ "$_status" -ne 0 ]; then
		alert "arena leaderboard job failed (exit $_status: $(status_kind "$_status")): ${2-}; correlation_id $CORRELATION_ID, attempts $ATTEMPT"
	fi
	clock
	_d=$((MS - STARTED_MS))
	_ok=true
	_lvl=INFO
	if [ "$_status" -ne 0 ]; then _ok=false _lvl=ERROR; fi
	log "$_lvl" complete "$(printf ',"ok":%s,"exit_status":%s,"attempts":%s,"duration_seconds":%d.%03d' \
		"$_ok" "$_status" "$ATTEMPT" $((_d / 1000)) $((_d % 1000)))$(summary_fields)"
	exit "$_status"
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

# fail_early STATUS MESSAGE: an error before any stage ran.
fail_early() {
	log ERROR error ",\"exit_status\":$1,\"error\":$(q "$2")"
	finish "$1" "$2"
}

# ---- checks before the run ---------------------------------------------------

RETRY_DELAY_SECONDS=${RETRY_DELAY_SECONDS:-10}
case $RETRY_DELAY_SECONDS in
'' | *[!0-9]*) fail_early 2 "RETRY_DELAY_SECONDS must be a whole number of seconds, got \"$RETRY_DELAY_SECONDS\"" ;;
esac

S3_PATH_STYLE=
case ${SNAPSHOT_S3_PATH_STYLE:-false} in
true | TRUE | True | 1 | yes) S3_PATH_STYLE=--s3-path-style ;;
false | FALSE | False | 0 | no) ;;
*) fail_early 2 "SNAPSHOT_S3_PATH_STYLE must be true or false, got \"$SNAPSHOT_S3_PATH_STYLE\"" ;;
esac
[ -n "${SNAPSHOT_S3_URI-}" ] || S3_PATH_STYLE=

for _t in battles-export rank snapshot-publish; do
	if ! command -v "$_t" >/dev/null 2>&1; then
		fail_early 4 "$_t not found on PATH ($PATH)"
	fi
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/arena-job.XXXXXX") || fail_early 1 "cannot create a temporary folder"
trap 'rm -rf "$TMP"' EXIT

INTERRUPTED=
on_signal() {
	INTERRUPTED=$1
	for _p in "$TMP"/*.pid; do
		[ -f "$_p" ] && kill -TERM "$(cat "$_p")" 2>/dev/null
	done
}
trap 'on_signal INT' INT
trap 'on_signal TERM' TERM

# ---- the run -----------------------------------------------------------------

# redact URL: a connection URL without its password.
redact() {
	case $1 in
	*://*) printf '%s' "$1" | sed -e 's#^\([A-Za-z]*://[^:/@]*\):[^/]*@#\1:xxxxx@#' \
		-e 's/\([?&]password=\)[^&]*/\1xxxxx/g' ;;
	*) printf '(keyword/value connection string, not shown)' ;;
	esac
}

database() {
	if [ -n "${DATABASE_URL-}" ]; then
		redact "$DATABASE_URL"
	else
		printf '%s@%s:%s/%s' "${POSTGRES_USER:-${PGUSER:-}}" "${POSTGRES_HOST:-${PGHOST:-localhost}}" \
			"${POSTGRES_PORT:-${PGPORT:-5432}}" "${POSTGRES_DB:-${PGDATABASE:-}}"
	fi
}

# start_fields RANK-ARGS...: sets FIELDS to the start event's fields.
start_fields() {
	FIELDS=",\"attempt\":$ATTEMPT"
	J='"all"'
	[ -n "${LEADERBOARD_SLUG-}" ] && jstr "$LEADERBOARD_SLUG"
	FIELDS="$FIELDS,\"leaderboard\":$J"
	# Each variable's value, or "default" when unset, under its field.
	for _p in NUM_BOOTSTRAP:num_bootstrap MIN_EVALS:min_evals SIGNIFICANT:significant \
		MIN_TOTAL_BATTLES:min_total_battles MIN_TOTAL_MODELS:min_total_models; do
		eval "_o=\${${_p%%:*}-}"
		J='"default"'
		[ -n "$_o" ] && jstr "$_o"
		FIELDS="$FIELDS,\"${_p#*:}\":$J"
	done
	jstr "$(database)"
	FIELDS="$FIELDS,\"database\":$J,\"sinks\":[\"db\""
	if [ -n "${SNAPSHOT_S3_URI-}" ]; then jstr "$SNAPSHOT_S3_URI" && FIELDS="$FIELDS,$J"; fi
	if [ -n "${SNAPSHOT_DIR-}" ]; then jstr "dir:$SNAPSHOT_DIR" && FIELDS="$FIELDS,$J"; fi
	_hook=false
	[ -n "${ALERT_WEBHOOK_URL-}" ] && _hook=true
	FIELDS="$FIELDS],\"retry_delay_seconds\":$RETRY_DELAY_SECONDS,\"alert_webhook\":$_hook,\"rank_args\":["
	_sep=
	for _x in "$@"; do
		jstr "$_x"
		FIELDS="$FIELDS$_sep$J"
		_sep=,
	done
	FIELDS="$FIELDS]"
}

# stage NAME COMMAND [ARGS...]: runs COMMAND on the pipeline's stdin and
# stdout, its stderr copied to our stderr and to $TMP/NAME.err, its pid in
# $TMP/NAME.pid (for signals) and its exit status in $TMP/NAME.rc.
stage() {
	_n=$1
	shift
	{
		{
			"$@" <&4 2>&1 >&3 3>&- 4>&- &
			echo $! >"$TMP/$_n.pid"
			wait $!
			echo $? >"$TMP/$_n.rc"
		} 2>/dev/null | tee "$TMP/$_n.err" >&2 3>&- 4>&-
	} 3>&1 4<&0
}

# run_once RANK-ARGS...: one attempt of the whole pipeline.
run_once() {
	if [ "$ATTEMPT" -gt 1 ]; then rm -f "$TMP"/*.rc "$TMP"/*.err "$TMP"/*.pid "$TMP/summary"; fi
	stage export battles-export --aggregate \
		${LEADERBOARD_SLUG:+--leaderboard} ${LEADERBOARD_SLUG:+"$LEADERBOARD_SLUG"} |
		stage rank rank \
			${LEADERBOARD_SLUG:+--leaderboard} ${LEADERBOARD_SLUG:+"$LEADERBOARD_SLUG"} "$@" |
		stage publish snapshot-publish --db \
			${SNAPSHOT_S3_URI:+--s3} ${SNAPSHOT_S3_URI:+"$SNAPSHOT_S3_URI"} $S3_PATH_STYLE \
			${SNAPSHOT_DIR:+--dir} ${SNAPSHOT_DIR:+"$SNAPSHOT_DIR"} >"$TMP/summary" &
	# wait returns early when a trapped signal arrives: wait again until
	# every stage is done.
	until wait; do :; done
}

# signame N: the name of signal N.
signame() { kill -l "$1" 2>/dev/null || echo "$1"; }

# outcome: sets FAILED_STAGE, FAILED_STATUS (the stage's exit status),
# STATUS (the job's) and FAILURE (a sentence) from the stages' statuses. The
# failing stage is the first one that failed, except that a stage killed by
# SIGPIPE (its reader quit) gives way to a later stage that failed.
outcome() {
	FAILED_STAGE= FAILED_STATUS=0 STATUS=0 FAILURE=
	_later_failed=
	for _s in publish rank export; do
		read -r _rc <"$TMP/$_s.rc" 2>/dev/null || _rc=
		[ -n "$_rc" ] || _rc=unknown
		[ "$_rc" = 0 ] && continue
		if [ "$_rc" = 141 ] && [ -n "$_later_failed" ]; then continue; fi
		FAILED_STAGE=$_s FAILED_STATUS=$_rc
		_later_failed=yes
	done
	[ -n "$FAILED_STAGE" ] || return 0
	case $FAILED_STAGE in
	export) _tool=battles-export ;;
	rank) _tool=rank ;;
	publish) _tool=snapshot-publish ;;
	esac
	case $FAILED_STATUS in
	unknown)
		STATUS=1
		FAILURE="$_tool ended without an exit status"
		;;
	[1-6])
		STATUS=$FAILED_STATUS
		FAILURE="$_tool exited $FAILED_STATUS ($(status_kind "$FAILED_STATUS"))"
		;;
	*)
		STATUS=1
		if [ "$FAILED_STATUS" -gt 128 ]; then
			FAILURE="$_tool was killed by signal $(signame $((FAILED_STATUS - 128)))"
		else
			FAILURE="$_tool exited $FAILED_STATUS"
		fi
		;;
	esac
	# The stage's own error message: its last error line (JSON), else the
	# last line it wrote that is not JSON (a crash).
	STAGE_ERROR_LINE=$(grep '"level":"ERROR"' "$TMP/$FAILED_STAGE.err" 2>/dev/null | grep '^{.*}$' | tail -n 1)
	if [ -n "$STAGE_ERROR_LINE" ]; then
		_msg=$(printf '%s\n' "$STAGE_ERROR_LINE" | sed -n 's/.*"msg":"\(.*\)","tool":.*/\1/p' | sed 's/\\"/"/g')
	else
		_msg=$(grep -v '^{.*}$' "$TMP/$FAILED_STAGE.err" 2>/dev/null | grep . | tail -n 1)
	fi
	[ -n "$_msg" ] && FAILURE="$FAILURE: $_msg"
	if [ "$STATUS" = 6 ] && [ -s "$TMP/summary" ]; then
		_which=$(grep '"status":"failed"' "$TMP/summary" | sed -n 's/.*"leaderboard":"\([^"]*\)".*/\1/p' | tr '\n' ' ')
		[ -n "$_which" ] && FAILURE="$FAILURE; failed leaderboards: ${_which% }"
	fi
}

error_fields() {
	printf ',"attempt":%s,"stage":%s,"stage_exit_status":%s,"exit_status":%s,"error":%s' \
		"$ATTEMPT" "$(q "$FAILED_STAGE")" "$(q "$FAILED_STATUS")" "$STATUS" "$(q "$FAILURE")"
	if [ -n "${STAGE_ERROR_LINE-}" ]; then printf ',"stage_error":%s' "$STAGE_ERROR_LINE"; fi
}

while :; do
	ATTEMPT=$((ATTEMPT + 1))
	start_fields "$@"
	log INFO start "$FIELDS"
	run_once "$@"
	if [ -n "$INTERRUPTED" ]; then
		_st=143
		[ "$INTERRUPTED" = INT ] && _st=130
		log ERROR error ",\"attempt\":$ATTEMPT,\"exit_status\":$_st,\"error\":\"stopped by SIG$INTERRUPTED\""
		finish "$_st" "stopped by SIG$INTERRUPTED"
	fi
	STAGE_ERROR_LINE=
	outcome
	if [ "$STATUS" -eq 0 ]; then
		finish 0
	fi
	log ERROR error "$(error_fields)"
	if [ "$STATUS" -eq 5 ] && [ "$ATTEMPT" -lt 2 ]; then
		log WARN retry ",\"attempt\":$ATTEMPT,\"delay_seconds\":$RETRY_DELAY_SECONDS,\"reason\":$(q "$FAILURE")"
		sleep "$RETRY_DELAY_SECONDS" &
		until wait; do :; done
		if [ -n "$INTERRUPTED" ]; then
			_st=143
			[ "$INTERRUPTED" = INT ] && _st=130
			finish "$_st" "stopped by SIG$INTERRUPTED"
		fi
		continue
	fi
	finish "$STATUS" "$FAILURE"
done
