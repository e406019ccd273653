"""test_boot.py - the boot foundation: both boot paths reach `ready`, the
fault report and W^X work, bad boot input is reported, not fatal."""
import re
import subprocess

from harness import (EXIT_FAILURE, EXIT_FAULT, EXIT_SUCCESS, KERNEL, TEST_KERNEL, Guest, boot_ready,
                     expect, module_path)


def test_image_has_both_multiboot_headers():
    for flag in ("--is-x86-multiboot", "--is-x86-multiboot2"):
        r = subprocess.run(["grub-file", flag, KERNEL])
        expect(r.returncode == 0, f"grub-file {flag} failed")


def test_multiboot1_kernel_reaches_ready():
    g, m = boot_ready(cmdline="exit=ready hz=250", nic="e1000")
    log = g.log
    expect("(multiboot1)" in log, "not booted via multiboot1")
    expect(re.search(r"command line 'exit=ready hz=250'", log), "image path not stripped")
    expect(re.search(r"pci: 00:0[0-9a-f]\.0 8086:100e ethernet", log), "e1000 not enumerated")
    # The firmware's BARs are sized only for the device a driver binds, and
    # before the driver maps its registers (128 KiB on the 82540EM).
    sized = re.search(r"pci: 00:0[0-9a-f]\.0 BARs sized: bar0 mem 0x[0-9a-f]+/0x20000 ", log)
    expect(sized, "the e1000's BARs not sized when its driver bound")
    expect(log.index(sized.group(0)) < log.index("bound to driver module e1000"),
           "BARs sized after the driver bound")
    expect(len(re.findall(r"BARs sized", log)) == 1, "a device no driver uses was sized")
    expect(re.search(r"pci: 00:0[0-9a-f]\.0 1234:1111 display irq \d+ bar0 mem 0x[0-9a-f]+ ", log),
           "the display's firmware BARs not listed (unsized)")
    expect("tick 250 Hz" in log, "hz= not applied")
    expect(re.search(r"mem: .* available", log), "memory map not printed")
    expect(g.wait_exit(10) == EXIT_SUCCESS, f"exit status {g.exit_code}, want {EXIT_SUCCESS}")


def test_clock_calibrated_and_refined():
    """The TSC rate from two 1 ms PIT windows, refined later over the PIT
    count that ran meanwhile (no jump: the log's timestamps keep growing);
    on a host so busy that the first rate could not count the span, over
    two fresh 10 ms windows (long_boot_refines_over_fresh_windows)."""
    g, m = boot_ready(cmdline="exit=ready")
    first = re.search(r"time: TSC (\d+\.\d+) MHz \(1 ms PIT windows\)", g.log)
    refined = re.search(r"time: TSC (\d+\.\d+) MHz over (\d+ ms|two 10 ms windows) of PIT "
                        r"\(([+-]\d+) ppm", g.log)
    expect(first and refined, "no calibration or refinement line")
    expect(abs(int(refined.group(3))) < 5000, "refinement moved the rate by %s ppm" % refined.group(3))
    stamps = [float(x) for x in re.findall(r"^\[\s*(\d+\.\d+)\]", g.log, re.M)]
    expect(all(b >= a for a, b in zip(stamps, stamps[1:])), "log timestamps went backwards")
    expect(g.wait_exit(10) == EXIT_SUCCESS, f"exit status {g.exit_code}")


def test_long_boot_refines_over_fresh_windows():
    """A boot too long for the rough rate to count the PIT's wraps (5 s
    before the refinement, past the 80 wraps it trusts): the rate is
    refined over two fresh 10 ms windows instead of kept at the 1 ms
    windows' precision, and the clock does not jump."""
    g, m = boot_ready(cmdline="bootdelay_ms=5000 exit=ready", kernel=TEST_KERNEL, timeout=120)
    refined = re.search(r"time: TSC (\d+\.\d+) MHz over two 10 ms windows of PIT \(([+-]\d+) ppm "
                        r"from the 1 ms windows; the (\d+) ms since could not be counted", g.log)
    expect(refined, "no refinement over fresh windows")
    expect(abs(int(refined.group(2))) < 5000, "refinement moved the rate by %s ppm" % refined.group(2))
    expect(int(refined.group(3)) >= 5000, "the span since calibration: %s ms" % refined.group(3))
    expect("keeping the first rate" not in g.log, "the rough rate kept")
    stamps = [float(x) for x in re.findall(r"^\[\s*(\d+\.\d+)\]", g.log, re.M)]
    expect(all(b >= a for a, b in zip(stamps, stamps[1:])), "log timestamps went backwards")
    expect(g.wait_exit(10) == EXIT_SUCCESS, f"exit status {g.exit_code}")


