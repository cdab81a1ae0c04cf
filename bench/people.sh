#!/bin/sh
# people.sh — the staff people list at 1M people (`make bench` runs it from
# bench/run.sh). In one run:
#   1. a fresh SQLite database (`onramp migrate`) gets BENCH_PEOPLE_N
#      (1,000,000) people with their emails, phones, office and help choices,
#      written by the sqlite3 shell from bench/people_data.sql exactly as a
#      signup writes them (the intake counters kept by their triggers,
#      checked against a recount), and their search rows in the index file
#      beside it (onramp.db-search), current with the database's
#      people_fts_log, as onramp's indexer would leave it;
#   2. bench/people_search.c times people_search() — the domain call behind
#      GET /staff/people — for each kind of search, p50/p99, and beside it
#      the reference: a raw FTS5 prefix MATCH on the same people_fts table
#      (the index file attached) through the SQLite C API;
#   3. onramp serve on that database, signed in as staff: each main search
#      as the page a user loads, under wrk -t1 -c1 (one user, one request
#      after the other) for BENCH_PEOPLE_SECONDS each, p50/p99.
# Prints a table; bench/README.md explains it. Exits non-zero if a check
# fails (a count, the index file's state, onramp rebuilding the index
# instead of taking it, a non-200 answer, a page that lacks its rows).
# Settings: BUILD (build), ONRAMP_BIN, BENCH_PEOPLE_N (1000000),
# BENCH_PEOPLE_ROUNDS (200 calls per case at most), BENCH_PEOPLE_SECONDS (3).
set -eu

BUILD=${BUILD:-build}
ONRAMP=${ONRAMP_BIN:-$PWD/$BUILD/onramp}
N=${BENCH_PEOPLE_N:-1000000}
ROUNDS=${BENCH_PEOPLE_ROUNDS:-200}
SECS=${BENCH_PEOPLE_SECONDS:-3}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
STAFF=bench.staff@example.org
STAFF_PASS="maple cobalt harbor 46"
PKGS="libmicrohttpd sqlite3 jansson libsodium libpq liboath libqrencode libcurl geos gdal"

for tool in wrk curl sqlite3 cc pkg-config awk sort; do
	command -v "$tool" >/dev/null 2>&1 || { echo "bench: $tool is missing (make deps)" >&2; exit 1; }
