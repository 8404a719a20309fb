# livehub — build, test and demo entry points.
#
#   make / make all   release library (+ regenerated include/livehub.h) and every example
#   make test         everything CI checks (see the `test` target for the list)
#   make stress / soak / deep-check / fuzz   the long runs (10 minutes to an hour each)
#   make demo         build everything and run the HTTP-FLV demo server (flv_relay) until Ctrl-C
#   make demo-basic   build and run c_examples/build/basic
#   make install      lib/, include/ and lib/pkgconfig/ under $(DESTDIR)$(PREFIX) (default /usr/local)
#   make uninstall    removes exactly what make install put there
#   make nginx-demo   the stock nginx with the livehub module on 127.0.0.1:8090
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

C_EXAMPLES   := basic seed_scenario notify_reentrant relay no_threads header_c99 misuse rtmp_session groups
CXX_EXAMPLES := cpp_basic header_cpp17 cpp_rtmp
# C++ examples built with -fno-exceptions (livehub.hpp's non-throwing forms only).
CXX_NOEXC_EXAMPLES := cpp_noexcept
CXX_NOEXC  := -fno-exceptions
EXAMPLES     := $(C_EXAMPLES) $(CXX_EXAMPLES) $(CXX_NOEXC_EXAMPLES)
# The two-translation-unit C++ program (tests/cpp/two_tu_*.cpp).
TWO_TU_SRC   := tests/cpp/two_tu_main.cpp tests/cpp/two_tu_lib.cpp
HEADERS      := include/livehub.h include/livehub.hpp

.PHONY: all lib examples demo bench fuzz test test-header-drift test-lint test-cargo test-loom header-check \
        test-examples test-asan clean distclean servers web-deps demo-basic test-e2e bench-relay bench-relay-ab bench-rtmp \
        install uninstall dist test-header-docs test-install test-cinstall test-cpp test-relay-parsers fuzz-relay \
        nginx-module nginx-module-asan nginx-demo test-nginx \
        test-stress stress lib-rust-asan soak deep-check

# The HTTP-FLV server examples and their load client: long-running programs,
# built by `make` and tested end to end by `make test-e2e` (tests/e2e/), not
# run by test-examples. They use Linux APIs (epoll, eventfd, accept4).
SERVER_EXAMPLES := flv_relay flv_server_min flv_load flv_hostile
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
# RTMP: 1935 is the default port, so rtmp:// URLs need none.
DEMO_RTMP ?= 127.0.0.1:1935
DEMO_RTMP_HOST := $(patsubst %:1935,%,$(DEMO_RTMP))

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
	$(NICE) $(CXX) $(CXX_STRICT) $(if $(filter $*,$(CXX_NOEXC_EXAMPLES)),$(CXX_NOEXC)) -O2 -g $(INCLUDES) $< \
	  $(LIB_REL) $(LDLIBS) -o $@

# flv_relay (release, and with ASan+UBSan against the debug library for
# test-e2e), flv_server_min, and the test clients flv_load and flv_hostile
# (plain C: they do not use livehub).
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

# flv_hostile: slowloris, oversized heads, bad chunked bodies, garbage
# publishers and players that never read (plain C, for tests/e2e).
$(BUILD)/flv_hostile: c_examples/flv_hostile.c | $(BUILD)
	$(NICE) $(CC) $(SERVER_CFLAGS) -O2 -g $< -o $@

# npm install in web/ when node_modules is missing or older than the package files.
web-deps: $(WEB_STAMP)
$(WEB_STAMP): web/package.json web/package-lock.json
	cd web && $(NPM) install --no-audit --no-fund
	@touch $@

