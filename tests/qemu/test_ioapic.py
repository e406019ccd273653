"""test_ioapic.py - device interrupts through the I/O APIC (issue 20): with
QEMU's ACPI MADT describing one, the NIC's PCI line is routed there (level,
active-high as QEMU's MADT override says) to the boot CPU's local APIC, with
1 and with 4 CPUs (and under OVMF from the GRUB ISO), its interrupts arrive
there and echo is served; `noapic` keeps the 8259 PIC exactly as before and
still serves echo; acpi=off (MP tables only) keeps the PIC too; a level
line that storms is masked (selftest=irqstorm)."""
import os
import re

import harness
import net_util
from harness import expect

APIC_RE = r"irq: device interrupts: I/O APIC \(1, 24 pins; lines 0x[0-9a-f]+\) to the boot CPU's local APIC"
PIC_RE = r"irq: device interrupts: 8259 PIC \(%s\)"


def _serves_echo(label, cmdline, extra_args=(), nic="e1000", echoes=50, boot="kernel"):
    echo_port = harness.free_port()
    g = harness.Guest(cmdline="exit=never " + cmdline, nic=nic, hostfwd=[("udp", echo_port, 7)],
                      extra_args=list(extra_args), label=label, boot=boot).start()
    g.wait_for(r"theseus: ready:.*$", 120)
    c = net_util.EchoClient(echo_port)
    try:
        expect(c.wait_ready(20), "%s: no echo on port 7" % label)
        for i in range(echoes):
            payload = bytes((i + k) & 0xff for k in range((i * 211) % 1400 + 1))
            attempts, rtt = c.echo(payload, retries=5)
            expect(rtt is not None, "%s: echo %d lost %d times" % (label, i, attempts))
    finally:
        c.close()
    expect(not re.search(net_util.FATAL_RE, g.log), "%s: fatal message in the log" % label)
    expect("interrupt storm" not in g.log, "%s: interrupt storm" % label)
    return g


def _nic_line(log):
    n = re.search(r"pci: [0-9a-f:.]+ [0-9a-f]{4}:[0-9a-f]{4} ethernet irq (\d+)", log)
    expect(n, "no NIC with an interrupt line in the PCI list")
    line = n.group(1)
    expect(re.search(r"irq: line %s \(PCI\) -> I/O APIC 0 pin %s, level-triggered, "
                     r"active-high \(MADT override\)" % (line, line), log),
           "the NIC's PCI line %s is not routed level/active-high" % line)
    expect("irq: line %s: first interrupt through the I/O APIC" % line in log,
           "the NIC's line %s never interrupted through the I/O APIC" % line)
    return int(line)


def test_ioapic_one_cpu():
    g = _serves_echo("ioapic(1 cpu)", "")
    expect(re.search(APIC_RE, g.log), "I/O APIC not used with 1 CPU")
    _nic_line(g.log)


def test_ioapic_four_cpus():
    g = _serves_echo("ioapic(4 cpus)", "", extra_args=["-smp", "4"])
    expect(re.search(APIC_RE, g.log), "I/O APIC not used with 4 CPUs")
    expect("smp: 4 CPUs run" in g.log, "not 4 CPUs")
    _nic_line(g.log)


def test_ioapic_virtio_four_cpus():
    g = _serves_echo("ioapic(virtio, 4 cpus)", "", extra_args=["-smp", "4"], nic="virtio")
    expect(re.search(APIC_RE, g.log), "I/O APIC not used")
    _nic_line(g.log)


def test_ioapic_uefi():
    from test_netboot import OVMF
    expect(os.path.isfile(OVMF), "%s missing (Debian package ovmf)" % OVMF)
    g = _serves_echo("ioapic(uefi iso)", "", extra_args=["-bios", OVMF, "-smp", "2"], boot="iso")
    expect(re.search(APIC_RE, g.log), "I/O APIC not used under OVMF")
    _nic_line(g.log)


def test_noapic_keeps_the_pic():
    g = _serves_echo("noapic", "noapic", extra_args=["-smp", "2"])
    expect(re.search(PIC_RE % "noapic", g.log), "noapic: PIC not reported")
    expect(not re.search(APIC_RE, g.log), "noapic: I/O APIC used anyway")
    expect("irq: line " not in g.log, "noapic: a line was routed or interrupted through it")


def test_mp_tables_keep_the_pic():
    g, _ = harness.boot_ready(cmdline="exit=ready acpi=off")
    expect(re.search(PIC_RE % "MP tables only: their interrupt entries are not read", g.log),
           "acpi=off: PIC not reported")
    expect(g.wait_exit(10) == harness.EXIT_SUCCESS, "exit status %s" % g.exit_code)


def test_level_storm_masked():
    """selftest=irqstorm (test image): an unbound e1000 asked for an interrupt
    behind a handler that never reads its cause: the level line storms, is
    masked with a warning naming it, and the kernel goes on."""
    g = harness.Guest(cmdline="selftest=irqstorm", nic="e1000", nic_modules=[],
                      kernel=harness.TEST_KERNEL, label="irqstorm").start()
    g.wait_for(r"selftest irqstorm: (PASS|FAIL)", 120)
    expect(g.wait_exit(20) == harness.EXIT_SUCCESS, "exit status %s" % g.exit_code)
    expect(re.search(r"WARN  irq: line \d+: interrupt storm \(over 1000 deliveries in one tick",
                     g.log), "no storm warning")
    expect("selftest irqstorm: PASS" in g.log, "irqstorm failed")
