#!/usr/bin/env python3
"""test_profile.py - QEMU tests of the sampling profiler (README
"Profiling", theseusctl profile): a guest at hz=1000 (one CPU, and two
CPUs with -smp 2) is profiled while it takes pushes of random 1.5 MiB
objects (SHA-256, the request MAC: kernel code) and invokes of
faulty.faulty_work (64 FNV-1a rounds over 1 KiB: module code).  The report
must have enough samples, none lost, every CPU listed, entries with samples
sorted by samples and summing to the total, a kernel function of the push
among them, faulty_work attributed to module "faulty", idle samples only
where a CPU halts (never in those busy functions); `profile report` while
stopped gives the same report; a wrong key is refused (exit 4, no change);
the guest keeps answering.
"""
import json
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import endpoint_util as eu  # noqa: E402
import harness  # noqa: E402
from harness import expect  # noqa: E402

MODULES = ["checksum", "kv", "hello", "faulty"]
BOOT_TIMEOUT = 60
# Kernel code a push runs (the object's hash, the request MAC, copies).
PUSH_FUNCTIONS = {"br_sha2small_round", "sha256_ni_compress", "sha256_ni_blocks",
                  "poly1305_inner_big", "poly1305_blocks", "chacha20_block", "memcpy",
                  "staging_put", "proto_sha256_update"}
WORK_SECONDS = 1.0


def _boot(tmp, smp):
    key_file = os.path.join(tmp, "key")
    key_hex = eu.keygen(key_file)
    port = harness.free_port()
    extra = ["-smp", str(smp)] if smp > 1 else []
    g = harness.Guest(cmdline="key=%s hz=1000 exit=never" % key_hex, modules=MODULES,
                      nic="e1000", hostfwd=[("udp", port, 7700)], kernel=harness.TEST_KERNEL,
                      label="profile smp=%d" % smp, extra_args=extra).start()
    g.wait_for(r"theseus: ready:[^\r\n]*(?=\r?\n)", BOOT_TIMEOUT)
    g.wait_for(r"net: address 10\.0\.2\.15", BOOT_TIMEOUT)

    def c(*args, **kw):
        return eu.ctl(port, *args, key_file=kw.pop("key_file", key_file), timeout_ms=3000,
                      retries=3, **kw)
    p = c("ping")
    expect(p.returncode == 0, "ping: %s" % p.stderr)
    return g, c, port, bytes.fromhex(key_hex)


def _workload(tmp, c, port, key):
    """About WORK_SECONDS of pushes and invokes of faulty_work (bounded by
    count too); returns (pushes, invokes)."""
    obj = os.path.join(tmp, "obj")
    client = eu.RawClient(port, key=key, timeout=2.0)
    client.learn_epoch()
    data = os.urandom(1024)
    pushes = invokes = 0
    start = time.monotonic()
    try:
        while pushes < 1 or (time.monotonic() - start < WORK_SECONDS * harness.TIME_SCALE
                             and pushes < 20):
            with open(obj, "wb") as f:
                f.write(os.urandom(1536 * 1024))
            p = c("push", obj)
            expect(p.returncode == 0, "push: %s" % p.stderr)
            pushes += 1
            for _ in range(40):
                r = client.call(eu.req_invoke("faulty", "faulty_work", data))
                expect(r.status == 0, "invoke faulty_work: status %d" % r.status)
                invokes += 1
    finally:
        client.close()
    return pushes, invokes


def _report(c, *args):
    p = c("--json", "profile", "--top", "0", *args)
    expect(p.returncode == 0, "profile %s: exit %d: %s" % (" ".join(args), p.returncode,
                                                          p.stderr + p.stdout))
    return json.loads(p.stdout)


