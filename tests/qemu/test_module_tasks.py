#!/usr/bin/env python3
"""test_module_tasks.py - QEMU tests of the task API for modules
(kernel/include/task_module.h, README "Faults and recovery"), with the test
module modules/taskdemo: a task its init created at boot starts with the
scheduler; tasks sleep, wake each other through a wait queue and join; a
module task that faults (NULL read, divide by zero, ud2, stack overflow) or
hangs (interrupts on and off) is ended, its joiner gets EFAULT/ETIMEDOUT,
the fault is in the history and the module is restarted, and the kernel
serves on; the task of a replaced version (restarted, or swapped for
taskdemo 2.0, whose transfer hook starts its own) is asked to stop.
"""
import json
import os
import re
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import endpoint_util as eu  # noqa: E402
import harness  # noqa: E402
from harness import expect  # noqa: E402

BOOT_TIMEOUT = 60


def _boot(tmp, cmdline=""):
    key_file = os.path.join(tmp, "key")
    key_hex = eu.keygen(key_file)
    port = harness.free_port()
    g = harness.Guest(cmdline="key=%s exit=never %s" % (key_hex, cmdline),
                      modules=["hello", "taskdemo"], nic="e1000",
                      hostfwd=[("udp", port, 7700)], label="modtasks").start()
    g.wait_for(r"theseus: ready:[^\r\n]*(?=\r?\n)", BOOT_TIMEOUT)
    g.wait_for(r"net: address 10\.0\.2\.15", BOOT_TIMEOUT)

    def c(*args, **kw):
        return eu.ctl(port, *args, key_file=key_file, timeout_ms=3000, retries=3, **kw)
    expect(c("ping").returncode == 0, "no ping")
    return g, c


def _out(p):
    return p.stdout + p.stderr


def _alive(c):
    p = c("invoke", "hello", "hello_greet_invoke")
    expect(p.returncode == 0 and "hello from v1" in p.stdout, "kernel not serving: %r" % _out(p))
    p = c("invoke", "taskdemo", "taskdemo_ok")
    expect(p.returncode == 0 and "ok" in p.stdout, "taskdemo_ok: %r" % _out(p))


def test_module_tasks_work():
    """A boot module's task starts with the scheduler; a producer task and
    the consumer it starts pass 5 values through a wait queue and join."""
    tmp = tempfile.mkdtemp(prefix="theseus-modtasks-")
    g, c = _boot(tmp)
    g.wait_for(r"taskdemo: boot task ran", 10)
    expect(re.search(r"started 1 module tasks created at boot", g.log), "boot task not started")
    c("invoke", "taskdemo", "taskdemo_pingpong", check_rc=0)
    g.wait_for(r"taskdemo: pingpong ok: consumer saw 5 of 5 values, exit 5", 20)
    _alive(c)
    expect("*** FAULT" not in g.log, "a kernel fault report")


def test_module_tasks_budget_counts_running_time_only():
    """32 module tasks on one CPU that each compute 50 ms without a blocking
    call (so each waits in the run queue behind the others far longer than
    it runs, and longer than watchdog=300): none is cut as hung, every one
    finishes.  Before, the budget ran on while a preempted task waited for
    its turn, and such tasks ended with ETIMEDOUT."""
    tmp = tempfile.mkdtemp(prefix="theseus-modtasks-")
    g, c = _boot(tmp, "watchdog=300")
    c("invoke", "taskdemo", "taskdemo_crunch", check_rc=0)
    start = 0
    for _ in range(32):  # each of the 32 tasks, one line after the other
        m = g.wait_for(r"taskdemo: crunch task done|watchdog: \S+ still running", 120, start=start)
        expect("watchdog" not in m.group(0), "a crunch task was cut by the watchdog")
        start = m.end()
    expect(not re.search(r"watchdog: \S+ still running", g.log),
           "a crunch task was cut by the watchdog")
    _alive(c)
    expect("*** FAULT" not in g.log, "a kernel fault report")


