#!/usr/bin/env python3
"""loader_regressions.py - regression inputs for the loader fuzzer, made from a
real module object at build time (build/fuzz/loader_elf.corpus/), so every
fuzz smoke run replays them first and a sanitizer report on them fails it.

  misaligned_record.o  .theseus.module with sh_addralign 1 (UBSan once saw a
                       misaligned read of the record: it must be refused)
  none_far_offset.o    an R_X86_64_NONE relocation whose offset is far outside
                       its section (the address was once computed before NONE
                       was skipped: pointer overflow under UBSan)

Usage: loader_regressions.py MODULE.o OUTDIR
"""
import struct
import sys


def sections(data):
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3a)
    strtab_off, = struct.unpack_from("<Q", data, shoff + shstrndx * shentsize + 0x18)
    for i in range(shnum):
        hdr = shoff + i * shentsize
        name_off, sh_type = struct.unpack_from("<II", data, hdr)
        end = data.index(b"\0", strtab_off + name_off)
        yield i, data[strtab_off + name_off:end].decode(), sh_type, hdr


def main():
    src, out = sys.argv[1], sys.argv[2]
    data = open(src, "rb").read()
    secs = list(sections(data))

    rec = next(hdr for _, name, _, hdr in secs if name == ".theseus.module")
    bad = bytearray(data)
    struct.pack_into("<Q", bad, rec + 0x30, 1)  # sh_addralign
    open(f"{out}/misaligned_record.o", "wb").write(bad)

    rela = next(hdr for _, name, t, hdr in secs if t == 4 and name == ".rela.text")
    off, = struct.unpack_from("<Q", data, rela + 0x18)
    bad = bytearray(data)
    info, = struct.unpack_from("<Q", bad, off + 8)
    struct.pack_into("<QQ", bad, off, 0xFFFFFFFFFFFF0000, info & ~0xFFFFFFFF)  # type NONE
    open(f"{out}/none_far_offset.o", "wb").write(bad)


if __name__ == "__main__":
    main()
