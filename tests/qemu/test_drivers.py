#!/usr/bin/env python3
"""test_drivers.py - NIC drivers as modules (modules/e1000, virtio_net;
net/nic_core.c), swapped live over the network through themselves:

  e1000_swap_and_rollback   while a stream of numbered echoes runs,
  virtio_swap_and_rollback  theseusctl swaps the driver to its _v2 (the
                            request and the reply travel over the driver
                            being replaced), v2 takes over the running
                            device without a reset and proves itself (ARP),
                            then theseusctl rolls it back to 1.0; echoes
                            lost are counted and bounded (frames in flight),
                            never timed
  new_state_layout_reattaches
                            e1000_v3 declares another state layout: the
                            core re-attaches (resets) the device instead of
                            resuming it, and the network serves again
  broken_driver_rolls_back  e1000_broken (drops every frame) is swapped in;
                            theseusctl hears nothing, the kernel's dead
                            man's switch rolls it back by itself, and
                            theseusctl reaches the kernel again; the
                            history says why
  bad_rx_frame_leaks_no_buffer  e1000_badrx (hands th_nic_rx an unmapped
                            frame) swapped in with fault_restarts=100: each
                            fault gives its receive buffer back, the NIC
                            still receives after the rollback
  faulting_driver_recovered e1000_faulty (its poll page-faults) swapped in:
                            each fault is contained and reported naming the
                            driver, the module restarted 3 times, then
                            rolled back to 1.0; the network serves again
  tables_follow_running_modules
                            driver tables belong to the module running
                            under their name: a module registering a table
                            named e1000 is refused (its load fails) and
                            e1000 keeps the NIC; a swap of e1000 to _v2
                            undone by another item's failure leaves 1.0 on
                            the NIC with no call into v2's freed code (no
                            fault, no restart); a module unloaded without
                            unregistering its table has it dropped (and
                            a second table of it is refused), and a
                            later swap of the bound driver works
  attach_result_named       nic=nicrogue names a driver (nicrogue_badret)
                            whose attach returns 12345: the log names that
                            value once (it is tried once), and e1000 takes
                            the NIC
  dma_bounded               nic=nicrogue names a driver (nicrogue_dmahog)
                            whose attach takes DMA regions until one is
                            refused: refused at TH_NIC_DMA_MAX (16 MiB),
                            named once, the attach fails, and e1000 binds
                            (its region 2, taken 1 page long by the hog, is
                            allocated anew, not refused) and echoes
  driver_without_irq_is_polled
                            e1000_noirq (a table without the optional irq
                            op) swapped in over e1000 on an interrupting
                            NIC: its interrupts stop and the core polls it
                            (no interrupt storm), echoes go on; booted on
                            the 82574L (MSI) it is bound polled, and works
                            without calling th_nic_pci_enable (the core
                            enables the device before attach)
  nic_moves_between_driver_modules
                            e1000 and e1000alt (the same driver as another
                            module) both list the NIC; unloading the bound
                            e1000 over the network hands it to e1000alt
                            (attach: a reset; the reply comes back), and
                            loading e1000 and unloading e1000alt hands it
                            back; echoes work after each
  rx_outside_poll_refused   e1000_irqrx (its irq op calls th_nic_rx, which
                            only poll may: lwIP's pools are not
                            interrupt-safe) swapped in: refused, named
                            once, counted in rx_errors; echoes go on
  both_drivers_one_device   e1000 and virtio_net (and rtl8139) given, one
                            virtio-net device: virtio_net binds, e1000
                            stays loaded and idle, echo works; theseusctl
                            info names the NIC and its driver module
"""
import json
import os
import re
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import drv_util  # noqa: E402
import endpoint_util as eu  # noqa: E402
import harness  # noqa: E402
import net_util  # noqa: E402
from harness import expect  # noqa: E402

BOOT_TIMEOUT = 60
# Echoes that may be lost across a swap and a rollback: frames in flight at
# the switch-over, and slirp's queue when the old version's last poll
# and the new version's first poll straddle a burst.  The stream sends one
# every 2 ms, several hundred across the test.
MAX_LOST = 10
# The dead man's switch's log line once the new version proved itself.
PROOF = r"works: (ARP reply|an authenticated request)"