def test_machine_without_pit_boots():
    """No PIT (QEMU pit=off: channel 2's output reads high at once): the
    calibration is refused, not believed; the TSC is calibrated against the
    ACPI PM timer the FADT names (and refined over it), so the kernel's
    clock keeps time with the host's; the boot CPU ticks on its local APIC
    timer instead (the profiler, which samples on the tick, sees it); the
    kernel serves."""
    import json
    import tempfile
    import time
    import endpoint_util as eu
    import harness
    key_file = tempfile.mkdtemp(prefix="theseus-nopit-") + "/key"
    key_hex = eu.keygen(key_file)
    port = harness.free_port()
    g, m = boot_ready(cmdline="key=%s hz=200 exit=never" % key_hex, nic="e1000",
                      hostfwd=[("udp", port, 7700)], extra_args=["-machine", "pc,pit=off"])
    try:
        expect(re.search(r"PIT calibration failed \(no PIT\?\); calibrated against the ACPI PM "
                         r"timer \(port 0x608, 24 bits\)", g.log), "no PM timer calibration")
        expect(re.search(r"time: TSC \d+\.\d+ MHz \(ACPI PM timer\)", g.log), "rate source not named")
        # (over two fresh 10 ms windows when a busy host made the boot too
        # long for the first rate: long_boot_refines_over_fresh_windows)
        expect(re.search(r"time: TSC \d+\.\d+ MHz over (\d+ ms|two 10 ms windows) of ACPI PM "
                         r"timer", g.log), "no refinement over the PM timer")
        expect("no PIT: the boot CPU ticks on its local APIC timer" in g.log,
               "no local APIC tick on the boot CPU")
        expect("no NMI watchdog: no PIT (its tick is the NMI) and one CPU" in g.log,
               "one CPU without a PIT: the NMI watchdog's absence not said")

        def uptime():
            t0 = time.monotonic()
            p = eu.ctl(port, "--json", "info", key_file=key_file, check_rc=0)
            rep = json.loads(p.stdout)
            rep = rep[0] if isinstance(rep, list) else rep
            return (t0 + time.monotonic()) / 2, rep["uptime_ms"] / 1000
        # The kernel's clock against the host's over two seconds: a TSC rate
        # guessed (1 GHz here, where the CPU is ~2 GHz) runs it twice as fast.
        h0, u0 = uptime()
        time.sleep(2)
        h1, u1 = uptime()
        ratio = (u1 - u0) / (h1 - h0)
        expect(0.9 < ratio < 1.1, "the kernel's clock ran %.3fx the host's" % ratio)
        p = eu.ctl(port, "--json", "profile", "1", key_file=key_file, check_rc=0)
        rep = json.loads(p.stdout)
        rep = rep[0] if isinstance(rep, list) else rep
        expect(rep["samples"] > 20, "no ticks on the boot CPU: %r" % p.stdout[:300])
        expect("*** FAULT" not in g.log, "a kernel fault report")
    finally:
        g.kill()


def test_machine_without_pit_or_acpi_boots():
    """No PIT and acpi=off: no PM timer either; the rate the CPU states, or
    a guess with a warning that says so; the boot still reaches ready."""
    g, m = boot_ready(cmdline="acpi=off exit=ready", extra_args=["-machine", "pc,pit=off"])
    expect(re.search(r"PIT calibration failed \(no PIT\?\)(, no ACPI PM timer, and the CPU states "
                     r"no TSC rate; assuming 1 GHz| and no ACPI PM timer; using the TSC rate the "
                     r"CPU states)", g.log), "no fallback warning")
    expect(re.search(r"time: TSC \d+\.\d+ MHz \((CPUID|assumed)\)", g.log), "rate source not named")
    expect(g.wait_exit(10) == EXIT_SUCCESS, f"exit status {g.exit_code}")


