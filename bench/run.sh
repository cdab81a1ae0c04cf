#!/bin/sh
# run.sh — Onramp's benchmarks, each beside its reference figure (`make bench`).
#
# On loopback only, in one run:
#   1. bench/hello (libmicrohttpd hello-world, same daemon flags and compiler
#      flags as onramp) under wrk -t2 -c64: the HTTP ceiling of this machine;
#   2. onramp serve on a fresh temporary database (ONRAMP_SIGNUP_RATE=0)
#      under wrk -t2 -c64 --latency -s bench/signup.lua: valid signups, each
#      a new person, with p50/p99 latency; then the stored people are
#      counted against the 303 answers;
#   3. an exact durability check: BENCH_EXACT concurrent signups with curl
#      (32 at a time), every one answered, must give exactly that many people;
#   4. the time of `onramp demo --people 3000` on a fresh database.
# Prints a small table; bench/README.md explains each figure. Exits non-zero
# if a check fails. Settings: BUILD (build), ONRAMP_BIN, BENCH_SECONDS (10),
# BENCH_EXACT (1000), BENCH_DEMO_PEOPLE (3000).
set -eu

BUILD=${BUILD:-build}
ONRAMP=${ONRAMP_BIN:-$PWD/$BUILD/onramp}
SECONDS_RUN=${BENCH_SECONDS:-10}
EXACT=${BENCH_EXACT:-1000}
DEMO_PEOPLE=${BENCH_DEMO_PEOPLE:-3000}
THREADS=2
CONNS=64
HERE=$(cd "$(dirname "$0")" && pwd)

for tool in wrk curl sqlite3 cc pkg-config; do
	command -v "$tool" >/dev/null 2>&1 || { echo "bench: $tool is missing (make deps)" >&2; exit 1; }
