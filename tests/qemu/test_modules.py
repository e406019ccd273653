"""test_modules.py - modules as separate binaries, loaded at boot: through
QEMU -kernel/-initrd (multiboot1) and GRUB module2 (multiboot2); bad modules
beside good ones are rejected by name and cause (a failed init is not run
again) while the good ones load; modules beyond the limit are named."""
import os
import re
import subprocess
import tempfile

from harness import BUILD, EXIT_SUCCESS, boot_ready, expect, module_path

GOOD = ["kv", "checksum", "logfmt", "hello"]  # kv depends on checksum: order is free


def _check_good(g, m):
    log = g.log
    expect(f"{len(GOOD)} of {len(GOOD)} boot modules loaded" in m.group(0), m.group(0))
    expect("checksum: crc32 and fnv1a ready (self test passed)" in log, "checksum init did not run")
    expect("kv: key-value service ready" in log, "kv init did not run")
    expect(re.search(r"modules:\s+kv\s+1\.0\s+size=\d+ base=0x[0-9a-f]+ exports=\d+ deps=checksum", log),
           "module list does not show kv -> checksum")
    expect(g.wait_exit(10) == EXIT_SUCCESS, f"exit status {g.exit_code}")


def test_boot_modules_multiboot1_initrd():
    g, m = boot_ready(cmdline="exit=ready", modules=GOOD)
    _check_good(g, m)


def test_boot_modules_grub_module2():
    g, m = boot_ready(boot="iso", cmdline="exit=ready", modules=GOOD)
    _check_good(g, m)


def test_bad_modules_rejected_good_ones_load():
    tmp = tempfile.mkdtemp()
    corrupt = os.path.join(tmp, "corrupt.o")
    with open(module_path("logfmt"), "rb") as f:
        data = bytearray(f.read())
    data[0x28:0x30] = (0x7FFFFFF0).to_bytes(8, "little")  # e_shoff far past the end
    with open(corrupt, "wb") as f:
        f.write(data)
    undef = os.path.join(BUILD, "tests", "objs", "t_undef.o")
    # kv before checksum (its dependency): refused alone for the unresolved
    # symbol, retried once checksum loaded.  faulty_init's init faults: the
    # batch fails at the corrupt object before any init runs, so its init
    # runs once (alone), is reported with that fault, and is never re-run.
    g, m = boot_ready(cmdline="exit=ready", modules=["kv", "checksum", "faulty_init"],
                      module_files=[corrupt, undef])
    log = g.log
    expect("2 of 5 boot modules loaded" in m.group(0), m.group(0))
    runs = len(re.findall(r"fault: faulty_init 1\.0: page fault at faulty_init_init", log))
    expect(runs == 1, "faulty_init's init ran %d times, want once" % runs)
    expect(re.search(r"boot module 'faulty_init' rejected: .*init failed: EFAULT.*page fault at "
                     r"faulty_init_init", log), "faulty_init not rejected with its init fault")
    expect(re.search(r"boot module 'corrupt' rejected: .*(section|header|offset|truncated|bounds)", log,
                     re.I), "corrupt module not rejected with its cause")
    expect(re.search(r"boot module 't_undef' rejected: .*no_such_function", log),
           "unresolvable module not rejected naming the symbol")
    expect("kv: key-value service ready" in log, "good modules did not load")


def test_init_failed_in_the_batch_is_not_run_again():
    """All objects are good, so the batch gets to the init hooks, and
    faulty_init's fails there: the batch is undone and the others load one
    by one, but faulty_init's init is not run a second time (the swap
    engine names the request item whose init failed)."""
    g, m = boot_ready(cmdline="exit=ready", modules=["kv", "checksum", "faulty_init"])
    log = g.log
    expect("2 of 3 boot modules loaded" in m.group(0), m.group(0))
    runs = len(re.findall(r"fault: faulty_init 1\.0: page fault at faulty_init_init", log))
    expect(runs == 1, "faulty_init's init ran %d times, want once" % runs)
    expect(re.search(r"boot module 'faulty_init' rejected: .*init failed: EFAULT", log),
           "faulty_init not rejected with its init fault")
    expect("kv: key-value service ready" in log, "good modules did not load")


