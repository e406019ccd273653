#!/usr/bin/env python3
"""test_bench_results.py - `make bench`'s results files as the README
describes them (no guest: a fake benchmark through tests/bench/run):
results.txt holds the BENCH and RATIO lines, results.json is strict JSON
({"bench": {suite: {metric: {"value", "unit", "note"}}}, "ratios",
"date", "host", "cpus", "accel"}) even when a benchmark measured nothing
("nan": before, results.json then held NaN, which no strict parser takes),
and --only (BENCH_ONLY) runs one benchmark alone.
"""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import expect  # noqa: E402

FAKE = """#!/bin/sh
echo "BENCH fake p50 nan ms"
echo "BENCH fake p99 inf ms"
echo "BENCH fake rtt 1.5 ms median of 3"
echo "RATIO fake quiet/flooded nan"
echo "RATIO fake push/raw 0.5"
"""


def _strict(text):
    def no_constant(name):
        raise ValueError("not strict JSON: %s" % name)
    return json.loads(text, parse_constant=no_constant)


def test_bench_results_strict_json():
    tmp = tempfile.mkdtemp(prefix="theseus-bench-")
    fake = os.path.join(tmp, "fake_bench.sh")
    with open(fake, "w") as f:
        f.write(FAKE)
    os.chmod(fake, 0o755)
    out = os.path.join(tmp, "out", "results.txt")
    p = subprocess.run([sys.executable, os.path.join(harness.TOP, "tests", "bench", "run"),
                        "--out", out, "--only", "fake_bench", fake],
                       capture_output=True, text=True, timeout=120)
    expect(p.returncode == 0, "bench run: exit %d: %s" % (p.returncode, p.stderr))
    # --only: the fake alone, none of tests/bench/*_bench.py.
    expect("_bench.py" not in p.stdout, "--only ran other benchmarks: %r" % p.stdout)
    with open(out) as f:
        txt = f.read()
    expect("BENCH fake rtt 1.5 ms median of 3" in txt and "RATIO fake push/raw 0.5" in txt,
           "results.txt: %r" % txt)
    with open(os.path.join(tmp, "out", "results.json")) as f:
        j = _strict(f.read())
    expect(set(j) == {"bench", "ratios", "date", "host", "cpus", "accel"}, "keys: %r" % sorted(j))
    fake_b = j["bench"]["fake"]
    expect(fake_b["rtt"] == {"value": 1.5, "unit": "ms", "note": "median of 3"}, "rtt: %r" % fake_b)
    expect(fake_b["p50"]["value"] is None and fake_b["p99"]["value"] is None,
           "nan/inf as null: %r" % fake_b)
    expect(j["ratios"] == {"fake quiet/flooded": None, "fake push/raw": 0.5}, "ratios: %r" % j["ratios"])
    # A filter that matches nothing is an error, not an empty results file.
    p = subprocess.run([sys.executable, os.path.join(harness.TOP, "tests", "bench", "run"),
                        "--out", os.path.join(tmp, "none", "results.txt"), "--only", "no_such_bench"],
                       capture_output=True, text=True, timeout=60)
    expect(p.returncode != 0 and "no_such_bench" in p.stderr, "empty --only: %r" % p)
    expect(not os.path.exists(os.path.join(tmp, "none")), "empty --only wrote results")


if __name__ == "__main__":
    test_bench_results_strict_json()
    print("PASS test_bench_results_strict_json")
