#!/usr/bin/env python3
"""test_nics.py - the NIC models lab PCs have, as QEMU emulates them: the
e1000 driver's 8254x family (82540EM is QEMU's default and tested in
test_net.py; here the 82544GC and 82545EM) and the e1000e 82574L each boot to
ready with a DHCP lease from slirp, answer echo on port 7, and answer
theseusctl on the swap endpoint, which then takes a live swap of hello; so
do the RTL8139 and the vmxnet3 (driver modules rtl8139, vmxnet3).  The
82574L and the vmxnet3 interrupt by MSI; nicirq=line and nicirq=poll
choose the line and polling instead.  A modern-only virtio-net (virtio 1.0,
1af4:1041: disable-legacy=on, or behind a q35 PCIe root port as libvirt
builds machines) serves too.  A
virtio-net behind two PCI bridges is found (the scan follows bridges) and
gets its lease.  A NIC without a driver (pcnet) boots with the network off
and a message that names its PCI id.
"""
import os
import re
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import endpoint_util as eu  # noqa: E402
import harness  # noqa: E402
import net_util  # noqa: E402
from harness import expect  # noqa: E402

KEY_HEX = "5a" * 32


def _nic_serves(model, probe_re, echoes=50, cmdline="", before=()):
    """model: QEMU's -device name (and options) of the NIC; before: QEMU
    arguments that must precede it (a machine type, the bus it plugs into)."""
    echo_port, ep_port = harness.free_port(), harness.free_port()
    fwd = "hostfwd=udp:127.0.0.1:%d-:7,hostfwd=udp:127.0.0.1:%d-:7700" % (echo_port, ep_port)
    g = harness.Guest(cmdline="key=%s exit=never %s" % (KEY_HEX, cmdline), modules=["logfmt", "hello"],
                      nic_modules=harness.NET_MODULES, label="nic(%s)" % model,
                      extra_args=list(before) + ["-netdev", "user,id=n0," + fwd,
                                                 "-device", model + ",netdev=n0"]).start()
    g.wait_for(probe_re, 30)
    m = g.wait_for(net_util.ADDR_RE, 30)
    expect(m.group(1) == "10.0.2.15" and m.group(2) == "dhcp",
           "%s: expected a DHCP lease of 10.0.2.15, got %s (%s)" % (model, m.group(1), m.group(2)))
    c = net_util.EchoClient(echo_port)
    try:
        expect(c.wait_ready(20), "%s: no echo on port 7" % model)
        for i in range(echoes):   # sizes from 1 byte to a full frame
            payload = bytes((i + k) & 0xff for k in range((i * 211) % 1400 + 1))
            attempts, rtt = c.echo(payload, retries=5)
            expect(rtt is not None, "%s: echo %d lost %d times" % (model, i, attempts))
    finally:
        c.close()
    with tempfile.TemporaryDirectory() as tmp:
        key_file = os.path.join(tmp, "key")
        with open(key_file, "w") as f:
            f.write(KEY_HEX + "\n")
        eu.ctl(ep_port, "ping", key_file=key_file, timeout_ms=1000, retries=10, check_rc=0)
        eu.ctl(ep_port, "swap", "--expect", "1.0", "hello", harness.module_path("hello_v2"),
               key_file=key_file, check_rc=0)
        p = eu.ctl(ep_port, "ls", key_file=key_file, check_rc=0)
        expect(re.search(r"^hello +2\.0 ", p.stdout, re.M), "%s: ls after swap: %r" % (model, p.stdout))
    expect(not re.search(net_util.FATAL_RE, g.log), "%s: fatal message in the log" % model)
    return g


def test_nic_e1000_82544gc():
    _nic_serves("e1000-82544gc", r"e1000: 82544GC \(8086:100c\)")


def test_nic_e1000_82545em():
    _nic_serves("e1000-82545em", r"e1000: 82545EM \(8086:100f\)")


def test_nic_e1000e_82574l():
    # The 82574L has an MSI capability: its interrupts come as messages on
    # a vector of their own, not through a line.
    g = _nic_serves("e1000e", r"e1000: 82574L \(8086:10d3\)")
    expect(re.search(r"bound to driver module e1000 1\.0 \(MSI, vector 5\d\)", g.log),
           "e1000e: not bound with MSI")
    expect(re.search(r"irq: vector 5\d: first message-signalled interrupt", g.log),
           "e1000e: no message-signalled interrupt arrived")


