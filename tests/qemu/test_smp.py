"""test_smp.py - several CPUs (issue 20) under TCG: every CPU the firmware's
MADT lists starts (-smp 4), cpus=N limits them, one CPU stays the default,
and the ready line says how many run."""
import re

from harness import EXIT_SUCCESS, boot_ready, expect


def _cpus(ready):
    m = re.search(r", (\d+) CPUs?, ", ready)
    expect(m, "ready line names no CPU count: " + ready)
    return int(m.group(1))


def test_four_cpus_start():
    g, m = boot_ready(cmdline="exit=ready", extra_args=["-smp", "4"])
    expect(_cpus(m.group(0)) == 4, m.group(0))
    expect("smp: ACPI MADT: 4 CPUs (APIC ids 0,1,2,3)" in g.log, "MADT not read")
    expect(g.wait_exit(10) == EXIT_SUCCESS, f"exit status {g.exit_code}")


def test_grub_multiboot2_four_cpus():
    g, m = boot_ready(boot="iso", cmdline="exit=ready", extra_args=["-smp", "4"])
    expect(_cpus(m.group(0)) == 4, m.group(0))
    expect(g.wait_exit(10) == EXIT_SUCCESS, f"exit status {g.exit_code}")


def test_cpus_limit():
    g, m = boot_ready(cmdline="exit=ready cpus=2", extra_args=["-smp", "4"])
    expect(_cpus(m.group(0)) == 2, m.group(0))
    expect("(cpus= limit)" in g.log, "limit not reported")
    expect(g.wait_exit(10) == EXIT_SUCCESS, f"exit status {g.exit_code}")
    g, m = boot_ready(cmdline="exit=ready cpus=0", extra_args=["-smp", "2"])
    expect("cpus= must be 1..16" in g.log, "bad cpus= not named")
    expect(_cpus(m.group(0)) == 2, m.group(0))


def test_one_cpu_by_default():
    g, m = boot_ready(cmdline="exit=ready")
    expect(_cpus(m.group(0)) == 1, m.group(0))
    expect("smp: 1 CPU runs" in g.log, "one-CPU boot not reported")
    expect(g.wait_exit(10) == EXIT_SUCCESS, f"exit status {g.exit_code}")


def test_info_reports_cpus():
    """`theseusctl --json info` has "cpus" (info is read-only: no key needed)."""
    import json

    import endpoint_util as eu
    import harness
    port = harness.free_port()
    g = harness.Guest(cmdline="exit=never", nic="e1000", hostfwd=[("udp", port, 7700)],
                      extra_args=["-smp", "4"], label="smp info").start()
    g.wait_for(r"theseus: ready:[^\r\n]*(?=\r?\n)", 60)
    g.wait_for(r"net: address 10\.0\.2\.15", 60)
    p = eu.ctl(port, "--json", "info", timeout_ms=1000, retries=10, check_rc=0)
    [o] = [json.loads(line) for line in p.stdout.splitlines() if line.strip()]
    expect(o["ok"] and o["cpus"] == 4, "info json: %r" % o)
    p = eu.ctl(port, "info", timeout_ms=1000, retries=10, check_rc=0)
    expect(re.search(r"^cpus +4$", p.stdout, re.M), "info: %r" % p.stdout)


def test_swapstress_on_four_cpus():
    """100 swaps of hello under a calling task with 4 CPUs running: every swap
    stops the other CPUs (stop-machine by IPI); no call lost, memory flat, the
    pause reported per swap in the history ("pause=...us/4cpu")."""
    from harness import TEST_KERNEL, Guest
    g = Guest(cmdline="selftest=swapstress swapsrc=hello_v2,hello_broken",
              modules=["logfmt", "hello", "hello_v2", "hello_broken", "swapcaller"],
              kernel=TEST_KERNEL, extra_args=["-smp", "4"]).start()
    g.wait_for(r"selftest swapstress: (PASS|FAIL)", 300)
    code = g.wait_exit(20)
    log = g.log
    expect("selftest swapstress: PASS" in log, "swapstress failed")
    expect("smp: 4 CPUs run" in log, "not 4 CPUs")
    expect("swapstress: callers on 4 CPUs" in log, "no callers on every CPU")
    m = re.search(r"swapstress: (\d+) calls ok, 0 failed, saw v1 yes v2 yes, counter (\d+) -> (\d+)", log)
    expect(m and int(m.group(3)) - int(m.group(2)) == int(m.group(1)), "calls lost")
    mem = re.search(r"module memory (\d+) -> (\d+), heap (\d+) -> (\d+) bytes", log)
    expect(mem and mem.group(1) == mem.group(2) and mem.group(3) == mem.group(4), "memory not flat")
    expect(re.search(r"hello 1\.0->2\.0 OK .* pause=\d+us/4cpu", log), "no pause in the history")
    expect(re.search(r"pause per swap over \d+ swaps on 4 CPUs", log), "no pause summary")
    s = re.search(r"(\d+) stops, ", log)
    expect(s and int(s.group(1)) >= 100, "swaps did not stop the other CPUs")
    expect(code == EXIT_SUCCESS, f"exit status {code}")


