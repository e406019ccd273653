#!/bin/sh
# check-image.sh ELF [PASS1_ELF] - fail the build unless the kernel image can
# be booted by every loader we support:
#  - the multiboot1 a.out kludge loads the file flat, so every PT_LOAD with
#    file data must have the same p_offset - p_paddr, and only the last may
#    have memsz > filesz (its tail is the zeroed .bss);
#  - the multiboot1 header must sit in the first 8 KiB, multiboot2 in 32 KiB
#    (grub-file checks both when it is installed);
#  - text symbols must not have moved between the two link passes.
set -eu
elf=$1
fail() { echo "check-image: $elf: $*" >&2; exit 1; }
readelf -lW "$elf" | awk '$1 == "LOAD" { print $2, $4, $5, $6 }' > "$elf.loads"
delta=""; n=0; last=$(wc -l < "$elf.loads")
while read -r off paddr filesz memsz; do
	n=$((n + 1))
	[ "$((filesz))" -eq 0 ] && continue
	d=$((off - paddr))
	[ -z "$delta" ] && delta=$d
	[ "$d" -eq "$delta" ] || fail "PT_LOAD $n has p_offset-p_paddr $d, not $delta: segments are not flat (multiboot1 a.out kludge would load garbage)"
	if [ "$n" -lt "$last" ] && [ "$((memsz))" -ne "$((filesz))" ]; then
		fail "PT_LOAD $n has memsz > filesz but is not the last segment"
	fi
done < "$elf.loads"
rm -f "$elf.loads"
[ -n "$delta" ] || fail "no loadable segments"
if command -v grub-file >/dev/null 2>&1; then
	grub-file --is-x86-multiboot "$elf" || fail "grub-file: not multiboot1"
	grub-file --is-x86-multiboot2 "$elf" || fail "grub-file: not multiboot2"
fi
if [ $# -ge 2 ]; then
	a=$(nm -n --defined-only "$1" | awk '$2 ~ /^[Tt]$/' | md5sum)
	b=$(nm -n --defined-only "$2" | awk '$2 ~ /^[Tt]$/' | md5sum)
	[ "$a" = "$b" ] || fail "text symbols moved between link passes"
fi
exit 0