def test_grub_iso_multiboot2_reaches_ready():
    g, m = boot_ready(boot="iso", cmdline="exit=ready loglevel=debug")
    expect("(multiboot2)" in g.log and "GRUB" in g.log, "not booted by GRUB multiboot2")
    expect("cmdline 'exit=ready loglevel=debug'" in m.group(0), "GRUB command line wrong")
    expect(g.wait_exit(10) == EXIT_SUCCESS, f"exit status {g.exit_code}")


def test_grub_iso_passes_the_command_line_as_written():
    """tools/mkiso quotes each word for GRUB's parser: '$', ';' and '#'
    reach the kernel as written (GRUB had expanded $b to nothing and ended
    the command at ';', so the kernel saw 'swapsrc=a')."""
    g, m = boot_ready(boot="iso", cmdline="exit=ready swapsrc=a$b;c#d")
    expect("cmdline 'exit=ready swapsrc=a$b;c#d'" in m.group(0), m.group(0))
    expect(g.wait_exit(10) == EXIT_SUCCESS, f"exit status {g.exit_code}")


def test_make_iso_follows_its_parameters():
    """build/theseus.iso is rebuilt when KERNEL_CMDLINE or ISO_MODULES
    change (`make run KERNEL_CMDLINE=...` after a plain `make` had booted
    the old command line), and only then; the ISO boots what was asked."""
    import os
    import tempfile
    from harness import ACCEL, TOP
    env = {k: v for k, v in os.environ.items()
           if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "MAKE_TERMOUT", "MAKE_TERMERR")}
    olds = ["-obuild/theseus.elf"] + ["-obuild/modules/" + f for f in
                                      os.listdir(os.path.join(TOP, "build", "modules")) if f.endswith(".o")]

    def make_iso(*variables):
        p = subprocess.run(["make", "--no-print-directory"] + olds + ["build/theseus.iso"] + list(variables),
                           cwd=TOP, capture_output=True, text=True, timeout=300, env=env)
        expect(p.returncode == 0, "make build/theseus.iso failed: " + p.stdout[-500:] + p.stderr[-500:])
        return "tools/mkiso" in p.stdout

    try:
        make_iso()
        expect(not make_iso(), "the ISO rebuilt with nothing changed")
        asked = ("KERNEL_CMDLINE=exit=ready hz=250", "ISO_MODULES=checksum logfmt")
        expect(make_iso(*asked), "the ISO not rebuilt for a new KERNEL_CMDLINE and ISO_MODULES")
        expect(not make_iso(*asked), "the ISO rebuilt with the same parameters")
        log = os.path.join(tempfile.mkdtemp(prefix="theseus-test-"), "serial.log")
        accel = ["-accel", "kvm", "-cpu", "host,-arch-capabilities"] if ACCEL == "kvm" else ["-accel", "tcg"]
        r = subprocess.run(["qemu-system-x86_64", "-m", "256M", "-display", "none", "-no-reboot",
                            "-serial", "file:" + log, "-monitor", "none", "-nic", "none",
                            "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-boot", "d",
                            "-cdrom", os.path.join(TOP, "build", "theseus.iso")] + accel,
                           capture_output=True, timeout=120)
        out = open(log, errors="replace").read()
        expect(r.returncode == EXIT_SUCCESS, "exit status %d: %s" % (r.returncode, out[-500:]))
        expect("2 of 2 boot modules loaded" in out and "cmdline 'exit=ready hz=250'" in out,
               "the ISO did not boot what was asked: " + out[-300:])
    finally:
        expect(make_iso(), "the ISO not rebuilt back to the defaults")


def _fault(selftest, pattern):
    g = Guest(cmdline=f"selftest={selftest}", kernel=TEST_KERNEL).start()
    g.wait_for(r"\*\*\* FAULT: " + pattern, 30)
    # The walk names the self-test, the test image's boot hook, then kmain.
    g.wait_for(r"backtrace:\n(\s+#\d+ .*\n)*?\s+#\d+ .*boot_hook_before_ready\+0x.*\n"
               r"\s+#\d+ .*kmain\+0x", 10)
    code = g.wait_exit(10)
    expect(code == EXIT_FAULT, f"exit status {code}, want {EXIT_FAULT} (fault)")
    return g


def test_pagefault_report():
    g = _fault("pagefault", r"page fault \(vector 14")
    expect(re.search(r"CR2 000007ffffff?f000", g.log), "CR2 not reported")
    expect(re.search(r"RIP [0-9a-f]{16}\s+selftest_run\+0x", g.log), "RIP not symbolized")
    expect("RAX" in g.log and "R15" in g.log, "registers missing")


