"""test_modules.py - modules as separate binaries, loaded at boot: through
QEMU -kernel/-initrd (multiboot1) and GRUB module2 (multiboot2); bad modules
beside good ones are rejected by name and cause while the good ones load."""
import os
import re
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
    g, m = boot_ready(cmdline="exit=ready", modules=["checksum", "kv"],
                      module_files=[corrupt, undef])
    log = g.log
    expect("2 of 4 boot modules loaded" in m.group(0), m.group(0))
    expect(re.search(r"boot module 'corrupt' rejected: .*(section|header|offset|truncated|bounds)", log,
                     re.I), "corrupt module not rejected with its cause")
    expect(re.search(r"boot module 't_undef' rejected: .*no_such_function", log),
           "unresolvable module not rejected naming the symbol")
    expect("kv: key-value service ready" in log, "good modules did not load")


def test_spill_policy_reject():
    spill = os.path.join(BUILD, "tests", "objs", "t_spill.o")
    g, m = boot_ready(cmdline="exit=ready spill=reject", modules=["checksum"], module_files=[spill])
    expect("1 of 2 boot modules loaded" in m.group(0), m.group(0))
    expect(re.search(r"boot module 't_spill' rejected: .*(spill|\.data|\.bss)", g.log), "no spill message")


def test_spill_policy_warn_is_default():
    spill = os.path.join(BUILD, "tests", "objs", "t_spill.o")
    g, m = boot_ready(cmdline="exit=ready", modules=["checksum"], module_files=[spill])
    expect("2 of 2 boot modules loaded" in m.group(0), m.group(0))
    expect(re.search(r"WARN .*spill", g.log), "no spill warning")
