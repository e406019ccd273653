#!/usr/bin/env python3
"""faultbench.py - `make faultbench`: a fault injection campaign against a
booted kernel (README "Faults and recovery").  FAULTS (500) faults are
injected into the test module faulty:

  - through `theseusctl invoke`, functions that fault on purpose: NULL read,
    divide by zero, ud2, write to read-only data, stack overflow, and an
    endless loop with interrupts on and off (cut by the watchdog,
    watchdog=200);
  - every 5th fault a random bit flip (tests/qemu/bitflip.py, through
    QEMU's gdbstub), alternately in faulty_work's text and in a general
    register at a random instruction of it, as the reference system's
    campaign did.  A flip may fault (contained), change nothing, or give a
    wrong answer (silent corruption, counted as such).

While the faults are injected a workload runs: module workload's task
calls faulty_tick() (in faulty, the module that faults and is restarted
under it) in a loop, each call adding one to statedb counter faulty.ticks
after the task added one to workload.calls (modules/workload), and a host
thread sends UDP echo datagrams to the guest's echo service (port 7) every
ECHO_PERIOD_S, counting the answers.  After each fault the kernel must
answer (hello's greeting), the module must work again (faulty_ok), and the
workload's counters are read (`invoke workload workload_status`):
faulty.ticks must never go backwards, and calls - ticks (the calls that
did not complete) may only be the one in flight plus the workload calls
that faulted (log: "task 'workload' ended").  Also measured: the time to
recover (from sending a faulting invoke until faulty_ok answers again, as
a client sees it), whether hello's call counter in statedb stayed
consistent (each greeting one more than the last: never backwards, no
increment lost), the echo answers, and the kernel's memory in use
(`theseusctl info`) before and after.  A kernel that stops answering is counted as
not survived, its log kept in build/bench/faultbench-deaths.txt, and the
campaign goes on with a fresh boot.

Writes build/bench/faultbench.txt (one "FAULTBENCH metric value" per line)
and build/bench/faultbench.json; exits non-zero unless the kernel survived
every fault and the workload's counters stayed consistent.  FAULTBENCH_SEED picks the flips (default 1).
"""
import collections
import json
import re
import os
import socket
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "qemu"))
import bitflip  # noqa: E402
import endpoint_util as eu  # noqa: E402
import harness  # noqa: E402

FAULTS = int(os.environ.get("FAULTBENCH_FAULTS", "500"))
SEED = int(os.environ.get("FAULTBENCH_SEED", "1"))
KINDS = ["faulty_null", "faulty_div", "faulty_ud", "faulty_rodata", "faulty_recurse"]
HANGS = ["faulty_spin", "faulty_spin_cli"]
FLIPS = ["bitflip_text", "bitflip_reg"]
ECHO_PERIOD_S = 0.02
WORKLOAD_RE = re.compile(r"calls=(\d+) ticks=(\d+) errors=(\d+)")