def test_module_tasks_fault_ended_and_recovered():
    """Every fault kind in a module task: the task ends, its joiner gets
    EFAULT (ETIMEDOUT for hangs), the history has the fault and the
    restart, the restarted module answers and the kernel serves on."""
    tmp = tempfile.mkdtemp(prefix="theseus-modtasks-")
    g, c = _boot(tmp, "watchdog=300 fault_restarts=100")
    kinds = [("null", r"page fault at worker\+0x[0-9a-f]+ \(address 0x0\)", "EFAULT"),
             ("div", r"divide error at worker\+0x", "EFAULT"),
             ("ud", r"invalid opcode at worker\+0x", "EFAULT"),
             ("recurse", r"stack overflow at recurse\+0x", "EFAULT"),
             # a 24 KiB alloca in the 16 KiB stack: the kit's stack-clash
             # probes fault in the guard page (it used to jump over it and
             # write below the stack, the task ending OK)
             ("alloca", r"(page fault|stack overflow) at worker\+0x", "EFAULT"),
             ("spin", r"watchdog: worker\+0x[0-9a-f]+ still running", "ETIMEDOUT"),
             ("spin_cli", r"watchdog: worker\+0x[0-9a-f]+ still running", "ETIMEDOUT")]
    for i, (kind, pattern, code) in enumerate(kinds):
        start = len(g.log)
        c("invoke", "taskdemo", "taskdemo_fault", kind, check_rc=0)
        g.wait_for(r"taskdemo: worker ended: %s" % code, 20, start=start)
        g.wait_for(r"fault: task 'td_worker' ended \(%s\): taskdemo 1\.0: %s.*restarted \(%d/100\)"
                   % (code, pattern, i + 1), 20, start=start)
        _alive(c)
    # A task that pins a statedb entry and faults: the reference is put back.
    start = len(g.log)
    c("invoke", "taskdemo", "taskdemo_fault", "pin", check_rc=0)
    g.wait_for(r"taskdemo: worker ended: EFAULT", 20, start=start)
    g.wait_for(r"taskdemo: put back 1 statedb references the faulted call held", 20, start=start)
    kinds.append(("pin", "", "EFAULT"))
    p = c("--json", "state", check_rc=0)
    docs = [json.loads(line) for line in p.stdout.splitlines() if line.strip()]
    pins = [e for d in docs for e in d.get("entries", []) if e.get("name") == "taskdemo.pin"]
    expect(len(pins) == 1 and pins[0].get("strong") == 0, "taskdemo.pin still pinned: %r" % pins)
    p = c("history", check_rc=0)
    for kind, status in (("fault", "EFAULT"), ("restart", "OK")):
        n = len(re.findall(r"\b%s\s+taskdemo 1\.0->1\.0\s+%s\b" % (kind, status), p.stdout))
        expect(n == len(kinds), "history: %d %s entries, want %d: %r"
               % (n, kind, len(kinds), p.stdout))
    expect("*** FAULT" not in g.log, "a kernel fault report")


def test_module_tasks_fault_puts_back_with_many_calls_open():
    """Every module task sits in an open guarded call for its whole life:
    with 40 of them sleeping, a task that pins a statedb entry and faults
    still gets its reference put back (the kernel used to track 32 open
    calls and left the 33rd's references pinned until reboot)."""
    tmp = tempfile.mkdtemp(prefix="theseus-modtasks-")
    g, c = _boot(tmp)
    for _ in range(40):
        c("invoke", "taskdemo", "taskdemo_service", check_rc=0)
    start = len(g.log)
    c("invoke", "taskdemo", "taskdemo_fault", "pin", check_rc=0)
    g.wait_for(r"taskdemo: worker ended: EFAULT", 20, start=start)
    g.wait_for(r"taskdemo: put back 1 statedb references the faulted call held", 20, start=start)
    expect("too many open module calls" not in g.log, "a call not tracked")
    p = c("--json", "state", check_rc=0)
    docs = [json.loads(line) for line in p.stdout.splitlines() if line.strip()]
    pins = [e for d in docs for e in d.get("entries", []) if e.get("name") == "taskdemo.pin"]
    expect(len(pins) == 1 and pins[0].get("strong") == 0, "taskdemo.pin still pinned: %r" % pins)
    # the restart asked the 40 services of the replaced version to stop
    pos = start
    for _ in range(40):
        pos = g.wait_for(r"service 1\.0 stopping", 30, start=pos).end()
    _alive(c)
    expect("*** FAULT" not in g.log, "a kernel fault report")


def test_module_tasks_stop_on_restart():
    """A long-running module task is asked to stop when its module version
    is replaced (here: restarted after another task's fault) and returns."""
    tmp = tempfile.mkdtemp(prefix="theseus-modtasks-")
    g, c = _boot(tmp, "fault_restarts=10")
    c("invoke", "taskdemo", "taskdemo_service", check_rc=0)
    g.wait_for(r"taskdemo: service 1\.0 running", 10)
    c("invoke", "taskdemo", "taskdemo_fault", "null", check_rc=0)
    g.wait_for(r"module task 'td_service' of taskdemo asked to stop", 20)
    g.wait_for(r"taskdemo: service 1\.0 stopping after \d+ rounds \(asked: yes\)", 10)
    _alive(c)
    expect("*** FAULT" not in g.log, "a kernel fault report")