def test_write_to_kernel_text_faults():
    g = _fault("wx", r"page fault \(vector 14, error 0x3\)")
    expect("protection violation, write" in g.log, "not a write protection fault")


def test_execute_data_faults():
    g = _fault("nx", r"page fault \(vector 14, error 0x11\)")
    expect("instruction fetch" in g.log, "not an instruction fetch fault")


def test_stack_overflow_hits_guard_page():
    # Each wait is for the report's next line, from the fault on, with a deadline.
    g = Guest(cmdline="selftest=stack", kernel=TEST_KERNEL).start()
    f = g.wait_for(r"\*\*\* FAULT: double fault \(vector 8, error 0\)$", 30)
    g.wait_for(r"^  kernel stack overflow: hit the guard page of the boot stack$", 10, start=f.end())
    g.wait_for(r"backtrace:\n\s+#0 +[0-9a-f]{16} +recurse\+0x", 10, start=f.end())
    expect(g.wait_exit(10) == EXIT_FAULT, f"exit status {g.exit_code}, want {EXIT_FAULT}")


def test_heap_misuse_is_caught():
    g = Guest(cmdline="selftest=heap", kernel=TEST_KERNEL).start()
    g.wait_for(r"double free", 30)
    g.wait_for(r"heap overflow", 10)
    expect(g.wait_exit(10) == EXIT_SUCCESS, f"exit status {g.exit_code}")


K64 = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"


def test_readme_lists_every_kernel_option():
    """The README's option list and the kernel's table (kernel/boot/options.c,
    which the boot check and mknetboot use) name the same options."""
    import os
    from harness import TOP
    readme = open(os.path.join(TOP, "README")).read()
    start = readme.index("Options:\n", readme.index("The command line may start with the image path"))
    block = readme[start:readme.index("\nNothing on the command line is ignored in silence", start)]
    listed = set()
    for column in re.findall(r"(?m)^    (\S.*?)(?:\s{2,}|$)", block):   # "ip=A.B.C.D/P gw=A.B.C.D"
        first = re.match(r"[a-z_]+", column)
        listed |= {first.group(0)} if first else set()
        listed |= set(re.findall(r"\s([a-z_]+)=", column))
    table = set(re.findall(r'\{ "([a-z_]+)",', open(os.path.join(TOP, "kernel", "boot", "options.c")).read()))
    expect(listed == table, "README lists %s but not %s" % (sorted(listed - table), sorted(table - listed)))


def test_command_line_mistakes_are_named():
    """Words the kernel would otherwise pass over in silence are named on
    the console (kernel/boot/options.c): a mistyped option (by its key
    only, and its value hidden in the command line shown: a mistyped key=
    shows no secret), a repeated one, a value
    outside an option's list, a value on a bare flag; the kernel still
    boots with the defaults and the last of repeated options."""
    g, m = boot_ready(cmdline="exit=ready loglevel=bogus stagging=8M nmiwatchdog=of noapic=0 "
                              "hz=200 hz=250 kye=%s staging ip=10.0.2.16/24 nicirq=msix" % K64,
                      nic="e1000")
    for want in ("command line: loglevel=bogus: the value must be debug, info, warn or error; ignored",
                 "command line: unknown option 'stagging' ignored",
                 "command line: nmiwatchdog=of: the value must be off; ignored",
                 "command line: noapic=0: noapic takes no value; taken as noapic",
                 "command line: hz given more than once: the last one counts",
                 "command line: unknown option 'kye' ignored",
                 "control: staging needs a size (staging=16M); using 16M",
                 "ERROR net: nicirq=msix: expected auto, msi, line or poll; using auto"):
        expect(want in g.log, "not named: " + want)
    doubled = re.search(r"(?m)^\[[ .\d]+\] \w+ +(\w+): \1: ", g.log)
    expect(not doubled, "a doubled component in a log line: " + (doubled.group(0) if doubled else ""))
    # a bad network option costs only itself: the static address stays
    expect("ip 10.0.2.16 (e1000)" in m.group(0), "the static address lost: " + m.group(0)[:60])
    # the log (served without a key when none is set, as here) never shows it
    expect(K64 not in g.log and K64[:16] not in g.log, "the mistyped key shown")
    expect("kye=<hidden>" in m.group(0), "the mistyped key's value not hidden")
    expect("tick 250 Hz" in g.log, "the last hz= not applied")
    expect(g.wait_exit(10) == EXIT_SUCCESS, f"exit status {g.exit_code}")
    g, m = boot_ready(cmdline="exit=ready loglevel=info hz=100 noapic")
    expect("command line:" not in g.log, "a well-formed command line drew a warning")
    expect(g.wait_exit(10) == EXIT_SUCCESS, f"exit status {g.exit_code}")


