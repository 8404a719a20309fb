#!/usr/bin/env bash
# check_header_docs.sh [HEADER]: every exported function of the C header
# (default include/livehub.h) must document, in its doc comment:
#
#   Ownership: ...   who owns what; what is borrowed, kept or consumed
#   Threads: ...     which threads may call it, concurrently or not
#   Returns ...      for a function returning livehub_result: every code,
#                    at least LIVEHUB_OK (or the success codes it names),
#                    LIVEHUB_ERR_PANIC, and LIVEHUB_ERR_NULL when it takes
#                    a handle or an `*_out` pointer; for any other function
#                    (void, a pointer, a string): what it does or returns on
#                    NULL and on failure, so the paragraph must say "NULL".
#
# Each part is a paragraph of the comment that starts with that word
# ("Returns" may be the summary paragraph itself). The comments come from
# the Rust doc comments in src/ffi/: fix them there and run `cargo build`.
#
# Prints one line per problem (HEADER:LINE: function: what is missing) and
# exits 1 if there is any; otherwise prints how many functions it checked.
set -euo pipefail

header=${1:-include/livehub.h}
[ -f "$header" ] || { echo "check_header_docs: $header: no such file" >&2; exit 2; }

awk -v file="$header" '
function strip(line) {
  sub(/^[ \t]*\/\*\*[ \t]?/, "", line)
  sub(/^[ \t]*\*\/[ \t]*$/, "", line)
  sub(/^[ \t]*\*[ \t]?/, "", line)
  return line
}
function problem(msg) {
  printf "%s:%d: %s: %s\n", file, fnline, fname, msg
  problems++
}
# Splits the comment into paragraphs and checks the three parts.
function check(   i, n, para, p, np, owner, threads, ret, retsec, text, params) {
  np = 0; para[0] = ""
  for (i = 1; i <= ncom; i++) {
    if (com[i] ~ /^[ \t]*$/) { if (para[np] != "") { np++; para[np] = "" } continue }
    para[np] = para[np] (para[np] == "" ? "" : " ") com[i]
  }
  if (para[np] != "") np++
  owner = threads = ret = 0; retsec = ""
  for (p = 0; p < np; p++) {
    if (para[p] ~ /^Ownership:/) { owner = 1; if (ret) ret = 2 }
    else if (para[p] ~ /^Threads:/) { threads = 1; if (ret) ret = 2 }
    else if (para[p] ~ /^Returns[ :]/) { ret = 1; retsec = retsec " " para[p] }
    else if (ret == 1) retsec = retsec " " para[p]
  }
  if (ncom == 0) { problem("no doc comment"); return }
  if (!owner) problem("no \"Ownership:\" paragraph")
  if (!threads) problem("no \"Threads:\" paragraph")
  if (!ret) { problem("no \"Returns\" paragraph"); return }
  if (proto ~ /^livehub_result[ \t]/) {
    if (retsec !~ /LIVEHUB_OK/) problem("\"Returns\" does not list LIVEHUB_OK")
    if (retsec !~ /LIVEHUB_ERR_PANIC/) problem("\"Returns\" does not list LIVEHUB_ERR_PANIC")
    params = proto
    sub(/^[^(]*\(/, "", params)
    if ((params ~ /livehub_[a-z]+ \*[a-z_]/ || params ~ /_out[,)]/) && retsec !~ /LIVEHUB_ERR_NULL/)
      problem("\"Returns\" does not list LIVEHUB_ERR_NULL (it takes a handle or an *_out pointer)")
  } else if (retsec !~ /NULL/) {
    problem("\"Returns\" does not say what happens on NULL or failure")
  }
}
BEGIN { incom = 0; ncom = 0; inproto = 0; checked = 0; problems = 0 }
inproto {
  proto = proto " " $0
  if ($0 ~ /;/) { inproto = 0; gsub(/[ \t]+/, " ", proto); check(); checked++; ncom = 0 }
  next
}
/^[ \t]*\/\*\*/ {
  incom = 1; ncom = 0
  line = $0
  if (line ~ /\*\//) { incom = 0; sub(/\*\/.*/, "", line); ncom = 1; com[1] = strip(line); next }
  rest = strip(line); if (rest != "") com[++ncom] = rest
  next
}
incom {
  if ($0 ~ /^[ \t]*\*\/[ \t]*$/) { incom = 0; next }
  com[++ncom] = strip($0)
  next
}
/^[ \t]*$/ { next }
/^[A-Za-z_].*[ *]livehub_[a-z0-9_]+\(/ && $0 !~ /^typedef/ && $0 !~ /^#/ {
  fnline = NR
  fname = $0
  sub(/\(.*/, "", fname); sub(/.*[ *]/, "", fname)
  proto = $0
  if ($0 ~ /;/) { gsub(/[ \t]+/, " ", proto); check(); checked++; ncom = 0 } else inproto = 1
  next
}
{ ncom = 0 }
END {
  if (checked == 0) { printf "%s: no exported function found\n", file; exit 1 }
  if (problems) { printf "header-docs: %d problem(s) in %d functions of %s\n", problems, checked, file; exit 1 }
  printf "header-docs: %d functions of %s document Ownership, Threads and Returns\n", checked, file
}
' "$header"