def _check_report(r, cpus, label):
    fns = r["functions"]
    expect(not r["running"], "%s: still running" % label)
    expect(r["hz"] == 1000, "%s: hz %r" % (label, r["hz"]))
    expect(r["samples"] > 100, "%s: only %d samples" % (label, r["samples"]))
    expect(r["lost"] == 0, "%s: %d samples lost" % (label, r["lost"]))
    expect([x["cpu"] for x in r["cpus"]] == list(range(cpus)),
           "%s: cpus %r, want 0..%d" % (label, r["cpus"], cpus - 1))
    expect(all(x["samples"] > 0 and x["idle"] <= x["samples"] for x in r["cpus"]),
           "%s: a CPU without samples or with more idle than samples: %r" % (label, r["cpus"]))
    expect(sum(x["samples"] for x in r["cpus"]) == r["samples"],
           "%s: CPU samples do not add up to %d" % (label, r["samples"]))
    expect(len(fns) == r["entries_total"] and fns, "%s: %d of %d entries" %
           (label, len(fns), r["entries_total"]))
    expect(all(f["samples"] > 0 and f["idle"] <= f["samples"] for f in fns),
           "%s: an entry without samples or with more idle than samples" % label)
    keys = [(-f["samples"], f["function"], f["module"]) for f in fns]
    expect(keys == sorted(keys), "%s: entries not sorted: %r" % (label, keys[:10]))
    expect(sum(f["samples"] for f in fns) == r["samples"],
           "%s: entries sum to %d, not %d" % (label, sum(f["samples"] for f in fns),
                                              r["samples"]))
    names = {f["function"] for f in fns if f["module"] == "kernel"}
    expect(names & PUSH_FUNCTIONS, "%s: none of %s in the kernel's functions: %s" %
           (label, sorted(PUSH_FUNCTIONS), sorted(names)[:40]))
    # Idle samples: only where a CPU halts, never in the busy code.
    expect(sum(f["idle"] for f in fns) > 0, "%s: no idle samples at all" % label)
    busy = [f for f in fns if (f["function"] in PUSH_FUNCTIONS and f["module"] == "kernel")
            or f["module"] == "faulty"]
    expect(busy and all(f["idle"] == 0 for f in busy),
           "%s: idle samples in busy code: %r" % (label, busy))
    work = [f for f in fns if f["module"] == "faulty" and f["function"] == "faulty_work"]
    expect(work and work[0]["samples"] > 0,
           "%s: faulty_work not attributed to module faulty: %r" %
           (label, [f for f in fns if f["module"] not in ("kernel",)][:20]))


def _run(smp):
    tmp = tempfile.mkdtemp(prefix="theseus-profile-")
    g, c, port, key = _boot(tmp, smp)
    label = "smp=%d" % smp
    p = c("profile", "start")
    expect(p.returncode == 0 and "started at 1000 Hz on %d CPU" % smp in p.stdout,
           "profile start: %r" % (p.stdout + p.stderr))
    pushes, invokes = _workload(tmp, c, port, key)
    r = _report(c, "stop")
    _check_report(r, smp, label)
    # Stopped: the same report again.
    again = _report(c, "report")
    for k in ("running", "elapsed_ms", "hz", "samples", "lost", "cpus", "functions"):
        expect(again[k] == r[k], "%s: report after stop differs in %s" % (label, k))
    # The text form: the summary line and the table.
    p = c("profile", "report", "--top", "5")
    expect(p.returncode == 0 and "profile of 127.0.0.1:%d: %d samples" % (port, r["samples"])
           in p.stdout and "FUNCTION" in p.stdout, "profile report text: %r" % p.stdout)
    # A wrong key: refused, nothing changed.
    wrong = os.path.join(tmp, "wrong")
    eu.keygen(wrong)
    p = c("profile", "start", key_file=wrong)
    expect(p.returncode == 4 and "EAUTH" in p.stderr, "wrong key: exit %d: %r" %
           (p.returncode, p.stdout + p.stderr))
    after = _report(c, "report")
    expect(after["samples"] == r["samples"] and not after["running"],
           "%s: a wrong key's start changed the profile" % label)
    p = c("ping")
    expect(p.returncode == 0, "%s: no ping after profiling: %s" % (label, p.stderr))
    top = ", ".join("%s[%s] %d" % (f["function"], f["module"], f["samples"])
                    for f in r["functions"][:6])
    print("  %s: %d pushes, %d invokes: %d samples in %d ms; top: %s" %
          (label, pushes, invokes, r["samples"], r["elapsed_ms"], top))
    g.kill()


def test_profile_one_cpu():
    _run(1)


def test_profile_two_cpus():
    _run(2)
