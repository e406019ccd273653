"""test_swap.py - the live swap engine in the kernel (kernel/swap): the
command-line trigger swap=mod:bootmod, refusals that leave the old version
running, and selftest=swapstress (a task calls hello through swapcaller while
hello is swapped 100 times; calls, state and memory are checked in-kernel)."""
import re

from harness import EXIT_SUCCESS, TEST_KERNEL, Guest, boot_ready, expect

BASE = ["logfmt", "hello", "hello_v2", "hello_broken", "swapcaller"]


def test_swap_from_command_line_changes_behaviour_keeps_state():
    g, m = boot_ready(cmdline="swap=hello:hello_v2 exit=ready", modules=BASE[:3] + ["swapcaller"],
                      kernel=TEST_KERNEL)
    log = g.log
    expect("boot module 'hello_v2' kept as a swap source, not loaded" in log, "source was loaded")
    expect(re.search(r"before swap: hello_greet: hello from v1 \(call 1\)", log), "v1 did not answer")
    expect(re.search(r"after swap: hello_greet: .*HELLO from v2, call 2", log),
           "v2 did not answer, or the statedb counter was not carried over")
    hist = re.search(r"history #\d+ t=\S+ hello 1\.0->2\.0 OK sites=(\d+) load=\S+us verify=\S+us "
                     r"relink=\S+us transfer=\S+us cleanup=\S+us total=\S+us", log)
    expect(hist, "no swap history line with stage times")
    expect(int(hist.group(1)) >= 1, "swapcaller's site was not relinked")
    expect(g.wait_exit(10) == EXIT_SUCCESS, f"exit status {g.exit_code}")


def test_swap_missing_symbol_refused_old_keeps_running():
    g, m = boot_ready(cmdline="swap=hello:hello_broken exit=ready", kernel=TEST_KERNEL,
                      modules=["logfmt", "hello", "hello_broken", "swapcaller"])
    log = g.log
    expect(re.search(r"swap= refused: swapcaller uses hello_greet of module hello; "
                     r"the new hello 9\.0 does not export it \(ENOSYM\)", log),
           "missing symbol not reported with dependent and module")
    expect(re.search(r"after refused swap: hello_greet: hello from v1 \(call 2\)", log),
           "old hello stopped answering")
    expect(re.search(r"history #\d+ .*hello 1\.0->9\.0 ENOSYM", log), "refusal not in history")
    expect(g.wait_exit(10) == EXIT_SUCCESS, f"exit status {g.exit_code}")


def test_two_module_swap_with_bad_second_swaps_neither():
    # The second object (hello_broken) declares module "hello", not "swapcaller".
    g, m = boot_ready(cmdline="swap=hello:hello_v2,swapcaller:hello_broken exit=ready", kernel=TEST_KERNEL,
                      modules=BASE)
    log = g.log
    expect(re.search(r"swap= refused: .*declares module 'hello', not 'swapcaller'", log),
           "bad second object not refused")
    expect(re.search(r"after refused swap: hello_greet: hello from v1 \(call 2\)", log),
           "hello was swapped although the transaction failed")
    expect(re.search(r"swapcaller\s+1\.0", log), "swapcaller not listed")
    expect(g.wait_exit(10) == EXIT_SUCCESS, f"exit status {g.exit_code}")


def test_swapstress_100_swaps_under_a_calling_task():
    g = Guest(cmdline="selftest=swapstress swapsrc=hello_v2,hello_broken", modules=BASE,
              kernel=TEST_KERNEL).start()
    g.wait_for(r"selftest swapstress: (PASS|FAIL)", 120)
    code = g.wait_exit(20)
    log = g.log
    expect("selftest swapstress: PASS" in log, "swapstress failed")
    m = re.search(r"swapstress: (\d+) calls ok, 0 failed, saw v1 yes v2 yes, counter (\d+) -> (\d+)", log)
    expect(m, "calls failed or a version never answered")
    expect(int(m.group(3)) - int(m.group(2)) == int(m.group(1)), "statedb counter lost calls")
    mem = re.search(r"module memory (\d+) -> (\d+), heap (\d+) -> (\d+) bytes", log)
    expect(mem and mem.group(1) == mem.group(2) and mem.group(3) == mem.group(4), "memory not flat")
    expect("swap to hello_broken: ENOSYM" in log, "broken swap not refused")
    expect("two-module swap, second truncated: EBADELF" in log, "bad transaction not refused")
    expect(code == EXIT_SUCCESS, f"exit status {code}")