def _smp_selftest(name, modules, extra="", cpus=4, timeout=120):
    from harness import TEST_KERNEL, Guest
    g = Guest(cmdline=f"selftest={name} {extra}".strip(), modules=modules, kernel=TEST_KERNEL,
              extra_args=["-smp", str(cpus)]).start()
    g.wait_for(rf"selftest {name}: (PASS|FAIL)$", timeout)
    code = g.wait_exit(20)
    expect(f"selftest {name}: PASS" in g.log and "selftest smp: FAIL" not in g.log, f"{name} failed")
    expect(code == EXIT_SUCCESS, f"exit status {code}, want {EXIT_SUCCESS}")
    return g


def test_tasks_on_four_cpus():
    """Pinned tasks stay on their CPU, unpinned ones spread over all 4 CPUs,
    wait queues and joins work across CPUs, memory stays flat."""
    g = _smp_selftest("smp_tasks", ["sched_rr", "sched_prio"], "sched=rr")
    expect("8 unpinned ran on CPUs 0xf" in g.log, "tasks did not spread over 4 CPUs")
    expect("sched: tasks on: policy rr" in g.log and "4 CPUs" in g.log, "scheduler not on 4 CPUs")


def test_policy_rr_prio_rr_with_tasks_on_four_cpus():
    g = _smp_selftest("smp_switch", ["sched_rr", "sched_prio"], "sched=rr swapsrc=sched_prio")
    expect("rr -> prio -> rr (rollback) -> prio -> rr by live swap with tasks on CPUs 0xf, 8 of 8 "
           "joined" in g.log, "policy swaps lost a task or a CPU")
    expect("rollback sched prio -> rr" in g.log, "no rollback of the policy")
    expect(re.search(r"sched rr-1\.0->prio-1\.0 OK .* pause=\d+us/4cpu", g.log) or
           "swap sched rr-1.0 -> prio-1.0" in g.log, "no swap to prio recorded")


def test_fault_on_cpu_2_recovered():
    g = _smp_selftest("smp_fault", ["faulty"])
    expect(re.search(r"smp_fault: on CPU 2: EFAULT \(faulty 1\.0: page fault at faulty_null\+0x"
                     r"[0-9a-f]+ \(address 0x0\)", g.log), "fault on CPU 2 not contained")
    expect("then on CPU 2: OK 'ok'; module ok" in g.log, "module not recovered on CPU 2")
    expect("restart faulty 1.0 -> 1.0" in g.log, "no restart in the history")
    expect(re.search(r"hang with interrupts off on CPU 2: ETIMEDOUT \(faulty 1\.0: watchdog: "
                     r"faulty_spin_cli\+0x", g.log), "interrupts-off hang on CPU 2 not cut")


def test_network_policy_swap_and_rollback_history_on_four_cpus():
    """From a workstation, with 4 CPUs: swap the policy rr -> prio and roll it
    back over the network; `theseusctl --json history` reports the pause and
    the CPUs of each transaction."""
    import json
    import os
    import tempfile

    import endpoint_util as eu
    import harness
    key = os.path.join(tempfile.mkdtemp(), "key")
    with open(key, "w") as f:
        f.write("ab" * 32 + "\n")
    port = harness.free_port()
    g = harness.Guest(cmdline="key=" + "ab" * 32 + " exit=never", modules=["sched_rr", "sched_prio"],
                      nic="e1000", hostfwd=[("udp", port, 7700)], extra_args=["-smp", "4"],
                      label="smp network swap").start()
    g.wait_for(r"theseus: ready:.*4 CPUs", 60)
    g.wait_for(r"net: address 10\.0\.2\.15", 60)
    c = lambda *a: eu.ctl(port, *a, key_file=key, timeout_ms=1000, retries=10, check_rc=0)  # noqa: E731
    out = c("swap", "--expect", "rr-1.0", "sched",
            os.path.join(harness.BUILD, "modules", "sched_prio.o")).stdout
    expect("rr-1.0 -> prio-1.0" in out, "swap output: " + out)
    g.wait_for(r"sched: policy prio: \d+ ready tasks moved", 20)
    c("rollback", "sched")
    g.wait_for(r"sched: policy rr: \d+ ready tasks moved", 20)
    [o] = [json.loads(line) for line in c("--json", "history").stdout.splitlines() if line.strip()]
    swaps = [e for e in o["entries"] if e["kind"] in ("swap", "rollback") and e["status"] == "OK"]
    expect(len(swaps) >= 2, "history: %r" % o)
    for e in swaps:
        expect(e["cpus"] == 4 and e["pause_ns"] > 0, "history entry without pause/cpus: %r" % e)
    out = c("history").stdout
    expect(re.search(r"rollback +sched prio-1\.0->rr-1\.0 +OK .*pause=\d+us/4cpu", out),
           "history table: %r" % out)


def test_mp_tables_fallback():
    """acpi=off: the CPUs come from the MP tables (SeaBIOS lists one entry per
    package, so the CPUs are given as sockets here)."""
    g, m = boot_ready(cmdline="exit=ready acpi=off", extra_args=["-smp", "4,sockets=4,cores=1,threads=1"])
    expect("smp: acpi=off; using the MP tables" in g.log, "MP tables not used")
    expect("smp: MP tables: 4 CPUs (APIC ids 0,1,2,3)" in g.log, "MP tables not read")
    expect(_cpus(m.group(0)) == 4, m.group(0))
    expect(g.wait_exit(10) == EXIT_SUCCESS, f"exit status {g.exit_code}")
