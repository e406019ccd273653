#!/usr/bin/env python3
"""test_swap_engine.py - the swap engine owns which object every module runs
(QEMU, e1000, the endpoint forwarded, theseusctl):

  first_network_load_rolls_back_to_unload
      hello, not loaded at boot, is loaded over the network (a load
      transaction: ls shows its SHA-256), swapped to 2.0, rolled back to 1.0,
      and rolled back again, which unloads it (ls no longer lists it); the
      rollback of a first load is refused (EBUSY, naming the dependent) while
      swapcaller, loaded over the network after it, links into it; history
      lists load, swap, rollback and unload entries, each with stage times.
  sched_unloaded_falls_back_to_fifo
      the scheduler follows the engine: policy module sched loaded over the
      network becomes the policy; the rollback of that first load unloads it
      and the core's built-in fifo takes over (no pointer into freed code).
  boot_swap_records_the_object_it_runs
      booted with swap=hello:hello_v2, ls shows hello 2.0 with the SHA-256 of
      hello_v2.o, and `swap --expect 2.0 hello hello.o` really swaps back to
      1.0 (it is not "already running").
  history_order_kinds_and_batch_rows
      booted with six good modules and faulty_init (whose init faults while
      the boot batch loads): `theseusctl history` and its --json list strictly
      increasing sequence numbers, only the documented kinds (the fault among
      them), and the batch's load row names its first four modules and says
      "+N more" (module_count in --json covers them all).
  rollback_of_a_dependency_cycle
      boot modules t_cyca and t_cycb depend on each other (t_cycb's strong
      cyc_knob overrides t_cyca's weak one, t_cycb calls t_cyca): unloading
      either alone (`rollback --unload`) is refused with EBUSY naming the
      cycle and the command (theseusctl adds `rollback --unload t_cycb
      t_cyca`); both run their first objects, so `rollback t_cycb t_cyca`
      without --unload is refused with ENOENT "nothing to roll back" naming
      both (still loaded, a refused rollback entry); `rollback --unload
      t_cycb t_cyca` unloads both as one transaction (one history entry),
      and the kernel keeps serving.
  refused_loads_leave_no_task_behind
      a load whose object declares another module (`swap foo workload.o`)
      is refused before any of its code runs; a two-module load whose second
      init fails (workload + faulty_init) asks the task workload's init
      started to stop and frees workload only once it is gone; workload then
      loads and works, and no task faulted in freed code.
"""
import hashlib
import json
import os
import re
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import endpoint_util as eu  # noqa: E402
import harness  # noqa: E402
from harness import expect  # noqa: E402

BOOT_TIMEOUT = 60
FATAL_RE = r"\*\*\* FAULT|lwip: assertion|heap: .*(overflow|double free)|panic"


