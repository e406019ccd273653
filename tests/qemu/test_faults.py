#!/usr/bin/env python3
"""test_faults.py - QEMU tests of fault containment (README "Faults and
recovery"): modules/faulty's functions fault on purpose in invoke (NULL
read, divide by zero, ud2, write to read-only data, endless loop, stack
overflow) and modules/faulty_init faults in init; the kernel survives every
one, replies EFAULT/ETIMEDOUT naming the culprit, restarts the module (the
next invoke works), rolls back or quarantines after repeated faults, keeps
the history, refuses functions not declared with TH_INVOKE by name, and
survives a short injection run of 50 faults.  A swap undone after a hook
migrated a statedb entry (its own error, or another module's faulting hook
in the same transaction) leaves the entry as it was (modules/statecount).
"""
import json
import os
import re
import socket
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bitflip  # noqa: E402
import endpoint_util as eu  # noqa: E402
import harness  # noqa: E402
from harness import expect  # noqa: E402

MODULES = ["checksum", "kv", "hello", "faulty", "faulty_init"]
BOOT_TIMEOUT = 60


def _boot(tmp, cmdline="", extra_args=(), modules=MODULES):
    key_file = os.path.join(tmp, "key")
    key_hex = eu.keygen(key_file)
    port = harness.free_port()
    g = harness.Guest(cmdline="key=%s exit=never %s" % (key_hex, cmdline), modules=modules,
                      nic="e1000", hostfwd=[("udp", port, 7700)], label="faults",
                      extra_args=extra_args).start()
    g.port = port
    g.wait_for(r"theseus: ready:[^\r\n]*(?=\r?\n)", BOOT_TIMEOUT)
    g.wait_for(r"net: address 10\.0\.2\.15", BOOT_TIMEOUT)

    def c(*args, **kw):
        return eu.ctl(port, *args, key_file=key_file, timeout_ms=3000, retries=3, **kw)
    p = c("ping")
    expect(p.returncode == 0, "ping: %s" % p.stderr)
    return g, c


def _out(p):
    return p.stdout + p.stderr


def _alive(c):
    p = c("invoke", "hello", "hello_greet_invoke")
    expect(p.returncode == 0 and "hello from v1" in p.stdout,
           "kernel no longer serving: %r" % _out(p))


def _fault(c, fn, pattern, code="EFAULT"):
    p = c("invoke", "faulty", fn)
    expect(p.returncode != 0, "invoke faulty %s succeeded: %r" % (fn, _out(p)))
    expect(code in _out(p), "invoke faulty %s: no %s: %r" % (fn, code, _out(p)))
    expect(re.search(pattern, _out(p)), "invoke faulty %s: want /%s/: %r" % (fn, pattern, _out(p)))
    # The kernel answered: exit 1 (its error), never 3 with the "no answer"
    # hint, even for ETIMEDOUT (module code cut by the watchdog).
    expect(p.returncode == 1 and "no answer" not in _out(p),
           "invoke faulty %s: exit %d: %r" % (fn, p.returncode, _out(p)))
    return p


