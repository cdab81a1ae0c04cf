#!/bin/sh
# run.sh — runs every test suite and prints one closing line "N passed, N failed".
#
# Each cmocka binary prints TAP (CMOCKA_MESSAGE_OUTPUT=TAP); the browser test
# prints TAP through node's test runner. A suite that exits non-zero without
# reporting a failure (a crash, a sanitizer report) counts as one failure.
# Exit status: 0 only if nothing failed.
#
# PostgreSQL: one throwaway PostgreSQL 15 server is started for the run
# (tools/pg-test-cluster.sh: initdb in a temporary directory as an
# unprivileged user, a free loopback port; stopped and removed on exit, also
# on failure or interruption). Every HTTP suite then runs a second time with
# ONRAMP_TEST_PG set, so the harness serves from a fresh database on it, and
# the PostgreSQL unit tests (tests/unit/test_pg_*: the engine itself, the
# people store on it) run against it. ONRAMP_SKIP_PG=1 skips them all.
set -u
BUILD=${BUILD:-build}
export ONRAMP_BIN="$PWD/$BUILD/onramp"
export CMOCKA_MESSAGE_OUTPUT=TAP
passed=0
failed=0
logdir=$(mktemp -d)
pgdir=""
cleanup() {
	[ -z "$pgdir" ] || sh tools/pg-test-cluster.sh stop "$pgdir/cluster"
	[ -z "$pgdir" ] || rm -rf "$pgdir"
	rm -rf "$logdir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

run_suite() { # name command...
	name=$1; shift
	log="$logdir/$(echo "$name" | tr '/ ' '__').log"
	"$@" >"$log" 2>&1
	rc=$?
	p=$(grep -cE '^ok [0-9]+' "$log")
	f=$(grep -cE '^not ok [0-9]+' "$log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$f" -ne 0 ]; then
		echo "FAIL $name ($p passed, $f failed; exit $rc)"
		grep -vE '^ok [0-9]+' "$log" | tail -n 40 | sed 's/^/    /'
	else
		echo "ok   $name ($p passed)"
	fi
}

for t in "$BUILD"/tests/unit/test_*; do
	[ -x "$t" ] && run_suite "unit/$(basename "$t")" "$t"
done
for t in "$BUILD"/tests/http/test_*; do
	[ -x "$t" ] && run_suite "http/$(basename "$t")" "$t"
done
if [ -z "${ONRAMP_SKIP_PG:-}" ]; then
	pgdir=$(mktemp -d)
	chmod 0711 "$pgdir"  # the server's unprivileged user reaches its folder
	if pgurl=$(sh tools/pg-test-cluster.sh start "$pgdir/cluster" 2>"$logdir/pg-start.log"); then
		for t in "$BUILD"/tests/unit/test_pg_*; do
			[ -x "$t" ] && run_suite "unit-pg/$(basename "$t")" env ONRAMP_TEST_PG="$pgurl" "$t"
		done
		for t in "$BUILD"/tests/http/test_*; do
			[ -x "$t" ] && run_suite "http-pg/$(basename "$t")" \
				env ONRAMP_TEST_PG="$pgurl" ONRAMP_TEST_PG_DATA="$pgdir/cluster/data" "$t"
		done
	else
		echo "FAIL postgres: cannot start a PostgreSQL test server:"
		sed 's/^/    /' "$logdir/pg-start.log"
		failed=$((failed + 1))
	fi
fi
if [ -d ../shared/mustache-spec ]; then
	run_suite "conformance/mustache" "$BUILD/tests/conformance/mustache_spec" ../shared/mustache-spec
fi
# The browser test runs on the normal build; `make asan` sets ONRAMP_SKIP_E2E
# (the browser adds nothing to what the sanitizers check).
if [ -z "${ONRAMP_SKIP_E2E:-}" ]; then
	if [ -d tests/e2e/node_modules ]; then
		run_suite "e2e/browser" sh -c 'cd tests/e2e && node --test --test-reporter=tap *.test.mjs'
	else
		echo "FAIL e2e/browser: tests/e2e/node_modules missing (run make deps)"
		failed=$((failed + 1))
	fi
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
