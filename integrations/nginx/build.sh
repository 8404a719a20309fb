#!/usr/bin/env bash
# Builds ngx_http_livehub_module.so against the nginx the system runs, with
# no nginx rebuild: Debian's nginx-dev ships the configure script, the
# headers and conf_flags (the configure arguments that decide binary
# compatibility, --with-compat among them) in /usr/share/nginx/src.
#
#   integrations/nginx/build.sh OUT_DIR LIVEHUB_LIB [EXTRA_CFLAGS [EXTRA_LDFLAGS]]
#
# Copies that tree into OUT_DIR/nginx-src (configure writes there), runs
# configure with Debian's flags plus --add-dynamic-module=integrations/nginx,
# and `make modules` with -Wall -Wextra -Werror on top of nginx's own CFLAGS
# (added at make time, not to configure's feature tests). The module goes
# to OUT_DIR/ngx_http_livehub_module.so. NGINX_SRC overrides the tree.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
[ $# -ge 2 ] || { echo "usage: $0 OUT_DIR LIVEHUB_LIB [EXTRA_CFLAGS [EXTRA_LDFLAGS]]" >&2; exit 2; }
mkdir -p "$1"
out=$(cd "$1" && pwd)
lib=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
extra_cflags=${3:-}
extra_ldflags=${4:-}
src=${NGINX_SRC:-/usr/share/nginx/src}
nice=${NICE:-nice}

[ -f "$src/conf_flags" ] && [ -x "$src/configure" ] || {
  echo "error: $src has no nginx build tree (apt-get install nginx-dev)" >&2
  exit 1
}
[ -f "$lib" ] || { echo "error: $lib is missing (cargo build)" >&2; exit 1; }
command -v nginx >/dev/null || { echo "error: nginx is not installed (apt-get install nginx)" >&2; exit 1; }

# NGX_CONF_FLAGS=( ... ): the configure arguments of Debian's nginx build.
# shellcheck disable=SC1091
. "$src/conf_flags"
# The compiler and linker options nginx itself was built with.
nginx_v=$(nginx -V 2>&1)
cc_opt=$(sed -n "s/.*--with-cc-opt='\([^']*\)'.*/\1/p" <<<"$nginx_v")
ld_opt=$(sed -n "s/.*--with-ld-opt='\([^']*\)'.*/\1/p" <<<"$nginx_v")

tree=$out/nginx-src
rm -rf "$tree"
mkdir -p "$tree"
cp -a "$src/." "$tree/"
cd "$tree"

export LIVEHUB_INCLUDE=$root/include LIVEHUB_LIB=$lib LIVEHUB_LDFLAGS=$extra_ldflags
if ! ./configure "${NGX_CONF_FLAGS[@]}" --with-cc-opt="$cc_opt" --with-ld-opt="$ld_opt" \
     --add-dynamic-module="$here" >configure.log 2>&1; then
  tail -n 30 configure.log >&2
  echo "error: nginx's configure failed (full log: $tree/configure.log)" >&2
  exit 1
fi

cflags=$(sed -n 's/^CFLAGS = //p' objs/Makefile)
$nice make -f objs/Makefile modules CFLAGS="$cflags -Wall -Wextra -Werror $extra_cflags"
# A new file, renamed over the old one: an nginx running the old module
# keeps its mapping intact (cp over it would rewrite its code in place).
cp objs/ngx_http_livehub_module.so "$out/.ngx_http_livehub_module.so.new"
mv -f "$out/.ngx_http_livehub_module.so.new" "$out/ngx_http_livehub_module.so"
echo "built $out/ngx_http_livehub_module.so (nginx $(nginx -v 2>&1 | sed 's/.*nginx\///'), livehub $lib)"
