#!/usr/bin/env bash
# tests/install/run.sh (make test-install): make install into a temporary
# prefix, then use it exactly as README.md's "Install" section says, and
# check what a C library must get right. One PASS/FAIL line per check.
#
#   - the files and symlinks make install puts under PREFIX, and only those
#   - readelf -d: SONAME liblivehub.so.0 (liblivehub.so.MAJOR)
#   - nm -D --defined-only: the shared library exports the livehub_*
#     functions of the header and nothing else; the static library's
#     global symbols are the same set
#   - a C program built with `pkg-config --cflags --libs livehub` runs on
#     the installed .so; one built with `pkg-config --static` has no
#     dependency on it and runs; both check LIVEHUB_VERSION_* and
#     livehub_version() against Cargo.toml
#   - c_examples/basic.c against the installed static library
#   - C++: the two-translation-unit program (tests/cpp/) against the
#     installed .so, the -fno-exceptions example against the installed .a
#   - livehub and a second Rust static library with its own allocator in
#     one C program, in both link orders, and with the shared library; the
#     unlocalised target/release/liblivehub.a is the control: with it the
#     same program must fail to link or fail its check
#   - make install DESTDIR=... PREFIX=/usr stages under DESTDIR, with the
#     .pc naming /usr
#   - make uninstall leaves the prefix (and the DESTDIR) empty
set -uo pipefail

cd "$(dirname "$0")/../.."
CC=${CC:-cc}
MAKE=${MAKE:-make}
RUSTC=${RUSTC:-rustc}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
PREFIX=$work/prefix
mkdir -p "$PREFIX"

pass=0
fail=0
ok() { echo "PASS install: $1"; pass=$((pass + 1)); }
ko() { echo "FAIL install: $1"; fail=$((fail + 1)); }
# check NAME CMD...: runs CMD (output kept in $work/last.log, shown on failure).
check() {
  local name=$1
  shift
  if "$@" >"$work/last.log" 2>&1; then ok "$name"; else ko "$name"; sed 's/^/    /' "$work/last.log" | tail -n 20; fi
}

version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
IFS=. read -r major minor patch <<<"$version"
version_flags=(-DEXPECT_VERSION="\"$version\"" -DEXPECT_MAJOR="$major" -DEXPECT_MINOR="$minor" -DEXPECT_PATCH="$patch")
STRICT=(-std=c99 -Wall -Wextra -Werror -pedantic)

# ---- make install ------------------------------------------------------------
check "make install PREFIX=\$tmp" $MAKE --no-print-directory install PREFIX="$PREFIX"

expected_files="include/livehub.h
include/livehub.hpp
lib/liblivehub.a
lib/liblivehub.so
lib/liblivehub.so.$major
lib/liblivehub.so.$version
lib/pkgconfig/livehub.pc"
files=$(cd "$PREFIX" && find . ! -type d | sed 's|^\./||' | sort)
if [ "$files" = "$expected_files" ]; then ok "installs exactly the 7 files"; else
  ko "installs exactly the 7 files"; diff <(echo "$expected_files") <(echo "$files") | sed 's/^/    /'; fi
if [ "$(readlink "$PREFIX/lib/liblivehub.so")" = "liblivehub.so.$version" ] &&
  [ "$(readlink "$PREFIX/lib/liblivehub.so.$major")" = "liblivehub.so.$version" ] &&
  [ -f "$PREFIX/lib/liblivehub.so.$version" ] && [ ! -L "$PREFIX/lib/liblivehub.so.$version" ]; then
  ok "liblivehub.so and liblivehub.so.$major -> liblivehub.so.$version"
else ko "liblivehub.so and liblivehub.so.$major -> liblivehub.so.$version"; ls -l "$PREFIX/lib" | sed 's/^/    /'; fi

# ---- SONAME and exported symbols ---------------------------------------------
soname=$(readelf -d "$PREFIX/lib/liblivehub.so.$version" | grep '(SONAME)')
echo "    readelf -d: $soname"
if grep -q "Library soname: \[liblivehub.so.$major\]" <<<"$soname"; then ok "SONAME liblivehub.so.$major"; else ko "SONAME liblivehub.so.$major"; fi