def test_ready_line_with_a_long_command_line_is_a_line():
    """The ready line repeats the command line; past the 255 characters of
    a console line it is cut, ending in "...", and still ends its line (a
    tool waits for the newline)."""
    cmd = "exit=ready " + " ".join(["hz=100"] * 30)
    g, m = boot_ready(cmdline=cmd)
    expect(m.group(0).endswith("..."), "the cut ready line not marked: " + m.group(0)[-40:])
    expect(g.wait_exit(10) == EXIT_SUCCESS, f"exit status {g.exit_code}")


def test_command_line_is_shown_on_one_line():
    """A newline or tab in the command line (QEMU -append, a grub.cfg) is
    shown as a space: the ready line stays one line (a newline had split
    it, so a tool reading it got half), and control bytes are not sent to
    the terminal."""
    g, m = boot_ready(cmdline="exit=ready\nhz=250\tloglevel=info \x1b[2J")
    expect(m.group(0).endswith("cmdline 'exit=ready hz=250 loglevel=info ?[2J'"),
           "the ready line: " + m.group(0)[-80:])
    expect("command line 'exit=ready hz=250 loglevel=info ?[2J'" in g.log, "the boot line split")
    expect("\x1b" not in g.log and "tick 250 Hz" in g.log, "a control byte shown, or hz= lost")
    expect(g.wait_exit(10) == EXIT_SUCCESS, f"exit status {g.exit_code}")


def test_endpoint_port_taken_falls_back_to_the_default():
    """port= naming a port a UDP service already holds (7, the echo
    module's) had left the machine with no control endpoint at all; the
    kernel says so and listens on the default 7700, where theseusctl
    reaches it."""
    import os
    from harness import TOP, free_port
    hp = free_port()
    g, m = boot_ready(cmdline="port=7", nic="e1000", hostfwd=[("udp", hp, 7700)])
    try:
        expect("ERROR control: port=7: UDP port 7 is in use by another service; using 7700" in g.log,
               "the taken port not named")
        r = subprocess.run([os.path.join(TOP, "build", "theseusctl"), "-H", "127.0.0.1:%d" % hp, "ping"],
                           capture_output=True, text=True, timeout=60)
        expect(r.returncode == 0, "no endpoint on 7700: " + r.stdout + r.stderr)
    finally:
        g.kill()


def test_empty_sched_option_keeps_rr():
    """sched= with an empty value is a missing policy name: the default rr
    is loaded and runs (it had looked for a module sched_ and fallen back
    to the built-in fifo policy)."""
    g, m = boot_ready(cmdline="exit=ready sched=", modules=["sched_rr", "sched_prio"])
    expect("sched= needs a policy name (rr, prio); using rr" in g.log, "the empty sched= not named")
    expect("tasks on: policy rr" in g.log, "rr not running: " + g.log[-400:])
    expect(g.wait_exit(10) == EXIT_SUCCESS, f"exit status {g.exit_code}")


def test_swap_option_past_its_limits_is_named():
    """swap= with more modules than one swap takes, or longer than its
    buffer, is refused by name (it had silently dropped the modules past
    the 8th, or the whole option), and the kernel boots on."""
    g, m = boot_ready(cmdline="exit=ready swap=" + ",".join("m%d:s%d" % (i, i) for i in range(9)))
    expect("ERROR swap: swap= names 9 modules, more than 8 in one swap (SWAP_MAX_ITEMS): no boot swap"
           in g.log, "too many swap= modules not named")
    expect(g.wait_exit(10) == EXIT_SUCCESS, f"exit status {g.exit_code}")
    g, m = boot_ready(cmdline="exit=ready swap=hello:" + "x" * 300)
    expect("ERROR swap: swap= is longer than 255 characters: no boot swap" in g.log,
           "an overlong swap= not named")
    expect(g.wait_exit(10) == EXIT_SUCCESS, f"exit status {g.exit_code}")