def _swap_and_rollback(nic, module, bound_re):
    g = drv_util.drv_guest(nic).start()
    try:
        g.wait_for(bound_re, BOOT_TIMEOUT)
        g.wait_for(net_util.ADDR_RE, BOOT_TIMEOUT)
        c = net_util.EchoClient(g.echo_port)
        expect(c.wait_ready(20), "no echo on port 7")
        c.close()
        with tempfile.TemporaryDirectory() as tmp:
            key = drv_util.key_file(tmp)
            eu.ctl(g.ep_port, "ping", key_file=key, check_rc=0)
            stream = drv_util.EchoStream(g.echo_port).start()
            time.sleep(0.3)
            p = eu.ctl(g.ep_port, "swap", "--expect", "1.0", module,
                       harness.module_path(module + "_v2"), key_file=key, check_rc=0)
            expect("1.0 -> 2.0" in p.stdout, "swap output: %r" % p.stdout)
            m = g.wait_for(r"%s 2\.0 took over the running .*without a reset" % module, 10)
            g.wait_for(r"net: driver %s 2\.0 " % module + PROOF, 10, start=m.start())
            time.sleep(0.3)
            expect(eu.ls_versions(g.ep_port, key)[module] == "2.0", "ls does not show 2.0")
            p = eu.ctl(g.ep_port, "rollback", module, key_file=key, check_rc=0)
            m = g.wait_for(r"net: driver %s 1\.0 took over" % module, 10)
            g.wait_for(r"net: driver %s 1\.0 " % module + PROOF, 10, start=m.start())
            time.sleep(0.3)
            sent, lost = stream.stop()
            print("  %s: %d echoes across swap + rollback, %d lost, longest outage %.1f ms"
                  % (module, sent, lost, stream.longest_outage() * 1000))
            expect(sent > 100, "the echo stream sent only %d" % sent)
            expect(lost <= MAX_LOST, "%d of %d echoes lost (bound %d)" % (lost, sent, MAX_LOST))
            expect(eu.ls_versions(g.ep_port, key)[module] == "1.0", "ls does not show 1.0")
        expect(not re.search(net_util.FATAL_RE + r"|fault: ", g.log), "fault in the log")
        expect(not re.search(r"re-attaching|rolling back to", g.log), "reset or automatic rollback")
    finally:
        g.kill()


def test_drivers_e1000_swap_and_rollback():
    _swap_and_rollback("e1000", "e1000", r"8086:100e 82540EM bound to driver module e1000 1\.0")


def test_drivers_e1000e_msi_swap_and_rollback():
    # With MSI a new version's takeover must not miss a cause raised in the
    # gap (no further message would come): the echo stream shows it.
    _swap_and_rollback("e1000e", "e1000",
                       r"8086:10d3 82574L bound to driver module e1000 1\.0 \(MSI, vector \d+\)")


def test_drivers_virtio_swap_and_rollback():
    _swap_and_rollback("virtio", "virtio_net",
                       r"1af4:1000 virtio-net \(legacy\) bound to driver module virtio_net 1\.0")


def test_drivers_virtio_modern_swap_and_rollback():
    # virtio 1.0 (no legacy interface): the register blocks live in the
    # core's state words, so the new version takes over without a reset.
    _swap_and_rollback("virtio-net-pci,disable-legacy=on", "virtio_net",
                       r"1af4:1041 virtio-net \(modern\) bound to driver module virtio_net 1\.0")


