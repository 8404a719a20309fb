# livehub — build, test and demo entry points.
#
#   make / make all   release library (+ regenerated include/livehub.h) and every example
#   make test         everything CI checks (see the `test` target for the list)
#   make demo         build everything and run the HTTP-FLV demo server (flv_relay) until Ctrl-C
#   make demo-basic   build and run c_examples/build/basic
#
# Examples link the static library (target/<profile>/liblivehub.a) and use
# only the public headers in include/.

CARGO ?= cargo
NICE  ?= nice
ifeq ($(origin CC),default)
CC := gcc
endif
ifeq ($(origin CXX),default)
CXX := g++
endif

BUILD     := c_examples/build
ASAN_DIR  := $(BUILD)/asan
LIB_REL   := target/release/liblivehub.a
LIB_DBG   := target/debug/liblivehub.a
HOST      := $(shell rustc -vV 2>/dev/null | sed -n 's/^host: //p')

C_STRICT   := -std=c99 -Wall -Wextra -Werror -pedantic
CXX_STRICT := -std=c++17 -Wall -Wextra -Werror -pedantic
INCLUDES   := -Iinclude
# What Rust's standard library needs from the system when linked statically.
LDLIBS     := -lpthread -ldl -lm
SANITIZE   := -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
SAN_ENV    := ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

C_EXAMPLES   := basic seed_scenario notify_reentrant relay no_threads header_c99 groups
CXX_EXAMPLES := cpp_basic header_cpp17
EXAMPLES     := $(C_EXAMPLES) $(CXX_EXAMPLES)
HEADERS      := include/livehub.h include/livehub.hpp

.PHONY: all lib examples demo bench fuzz test test-header-drift test-lint test-cargo test-loom header-check \
        test-examples test-asan clean distclean servers web-deps demo-basic test-e2e bench-relay

