#!/bin/sh
# pipeline.sh — the pipeline pages at scale (`make bench` runs it from
# bench/run.sh): a fresh SQLite database with 100,000 people and 1,000,000
# stage events (bench/pipeline_data.sql, generated in SQL in seconds, not
# through 100,000 HTTP posts), then sequential requests of "My calls" (as a
# volunteer with 400 people in the queue) and of the funnel report (as
# staff), each timed by curl; prints p50 and p99 beside their reference.
# Settings: BUILD (build), ONRAMP_BIN, BENCH_CALLS_N (300), BENCH_FUNNEL_N (40).
set -eu

BUILD=${BUILD:-build}
ONRAMP=${ONRAMP_BIN:-$PWD/$BUILD/onramp}
CALLS_N=${BENCH_CALLS_N:-300}
FUNNEL_N=${BENCH_FUNNEL_N:-40}
HERE=$(cd "$(dirname "$0")" && pwd)
VOL=bench.volunteer@example.org
VOL_PASS="quartz lagoon ember 73"
STAFF=bench.staff@example.org
STAFF_PASS="maple cobalt harbor 46"

for tool in curl sqlite3 awk sort; do
	command -v "$tool" >/dev/null 2>&1 || { echo "bench: $tool is missing (make deps)" >&2; exit 1; }
done
[ -x "$ONRAMP" ] || { echo "bench: $ONRAMP is missing (make)" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/onramp-bench-pipeline-XXXXXX")
serve_pid=""
cleanup() {
	[ -n "$serve_pid" ] && kill -TERM "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export ONRAMP_DB="sqlite:$tmp/onramp.db" ONRAMP_KEY_FILE="$tmp/onramp.key" \
	ONRAMP_LISTEN=127.0.0.1:0 ONRAMP_SIGNUP_RATE=0
unset ONRAMP_THEME ONRAMP_BASE_URL ONRAMP_LOG_LEVEL

"$ONRAMP" migrate >"$tmp/migrate.log" 2>&1 || { cat "$tmp/migrate.log" >&2; exit 1; }
echo "$VOL_PASS" | "$ONRAMP" user add --email "$VOL" --role volunteer >/dev/null 2>&1
echo "$STAFF_PASS" | "$ONRAMP" user add --email "$STAFF" --role staff >/dev/null 2>&1
t0=$(date +%s%3N)
sqlite3 "$tmp/onramp.db" <"$HERE/pipeline_data.sql" >/dev/null
t1=$(date +%s%3N)
people=$(sqlite3 "$tmp/onramp.db" "SELECT count(*) FROM people")
events=$(sqlite3 "$tmp/onramp.db" "SELECT count(*) FROM stage_events")

"$ONRAMP" serve >"$tmp/stdout" 2>"$tmp/stderr" &
serve_pid=$!
i=0
while ! grep -q '^onramp: listening on http://127.0.0.1:' "$tmp/stdout" 2>/dev/null; do
	i=$((i + 1))
	if [ "$i" -ge 600 ] || ! kill -0 "$serve_pid" 2>/dev/null; then
		echo "bench: onramp serve did not start:" >&2
		tail -n 20 "$tmp/stderr" >&2
		exit 1
	fi
	sleep 0.1
done
base=$(sed -n 's|^onramp: listening on \(http://127.0.0.1:[0-9]*\).*|\1|p' "$tmp/stdout" | head -n 1)

# Signs in as $1/$2 into cookie jar $3.
login() {
	curl -s -c "$3" -b "$3" -o "$tmp/login.html" "$base/login"
	token=$(sed -n 's|.*name="csrf" value="\([^"]*\)".*|\1|p' "$tmp/login.html" | head -n 1)
	code=$(curl -s -c "$3" -b "$3" -o /dev/null -w '%{http_code}' \
		--data-urlencode "csrf=$token" --data-urlencode "email=$1" --data-urlencode "password=$2" \
		"$base/login")
	[ "$code" = 303 ] || { echo "bench: login as $1 answered $code" >&2; exit 1; }
}

# Requests $2 $1 times with jar $3; prints "p50 p99" in milliseconds.
timed() {
	: >"$tmp/times"
	n=0
	while [ "$n" -lt "$1" ]; do
		out=$(curl -s -b "$3" -o "$tmp/page.html" -w '%{http_code} %{time_total}' "$base$2")
		[ "${out%% *}" = 200 ] || { echo "bench: $2 answered ${out%% *}" >&2; exit 1; }
		echo "${out#* }" >>"$tmp/times"
		n=$((n + 1))
	done
	sort -n "$tmp/times" | awk '{ v[NR] = $1 } END {
		p50 = v[int((NR - 1) * 0.50) + 1]; p99 = v[int((NR - 1) * 0.99) + 1];
		printf "%.1f %.1f", p50 * 1000, p99 * 1000 }'
}

login "$VOL" "$VOL_PASS" "$tmp/vol.jar"
login "$STAFF" "$STAFF_PASS" "$tmp/staff.jar"
timed 5 /staff/calls "$tmp/vol.jar" >/dev/null
rows=$(grep -c 'href="/staff/people/[0-9]*/call"' "$tmp/page.html" || true)
calls=$(timed "$CALLS_N" /staff/calls "$tmp/vol.jar")
funnel=$(timed "$FUNNEL_N" /staff/reports/funnel "$tmp/staff.jar")
funnel_src=$(timed "$FUNNEL_N" "/staff/reports/funnel?source=instagram" "$tmp/staff.jar")

printf '\n%-52s %-26s %s\n' "pipeline (SQLite, $people people, $events stage events)" "measured" "reference"
printf '%-52s %-26s %s\n' "data set generated (SQL)" "$((t1 - t0)) ms" "< 60000 ms"
printf '%-52s %-26s %s\n' "My calls ($rows rows), sequential" "p50 ${calls% *} ms, p99 ${calls#* } ms" "p99 < 100 ms"
printf '%-52s %-26s %s\n' "funnel report, everyone" "p50 ${funnel% *} ms, p99 ${funnel#* } ms" "p99 < 1500 ms"
printf '%-52s %-26s %s\n' "funnel report, one source" "p50 ${funnel_src% *} ms, p99 ${funnel_src#* } ms" "p99 < 2000 ms"