def test_boot_modules_over_the_limit_are_named():
    """More than BOOT_MODULES_MAX (16) boot modules: the first 16 are taken
    (the copies of checksum after the first are refused: EEXIST), and an
    error line names the ones beyond the limit, which are not loaded."""
    tmp = tempfile.mkdtemp()
    files = []
    for i in range(18):
        path = os.path.join(tmp, "pad%d.o" % i)
        with open(module_path("checksum"), "rb") as f, open(path, "wb") as out:
            out.write(f.read())
        files.append(path)
    g, m = boot_ready(cmdline="exit=ready", module_files=files)
    expect("1 of 16 boot modules loaded" in m.group(0), m.group(0))
    expect(re.search(r"ERROR modules: 2 boot module\(s\) NOT loaded: more than 16 given "
                     r"\(the limit, BOOT_MODULES_MAX\): pad16, pad17", g.log),
           "the modules beyond the limit are not named in an error")


SPILL_OBJ = os.path.join(BUILD, "tests", "objs", "t_spill.o")
# readelf -SW: [Nr] Name Type Address Off Size ES Flg Lk Inf Al
_SECTION_RE = re.compile(r"^\s*\[\s*\d+\]\s+(\S+)\s+(\S+)\s+[0-9a-f]+\s+[0-9a-f]+\s+([0-9a-f]+)"
                         r"\s+[0-9a-f]+\s+([A-Za-z]*)\s+\d+\s+\d+\s+\d+$", re.M)


def _spill_sections(path):
    """[(name, bytes)] of the object's state-spill sections, in section order,
    from `readelf -SW`: allocated, writable, not executable, not empty, and
    not .data.rel.ro* (sealed after relocation) - the loader's rule."""
    p = subprocess.run(["readelf", "-SW", path], capture_output=True, text=True, check=True)
    out = []
    for name, _type, size, flags in _SECTION_RE.findall(p.stdout):
        if ("A" in flags and "W" in flags and "X" not in flags and int(size, 16)
                and not name.startswith(".data.rel.ro")):
            out.append((name, int(size, 16)))
    return out


def _t_spill_sections():
    secs = _spill_sections(SPILL_OBJ)
    # t_spill.c holds an initialized and a zeroed int: both kinds must be there.
    expect({n for n, _ in secs} >= {".data", ".bss"}, "t_spill.o spill sections: %s" % secs)
    return secs


def test_spill_policy_reject():
    secs = _t_spill_sections()
    g, m = boot_ready(cmdline="exit=ready spill=reject", modules=["checksum"], module_files=[SPILL_OBJ])
    expect("1 of 2 boot modules loaded" in m.group(0), m.group(0))
    listed = ", ".join("%s (%d bytes)" % s for s in secs)
    want = "boot module 't_spill' rejected: t_spill: state spill in %s; policy is reject" % listed
    expect(want in g.log, "no rejection naming every spill section and its size: want %r" % want)
    expect("loader: loaded t_spill" not in g.log, "t_spill loaded anyway")
    expect(g.wait_exit(10) == EXIT_SUCCESS, f"exit status {g.exit_code}")
    return listed


def test_spill_policy_warn_is_default():
    secs = _t_spill_sections()
    g, m = boot_ready(cmdline="exit=ready", modules=["checksum"], module_files=[SPILL_OBJ])
    expect("2 of 2 boot modules loaded" in m.group(0), m.group(0))
    warned = re.findall(r"WARN  loader: t_spill: state spill: section (\S+) holds (\d+) bytes$", g.log, re.M)
    expect([(n, int(b)) for n, b in warned] == secs,
           "spill warnings %s, want one per section of the object: %s" % (warned, secs))
    others = [n for n in re.findall(r"loader: (\S+): state spill", g.log) if n != "t_spill"]
    expect(not others, "spill warnings for modules without spill: %s" % others)
    expect(g.wait_exit(10) == EXIT_SUCCESS, f"exit status {g.exit_code}")