def test_faults_contained_reported_recovered():
    tmp = tempfile.mkdtemp(prefix="theseus-faults-")
    g, c = _boot(tmp, "watchdog=500 fault_restarts=6")
    # faulty_init's init faulted at boot: its load failed, the kernel booted on.
    expect(re.search(r"faulty_init.*init failed: EFAULT.*page fault at faulty_init_init\+0x",
                     g.log), "no report of faulty_init's init fault in the log")
    expect("*** FAULT" not in g.log, "a kernel fault report at boot")
    # Not declared invocable: refused by name (checksum_crc32_update used to crash).
    p = c("invoke", "checksum", "checksum_crc32_update")
    expect(p.returncode != 0 and "checksum_crc32_update is not declared invocable (TH_INVOKE)"
           in _out(p), "invoke checksum_crc32_update: %r" % _out(p))
    p = c("invoke", "faulty", "faulty_not_invocable")
    expect(p.returncode != 0 and "not declared invocable" in _out(p), "%r" % _out(p))
    # Output claims and odd return values.
    p = c("invoke", "faulty", "faulty_overflow")
    expect(p.returncode != 0 and "EOVERFLOW" in _out(p), "faulty_overflow: %r" % _out(p))
    p = c("invoke", "faulty", "faulty_weird")
    expect(p.returncode != 0 and "-1234" in _out(p), "faulty_weird: %r" % _out(p))
    # Returning normally with callee-saved registers, DF and IF broken, and
    # writing past its input and output: the caller does not notice.
    for i in range(3):
        p = c("invoke", "faulty", "faulty_clobber")
        expect(p.returncode == 0, "faulty_clobber: %r" % _out(p))
        p = c("invoke", "faulty", "faulty_scribble", "x" * 40)
        expect(p.returncode == 0 and p.stdout.strip().endswith("ok"), "faulty_scribble: %r" % _out(p))
        _alive(c)
    # Each kind of fault: EFAULT naming module, version, function+offset; then
    # the kernel serves and the (restarted) module works again.
    kinds = [("faulty_null", r"faulty 1\.0: page fault at faulty_null\+0x[0-9a-f]+ \(address 0x0\)", "EFAULT"),
             ("faulty_div", r"faulty 1\.0: divide error at faulty_div\+0x", "EFAULT"),
             ("faulty_ud", r"faulty 1\.0: invalid opcode at faulty_ud\+0x", "EFAULT"),
             ("faulty_rodata", r"faulty 1\.0: page fault at faulty_rodata\+0x", "EFAULT"),
             ("faulty_spin", r"faulty 1\.0: watchdog: faulty_spin\+0x", "ETIMEDOUT"),
             ("faulty_recurse", r"faulty 1\.0: stack overflow at recurse\+0x", "EFAULT")]
    for i, (fn, pattern, code) in enumerate(kinds):
        p = _fault(c, fn, pattern, code)
        expect("restarted (%d/6)" % (i + 1) in _out(p), "%s: no restart: %r" % (fn, _out(p)))
        _alive(c)
        p = c("invoke", "faulty", "faulty_ok")
        expect(p.returncode == 0 and "ok" in p.stdout, "faulty_ok after %s: %r" % (fn, _out(p)))
    # A seventh fault within the window and no earlier version: quarantined.
    p = _fault(c, "faulty_null", r"page fault at faulty_null")
    expect("quarantined" in _out(p), "7th fault: %r" % _out(p))
    p = c("--json", "ls", check_rc=0)
    docs = [json.loads(line) for line in p.stdout.splitlines() if line.strip()]
    states = {m.get("name"): m.get("state") for d in docs for m in d.get("modules", [])}
    expect(states.get("faulty") == "quarantined" and states.get("hello") == "ok",
           "ls --json states: %r" % states)
    p = c("invoke", "faulty", "faulty_ok")
    expect(p.returncode != 0 and "quarantined" in _out(p), "quarantine: %r" % _out(p))
    # The way out it names is one that works: a swap by hand, not a rollback
    # (faulty runs its first object: "nothing to roll back").
    expect("(swap it by hand: a fixed object, or the same one for a fresh copy)" in _out(p)
           and "roll it back" not in _out(p), "quarantine's way out: %r" % _out(p))
    p = c("history", check_rc=0)
    for kind, status in (("fault", "EFAULT"), ("restart", "OK"), ("quarantine", "EFAULT")):
        expect(re.search(r"\b%s\s+faulty 1\.0->1\.0\s+%s\b" % (kind, status), p.stdout),
               "history: no %s entry: %r" % (kind, p.stdout))
    # The table says what happened (not the zero stage times of no transaction).
    expect(re.search(r"\bfault\s+faulty 1\.0->1\.0\s+EFAULT\s+0\s+\S+\s+page fault at "
                     r"faulty_null\+0x[0-9a-f]+ \(address 0x0\)", p.stdout),
           "history: the fault entry does not say what happened: %r" % p.stdout)
    expect(re.search(r"\bquarantine\s+faulty 1\.0->1\.0\s+EFAULT\s+0\s+\S+\s+repeated faults",
                     p.stdout), "history: the quarantine entry does not say why: %r" % p.stdout)
    # Swapping the same object in by hand lifts the quarantine with a fresh
    # copy (before: "already running this object", exit 0, still quarantined).
    p = c("swap", "faulty", harness.module_path("faulty"))
    expect(p.returncode == 0 and "faulty: 1.0 -> 1.0" in p.stdout, "swap by hand: %r" % _out(p))
    p = c("--json", "ls", check_rc=0)
    docs = [json.loads(line) for line in p.stdout.splitlines() if line.strip()]
    states = {m.get("name"): m.get("state") for d in docs for m in d.get("modules", [])}
    expect(states.get("faulty") == "ok", "ls --json states after the swap: %r" % states)
    p = c("invoke", "faulty", "faulty_ok")
    expect(p.returncode == 0 and "ok" in p.stdout, "faulty_ok after the swap: %r" % _out(p))
    p = c("swap", "faulty", harness.module_path("faulty"))
    expect(p.returncode == 0 and "already running this object" in _out(p),
           "a second swap of the same object: %r" % _out(p))
    _alive(c)
    expect("*** FAULT" not in g.log, "a kernel fault report")