done
[ -x "$ONRAMP" ] || { echo "bench: $ONRAMP is missing (make)" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/onramp-bench-XXXXXX")
hello_pid=""
serve_pid=""
cleanup() {
	for pid in $hello_pid $serve_pid; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in $hello_pid $serve_pid; do
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now_ms() { date +%s%3N; }

# Settings for onramp on a database in $1 (a directory).
onramp_env() {
	d=$1
	shift
	env -u ONRAMP_THEME -u ONRAMP_BASE_URL -u ONRAMP_LOG_LEVEL \
		ONRAMP_DB="sqlite:$d/onramp.db" ONRAMP_KEY_FILE="$d/onramp.key" \
		ONRAMP_LISTEN=127.0.0.1:0 ONRAMP_SIGNUP_RATE=0 "$@"
}

# The same settings, exported into the current (sub)shell.
onramp_export() {
	unset ONRAMP_THEME ONRAMP_BASE_URL ONRAMP_LOG_LEVEL
	export ONRAMP_DB="sqlite:$1/onramp.db" ONRAMP_KEY_FILE="$1/onramp.key" \
		ONRAMP_LISTEN=127.0.0.1:0 ONRAMP_SIGNUP_RATE=0
}

# Reads "key value" lines from file $1 and prints the value of key $2.
field() { awk -v k="$2" '$1 == k { print $2; exit }' "$1"; }

# A free loopback port for hello (it takes a fixed one).
free_port() {
	p=$((20000 + $$ % 20000))
	while curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$p/"; do
		p=$((p + 1))
	done
	echo "$p"
}

# --- 1. hello-world ceiling -------------------------------------------------
CFLAGS_BENCH="-std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -fstack-protector-strong -O2 -D_FORTIFY_SOURCE=2 -I$HERE/../src"
# shellcheck disable=SC2046
cc $CFLAGS_BENCH $(pkg-config --cflags libmicrohttpd) -o "$tmp/hello" "$HERE/hello.c" \
	$(pkg-config --libs libmicrohttpd) -lpthread
port=$(free_port)
"$tmp/hello" "$port" >/dev/null 2>&1 &
hello_pid=$!
i=0
until curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port/"; do
	i=$((i + 1))
	[ "$i" -lt 100 ] || { echo "bench: hello did not start" >&2; exit 1; }
	sleep 0.1
done
wrk -t$THREADS -c$CONNS -d"${SECONDS_RUN}s" -s "$HERE/hello_latency.lua" \
	"http://127.0.0.1:$port/" >"$tmp/hello.out" 2>&1
kill -TERM "$hello_pid"; wait "$hello_pid" 2>/dev/null || true; hello_pid=""
hello_reqs=$(field "$tmp/hello.out" requests)
hello_secs=$(field "$tmp/hello.out" seconds)
hello_rps=$(awk -v r="$hello_reqs" -v s="$hello_secs" 'BEGIN { printf "%.0f", r / s }')
hello_p50=$(field "$tmp/hello.out" p50_us)
hello_p99=$(field "$tmp/hello.out" p99_us)

# --- 2. signup POSTs -------------------------------------------------------
start_onramp() { # dir
	serve_dir=$1
	mkdir -p "$1"
	onramp_env "$1" "$ONRAMP" migrate >"$1/migrate.log" 2>&1 || { cat "$1/migrate.log" >&2; exit 1; }
	# exec: $! must be the server itself, not a subshell around it
	(onramp_export "$1"; exec "$ONRAMP" serve) >"$1/stdout" 2>"$1/stderr" &
	serve_pid=$!
	i=0
	while ! grep -q '^onramp: listening on http://127.0.0.1:' "$1/stdout" 2>/dev/null; do
		i=$((i + 1))
		if [ "$i" -ge 600 ] || ! kill -0 "$serve_pid" 2>/dev/null; then
			echo "bench: onramp serve did not start:" >&2
			cat "$1/stderr" >&2
			exit 1
		fi
		sleep 0.1
	done
	base=$(sed -n 's|^onramp: listening on \(http://127.0.0.1:[0-9]*\).*|\1|p' "$1/stdout" | head -n 1)
}
stop_onramp() {
	kill -TERM "$serve_pid"
	rc=0
	wait "$serve_pid" || rc=$?
	serve_pid=""
	if [ "$rc" -ne 0 ]; then
		echo "bench: onramp serve exited $rc on SIGTERM; the end of its log:" >&2
		tail -n 20 "$serve_dir/stderr" >&2
		exit 1
	fi
}
people() { sqlite3 -readonly "$1/onramp.db" 'SELECT count(*) FROM people'; }

db="$tmp/signup"
start_onramp "$db"
curl -s -c "$tmp/jar" -o "$tmp/signup.html" "$base/signup"
token=$(sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' "$tmp/signup.html" | head -n 1)
cookie=$(awk '$6 == "onramp_csrf" { print $7 }' "$tmp/jar")
[ -n "$token" ] && [ -n "$cookie" ] || { echo "bench: no CSRF token or cookie from /signup" >&2; exit 1; }
ONRAMP_BENCH_CSRF_TOKEN=$token ONRAMP_BENCH_CSRF_COOKIE=$cookie \
	wrk -t$THREADS -c$CONNS -d"${SECONDS_RUN}s" --latency -s "$HERE/signup.lua" \
	"$base/signup" >"$tmp/signup.out" 2>&1
sleep 1 # let requests cut off by wrk's stop finish
ok303=$(awk '$1 == "status" && $2 == 303 { print $3 }' "$tmp/signup.out")
ok303=${ok303:-0}
other=$(awk '$1 == "status" && $2 != 303 { n += $3 } END { print n + 0 }' "$tmp/signup.out")
sock_err=$(field "$tmp/signup.out" socket_errors)
sig_secs=$(field "$tmp/signup.out" seconds)
sig_p50=$(field "$tmp/signup.out" p50_us)
sig_p99=$(field "$tmp/signup.out" p99_us)
sig_rps=$(awk -v r="$ok303" -v s="$sig_secs" 'BEGIN { printf "%.0f", r / s }')
stored=$(people "$db")

# --- 3. exact durability check ---------------------------------------------
before=$stored
seq 1 "$EXACT" | xargs -P 32 -I{} curl -s -o /dev/null -w '%{http_code}\n' \
	-b "onramp_csrf=$cookie" \
	--data "csrf=$token&first_name=Exact&last_name=Check&email=exact-{}%40example.org&state=NY&zip=10001" \
	"$base/signup" >"$tmp/exact.codes"
exact_303=$(grep -c '^303$' "$tmp/exact.codes" || true)
exact_people=$(( $(people "$db") - before ))
stop_onramp

# --- 4. demo data ----------------------------------------------------------
demo="$tmp/demo"
mkdir -p "$demo"
onramp_env "$demo" "$ONRAMP" migrate >"$demo/migrate.log" 2>&1 || { cat "$demo/migrate.log" >&2; exit 1; }
t0=$(now_ms)
onramp_env "$demo" "$ONRAMP" demo --people "$DEMO_PEOPLE" >"$demo/out" 2>&1 || {
	echo "bench: onramp demo failed:" >&2; cat "$demo/out" >&2; exit 1; }
t1=$(now_ms)
demo_people=$(people "$demo")

# --- the table -------------------------------------------------------------
ms() { awk -v u="$1" 'BEGIN { printf "%.2f", u / 1000 }'; }
ratio=$(awk -v a="$sig_rps" -v b="$hello_rps" 'BEGIN { printf "%.3f", (b > 0) ? a / b : 0 }')
echo
echo "Onramp benchmarks — loopback, wrk -t$THREADS -c$CONNS -d${SECONDS_RUN}s, $(nproc) CPUs"
echo "hello-world (libmicrohttpd, same flags): $hello_rps req/s | signup POST: $sig_rps/s, p50 $(ms "$sig_p50") ms, p99 $(ms "$sig_p99") ms | ratio signup/hello: $ratio"
echo "  hello-world latency: p50 $(ms "$hello_p50") ms, p99 $(ms "$hello_p99") ms"
echo "  signups answered 303: $ok303; other statuses: $other; socket errors: $sock_err"
echo "  people stored after the run: $stored (cut off in flight when wrk stopped: $((stored - ok303)), at most $CONNS)"
echo "  exact check: $EXACT concurrent signups by curl -> $exact_303 answered 303, $exact_people people stored"
echo "  onramp demo --people $DEMO_PEOPLE: $((t1 - t0)) ms ($demo_people people)"

fail=0
if [ "$other" -ne 0 ]; then echo "FAIL: $other signups were not answered 303" >&2; fail=1; fi
if [ "$stored" -lt "$ok303" ] || [ "$stored" -gt $((ok303 + CONNS)) ]; then
	echo "FAIL: $stored people stored for $ok303 signups answered 303" >&2; fail=1
fi
if [ "$exact_303" -ne "$EXACT" ] || [ "$exact_people" -ne "$EXACT" ]; then
	echo "FAIL: exact check: $EXACT sent, $exact_303 answered 303, $exact_people stored" >&2; fail=1
fi
if [ "$demo_people" -lt 1 ]; then
	echo "FAIL: onramp demo made no people" >&2; fail=1
fi
# 5. the pipeline pages at 100k people and 1M stage events (bench/pipeline.sh)
BUILD=$BUILD ONRAMP_BIN=$ONRAMP sh "$HERE/pipeline.sh" || { echo "FAIL: bench/pipeline.sh" >&2; fail=1; }
# 6. signups on PostgreSQL beside its raw INSERT rate (bench/pg_intake.sh)
BUILD=$BUILD ONRAMP_BIN=$ONRAMP sh "$HERE/pg_intake.sh" || { echo "FAIL: bench/pg_intake.sh" >&2; fail=1; }
# 7. race finder lookups beside raw GEOS, and the /races page (bench/races.sh)
BUILD=$BUILD ONRAMP_BIN=$ONRAMP sh "$HERE/races.sh" || { echo "FAIL: bench/races.sh" >&2; fail=1; }
# 8. the lead intake beside the HTTP and raw SQLite limits (bench/intake.sh)
BUILD=$BUILD ONRAMP_BIN=$ONRAMP sh "$HERE/intake.sh" || { echo "FAIL: bench/intake.sh" >&2; fail=1; }
# 9. the staff people list at 1M people beside raw FTS5 (bench/people.sh)
BUILD=$BUILD ONRAMP_BIN=$ONRAMP sh "$HERE/people.sh" || { echo "FAIL: bench/people.sh" >&2; fail=1; }
exit $fail
