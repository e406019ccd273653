#!/usr/bin/env python3
"""rollout_bench.py - `make bench`: the wall time of `theseusctl rollout`
over 256 host endpoints (build/tests/endpoint_udpd, one daemon per port on
127.0.0.1, no kernel) in waves 1,10%,100% with an invoke health check, at
the default -j 8 and at -j 32; and the repeat that finds every host done.
A measurement, never a pass/fail test.

Prints "BENCH rollout <metric> <value> <unit>" lines.
"""
import os
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(TOP, "build")
CTL = os.path.join(BUILD, "theseusctl")
UDPD = os.path.join(BUILD, "tests", "endpoint_udpd")
HOSTS = int(os.environ.get("ROLLOUT_BENCH_HOSTS", "256"))
WAVES = "1,10%,100%"


def start_daemons(n, key_file, tmp):
    procs, ports = [], []
    for i in range(n):
        out = open(os.path.join(tmp, "udpd%d.out" % i), "w+")
        procs.append((subprocess.Popen([UDPD, "--key-file", key_file], stdout=out,
                                       stderr=subprocess.DEVNULL), out))
    for p, out in procs:
        deadline = time.time() + 10
        while True:
            out.seek(0)
            line = out.readline()
            if line.startswith("READY"):
                ports.append(int(line.split()[1]))
                break
            if time.time() > deadline or p.poll() is not None:
                raise RuntimeError("endpoint_udpd did not start")
            time.sleep(0.01)
    return [p for p, _ in procs], ports


def rollout(key_file, hosts, obj, jobs):
    t0 = time.perf_counter()
    p = subprocess.run([CTL, "--key-file", key_file, "--hosts", hosts, "-j", str(jobs), "-q",
                        "rollout", "--waves", WAVES, "--check", "hello_greet_invoke", "hello", obj],
                       capture_output=True, text=True)
    ms = (time.perf_counter() - t0) * 1000
    if p.returncode != 0:
        print("   rollout exit %d: %s" % (p.returncode, p.stderr.strip()[-500:]))
    return ms


def main():
    for f in (CTL, UDPD):
        if not os.path.exists(f):
            print("   %s missing: run make" % f)
            return 1
    tmp = tempfile.mkdtemp(prefix="rollout-bench-")
    key_file = os.path.join(tmp, "key")
    subprocess.run([CTL, "-q", "keygen", key_file], check=True)
    procs, ports = start_daemons(HOSTS, key_file, tmp)
    try:
        hosts = os.path.join(tmp, "hosts")
        with open(hosts, "w") as f:
            f.write("".join("127.0.0.1:%d\n" % p for p in ports))
        for jobs, version in ((8, "1.1"), (32, "1.2")):
            obj = os.path.join(tmp, "hello_%s" % version)
            with open(obj, "wb") as f:
                f.write(b"VERSION=" + version.encode() + b"\n" + os.urandom(16384))
            ms = rollout(key_file, hosts, obj, jobs)
            print("BENCH rollout hosts%d_waves_1_10_100_j%d %.1f ms" % (HOSTS, jobs, ms))
            ms = rollout(key_file, hosts, obj, jobs)
            print("BENCH rollout hosts%d_repeat_all_done_j%d %.1f ms" % (HOSTS, jobs, ms))
    finally:
        for p in procs:
            p.kill()
        for p in procs:
            p.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