def test_faults_memory_holes_and_trap_flag():
    """Only RAM is mapped (kernel/mm/paging.c): on a 256 MiB guest 0xC0000000
    is a hole, so a module reading there gets EFAULT, and a module whose
    stack pointer lands there (the exception frame cannot be pushed: #DF on
    its IST stack) is contained too; so is a module that sets the trap flag
    (#DB in module code, as a bit flip can do); the kernel serves on."""
    tmp = tempfile.mkdtemp(prefix="theseus-faults-")
    g, c = _boot(tmp, "fault_restarts=6")
    expect(re.search(r"vmm: paging on: RAM identity NX .*holes unmapped", g.log),
           "no paging line naming the unmapped holes")
    cases = [("faulty_hole", r"faulty 1\.0: page fault at faulty_hole\+0x[0-9a-f]+ "
              r"\(address 0xc0000000\)"),
             ("faulty_rsp_hole", r"faulty 1\.0: double fault at faulty_rsp_hole\+0x[0-9a-f]+: bad stack "
              r"pointer 0xc0000000 \(address 0xbffffff8\)"),
             ("faulty_trap", r"faulty 1\.0: debug at faulty_trap\+0x")]
    for i, (fn, pattern) in enumerate(cases * 2):
        p = _fault(c, fn, pattern)
        expect("restarted (%d/6)" % (i + 1) in _out(p), "%s: no restart: %r" % (fn, _out(p)))
        _alive(c)
        p = c("invoke", "faulty", "faulty_ok")
        expect(p.returncode == 0 and "ok" in p.stdout, "faulty_ok after %s: %r" % (fn, _out(p)))
    expect("*** FAULT" not in g.log, "a kernel fault report")


def test_faults_injection_run():
    """50 faults of five kinds into module faulty (restarted after each), then
    10 random bit flips (tests/qemu/bitflip.py: 5 in faulty_work's text, 5 in
    a register at a random instruction; seed 1): the kernel survives all of
    them and serves on."""
    tmp = tempfile.mkdtemp(prefix="theseus-faults-")
    gdb_port = harness.free_port(socket.SOCK_STREAM)
    g, c = _boot(tmp, "watchdog=300 fault_restarts=1000",
                 extra_args=["-gdb", "tcp:127.0.0.1:%d" % gdb_port])
    # A call that pins a statedb entry and faults: the kernel puts the reference back.
    for i in range(2):
        p = _fault(c, "faulty_pin", r"page fault at faulty_pin\+0x")
    p = c("--json", "state", check_rc=0)
    docs = [json.loads(line) for line in p.stdout.splitlines() if line.strip()]
    pins = [e for d in docs for e in d.get("entries", []) if e.get("name") == "faulty.pin"]
    expect(len(pins) == 1 and pins[0].get("strong") == 0, "faulty.pin still pinned: %r" % pins)
    expect(re.search(r"faulty: put back 1 statedb references", g.log), "no put-back logged")
    fns = ["faulty_null", "faulty_div", "faulty_ud", "faulty_rodata", "faulty_recurse"]
    faults = 0
    for i in range(50):
        p = c("invoke", "faulty", fns[i % len(fns)])
        expect(p.returncode != 0 and "EFAULT" in _out(p), "fault %d: %r" % (i, _out(p)))
        faults += 1
        expect("restarted" in _out(p), "fault %d: no restart: %r" % (i, _out(p)))
    _alive(c)
    expect(faults == 50, "faults: %d" % faults)
    inj = bitflip.Injector(g, gdb_port, c, seed=1)
    outcomes = []
    try:
        for i in range(10):
            r = inj.text_flip() if i % 2 == 0 else inj.reg_flip()
            outcomes.append("%s %s" % (r["kind"], r["outcome"]))
            _alive(c)
            p = c("invoke", "faulty", "faulty_work", bitflip.WORK_INPUT.decode())
            expect(p.returncode == 0 and bitflip.fnv_work(bitflip.WORK_INPUT) in p.stdout,
                   "faulty_work after flip %d (%r): %r" % (i, r, _out(p)))
    finally:
        inj.close()
    expect("*** FAULT" not in g.log, "a kernel fault report")
    return "bit flips: " + ", ".join(outcomes)


