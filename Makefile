# Onramp — build, run, test.
#
#   make            build ./onramp
#   make run        install what is missing, build, create the demo database, serve
#   make test       install what is missing, run the whole test suite
#   make asan       the test suite under AddressSanitizer + UBSan
#   make conformance  the template engine against ../shared/mustache-spec
#   make bench      benchmarks, each beside its reference figure
#   make fuzz       libFuzzer targets, bounded time each
#   make lint       banned functions and SQL outside the store layer

BUILD    ?= build
SANITIZE ?=
PKGS      = libmicrohttpd sqlite3 jansson libsodium libpq liboath libqrencode libcurl geos gdal
CC       ?= cc

WARN     = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Werror
CFLAGS_BASE = -std=c11 -D_GNU_SOURCE $(WARN) -fstack-protector-strong -Isrc -I$(BUILD)/gen
ifeq ($(SANITIZE),1)
CFLAGS_OPT = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
LDFLAGS_OPT = -fsanitize=address,undefined
MALLOC_LIBS =
else
CFLAGS_OPT = -O2 -g -D_FORTIFY_SOURCE=2
LDFLAGS_OPT =
# The server's allocator: gperftools' tcmalloc (docs/ARCHITECTURE.md,
# "Memory"); the sanitizer build keeps ASan's own.
MALLOC_LIBS := $(shell pkg-config --libs libtcmalloc_minimal 2>/dev/null)
endif
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CFLAGS  += $(CFLAGS_BASE) $(CFLAGS_OPT) $(PKG_CFLAGS)
LDLIBS  += $(PKG_LIBS) -lpthread -lm
LDFLAGS += $(LDFLAGS_OPT)

LIB_SRC  := $(sort $(wildcard src/*/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/gen/embedded.o
EMBEDDED := $(sort $(wildcard templates/*.mustache static/*))

UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/unit/%)
HTTP_SRC := $(sort $(wildcard tests/http/test_*.c))
HTTP_BIN := $(HTTP_SRC:tests/http/%.c=$(BUILD)/tests/http/%)
HTTP_HARNESS := $(BUILD)/obj/tests/http/harness.o

.PHONY: all run deps test test-only asan conformance bench fuzz lint clean demo-db

all: onramp

onramp: $(BUILD)/onramp
	@if [ "$(BUILD)" = "build" ]; then cp $(BUILD)/onramp ./onramp.tmp && mv -f ./onramp.tmp ./onramp; fi

$(BUILD)/onramp: $(BUILD)/obj/src/main.o $(BUILD)/libonramp.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(MALLOC_LIBS)

$(BUILD)/libonramp.a: $(filter-out $(BUILD)/obj/src/main.o,$(LIB_OBJ))
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

# Templates and static files are compiled into the binary.
$(BUILD)/gen/embedded.c: $(BUILD)/tools/embed $(EMBEDDED)
	@mkdir -p $(dir $@)
	$(BUILD)/tools/embed $(EMBEDDED) > $@.tmp && mv $@.tmp $@

$(BUILD)/obj/gen/embedded.o: $(BUILD)/gen/embedded.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/tools/embed: tools/embed.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -O2 -Wall -Wextra -Werror -o $@ $<

# Tests
$(BUILD)/tests/unit/%: tests/unit/%.c $(BUILD)/libonramp.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(shell pkg-config --cflags cmocka) $(LDFLAGS) -o $@ $< $(BUILD)/libonramp.a $(LDLIBS) $(shell pkg-config --libs cmocka)

$(BUILD)/tests/http/%: tests/http/%.c $(HTTP_HARNESS) $(BUILD)/onramp
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/http $(shell pkg-config --cflags cmocka libcurl) $(LDFLAGS) -o $@ $< $(HTTP_HARNESS) $(BUILD)/libonramp.a $(LDLIBS) $(shell pkg-config --libs cmocka libcurl)

$(BUILD)/obj/tests/http/harness.o: tests/http/harness.c tests/http/harness.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(shell pkg-config --cflags cmocka libcurl) -c -o $@ $<

$(BUILD)/tests/conformance/mustache_spec: tests/conformance/mustache_spec.c $(BUILD)/libonramp.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libonramp.a $(LDLIBS)

deps:
	@sh tools/install-deps.sh

run: deps onramp
	@sh tools/run-demo.sh

test: deps
	@$(MAKE) --no-print-directory test-only

test-only: onramp $(UNIT_BIN) $(HTTP_BIN) $(BUILD)/tests/conformance/mustache_spec
	@BUILD=$(BUILD) sh tests/run.sh

asan:
	@ONRAMP_SKIP_E2E=1 $(MAKE) --no-print-directory BUILD=build/asan SANITIZE=1 test-only

conformance: $(BUILD)/tests/conformance/mustache_spec
	@$(BUILD)/tests/conformance/mustache_spec ../shared/mustache-spec

bench: deps onramp
	@sh bench/run.sh

fuzz:
	@sh fuzz/run.sh $${FUZZ_SECONDS:-60}

lint:
	@sh tools/lint.sh

clean:
	rm -rf build onramp

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
