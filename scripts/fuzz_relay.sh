#!/bin/sh
# make fuzz-relay: libFuzzer on the relay's request-head parser and chunked
# decoder (fuzz/relay/fuzz_request.c, fuzz_chunked.c over
# c_examples/flv_relay/http_parse.c, http_chunked.c, auth.c), built by
# clang with ASan and UBSan, SECONDS each (default 60), one after the other,
# at low priority.
#
#   scripts/fuzz_relay.sh [SECONDS] [TARGET...]      (targets: request chunked)
#
# The committed seeds (fuzz/relay/corpus/<target>/) are read only; what
# libFuzzer finds on the way goes to fuzz/relay/work/<target>/, crashes to
# fuzz/relay/artifacts/<target>/ (both ignored by git). Prints each target's
# executions and exits non-zero on the first finding. Needs clang and its
# runtime libraries; installs them with apt when missing and run as root.
set -eu

seconds=${1:-60}
case $seconds in
    '' | *[!0-9]*) echo "usage: $0 [SECONDS] [TARGET...]" >&2; exit 2 ;;
esac
[ $# -gt 0 ] && shift
targets=${*:-request chunked}

here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
out=c_examples/build/fuzz_relay
mkdir -p "$out"

probe() {
    printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' >"$out/probe.c"
    clang -fsanitize=fuzzer,address,undefined "$out/probe.c" -o "$out/probe" >/dev/null 2>&1
}
if ! probe; then
    if [ "$(id -u)" != 0 ]; then
        echo "fuzz_relay.sh: clang cannot build a libFuzzer program here; install clang and libclang-rt-dev (as root)" >&2
        exit 1
    fi
    echo "fuzz_relay.sh: installing clang and libclang-rt-dev" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends clang libclang-rt-dev >/dev/null
    probe || { echo "fuzz_relay.sh: clang still cannot build a libFuzzer program" >&2; exit 1; }
fi
clang --version | sed -n 1p

src="c_examples/flv_relay/http_parse.c c_examples/flv_relay/http_chunked.c c_examples/flv_relay/auth.c"
for t in $targets; do
    [ -f "fuzz/relay/fuzz_$t.c" ] || { echo "fuzz_relay.sh: no target '$t'" >&2; exit 2; }
    # shellcheck disable=SC2086
    nice clang -std=c99 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
        -Ic_examples/flv_relay "fuzz/relay/fuzz_$t.c" $src -o "$out/fuzz_$t"
    mkdir -p "fuzz/relay/work/$t" "fuzz/relay/artifacts/$t"
    echo "== fuzz-relay $t: $seconds s"
    rc=0
    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 nice "$out/fuzz_$t" -max_total_time="$seconds" \
        -max_len=16384 -print_final_stats=1 -artifact_prefix="fuzz/relay/artifacts/$t/" \
        "fuzz/relay/work/$t" "fuzz/relay/corpus/$t" >"$out/fuzz_$t.log" 2>&1 || rc=$?
    tail -n 25 "$out/fuzz_$t.log" | grep -E '^(stat::|Done|==|SUMMARY|.*CHECK failed)' || true
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/fuzz_$t.log")
    if [ "$rc" -ne 0 ]; then
        echo "fuzz-relay $t: FINDING after ${execs:-?} executions (exit $rc): see $out/fuzz_$t.log and fuzz/relay/artifacts/$t/"
        exit 1
    fi
    echo "fuzz-relay $t: ${execs:-?} executions in $seconds s, corpus $(ls "fuzz/relay/work/$t" | wc -l) inputs, no finding"
done
