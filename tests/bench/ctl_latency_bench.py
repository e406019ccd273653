#!/usr/bin/env python3
"""ctl_latency_bench.py - `make bench`: how long one theseusctl command takes
against a booted guest, with and without the session cache.

Boots one guest (e1000, key configured) and runs `theseusctl ping` and
`theseusctl info` CTL_LATENCY_RUNS (20) times each as new processes (as a
user or a fleet script does), interleaved: with THESEUS_SESSION_CACHE=off
(every process learns the epoch: a sealed ESTALE, then the resend) and with
a cache file of the bench's own (filled by one command first: no learning
round trip).  Reported: the median wall time of each ("ping_nocache_ms",
"ping_cache_ms", "info_nocache_ms", "info_cache_ms", process start to exit,
mostly the process's own start-up on a local guest), the median time its
request took ("..._call_ms", from THESEUSCTL_TRACE: the round trips), and
"RATIO ctl_latency ping cache/nocache", "... ping_call ...", "... info ...".
CTL_LATENCY_BASELINE=PATH also times another theseusctl binary (e.g. one
built before the cache) the same way ("ping_baseline_ms", ...).  A
measurement, never a pass/fail test.
"""
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "qemu"))
import endpoint_util as eu  # noqa: E402
import harness  # noqa: E402

RUNS = int(os.environ.get("CTL_LATENCY_RUNS", "20"))
MODULES = ["checksum", "kv", "logfmt", "hello"]


def timed(ctl, port, key_file, cache, cmd):
    """(wall time of the process, time in its calls as THESEUSCTL_TRACE says)"""
    env = dict(os.environ, THESEUS_SESSION_CACHE=cache, THESEUSCTL_TRACE="1")
    t0 = time.perf_counter()
    p = subprocess.run([ctl, "-H", "127.0.0.1:%d" % port, "--key-file", key_file, "-q", cmd],
                       capture_output=True, text=True, env=env, timeout=60)
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        raise RuntimeError("%s %s: exit %d: %s" % (ctl, cmd, p.returncode, p.stderr.strip()))
    calls = sum(float(m) for m in re.findall(r"call kind \d+: \d+ sent, \d+ expired, ([0-9.]+) ms",
                                             p.stderr))
    return dt, calls / 1e3


def main():
    for f in (harness.KERNEL, eu.CTL):
        if not os.path.exists(f):
            print("BENCH ctl_latency error 1 missing_%s" % os.path.basename(f))
            return 1
    tmp = tempfile.mkdtemp(prefix="ctl-latency-")
    key_file = os.path.join(tmp, "key")
    key_hex = eu.keygen(key_file)
    cache = os.path.join(tmp, "sessions")
    port = harness.free_port()
    variants = [("nocache", eu.CTL, "off"), ("cache", eu.CTL, cache)]
    base = os.environ.get("CTL_LATENCY_BASELINE")
    if base:
        variants.append(("baseline", base, "off"))
    g = harness.Guest(cmdline="loglevel=warn key=%s" % key_hex, modules=MODULES, nic="e1000",
                      hostfwd=[("udp", port, 7700)], label="ctl_latency_bench").start()
    try:
        g.wait_for(r"theseus: ready:", 60)
        for name, ctl, c in variants:   # warm up; fills the cache
            timed(ctl, port, key_file, c, "ping")
        times = {(cmd, name): [] for cmd in ("ping", "info") for name, _, _ in variants}
        for _ in range(RUNS):
            for cmd in ("ping", "info"):
                for name, ctl, c in variants:
                    times[(cmd, name)].append(timed(ctl, port, key_file, c, cmd))
    finally:
        g.kill()
    for (cmd, name), tc in sorted(times.items()):
        ts = [t for t, _ in tc]
        print("BENCH ctl_latency %s_%s_ms %.2f ms median of %d (min %.2f, max %.2f)"
              % (cmd, name, statistics.median(ts) * 1e3, len(ts), min(ts) * 1e3,
                 max(ts) * 1e3))
        print("BENCH ctl_latency %s_%s_call_ms %.3f ms median of %d, its request's time "
              "(THESEUSCTL_TRACE)" % (cmd, name, statistics.median(c for _, c in tc) * 1e3,
                                      len(tc)))
    for cmd in ("ping", "info"):
        for what, k in (("", 0), ("_call", 1)):
            print("RATIO ctl_latency %s%s cache/nocache %.2f"
                  % (cmd, what, statistics.median(x[k] for x in times[(cmd, "cache")]) /
                     statistics.median(x[k] for x in times[(cmd, "nocache")])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