def test_faults_policy_falls_back_to_fifo():
    """A scheduler policy module whose tick faults: the core reports it and
    runs on with its built-in fifo (the kernel reaches ready and serves)."""
    tmp = tempfile.mkdtemp(prefix="theseus-faults-")
    key_file = os.path.join(tmp, "key")
    key_hex = eu.keygen(key_file)
    port = harness.free_port()
    g = harness.Guest(cmdline="key=%s exit=never sched=faulty" % key_hex,
                      modules=["hello", "sched_faulty"], nic="e1000",
                      hostfwd=[("udp", port, 7700)], label="faults-policy").start()
    g.wait_for(r"sched policy faulty: page fault at faulty_tick\+0x[0-9a-f]+ \(address 0x0\); "
               r"falling back to the built-in fifo", BOOT_TIMEOUT)
    g.wait_for(r"theseus: ready:[^\r\n]*(?=\r?\n)", BOOT_TIMEOUT)
    g.wait_for(r"net: address 10\.0\.2\.15", BOOT_TIMEOUT)
    p = eu.ctl(port, "invoke", "hello", "hello_greet_invoke", key_file=key_file,
               timeout_ms=3000, retries=3)
    expect(p.returncode == 0 and "hello from v1" in p.stdout, "after the policy fault: %r" % (p.stdout + p.stderr))
    p = eu.ctl(port, "tasks", key_file=key_file, timeout_ms=3000, retries=3, check_rc=0)
    expect("fifo" in p.stdout, "tasks: policy is not fifo: %r" % p.stdout)
    expect("*** FAULT" not in g.log, "a kernel fault report")


def test_faults_policy_bad_pick_falls_back_to_fifo():
    """A scheduler policy whose pick_next returns an entity it left queued
    (sched_faulty_peek, chosen at boot): the core refuses the pick, says why and runs on with
    its fifo (before, the task ran while queued and the kernel hung)."""
    tmp = tempfile.mkdtemp(prefix="theseus-faults-")
    key_file = os.path.join(tmp, "key")
    key_hex = eu.keygen(key_file)
    port = harness.free_port()
    g = harness.Guest(cmdline="key=%s exit=never sched=faulty_peek" % key_hex,
                      modules=["hello", "sched_faulty_peek"], nic="e1000",
                      hostfwd=[("udp", port, 7700)], label="faults-peek",
                      extra_args=("-smp", "2")).start()
    g.wait_for(r"sched policy faulty_peek: pick_next returned 0x[0-9a-f]+, not a ready task of "
               r"this CPU's queue; falling back to the built-in fifo", BOOT_TIMEOUT)
    g.wait_for(r"theseus: ready:[^\r\n]*(?=\r?\n)", BOOT_TIMEOUT)
    g.wait_for(r"net: address 10\.0\.2\.15", BOOT_TIMEOUT)
    for _ in range(3):
        p = eu.ctl(port, "invoke", "hello", "hello_greet_invoke", key_file=key_file,
                   timeout_ms=3000, retries=3)
        expect(p.returncode == 0 and "hello from v1" in p.stdout,
               "after the bad pick: %r" % (p.stdout + p.stderr))
    p = eu.ctl(port, "tasks", key_file=key_file, timeout_ms=3000, retries=3, check_rc=0)
    expect("fifo" in p.stdout, "tasks: policy is not fifo: %r" % p.stdout)
    p = eu.ctl(port, "history", key_file=key_file, timeout_ms=3000, retries=3, check_rc=0)
    expect(re.search(r"\bfault\s+sched faulty_peek->faulty_peek\s+EFAULT\b.*pick_next returned",
                     p.stdout), "history: %r" % p.stdout)
    expect("*** FAULT" not in g.log, "a kernel fault report")


