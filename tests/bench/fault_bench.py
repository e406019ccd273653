#!/usr/bin/env python3
"""fault_bench.py - the fault injection campaign's one summary line in `make
bench`: a short run of tests/bench/faultbench.py (FAULTBENCH_BENCH_FAULTS,
default 100 faults, 20 of them bit flips; details in
build/bench/faultbench-short.*).  The full campaign is `make faultbench`.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faultbench  # noqa: E402


def main():
    n = int(os.environ.get("FAULTBENCH_BENCH_FAULTS", "100"))
    stats, _ = faultbench.run(n, name="faultbench-short")
    print("BENCH faultbench survival %.1f %% (recovered %.1f %%, %d faults, %d bit flips, "
          "%d kernel deaths, recover median %.0f ms p99 %.0f ms, statedb counter %s)"
          % (100.0 * stats["served"] / n, 100.0 * stats["recovered"] / n, n, stats["bitflips"],
             stats["kernel_deaths"], stats["recover_ms_median"], stats["recover_ms_p99"],
             "consistent" if stats["statedb_counter_consistent"] else "INCONSISTENT"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
