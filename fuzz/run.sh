#!/bin/sh
# run.sh — `make fuzz`: builds every fuzz/fuzz_*.c as a libFuzzer target
# (clang, with ASan and UBSan) and runs each for SECONDS (default 60) from its
# committed seed corpus fuzz/corpus/NAME/. A crash fails the run and leaves
# the input in build/fuzz/; turn it into a regression test.
set -eu
SECONDS_EACH=${1:-60}
OUT=build/fuzz
CC=${FUZZ_CC:-clang}
PKGS="libmicrohttpd sqlite3 jansson libsodium libpq liboath libqrencode libcurl geos gdal"
CFLAGS="-std=c11 -D_GNU_SOURCE -g -O1 -Isrc -I$OUT/gen $(pkg-config --cflags $PKGS)"
SAN="-fsanitize=address,undefined -fno-sanitize-recover=all"
mkdir -p "$OUT/obj" "$OUT/gen"

# the library, instrumented for coverage
make -s BUILD=build build/tools/embed
build/tools/embed $(ls templates/*.mustache static/* 2>/dev/null) > "$OUT/gen/embedded.c"
objs=""
for src in src/*/*.c "$OUT/gen/embedded.c"; do
	obj="$OUT/obj/$(echo "$src" | tr '/' '_' | sed 's/\.c$/.o/')"
	if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ]; then
		$CC $CFLAGS $SAN -fsanitize=fuzzer-no-link -c "$src" -o "$obj"
	fi
	objs="$objs $obj"
done
rm -f "$OUT/libonramp-fuzz.a"
ar rcs "$OUT/libonramp-fuzz.a" $objs

status=0
for target in fuzz/fuzz_*.c; do
	name=$(basename "$target" .c)
	short=${name#fuzz_}
	$CC $CFLAGS $SAN -fsanitize=fuzzer "$target" "$OUT/libonramp-fuzz.a" \
		$(pkg-config --libs $PKGS) -lpthread -lm -o "$OUT/$name"
	corpus="$OUT/corpus-$short"
	mkdir -p "$corpus"
	[ -d "fuzz/corpus/$short" ] && cp -r "fuzz/corpus/$short/." "$corpus/" 2>/dev/null || true
	echo "fuzz: $name for ${SECONDS_EACH}s"
	if ! (cd "$OUT" && "./$name" -max_total_time="$SECONDS_EACH" -rss_limit_mb=2048 \
		-print_final_stats=0 "corpus-$short" >"$name.log" 2>&1); then
		echo "fuzz: $name FOUND A CRASH:"; tail -n 30 "$OUT/$name.log"
		status=1
	else
		echo "fuzz: $name ok ($(grep -c . "$OUT/$name.log") log lines, no crash)"
	fi
done
exit $status
