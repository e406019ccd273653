#!/usr/bin/env bash
# kit_exports_check.sh - tests the build check modules/kit/check-exports.sh:
# it passes on the tree (every function theseus.h declares to modules is in
# kernel/core/exports.c), fails naming the function and its header when one
# KEXPORT line is removed, and fails when a kernel-only declaration loses
# its THESEUS_MODULE_VIEW guard.  Prints PASS/FAIL lines and a RESULT line.
#
# Usage: tests/unit/kit_exports_check.sh TOP CC CFLAGS...   (kit.mk passes the kit's flags)
set -u
top=$1 cc=$2
shift 2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
ok() { echo "PASS $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; echo "  $2"; fail=$((fail + 1)); }
run() {  # run EXPORTS_C [extra -I dirs first]: output of the check, status in $rc
	local ex=$1
	shift
	out=$(sh "$top/modules/kit/check-exports.sh" "$cc" "$ex" "$@" "${flags[@]}" 2>&1)
	rc=$?
}
flags=("$@" -I"$top/kernel/include" -I"$top/statedb")

run "$top/kernel/core/exports.c"
[ $rc -eq 0 ] && [ -z "$out" ] && ok tree_passes || bad tree_passes "exit $rc: $out"

grep -v 'KEXPORT(statedb_inspect)' "$top/kernel/core/exports.c" > "$T/exports.c"
run "$T/exports.c"
case "$out" in
*"theseus.h declares statedb_inspect ("*"statedb/statedb.h:"*"does not export it"*)
	[ $rc -ne 0 ] && ok missing_export_named || bad missing_export_named "exit $rc" ;;
*) bad missing_export_named "exit $rc: $out" ;;
esac

mkdir -p "$T/inc"
sed 's/^#ifndef THESEUS_MODULE_VIEW.*/#if 1/' "$top/statedb/statedb.h" > "$T/inc/statedb.h"
run "$top/kernel/core/exports.c" -I"$T/inc"
case "$out" in
*"theseus.h declares statedb_stats"*) [ $rc -ne 0 ] && ok unguarded_kernel_only || bad unguarded_kernel_only "exit $rc" ;;
*) bad unguarded_kernel_only "exit $rc: $out" ;;
esac

echo "RESULT kit_exports_check: $pass passed, $fail failed"
[ $fail -eq 0 ]