def test_drivers_echo_service_swap_and_rollback():
    # The echo service is a module too: swapped to echo_v2 and rolled back
    # over the network while the echo stream it serves runs.
    g = drv_util.drv_guest("e1000").start()
    try:
        g.wait_for(net_util.ADDR_RE, BOOT_TIMEOUT)
        c = net_util.EchoClient(g.echo_port)
        expect(c.wait_ready(20), "no echo on port 7")
        c.close()
        with tempfile.TemporaryDirectory() as tmp:
            key = drv_util.key_file(tmp)
            stream = drv_util.EchoStream(g.echo_port).start()
            time.sleep(0.3)
            p = eu.ctl(g.ep_port, "swap", "--expect", "1.0", "echo",
                       harness.module_path("echo_v2"), key_file=key, check_rc=0)
            expect("1.0 -> 2.0" in p.stdout, "swap output: %r" % p.stdout)
            g.wait_for(r"echo 2\.0 serves UDP port 7", 10)
            time.sleep(0.3)
            expect(eu.ls_versions(g.ep_port, key)["echo"] == "2.0", "ls does not show 2.0")
            eu.ctl(g.ep_port, "rollback", "echo", key_file=key, check_rc=0)
            time.sleep(0.3)
            expect(eu.ls_versions(g.ep_port, key)["echo"] == "1.0", "ls does not show 1.0")
            sent, lost = stream.stop()
            print("  echo: %d echoes across swap + rollback, %d lost, longest outage %.1f ms"
                  % (sent, lost, stream.longest_outage() * 1000))
            expect(sent > 100, "the echo stream sent only %d" % sent)
            expect(lost <= MAX_LOST, "%d of %d echoes lost (bound %d)" % (lost, sent, MAX_LOST))
        expect(not re.search(net_util.FATAL_RE + r"|fault: ", g.log), "fault in the log")
    finally:
        g.kill()
    return "%d echoes, %d lost" % (sent, lost)


def test_drivers_new_state_layout_reattaches():
    # e1000 3.0 declares another state layout: the core re-attaches the
    # device (a reset: frames in flight are lost), the switch proves itself.
    g = drv_util.drv_guest("e1000").start()
    try:
        g.wait_for(net_util.ADDR_RE, BOOT_TIMEOUT)
        with tempfile.TemporaryDirectory() as tmp:
            key = drv_util.key_file(tmp)
            eu.ctl(g.ep_port, "ping", key_file=key, timeout_ms=1000, retries=10, check_rc=0)
            eu.ctl(g.ep_port, "swap", "--expect", "1.0", "e1000", harness.module_path("e1000_v3"),
                   key_file=key, timeout_ms=1000, retries=10)
            m = g.wait_for(r"net: driver e1000 3\.0: state layout 1 -> 2: re-attaching", 10)
            g.wait_for(r"e1000: 82540EM .* \(driver 3\.0\)", 10, start=m.start())
            g.wait_for(r"net: driver e1000 3\.0 " + PROOF, 10, start=m.start())
            eu.ctl(g.ep_port, "ping", key_file=key, timeout_ms=1000, retries=10, check_rc=0)
            expect(eu.ls_versions(g.ep_port, key)["e1000"] == "3.0", "ls does not show 3.0")
        c = net_util.EchoClient(g.echo_port)
        expect(c.wait_ready(10), "no echo after the re-attach")
        c.close()
        expect(not re.search(net_util.FATAL_RE + r"|fault: ", g.log), "fault in the log")
    finally:
        g.kill()


def test_drivers_broken_driver_rolls_back():
    g = drv_util.drv_guest("e1000", "drvwatch=2000").start()
    try:
        g.wait_for(net_util.ADDR_RE, BOOT_TIMEOUT)
        with tempfile.TemporaryDirectory() as tmp:
            key = drv_util.key_file(tmp)
            eu.ctl(g.ep_port, "ping", key_file=key, timeout_ms=1000, retries=10, check_rc=0)
            # The reply is dropped by the broken version: theseusctl gives up
            # (its retries end long before the 2 s deadline, so none of them
            # lands after the rollback).
            p = eu.ctl(g.ep_port, "swap", "--expect", "1.0", "e1000",
                       harness.module_path("e1000_broken"), key_file=key, timeout_ms=200,
                       retries=2)
            expect(p.returncode != 0, "swap to the broken driver answered: %r" % p.stdout)
            g.wait_for(r"net: driver e1000 9\.0-broken: no proof of life within 2000 ms", 15)
            g.wait_for(r"net: driver e1000 rolled back to 1\.0 by the dead man's switch", 10)
            eu.ctl(g.ep_port, "ping", key_file=key, timeout_ms=1000, retries=10, check_rc=0)
            expect(eu.ls_versions(g.ep_port, key)["e1000"] == "1.0", "ls does not show 1.0")
            hist = eu.ctl(g.ep_port, "history", key_file=key, check_rc=0).stdout
            expect(re.search(r"fault +e1000 9\.0-broken", hist) and
                   re.search(r"rollback +e1000 9\.0-broken->1\.0 +OK", hist),
                   "history: %s" % hist)
        c = net_util.EchoClient(g.echo_port)
        expect(c.wait_ready(10), "no echo after the rollback")
        c.close()
    finally:
        g.kill()