def test_module_tasks_made_just_before_a_restart():
    """A task made right before its version is replaced (the invoke that made
    it faults at once; the restart runs before the task first does) never
    enters freed code: asked to stop before it ran, it does not enter the old
    version, and that version stays mapped until its entry is done."""
    tmp = tempfile.mkdtemp(prefix="theseus-modtasks-")
    g, c = _boot(tmp, "fault_restarts=10")
    replaced_first = 0
    for _ in range(5):
        start = len(g.log)
        p = c("invoke", "taskdemo", "taskdemo_fault", "late")
        expect(p.returncode != 0, "the faulting invoke succeeded: %r" % _out(p))
        g.wait_for(r"fault: taskdemo: restarted", 20, start=start)
        _alive(c)   # the main loop ran its tasks: td_late too, by now
        log = g.log[start:]
        replaced_first += "module task 'td_late' of taskdemo asked to stop" in log
        expect(not re.search(r"task 'td_late' ended", log),
               "td_late faulted: it entered a freed version")
    expect(replaced_first > 0, "the restart never came before td_late ran (nothing tested)")
    expect("*** FAULT" not in g.log, "a kernel fault report")


def _task_count(c):
    p = c("tasks", check_rc=0)
    m = re.search(r"policy \S+, (\d+) tasks", p.stdout)
    expect(m, "no task count in the listing: %r" % _out(p))
    return int(m.group(1))


def test_module_tasks_limit_named_and_given_back():
    """taskdemo_fill starts tasks until th_task_create refuses one: EFULL at
    TASK_MAX (256), named once in the log with the module; the kernel and
    the module serve on.  A swap to 2.0, whose transfer hook starts a task,
    is refused (EFULL: the old version's tasks hold every slot until the
    swap commits) and 1.0 keeps running; once the module is unloaded its
    tasks end and every slot comes back (loaded again, the same number can
    be started)."""
    tmp = tempfile.mkdtemp(prefix="theseus-modtasks-")
    g, c = _boot(tmp)
    base = _task_count(c)
    counts = []
    for rnd in range(2):
        p = c("invoke", "taskdemo", "taskdemo_fill", check_rc=0)
        m = re.search(r"(\d+) tasks, then EFULL", p.stdout)
        expect(m, "taskdemo_fill: %r" % _out(p))
        counts.append(int(m.group(1)))
        expect(_task_count(c) == 256, "the listing does not count TASK_MAX tasks")
        _alive(c)
        info = c("info", check_rc=0).stdout
        expect(re.search(r"^tasks +256 of 256$", info, re.M), "info: %r" % info)
        u = json.loads(c("--json", "info", check_rc=0).stdout)["usage"]
        expect(u["tasks"] == 256 and u["tasks_max"] == 256, "info usage: %r" % u)
        expect(u["statedb_entries_max"] == 1024 and u["statedb_bytes_max"] >= 1 << 20 and
               0 < u["statedb_bytes"] <= u["statedb_bytes_max"], "info usage: %r" % u)
        if rnd == 0:
            p = c("swap", "taskdemo", harness.module_path("taskdemo_v2"))
            expect(p.returncode == 1 and "transfer failed: EFULL" in p.stderr,
                   "swap to 2.0 with every task slot taken: %r" % _out(p))
            _alive(c)
        c("rollback", "--unload", "taskdemo", check_rc=0)
        for _ in range(100):
            if _task_count(c) <= base:
                break
            time.sleep(0.2)
        expect(_task_count(c) <= base, "the filled tasks did not end")
        u = json.loads(c("--json", "info", check_rc=0).stdout)["usage"]
        expect(u["tasks"] == _task_count(c), "info usage after the unload: %r" % u)
        c("swap", "taskdemo", harness.module_path("taskdemo"), check_rc=0)
    expect(counts[0] == counts[1] and counts[0] >= 250, "slots not given back: %s" % counts)
    named = re.findall(r"WARN  task: th_task_create\('td_fill'\) of taskdemo 1\.0 refused: 256 "
                       r"tasks exist, the limit \(TASK_MAX\): EFULL", g.log)
    expect(len(named) == 2, "the refusal not named once per fill: %d" % len(named))
    expect(re.search(r"th_task_create\('td_service'\) of taskdemo 2\.0 refused: 256 tasks exist",
                     g.log), "the refused swap's EFULL not named")
    # Hundreds of tasks asked to stop: 8 named, the rest counted (the log
    # ring is not flooded).
    stops = re.findall(r"module task 'td_fill' of taskdemo asked to stop", g.log)
    more = [int(n) for n in re.findall(r"(\d+) more module tasks asked to stop", g.log)]
    expect(len(stops) == 16 and len(more) == 2 and all(8 + n >= 250 for n in more),
           "stops named %d, counted %s" % (len(stops), more))
    expect("*** FAULT" not in g.log, "a kernel fault report")


