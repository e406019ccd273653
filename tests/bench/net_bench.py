#!/usr/bin/env python3
"""net_bench.py - network benchmark for `make bench`: for e1000 and virtio-net,
boots the kernel (QEMU user networking, loopback host forward to the UDP echo
service) and measures
  rtt        echo round trip of 64-byte datagrams, one at a time (median, p99)
  throughput 1472-byte datagrams into the guest, with up to WINDOW echoes
             outstanding; counts the echoed payload bytes per second
Prints "BENCH net <metric> <value> <unit>" lines and a side-by-side table.
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "qemu"))
import harness  # noqa: E402
from net_util import EchoClient, net_guest  # noqa: E402

RTT_SAMPLES = int(os.environ.get("NET_BENCH_RTT", "2000"))
TPUT_SECONDS = float(os.environ.get("NET_BENCH_SECONDS", "3"))
WINDOW = 32


def rtt_bench(client):
    rtts = []
    for i in range(RTT_SAMPLES):
        payload = (b"%08d" % i) * 8
        _, rtt = client.echo(payload, retries=1)
        if rtt is not None:
            rtts.append(rtt * 1e6)
    rtts.sort()
    if not rtts:
        return None, None, RTT_SAMPLES
    return rtts[len(rtts) // 2], rtts[min(len(rtts) - 1, int(len(rtts) * 0.99))], RTT_SAMPLES - len(rtts)


def tput_bench(client):
    size = 1472
    payload = b"x" * size
    sock = client.sock
    sock.settimeout(0.2)
    outstanding = 0
    sent = received = 0
    end = time.perf_counter() + TPUT_SECONDS
    t0 = time.perf_counter()
    while time.perf_counter() < end:
        while outstanding < WINDOW:
            sock.sendto(payload, client.addr)
            sent += 1
            outstanding += 1
        try:
            sock.recv(65536)
            received += 1
            outstanding -= 1
        except OSError:
            outstanding = 0      # lost datagrams: reopen the window
    dt = time.perf_counter() - t0
    client.drain()
    return received * size * 8 / dt / 1e6, received / dt, sent - received


def bench_nic(nic):
    g = net_guest(nic, cmdline="loglevel=warn nic=%s" % nic).start()
    try:
        client = EchoClient(g.host_port, timeout=0.5)
        if not client.wait_ready(60):
            return None
        med, p99, lost = rtt_bench(client)
        mbps, pps, unanswered = tput_bench(client)
        client.close()
    finally:
        g.kill()
    return {"rtt_median_us": med, "rtt_p99_us": p99, "rtt_lost": lost,
                "throughput_mbit": mbps, "throughput_pps": pps, "tput_unanswered": unanswered}


def main():
    if not os.path.exists(os.environ.get("NET_TEST_KERNEL", harness.KERNEL)):
        print("BENCH net error 1 kernel_missing")
        return 1
    nics = [a for a in sys.argv[1:] if a in ("e1000", "virtio")] or ["e1000", "virtio"]
    results = {}
    for nic in nics:
        results[nic] = bench_nic(nic)
        r = results[nic]
        if r is None:
            print("BENCH net %s_unreachable 1 flag" % nic)
            continue
        print("BENCH net %s_rtt_median %.0f us" % (nic, r["rtt_median_us"] or 0))
        print("BENCH net %s_rtt_p99 %.0f us" % (nic, r["rtt_p99_us"] or 0))
        print("BENCH net %s_rtt_lost %d datagrams" % (nic, r["rtt_lost"]))
        print("BENCH net %s_echo_throughput %.1f Mbit/s" % (nic, r["throughput_mbit"]))
        print("BENCH net %s_echo_rate %.0f datagrams/s" % (nic, r["throughput_pps"]))
        sys.stdout.flush()
    print("%-24s" % "metric" + "".join("%14s" % n for n in nics))
    for key, fmt in (("rtt_median_us", "%.0f"), ("rtt_p99_us", "%.0f"), ("throughput_mbit", "%.1f"),
                     ("throughput_pps", "%.0f")):
        row = "%-24s" % key
        for n in nics:
            v = results[n][key] if results[n] else None
            row += "%14s" % (fmt % v if v is not None else "-")
        print(row)
    return 0


if __name__ == "__main__":
    sys.exit(main())