def test_drivers_faulting_driver_recovered():
    g = drv_util.drv_guest("e1000").start()
    try:
        g.wait_for(net_util.ADDR_RE, BOOT_TIMEOUT)
        with tempfile.TemporaryDirectory() as tmp:
            key = drv_util.key_file(tmp)
            eu.ctl(g.ep_port, "ping", key_file=key, timeout_ms=1000, retries=10, check_rc=0)
            # Its poll faults every time: contained, restarted 3 times, then
            # rolled back to 1.0 by the fault machinery (modcall.h).
            eu.ctl(g.ep_port, "swap", "--expect", "1.0", "e1000",
                   harness.module_path("e1000_faulty"), key_file=key, timeout_ms=300, retries=3)
            m = g.wait_for(r"ERROR fault: e1000 8\.0-faulty: page fault at e1000_poll\+", 15)
            g.wait_for(r"fault: e1000: rolled back after repeated faults", 15, start=m.start())
            eu.ctl(g.ep_port, "ping", key_file=key, timeout_ms=1000, retries=10, check_rc=0)
            expect(eu.ls_versions(g.ep_port, key)["e1000"] == "1.0", "ls does not show 1.0")
            hist = eu.ctl(g.ep_port, "history", key_file=key, check_rc=0).stdout
            expect(len(re.findall(r"restart +e1000 8\.0-faulty->8\.0-faulty +OK", hist)) == 3 and
                   re.search(r"rollback +e1000 8\.0-faulty->1\.0 +OK", hist), "history: %s" % hist)
        c = net_util.EchoClient(g.echo_port)
        expect(c.wait_ready(10), "no echo after the recovery")
        c.close()
        expect("*** FAULT" not in g.log, "the fault was not contained")
    finally:
        g.kill()


def test_drivers_bad_rx_frame_leaks_no_buffer():
    """A driver whose poll hands th_nic_rx a frame at an unmapped address
    (e1000_badrx) faults in the core's copy: contained, and the receive
    buffer the core took for the frame is given back.  100 restarts (more
    than lwIP's 64 receive buffers) and the rollback later the NIC still
    receives (before, each fault leaked one: the machine went deaf)."""
    g = drv_util.drv_guest("e1000", cmdline="fault_restarts=100").start()
    try:
        g.wait_for(net_util.ADDR_RE, BOOT_TIMEOUT)
        with tempfile.TemporaryDirectory() as tmp:
            key = drv_util.key_file(tmp)
            eu.ctl(g.ep_port, "ping", key_file=key, timeout_ms=1000, retries=10, check_rc=0)
            eu.ctl(g.ep_port, "swap", "--expect", "1.0", "e1000",
                   harness.module_path("e1000_badrx"), key_file=key, timeout_ms=300, retries=3)
            m = g.wait_for(r"ERROR fault: e1000 7\.0-badrx: page fault at ", 15)
            g.wait_for(r"fault: e1000: rolled back after repeated faults", 60, start=m.start())
            eu.ctl(g.ep_port, "ping", key_file=key, timeout_ms=1000, retries=10, check_rc=0)
            expect(eu.ls_versions(g.ep_port, key)["e1000"] == "1.0", "ls does not show 1.0")
            hist = eu.ctl(g.ep_port, "history", key_file=key, check_rc=0).stdout
            expect(re.search(r"rollback +e1000 7\.0-badrx->1\.0 +OK", hist), "history: %s" % hist)
        c = net_util.EchoClient(g.echo_port)
        expect(c.wait_ready(10), "no echo after the recovery: receive buffers leaked")
        c.close()
        expect("*** FAULT" not in g.log, "the fault was not contained")
    finally:
        g.kill()


