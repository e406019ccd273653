#!/usr/bin/env python3
"""drvswap_bench.py - `make bench`: the echo outage while the NIC driver is
swapped live over the network through itself (README "NIC drivers are
modules").  For e1000 and virtio-net: a stream of numbered echoes (one every
SWAP_BENCH_INTERVAL_MS, default 1 ms) runs while theseusctl swaps the driver
to its _v2 and rolls it back, DRVSWAP_BENCH_CYCLES times (default 3).  The
outage is the longest time between two answered echoes minus the send
interval; the same stream for a second without any swap gives the baseline
(host scheduling and slirp jitter).  Lost = echoes never answered.

Prints "BENCH drvswap <metric> <value> <unit>" lines.
"""
import os
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(TOP, "tests", "qemu"))
import drv_util  # noqa: E402
import endpoint_util as eu  # noqa: E402
import harness  # noqa: E402
import net_util  # noqa: E402

CYCLES = int(os.environ.get("DRVSWAP_BENCH_CYCLES", "3"))
INTERVAL = float(os.environ.get("SWAP_BENCH_INTERVAL_MS", "1")) / 1000


def measure(nic, module):
    g = drv_util.drv_guest(nic).start()
    try:
        g.wait_for(net_util.ADDR_RE, 60)
        c = net_util.EchoClient(g.echo_port)
        if not c.wait_ready(20):
            raise RuntimeError("no echo")
        c.close()
        with tempfile.TemporaryDirectory() as tmp:
            key = drv_util.key_file(tmp)
            eu.ctl(g.ep_port, "ping", key_file=key, check_rc=0)
            base = drv_util.EchoStream(g.echo_port, INTERVAL).start()
            time.sleep(1.0)
            base.stop(drain=0.5)
            outages, lost, sent = [], 0, 0
            for _ in range(CYCLES):
                for args in (("swap", module, harness.module_path(module + "_v2")),
                             ("rollback", module)):
                    s = drv_util.EchoStream(g.echo_port, INTERVAL).start()
                    time.sleep(0.2)
                    eu.ctl(g.ep_port, *args, key_file=key, check_rc=0)
                    time.sleep(0.4)
                    n, l = s.stop(drain=0.5)
                    outages.append(s.longest_outage())
                    lost += l
                    sent += n
        return base.longest_outage(), outages, lost, sent
    finally:
        g.kill()


def main():
    if not os.path.exists(harness.KERNEL):
        print("BENCH drvswap error 1 kernel_missing")
        return
    for nic, module in (("e1000", "e1000"), ("virtio", "virtio_net")):
        try:
            base, outages, lost, sent = measure(nic, module)
        except Exception as e:   # noqa: BLE001 - a benchmark reports, never fails
            print("BENCH drvswap %s_error 1 flag  # %s" % (module, e))
            continue
        outages.sort()
        median = outages[len(outages) // 2]
        print("BENCH drvswap %s_outage_median %.2f ms" % (module, median * 1000))
        print("BENCH drvswap %s_outage_max %.2f ms" % (module, outages[-1] * 1000))
        print("BENCH drvswap %s_baseline_gap_max %.2f ms" % (module, base * 1000))
        print("BENCH drvswap %s_lost %d echoes_of_%d" % (module, lost, sent))
        print("   %s: %d driver switch-overs (swap to 2.0, rollback), echo every %.1f ms: "
              "outage median %.2f ms, max %.2f ms (no-swap baseline %.2f ms), %d of %d lost"
              % (module, len(outages), INTERVAL * 1000, median * 1000,
                 outages[-1] * 1000, base * 1000, lost, sent))


if __name__ == "__main__":
    main()