def test_module_tasks_limit_before_the_scheduler():
    """A boot module's init creates tasks before the scheduler runs until
    one is refused: refused at TASK_MAX (the records waiting to start count),
    named once, every task it was given starts, and the kernel serves."""
    tmp = tempfile.mkdtemp(prefix="theseus-modtasks-")
    key_file = os.path.join(tmp, "key")
    key_hex = eu.keygen(key_file)
    port = harness.free_port()
    g = harness.Guest(cmdline="key=%s exit=never" % key_hex, modules=["hello", "taskdemo_bootfill"],
                      nic="e1000", hostfwd=[("udp", port, 7700)], label="modtasks-boot").start()
    try:
        g.wait_for(r"theseus: ready:[^\r\n]*(?=\r?\n)", BOOT_TIMEOUT)
        m = re.search(r"taskdemo: boot fill: (\d+) tasks, then (\w+)", g.log)
        expect(m and m.group(2) == "EFULL" and int(m.group(1)) >= 240,
               "boot fill: %r" % (m and m.group(0)))
        expect(len(re.findall(r"th_task_create\('td_bootfill'\) of taskdemo 1\.0 refused: 256 "
                              r"tasks exist, the limit \(TASK_MAX\): EFULL", g.log)) == 1,
               "the refusal not named once")
        expect("cannot start module task" not in g.log, "a task created at boot did not start")
        expect(re.search(r"swap: #1 load .*taskdemo|loaded taskdemo 1\.0", g.log) and
               "load refused" not in g.log, "taskdemo not loaded")
        started = re.search(r"started (\d+) module tasks created at boot", g.log)
        expect(started and int(started.group(1)) == int(m.group(1)),
               "not every task created at boot started: %r" % (started and started.group(0)))
        g.wait_for(r"net: address 10\.0\.2\.15", BOOT_TIMEOUT)
        p = eu.ctl(port, "invoke", "hello", "hello_greet_invoke", key_file=key_file,
                   timeout_ms=3000, retries=3)
        expect(p.returncode == 0 and "hello from v1" in p.stdout, "not serving: %r" % _out(p))
        expect("*** FAULT" not in g.log, "a kernel fault report")
    finally:
        g.kill()


def test_module_tasks_stop_on_swap():
    """A live swap to taskdemo 2.0: the 1.0 service task is asked to stop and
    returns; 2.0's transfer hook starts its own service; 2.0 answers."""
    tmp = tempfile.mkdtemp(prefix="theseus-modtasks-")
    g, c = _boot(tmp)
    c("invoke", "taskdemo", "taskdemo_service", check_rc=0)
    g.wait_for(r"taskdemo: service 1\.0 running", 10)
    p = c("swap", "taskdemo", harness.module_path("taskdemo_v2"))
    expect(p.returncode == 0 and re.search(r"taskdemo: 1\.0 -> 2\.0", p.stdout),
           "swap to taskdemo 2.0: %r" % _out(p))
    g.wait_for(r"module task 'td_service' of taskdemo asked to stop", 20)
    g.wait_for(r"taskdemo: service 1\.0 stopping after \d+ rounds \(asked: yes\)", 10)
    g.wait_for(r"taskdemo: service 2\.0 running", 10)
    p = c("invoke", "taskdemo", "taskdemo_ok", check_rc=0)
    expect("ok v2" in p.stdout, "taskdemo 2.0 not answering: %r" % _out(p))
    expect("*** FAULT" not in g.log, "a kernel fault report")