def test_drivers_tables_follow_running_modules():
    g = drv_util.drv_guest("e1000", modules=["statecount"]).start()
    try:
        g.wait_for(net_util.ADDR_RE, BOOT_TIMEOUT)
        c = net_util.EchoClient(g.echo_port)
        expect(c.wait_ready(20), "no echo on port 7")
        with tempfile.TemporaryDirectory() as tmp:
            key = drv_util.key_file(tmp)
            eu.ctl(g.ep_port, "ping", key_file=key, timeout_ms=1000, retries=10, check_rc=0)
            # Another module's table under e1000's name: refused, not used.
            p = eu.ctl(g.ep_port, "swap", "nicrogue", harness.module_path("nicrogue"),
                       key_file=key, timeout_ms=1000, retries=3)
            expect(p.returncode == 1 and "EINIT" in p.stderr, "nicrogue load: %r" % (p,))
            g.wait_for(r"net: driver table e1000 rejected: its ops are another module's code", 5)
            expect(c.wait_ready(10), "no echo after the refused table")
            # A swap of the bound driver undone by another item's failure.
            p = eu.ctl(g.ep_port, "swap", "e1000", harness.module_path("e1000_v2"), "statecount",
                       harness.module_path("statecount_fail"), key_file=key, timeout_ms=1000,
                       retries=3)
            expect(p.returncode == 1 and "swap rolled back" in p.stderr, "swap: %r" % (p,))
            expect(c.wait_ready(10), "no echo after the undone swap")
            eu.ctl(g.ep_port, "ping", key_file=key, timeout_ms=1000, retries=10, check_rc=0)
            expect(eu.ls_versions(g.ep_port, key)["e1000"] == "1.0", "ls does not show 1.0")
            # A table never taken back, its module unloaded: dropped.
            eu.ctl(g.ep_port, "swap", "nicrogue", harness.module_path("nicrogue_stray"),
                   key_file=key, timeout_ms=1000, retries=3, check_rc=0)
            g.wait_for(r"net: driver table nicrogue rejected: module nicrogue registered one "
                       r"already", 5)
            g.wait_for(r"nicrogue: second table: EEXIST", 5)
            eu.ctl(g.ep_port, "rollback", "--unload", "nicrogue", key_file=key,
                   timeout_ms=1000, retries=3, check_rc=0)
            g.wait_for(r"net: driver table nicrogue dropped: no running version of module nicrogue", 5)
            eu.ctl(g.ep_port, "swap", "--expect", "1.0", "e1000",
                   harness.module_path("e1000_v2"), key_file=key, timeout_ms=1000, retries=3,
                   check_rc=0)
            g.wait_for(r"net: driver e1000 2\.0 " + PROOF, 10)
            hist = eu.ctl(g.ep_port, "history", key_file=key, check_rc=0).stdout
            expect(not re.search(r"restart +e1000", hist), "history: %s" % hist)
        expect(c.wait_ready(10), "no echo at the end")
        c.close()
        expect(not re.search(net_util.FATAL_RE + r"|fault: |faulted", g.log), "fault in the log")
    finally:
        g.kill()


def test_drivers_attach_result_named():
    g = drv_util.drv_guest("e1000", "nic=nicrogue", modules=["nicrogue_badret"]).start()
    try:
        g.wait_for(r"8086:100e 82540EM bound to driver module e1000 1\.0", BOOT_TIMEOUT)
        want = (r"ERROR net: driver nicrogue 3\.0-badret: attach returned 12345, not TH_OK or an "
                r"error code; taken as EIO")
        expect(len(re.findall(want, g.log)) == 1, "the attach result is not named once")
        expect(len(re.findall(r"driver nicrogue: EIO", g.log)) == 1, "nicrogue not tried once")
        g.wait_for(net_util.ADDR_RE, BOOT_TIMEOUT)
        c = net_util.EchoClient(g.echo_port)
        expect(c.wait_ready(20), "no echo on port 7")
        c.close()
    finally:
        g.kill()