def test_faults_policy_breaking_the_queue_rules_falls_back_to_fifo():
    """Scheduler policies swapped in live on 2 CPUs that break the queue
    rules: enqueue faults, enqueue drops the task, pick_next returns a
    pointer that is no task, pick_next returns a task it left queued.  Each
    is reported naming what it did, the core falls back to fifo, no task is
    lost (a wait-queue ping-pong between two module tasks completes, and 4
    tasks that only yield, so that the run queues are full when the policy
    takes them over, all finish) and the kernel serves on; before, each one
    stopped the kernel (or lost every task, for the dropping one)."""
    tmp = tempfile.mkdtemp(prefix="theseus-faults-")
    g, c = _boot(tmp, "sched=rr", extra_args=["-smp", "2"],
                 modules=["hello", "taskdemo", "sched_rr"])
    c("invoke", "taskdemo", "taskdemo_busy", "start", check_rc=0)
    cases = [("faulty_enq", r"page fault at faulty_enqueue\+0x[0-9a-f]+ \(address 0x0\)"),
             ("faulty_drop", r"enqueue left task '[^']+' out of the queue \(it would never run\)"),
             ("faulty_pick", r"pick_next returned 0x1000, not a ready task of this CPU's queue"),
             ("faulty_peek", r"pick_next returned 0x[0-9a-f]+, not a ready task of this CPU's queue")]
    for name, why in cases:
        mark = len(g.log)
        p = c("swap", "sched", harness.module_path("sched_" + name))
        expect(p.returncode == 0, "swap to %s: %r" % (name, _out(p)))
        c("invoke", "taskdemo", "taskdemo_pingpong", check_rc=0)
        g.wait_for(r"sched policy %s: %s; falling back to the built-in fifo" % (name, why), 30,
                   start=mark)
        g.wait_for(r"taskdemo: pingpong ok: consumer saw 5 of 5 values", 30, start=mark)
        _alive(c)
        p = c("swap", "sched", harness.module_path("sched_rr"))
        expect(p.returncode == 0, "swap back to rr after %s: %r" % (name, _out(p)))
    # a table the core cannot take: fifo runs the tasks, and the log says why
    mark = len(g.log)
    p = c("swap", "sched", harness.module_path("sched_faulty_abi"))
    expect(p.returncode == 0, "swap to faulty_abi: %r" % _out(p))
    g.wait_for(r"WARN  sched: sched_policy_ops is not a valid policy table \(abi 3, want 1\.\.2\); "
               r"the built-in fifo takes over", 30, start=mark)
    c("invoke", "taskdemo", "taskdemo_pingpong", check_rc=0)
    g.wait_for(r"taskdemo: pingpong ok: consumer saw 5 of 5 values", 30, start=mark)
    p = c("swap", "sched", harness.module_path("sched_rr"))
    expect(p.returncode == 0, "swap back to rr after faulty_abi: %r" % _out(p))
    g.wait_for(r"sched: policy rr: \d+ ready tasks moved", 30, start=mark)
    c("invoke", "taskdemo", "taskdemo_busy", "stop", check_rc=0)
    start = 0
    for _ in range(4):  # each of the 4 busy tasks, one line after the other
        start = g.wait_for(r"taskdemo: busy task done", 30, start=start).end()
    expect("*** FAULT" not in g.log, "a kernel fault report")


def test_faults_nmi_watchdog_cuts_interrupts_off_hang():
    """A module spinning with interrupts off is cut by the NMI watchdog (the
    PIT tick routed as NMI through the I/O APIC): ETIMEDOUT, and the kernel
    (whose timer could not tick meanwhile) serves on."""
    tmp = tempfile.mkdtemp(prefix="theseus-faults-")
    g, c = _boot(tmp, "watchdog=300")
    expect(re.search(r"NMI watchdog: PIT tick as NMI", g.log), "no NMI watchdog at boot")
    _fault(c, "faulty_spin_cli", r"faulty 1\.0: watchdog: faulty_spin_cli\+0x[0-9a-f]+ still running",
           "ETIMEDOUT")
    _alive(c)
    p = c("invoke", "faulty", "faulty_ok")
    expect(p.returncode == 0 and "ok" in p.stdout, "faulty_ok after the hang: %r" % _out(p))
    expect("*** FAULT" not in g.log, "a kernel fault report")


