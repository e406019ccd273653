#!/usr/bin/env python3
"""faultbench.py - `make faultbench`: a fault injection campaign against one
booted kernel (README "Faults and recovery").  FAULTS (500) faults are
injected through `theseusctl invoke` into the test module faulty, cycling
over NULL read, divide by zero, ud2, write to read-only data, stack
overflow, and (every 10th) an endless loop with interrupts on and off (cut
by the watchdog, watchdog=200).  After each fault the kernel must answer
(hello's greeting) and the restarted module must work again (faulty_ok).

Writes build/bench/faultbench.txt (one "FAULTBENCH metric value" per line)
and build/bench/faultbench.json; exits non-zero unless the kernel survived
every fault.
"""
import json
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "qemu"))
import endpoint_util as eu  # noqa: E402
import harness  # noqa: E402

FAULTS = int(os.environ.get("FAULTBENCH_FAULTS", "500"))
KINDS = ["faulty_null", "faulty_div", "faulty_ud", "faulty_rodata", "faulty_recurse"]
HANGS = ["faulty_spin", "faulty_spin_cli"]


def main():
    out_dir = os.path.join(harness.BUILD, "bench")
    os.makedirs(out_dir, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="theseus-faultbench-")
    key_file = os.path.join(tmp, "key")
    key_hex = eu.keygen(key_file)
    port = harness.free_port()
    harness.reset_guests()
    g = harness.Guest(cmdline="key=%s exit=never loglevel=warn watchdog=200 fault_restarts=100000"
                      % key_hex, modules=["hello", "faulty"], nic="e1000",
                      hostfwd=[("udp", port, 7700)], label="faultbench").start()
    try:
        g.wait_for(r"theseus: ready:.*$", 60)

        def c(*args):
            return eu.ctl(port, *args, key_file=key_file, timeout_ms=3000, retries=3)
        stats = {"faults": 0, "contained": 0, "recovered": 0, "served": 0, "hangs": 0}
        per_kind = {}
        t0 = time.time()
        for i in range(FAULTS):
            fn = HANGS[(i // 10) % 2] if i % 10 == 9 else KINDS[i % len(KINDS)]
            p = c("invoke", "faulty", fn)
            text = p.stdout + p.stderr
            stats["faults"] += 1
            ok = p.returncode != 0 and ("EFAULT" in text or "ETIMEDOUT" in text) and "restarted" in text
            stats["contained"] += ok
            stats["hangs"] += fn in HANGS
            k = per_kind.setdefault(fn, {"injected": 0, "contained": 0})
            k["injected"] += 1
            k["contained"] += ok
            p = c("invoke", "faulty", "faulty_ok")
            stats["recovered"] += p.returncode == 0 and "ok" in p.stdout
            p = c("invoke", "hello", "hello_greet_invoke")
            stats["served"] += p.returncode == 0 and "hello from" in p.stdout
        elapsed = time.time() - t0
        stats["kernel_fault_reports"] = g.log.count("*** FAULT")
        stats["seconds"] = round(elapsed, 1)
        stats["survived_all"] = (stats["served"] == FAULTS and stats["kernel_fault_reports"] == 0)
    finally:
        g.kill()
    lines = ["FAULTBENCH %s %s" % (k, v) for k, v in stats.items()]
    lines += ["FAULTBENCH kind %s %d/%d" % (k, v["contained"], v["injected"]) for k, v in sorted(per_kind.items())]
    lines.append("FAULTBENCH survival %.1f%% recovery %.1f%%" % (100.0 * stats["served"] / FAULTS,
                                                                100.0 * stats["recovered"] / FAULTS))
    with open(os.path.join(out_dir, "faultbench.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.join(out_dir, "faultbench.json"), "w") as f:
        json.dump({"stats": stats, "kinds": per_kind}, f, indent=1)
    print("\n".join(lines))
    return 0 if stats["survived_all"] else 1


if __name__ == "__main__":
    sys.exit(main())