def _sha(name):
    with open(harness.module_path(name), "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def _guest(cmdline, modules, label):
    tmp = tempfile.mkdtemp(prefix="theseus-engine-")
    key_file = os.path.join(tmp, "key")
    key_hex = eu.keygen(key_file)
    port = harness.free_port()
    g = harness.Guest(cmdline=("key=%s exit=never " % key_hex) + cmdline, modules=modules,
                      nic="e1000", hostfwd=[("udp", port, 7700)], label=label).start()
    g.wait_for(r"theseus: ready:[^\r\n]*(?=\r?\n)", BOOT_TIMEOUT)
    g.wait_for(r"net: address 10\.0\.2\.15", BOOT_TIMEOUT)
    ctl = lambda *a, **kw: eu.ctl(port, *a, key_file=key_file, **kw)  # noqa: E731
    ctl("ping", timeout_ms=1000, retries=10, check_rc=0)
    return g, ctl


def _ls(ctl):
    """{name: (version, sha256 hex)} from `theseusctl --json ls`."""
    [o] = [json.loads(line) for line in ctl("--json", "ls", check_rc=0).stdout.splitlines()]
    return {m["name"]: (m["version"], m["sha256"]) for m in o["modules"]}


def _history(ctl):
    [o] = [json.loads(line) for line in ctl("--json", "history", check_rc=0).stdout.splitlines()]
    return o["entries"]


def _no_fatal(g):
    m = re.search(FATAL_RE, g.log)
    expect(m is None, "fatal message: %s" % (m.group(0) if m else ""))


def test_first_network_load_rolls_back_to_unload():
    g, ctl = _guest("", ["checksum", "logfmt", "kv"], "engine-first-load")
    expect("hello" not in _ls(ctl), "hello loaded at boot")

    # A first load over the network is a transaction of the engine.
    p = ctl("swap", "hello", harness.module_path("hello"), check_rc=0)
    expect(re.search(r"^hello: \(not loaded\) -> 1\.0$", p.stdout, re.M), "load: %r" % p.stdout)
    expect(_ls(ctl).get("hello") == ("1.0", _sha("hello")), "ls after load: %r" % _ls(ctl))
    p = ctl("invoke", "hello", "hello_greet_invoke", check_rc=0)
    expect("hello from v1" in p.stdout, "invoke v1: %r" % p.stdout)

    # A plain rollback of a first load is refused: nothing to roll back.
    p = ctl("rollback", "hello", check_rc=1)
    expect("ENOENT" in p.stderr and "hello: nothing to roll back" in p.stderr,
           "rollback of a first load without --unload: %r" % p.stderr)
    # With --unload it would unload it: refused while a dependent is loaded.
    ctl("swap", "swapcaller", harness.module_path("swapcaller"), check_rc=0)
    p = ctl("rollback", "--unload", "hello", check_rc=1)
    expect("EBUSY" in p.stderr and "hello: swapcaller depends on it" in p.stderr,
           "rollback with a dependent: %r" % p.stderr)
    expect(_ls(ctl).get("hello") == ("1.0", _sha("hello")), "hello changed by a refused rollback")
    p = ctl("rollback", "--unload", "swapcaller", check_rc=0)
    expect(re.search(r"^swapcaller: 1\.0 -> \(not loaded\) \(rolled back\)$", p.stdout, re.M),
           "rollback of swapcaller: %r" % p.stdout)
    expect("swapcaller" not in _ls(ctl), "swapcaller still listed")

    # load -> swap -> rollback -> rollback = unloaded.
    p = ctl("swap", "--expect", "1.0", "hello", harness.module_path("hello_v2"), check_rc=0)
    expect(re.search(r"^hello: 1\.0 -> 2\.0$", p.stdout, re.M), "swap: %r" % p.stdout)
    expect(_ls(ctl).get("hello") == ("2.0", _sha("hello_v2")), "ls after swap: %r" % _ls(ctl))
    p = ctl("rollback", "hello", check_rc=0)
    expect(re.search(r"^hello: 2\.0 -> 1\.0 \(rolled back\)$", p.stdout, re.M),
           "rollback: %r" % p.stdout)
    expect(_ls(ctl).get("hello") == ("1.0", _sha("hello")), "ls after rollback: %r" % _ls(ctl))
    p = ctl("invoke", "hello", "hello_greet_invoke", check_rc=0)
    expect("hello from v1" in p.stdout, "invoke after rollback: %r" % p.stdout)
    p = ctl("rollback", "--unload", "hello", check_rc=0)
    expect(re.search(r"^hello: 1\.0 -> \(not loaded\) \(rolled back\)$", p.stdout, re.M),
           "rollback of the first load: %r" % p.stdout)
    expect("hello" not in _ls(ctl), "hello still listed after the rollback of its first load")
    p = ctl("rollback", "hello", check_rc=1)
    expect("ENOENT" in p.stderr, "rollback of an unloaded module: %r" % p.stderr)

    # The history has every step, each with its stage times.
    entries = _history(ctl)
    steps = [(e["kind"], e["status"], e["items"][0]["old_version"], e["items"][0]["new_version"])
             for e in entries if e["items"] and e["items"][0]["module"] == "hello"]
    want = [("load", "OK", "", "1.0"), ("rollback", "ENOENT"), ("unload", "EBUSY"),
            ("swap", "OK", "1.0", "2.0"),
            ("rollback", "OK", "2.0", "1.0"), ("unload", "OK", "1.0", "")]
    got = [s[:len(w)] for s, w in zip(steps, want)]
    expect(got == want and len(steps) == len(want), "hello's history: %r" % steps)
    expect(all(len(e["stages"]) == 5 for e in entries), "stage times: %r" % entries)
    expect(any(e["kind"] == "load" and e["items"][0]["module"] == "checksum" for e in entries),
           "boot modules' load not in the history: %r" % entries)
    p = ctl("history", check_rc=0)
    for rx in (r"load +hello none->1\.0 +OK", r"swap +hello 1\.0->2\.0 +OK",
               r"rollback +hello 2\.0->1\.0 +OK", r"unload +hello 1\.0->none +OK",
               r"unload +hello 1\.0->none +EBUSY"):
        expect(re.search(rx, p.stdout), "history has no /%s/: %r" % (rx, p.stdout))
    _no_fatal(g)


def _policy(ctl):
    m = re.search(r"^policy (\S+),", ctl("tasks", check_rc=0).stdout, re.M)
    return m.group(1) if m else None


def test_sched_unloaded_falls_back_to_fifo():
    g, ctl = _guest("", ["checksum", "logfmt"], "engine-sched")
    expect(_policy(ctl) == "fifo", "policy without a sched module: %r" % _policy(ctl))
    ctl("swap", "sched", harness.module_path("sched_prio"), check_rc=0)
    expect(_policy(ctl) == "prio", "policy after loading sched_prio: %r" % _policy(ctl))
    p = ctl("rollback", "--unload", "sched", check_rc=0)
    expect("(not loaded)" in p.stdout, "rollback of sched: %r" % p.stdout)
    expect(_policy(ctl) == "fifo", "policy after unloading sched: %r" % _policy(ctl))
    for _ in range(3):  # tasks keep running: the endpoint answers, the log grows
        ctl("ping", check_rc=0)
    _no_fatal(g)


def test_boot_swap_records_the_object_it_runs():
    g, ctl = _guest("swap=hello:hello_v2", ["checksum", "logfmt", "kv", "hello", "hello_v2"],
                    "engine-boot-swap")
    ls = _ls(ctl)
    expect(ls.get("hello") == ("2.0", _sha("hello_v2")),
           "ls after swap=: %r (want 2.0 with the hash of hello_v2.o)" % ls)
    p = ctl("swap", "--expect", "2.0", "hello", harness.module_path("hello"), check_rc=0)
    expect("already" not in p.stdout and re.search(r"^hello: 2\.0 -> 1\.0$", p.stdout, re.M),
           "swap back to hello.o: %r" % p.stdout)
    expect(_ls(ctl).get("hello") == ("1.0", _sha("hello")), "ls after the swap: %r" % _ls(ctl))
    p = ctl("invoke", "hello", "hello_greet_invoke", check_rc=0)
    expect("hello from v1" in p.stdout, "invoke after the swap: %r" % p.stdout)
    # The same object again is "already running" now, and swaps nothing.
    p = ctl("swap", "hello", harness.module_path("hello"), check_rc=0)
    expect("already running this object (version 1.0)" in p.stdout, "retry: %r" % p.stdout)
    # Rollback undoes the network swap, then the swap= one, then unloads.
    ctl("rollback", "hello", check_rc=0)
    expect(_ls(ctl).get("hello") == ("2.0", _sha("hello_v2")), "rollback 1: %r" % _ls(ctl))
    ctl("rollback", "hello", check_rc=0)
    expect(_ls(ctl).get("hello") == ("1.0", _sha("hello")), "rollback 2: %r" % _ls(ctl))
    kinds = [e["kind"] for e in _history(ctl)
             if e["status"] == "OK" and any(i["module"] == "hello" for i in e["items"])]
    expect(kinds == ["load", "swap", "swap", "rollback", "rollback"], "history kinds: %r" % kinds)
    _no_fatal(g)


KINDS = {"load", "swap", "rollback", "unload", "restart", "fault", "quarantine"}


def test_history_order_kinds_and_batch_rows():
    mods = ["checksum", "logfmt", "kv", "hello", "swapcaller", "echo", "faulty_init"]
    g, ctl = _guest("", mods, "engine-history")
    entries = _history(ctl)
    seqs = [e["seq"] for e in entries]
    expect(seqs == sorted(set(seqs)), "history --json seqs not strictly increasing: %r" % seqs)
    expect({e["kind"] for e in entries} <= KINDS, "undocumented kinds: %r" % entries)
    faults = [e for e in entries if e["kind"] == "fault"]
    expect(faults and faults[0]["items"][0]["module"] == "faulty_init" and
           faults[0]["status"] == "EFAULT", "no fault entry of faulty_init: %r" % entries)
    for e in entries:
        expect(e["module_count"] >= len(e["items"]) and len(e["items"]) <= 4,
               "module_count vs items: %r" % e)
    big = [e for e in entries if e["kind"] == "load" and e["module_count"] > len(e["items"])]
    expect(big, "no load entry covering more modules than it lists: %r" % entries)
    p = ctl("history", check_rc=0)
    rows = [ln.split() for ln in p.stdout.splitlines()[1:] if ln.strip()]
    expect([int(r[0]) for r in rows] == seqs, "table seqs %r, json %r" % (rows, seqs))
    more = "+%d more" % (big[0]["module_count"] - len(big[0]["items"]))
    row = [ln for ln in p.stdout.splitlines() if ln.split() and ln.split()[0] == str(big[0]["seq"])]
    expect(row and more in row[0], "batch row without %r: %r" % (more, p.stdout))
    expect(re.search(r"\bfault +faulty_init 1\.0->1\.0 +EFAULT\b", p.stdout), "fault row: %r" % p.stdout)
    _no_fatal(g)


def test_rollback_of_a_dependency_cycle():
    objs = [os.path.join(harness.BUILD, "tests", "objs", n + ".o") for n in ("t_cyca", "t_cycb")]
    tmp = tempfile.mkdtemp(prefix="theseus-cycle-")
    key_file = os.path.join(tmp, "key")
    key_hex = eu.keygen(key_file)
    port = harness.free_port()
    g = harness.Guest(cmdline="key=%s exit=never" % key_hex, modules=["checksum"],
                      module_files=objs, nic="e1000", hostfwd=[("udp", port, 7700)],
                      label="engine-cycle").start()
    g.wait_for(r"theseus: ready:[^\r\n]*(?=\r?\n)", BOOT_TIMEOUT)
    g.wait_for(r"net: address 10\.0\.2\.15", BOOT_TIMEOUT)
    ctl = lambda *a, **kw: eu.ctl(port, *a, key_file=key_file, **kw)  # noqa: E731
    ctl("ping", timeout_ms=1000, retries=10, check_rc=0)
    expect({"t_cyca", "t_cycb"} <= set(_ls(ctl)), "cycle modules not loaded: %r" % _ls(ctl))
    for one, other in (("t_cycb", "t_cyca"), ("t_cyca", "t_cycb")):
        p = ctl("rollback", "--unload", one, check_rc=1)
        want = ("EBUSY: %s: %s depends on it, and it on %s (a cycle): roll them back together: "
                "rollback %s %s" % (one, other, other, one, other))
        expect(want in p.stderr, "rollback --unload %s alone: %r (want %r)" % (one, p.stderr, want))
        hint = "`theseusctl rollback --unload %s %s` takes them out" % (one, other)
        expect(hint in p.stderr, "rollback --unload %s alone, hint: %r" % (one, p.stderr))
    # At their first objects: without --unload there is nothing to roll back.
    p = ctl("rollback", "t_cycb", "t_cyca", check_rc=1)
    expect("ENOENT: t_cycb, t_cyca: nothing to roll back" in p.stderr and
           "`theseusctl rollback --unload t_cycb t_cyca` unloads them" in p.stderr,
           "rollback of the cycle without --unload: %r" % p.stderr)
    ls = _ls(ctl)
    expect("t_cyca" in ls and "t_cycb" in ls, "ls after the refused rollback: %r" % ls)
    last = _history(ctl)[-1]
    expect(last["kind"] == "rollback" and last["status"] == "ENOENT" and
           [i["module"] for i in last["items"]] == ["t_cycb", "t_cyca"],
           "history of the refused rollback: %r" % last)
    p = ctl("rollback", "--unload", "t_cycb", "t_cyca", check_rc=0)
    for m in ("t_cycb", "t_cyca"):
        expect(re.search(r"^%s: 1\.0 -> \(not loaded\) \(rolled back\)$" % m, p.stdout, re.M),
               "rollback of the cycle: %r" % p.stdout)
    ls = _ls(ctl)
    expect("t_cyca" not in ls and "t_cycb" not in ls and "checksum" in ls, "ls after: %r" % ls)
    last = _history(ctl)[-1]
    expect(last["kind"] == "unload" and last["status"] == "OK" and last["rollback"] and
           [i["module"] for i in last["items"]] == ["t_cycb", "t_cyca"] and
           last["module_count"] == 2, "history of the cycle's rollback: %r" % last)
    ctl("ping", check_rc=0)
    _no_fatal(g)


def test_refused_loads_leave_no_task_behind():
    """A load whose object declares another module is refused before any of
    its code runs (before, workload was loaded, its init started its task,
    and the module was freed under it: the task faulted in freed memory); a
    load of two modules whose second init fails (faulty_init's faults) asks
    the task the first one's init started to stop, and frees that module
    only once the task is gone (before: freed under it).  Then workload
    loads and works, and no task faulted."""
    g, ctl = _guest("", ["checksum", "faulty"], "engine-refused-loads")
    workload = harness.module_path("workload")
    p = ctl("swap", "foo", workload, check_rc=1)
    expect("EINVAL: object for 'foo' declares module 'workload'" in p.stderr,
           "load under another name: %r" % p.stderr)
    expect("loaded workload" not in g.log and "module task 'workload'" not in g.log,
           "the refused object's code ran:\n%s" % g.log[-2000:])
    p = ctl("swap", "workload", workload, "faulty_init", harness.module_path("faulty_init"),
            check_rc=1)
    expect("EINIT" in p.stderr and "faulty_init" in p.stderr, "batch with a failing init: %r"
           % p.stderr)
    g.wait_for(r"module task 'workload' of workload asked to stop", 10)
    ls = _ls(ctl)
    expect("workload" not in ls and "faulty_init" not in ls, "ls after the failed load: %r" % ls)
    p = ctl("swap", "workload", workload, check_rc=0)
    expect(re.search(r"^workload: \(not loaded\) -> 1\.0$", p.stdout, re.M), "load: %r" % p.stdout)
    p = ctl("invoke", "workload", "workload_status", check_rc=0)
    expect(p.stdout.startswith("calls="), "workload_status: %r" % p.stdout)
    ctl("ping", check_rc=0)
    expect("task 'workload' ended" not in g.log, "a workload task faulted:\n%s" % g.log[-3000:])
    _no_fatal(g)


if __name__ == "__main__":
    for t in (test_first_network_load_rolls_back_to_unload,
              test_sched_unloaded_falls_back_to_fifo,
              test_boot_swap_records_the_object_it_runs,
              test_history_order_kinds_and_batch_rows,
              test_rollback_of_a_dependency_cycle,
              test_refused_loads_leave_no_task_behind):
        harness.reset_guests()
        try:
            t()
            print("PASS", t.__name__)
        finally:
            harness.kill_guests()
