"""theseus-gdb.py - GDB support for Theseus-C modules (make debug).

    (gdb) source tools/theseus-gdb.py
    (gdb) theseus-modules [DIR...]

theseus-modules reads the kernel's module list from its memory
(loader_mods_head: struct module's name, version and mem, from the kernel's
debug info, so `file build/theseus.elf` first) and, for each module, finds
its object under DIRs (default: build/modules) by the name and version in
the object's .theseus.module record, preferring NAME.debug beside NAME.o,
and loads its symbols with add-symbol-file at the addresses the loader gave
its sections.  Those are computed from the object as kernel/loader/layout.c
places them: sections in index order within three page-aligned regions
(text, rodata, data), each at its alignment; which region a section goes to
follows classify() in kernel/loader/elf_parse.c.  Run it again after a swap.
"""
import os
import struct

import gdb

SHF_WRITE, SHF_ALLOC, SHF_EXECINSTR = 0x1, 0x2, 0x4
SHT_NOBITS, SHT_INIT_ARRAY, SHT_FINI_ARRAY, SHT_PREINIT_ARRAY = 8, 14, 15, 16
PAGE = 4096


def _sections(data):
    """[(index, name, type, flags, size, align)] of an ELF64 object."""
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3a)
    hdrs = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
    stroff = hdrs[shstrndx][4]
    out = []
    for i, h in enumerate(hdrs):
        end = data.index(b"\0", stroff + h[0])
        out.append((i, data[stroff + h[0]:end].decode(), h[1], h[2], h[5], h[8], h[4]))
    return out


def _record(data, secs):
    """(name, version) from the object's .theseus.module record, or None."""
    for _, name, typ, _, size, _, off in secs:
        if name == ".theseus.module" and typ != SHT_NOBITS and size >= 56:
            mname = data[off + 8:off + 40].split(b"\0")[0].decode()
            mver = data[off + 40:off + 56].split(b"\0")[0].decode()
            return mname, mver
    return None


def _region(name, typ, flags):
    """0 text, 1 rodata, 2 data, None: not loaded (elf_parse.c classify())."""
    if not flags & SHF_ALLOC:
        return None
    if flags & SHF_EXECINSTR:
        return 0
    if (not flags & SHF_WRITE or name.startswith(".data.rel.ro") or name.startswith(".theseus.")
            or typ in (SHT_INIT_ARRAY, SHT_FINI_ARRAY, SHT_PREINIT_ARRAY)):
        return 1
    return 2


def _align(x, a):
    return (x + a - 1) & ~(a - 1) if a > 1 else x


def section_addresses(data, base):
    """{section name: load address} for an object loaded at base."""
    secs = _sections(data)
    size = [0, 0, 0]
    where = []
    for i, name, typ, flags, sz, align, _ in secs[1:]:
        r = _region(name, typ, flags)
        if r is None:
            continue
        size[r] = _align(size[r], align)
        where.append((name, r, size[r]))
        size[r] += sz
    start = [0, _align(size[0], PAGE)]
    start.append(start[1] + _align(size[1], PAGE))
    return {name: base + start[r] + off for name, r, off in where}


def _candidates(dirs):
    for d in dirs:
        if not os.path.isdir(d):
            continue
        for f in sorted(os.listdir(d)):
            if f.endswith(".o"):
                o = os.path.join(d, f)
                dbg = o[:-2] + ".debug"
                yield o, dbg if os.path.exists(dbg) else o


def _modules():
    m = gdb.parse_and_eval("loader_mods_head")
    while int(m) != 0:
        yield m["name"].string(), m["version"].string(), int(m["mem"])
        m = m["next"]


class TheseusModules(gdb.Command):
    """Load the symbols of every module the kernel has loaded: theseus-modules [DIR...]."""

    def __init__(self):
        super().__init__("theseus-modules", gdb.COMMAND_FILES)

    def invoke(self, arg, from_tty):
        confirm = gdb.parameter("confirm")
        gdb.execute("set confirm off")
        try:
            self._load(gdb.string_to_argv(arg) or ["build/modules"])
        finally:
            gdb.execute("set confirm %s" % ("on" if confirm else "off"))

    def _load(self, dirs):
        objects = {}
        for obj, sym in _candidates(dirs):
            with open(obj, "rb") as f:
                data = f.read()
            try:
                rec = _record(data, _sections(data))
            except (struct.error, ValueError):
                continue
            if rec and rec not in objects:
                objects[rec] = sym
        for name, version, base in _modules():
            path = objects.get((name, version))
            if not path:
                print("theseus-modules: %s %s at %#x: no object in %s" % (name, version, base,
                                                                         " ".join(dirs)))
                continue
            with open(path, "rb") as f:
                addrs = section_addresses(f.read(), base)
            text = addrs.pop(".text", None)
            cmd = "add-symbol-file %s" % path
            if text is not None:
                cmd += " %#x" % text
            cmd += "".join(" -s %s %#x" % (s, a) for s, a in addrs.items())
            gdb.execute(cmd, to_string=True)
            print("theseus-modules: %s %s at %#x: %s" % (name, version, base, path))


TheseusModules()