done
[ -x "$ONRAMP" ] || { echo "bench: $ONRAMP is missing (make)" >&2; exit 1; }
LIB=$(dirname "$ONRAMP")/libonramp.a
[ -f "$LIB" ] || LIB=$ROOT/$BUILD/libonramp.a
[ -f "$LIB" ] || { echo "bench: $LIB is missing (make)" >&2; exit 1; }
case $N in
''|*[!0-9]*) echo "bench: BENCH_PEOPLE_N must be a number" >&2; exit 1 ;;
esac
# people_data.sql makes phone numbers unique from the row number
[ "$N" -ge 1000 ] && [ "$N" -lt 8000000 ] || { echo "bench: BENCH_PEOPLE_N must be 1000..7999999" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/onramp-bench-people-XXXXXX")
serve_pid=""
cleanup() {
	if [ -n "$serve_pid" ]; then
		kill -TERM "$serve_pid" 2>/dev/null || true
		wait "$serve_pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export ONRAMP_DB="sqlite:$tmp/onramp.db" ONRAMP_KEY_FILE="$tmp/onramp.key" \
	ONRAMP_LISTEN=127.0.0.1:0 ONRAMP_SIGNUP_RATE=0
unset ONRAMP_THEME ONRAMP_BASE_URL ONRAMP_LOG_LEVEL

# The search program, against the same build of the library as the server.
# shellcheck disable=SC2046,SC2086
cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Werror -fstack-protector-strong -O2 -D_FORTIFY_SOURCE=2 -I"$ROOT/src" \
	$(pkg-config --cflags $PKGS) -o "$tmp/people_search" "$HERE/people_search.c" "$LIB" \
	$(pkg-config --libs $PKGS) -lpthread -lm

# --- 1. the data set ----------------------------------------------------------
"$ONRAMP" migrate >"$tmp/migrate.log" 2>&1 || { cat "$tmp/migrate.log" >&2; exit 1; }
echo "$STAFF_PASS" | "$ONRAMP" user add --email "$STAFF" --role staff >/dev/null 2>&1
t0=$(date +%s%3N)
sqlite3 "$tmp/onramp.db" \
	"CREATE TEMP TABLE bench_n (n INTEGER); INSERT INTO bench_n VALUES ($N);" \
	"CREATE TEMP TABLE bench_now (t INTEGER); INSERT INTO bench_now VALUES ($(date +%s));" \
	".read $HERE/people_data.sql" >/dev/null
t1=$(date +%s%3N)
# the database with its search index attached, as onramp's readers see it
search=$tmp/onramp.db-search
sq() { sqlite3 -separator ' ' "$tmp/onramp.db" "ATTACH '$search' AS search" "$@"; }
sq "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
counts=$(sq "SELECT
	(SELECT count(*) FROM people), (SELECT count(*) FROM person_emails),
	(SELECT count(*) FROM person_phones), (SELECT count(*) FROM person_choices),
	(SELECT count(*) FROM search.people_fts),
	(SELECT value FROM intake_counters WHERE name = 'people' AND bucket = ''),
	(SELECT value FROM intake_counters WHERE name = 'emails' AND bucket = ''),
	(SELECT value FROM intake_counters WHERE name = 'phones' AND bucket = ''),
	(SELECT count(*) FROM people_fts_log),
	(SELECT coalesce(max(seq), 0) FROM people_fts_log),
	(SELECT coalesce(max(v), -1) FROM search.search_state WHERE k = 'version'),
	(SELECT coalesce(max(v), -1) FROM search.search_state WHERE k = 'position'),
	(SELECT count(*) FROM search.search_state WHERE k = 'rebuild_next')")
set -- $counts
people=$1 emails=$2 phones=$3 choices=$4 fts=$5 c_people=$6 c_emails=$7 c_phones=$8
logged=$9 log_end=${10} s_version=${11} s_position=${12} s_rebuilding=${13}
fail=0
if [ "$people" -ne "$N" ] || [ "$emails" -ne "$N" ] || [ "$fts" -ne "$N" ]; then
	echo "FAIL: people data: $people people, $emails emails, $fts search rows for $N" >&2; fail=1
fi
if [ "$c_people" -ne "$people" ] || [ "$c_emails" -ne "$emails" ] || [ "$c_phones" -ne "$phones" ]; then
	echo "FAIL: intake counters $c_people/$c_emails/$c_phones, recount $people/$emails/$phones" >&2; fail=1
fi
# onramp's indexer takes the index file as current only at version 1 with
# its position at the log's end (store_search_queue.c: search_setup)
if [ "$s_version" -ne 1 ] || [ "$s_position" -ne "$log_end" ] || [ "$s_rebuilding" -ne 0 ]; then
	echo "FAIL: search index state: version $s_version, position $s_position (the log: $logged rows" \
		"up to $log_end), $s_rebuilding rebuild marks" >&2; fail=1
fi
# a rebuild drops and creates people_fts, which moves the index file's
# schema cookie: read it again after the server has run
schema0=$(sq "PRAGMA search.schema_version")
dbsize=$(( $(wc -c <"$tmp/onramp.db") / 1048576 ))
searchsize=$(( $(wc -c <"$search") / 1048576 ))

# --- 2. people_search() and the raw FTS5 reference ---------------------------
"$tmp/people_search" "$tmp/onramp.db" "$ROUNDS" >"$tmp/domain.out" || {
	echo "bench: bench/people_search failed" >&2; exit 1; }

# --- 3. the page, through onramp serve ----------------------------------------
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

jar=$tmp/staff.jar
curl -s -c "$jar" -b "$jar" -o "$tmp/login.html" "$base/login"
token=$(sed -n 's|.*name="csrf" value="\([^"]*\)".*|\1|p' "$tmp/login.html" | head -n 1)
code=$(curl -s -c "$jar" -b "$jar" -o /dev/null -w '%{http_code}' \
	--data-urlencode "csrf=$token" --data-urlencode "email=$STAFF" \
	--data-urlencode "password=$STAFF_PASS" "$base/login")
[ "$code" = 303 ] || { echo "bench: login as $STAFF answered $code" >&2; exit 1; }
# every cookie of the jar (HttpOnly ones are written as "#HttpOnly_host …")
cookie=$(awk 'NF >= 7 && ($1 !~ /^#/ || $1 ~ /^#HttpOnly_/) { printf "%s%s=%s", sep, $6, $7; sep = "; " }' "$jar")

# A person's email and phone to look up (as people_search.c does).
email=$(sqlite3 "$tmp/onramp.db" "SELECT email FROM person_emails WHERE person_id = 456791 % $N + 1")
phone=$(sqlite3 "$tmp/onramp.db" "SELECT substr(phone, 3, 3) || '-' || substr(phone, 6, 3) || '-' || substr(phone, 9)
	FROM person_phones ORDER BY person_id DESC LIMIT 1")
from=$(date -u -d '@'$(( $(date +%s) - 400 * 86400 )) +%Y-%m-%d)
to=$(date -u -d '@'$(( $(date +%s) - 371 * 86400 )) +%Y-%m-%d)

# Loads $1 (a path and query) with wrk for $SECS seconds, one connection;
# checks its first answer with curl (200, and at least $2 rows of people).
# Prints "p50_ms p99_ms requests".
http_case() {
	out=$(curl -s -b "$jar" -o "$tmp/page.html" -w '%{http_code}' "$base$1")
	[ "$out" = 200 ] || { echo "bench: $1 answered $out" >&2; exit 1; }
	rows=$(grep -c 'href="/staff/people/[0-9]*"' "$tmp/page.html" || true)
	[ "$rows" -ge "$2" ] || { echo "bench: $1 shows $rows people, want $2 or more" >&2; exit 1; }
	wrk -t1 -c1 -d"${SECS}s" -H "Cookie: $cookie" -s "$HERE/hello_latency.lua" \
		"$base$1" >"$tmp/wrk.out" 2>&1
	if grep -q 'Non-2xx' "$tmp/wrk.out"; then
		echo "bench: $1: $(grep 'Non-2xx' "$tmp/wrk.out")" >&2; exit 1
	fi
	awk '$1 == "p50_us" { p50 = $2 } $1 == "p99_us" { p99 = $2 } $1 == "requests" { n = $2 }
		END { printf "%.1f %.1f %d", p50 / 1000, p99 / 1000, n }' "$tmp/wrk.out"
}

enc() { printf '%s' "$1" | sed 's/@/%40/g; s/ /%20/g; s/(/%28/g; s/)/%29/g'; }
h_all=$(http_case /staff/people 50)
h_state_sort=$(http_case "/staff/people?sort=state" 50)
h_state=$(http_case "/staff/people?state=CA" 50)
h_office=$(http_case "/staff/people?office=judicial" 50)
h_dates=$(http_case "/staff/people?from=$from&to=$to" 50)
h_prefix=$(http_case "/staff/people?q=ma" 50)
h_email=$(http_case "/staff/people?q=$(enc "$email")" 1)
h_phone=$(http_case "/staff/people?q=$(enc "$phone")" 1)
h_zip=$(http_case "/staff/people?q=10001" 1)
h_combo=$(http_case "/staff/people?q=ma&state=CA&office=school_board&from=$from&to=$to&sort=name" 0)
h_letter=$(http_case "/staff/people?q=m" 0)
kill -TERM "$serve_pid"
rc=0
wait "$serve_pid" || rc=$?
serve_pid=""
[ "$rc" -eq 0 ] || { echo "FAIL: onramp serve exited $rc on SIGTERM" >&2; fail=1; }
schema1=$(sq "PRAGMA search.schema_version")
if [ "$schema1" != "$schema0" ]; then
	echo "FAIL: onramp rebuilt the search index instead of taking the generated one" >&2; fail=1
fi

# --- the table ------------------------------------------------------------------
# people_search() figures of case $1: "p50 p99 matches" (ms, ms, count)
dom() { awk -v c="$1" '$1 == "case" && $2 == c { printf "%.2f %.2f %s", $4 / 1000, $6 / 1000, $10 }' "$tmp/domain.out"; }
raw() { awk -v c="$1" '$1 == "raw" && $2 == c { printf "%.3f %.3f %s", $4 / 1000, $6 / 1000, $10 }' "$tmp/domain.out"; }
# prints one row: label, people_search() case, HTTP figures ("-" for none)
row() {
	set -- "$1" "$(dom "$2")" "$3"
	d50=${2%% *} rest=${2#* }
	d99=${rest%% *} matches=${rest#* }
	if [ "$3" = - ]; then
		h="-"
	else
		h="p50 ${3%% *} ms, p99 $(echo "$3" | awk '{ print $2 }') ms"
	fi
	printf '%-30s %9s %-28s %-30s %s\n' "$1" "$matches" "p50 $d50 ms, p99 $d99 ms" "$h" "p99 < 50 ms"
	awk -v a="$d99" 'BEGIN { exit !(a > 50) }' && echo "SLOW: $1: people_search() p99 $d99 ms" >&2
	return 0
}
rp=$(raw fts5_prefix_page)
rc_=$(raw fts5_prefix_count)
printf '\nthe people list (SQLite, %s people, %s emails, %s phones, %s choices; %s MB + %s MB search index)\n' \
	"$people" "$emails" "$phones" "$choices" "$dbsize" "$searchsize"
printf '%-30s %s\n' "data set generated (SQL)" "$((t1 - t0)) ms (reference: < 60000 ms)"
printf '%-30s %9s %-28s %-30s %s\n' "search" "matches" "people_search()" "GET /staff/people (wrk -c1)" "reference"
row "all, newest first" all_newest "$h_all"
row "all, page 100" all_newest_page100 -
row "all, by name" all_by_name -
row "all, by state" all_by_state "$h_state_sort"
row "state=CA etc." state "$h_state"
row "state, by name" state_by_name -
row "office=judicial etc." office "$h_office"
row "signup dates (30 days)" date_range "$h_dates"
row "signup dates, by name" date_range_by_name -
row "name prefix (ma, jo, gar...)" name_prefix "$h_prefix"
row "first and last name" full_name -
row "one letter (left out)" one_letter "$h_letter"
row "exact email" email "$h_email"
row "phone digits" phone "$h_phone"
row "ZIP" zip "$h_zip"
row "prefix+state+office+dates" combined "$h_combo"
printf '%-30s %9s %-28s %-30s %s\n' "raw FTS5 prefix MATCH, 50 ids" "${rp##* }" \
	"p50 $(echo "$rp" | awk '{ print $1 }') ms, p99 $(echo "$rp" | awk '{ print $2 }') ms" "-" \
	"FTS5 prefix search over 1M names ≈ 0.05–3 ms"
printf '%-30s %9s %-28s %-30s %s\n' "raw FTS5 prefix MATCH, count" "${rc_##* }" \
	"p50 $(echo "$rc_" | awk '{ print $1 }') ms, p99 $(echo "$rc_" | awk '{ print $2 }') ms" "-" \
	"FTS5 prefix search over 1M names ≈ 0.05–3 ms"
exit $fail
