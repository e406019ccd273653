#!/usr/bin/env python3
"""downtime_bench.py - `make bench`: what a running workload sees of live swaps.

Boots one guest (virtio-net, key configured, hello 1.0 loaded), pushes
hello 1.0 and 2.0, then runs a workload thread that loops forever over
  echo     64 bytes to the echo service (UDP 7), one in flight
  invoke   `hello.hello_greet_invoke` through the endpoint, one in flight
each answered within DOWNTIME_TIMEOUT_S (1 s) or counted as failed (no
resend: a lost reply is a failure, not hidden).  First DOWNTIME_QUIET_S (2)
seconds without swaps, then DOWNTIME_SWAPS (100) swaps back and forth
between hello 1.0 and 2.0, one after the other, from a second client.

Prints "BENCH downtime ..." lines: per workload the requests, failures and
p50/p99 latency without swaps and during them; the swaps done and their
median round trip.  Writes every request to build/bench/downtime.csv
(t_s, phase, kind, latency_ms, ok) and the swap times to
build/bench/downtime_swaps.csv (t_s, rtt_ms), which tests/bench/plot.py
draws as a timeline.  A measurement, never a pass/fail test.
"""
import hashlib
import os
import socket
import statistics
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "qemu"))
import endpoint_util as eu  # noqa: E402
import harness  # noqa: E402

SWAPS = int(os.environ.get("DOWNTIME_SWAPS", "100"))
QUIET_S = float(os.environ.get("DOWNTIME_QUIET_S", "2"))
TIMEOUT_S = float(os.environ.get("DOWNTIME_TIMEOUT_S", "1"))
NIC = os.environ.get("DOWNTIME_NIC", "virtio")
OUT_DIR = os.path.join(harness.BUILD, "bench")


def pct(xs, q):
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


class Workload(threading.Thread):
    """echo then invoke, again and again; records (t, phase, kind, ms, ok)."""

    def __init__(self, echo_port, ep_port, key, t0):
        super().__init__(daemon=True)
        self.echo = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.echo.settimeout(TIMEOUT_S)
        self.echo_addr = ("127.0.0.1", echo_port)
        self.inv = eu.RawClient(ep_port, key=key, timeout=TIMEOUT_S)
        self.inv.learn_epoch()
        self.t0 = t0
        self.phase = "quiet"
        self.rows = []
        self.stop = threading.Event()

    def one_echo(self, n):
        payload = b"d%07d" % n + b"." * 56
        self.echo.sendto(payload, self.echo_addr)
        deadline = time.perf_counter() + TIMEOUT_S
        while True:
            try:
                if self.echo.recv(2048) == payload:
                    return True
            except OSError:
                return False
            if time.perf_counter() > deadline:
                return False

    def one_invoke(self):
        c = self.inv
        cnt = c.next_counter()
        r = c.raw(eu.envelope(eu.req_invoke(b"hello", b"hello_greet_invoke"), key=c.key,
                              client_id=c.client_id, counter=cnt, epoch=c.epoch),
                  retries=1, want_counter=cnt, bind=(c.key, c.client_id, cnt, c.epoch))
        return r is not None and r.sealed and r.status == 0

    def run(self):
        n = 0
        while not self.stop.is_set():
            for kind in ("echo", "invoke"):
                t = time.perf_counter()
                ok = self.one_echo(n) if kind == "echo" else self.one_invoke()
                dt = time.perf_counter() - t
                self.rows.append((t - self.t0, self.phase, kind, dt * 1e3, ok))
                n += 1
        self.echo.close()
        self.inv.close()


def main():
    for f in (harness.KERNEL, eu.CTL, harness.module_path("hello_v2")):
        if not os.path.exists(f):
            print("BENCH downtime error 1 missing_%s" % os.path.basename(f))
            return 1
    tmp = tempfile.mkdtemp(prefix="downtime-bench-")
    key_file = os.path.join(tmp, "key")
    key_hex = eu.keygen(key_file)
    key = bytes.fromhex(key_hex)
    ep_port, echo_port = harness.free_port(), harness.free_port()
    g = harness.Guest(cmdline="loglevel=warn nic=%s key=%s" % (NIC, key_hex),
                      modules=["checksum", "kv", "logfmt", "hello"], nic=NIC,
                      hostfwd=[("udp", ep_port, 7700), ("udp", echo_port, 7)],
                      label="downtime_bench").start()
    try:
        g.wait_for(r"theseus: ready:", 60)
        shas = {}
        for name, ver in (("hello", "1.0"), ("hello_v2", "2.0")):
            path = harness.module_path(name)
            shas[ver] = hashlib.sha256(open(path, "rb").read()).digest()
            eu.ctl(ep_port, "-q", "push", path, key_file=key_file, check_rc=0)
        t0 = time.perf_counter()
        w = Workload(echo_port, ep_port, key, t0)
        w.start()
        time.sleep(QUIET_S)
        w.phase = "swaps"
        swapper = eu.RawClient(ep_port, key=key, timeout=5.0)
        swap_rows, cur = [], "1.0"
        for _ in range(SWAPS):
            nxt = "2.0" if cur == "1.0" else "1.0"
            t = time.perf_counter()
            r = swapper.call(eu.req_swap([("hello", cur, shas[nxt])]))
            dt = time.perf_counter() - t
            if r.status != 0:
                raise RuntimeError("swap %s -> %s: status %d %s" % (cur, nxt, r.status,
                                                                   r.message))
            swap_rows.append((t - t0, dt * 1e3))
            cur = nxt
        w.phase = "after"
        time.sleep(0.2)
        w.stop.set()
        w.join(10)
        swapper.close()
    except Exception as e:  # noqa: BLE001 - a benchmark reports, never fails the run
        print("BENCH downtime error 1 %s" % str(e).replace(" ", "_")[:80])
        return 1
    finally:
        g.kill()

    os.makedirs(OUT_DIR, exist_ok=True)
    with open(os.path.join(OUT_DIR, "downtime.csv"), "w") as f:
        f.write("# t_s phase kind latency_ms ok\n")
        for t, ph, kind, ms, ok in w.rows:
            f.write("%.6f %s %s %.3f %d\n" % (t, ph, kind, ms, ok))
    with open(os.path.join(OUT_DIR, "downtime_swaps.csv"), "w") as f:
        f.write("# t_s rtt_ms\n")
        for t, ms in swap_rows:
            f.write("%.6f %.3f\n" % (t, ms))
    print("BENCH downtime %s_swaps %d swaps" % (NIC, len(swap_rows)))
    print("BENCH downtime %s_swap_rtt_p50 %.3f ms" % (NIC, statistics.median(ms for _, ms in swap_rows)))
    for kind in ("echo", "invoke"):
        for ph in ("quiet", "swaps"):
            rows = [r for r in w.rows if r[1] == ph and r[2] == kind]
            lat = [r[3] for r in rows if r[4]]
            print("BENCH downtime %s_%s_%s_requests %d requests" % (NIC, kind, ph, len(rows)))
            print("BENCH downtime %s_%s_%s_failed %d requests"
                  % (NIC, kind, ph, sum(1 for r in rows if not r[4])))
            print("BENCH downtime %s_%s_%s_p50 %.3f ms" % (NIC, kind, ph, pct(lat, 0.5)))
            print("BENCH downtime %s_%s_%s_p99 %.3f ms" % (NIC, kind, ph, pct(lat, 0.99)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