header_fns=$(sed -n 's/^[A-Za-z_].*[ *]\(livehub_[a-z0-9_]*\)(.*/\1/p' "$PREFIX/include/livehub.h" | sort -u)
nm -D --defined-only "$PREFIX/lib/liblivehub.so.$version" | awk '{ print $NF }' | sort -u >"$work/dynsyms"
echo "    nm -D --defined-only: $(wc -l <"$work/dynsyms") symbols, $(grep -c '^livehub_' "$work/dynsyms") named livehub_*; first: $(head -n 1 "$work/dynsyms"), last: $(tail -n 1 "$work/dynsyms")"
if ! grep -qv '^livehub_' "$work/dynsyms"; then ok "the shared library exports only livehub_* symbols"; else
  ko "the shared library exports only livehub_* symbols"; grep -v '^livehub_' "$work/dynsyms" | head | sed 's/^/    /'; fi
if [ "$(cat "$work/dynsyms")" = "$header_fns" ]; then ok "its exports are exactly the $(wc -l <<<"$header_fns") functions of livehub.h"; else
  ko "its exports are exactly the functions of livehub.h"; diff <(echo "$header_fns") "$work/dynsyms" | sed 's/^/    /'; fi
nm -g --defined-only "$PREFIX/lib/liblivehub.a" 2>/dev/null | awk 'NF == 3 { print $3 }' | sort -u >"$work/staticsyms"
if [ "$(cat "$work/staticsyms")" = "$header_fns" ]; then ok "liblivehub.a's global symbols are exactly those functions"; else
  ko "liblivehub.a's global symbols are exactly those functions"; diff <(echo "$header_fns") "$work/staticsyms" | head -n 20 | sed 's/^/    /'; fi

# ---- pkg-config: shared, then static (README.md, "Install") --------------------
export PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig
check "pkg-config --modversion livehub is $version" test "$(pkg-config --modversion livehub)" = "$version"

app=tests/install/installed.c
check "shared: cc app.c \$(pkg-config --cflags --libs livehub)" \
  $CC "${STRICT[@]}" "${version_flags[@]}" $app -o "$work/app" $(pkg-config --cflags --libs livehub)
if readelf -d "$work/app" 2>/dev/null | grep -q "NEEDED.*\[liblivehub.so.$major\]"; then ok "the shared build needs liblivehub.so.$major"; else ko "the shared build needs liblivehub.so.$major"; fi
check "the shared build runs with LD_LIBRARY_PATH=\$PREFIX/lib" env LD_LIBRARY_PATH="$PREFIX/lib" "$work/app"
sed 's/^/    /' "$work/last.log"

check "static: cc app.c \$(pkg-config --static --cflags --libs livehub | sed 's/-llivehub\\b/-l:liblivehub.a/')" \
  $CC "${STRICT[@]}" "${version_flags[@]}" $app -o "$work/app-static" \
  $(pkg-config --static --cflags --libs livehub | sed 's/-llivehub\b/-l:liblivehub.a/')
if [ -x "$work/app-static" ] && ! readelf -d "$work/app-static" | grep -q 'liblivehub'; then ok "the static build does not need liblivehub.so"; else ko "the static build does not need liblivehub.so"; fi
check "the static build runs" "$work/app-static"
sed 's/^/    /' "$work/last.log"

check "c_examples/basic.c against the installed static library runs" \
  bash -c "$CC ${STRICT[*]} c_examples/basic.c -o '$work/basic' \$(pkg-config --static --cflags --libs livehub | sed 's/-llivehub\b/-l:liblivehub.a/') && '$work/basic'"

# ---- C++: livehub.hpp from the installed include/ --------------------------------
CXX=${CXX:-c++}
CXX_STRICT=(-std=c++17 -Wall -Wextra -Werror -pedantic)
check "C++: two translation units against the installed liblivehub.so build" \
  $CXX "${CXX_STRICT[@]}" tests/cpp/two_tu_main.cpp tests/cpp/two_tu_lib.cpp -o "$work/two_tu" \
  $(pkg-config --cflags --libs livehub)
