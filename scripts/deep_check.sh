#!/usr/bin/env bash
# make deep-check: the checks too slow for make test.
#
#   1. Miri (nightly): the C ABI unit tests (MIRI_LIB_FILTER, default
#      ffi::: every `unsafe` block of src/ffi/ runs under Miri's checks of
#      aliasing, provenance, alignment, leaks and data races; the fault
#      injection test among them) and the integration tests in MIRI_TESTS.
#   2. ThreadSanitizer (nightly, -Zbuild-std so std is instrumented too):
#      the unit and integration tests.
#   3. loom: tests/loom.rs with LOOM_MAX_PREEMPTIONS=DEEP_LOOM_PREEMPTIONS
#      (default 4; make test uses 2).
#
# Installs the nightly toolchain and its rust-src and miri components with
# rustup when they are missing; when that fails (no network, no rustup), it
# says plainly which tool could not be installed, skips that check and
# exits non-zero: a check that did not run is not a pass. Each check prints
# one PASS / FAIL / NOT RUN line; the last line sums them up.
#
#   scripts/deep_check.sh          (or: make deep-check)
#   DEEP_CHECKS="miri tsan loom"   which checks to run (default: all three)
set -u

cd "$(dirname "$0")/.."
NICE=${NICE:-nice}
HOST=$(rustc -vV | sed -n 's/^host: //p')
CHECKS=${DEEP_CHECKS:-miri tsan loom}
# Under Miri a test runs 50 to 100 times slower: by default the C ABI
# tests (src/ffi/, where every unsafe block is) and two integration tests.
# (The header text check has no unsafe code and takes most of an hour
# under Miri: skipped.)
MIRI_LIB_FILTER=${MIRI_LIB_FILTER:-ffi::}
MIRI_LIB_SKIP=${MIRI_LIB_SKIP:-ffi::tests::header::}
MIRI_TESTS=${MIRI_TESTS:-"--test regressions --test notify"}
PREEMPTIONS=${DEEP_LOOM_PREEMPTIONS:-4}
LOG_DIR=target/deep-check
mkdir -p "$LOG_DIR"

results=()
failed=0
record() {   # record CHECK STATUS TEXT
  results+=("$1: $2 — $3")
  echo "deep-check: $1: $2 — $3"
  [ "$2" = PASS ] || failed=1
}

# Makes sure the nightly toolchain has component $1; prints why not if it
# cannot, and returns 1.
need_component() {
  if ! command -v rustup >/dev/null; then
    echo "rustup is not installed"
    return 1
  fi
  if ! rustup toolchain list | grep -q '^nightly'; then
    rustup toolchain install nightly --profile minimal >"$LOG_DIR/rustup-nightly.log" 2>&1 || {
      echo "rustup could not install the nightly toolchain: $(tail -n 1 "$LOG_DIR/rustup-nightly.log")"
      return 1
    }
  fi
  if rustup component list --toolchain nightly --installed 2>/dev/null | grep -q "^$1"; then
    return 0
  fi
  rustup component add --toolchain nightly "$1" >"$LOG_DIR/rustup-$1.log" 2>&1 || {
    echo "rustup could not install the nightly component $1: $(tail -n 1 "$LOG_DIR/rustup-$1.log")"
    return 1
  }
}

# Test counts of a cargo test log: "N passed, M failed".
counts() {
  awk '/^test result:/ { p += $4; f += $6 } END { printf "%d passed, %d failed", p, f }' "$1"
}

for check in $CHECKS; do
  case $check in
  miri)
    why=$(need_component rust-src) && why=$(need_component miri) || {
      record miri "NOT RUN" "$why"
      continue
    }
    log=$LOG_DIR/miri.log
    echo "deep-check: miri: cargo +nightly miri test --lib -- $MIRI_LIB_FILTER --skip $MIRI_LIB_SKIP; $MIRI_TESTS (log: $log)"
    # Isolation off: some tests read the committed header and sample
    # files. Permissive provenance: the C ABI tests use integer "sentinel"
    # pointers that are never dereferenced.
    export MIRIFLAGS="-Zmiri-disable-isolation -Zmiri-permissive-provenance"
    if CARGO_TARGET_DIR=target/miri $NICE cargo +nightly miri test --lib -- "$MIRI_LIB_FILTER" \
      --skip "$MIRI_LIB_SKIP" >"$log" 2>&1 &&
      CARGO_TARGET_DIR=target/miri $NICE cargo +nightly miri test $MIRI_TESTS >>"$log" 2>&1; then
      record miri PASS "$(counts "$log"), no undefined behaviour or leak"
    else
      grep -E '^error|Undefined Behavior|^test .* FAILED' "$log" | head -n 5
      record miri FAIL "$(counts "$log") (see $log)"
    fi
    ;;
  tsan)
    why=$(need_component rust-src) || {
      record tsan "NOT RUN" "$why (ThreadSanitizer needs -Zbuild-std)"
      continue
    }
    log=$LOG_DIR/tsan.log
    echo "deep-check: tsan: cargo +nightly test -Zbuild-std --lib --tests (log: $log)"
    if RUSTFLAGS="-Zsanitizer=thread" RUSTDOCFLAGS="-Zsanitizer=thread" CARGO_TARGET_DIR=target/tsan \
      TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1" LIVEHUB_BENCH_RUNS=1 \
      $NICE cargo +nightly test -Zbuild-std --target "$HOST" --lib --tests >"$log" 2>&1; then
      record tsan PASS "$(counts "$log"), no data race reported"
    else
      grep -E 'WARNING: ThreadSanitizer|^error|^test .* FAILED' "$log" | head -n 5
      record tsan FAIL "$(counts "$log") (see $log)"
    fi
    ;;
  loom)
    log=$LOG_DIR/loom.log
    echo "deep-check: loom: LOOM_MAX_PREEMPTIONS=$PREEMPTIONS cargo test --release --test loom (log: $log)"
    start=$(date +%s)
    if RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=$PREEMPTIONS CARGO_TARGET_DIR=target/loom \
      $NICE cargo test --release --test loom >"$log" 2>&1; then
      record loom PASS "$(counts "$log") models at preemption bound $PREEMPTIONS in $(($(date +%s) - start)) s"
    else
      grep -E '^test .* FAILED|panicked' "$log" | head -n 5
      record loom FAIL "$(counts "$log") (see $log)"
    fi
    ;;
  *)
    record "$check" "NOT RUN" "unknown check (DEEP_CHECKS takes miri, tsan, loom)"
    ;;
  esac
done

echo "deep-check: summary:"
printf '  %s\n' "${results[@]}"
[ "$failed" -eq 0 ] && echo "deep-check: all checks passed" || echo "deep-check: FAILED or incomplete"
exit "$failed"