def test_faults_nmi_watchdog_cuts_a_wait_in_the_kernel():
    """A module waiting with interrupts off in a kernel wait helper
    (time_delay_us of an hour) is cut by the NMI watchdog like its own code:
    ETIMEDOUT naming the helper and the module, and the kernel serves on
    (before, the NMI never cut kernel code and the CPU waited the hour)."""
    tmp = tempfile.mkdtemp(prefix="theseus-faults-")
    g, c = _boot(tmp, "watchdog=300")
    p = _fault(c, "faulty_delay_cli",
               r"faulty 1\.0: watchdog: tsc_wait_until\+0x[0-9a-f]+ still running", "ETIMEDOUT")
    g.wait_for(r"backtrace: tsc_wait_until\+0x[0-9a-f]+ <- faulty_delay_cli\+0x", 10)
    _alive(c)
    p = c("invoke", "faulty", "faulty_ok")
    expect(p.returncode == 0 and "ok" in p.stdout, "faulty_ok after the wait: %r" % _out(p))
    expect("*** FAULT" not in g.log, "a kernel fault report")


def test_faults_nmi_watchdog_without_pit():
    """No PIT (pit=off), two CPUs: each CPU's local APIC tick sends the next
    CPU an NMI, so module code spinning with interrupts off on the boot CPU
    (the invoke runs there) is still cut: ETIMEDOUT, and the kernel serves
    on."""
    tmp = tempfile.mkdtemp(prefix="theseus-faults-")
    g, c = _boot(tmp, "watchdog=300", extra_args=["-machine", "pc,pit=off", "-smp", "2"])
    expect(re.search(r"NMI watchdog: no PIT; each CPU's local APIC tick sends the next CPU an "
                     r"NMI \(2 CPUs\)", g.log), "no NMI watchdog without a PIT")
    _fault(c, "faulty_spin_cli", r"faulty 1\.0: watchdog: faulty_spin_cli\+0x[0-9a-f]+ still running",
           "ETIMEDOUT")
    _alive(c)
    expect("*** FAULT" not in g.log, "a kernel fault report")


def test_faults_roll_back_and_hook_fault_undoes_swap():
    """faulty 1.0 uses up its restarts (fault_restarts=3); faulty 2.0
    swapped in over it has a budget of its own (the window is per running
    object): it faults four times within the window, three restarts, then a
    rollback to 1.0 (history `rollback`), which serves.  A swap to faulty
    3.0, whose transfer hook faults, is refused (EINIT naming the fault) and
    undone: 1.0 runs on."""
    tmp = tempfile.mkdtemp(prefix="theseus-faults-")
    g, c = _boot(tmp, "fault_restarts=3")
    for i in range(3):
        p = _fault(c, "faulty_null", r"faulty 1\.0: page fault at faulty_null\+0x")
        expect("restarted (%d/3)" % (i + 1) in _out(p), "1.0 fault %d: %r" % (i + 1, _out(p)))
    c("swap", "faulty", harness.module_path("faulty_v2"), check_rc=0)
    p = c("invoke", "faulty", "faulty_ok", check_rc=0)
    expect("ok v2" in p.stdout, "faulty 2.0 not running: %r" % _out(p))
    for i in range(3):
        p = _fault(c, "faulty_null", r"faulty 2\.0: page fault at faulty_null\+0x")
        expect("restarted (%d/3)" % (i + 1) in _out(p), "fault %d: %r" % (i + 1, _out(p)))
    p = _fault(c, "faulty_null", r"faulty 2\.0: page fault at faulty_null\+0x")
    expect("rolled back to 1.0" in _out(p), "4th fault: no rollback: %r" % _out(p))
    p = c("invoke", "faulty", "faulty_ok", check_rc=0)
    expect(p.stdout.strip().endswith("ok") and "v2" not in p.stdout, "after rollback: %r" % _out(p))
    p = c("history", check_rc=0)
    expect(re.search(r"\brollback\s+faulty 2\.0->1\.0\s+OK\b", p.stdout), "history: %r" % p.stdout)
    p = c("swap", "faulty", harness.module_path("faulty_xfer"))
    expect(p.returncode != 0 and "EINIT" in _out(p) and
           re.search(r"transfer failed: EFAULT.*page fault at faulty_xfer_transfer\+0x", _out(p)),
           "swap to a faulting transfer: %r" % _out(p))
    p = c("invoke", "faulty", "faulty_ok", check_rc=0)
    expect(p.stdout.strip().endswith("ok"), "1.0 no longer serving after the refused swap: %r" % _out(p))
    _alive(c)
    expect("*** FAULT" not in g.log, "a kernel fault report")


