#!/usr/bin/env python3
"""test_nics.py - the NIC models lab PCs have, as QEMU emulates them: the
e1000 driver's 8254x family (82540EM is QEMU's default and tested in
test_net.py; here the 82544GC and 82545EM) and the e1000e 82574L each boot to
ready with a DHCP lease from slirp, answer echo on port 7, and answer
theseusctl on the swap endpoint, which then takes a live swap of hello; so
do the RTL8139 and the vmxnet3 (driver modules rtl8139, vmxnet3).  A
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


def _nic_serves(model, probe_re, echoes=50):
    echo_port, ep_port = harness.free_port(), harness.free_port()
    g = harness.Guest(cmdline="key=%s exit=never" % KEY_HEX, modules=["logfmt", "hello"], nic=model,
                      hostfwd=[("udp", echo_port, 7), ("udp", ep_port, 7700)],
                      label="nic(%s)" % model).start()
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


def test_nic_e1000_82544gc():
    _nic_serves("e1000-82544gc", r"e1000: 82544GC \(8086:100c\)")


def test_nic_e1000_82545em():
    _nic_serves("e1000-82545em", r"e1000: 82545EM \(8086:100f\)")


def test_nic_e1000e_82574l():
    _nic_serves("e1000e", r"e1000: 82574L \(8086:10d3\)")


def test_nic_rtl8139():
    # 1000 echoes of every size wrap the chip's 8 KiB receive ring many times.
    _nic_serves("rtl8139", r"rtl8139: RTL8139 \(10ec:8139\)", echoes=1000)


def test_nic_vmxnet3():
    _nic_serves("vmxnet3", r"vmxnet3: vmxnet3 \(15ad:07b0\)", echoes=1000)


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
