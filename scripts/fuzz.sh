#!/bin/sh
# Runs every cargo-fuzz target of fuzz/ for SECONDS each (default 60), one
# after the other, at low priority; installs cargo-fuzz if it is missing.
#
#   scripts/fuzz.sh [SECONDS]
#
# The committed seeds (fuzz/corpus/<target>/) are read only; what libFuzzer
# finds on the way goes to fuzz/work/<target>/ and crashes to
# fuzz/artifacts/<target>/ (both ignored by git). Exits non-zero on the
# first finding. Builds with AddressSanitizer when the toolchain can, on a
# stable toolchain through RUSTC_BOOTSTRAP=1; without a sanitizer otherwise.
set -eu

seconds=${1:-60}
case $seconds in
    '' | *[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;;
esac

here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here/fuzz"

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz.sh: installing cargo-fuzz" >&2
    cargo install cargo-fuzz --locked
fi

export RUSTC_BOOTSTRAP=1
sanitizer=address
if ! nice cargo fuzz build -s "$sanitizer" >/dev/null 2>&1; then
    echo "fuzz.sh: no AddressSanitizer build here, fuzzing without a sanitizer" >&2
    sanitizer=none
    nice cargo fuzz build -s none
fi

for target in $(cargo fuzz list); do
    mkdir -p "work/$target" "corpus/$target"
    echo "fuzz.sh: $target for ${seconds}s (sanitizer: $sanitizer)" >&2
    nice cargo fuzz run -s "$sanitizer" "$target" "work/$target" "corpus/$target" -- \
        -max_total_time="$seconds" -max_len=8192 -timeout=10 -print_final_stats=1
done