check "C++: the two-translation-unit program runs" env LD_LIBRARY_PATH="$PREFIX/lib" "$work/two_tu"
sed 's/^/    /' "$work/last.log"
check "C++: the -fno-exceptions example against the installed liblivehub.a builds" \
  $CXX "${CXX_STRICT[@]}" -fno-exceptions c_examples/cpp_noexcept.cpp -o "$work/cpp_noexcept" \
  $(pkg-config --static --cflags --libs livehub | sed 's/-llivehub\b/-l:liblivehub.a/')
check "C++: the -fno-exceptions example runs" "$work/cpp_noexcept"
sed 's/^/    /' "$work/last.log"

# ---- two Rust static libraries in one program ---------------------------------
check "a second Rust static library builds (rustc --crate-type staticlib)" \
  $RUSTC --edition 2021 -O --crate-type staticlib --crate-name other tests/install/other_rust/other.rs -o "$work/libother.a"
static_libs=$(pkg-config --static --libs-only-l livehub | sed 's/-llivehub\b//')
two=tests/install/two_rust_libs.c
check "two Rust static libraries: installed liblivehub.a first" \
  bash -c "$CC ${STRICT[*]} \$(pkg-config --cflags livehub) $two '$PREFIX/lib/liblivehub.a' '$work/libother.a' $static_libs -o '$work/two-a' && '$work/two-a'"
sed 's/^/    /' "$work/last.log"
check "two Rust static libraries: the other one first" \
  bash -c "$CC ${STRICT[*]} \$(pkg-config --cflags livehub) $two '$work/libother.a' '$PREFIX/lib/liblivehub.a' $static_libs -o '$work/two-b' && '$work/two-b'"
check "two Rust libraries: the other static one with liblivehub.so" \
  bash -c "$CC ${STRICT[*]} $two '$work/libother.a' \$(pkg-config --cflags --libs livehub) $static_libs -o '$work/two-c' && LD_LIBRARY_PATH='$PREFIX/lib' '$work/two-c'"
# Control: the same program with the archive cargo builds, whose std symbols
# are global, must show the clash (a failed link or a failed check in either
# order); otherwise this test could not tell the difference.
control=0
for order in "target/release/liblivehub.a $work/libother.a" "$work/libother.a target/release/liblivehub.a"; do
  if $CC -Iinclude $two $order $static_libs -o "$work/two-control" >"$work/control.log" 2>&1 &&
    "$work/two-control" >>"$work/control.log" 2>&1; then :; else control=$((control + 1)); fi
  echo "    control ($(basename ${order%% *}) first): $(grep -m1 -o 'multiple definition of `[^'"'"']*'"'"'\|two_rust_libs: [a-zA-Z]*$' "$work/control.log" || echo "linked and passed")"
done
if [ $control -eq 2 ]; then ok "control: the unlocalised archive clashes in both orders"; else ko "control: the unlocalised archive clashes in both orders"; fi

# ---- DESTDIR staging -----------------------------------------------------------
STAGE=$work/stage
check "make install DESTDIR=\$stage PREFIX=/usr" $MAKE --no-print-directory install DESTDIR="$STAGE" PREFIX=/usr
if [ -f "$STAGE/usr/lib/liblivehub.so.$version" ] && grep -qx 'prefix=/usr' "$STAGE/usr/lib/pkgconfig/livehub.pc"; then
  ok "DESTDIR stages /usr/lib/liblivehub.so.$version and a .pc for prefix=/usr"; else ko "DESTDIR stages under DESTDIR with a .pc for /usr"; fi
check "make uninstall DESTDIR=\$stage PREFIX=/usr" $MAKE --no-print-directory uninstall DESTDIR="$STAGE" PREFIX=/usr
left=$(find "$STAGE" -mindepth 1 ! -path "$STAGE/usr")
if [ -z "$left" ]; then ok "make uninstall empties the DESTDIR"; else ko "make uninstall empties the DESTDIR"; echo "$left" | sed 's/^/    /'; fi

# ---- make uninstall --------------------------------------------------------------
check "make uninstall PREFIX=\$tmp" $MAKE --no-print-directory uninstall PREFIX="$PREFIX"
left=$(find "$PREFIX" -mindepth 1)
if [ -z "$left" ]; then ok "make uninstall leaves the prefix empty"; else ko "make uninstall leaves the prefix empty"; echo "$left" | sed 's/^/    /'; fi

echo "install: $pass passed, $fail failed"
[ $fail -eq 0 ]