def test_nic_virtio_modern():
    # A virtio-net without its legacy interface (1af4:1041): the virtio 1.0
    # registers its vendor capabilities point at, in a memory BAR.
    g = _nic_serves("virtio-net-pci,disable-legacy=on",
                    r"virtio-net: .* link up \(virtio 1\.0, driver 1\.0\)")
    expect("1af4:1041 virtio-net (modern) bound to driver module virtio_net 1.0" in g.log,
           "modern virtio-net not bound")


def test_nic_virtio_behind_pcie_root_port():
    # What libvirt's q35 machines look like: the virtio-net behind a PCIe
    # root port, where QEMU gives it no legacy interface.
    g = _nic_serves("virtio-net-pci,bus=rp1", r"virtio-net: .* \(virtio 1\.0, driver 1\.0\)",
                    before=["-machine", "q35", "-device", "pcie-root-port,id=rp1,chassis=1"])
    expect(re.search(r"pci: 01:00\.0 1af4:1041 ethernet", g.log), "not behind the root port")


def test_nic_interrupt_modes():
    # nicirq=line keeps the legacy line of a device that has MSI; nicirq=poll
    # takes no interrupt at all, and the kernel still serves (its tick polls).
    g = _nic_serves("e1000e", r"e1000: 82574L \(8086:10d3\)", echoes=10, cmdline="nicirq=line")
    expect(re.search(r"bound to driver module e1000 1\.0 \(irq line \d+\)", g.log),
           "nicirq=line: not on the line")
    expect("message-signalled" not in g.log, "nicirq=line: an MSI arrived")
    g = _nic_serves("e1000", r"e1000: 82540EM \(8086:100e\)", echoes=10, cmdline="nicirq=poll")
    expect(re.search(r"bound to driver module e1000 1\.0 \(polled: nicirq=poll\)", g.log),
           "nicirq=poll: not polled")
    expect("first interrupt" not in g.log and "message-signalled" not in g.log,
           "nicirq=poll: an interrupt arrived")


def test_nic_rtl8139():
    # 1000 echoes of every size wrap the chip's 8 KiB receive ring many times.
    _nic_serves("rtl8139", r"rtl8139: RTL8139 \(10ec:8139\)", echoes=1000)


def test_nic_vmxnet3():
    g = _nic_serves("vmxnet3", r"vmxnet3: vmxnet3 \(15ad:07b0\)", echoes=1000)
    expect(re.search(r"bound to driver module vmxnet3 1\.0 \(MSI, vector 5\d\)", g.log),
           "vmxnet3: not bound with MSI")


def test_nic_preferred_by_driver_name():
    # Two NICs, the e1000 first on the bus: nic=vmxnet3 names the driver
    # module to bind, whatever the bus order.
    g = harness.Guest(cmdline="nic=vmxnet3 exit=ready", label="nic(prefer vmxnet3)",
                      modules=harness.NET_MODULES, extra_args=[
                          "-netdev", "user,id=a", "-device", "e1000,netdev=a",
                          "-netdev", "user,id=b", "-device", "vmxnet3,netdev=b"]).start()
    g.wait_for(r"15ad:07b0 vmxnet3 bound to driver module vmxnet3 1\.0", 30)
    g.wait_for(r"theseus: ready: ip 10\.0\.2\.15 \(vmxnet3\)", 30)


def test_nic_unsupported_is_named():
    g = harness.Guest(cmdline="exit=ready", nic="pcnet", label="nic(pcnet)").start()
    g.wait_for(r"network controller 1022:2000 .*no driver for it", 30)
    g.wait_for(r"no supported NIC \(1 network controller\(s\) found", 30)
    g.wait_for(r"theseus: ready: ip none", 30)


def test_nic_behind_two_bridges():
    # The PCI scan follows bridges (bus 0, then each bridge's secondary bus):
    # a virtio-net two bridges down is found and gets its DHCP lease.
    g = harness.Guest(cmdline="exit=ready", label="nic(behind bridges)", modules=harness.NET_MODULES, extra_args=[
        "-device", "pci-bridge,id=br1,chassis_nr=1",
        "-device", "pci-bridge,id=br2,chassis_nr=2,bus=br1,addr=3",
        "-netdev", "user,id=nb", "-device", "virtio-net-pci,netdev=nb,bus=br2,addr=2"]).start()
    g.wait_for(r"pci: 02:02\.0 1af4:1000 ethernet", 30)
    g.wait_for(r"theseus: ready: ip 10\.0\.2\.15 \(virtio_net\)", 30)