def test_faults_fini_of_swapped_out_version_named():
    """faulty 2.1's fini faults when the swap back to 1.0 retires it: the
    report names 2.1 and its fini (before, the fault was blamed on 1.0, the
    version swapped in); 1.0 serves."""
    tmp = tempfile.mkdtemp(prefix="theseus-faults-")
    g, c = _boot(tmp)
    c("swap", "faulty", harness.module_path("faulty_v2fini"), check_rc=0)
    c("swap", "faulty", harness.module_path("faulty"), check_rc=0)
    # its code is no longer listed when fini runs, and still named (it used
    # to be a bare address)
    g.wait_for(r"fault: faulty 2\.1: page fault at faulty_v2_fini\+0x[0-9a-f]+ \(address 0x0\) "
               r"\(in fini of faulty", 10)
    p = c("--json", "history", check_rc=0)
    ents = json.loads(p.stdout)["entries"]
    faults = [(e["items"][0]["old_version"], e["message"]) for e in ents if e["kind"] == "fault"]
    faults = [f for f in faults if "faulty_init" not in f[1]]   # the boot's init fault
    expect(len(faults) == 1 and faults[0][0] == "2.1" and "page fault" in faults[0][1],
           "history fault entries: %r" % faults)
    p = c("invoke", "faulty", "faulty_ok", check_rc=0)
    expect(p.stdout.strip().endswith("ok") and "v2" not in p.stdout, "1.0: %r" % _out(p))
    p = c("--json", "ls", check_rc=0)
    states = {m.get("name"): m.get("state") for m in json.loads(p.stdout).get("modules", [])}
    expect(states.get("faulty") == "ok", "ls states: %r" % states)
    expect("*** FAULT" not in g.log, "a kernel fault report")


def _count(c, n, want):
    p = c("invoke", "statecount", "statecount_add", str(n))
    expect(p.returncode == 0 and want in p.stdout, "statecount_add %d: want %r: %r" % (n, want, _out(p)))


def _state_row(c, version, size):
    p = c("state", check_rc=0)
    expect(re.search(r"statecount\.state\s+named\s+0x73630000\s+%d\s+%d\s" % (version, size), p.stdout),
           "statecount.state not layout %d (%d bytes): %r" % (version, size, p.stdout))


def test_faults_swap_undone_after_migration_restores_statedb():
    """statecount 1.0 keeps a layout-1 counter.  A swap to 2.1-fail (its
    transfer migrates to layout 2, then fails) and a two-module swap whose
    first hook migrates and whose second (faulty 3.0) faults are both
    undone, statedb included: 1.0 keeps counting on its layout-1 entry (not
    ETYPE).  Then 2.0 goes in and counts on, on layout 2."""
    tmp = tempfile.mkdtemp(prefix="theseus-faults-")
    g, c = _boot(tmp, modules=MODULES + ["statecount"])
    for i, want in enumerate(["count=1 sum=10", "count=2 sum=20", "count=3 sum=30"]):
        _count(c, 10, "statecount 1.0 " + want)
    _state_row(c, 1, 16)
    p = c("swap", "statecount", harness.module_path("statecount_fail"))
    expect(p.returncode != 0 and "EINIT" in _out(p) and "EIO" in _out(p),
           "swap to 2.1-fail: %r" % _out(p))
    expect(re.search(r"statecount 2\.1-fail: migrated \(OK\), now failing on purpose", g.log),
           "the failing transfer did not migrate first")
    _count(c, 1, "statecount 1.0 count=4 sum=31")
    _state_row(c, 1, 16)
    p = c("swap", "statecount", harness.module_path("statecount_v2"),
          "faulty", harness.module_path("faulty_xfer"))
    expect(p.returncode != 0 and "EINIT" in _out(p) and "EFAULT" in _out(p),
           "two-module swap with a faulting second hook: %r" % _out(p))
    _count(c, 1, "statecount 1.0 count=5 sum=32")
    _state_row(c, 1, 16)
    expect(re.search(r"statedb changes of the hooks undone", g.log), "no undo in the log")
    c("swap", "statecount", harness.module_path("statecount_v2"), check_rc=0)
    _count(c, 1, "statecount 2.0 count=6 sum=33")
    _state_row(c, 2, 24)
    p = c("invoke", "faulty", "faulty_ok", check_rc=0)
    _alive(c)
    expect("*** FAULT" not in g.log, "a kernel fault report")
