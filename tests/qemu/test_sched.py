"""test_sched.py - kernel tasks and the scheduler whose policy is a module
(issue 6): the boot self-tests selftest=sched_* (kernel/task/sched_selftest.c)
with the policy modules sched_rr and sched_prio as boot modules, policy
selection and fallback, and the task list."""
import re

from harness import EXIT_FAILURE, EXIT_FAULT, EXIT_SUCCESS, Guest, boot_ready, expect

POLICIES = ["sched_rr", "sched_prio"]


def _selftest(name, sched="rr", timeout=60, extra=""):
    g = Guest(cmdline=f"selftest={name} sched={sched} {extra}".strip(), modules=POLICIES).start()
    g.wait_for(rf"selftest {name}: (PASS|FAIL)$", timeout)
    code = g.wait_exit(10)
    expect(f"selftest {name}: PASS" in g.log and "selftest sched: FAIL" not in g.log,
           f"{name} failed")
    expect(code == EXIT_SUCCESS, f"exit status {code}, want {EXIT_SUCCESS}")
    return g


def test_basic_tasks_waitq_yield_stackwalk():
    g = _selftest("sched_basic")
    expect("walk_target in walk_marker: yes" in g.log, "stack walk did not find the task")
    expect(re.search(r"walk_target\s+blocked\s+16", g.log), "task list lacks the blocked task")


def test_round_robin_is_fair():
    g = _selftest("sched_fair", "rr")
    m = re.search(r"sched_fair: policy rr, cpu ms (\d+) (\d+) (\d+)", g.log)
    expect(m, "no CPU times printed")
    return "cpu ms " + " ".join(m.groups())


def test_priority_policy_orders_by_priority():
    g = _selftest("sched_prio", "prio")
    expect("policy prio, finish rank of prio 5: 2, 10: 1, 20: 0" in g.log, "wrong order")


def test_round_robin_ignores_priority():
    # The same work under rr is shared in turn, so the task created last
    # (priority 20) does not finish first: proof that the priority test
    # measures the policy, not luck.
    g = Guest(cmdline="selftest=sched_prio sched=rr", modules=POLICIES).start()
    g.wait_for(r"selftest sched_prio: (PASS|FAIL)$", 60)
    expect(re.search(r"policy rr, finish rank of prio 5: \d, 10: \d, 20: [12]$", g.log, re.M),
           "rr ran the priority 20 task first")
    expect(g.wait_exit(10) == EXIT_FAILURE, "the ordering check passed under rr")


def test_sleep_accuracy():
    g = _selftest("sched_sleep")
    naps = re.findall(r"slept (\d+)\.\d+ ms for (\d+) ms", g.log)
    expect(len(naps) == 6, f"{len(naps)} sleeps reported")
    return "slept " + ", ".join(f"{a}/{b}" for a, b in naps) + " ms"


def test_exit_and_join_free_memory():
    g = _selftest("sched_mem")
    m = re.search(r"sched_mem: 110 tasks: heap (\d+) -> (\d+) bytes, .* free frames (\d+) -> (\d+)",
                  g.log)
    expect(m and m.group(1) == m.group(2) and m.group(3) == m.group(4), "memory not returned")


def test_policy_switch_carries_run_queue():
    g = _selftest("sched_switch")
    expect(re.search(r"policy prio \(prio\): [45] ready tasks moved", g.log),
           "the ready tasks did not move to prio")
    expect("4 of 4 tasks joined" in g.log, "a task was lost")


def test_stack_overflow_names_the_task():
    g = Guest(cmdline="selftest=sched_stack", modules=POLICIES).start()
    g.wait_for(r"\*\*\* FAULT: (double fault|page fault)", 30)
    g.wait_for(r"kernel stack overflow: hit the guard page of task 'overflow'", 10)
    expect(g.wait_exit(10) == EXIT_FAULT, f"exit status {g.exit_code}, want {EXIT_FAULT}")


def test_policy_chosen_on_command_line_and_task_list():
    g, _ = boot_ready(cmdline="sched=prio tasks=show exit=ready", modules=POLICIES)
    expect("sched: tasks on: policy prio" in g.log, "sched=prio not applied")
    expect(re.search(r"^\s+\d+ main\s+running\s+16 ", g.log, re.M), "task list lacks main")
    expect(re.search(r"^\s+\d+ idle\s+ready\s+0 ", g.log, re.M), "task list lacks idle")
    expect(g.wait_exit(10) == EXIT_SUCCESS, f"exit status {g.exit_code}")


def test_missing_policy_module_falls_back_to_fifo():
    g, _ = boot_ready(cmdline="sched=prio exit=ready")
    expect(re.search(r"WARN\s+sched: .*policy 'prio' not loaded.*falling back", g.log),
           "no warning naming the missing policy")
    expect("tasks on: policy fifo" in g.log, "not on the fallback policy")
    expect(g.wait_exit(10) == EXIT_SUCCESS, f"exit status {g.exit_code}")


def test_fallback_fifo_still_schedules():
    _selftest("sched_fair", "nosuch")
