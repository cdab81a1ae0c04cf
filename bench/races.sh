#!/bin/sh
# races.sh — the race finder benchmark (`make bench` runs it from run.sh).
#
# In one run:
#   1. point lookups over every US county (about 3,200, the full us-atlas
#      counties converted by tools/regen-boundaries.sh into
#      $BUILD/bench/counties-all.geojson, not committed): bench/geolookup
#      times a raw GEOS loop (STRtree + prepared geometries) and Onramp's
#      index (src/domain/geoindex.c) over the same points in the same
#      process, checks they agree point by point, and prints both rates.
#      Target: onramp >= 0.8 of the raw loop.
#   2. GET /races?zip=23219 on onramp serve with the demo race data
#      (data/), under wrk -t2 -c64 --latency: requests/s and p50/p99.
# Settings: BUILD, ONRAMP_BIN, BENCH_SECONDS (10), BENCH_POINTS (200000).
set -eu

BUILD=${BUILD:-build}
ONRAMP=${ONRAMP_BIN:-$PWD/$BUILD/onramp}
SECONDS_RUN=${BENCH_SECONDS:-10}
POINTS=${BENCH_POINTS:-200000}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
PKGS="libmicrohttpd sqlite3 jansson libsodium libpq liboath libqrencode libcurl geos gdal"

for tool in wrk curl cc pkg-config node npm; do
	command -v "$tool" >/dev/null 2>&1 || { echo "bench: $tool is missing (make deps)" >&2; exit 1; }
done
[ -x "$ONRAMP" ] || { echo "bench: $ONRAMP is missing (make)" >&2; exit 1; }
[ -f "$ROOT/$BUILD/libonramp.a" ] || { echo "bench: $BUILD/libonramp.a is missing (make)" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/onramp-races-bench-XXXXXX")
serve_pid=""
cleanup() {
	[ -z "$serve_pid" ] || { kill -TERM "$serve_pid" 2>/dev/null || true; wait "$serve_pid" 2>/dev/null || true; }
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
field() { awk -v k="$2" '$1 == k { print $2; exit }' "$1"; }

# --- 1. lookups over every county -------------------------------------------
counties="$ROOT/$BUILD/bench/counties-all.geojson"
if [ ! -f "$counties" ]; then
	(cd "$ROOT" && BUILD=$BUILD sh tools/regen-boundaries.sh >/dev/null)
fi
# shellcheck disable=SC2046
cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -I"$ROOT/src" $(pkg-config --cflags $PKGS) \
	-o "$tmp/geolookup" "$HERE/geolookup.c" "$ROOT/$BUILD/libonramp.a" \
	$(pkg-config --libs $PKGS) -lpthread -lm
"$tmp/geolookup" "$counties" "$POINTS" 5 >"$tmp/geo.out"
raw=$(field "$tmp/geo.out" raw_per_s)
ours=$(field "$tmp/geo.out" onramp_per_s)
nb=$(field "$tmp/geo.out" boundaries)
ratio=$(awk -v a="$ours" -v b="$raw" 'BEGIN { printf "%.3f", (b > 0) ? a / b : 0 }')

# --- 2. the public page under load ------------------------------------------
d="$tmp/serve"
mkdir -p "$d"
export ONRAMP_DB="sqlite:$d/onramp.db" ONRAMP_KEY_FILE="$d/onramp.key" ONRAMP_LISTEN=127.0.0.1:0 \
	ONRAMP_LOG_LEVEL=warn
unset ONRAMP_THEME ONRAMP_BASE_URL
"$ONRAMP" migrate >"$d/migrate.log" 2>&1
"$ONRAMP" demo --people 1000 --races-data "$ROOT/data" >"$d/demo.log" 2>&1 || { cat "$d/demo.log" >&2; exit 1; }
"$ONRAMP" serve >"$d/stdout" 2>"$d/stderr" &
serve_pid=$!
i=0
while ! grep -q '^onramp: listening on http://127.0.0.1:' "$d/stdout" 2>/dev/null; do
	i=$((i + 1))
	[ "$i" -lt 600 ] && kill -0 "$serve_pid" 2>/dev/null || { echo "bench: onramp serve did not start" >&2; cat "$d/stderr" >&2; exit 1; }
	sleep 0.1
done
base=$(sed -n 's|^onramp: listening on \(http://127.0.0.1:[0-9]*\).*|\1|p' "$d/stdout" | head -n 1)
curl -s "$base/races?zip=23219" | grep -q 'Races you could run in' || { echo "bench: /races finds nothing" >&2; exit 1; }
wrk -t2 -c64 -d"${SECONDS_RUN}s" -s "$HERE/hello_latency.lua" "$base/races?zip=23219" >"$tmp/wrk.out" 2>&1
kill -TERM "$serve_pid"; wait "$serve_pid" 2>/dev/null || true; serve_pid=""
reqs=$(field "$tmp/wrk.out" requests)
secs=$(field "$tmp/wrk.out" seconds)
p50=$(field "$tmp/wrk.out" p50_us)
p99=$(field "$tmp/wrk.out" p99_us)
rps=$(awk -v r="$reqs" -v s="$secs" 'BEGIN { printf "%.0f", r / s }')
ms() { awk -v u="$1" 'BEGIN { printf "%.2f", u / 1000 }'; }

echo
echo "Race finder — $nb county boundaries, $POINTS points, one thread"
echo "  raw GEOS (STRtree + prepared): $raw lookups/s | onramp geoindex: $ours lookups/s | ratio: $ratio (target >= 0.8)"
echo "  GET /races?zip=23219 (wrk -t2 -c64 -d${SECONDS_RUN}s): $rps req/s, p50 $(ms "$p50") ms, p99 $(ms "$p99") ms"
if awk -v r="$ratio" 'BEGIN { exit !(r < 0.8) }'; then
	echo "FAIL: the index reaches $ratio of the raw GEOS loop (target 0.8)" >&2
	exit 1
fi