def test_overlong_command_line_is_cut_at_a_word():
    """A command line past its 1023 bytes is not cut in the middle of a
    value (ip=10.0.2.123/24 read as ip=10.0.2.12): the cut word is dropped
    and named by its key, and the kernel boots on (DHCP here)."""
    head = "exit=ready nic=e1000 x="
    # QEMU -kernel passes "KERNEL cmdline": the cut falls inside the ip= value
    pad = 1023 - len(KERNEL + " ") - len(head) - len(" ip=10.0.2.12")
    g, m = boot_ready(cmdline=head + "p" * pad + " ip=10.0.2.123/24", nic="e1000")
    expect(re.search(r"WARN  boot: command line over 1023 bytes: the words from 'ip\.\.\.' "
                     r"\(byte \d+\) on ignored", g.log), "the cut not named")
    expect("ip 10.0.2.12 " not in m.group(0), "the cut value was used: " + m.group(0)[:60])
    expect(re.search(r"net: address 10\.0\.2\.15 .*\(dhcp\)", g.log), "no DHCP address")
    expect(g.wait_exit(10) == EXIT_SUCCESS, f"exit status {g.exit_code}")


def test_unknown_selftest_fails_cleanly():
    g = Guest(cmdline="selftest=bogus", kernel=TEST_KERNEL).start()
    g.wait_for(r"unknown selftest 'bogus'", 30)
    expect(g.wait_exit(10) == EXIT_FAILURE, f"exit status {g.exit_code}")


def test_absurd_boot_module_is_skipped():
    # A boot module bigger than the limit is skipped with a clear message.
    import os
    import tempfile
    big = os.path.join(tempfile.mkdtemp(), "huge.o")
    with open(big, "wb") as f:
        f.truncate(65 << 20)
    g, m = boot_ready(cmdline="exit=ready", module_files=[big], memory="512M")
    expect(re.search(r"boot module '.*huge.o.*' skipped: absurd size", g.log), "no message")
    expect("0 of 0 boot modules" in m.group(0), "module not skipped")


def test_empty_and_corrupt_boot_modules_are_named():
    """An empty boot module file (a failed copy) and truncated or junk ELF
    files are each refused by name with what is wrong; the good modules
    load and the kernel serves."""
    import os
    import tempfile
    d = tempfile.mkdtemp()
    files = {"empty.o": b"", "junk.o": b"garbage"}
    with open(module_path("hello"), "rb") as f:
        files["hello_cut.o"] = f.read()[:3000]
    for name, data in files.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
    g, m = boot_ready(cmdline="exit=ready", modules=["checksum", "logfmt"],
                      module_files=[os.path.join(d, n) for n in files])
    expect(re.search(r"boot module 'empty' is empty \(0 bytes: '.*empty\.o'\): not loaded", g.log),
           "the empty module not named")
    expect(re.search(r"boot module 'junk' rejected: junk: truncated: 7 bytes, no ELF header", g.log),
           "the junk module not named")
    expect(re.search(r"boot module 'hello_cut' rejected: hello_cut: .*outside the file", g.log),
           "the truncated module not named")
    expect("no object" not in g.log, "an unclear refusal: " + g.log[-300:])
    expect("2 of 5 boot modules loaded" in m.group(0), "the good modules not loaded: " + m.group(0))
    expect(g.wait_exit(10) == EXIT_SUCCESS, f"exit status {g.exit_code}")


def test_production_kernel_has_no_test_code():
    # Self-tests live in the test image only: the production kernel has no
    # such symbols, and answers selftest= with where to find them.
    syms = subprocess.run(["nm", KERNEL], capture_output=True, text=True, check=True).stdout
    found = [l for l in syms.splitlines() if re.search(r"selftest|stress|show_greeting", l, re.I)]
    expect(not found, "test code in %s: %s" % (KERNEL, found[:5]))
    test_syms = subprocess.run(["nm", TEST_KERNEL], capture_output=True, text=True, check=True).stdout
    expect(re.search(r" T selftest_run$", test_syms, re.M), "the test image lacks selftest_run")
    g, m = boot_ready(cmdline="selftest=pagefault exit=ready")
    expect(re.search(r"selftest=pagefault ignored: the self-tests are in the test image", g.log),
           "no word on selftest= from the production kernel")
    expect(g.wait_exit(10) == EXIT_SUCCESS, f"exit status {g.exit_code}")