def test_drivers_dma_bounded():
    g = drv_util.drv_guest("e1000", "nic=nicrogue", modules=["nicrogue_dmahog"]).start()
    try:
        g.wait_for(r"8086:100e 82540EM bound to driver module e1000 1\.0", BOOT_TIMEOUT)
        want = (r"ERROR net: driver nicrogue 4\.0-dmahog: th_nic_dma region 5 of 4194304 bytes "
                r"refused \(EFULL\): the NIC's DMA memory would exceed 16777216 bytes "
                r"\(TH_NIC_DMA_MAX; 12591104 in use\)")
        expect(len(re.findall(want, g.log)) == 1, "the DMA refusal is not named once")
        expect("nicrogue: dma region 5 refused: EFULL after 12591104 bytes" in g.log,
               "the hog's refusal is not EFULL")
        expect(len(re.findall(r"driver nicrogue: EFULL", g.log)) == 1, "nicrogue not tried once")
        g.wait_for(net_util.ADDR_RE, BOOT_TIMEOUT)
        c = net_util.EchoClient(g.echo_port)
        expect(c.wait_ready(20), "no echo on port 7")
        c.close()
        expect(not re.search(net_util.FATAL_RE + r"|fault: ", g.log), "fault in the log")
    finally:
        g.kill()


def test_drivers_driver_without_irq_is_polled():
    g = drv_util.drv_guest("e1000").start()
    try:
        g.wait_for(r"8086:100e 82540EM bound to driver module e1000 1\.0 \(irq line \d+\)",
                   BOOT_TIMEOUT)
        g.wait_for(net_util.ADDR_RE, BOOT_TIMEOUT)
        c = net_util.EchoClient(g.echo_port)
        expect(c.wait_ready(20), "no echo on port 7")
        with tempfile.TemporaryDirectory() as tmp:
            key = drv_util.key_file(tmp)
            eu.ctl(g.ep_port, "swap", "--expect", "1.0", "e1000",
                   harness.module_path("e1000_noirq"), key_file=key, timeout_ms=1000, retries=3,
                   check_rc=0)
            g.wait_for(r"net: driver e1000 4\.0-noirq has no irq op: the NIC is polled", 10)
            g.wait_for(r"net: driver e1000 4\.0-noirq " + PROOF, 10)
            ok = sum(1 for i in range(50) if c.echo(b"noirq-%d" % i)[1] is not None)
            expect(ok == 50, "%d/50 echoes with the polled driver" % ok)
        c.close()
        expect("interrupt storm" not in g.log, "interrupt storm in the log")
        expect(not re.search(net_util.FATAL_RE + r"|fault: ", g.log), "fault in the log")
    finally:
        g.kill()
    echo_port = harness.free_port()
    g = harness.Guest(cmdline="exit=never", nic="e1000e", hostfwd=[("udp", echo_port, 7)],
                      nic_modules=["e1000_noirq", "echo"], label="e1000e with e1000_noirq").start()
    try:
        g.wait_for(r"8086:10d3 82574L bound to driver module e1000 4\.0-noirq \(polled: the "
                   r"driver has no irq op\)", BOOT_TIMEOUT)
        g.wait_for(net_util.ADDR_RE, BOOT_TIMEOUT)
        c = net_util.EchoClient(echo_port)
        expect(c.wait_ready(20), "no echo on port 7")
        c.close()
        expect("interrupt storm" not in g.log, "interrupt storm in the log")
    finally:
        g.kill()


def test_drivers_nic_moves_between_driver_modules():
    g = drv_util.drv_guest("e1000", "nic=e1000", modules=["e1000alt"]).start()
    try:
        g.wait_for(r"8086:100e 82540EM bound to driver module e1000 1\.0", BOOT_TIMEOUT)
        g.wait_for(net_util.ADDR_RE, BOOT_TIMEOUT)
        c = net_util.EchoClient(g.echo_port)
        expect(c.wait_ready(20), "no echo on port 7")
        with tempfile.TemporaryDirectory() as tmp:
            key = drv_util.key_file(tmp)
            for gone, taker in (("e1000", "e1000alt"), ("e1000alt", "e1000")):
                if taker == "e1000":
                    eu.ctl(g.ep_port, "swap", "e1000", harness.module_path("e1000"),
                           key_file=key, timeout_ms=1000, retries=3, check_rc=0)
                eu.ctl(g.ep_port, "rollback", "--unload", gone, key_file=key, timeout_ms=1500,
                       retries=4, check_rc=0)
                g.wait_for(r"net: driver %s unloaded: 8086:100e goes to driver module %s 1\.0"
                           % (gone, taker), 10)
                info = eu.ctl(g.ep_port, "info", key_file=key, timeout_ms=1000, retries=4,
                              check_rc=0).stdout
                expect(re.search(r"^nic +8086:100e 82540EM, driver module %s 1\.0$" % taker,
                                 info, re.M), "info: %s" % info)
                expect(c.wait_ready(10), "no echo with %s" % taker)
        c.close()
        expect(not re.search(net_util.FATAL_RE + r"|fault: ", g.log), "fault in the log")
    finally:
        g.kill()


