#!/usr/bin/env bash
# Every binary we ship is hardened: PIE executables, full RELRO (BIND_NOW),
# the stack protector, and FORTIFY in optimised builds.
# Usage: check_hardening.sh FORTIFY(0|1) FILE...
set -u
want_fortify=$1; shift
fail=0
bad() { echo "FAIL $1: $2"; fail=1; }
for f in "$@"; do
  hdr=$(readelf -h "$f") dyn=$(readelf -d "$f") seg=$(readelf -lW "$f") syms=$(readelf -sW --dyn-syms "$f")
  grep -q 'Type:[[:space:]]*DYN' <<<"$hdr" || bad "$f" "not position independent (PIE)"
  grep -q 'GNU_RELRO' <<<"$seg" || bad "$f" "no RELRO segment"
  grep -Eq '\(BIND_NOW\)|\(FLAGS\).*NOW' <<<"$dyn" || bad "$f" "no BIND_NOW (RELRO is partial)"
  grep -q '__stack_chk_fail' <<<"$syms" || bad "$f" "no stack protector"
  if [ "$want_fortify" = 1 ] && ! grep -Eq '__[a-z_]+_chk@' <<<"$syms"; then
    bad "$f" "no FORTIFY_SOURCE checked functions"
  fi
  [ $fail = 0 ] && echo "ok $f"
done
echo "hardening: $# files, $([ $fail = 0 ] && echo 0 || echo some) failures"
exit $fail