# The HTTP-FLV server examples and their load client: long-running programs,
# built by `make` and tested end to end by `make test-e2e` (tests/e2e/), not
# run by test-examples. They use Linux APIs (epoll, eventfd, accept4).
SERVER_EXAMPLES := flv_relay flv_server_min flv_load
SERVER_CFLAGS   := $(C_STRICT) -D_GNU_SOURCE
RELAY_SRC       := $(sort $(wildcard c_examples/flv_relay/*.c))
RELAY_HDR       := $(wildcard c_examples/flv_relay/*.h)
E2E_SCRIPTS     := $(sort $(wildcard tests/e2e/[0-9]*.sh))
# web/: the demo page and its npm packages (mpegts.js for the page,
# playwright-core for the browser test), pinned by web/package-lock.json.
NPM       ?= npm
WEB_STAMP := web/node_modules/.package-lock.json
DEMO_HTTP ?= 127.0.0.1:8080
DEMO_FLV  ?= tests/data/av.flv

# Release library and header, then every example.
all: lib examples servers

# cargo build --release: liblivehub.a, liblivehub.so, and include/livehub.h (via build.rs).
lib:
	$(NICE) $(CARGO) build --release

# Every example, optimised, against the release static library.
examples: lib
	@$(MAKE) --no-print-directory $(addprefix $(BUILD)/,$(EXAMPLES))

$(BUILD) $(ASAN_DIR):
	mkdir -p $@

$(BUILD)/%: c_examples/%.c $(LIB_REL) $(HEADERS) | $(BUILD)
	$(NICE) $(CC) $(C_STRICT) -O2 -g $(INCLUDES) $< $(LIB_REL) $(LDLIBS) -o $@

$(BUILD)/%: c_examples/%.cpp $(LIB_REL) $(HEADERS) | $(BUILD)
	$(NICE) $(CXX) $(CXX_STRICT) -O2 -g $(INCLUDES) $< $(LIB_REL) $(LDLIBS) -o $@

# flv_relay (release, and with ASan+UBSan against the debug library for
# test-e2e), flv_server_min, and flv_load (plain C: it does not use livehub).
servers: lib
	@$(MAKE) --no-print-directory $(addprefix $(BUILD)/,$(SERVER_EXAMPLES))

# flv_relay is one directory, c_examples/flv_relay/ (README.md there maps
# its files), built by one compiler command over all its .c files.
$(BUILD)/flv_relay: $(RELAY_SRC) $(RELAY_HDR) $(LIB_REL) $(HEADERS) | $(BUILD)
	$(NICE) $(CC) $(SERVER_CFLAGS) -O2 -g $(INCLUDES) $(RELAY_SRC) $(LIB_REL) $(LDLIBS) -o $@

$(ASAN_DIR)/flv_relay: $(RELAY_SRC) $(RELAY_HDR) $(LIB_DBG) $(HEADERS) | $(ASAN_DIR)
	$(NICE) $(CC) $(SERVER_CFLAGS) $(SANITIZE) $(INCLUDES) $(RELAY_SRC) $(LIB_DBG) $(LDLIBS) -o $@

# flv_server_min: the same job in one short file, single-threaded.
$(BUILD)/flv_server_min: c_examples/flv_server_min.c $(LIB_REL) $(HEADERS) | $(BUILD)
	$(NICE) $(CC) $(SERVER_CFLAGS) -O2 -g $(INCLUDES) $< $(LIB_REL) $(LDLIBS) -o $@

$(ASAN_DIR)/flv_server_min: c_examples/flv_server_min.c $(LIB_DBG) $(HEADERS) | $(ASAN_DIR)
	$(NICE) $(CC) $(SERVER_CFLAGS) $(SANITIZE) $(INCLUDES) $< $(LIB_DBG) $(LDLIBS) -o $@

$(BUILD)/flv_load: c_examples/flv_load.c | $(BUILD)
	$(NICE) $(CC) $(SERVER_CFLAGS) -O2 -g $< -o $@

# npm install in web/ when node_modules is missing or older than the package files.
web-deps: $(WEB_STAMP)
$(WEB_STAMP): web/package.json web/package-lock.json
	cd web && $(NPM) install --no-audit --no-fund
	@touch $@

# Build everything and run the HTTP-FLV demo server until Ctrl-C: live/demo
# is DEMO_FLV looped at real-time pace. DEMO_HTTP=0.0.0.0:8080 to open it up.
demo: all web-deps
	@echo
	@echo "flv_relay demo on http://$(DEMO_HTTP) (Ctrl-C to stop):"
	@echo "  page:     http://$(DEMO_HTTP)/"
	@echo "  FLV:      http://$(DEMO_HTTP)/live/demo.flv"
	@echo "  ffplay:   ffplay http://$(DEMO_HTTP)/live/demo.flv"
	@echo "  publish:  ffmpeg -re -i in.flv -c copy -f flv http://$(DEMO_HTTP)/live/mine.flv"
	@echo "  streams:  curl http://$(DEMO_HTTP)/api/streams"
	@echo
	./$(BUILD)/flv_relay --http $(DEMO_HTTP) --demo $(DEMO_FLV)

# The first example: a synthetic stream to two players, in one process.
demo-basic: lib
	@$(MAKE) --no-print-directory $(BUILD)/basic
	./$(BUILD)/basic

# Everything CI runs, in order: header drift, cargo tests, loom, header
# compile tests, examples under ASan+UBSan, Rust tests under ASan, and the
# end-to-end tests of flv_relay with real clients.
test: test-header-drift test-lint test-cargo test-loom header-check test-examples test-asan test-e2e
	@echo "make test: all stages passed"

# (a) cargo build regenerates include/livehub.h; it must match the committed one.
test-header-drift:
	$(NICE) $(CARGO) build
	@git ls-files --error-unmatch include/livehub.h >/dev/null 2>&1 || { \
	  echo "error: include/livehub.h is missing or not tracked by git."; \
	  echo "       It is generated by 'cargo build' (build.rs + cbindgen) and must be committed."; \
	  exit 1; }
	@git diff --exit-code -- include/livehub.h || { \
	  echo "error: include/livehub.h drifted from the committed version (diff above)."; \
	  echo "       The C API changed: review the diff and commit the regenerated header."; \
	  exit 1; }
	@echo "header-drift: include/livehub.h matches the committed version"

# Formatting, and clippy with warnings as errors: among others the lint that
# every unsafe block in src/ffi/ carries a SAFETY comment.
test-lint:
	$(CARGO) fmt --all -- --check
	$(NICE) $(CARGO) clippy --all-targets -- -D warnings
	@echo "lint: rustfmt and clippy clean"

# (b) every cargo target (lib, tests, benches and examples in test mode), then doctests.
# The fan-out bench runs once as a smoke test here; `cargo bench` measures.
test-cargo:
	LIVEHUB_BENCH_RUNS=1 $(NICE) $(CARGO) test --all-targets
	$(NICE) $(CARGO) test --doc

# (c) the loom model checks (tests/loom.rs), in their own target dir.
test-loom:
	@test -f tests/loom.rs || { echo "error: tests/loom.rs is missing (the loom model tests)"; exit 1; }
	RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 CARGO_TARGET_DIR=target/loom \
	  $(NICE) $(CARGO) test --release --test loom

# (d) the public headers compile as strict C99 and C++17 (alone, and in the header tests).
header-check: | $(BUILD)
	@test -f include/livehub.h || { echo "error: include/livehub.h is missing: run cargo build"; exit 1; }
	printf '#include "livehub.h"\n' | $(CC) $(C_STRICT) $(INCLUDES) -x c -fsyntax-only -
	printf '#include "livehub.h"\n' | $(CXX) $(CXX_STRICT) $(INCLUDES) -x c++ -fsyntax-only -
	printf '#include "livehub.hpp"\n' | $(CXX) $(CXX_STRICT) $(INCLUDES) -x c++ -fsyntax-only -
	$(CC) $(C_STRICT) $(INCLUDES) -c c_examples/header_c99.c -o $(BUILD)/header_c99.o
	$(CXX) $(CXX_STRICT) $(INCLUDES) -c c_examples/header_cpp17.cpp -o $(BUILD)/header_cpp17.o
	@echo "header-check: livehub.h compiles as C99 and C++17, livehub.hpp as C++17"

# (e) every example with ASan+UBSan against the debug static library, run with leak checks.
test-examples: | $(ASAN_DIR)
	$(NICE) $(CARGO) build
	@set -e; for ex in $(C_EXAMPLES); do \
	  echo "  CC+ASAN  $$ex"; \
	  $(NICE) $(CC) $(C_STRICT) $(SANITIZE) $(INCLUDES) c_examples/$$ex.c $(LIB_DBG) $(LDLIBS) -o $(ASAN_DIR)/$$ex; \
	done; for ex in $(CXX_EXAMPLES); do \
	  echo "  CXX+ASAN $$ex"; \
	  $(NICE) $(CXX) $(CXX_STRICT) $(SANITIZE) $(INCLUDES) c_examples/$$ex.cpp $(LIB_DBG) $(LDLIBS) -o $(ASAN_DIR)/$$ex; \
	done
	@set -e; pass=0; for ex in $(EXAMPLES); do \
	  echo "== $$ex"; \
	  $(SAN_ENV) ./$(ASAN_DIR)/$$ex || { echo "examples: $$ex FAILED"; echo "examples: $$pass passed, 1 failed"; exit 1; }; \
	  pass=$$((pass + 1)); \
	done; echo "examples: $$pass passed, 0 failed"

# (f) the Rust unit and integration tests under AddressSanitizer (+ LeakSanitizer).
test-asan:
	RUSTC_BOOTSTRAP=1 RUSTFLAGS=-Zsanitizer=address RUSTDOCFLAGS=-Zsanitizer=address \
	  CARGO_TARGET_DIR=target/asan ASAN_OPTIONS=detect_leaks=1 \
	  $(NICE) $(CARGO) test --target $(HOST) --lib --tests

# (g) flv_relay and flv_server_min end to end (tests/e2e/*.sh, each bounded,
# loopback only, a PASS or FAIL line each): ffmpeg publishers and players,
# the SRS #4143 scenario under ASan, headless Chromium on the demo page,
# 1,000 players, flv_server_min (under ASan) with ffmpeg.
# Needs ffmpeg, curl, node, /usr/bin/chromium (.ci/run installs them).
test-e2e: lib web-deps | $(ASAN_DIR)
	$(NICE) $(CARGO) build
	@$(MAKE) --no-print-directory $(addprefix $(BUILD)/,$(SERVER_EXAMPLES)) $(ASAN_DIR)/flv_relay $(ASAN_DIR)/flv_server_min
	@pass=0; fail=0; failed=; for t in $(E2E_SCRIPTS); do \
	  echo "== $$t"; \
	  if bash $$t; then pass=$$((pass + 1)); else fail=$$((fail + 1)); failed="$$failed $$t"; fi; \
	done; \
	[ $$fail -eq 0 ] || echo "e2e: failed:$$failed"; \
	echo "e2e: $$pass passed, $$fail failed"; [ $$fail -eq 0 ]

# Fan-out benchmark (publish, delivery and wake-up cost for 1..10,000 players),
# then the C-ABI wake-up benchmark (armed players in groups, 1..100,000).
bench:
	$(NICE) $(CARGO) bench --bench fanout
	$(NICE) $(CARGO) bench --bench cabi

# The HTTP-FLV relay under 100, 500, 1,000 and 2,000 loopback players of one
# ~530 kbit/s stream, with --merge-ms 0 and the default 350: its CPU, RSS and
# per-player throughput, as a table (scripts/bench_relay.sh; about 5 minutes;
# needs ffmpeg and curl). PLAYERS="..." MODES="..." narrow it down.
bench-relay: servers
	bash scripts/bench_relay.sh

# Fuzz every cargo-fuzz target for FUZZ_SECONDS each (installs cargo-fuzz if needed).
FUZZ_SECONDS ?= 60
fuzz:
	scripts/fuzz.sh $(FUZZ_SECONDS)

# Remove the example binaries.
clean:
	rm -rf $(BUILD)

# Also remove every cargo build (target/, including target/loom and target/asan).
distclean: clean
	$(CARGO) clean