def test_drivers_rx_outside_poll_refused():
    g = drv_util.drv_guest("e1000").start()
    try:
        g.wait_for(net_util.ADDR_RE, BOOT_TIMEOUT)
        c = net_util.EchoClient(g.echo_port)
        expect(c.wait_ready(20), "no echo on port 7")
        with tempfile.TemporaryDirectory() as tmp:
            key = drv_util.key_file(tmp)
            eu.ctl(g.ep_port, "swap", "--expect", "1.0", "e1000",
                   harness.module_path("e1000_irqrx"), key_file=key, timeout_ms=1000, retries=3,
                   check_rc=0)
            ok = sum(1 for i in range(50) if c.echo(b"irqrx-%d" % i)[1] is not None)
            expect(ok == 50, "%d/50 echoes" % ok)
            want = (r"ERROR net: driver e1000 6\.0-irqrx: th_nic_rx outside poll refused")
            g.wait_for(want, 5)
            expect(len(re.findall(want, g.log)) == 1, "not named once")
            info = json.loads(eu.ctl(g.ep_port, "--json", "info", key_file=key,
                                     check_rc=0).stdout)
            ctr = info["nic"]["counters"]
            expect(ctr["rx_errors"] > 0 and ctr["rx_errors"] <= ctr["irqs"], "counters: %s" % ctr)
        c.close()
        expect(not re.search(net_util.FATAL_RE + r"|fault: ", g.log), "fault in the log")
    finally:
        g.kill()


def test_drivers_both_drivers_one_device():
    g = drv_util.drv_guest("virtio").start()
    try:
        g.wait_for(r"virtio-net \(legacy\) bound to driver module virtio_net 1\.0", BOOT_TIMEOUT)
        ready = g.wait_for(r"theseus: ready:[^\r\n]*(?=\r?\n)", BOOT_TIMEOUT).group(0)
        n = len(harness.NET_MODULES)
        expect("%d of %d boot modules loaded" % (n, n) in ready, ready)
        expect("(virtio_net)" in ready, ready)
        c = net_util.EchoClient(g.echo_port)
        expect(c.wait_ready(20), "no echo on port 7")
        c.close()
        with tempfile.TemporaryDirectory() as tmp:
            key = drv_util.key_file(tmp)
            v = eu.ls_versions(g.ep_port, key)
            expect(v.get("e1000") == "1.0" and v.get("virtio_net") == "1.0" and
                   v.get("echo") == "1.0", "ls: %s" % v)
            info = json.loads(eu.ctl(g.ep_port, "--json", "info", key_file=key,
                                     check_rc=0).stdout)
            nic = dict(info["nic"])
            counters = nic.pop("counters", None)   # the NIC's counters: present, values vary
            expect(nic == {"pci_id": "1af4:1000", "model": "virtio-net (legacy)",
                           "driver": "virtio_net", "driver_version": "1.0"}
                   and isinstance(counters, dict) and counters.get("rx_packets", 0) > 0,
                   "info --json: nic %s" % info.get("nic"))
            human = eu.ctl(g.ep_port, "info", key_file=key, check_rc=0).stdout
            want = r"^nic +1af4:1000 virtio-net \(legacy\), driver module virtio_net 1\.0$"
            expect(re.search(want, human, re.M), "info: %s" % human)
        expect(not re.search(r"(INFO|WARN|ERROR) +e1000: ", g.log),
               "the idle e1000 driver touched a device")
    finally:
        g.kill()


if __name__ == "__main__":
    names = [n for n in sorted(globals()) if n.startswith("test_")]
    only = sys.argv[1] if len(sys.argv) > 1 else ""
    failed = 0
    for n in names:
        if only not in n:
            continue
        try:
            globals()[n]()
            print("PASS", n, flush=True)
        except Exception as e:   # noqa: BLE001 - report and go on
            failed += 1
            print("FAIL", n, e, flush=True)
        finally:
            harness.kill_guests()
    sys.exit(1 if failed else 0)