def test_module_tasks_old_version_fault_restarts_nothing():
    """A 1.0 task that faults on its way out after the swap to 2.0: the
    fault is 1.0's (reported so, history kind fault naming 1.0), and 2.0,
    which did not fault, is not restarted (before, the queued fault
    restarted the fresh 2.0, stopping its service task and spending its
    restart budget)."""
    tmp = tempfile.mkdtemp(prefix="theseus-modtasks-")
    g, c = _boot(tmp)
    c("invoke", "taskdemo", "taskdemo_service_faulty_exit", check_rc=0)
    g.wait_for(r"taskdemo: faulty-exit service 1\.0 running", 10)
    p = c("swap", "taskdemo", harness.module_path("taskdemo_v2"))
    expect(p.returncode == 0, "swap to taskdemo 2.0: %r" % _out(p))
    g.wait_for(r"taskdemo: service 2\.0 running", 10)
    g.wait_for(r"task 'td_faulty_exit' ended \(EFAULT\): taskdemo 1\.0: page fault at \S+ "
               r"\(address 0x0\); not recovered: the load of taskdemo 1\.0 it ran in was "
               r"replaced since", 10)
    p = c("invoke", "taskdemo", "taskdemo_ok", check_rc=0)
    expect("ok v2" in p.stdout, "taskdemo 2.0 not answering: %r" % _out(p))
    p = c("--json", "history", check_rc=0)
    ents = json.loads(p.stdout)["entries"]
    swap = max(e["seq"] for e in ents if e["kind"] == "swap")
    after = [(e["kind"], e["items"][0]["module"], e["items"][0]["new_version"])
             for e in ents if e["seq"] > swap]
    expect(("fault", "taskdemo", "1.0") in after, "no fault entry of 1.0: %r" % after)
    expect(not any(k in ("restart", "rollback", "quarantine") for k, _, _ in after),
           "taskdemo recovered for 1.0's fault: %r" % after)
    expect("service 2.0 stopping" not in g.log, "2.0's service was stopped")
    expect("*** FAULT" not in g.log, "a kernel fault report")


def test_module_tasks_blocking_rules():
    """stubborn 1.0's task ignores every stop request; stubborn 2.0's
    transfer hook (interrupts off) tries to sleep.  The sleep in the hook is
    refused (EBUSY), so nothing runs in the middle of the swap; the ignored
    stop is said once and does not spin a CPU: each sleep after it lasts its
    whole 20 ms (the task's CPU time stays a small part of the elapsed
    time), while the kernel serves on."""
    tmp = tempfile.mkdtemp(prefix="theseus-modtasks-")
    key_file = os.path.join(tmp, "key")
    key_hex = eu.keygen(key_file)
    port = harness.free_port()
    g = harness.Guest(cmdline="key=%s exit=never" % key_hex, modules=["hello", "stubborn"],
                      nic="e1000", hostfwd=[("udp", port, 7700)], label="stubborn").start()
    try:
        g.wait_for(r"theseus: ready:[^\r\n]*(?=\r?\n)", BOOT_TIMEOUT)

        def c(*args, **kw):
            return eu.ctl(port, *args, key_file=key_file, timeout_ms=3000, retries=3, **kw)
        expect(c("ping").returncode == 0, "no ping")
        p = c("swap", "stubborn", harness.module_path("stubborn_v2"))
        expect(p.returncode == 0 and "1.0 -> 2.0" in p.stdout, "swap: %r" % _out(p))
        g.wait_for(r"stubborn 2\.0 transfer: sleep -> EBUSY", 10)
        g.wait_for(r"th_task_sleep_ms with interrupts off .*refused with EBUSY", 10)
        g.wait_for(r"task sb_loop of stubborn goes on blocking after it was asked to stop", 10)
        t0 = time.monotonic()
        time.sleep(2)
        p = c("tasks", check_rc=0)
        elapsed_ms = (time.monotonic() - t0) * 1000
        line = [ln for ln in p.stdout.splitlines() if " sb_loop " in ln]
        m = re.match(r"\s*\d+ sb_loop +\w+ +\d+ +(\d+\.\d+) ", line[0]) if line else None
        expect(m, "sb_loop not listed with its CPU time (CPU_MS): %r" % p.stdout[:800])
        cpu = float(m.group(1))
        expect(cpu < elapsed_ms / 4, "the ignored stop spins: sb_loop used %s ms of CPU in "
               "about %.0f ms" % (cpu, elapsed_ms + 2000))
        _ = c("invoke", "hello", "hello_greet_invoke", check_rc=0)
        expect("*** FAULT" not in g.log, "a kernel fault report")
    finally:
        g.kill()
