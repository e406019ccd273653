#!/bin/sh
# check-exports.sh CC EXPORTS_C CFLAGS... - the build check that the module
# API is what the kernel exports: every function theseus.h declares to a
# module (compiled as a module sees it, with the kit's flags) must be in the
# kernel's export list, kernel/core/exports.c (KEXPORT lines), the one place
# the list comes from.  Prints each missing function with where it is
# declared and exits 1; silent on success.
set -eu
cc=$1
exports=$2
shift 2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '#include "theseus.h"\n' > "$tmp/t.c"
"$cc" "$@" -aux-info "$tmp/aux" -fsyntax-only -o /dev/null "$tmp/t.c"
# Lines look like: /* kernel/include/err.h:57:NC */ extern const char *th_err_name (int);
awk '$1 == "/*" && $3 == "*/" && $4 == "extern" {
	decl = $0; sub(/^[^*]*\*[^*]*\*\/ extern /, "", decl); sub(/ \(.*/, "", decl)
	n = split(decl, w, /[ *]+/); where = $2; sub(/:[A-Z][A-Z]$/, "", where)
	print w[n], where }' "$tmp/aux" | sort -u > "$tmp/declared"
grep -v '#define' "$exports" | grep -o 'KEXPORT([A-Za-z_0-9]*)' | sed 's/KEXPORT(\(.*\))/\1/' |
	sort -u > "$tmp/exported"
if [ ! -s "$tmp/declared" ]; then
	echo "check-exports: found no declarations in theseus.h (gcc -aux-info failed?)" >&2
	exit 1
fi
missing=$(awk 'NR == FNR { ex[$1] = 1; next } !($1 in ex) { print }' "$tmp/exported" "$tmp/declared")
if [ -n "$missing" ]; then
	echo "$missing" | while read -r fn where; do
		echo "theseus.h declares $fn ($where) but $exports does not export it:" \
			"add KEXPORT($fn), or hide it from modules (#ifndef THESEUS_MODULE_VIEW)" >&2
	done
	exit 1
fi