def plan(n):
    """The kinds of the n faults: every 5th a bit flip (text, register
    alternately), every 10th a hang (interrupts on, off), the rest cycling
    over KINDS."""
    kinds, j = [], 0
    for i in range(n):
        if i % 5 == 4:
            kinds.append(FLIPS[(i // 5) % 2])
        elif i % 10 == 8:
            kinds.append(HANGS[(i // 10) % 2])
        else:
            kinds.append(KINDS[j % len(KINDS)])
            j += 1
    return kinds


class Target:
    """One booted kernel with faulty, its theseusctl and the bit-flip injector."""

    def __init__(self, tmp, boot_no):
        self.key_file = os.path.join(tmp, "key%d" % boot_no)
        key_hex = eu.keygen(self.key_file)
        self.port = harness.free_port()
        self.echo_port = harness.free_port()
        gdb_port = harness.free_port(socket.SOCK_STREAM)
        self.g = harness.Guest(cmdline="key=%s exit=never loglevel=warn watchdog=200 "
                               "fault_restarts=100000" % key_hex,
                               modules=["hello", "faulty", "workload"], nic="e1000",
                               hostfwd=[("udp", self.port, 7700), ("udp", self.echo_port, 7)],
                               extra_args=["-gdb", "tcp:127.0.0.1:%d" % gdb_port],
                               label="faultbench%d" % boot_no).start()
        self.g.wait_for(r"theseus: ready:.*$", 60)
        self.inj = bitflip.Injector(self.g, gdb_port, self.c, seed=SEED * 1000 + boot_no)

    def c(self, *args):
        return eu.ctl(self.port, *args, key_file=self.key_file, timeout_ms=3000, retries=3)

    def workload(self):
        """(calls, ticks, errors) of the workload, or None."""
        p = self.c("invoke", "workload", "workload_status")
        m = WORKLOAD_RE.search(p.stdout)
        return tuple(int(x) for x in m.groups()) if p.returncode == 0 and m else None

    def workload_faults(self):
        """Workload calls that faulted in this boot (the task ended by a fault)."""
        return len(re.findall(r"task 'workload' ended \(E", self.g.log))

    def mem_used(self):
        p = self.c("--json", "info")
        m = re.search(r'"mem_used":\s*(\d+)', p.stdout)
        return int(m.group(1)) if p.returncode == 0 and m else None

    def close(self):
        try:
            self.inj.close()
        except Exception:  # noqa: BLE001 - a dead guest's gdbstub
            pass
        self.g.kill()


class Echo:
    """Echo traffic beside the campaign: one datagram every ECHO_PERIOD_S to
    the current target's echo port, answers counted (matched by sequence
    number; an answer that arrives late still counts)."""

    def __init__(self):
        self.port, self.sent, self.answered = None, 0, 0
        self.stop = threading.Event()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.settimeout(ECHO_PERIOD_S)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        seq, next_send = 0, time.monotonic()
        while not self.stop.is_set():
            port = self.port
            if next_send < time.monotonic() - 1.0:
                next_send = time.monotonic()  # after a reboot: no burst to catch up
            if port and time.monotonic() >= next_send:
                next_send += ECHO_PERIOD_S
                seq += 1
                try:
                    self.sock.sendto(b"faultbench echo %d" % seq, ("127.0.0.1", port))
                    self.sent += 1
                except OSError:
                    pass
            self.sock.settimeout(max(0.001, next_send - time.monotonic()))
            try:
                data, _ = self.sock.recvfrom(2048)
                if data.startswith(b"faultbench echo "):
                    self.answered += 1
            except OSError:
                pass  # timeout: time for the next datagram

    def close(self):
        self.stop.set()
        self.thread.join(2)
        self.sock.close()


def pct(values, q):
    if not values:
        return 0.0
    v = sorted(values)
    return v[min(len(v) - 1, int(q * len(v)))]


def run(faults, name="faultbench"):
    """The campaign; writes build/bench/NAME.txt, .json, -deaths.txt;
    returns (stats, report lines)."""
    out_dir = os.path.join(harness.BUILD, "bench")
    os.makedirs(out_dir, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="theseus-faultbench-")
    harness.reset_guests()
    deaths_path = os.path.join(out_dir, name + "-deaths.txt")
    open(deaths_path, "w").close()
    stats = {"faults": 0, "contained": 0, "recovered": 0, "served": 0, "hangs": 0, "bitflips": 0,
             "kernel_deaths": 0, "kernel_fault_reports": 0}
    wl = {"checks": 0, "unreadable": 0, "backwards": 0, "lost": 0, "stalls": 0, "errors": 0,
          "faulted_calls": 0, "ticks": 0}
    per_kind = {}
    flip_outcomes = collections.Counter()
    boots = 0
    t = Target(tmp, boots)
    echo = Echo()
    echo.port = t.echo_port
    t0 = time.time()
    recover_ms = []
    last_call, counter_ok = None, True
    last_wl = None  # (calls, ticks, errors) at the last check of this boot
    mem_before, mem_after = t.mem_used(), None

    def check_workload():
        """The workload's counters after a fault: never backwards, nothing
        lost but faulted calls, and still running."""
        nonlocal last_wl
        w = t.workload()
        wl["checks"] += 1
        if w is None:
            wl["unreadable"] += 1
            return
        calls, ticks, errors = w
        faulted = t.workload_faults()
        lost = max(0, calls - ticks - 1 - faulted)  # one call may be in flight
        if last_wl is not None:
            wl["backwards"] += ticks < last_wl[1]
            wl["stalls"] += ticks == last_wl[1]
        wl["lost"] = max(wl["lost"], lost)
        wl["errors"], wl["faulted_calls"] = errors, faulted
        wl["ticks"] = ticks
        last_wl = w

    try:
        for i, fn in enumerate(plan(faults)):
            k = per_kind.setdefault(fn, {"injected": 0, "contained": 0, "echo_sent": 0,
                                         "echo_answered": 0})
            k["injected"] += 1
            echo_at = (echo.sent, echo.answered)
            stats["faults"] += 1
            ok, what = False, fn
            try:
                if fn in FLIPS:
                    r = t.inj.text_flip() if fn == "bitflip_text" else t.inj.reg_flip()
                    flip_outcomes["%s %s" % (r["kind"], r["outcome"])] += 1
                    if "bad stack pointer" in r.get("detail", ""):
                        flip_outcomes["%s fault: bad stack pointer (#DF)" % r["kind"]] += 1
                    what = "%s %r" % (fn, r)
                    stats["bitflips"] += 1
                    ok = True  # whatever it did, it is judged by what follows
                else:
                    tf = time.time()
                    p = t.c("invoke", "faulty", fn)
                    text = p.stdout + p.stderr
                    ok = p.returncode != 0 and ("EFAULT" in text or "ETIMEDOUT" in text) and \
                        "restarted" in text
                    stats["hangs"] += fn in HANGS
                p = t.c("invoke", "faulty", "faulty_ok")
                recovered = p.returncode == 0 and "ok" in p.stdout
                if recovered and ok and fn not in FLIPS:
                    recover_ms.append((time.time() - tf) * 1000.0)
                p = t.c("invoke", "hello", "hello_greet_invoke")
                served = p.returncode == 0 and "hello from" in p.stdout
                m = re.search(r"\(call (\d+)\)", p.stdout)
                if served and m:
                    n = int(m.group(1))
                    if last_call is not None and n != last_call + 1:
                        counter_ok = False
                    last_call = n
                if served:
                    check_workload()
            except (harness.GuestError, OSError) as e:
                recovered = served = False
                ok = False
                text = str(e)
            if not served:
                # The kernel died (or stopped answering): keep its log, boot anew.
                stats["kernel_deaths"] += 1
                stats["kernel_fault_reports"] += t.g.log.count("*** FAULT")
                with open(deaths_path, "a") as f:
                    f.write("=== fault %d (%s), boot %d\n%s\n" % (i, what, boots, t.g.log[-4000:]))
                t.close()
                boots += 1
                t = Target(tmp, boots)
                echo.port = t.echo_port
                ok = recovered = False
                last_call = None  # a new boot: hello's counter starts again
                last_wl = None    # and so do the workload's
                mem_before = t.mem_used()
            k["contained"] += ok
            k["echo_sent"] += echo.sent - echo_at[0]
            k["echo_answered"] += echo.answered - echo_at[1]
            stats["contained"] += ok and served
            stats["recovered"] += recovered and served
            stats["served"] += served
        stats["kernel_fault_reports"] += t.g.log.count("*** FAULT")
        mem_after = t.mem_used()
    finally:
        echo.close()
        t.close()
    stats["seconds"] = round(time.time() - t0, 1)
    stats["boots"] = boots + 1
    stats["survived_all"] = stats["served"] == faults and stats["kernel_deaths"] == 0
    stats["recover_ms_median"] = round(pct(recover_ms, 0.5), 1)
    stats["recover_ms_p99"] = round(pct(recover_ms, 0.99), 1)
    stats["statedb_counter_consistent"] = counter_ok
    stats["mem_used_before"] = mem_before
    stats["mem_used_after"] = mem_after
    stats["workload_checks"] = wl["checks"]
    stats["workload_ticks"] = wl["ticks"]
    stats["workload_unreadable"] = wl["unreadable"]
    stats["workload_backwards"] = wl["backwards"]
    stats["workload_lost"] = wl["lost"]
    stats["workload_faulted_calls"] = wl["faulted_calls"]
    stats["workload_errors"] = wl["errors"]
    stats["workload_stalls"] = wl["stalls"]
    stats["workload_consistent"] = wl["backwards"] == 0 and wl["lost"] == 0 and \
        wl["unreadable"] == 0 and wl["checks"] > 0 and wl["ticks"] > 0
    stats["echo_sent"] = echo.sent
    stats["echo_answered"] = echo.answered
    lines = ["FAULTBENCH %s %s" % (k, v) for k, v in stats.items()]
    lines += ["FAULTBENCH kind %s %d/%d (echo %d/%d answered meanwhile)"
              % (k, v["contained"], v["injected"], v["echo_answered"], v["echo_sent"])
              for k, v in sorted(per_kind.items())]
    lines += ["FAULTBENCH bitflip %s %d" % (k, v) for k, v in sorted(flip_outcomes.items())]
    lines.append("FAULTBENCH survival %.1f%% recovery %.1f%% (%d faults, %d bit flips, "
                 "%d kernel deaths; recover median %.0f ms p99 %.0f ms; workload %s, "
                 "%d ticks; echo %d/%d answered)"
                 % (100.0 * stats["served"] / faults, 100.0 * stats["recovered"] / faults,
                    faults, stats["bitflips"], stats["kernel_deaths"],
                    stats["recover_ms_median"], stats["recover_ms_p99"],
                    "consistent" if stats["workload_consistent"] else "INCONSISTENT",
                    stats["workload_ticks"], stats["echo_answered"], stats["echo_sent"]))
    with open(os.path.join(out_dir, name + ".txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.join(out_dir, name + ".json"), "w") as f:
        json.dump({"stats": stats, "kinds": per_kind, "bitflips": flip_outcomes}, f, indent=1)
    return stats, lines


def main():
    stats, lines = run(FAULTS)
    print("\n".join(lines))
    return 0 if stats["survived_all"] and stats["workload_consistent"] else 1


if __name__ == "__main__":
    sys.exit(main())