# integrations/nginx: ngx_http_livehub_module for the system's nginx
# (Debian's nginx 1.22 + nginx-dev), built by integrations/nginx/build.sh
# against /usr/share/nginx/src with -Wall -Wextra -Werror and loaded with
# load_module: no nginx rebuild. The ASan+UBSan build links the debug
# library; nginx runs it with the sanitizer runtimes preloaded.
NGINX_DIR     := integrations/nginx
NGINX_BUILD   := $(NGINX_DIR)/build
NGINX_SO      := $(NGINX_BUILD)/ngx_http_livehub_module.so
NGINX_ASAN_SO := $(NGINX_BUILD)/asan/ngx_http_livehub_module.so
NGINX_DEPS    := $(wildcard $(NGINX_DIR)/*.c $(NGINX_DIR)/*.h) $(NGINX_DIR)/config $(NGINX_DIR)/build.sh $(HEADERS)
NGINX_TESTS   := $(sort $(wildcard tests/nginx/[0-9]*.sh))
NGINX_DEMO    ?= 127.0.0.1:8090

nginx-module: lib
	@$(MAKE) --no-print-directory $(NGINX_SO)

nginx-module-asan:
	$(NICE) $(CARGO) build
	@$(MAKE) --no-print-directory $(NGINX_ASAN_SO)

$(NGINX_SO): $(NGINX_DEPS) $(LIB_REL)
	NICE="$(NICE)" $(NGINX_DIR)/build.sh $(NGINX_BUILD) $(LIB_REL)

$(NGINX_ASAN_SO): $(NGINX_DEPS) $(LIB_DBG)
	NICE="$(NICE)" $(NGINX_DIR)/build.sh $(NGINX_BUILD)/asan $(LIB_DBG) \
	  "-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
	  "-fsanitize=address,undefined"

# nginx on NGINX_DEMO with the module, the demo page of web/ and live/demo
# (DEMO_FLV looped by ffmpeg, published over HTTP POST) until Ctrl-C.
nginx-demo: nginx-module web-deps
	bash $(NGINX_DIR)/demo.sh $(NGINX_DEMO) $(DEMO_FLV)

# The module end to end (tests/nginx/*.sh, each bounded, loopback only, a
# PASS or FAIL line each): load and directives, ffmpeg clients, reload, the
# SRS #4143 scenario under ASan, Chromium on the demo page, 1,000 players.
test-nginx: lib web-deps
	$(NICE) $(CARGO) build
	@$(MAKE) --no-print-directory $(NGINX_SO) $(NGINX_ASAN_SO) $(addprefix $(BUILD)/,$(SERVER_EXAMPLES))
	@pass=0; fail=0; failed=; for t in $(NGINX_TESTS); do \
	  echo "== $$t"; \
	  if bash $$t; then pass=$$((pass + 1)); else fail=$$((fail + 1)); failed="$$failed $$t"; fi; \
	done; \
	[ $$fail -eq 0 ] || echo "nginx: failed:$$failed"; \
	echo "nginx: $$pass passed, $$fail failed"; [ $$fail -eq 0 ]

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
	@echo "RTMP on rtmp://$(DEMO_RTMP) (the same streams):"
	@echo "  OBS Studio: Settings > Stream: Service Custom..., Server rtmp://$(DEMO_RTMP_HOST)/live, Stream Key demo2"
	@echo "              then play http://$(DEMO_HTTP)/live/demo2.flv or rtmp://$(DEMO_RTMP_HOST)/live/demo2"
	@echo "  publish:  ffmpeg -re -i in.flv -c copy -f flv rtmp://$(DEMO_RTMP_HOST)/live/demo2"
	@echo "  play:     ffplay rtmp://$(DEMO_RTMP_HOST)/live/demo"
	@echo "            ffmpeg -i rtmp://$(DEMO_RTMP_HOST)/live/demo -c copy -f flv out.flv"
	@echo
	./$(BUILD)/flv_relay --http $(DEMO_HTTP) --rtmp $(DEMO_RTMP) --demo $(DEMO_FLV)

# The first example: a synthetic stream to two players, in one process.
demo-basic: lib
	@$(MAKE) --no-print-directory $(BUILD)/basic
	./$(BUILD)/basic

# Everything CI runs, in order: header drift, cargo tests, loom, header
# compile tests, examples under ASan+UBSan (misuse.c among them), Rust tests
# under ASan, 30 s of the C-ABI stress under two sanitizer builds, and the
# end-to-end tests of flv_relay and of the nginx module with real clients.
test: test-header-drift test-header-docs test-lint test-cargo test-loom header-check test-install test-examples \
      test-cpp test-relay-parsers test-asan test-stress test-e2e test-nginx
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

# Every exported function's header comment says Ownership, Threads and
# Returns (scripts/check_header_docs.sh); and the script itself still
# catches each kind of gap (tests/header_docs/bad.h must give expected.txt).
test-header-docs:
	@scripts/check_header_docs.sh include/livehub.h
	@out=$$(scripts/check_header_docs.sh tests/header_docs/bad.h) && { \
	  echo "error: check_header_docs.sh accepted tests/header_docs/bad.h"; exit 1; }; \
	  printf '%s\n' "$$out" | diff -u tests/header_docs/expected.txt - || { \
	  echo "error: check_header_docs.sh no longer reports what tests/header_docs/expected.txt lists"; exit 1; }
	@echo "header-docs: the checker reports every gap in tests/header_docs/bad.h"

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
	printf '#include "livehub.hpp"\n' | $(CXX) $(CXX_STRICT) $(CXX_NOEXC) $(INCLUDES) -x c++ -fsyntax-only -
	$(CC) $(C_STRICT) $(INCLUDES) -c c_examples/header_c99.c -o $(BUILD)/header_c99.o
	$(CXX) $(CXX_STRICT) $(INCLUDES) -c c_examples/header_cpp17.cpp -o $(BUILD)/header_cpp17.o
	@echo "header-check: livehub.h compiles as C99 and C++17, livehub.hpp as C++17 with and without exceptions"

# (e) every example with ASan+UBSan against the debug static library, run with leak checks.
test-examples: | $(ASAN_DIR)
	$(NICE) $(CARGO) build
	@set -e; for ex in $(C_EXAMPLES); do \
	  echo "  CC+ASAN  $$ex"; \
	  $(NICE) $(CC) $(C_STRICT) $(SANITIZE) $(INCLUDES) c_examples/$$ex.c $(LIB_DBG) $(LDLIBS) -o $(ASAN_DIR)/$$ex; \
	done; for ex in $(CXX_EXAMPLES); do \
	  echo "  CXX+ASAN $$ex"; \
	  $(NICE) $(CXX) $(CXX_STRICT) $(SANITIZE) $(INCLUDES) c_examples/$$ex.cpp $(LIB_DBG) $(LDLIBS) -o $(ASAN_DIR)/$$ex; \
	done; for ex in $(CXX_NOEXC_EXAMPLES); do \
	  echo "  CXX+ASAN $$ex (-fno-exceptions)"; \
	  $(NICE) $(CXX) $(CXX_STRICT) $(CXX_NOEXC) $(SANITIZE) $(INCLUDES) c_examples/$$ex.cpp $(LIB_DBG) $(LDLIBS) \
	    -o $(ASAN_DIR)/$$ex; \
	done
	@set -e; pass=0; for ex in $(EXAMPLES); do \
	  echo "== $$ex"; \
	  $(SAN_ENV) ./$(ASAN_DIR)/$$ex || { echo "examples: $$ex FAILED"; echo "examples: $$pass passed, 1 failed"; exit 1; }; \
	  pass=$$((pass + 1)); \
	done; echo "examples: $$pass passed, 0 failed"

# (e') the libFuzzer harnesses of the relay's request parser and chunked
# decoder (fuzz/relay/), built with gcc and a plain driver under ASan+UBSan
# and run over their seeds and 200,000 deterministic mutations of them, so
# that they build and hold without clang; `make fuzz-relay` fuzzes them.
FUZZ_RELAY_TARGETS := request chunked
FUZZ_RELAY_SRC     := c_examples/flv_relay/http_parse.c c_examples/flv_relay/http_chunked.c c_examples/flv_relay/auth.c
test-relay-parsers: | $(ASAN_DIR)
	@set -e; for t in $(FUZZ_RELAY_TARGETS); do \
	  echo "  CC+ASAN  fuzz/relay/fuzz_$$t.c (plain driver)"; \
	  $(NICE) $(CC) $(C_STRICT) $(SANITIZE) -Ic_examples/flv_relay fuzz/relay/fuzz_$$t.c fuzz/relay/driver.c \
	    $(FUZZ_RELAY_SRC) -o $(ASAN_DIR)/fuzz_relay_$$t; \
	  $(SAN_ENV) ./$(ASAN_DIR)/fuzz_relay_$$t -m 200000 fuzz/relay/corpus/$$t; \
	done

# livehub.hpp in two translation units compiled apart and linked together
# (tests/cpp/two_tu_*.cpp), strict warnings, run under ASan+UBSan+LSan.
test-cpp: | $(ASAN_DIR)
	$(NICE) $(CARGO) build
	@for src in $(TWO_TU_SRC); do \
	  echo "  CXX+ASAN $$src"; \
	  $(NICE) $(CXX) $(CXX_STRICT) $(SANITIZE) $(INCLUDES) -c $$src -o $(ASAN_DIR)/$$(basename $$src .cpp).o || exit 1; \
	done
	$(NICE) $(CXX) $(SANITIZE) $(addprefix $(ASAN_DIR)/,$(notdir $(TWO_TU_SRC:.cpp=.o))) $(LIB_DBG) $(LDLIBS) \
	  -o $(ASAN_DIR)/two_tu
	$(SAN_ENV) ./$(ASAN_DIR)/two_tu
	@echo "cpp: livehub.hpp links from two translation units and runs clean under ASan+UBSan"

# (f) the Rust unit and integration tests under AddressSanitizer (+ LeakSanitizer).
test-asan:
	RUSTC_BOOTSTRAP=1 RUSTFLAGS=-Zsanitizer=address RUSTDOCFLAGS=-Zsanitizer=address \
	  CARGO_TARGET_DIR=target/asan ASAN_OPTIONS=detect_leaks=1 \
	  $(NICE) $(CARGO) test --target $(HOST) --lib --tests

# (f2) tests/stress/stress.c: many threads doing seeded random operations
# on a few shared streams through the C ABI, every policy firing; built
# with ASan+UBSan+LSan against the debug library, then against the library
# built with Rust's AddressSanitizer (target/asan-lib). STRESS_SECONDS in
# all, half under each build: 30 s in make test, 600 s in make stress.
STRESS_SECONDS ?= 30
STRESS_SEED    ?= 16
STRESS_THREADS ?= 8
LIB_RUST_ASAN  := target/asan-lib/$(HOST)/debug/liblivehub.a
STRESS_SRC     := tests/stress/stress.c

# The library with Rust's AddressSanitizer, linked into C programs by gcc
# -fsanitize=address (gcc's libasan serves both the C and the Rust side).
lib-rust-asan:
	RUSTC_BOOTSTRAP=1 RUSTFLAGS=-Zsanitizer=address CARGO_TARGET_DIR=target/asan-lib \
	  $(NICE) $(CARGO) build --lib --target $(HOST)

test-stress: | $(ASAN_DIR)
	$(NICE) $(CARGO) build
	@$(MAKE) --no-print-directory lib-rust-asan
	$(NICE) $(CC) $(C_STRICT) $(SANITIZE) $(INCLUDES) $(STRESS_SRC) $(LIB_DBG) $(LDLIBS) -o $(ASAN_DIR)/stress
	$(NICE) $(CC) $(C_STRICT) $(SANITIZE) $(INCLUDES) $(STRESS_SRC) $(LIB_RUST_ASAN) $(LDLIBS) -o $(ASAN_DIR)/stress-rust-asan
	@half=$$(( ($(STRESS_SECONDS) + 1) / 2 )); \
	echo "== stress, C side under ASan+UBSan, debug library ($$half s)"; \
	$(SAN_ENV) ./$(ASAN_DIR)/stress $$half $(STRESS_SEED) $(STRESS_THREADS) || { echo "stress: FAILED (debug library)"; exit 1; }; \
	echo "== stress, library built with Rust's AddressSanitizer ($$half s)"; \
	$(SAN_ENV) ./$(ASAN_DIR)/stress-rust-asan $$half $(STRESS_SEED) $(STRESS_THREADS) || { echo "stress: FAILED (Rust ASan library)"; exit 1; }

# The long stress run: 10 minutes, half under each build.
stress:
	@$(MAKE) --no-print-directory test-stress STRESS_SECONDS=600

# Miri over the C ABI and notification tests, ThreadSanitizer over all (nightly; installs rust-src
# and miri with rustup when it can, and says which it could not), and the
# loom models at a larger preemption bound (scripts/deep_check.sh; about
# 40 minutes on 2 cores). DEEP_CHECKS="miri tsan loom" picks among them.
deep-check:
	bash scripts/deep_check.sh

# The soak: flv_relay (release build) for SOAK_SECONDS (default 600) under
# churn from tests/soak/soak_client.c (publishers reconnecting every few
# seconds, 200 players joining and leaving, slow and silent ones); prints
# the relay's RSS each minute and fails if it grew more than 10% after
# minute 2 or a player got bytes that are not FLV (tests/soak/soak.sh).
SOAK_SECONDS ?= 600
$(BUILD)/soak_client: tests/soak/soak_client.c | $(BUILD)
	$(NICE) $(CC) $(SERVER_CFLAGS) -O2 -g $< -o $@

soak: servers $(BUILD)/soak_client
	SOAK_SECONDS=$(SOAK_SECONDS) bash tests/soak/soak.sh

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

# (h) make install into a temporary prefix, then what a user does with it
# (tests/install/run.sh, the commands of README.md's "Install" section):
# pkg-config builds against the shared and the static library, the
# SONAME, the exported symbols, two Rust static libraries in one program,
# DESTDIR staging, and make uninstall leaving the prefix empty.
test-install: lib
	$(NICE) bash tests/install/run.sh

# `cargo cinstall` (cargo-c) gives the layout of `make install`
# (tests/install/cinstall.sh). Not in `make test`: it needs cargo-c
# (`cargo install cargo-c`), which takes tens of minutes to build.
test-cinstall: lib
	bash tests/install/cinstall.sh

# Fan-out benchmark (publish, delivery and wake-up cost for 1..10,000 players),
# then the C-ABI wake-up benchmark (armed players in groups, 1..100,000).
bench:
	$(NICE) $(CARGO) bench --bench fanout
	$(NICE) $(CARGO) bench --bench cabi

# The HTTP-FLV relay under 100, 500, 1,000 and 2,000 loopback players of one
# ~530 kbit/s stream, with --merge-ms 0 and the default 350: its CPU, RSS and
# per-player throughput, as a table (scripts/bench_relay.sh; about 10 minutes with both servers;
# needs ffmpeg and curl); each row for flv_relay and for nginx with the
# livehub module. PLAYERS="..." MODES="..." SERVERS="..." narrow it down.
bench-relay: servers nginx-module
	bash scripts/bench_relay.sh
	bash scripts/bench_rtmp.sh

# The relay of this tree against the relay of an earlier revision (BASE,
# default the previous release), each row run for both builds in turn,
# REPEAT times, with the medians side by side (scripts/bench_relay_ab.sh;
# about 12 minutes with the defaults: 1,000 and 2,000 players, both modes).
bench-relay-ab: servers
	bash scripts/bench_relay_ab.sh

# RTMP players of the relay and of nginx-rtmp (libnginx-mod-rtmp, installed
# by the script when missing) side by side, 100 and 1,000 players
# (scripts/bench_rtmp.sh; about 3 minutes). RTMP_PLAYERS="..." narrows it.
bench-rtmp: servers
	bash scripts/bench_rtmp.sh

# Fuzz every cargo-fuzz target for FUZZ_SECONDS each (installs cargo-fuzz if needed).
FUZZ_SECONDS ?= 60
fuzz:
	scripts/fuzz.sh $(FUZZ_SECONDS)

# libFuzzer (clang, ASan+UBSan) on the relay's request parser and chunked
# decoder for FUZZ_SECONDS each (scripts/fuzz_relay.sh; installs clang and
# its runtimes with apt when missing and root).
fuzz-relay:
	scripts/fuzz_relay.sh $(FUZZ_SECONDS) $(FUZZ_RELAY_TARGETS)

# ---- install -----------------------------------------------------------------
#
#   make install [PREFIX=/usr/local] [DESTDIR=] [LIBDIR=$(PREFIX)/lib] [INCLUDEDIR=$(PREFIX)/include]
#
#   $(LIBDIR)/liblivehub.so.$(VERSION)   SONAME liblivehub.so.$(SOMAJOR); exports livehub_* only
#   $(LIBDIR)/liblivehub.so.$(SOMAJOR), liblivehub.so   symlinks to it (as cargo cinstall makes them)
#   $(LIBDIR)/liblivehub.a               exports livehub_* only (see below)
#   $(INCLUDEDIR)/livehub.h, livehub.hpp
#   $(LIBDIR)/pkgconfig/livehub.pc       Libs.private: what the static library needs
#
# The installed liblivehub.a is target/release/liblivehub.a with its Rust
# standard library made private: one relocatable object linked from the
# members the livehub_* functions need (`ld -r -u livehub_...`), in which
# every other global symbol is made local (`objcopy --keep-global-symbols`).
# Two Rust static libraries in one program then cannot clash (each keeps
# its own std, allocator and panic runtime); tests/install/run.sh checks it.
PREFIX       ?= /usr/local
DESTDIR      ?=
LIBDIR       ?= $(PREFIX)/lib
INCLUDEDIR   ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
INSTALL      ?= install
NM           ?= nm
OBJCOPY      ?= objcopy
RUSTC        ?= rustc
VERSION      := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
SOMAJOR      := $(firstword $(subst ., ,$(VERSION)))
DIST         := target/release/dist

$(DIST):
	mkdir -p $@

# The symbol-localised static library and the list of what it exports.
dist: $(DIST)/liblivehub.a $(DIST)/native-static-libs

$(DIST)/liblivehub.a: $(LIB_REL) | $(DIST)
	$(NM) -g --defined-only $(LIB_REL) 2>/dev/null | awk '$$2 == "T" && $$3 ~ /^livehub_/ { print $$3 }' \
	  | sort -u > $(DIST)/exports.txt
	@test -s $(DIST)/exports.txt || { echo "error: no livehub_ symbol in $(LIB_REL)"; exit 1; }
	$(LD) -r --force-group-allocation $$(sed 's/^/-u /' $(DIST)/exports.txt) $(LIB_REL) -o $(DIST)/livehub.o
	$(OBJCOPY) --keep-global-symbols=$(DIST)/exports.txt --remove-section=.llvmbc --remove-section=.llvmcmd \
	  $(DIST)/livehub.o
	rm -f $@ && $(AR) rcs $@ $(DIST)/livehub.o && rm -f $(DIST)/livehub.o

# What a program linking liblivehub.a needs from the system: the Rust
# standard library's native libraries, as rustc prints them for a static
# library of this target (livehub and its dependencies link none of their
# own; the static build in tests/install/run.sh would catch one).
$(DIST)/native-static-libs: | $(DIST)
	echo '' | $(RUSTC) --crate-type staticlib --crate-name livehub_probe --print native-static-libs \
	  -o $(DIST)/libprobe.a - 2>&1 | sed -n 's/^note: native-static-libs: //p' > $@.tmp
	rm -f $(DIST)/libprobe.a
	@test -s $@.tmp || { echo "error: rustc printed no native-static-libs"; rm -f $@.tmp; exit 1; }
	mv $@.tmp $@

install: lib dist
	$(INSTALL) -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(PKGCONFIGDIR)
	$(INSTALL) -m 644 $(DIST)/liblivehub.a $(DESTDIR)$(LIBDIR)/liblivehub.a
	$(INSTALL) -m 755 target/release/liblivehub.so $(DESTDIR)$(LIBDIR)/liblivehub.so.$(VERSION)
	ln -sf liblivehub.so.$(VERSION) $(DESTDIR)$(LIBDIR)/liblivehub.so.$(SOMAJOR)
	ln -sf liblivehub.so.$(VERSION) $(DESTDIR)$(LIBDIR)/liblivehub.so
	$(INSTALL) -m 644 include/livehub.h include/livehub.hpp $(DESTDIR)$(INCLUDEDIR)/
	@echo "  GEN      $(DIST)/livehub.pc (prefix=$(PREFIX))"
	@{ echo 'prefix=$(PREFIX)'; \
	  echo 'exec_prefix=$${prefix}'; \
	  echo 'libdir=$(patsubst $(PREFIX)/%,$${prefix}/%,$(LIBDIR))'; \
	  echo 'includedir=$(patsubst $(PREFIX)/%,$${prefix}/%,$(INCLUDEDIR))'; \
	  echo; \
	  echo 'Name: livehub'; \
	  echo 'Description: Lifetime-safe live-stream fan-out (one FLV publisher, many players)'; \
	  echo 'Version: $(VERSION)'; \
	  echo 'Libs: -L$${libdir} -llivehub'; \
	  echo "Libs.private: $$(cat $(DIST)/native-static-libs)"; \
	  echo 'Cflags: -I$${includedir}'; \
	} > $(DIST)/livehub.pc
	$(INSTALL) -m 644 $(DIST)/livehub.pc $(DESTDIR)$(PKGCONFIGDIR)/livehub.pc

# Removes the files of make install (same PREFIX, DESTDIR, LIBDIR,
# INCLUDEDIR), then those of its directories that are left empty.
uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/liblivehub.a $(DESTDIR)$(LIBDIR)/liblivehub.so \
	  $(DESTDIR)$(LIBDIR)/liblivehub.so.$(SOMAJOR) $(DESTDIR)$(LIBDIR)/liblivehub.so.$(VERSION) \
	  $(DESTDIR)$(INCLUDEDIR)/livehub.h $(DESTDIR)$(INCLUDEDIR)/livehub.hpp $(DESTDIR)$(PKGCONFIGDIR)/livehub.pc
	rmdir $(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) 2>/dev/null || true

# Remove the example binaries and the nginx module builds.
clean:
	rm -rf $(BUILD) $(NGINX_BUILD)

# Also remove every cargo build (target/, including target/loom and target/asan).
distclean: clean
	$(CARGO) clean
