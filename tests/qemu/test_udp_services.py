#!/usr/bin/env python3
"""test_udp_services.py - UDP services that are modules (udp_service.h), with
the test module udpports (modules/udpports/): a port belongs to the module's
running version.  1.0 opens a second port (9001) on request; 2.0 does not
register it again, so after the swap the port is closed, with a warning,
and no datagram reaches 1.0's retired code (before, the port kept calling
1.0's freed code and blamed 2.0 for the faults).  A table for the kernel's
own port is refused (EEXIST) and takes no slot; a table named after no
module is refused (EINVAL).  A handler that faults while it holds a
statedb strong reference (the datagram "pin") gets it put back, as invoke,
hooks and module tasks do (before, the entry stayed pinned until reboot),
and the module, restarted, answers again.
"""
import json
import os
import socket
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import endpoint_util as eu  # noqa: E402
import harness  # noqa: E402
from harness import expect  # noqa: E402

KEY_HEX = "3c" * 32


def _ask(port, timeout=0.3, tries=5, what=b"?"):
    """The reply to one datagram to port (a few tries), None if none."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        for _ in range(tries):
            s.sendto(what, ("127.0.0.1", port))
            try:
                return s.recv(2048)
            except OSError:
                continue
    return None


def test_udp_service_port_follows_the_running_version():
    ep, p0, p1 = harness.free_port(), harness.free_port(), harness.free_port()
    g = harness.Guest(cmdline="key=%s exit=never" % KEY_HEX, modules=["udpports"], nic="e1000",
                      hostfwd=[("udp", ep, 7700), ("udp", p0, 9000), ("udp", p1, 9001)],
                      label="udp services").start()
    try:
        g.wait_for(r"theseus: ready:", 60)
        with tempfile.TemporaryDirectory() as tmp:
            key = os.path.join(tmp, "key")
            with open(key, "w") as f:
                f.write(KEY_HEX + "\n")
            eu.ctl(ep, "ping", key_file=key, retries=20, check_rc=0)
            expect(_ask(p0) == b"udpports 1.0", "port 9000 before the swap")
            p = eu.ctl(ep, "invoke", "udpports", "up_try", key_file=key, check_rc=0)
            expect("7700=EEXIST notme=EINVAL" in p.stdout, "refusals: %r" % p.stdout)
            g.wait_for(r"udp service table notme \(port 9002\) rejected: no module has that name", 5)
            eu.ctl(ep, "invoke", "udpports", "up_open_extra", key_file=key, check_rc=0)
            expect(_ask(p1) == b"udpports 1.0 extra", "port 9001 before the swap")
            p = eu.ctl(ep, "swap", "--expect", "1.0", "udpports",
                       harness.module_path("udpports_v2"), key_file=key, check_rc=0)
            expect("1.0 -> 2.0" in p.stdout, "swap: %r" % p.stdout)
            g.wait_for(r"udp service udpports: port 9001 closed: its table belongs to a version "
                       r"of udpports that no longer runs", 10)
            expect(_ask(p0) == b"udpports 2.0", "port 9000 after the swap")
            expect(_ask(p1, tries=3) is None, "port 9001 still answers after the swap")
            expect("fault" not in g.log.lower(), "a fault in the log")
            p = eu.ctl(ep, "ls", key_file=key, check_rc=0)
            expect("udpports" in p.stdout and "2.0" in p.stdout, "ls: %r" % p.stdout)
    finally:
        g.kill()


def test_udp_service_fault_puts_back_statedb_references():
    ep, p0 = harness.free_port(), harness.free_port()
    g = harness.Guest(cmdline="key=%s exit=never" % KEY_HEX, modules=["udpports"], nic="e1000",
                      hostfwd=[("udp", ep, 7700), ("udp", p0, 9000)],
                      label="udp service fault").start()
    try:
        g.wait_for(r"theseus: ready:", 60)
        with tempfile.TemporaryDirectory() as tmp:
            key = os.path.join(tmp, "key")
            with open(key, "w") as f:
                f.write(KEY_HEX + "\n")
            eu.ctl(ep, "ping", key_file=key, retries=20, check_rc=0)
            expect(_ask(p0) == b"udpports 1.0", "port 9000 before the fault")
            expect(_ask(p0, tries=1, timeout=1, what=b"pin") is None, "a reply after the fault")
            g.wait_for(r"fault: udpports 1\.0: page fault at up_pin_and_fault\+0x[0-9a-f]+ "
                       r"\(address 0x0\) \(in udp service of udpports", 10)
            g.wait_for(r"udpports: put back 1 statedb references the faulted call held", 10)
            g.wait_for(r"udp service udpports \(port 9000\): .*restarted \(1/3\)", 10)
            p = eu.ctl(ep, "--json", "state", key_file=key, check_rc=0)
            doc = json.loads(p.stdout)
            ent = [e for e in doc.get("entries", []) if e.get("name") == "udpports.pin"]
            expect(len(ent) == 1 and ent[0].get("strong") == 0,
                   "udpports.pin still pinned after the fault: %r" % ent)
            expect(_ask(p0) == b"udpports 1.0", "port 9000 after the restart")
            expect("*** FAULT" not in g.log, "a kernel fault report")
    finally:
        g.kill()
