#!/usr/bin/env bash
# tests/install/cinstall.sh (make test-cinstall): `cargo cinstall` (cargo-c)
# gives the layout of `make install`, from [package.metadata.capi] in
# Cargo.toml: the same file names and symlinks, SONAME liblivehub.so.MAJOR,
# only livehub_* exported, a livehub.pc that builds and runs
# tests/install/installed.c. Needs cargo-c (`cargo install cargo-c`); not
# part of `make test` because building cargo-c takes tens of minutes.
# One PASS/FAIL line per check.
set -uo pipefail

cd "$(dirname "$0")/../.."
CC=${CC:-cc}
MAKE=${MAKE:-make}

pass=0
fail=0
ok() { echo "PASS cinstall: $1"; pass=$((pass + 1)); }
ko() { echo "FAIL cinstall: $1"; fail=$((fail + 1)); }

if ! cargo cinstall --version >/dev/null 2>&1; then
  ko "cargo cinstall is available (install cargo-c: cargo install cargo-c)"
  echo "cinstall: $pass passed, $fail failed"
  exit 1
fi
echo "    $(cargo cinstall --version 2>&1 | head -n 1)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
IFS=. read -r major minor patch <<<"$version"

# Same prefix for both, staged under two DESTDIRs.
if $MAKE --no-print-directory install DESTDIR="$work/make" PREFIX=/usr/local >"$work/make.log" 2>&1; then
  ok "make install DESTDIR=\$a PREFIX=/usr/local"; else ko "make install"; tail -n 20 "$work/make.log"; fi
if nice cargo cinstall --release --prefix=/usr/local --libdir=lib --destdir="$work/cargo" \
  --target-dir target/cargo-c >"$work/cargo.log" 2>&1; then
  ok "cargo cinstall --release --prefix=/usr/local --libdir=lib --destdir=\$b"
else ko "cargo cinstall"; tail -n 20 "$work/cargo.log"; fi

list() { (cd "$1" && find . | sed 's|^\./||' | grep -v '^\.$' | sort); }
if [ "$(list "$work/make")" = "$(list "$work/cargo")" ]; then ok "the same files and directories as make install"; else
  ko "the same files and directories as make install"; diff <(list "$work/make") <(list "$work/cargo") | sed 's/^/    /'; fi
lib=$work/cargo/usr/local/lib
links() { (cd "$1" && find . -type l -printf '%p -> %l\n' | sort); }
if [ "$(links "$work/make")" = "$(links "$work/cargo")" ]; then ok "the same symlinks: $(links "$work/cargo" | tr '\n' ' ')"; else
  ko "the same symlinks"; diff <(links "$work/make") <(links "$work/cargo") | sed 's/^/    /'; fi
if readelf -d "$lib/liblivehub.so.$version" | grep -q "Library soname: \[liblivehub.so.$major\]"; then
  ok "SONAME liblivehub.so.$major"; else ko "SONAME liblivehub.so.$major"; readelf -d "$lib/liblivehub.so.$version" | grep SONAME; fi
syms=$(nm -D --defined-only "$lib/liblivehub.so.$version" 2>/dev/null | awk '{ print $NF }')
if [ -n "$syms" ] && ! grep -qv '^livehub_' <<<"$syms"; then
  ok "only livehub_* exported ($(wc -l <<<"$syms") symbols)"; else ko "only livehub_* exported"; fi
mine=$(grep -E '^(Libs|Libs.private|Cflags|Version):' "$work/make/usr/local/lib/pkgconfig/livehub.pc" | sort)
theirs=$(grep -E '^(Libs|Libs.private|Cflags|Version):' "$lib/pkgconfig/livehub.pc" | sort)
if [ "$mine" = "$theirs" ]; then ok "livehub.pc: the same Version, Libs, Libs.private and Cflags"; else
  ko "livehub.pc: the same Version, Libs, Libs.private and Cflags"; diff <(echo "$mine") <(echo "$theirs") | sed 's/^/    /'; fi
for f in include/livehub.h include/livehub.hpp; do
  if cmp -s "$f" "$work/cargo/usr/local/$f"; then ok "$f installed as committed"; else ko "$f installed as committed"; fi
done

# Its livehub.pc: prefix rewritten to the staging directory, as a packager would.
sed "s|^prefix=.*|prefix=$work/cargo/usr/local|" "$lib/pkgconfig/livehub.pc" >"$work/livehub.pc"
export PKG_CONFIG_PATH=$work
if $CC -std=c99 -Wall -Wextra -Werror -pedantic -DEXPECT_VERSION="\"$version\"" -DEXPECT_MAJOR="$major" \
  -DEXPECT_MINOR="$minor" -DEXPECT_PATCH="$patch" tests/install/installed.c -o "$work/app" \
  $(pkg-config --cflags --libs livehub) >"$work/cc.log" 2>&1 && LD_LIBRARY_PATH="$lib" "$work/app"; then
  ok "a program built with its livehub.pc runs"; else ko "a program built with its livehub.pc runs"; cat "$work/cc.log"; fi

echo "cinstall: $pass passed, $fail failed"
[ $fail -eq 0 ]
