#!/usr/bin/env python3
"""test_uefi.py - UEFI machines, under QEMU with OVMF (Debian's ovmf):

  iso              the GRUB ISO (hybrid BIOS + UEFI) boots under OVMF with
                   multiboot2, leases 10.0.2.15 and takes a live swap over the
                   endpoint;
  netboot_tftp     the `make netboot` directory through the NIC's EFI iPXE ROM
                   (e1000): boot.ipxe sees ${platform} = efi and chains
                   theseus-grub.efi (standalone GRUB, kernel and modules in its
                   memdisk) over TFTP; then theseusctl pushes and swaps hello;
  netboot_http     the same directory chained over HTTP on virtio-net: only
                   boot.ipxe and theseus-grub.efi are fetched;
  q35_virtio       a libvirt-style q35 machine: the virtio-net behind a PCIe
                   root port (virtio 1.0 only, its registers in a 64-bit BAR
                   OVMF places above 4 GiB) leases its address and echoes.

The directories are the ones test_netboot.py --prepare made before the tests
(no test runs make).
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import net_util  # noqa: E402
from harness import BUILD, expect  # noqa: E402
from test_netboot import (OVMF, TEST_KEY, _boot, _check_kernel, _copy_variant,  # noqa: E402
                          http_chain_boot)

CTL = os.path.join(BUILD, "theseusctl")


def _swap_hello(port, key_file):
    base = [CTL, "-H", "127.0.0.1:%d" % port, "--key-file", key_file, "--timeout", "2000"]

    def run(*args):
        p = subprocess.run(base + list(args), capture_output=True, text=True, timeout=120)
        expect(p.returncode == 0, "theseusctl %s: exit %d\n%s%s"
               % (" ".join(args), p.returncode, p.stdout, p.stderr))
        return p.stdout
    run("ping")
    out = run("swap", "--expect", "1.0", "hello", os.path.join(BUILD, "modules", "hello_v2.o"))
    expect("1.0 -> 2.0" in out, "swap output: " + out)
    expect(re.search(r"^hello\s+2\.0\s", run("ls"), re.M), "ls does not show hello 2.0")


def test_uefi_iso_boot_and_swap():
    expect(os.path.isfile(OVMF), "%s missing (Debian package ovmf; tools/setup installs it)" % OVMF)
    port = harness.free_port()
    g = harness.Guest(boot="iso", cmdline="key=%s exit=never" % TEST_KEY,
                      modules=["checksum", "kv", "logfmt", "hello"], nic="e1000",
                      hostfwd=[("udp", port, 7700)], extra_args=["-bios", OVMF],
                      label="uefi(iso)").start()
    m = g.wait_for(r"boot: loader '([^']*)' \(multiboot(\d)\)", 90)
    expect(m.group(1).startswith("GRUB") and m.group(2) == "2",
           "loaded by %s multiboot%s, want GRUB multiboot2" % m.groups())
    ready = g.wait_for(r"theseus: ready:[^\r\n]*(?=\r?\n)", 90).group(0)
    n = 4 + len(harness.NET_MODULES)   # the network's modules the harness adds
    expect("%d of %d boot modules loaded" % (n, n) in ready, ready)
    m = g.wait_for(net_util.ADDR_RE, 30)
    expect(m.groups() == ("10.0.2.15", "dhcp"), "address: %s" % (m.groups(),))
    with tempfile.TemporaryDirectory() as tmp:
        key_file = os.path.join(tmp, "key")
        with open(key_file, "w") as f:
            f.write(TEST_KEY + "\n")
        _swap_hello(port, key_file)
    g.wait_for(r"HELLO 2\.0 took over from 1\.0", 10)
    expect("*** FAULT" not in g.log, "fault in the log")


def test_uefi_q35_virtio_behind_root_port():
    expect(os.path.isfile(OVMF), "%s missing (Debian package ovmf; tools/setup installs it)" % OVMF)
    echo = harness.free_port()
    g = harness.Guest(boot="iso", cmdline="exit=never", modules=["hello"],
                      nic_modules=harness.NET_MODULES, label="uefi(q35, virtio behind a root port)",
                      extra_args=["-bios", OVMF, "-machine", "q35",
                                  "-device", "pcie-root-port,id=rp1,chassis=1",
                                  "-netdev", "user,id=n0,hostfwd=udp:127.0.0.1:%d-:7" % echo,
                                  "-device", "virtio-net-pci,netdev=n0,bus=rp1"]).start()
    g.wait_for(r"1af4:1041 virtio-net \(modern\) bound to driver module virtio_net 1\.0", 90)
    m = g.wait_for(net_util.ADDR_RE, 30)
    expect(m.groups() == ("10.0.2.15", "dhcp"), "address: %s" % (m.groups(),))
    c = net_util.EchoClient(echo)
    try:
        expect(c.wait_ready(20), "no echo on port 7")
        for i in range(20):
            attempts, rtt = c.echo(bytes([i]) * (i * 70 + 1), retries=5)
            expect(rtt is not None, "echo %d lost %d times" % (i, attempts))
    finally:
        c.close()
    expect("*** FAULT" not in g.log, "fault in the log")


def test_uefi_netboot_tftp_then_swap():
    scratch = tempfile.mkdtemp(prefix="theseus-tftp-")
    try:
        root = _copy_variant("ctl", os.path.join(scratch, "nb"))
        key_file = os.path.join(scratch, "key")
        with open(key_file, "w") as f:
            f.write(TEST_KEY + "\n")
        port = harness.free_port()
        g, ready = _boot("e1000", root, "boot.ipxe", "netboot(uefi, e1000)",
                         hostfwd=",hostfwd=udp:127.0.0.1:%d-:7700" % port, efi=True)
        try:
            m = re.search(r"boot: loader '([^']*)' \(multiboot(\d)\)", g.log)
            expect(m and m.group(1).startswith("GRUB") and m.group(2) == "2",
                   "not booted by GRUB (EFI) with multiboot2: %s" % (m.groups() if m else None,))
            expect("6 of 6 boot modules loaded" in ready and "ip 10.0.2.15 " in ready, ready)
            expect(TEST_KEY not in g.log, "the swap key appears on the serial console")
            _swap_hello(port, key_file)
            g.wait_for(r"HELLO 2\.0 took over from 1\.0", 10)
        finally:
            g.kill()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def test_uefi_netboot_http_virtio():
    http_chain_boot("http", "virtio", "netboot(uefi, http, virtio)",
                    lambda g, ready, port: _check_kernel(g, ready, ("GRUB", "2"), "exit=ready",
                                                         ["checksum", "hello", "e1000",
                                                          "virtio_net"],
                                                         lambda n: r"%s\.o" % n),
                    ["/boot.ipxe", "/theseus-grub.efi"], efi=True)
