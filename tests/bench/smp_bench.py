#!/usr/bin/env python3
"""smp_bench.py - the stop-the-world pause of a live swap with 1, 2 and 4 CPUs
(issue 20): boots the test image with QEMU -smp N (TCG) and selftest=swapstress
(hello swapped 100 times under a calling task); the kernel prints the median
and largest pause of the swaps its history keeps, and how much of all stops
was spent waiting for the other CPUs to park.  Under TCG on a 2-core host the
vCPUs share the host's cores, so these are the emulator's numbers, not a
lab machine's.  Prints "BENCH smp <metric> <value> <unit>" lines."""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "qemu"))
import harness  # noqa: E402

MODULES = ["logfmt", "hello", "hello_v2", "hello_broken", "swapcaller"]


def main():
    for cpus in (1, 2, 4):
        harness.reset_guests()
        g = harness.Guest(cmdline="selftest=swapstress swapsrc=hello_v2,hello_broken", modules=MODULES,
                          kernel=harness.TEST_KERNEL, extra_args=["-smp", str(cpus)],
                          label=f"smp bench {cpus}").start()
        try:
            g.wait_for(r"selftest swapstress: (PASS|FAIL)", 300)
            log = g.log
        finally:
            harness.kill_guests()
        m = re.search(r"pause per swap over (\d+) swaps on (\d+) CPUs: median (\d+) us, max (\d+) us", log)
        s = re.search(r"(\d+) stops, (\d+) us stopped in all, (\d+) us of it waiting", log)
        if not m or not s or "selftest swapstress: PASS" not in log:
            print(f"smp bench: {cpus} CPUs: swapstress did not pass; no figures")
            continue
        print(f"BENCH smp swap_pause_median_{cpus}cpu {m.group(3)} us")
        print(f"BENCH smp swap_pause_max_{cpus}cpu {m.group(4)} us")
        stops, total, wait = int(s.group(1)), int(s.group(2)), int(s.group(3))
        print(f"BENCH smp park_wait_share_{cpus}cpu {100.0 * wait / total if total else 0:.1f} %")
        print(f"BENCH smp stops_{cpus}cpu {stops} count")


if __name__ == "__main__":
    main()
