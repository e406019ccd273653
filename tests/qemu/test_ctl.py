#!/usr/bin/env python3
"""test_ctl.py - QEMU end-to-end tests of theseusctl (issue 9): every
subcommand against a real kernel (e1000, UDP forward to the endpoint on port
7700, key= on the command line, modules checksum kv logfmt hello), their
--json output (info: the NIC's counters grow with pings), and a fleet of three "guests" - two booted kernels and one
port nobody listens on: the two succeed, the down one is reported, the exit
status is non-zero.  Also runs tests/fleet_experiment.sh as the README shows.
test_ctl_hostile_strings loads modules/hostile (escape sequences, CR,
backspace, DEL, malformed UTF-8, a right-to-left override in its
description, task name, log lines and, renamed with objcopy, the function
its fault report names): every text output of theseusctl shows them
escaped, every --json output is strict JSON that gives the strings back,
and the kernel's serial log carries no control byte from them; a version
no swap could name (tests/unit/objs/t_badver.c) is refused, and the
module swapped again.
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import endpoint_util as eu  # noqa: E402
import harness  # noqa: E402
from harness import expect  # noqa: E402

MODULES = ["checksum", "kv", "logfmt", "hello"]
BOOT_TIMEOUT = 60
FATAL_RE = r"\*\*\* FAULT|lwip: assertion|heap: .*(overflow|double free)|panic"


def _boot(tmp, key_hex, label):
    port = harness.free_port()
    g = harness.Guest(cmdline="key=%s exit=never" % key_hex, modules=MODULES, nic="e1000",
                      hostfwd=[("udp", port, 7700)], label=label).start()
    g.port = port
    return g


def _ready(g, key_file):
    g.wait_for(r"theseus: ready:[^\r\n]*(?=\r?\n)", BOOT_TIMEOUT)
    g.wait_for(r"net: address 10\.0\.2\.15", BOOT_TIMEOUT)
    p = eu.ctl(g.port, "ping", key_file=key_file, timeout_ms=1000, retries=10)
    expect(p.returncode == 0, "ping: exit %d: %s" % (p.returncode, p.stderr))


def _json(p):
    return [json.loads(line) for line in p.stdout.splitlines() if line.strip()]


def _wait_output(path, pattern, proc, what, timeout=30):
    """Wait until file `path` (a process's stdout) matches pattern; fail, with
    the output so far, if the process exits or the deadline passes."""
    rx = re.compile(pattern, re.M)
    deadline = time.time() + timeout * harness.TIME_SCALE
    while True:
        with open(path) as f:
            text = f.read()
        m = rx.search(text)
        if m:
            return m
        if proc.poll() is not None:
            raise harness.GuestError("log -f exited (%d) before %s; stdout: %r" % (proc.returncode, what, text))
        if time.time() > deadline:
            raise harness.GuestError("log -f: no %s within %d s; stdout so far: %r" % (what, timeout, text))
        time.sleep(0.05)


def _log_follow_streams(g, key_file, tmp, start, c):
    """`log -f --from START` streams what the kernel logs after it started:
    a swap logged while it runs arrives; then a rollback, logged only after
    the swap's line was printed (so from a later poll), arrives too; nothing
    from before START is printed; and it keeps running until stopped."""
    out_path, err_path = os.path.join(tmp, "follow.out"), os.path.join(tmp, "follow.err")
    with open(out_path, "w") as out, open(err_path, "w") as err:
        follow = subprocess.Popen([eu.CTL, "-H", "127.0.0.1:%d" % g.port, "--key-file", key_file,
                                   "log", "-f", "--from", str(start), "--interval", "100"],
                                  stdout=out, stderr=err, stdin=subprocess.DEVNULL)
    try:
        p = c("swap", "hello", harness.module_path("hello_v2"), check_rc=0)
        expect(re.search(r"^hello: 1\.0 -> 2\.0$", p.stdout, re.M), "swap: %r" % p.stdout)
        _wait_output(out_path, r"INFO  swap: #\d+ swap hello 1\.0 -> 2\.0: ", follow, "the swap's log line")
        p = c("rollback", "hello", check_rc=0)
        _wait_output(out_path, r"INFO  swap: #\d+ rollback hello 2\.0 -> 1\.0: ", follow,
                     "the rollback's log line (logged after the swap's line was streamed)")
        expect(follow.poll() is None, "log -f stopped following (exit %s)" % follow.returncode)
    finally:
        follow.kill()
        follow.wait()
    with open(out_path) as f:
        text = f.read()
    expect("control: swap endpoint on UDP port" not in text,
           "log -f --from %d printed lines from before that position: %r" % (start, text[:500]))


def _tasks(c):
    """`tasks`: exit 0, the header, main running at priority 16, idle ready at
    0, and a summary naming the policy (no sched_* module: built-in fifo)
    whose task count matches the rows."""
    p = c("tasks", check_rc=0)
    expect(re.search(r"^\s+ID NAME\s+STATE\s+PRIO\s+CPU_MS\s+SWITCHES\s+CPU$", p.stdout, re.M),
           "tasks: no header: %r" % p.stdout)
    rows = re.findall(r"^\s+(\d+) (\S+)\s+(\w+)\s+(\d+)\s+[0-9.]+\s+\d+\s+\d+$", p.stdout, re.M)
    tasks = {name: (state, int(prio)) for _, name, state, prio in rows}
    expect(tasks.get("main") == ("running", 16), "tasks: main is not running at 16: %r" % p.stdout)
    expect(tasks.get("idle") == ("ready", 0), "tasks: idle is not ready at 0: %r" % p.stdout)
    m = re.search(r"^policy fifo, (\d+) tasks, \d+ switches$", p.stdout, re.M)
    expect(m and int(m.group(1)) == len(rows), "tasks: summary (policy fifo, %d tasks): %r"
           % (len(rows), p.stdout))
    [o] = _json(c("--json", "tasks", check_rc=0))
    expect(o["ok"] and o["status"] == "OK" and re.search(r"^\s+\d+ main\s+running\s+16 .* 0$", o["text"], re.M),
           "tasks json: %r" % o)


NIC_PINGS = 10
NIC_COUNTERS = ("rx_packets", "rx_bytes", "rx_drops", "rx_errors", "tx_packets", "tx_bytes",
                "tx_drops", "tx_errors", "irqs")


def _nic_counters(c):
    """`info` shows the NIC's counters (InfoReply.nic_counters): after
    NIC_PINGS authenticated pings, --json nic.counters has every field, and
    rx_packets and tx_packets each grew by at least NIC_PINGS (a request in
    and a reply out per ping), rx_bytes grew, irqs > 0 (QEMU's e1000 has an
    interrupt line); the text output has the rx/tx line under the nic line."""
    [o0] = _json(c("--json", "info", check_rc=0))
    n0 = o0["nic"].get("counters")
    expect(isinstance(n0, dict) and sorted(n0) == sorted(NIC_COUNTERS)
           and all(isinstance(n0[k], int) for k in NIC_COUNTERS),
           "info json: nic.counters missing or incomplete: %r" % o0["nic"])
    for _ in range(NIC_PINGS):
        c("ping", check_rc=0)
    [o1] = _json(c("--json", "info", check_rc=0))
    n1 = o1["nic"].get("counters") or {}
    d = {k: n1.get(k, 0) - n0[k] for k in NIC_COUNTERS}
    expect(d["rx_packets"] >= NIC_PINGS and d["tx_packets"] >= NIC_PINGS,
           "info json: after %d pings rx_packets grew by %d, tx_packets by %d (want >= %d each): "
           "before %r after %r" % (NIC_PINGS, d["rx_packets"], d["tx_packets"], NIC_PINGS, n0, n1))
    expect(d["rx_bytes"] > 0 and d["tx_bytes"] > 0, "info json: bytes did not grow: %r -> %r" % (n0, n1))
    expect(n1["irqs"] > 0, "info json: no interrupts counted on e1000: %r" % n1)
    p = c("info", check_rc=0)
    expect(re.search(r"^nic +8086:100e 82540EM, driver module e1000 \S+\n"
                     r"nic rx +\d+ frames \([0-9.]+ [kMGTPE]?B\), \d+ dropped, \d+ errors; "
                     r"tx \d+ frames \([0-9.]+ [kMGTPE]?B\), \d+ dropped, \d+ errors; \d+ interrupts$",
                     p.stdout, re.M), "info: no nic rx/tx line under the nic line: %r" % p.stdout)


def _subcommands(g, key_file, tmp):
    c = lambda *a, **kw: eu.ctl(g.port, *a, key_file=key_file, **kw)  # noqa: E731
    p = c("info", check_rc=0)
    expect(re.search(r"^kernel +Theseus-C", p.stdout, re.M), "info: %r" % p.stdout)
    [o] = _json(c("--json", "info", check_rc=0))
    expect(o["ok"] and o["status"] == "OK" and o["key_configured"] and o["modules"] >= 4,
           "info json: %r" % o)
    _nic_counters(c)
    p = c("ls", check_rc=0)
    expect(re.search(r"^hello +1\.0 ", p.stdout, re.M), "ls: %r" % p.stdout)
    [o] = _json(c("--json", "ls", check_rc=0))
    names = {m["name"]: m for m in o["modules"]}
    expect(set(MODULES) <= set(names), "ls json: %r" % o)
    # swap + invoke shows the new behaviour; rollback restores the old one.
    p = c("invoke", "hello", "hello_greet_invoke", check_rc=0)
    expect("hello from v1" in p.stdout, "invoke v1: %r" % p.stdout)
    p = c("swap", "hello", harness.module_path("hello_v2"), check_rc=0)
    expect(re.search(r"^hello: 1\.0 -> 2\.0", p.stdout, re.M), "swap: %r" % p.stdout)
    p = c("invoke", "hello", "hello_greet_invoke", check_rc=0)
    expect("HELLO from v2" in p.stdout, "invoke v2: %r" % p.stdout)
    p = c("rollback", "hello", check_rc=0)
    expect(re.search(r"^hello: 2\.0 -> 1\.0 \(rolled back\)", p.stdout, re.M),
           "rollback: %r" % p.stdout)
    p = c("invoke", "hello", "hello_greet_invoke", check_rc=0)
    expect("hello from v1" in p.stdout, "invoke after rollback: %r" % p.stdout)
    # The same object again: a real swap (the endpoint knows v1 runs now).
    c("swap", "hello", harness.module_path("hello_v2"), check_rc=0)
    c("rollback", "hello", check_rc=0)
    [o] = _json(c("--json", "history", check_rc=0))
    kinds = [(e["rollback"], e["items"][0]["module"]) for e in o["entries"] if e["status"] == "OK"]
    expect(kinds.count((True, "hello")) >= 2 and kinds.count((False, "hello")) >= 2,
           "history json: %r" % o)
    expect(all(len(e["stages"]) == 5 for e in o["entries"]), "stage times: %r" % o)
    p = c("history", check_rc=0)
    expect(re.search(r"rollback +hello 2\.0->1\.0 +OK", p.stdout), "history: %r" % p.stdout)
    # kv through invoke; its table is in statedb, which `state` lists.
    c("invoke", "kv", "kv_invoke_put", "fleet=yes", check_rc=0)
    p = c("invoke", "kv", "kv_invoke_get", "fleet", check_rc=0)
    expect(p.stdout.strip() == "yes", "kv get: %r" % p.stdout)
    p = c("invoke", "kv", "kv_invoke_get", "absent", check_rc=1)
    expect("ENOENT" in p.stderr, "kv get absent: %r" % p.stderr)
    c("invoke", "kv", "no_such_function", check_rc=1)
    [o] = _json(c("--json", "state", check_rc=0))
    expect(any(e["name"] == "hello.calls" for e in o["entries"]), "state json: %r" % o)
    p = c("state", check_rc=0)
    expect(re.search(r"^NAME +KIND", p.stdout), "state: %r" % p.stdout)
    p = c("log", check_rc=0)
    expect("control: swap endpoint on UDP port 7700" in p.stdout, "log: %r" % p.stdout[-500:])
    [o] = _json(c("--json", "log", check_rc=0))
    expect(o["next"] > 0 and "swap" in o["text"], "log json")
    _log_follow_streams(g, key_file, tmp, o["next"], c)
    p = c("graph", check_rc=0)
    expect(p.stdout.startswith("digraph ") and '"hello" -> "logfmt"' not in p.stdout,
           "graph: %r" % p.stdout)
    expect(re.search(r'"kv" -> "checksum" \[label="\d+"\];', p.stdout), "graph edge: %r" % p.stdout)
    _tasks(c)
    # kv imports checksum's exports: lint resolves them with --with.
    p = subprocess.run([eu.CTL, "lint", "--with", harness.module_path("checksum"),
                        harness.module_path("kv")], capture_output=True, text=True)
    expect(p.returncode == 0 and p.stdout.rstrip().endswith("ok"), "lint: %r" % p.stdout)
    # A wrong key is refused with a hint, and changes nothing.
    wrong = os.path.join(tmp, "wrong")
    eu.keygen(wrong)
    p = eu.ctl(g.port, "rollback", "hello", key_file=wrong, timeout_ms=300, retries=1, check_rc=4)
    expect("wrong key?" in p.stderr, "wrong key hint: %r" % p.stderr)
    expect(eu.ls_versions(g.port, key_file)["hello"] == "1.0", "wrong key changed hello")


def test_ctl_subcommands_and_fleet():
    tmp = tempfile.mkdtemp(prefix="theseus-ctl-")
    key_file = os.path.join(tmp, "key")
    key_hex = eu.keygen(key_file)
    a = _boot(tmp, key_hex, "ctl-a")
    b = _boot(tmp, key_hex, "ctl-b")
    _ready(a, key_file)
    _ready(b, key_file)
    _subcommands(a, key_file, tmp)

    down = harness.free_port()
    hosts = os.path.join(tmp, "hosts")
    with open(hosts, "w") as f:
        f.write("# two guests and one that is down\n127.0.0.1:%d\n127.0.0.1:%d\n"
                "127.0.0.1:%d  # nobody\n" % (a.port, b.port, down))
    base = [eu.CTL, "--key-file", key_file, "--timeout", "500", "--retries", "2"]
    p = subprocess.run(base + ["--hosts", hosts, "--json", "ls"], capture_output=True,
                       text=True, timeout=120)
    expect(p.returncode == 3, "fleet ls exit %d: %s" % (p.returncode, p.stderr))
    objs = {o["host"]: o for o in _json(p)}
    expect(len(objs) == 3, "one object per host: %r" % p.stdout)
    for g in (a, b):
        expect(objs["127.0.0.1:%d" % g.port]["ok"], "guest failed: %r" % objs)
    o = objs["127.0.0.1:%d" % down]
    expect(not o["ok"] and o["status"] == "ETIMEDOUT", "down host: %r" % o)
    expect("2 of 3 hosts succeeded; failed: 127.0.0.1:%d (ETIMEDOUT)" % down in p.stderr,
           "summary: %r" % p.stderr)
    # A fleet swap: both live guests switch, the down one is reported.
    p = subprocess.run(base + ["-H", "127.0.0.1:%d,127.0.0.1:%d,127.0.0.1:%d" % (a.port, b.port, down),
                               "swap", "hello", harness.module_path("hello_v2")],
                       capture_output=True, text=True, timeout=180)
    expect(p.returncode == 3, "fleet swap exit %d: %s" % (p.returncode, p.stderr))
    for g in (a, b):
        expect(eu.ls_versions(g.port, key_file)["hello"] == "2.0", "fleet swap missed a guest")
    p = subprocess.run(base + ["-H", "127.0.0.1:%d,127.0.0.1:%d" % (a.port, b.port),
                               "rollback", "hello"], capture_output=True, text=True, timeout=120)
    expect(p.returncode == 0, "fleet rollback: %s" % p.stderr)

    # The README's fleet experiment, as written, against the two guests: a
    # rollout with measurements, results as JSON lines in EXPERIMENT_OUT.
    with open(hosts, "w") as f:
        f.write("127.0.0.1:%d\n127.0.0.1:%d\n" % (a.port, b.port))
    results = os.path.join(tmp, "experiment.jsonl")
    env = dict(os.environ, THESEUS_KEY_FILE=key_file, THESEUSCTL=eu.CTL,
               HELLO_V2=harness.module_path("hello_v2"), EXPERIMENT_OUT=results)
    p = subprocess.run([os.path.join(harness.TOP, "tests", "fleet_experiment.sh"), hosts],
                       capture_output=True, text=True, timeout=300, env=env)
    expect(p.returncode == 0, "fleet_experiment.sh: exit %d\n%s\n%s"
           % (p.returncode, p.stdout, p.stderr))
    expect("experiment done" in p.stdout, "experiment output: %r" % p.stdout)
    with open(results) as f:
        rows = [json.loads(line) for line in f if line.strip()]
    phases = [r["phase"] for r in rows]
    expect(phases == ["baseline"] * 2 + ["rollout"] * 2 + ["after_rollout"] * 2
           + ["rollback"] * 2 + ["after_rollback"] * 2, "experiment phases: %r" % phases)
    after = [r for r in rows if r["phase"] == "after_rollout"]
    expect(all(r["ok"] and "HELLO from v2" in r["output"] for r in after),
           "measurement after the rollout: %r" % after)
    ro = [r for r in rows if r["phase"] == "rollout"]
    expect(all(r["status"] == "done" and r["check"] == "ok" and r["new_version"] == "2.0"
               for r in ro), "rollout rows: %r" % ro)
    for g in (a, b):
        expect(eu.ls_versions(g.port, key_file)["hello"] == "1.0", "experiment did not roll back")

    # Again with guest a on 2.0 before it starts: the rollout finds it there
    # ("already") and the experiment's rollback leaves it on 2.0, as it was;
    # only b, which the rollout updated, goes back to 1.0.
    eu.ctl(a.port, "swap", "hello", harness.module_path("hello_v2"), key_file=key_file, check_rc=0)
    p = subprocess.run([os.path.join(harness.TOP, "tests", "fleet_experiment.sh"), hosts],
                       capture_output=True, text=True, timeout=300, env=env)
    expect(p.returncode == 0, "fleet_experiment.sh (a on 2.0): exit %d\n%s\n%s"
           % (p.returncode, p.stdout, p.stderr))
    with open(results) as f:
        rows = [json.loads(line) for line in f if line.strip()]
    ro = {r["host"]: r["status"] for r in rows if r["phase"] == "rollout"}
    expect(ro == {"127.0.0.1:%d" % a.port: "already", "127.0.0.1:%d" % b.port: "done"},
           "rollout rows (a on 2.0): %r" % ro)
    rb = [r["host"] for r in rows if r["phase"] == "rollback"]
    expect(rb == ["127.0.0.1:%d" % b.port], "rolled back (a on 2.0): %r" % rb)
    expect(eu.ls_versions(a.port, key_file)["hello"] == "2.0",
           "the experiment rolled back a guest it had not updated")
    expect(eu.ls_versions(b.port, key_file)["hello"] == "1.0", "b was not rolled back")
    for g in (a, b):
        m = re.search(FATAL_RE, g.log)
        expect(m is None, "fatal message: %s" % (m.group(0) if m else ""))
        g.kill()


# What must never reach a terminal from a module's strings: C0 controls but
# newline and tab, DEL, C1 controls and bidi overrides as UTF-8.
_UNSAFE_RE = re.compile(rb"[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]|\xe2\x80[\xaa-\xae]")
HOSTILE_FN = b"hostile_\x1b[2J\x1b]0;SYMTITLE\x07deep"


def _ctl_bytes(port, key_file, *args):
    """theseusctl's stdout and stderr as bytes (they must be safe bytes)."""
    cmd = [eu.CTL, "-H", "127.0.0.1:%d" % port, "--key-file", key_file, "--timeout", "500",
           "--retries", "6"] + list(args)
    p = subprocess.run(cmd, capture_output=True, timeout=120 * harness.TIME_SCALE,
                       env=dict(os.environ, THESEUS_SESSION_CACHE="off"))
    return p


def _strict_json(b, what):
    """One JSON object per line, strict UTF-8 and strict JSON."""
    text = b.decode("utf-8")   # raises on malformed UTF-8
    objs = [json.loads(line) for line in text.splitlines() if line.strip()]
    expect(objs, "%s: no JSON object" % what)
    return objs


def test_ctl_hostile_strings():
    tmp = tempfile.mkdtemp(prefix="theseus-ctl-hostile-")
    key_file = os.path.join(tmp, "key")
    key_hex = eu.keygen(key_file)
    # The function the fault report names gets a name with ESC sequences.
    obj = os.path.join(tmp, "hostile.o")
    subprocess.run(["objcopy", "--redefine-sym", b"hostile_deep=" + HOSTILE_FN,
                    harness.module_path("hostile"), obj], check=True)
    g = _boot(tmp, key_hex, "ctl-hostile")
    _ready(g, key_file)
    p = _ctl_bytes(g.port, key_file, "swap", "hostile", obj)
    expect(p.returncode == 0, "swap hostile: %r %r" % (p.stdout, p.stderr))
    for args in (("invoke", "hostile", "hostile_say"), ("invoke", "hostile", "hostile_crash")):
        _ctl_bytes(g.port, key_file, *args)
    # Text: everything escaped, nothing a terminal would act on.
    seen = {}
    for args in (("ls",), ("tasks",), ("history",), ("log",), ("exports",), ("info",),
                 ("lint", obj), ("swap", "hostile", obj)):
        p = _ctl_bytes(g.port, key_file, *args)
        expect(p.returncode == 0, "%s: exit %d: %r" % (args[0], p.returncode, p.stderr))
        for name, out in (("stdout", p.stdout), ("stderr", p.stderr)):
            m = _UNSAFE_RE.search(out)
            expect(m is None, "%s %s: unescaped %r in %r" % (args[0], name, m and m.group(0), out[-800:]))
            out.decode("utf-8")
        seen[args[0]] = p.stdout
    expect(re.search(rb"^hostile +1\.0 +[0-9a-f]{12} ", seen["ls"], re.M), "ls: %r" % seen["ls"])
    expect(b"t\\x1b[2J\\x1b]0;T\\x07\\xff" in seen["tasks"], "tasks: %r" % seen["tasks"])
    expect(b"page fault at hostile_\\x1b[2J\\x1b]0;SYMTITLE\\x07deep+" in seen["history"],
           "history: fault message: %r" % seen["history"][-600:])
    expect(b"d\\x1b]52;c;cHduZWQ=\\x07\\u202e\\xc0\\xaf" in seen["lint"], "lint: %r" % seen["lint"])
    # A version no swap could name as the expected one (before, it loaded,
    # and then no theseusctl swap could replace it: "expected_version must
    # be ..."): refused, saying why, and nothing running is lost.
    bad = os.path.join(harness.BUILD, "tests", "objs", "t_badver.o")
    p = _ctl_bytes(g.port, key_file, "swap", "t_badver", bad)
    expect(p.returncode == 1 and b"EBADELF" in p.stderr and
           b"module version: only [A-Za-z0-9_.-], byte 4 is 0x1b" in p.stderr,
           "swap t_badver: exit %d: %r" % (p.returncode, p.stderr))
    p = _ctl_bytes(g.port, key_file, "lint", bad)
    expect(p.returncode == 1 and b"byte 4 is 0x1b" in p.stdout + p.stderr, "lint t_badver: %r" % p)
    expect("t_badver" not in eu.ls_versions(g.port, key_file), "t_badver loaded")
    expect(eu.ls_versions(g.port, key_file)["hostile"] == "1.0", "hostile not running")
    p = _ctl_bytes(g.port, key_file, "invoke", "hostile", "hostile_say")
    expect(p.returncode == 0, "hostile after the refusal: %r" % p.stderr)
    # The log: the kernel escaped the control bytes, so the module's newline
    # made no log line of its own.
    expect(b"say \\x1b[2J\\x1b]52;c;cHduZWQ=\\x07" in seen["log"] and
           b"\\x0a[    0.000000] INFO  forged: line" in seen["log"],
           "log: %r" % seen["log"][-800:])
    expect(not re.search(rb"^\[    0\.000000\] INFO  forged", seen["log"], re.M), "log: forged line")
    # JSON: strict, and the strings come back (bytes >= 0x80 as \u00XX).
    [o] = _strict_json(_ctl_bytes(g.port, key_file, "--json", "ls").stdout, "ls")
    mods = {m["name"]: m for m in o["modules"]}
    expect(mods["hostile"]["version"] == "1.0", "ls json: %r" % mods)
    [o] = _strict_json(_ctl_bytes(g.port, key_file, "--json", "lint", obj).stdout, "lint")
    texts = [f["text"] for f in o["files"][0]["findings"]]
    expect(any(b"d\x1b]52;c;cHduZWQ=\x07\xe2\x80\xae" in t.encode("latin-1") for t in texts),
           "lint json: the description does not come back: %r" % texts)
    [o] = _strict_json(_ctl_bytes(g.port, key_file, "--json", "history").stdout, "history")
    faults = [e for e in o["entries"] if e["kind"] == "fault"]
    expect(faults and HOSTILE_FN in faults[-1]["message"].encode("latin-1"),
           "history json: %r" % faults)
    [o] = _strict_json(_ctl_bytes(g.port, key_file, "--json", "exports").stdout, "exports")
    expect(any(s["name"].encode("latin-1") == b"hostile_say" for s in o["symbols"]), "exports json")
    for args in (("info",), ("tasks",), ("log",), ("state",), ("graph",)):
        _strict_json(_ctl_bytes(g.port, key_file, "--json", *args).stdout, args[0])
    # The serial log holds no control byte a module wrote (the kernel escapes
    # C0 but tab, and DEL; other bytes pass, theseusctl escapes them).
    with open(g.log_path, "rb") as f:
        serial = f.read().replace(b"\r\n", b"\n")
    expect(b"hostile: say \\x1b[2J" in serial, "serial: the log line is missing")
    for line in serial.split(b"\n"):
        if b"hostile" in line:
            m = re.search(rb"[\x00-\x08\x0a-\x1f\x7f]", line)
            expect(m is None, "serial log: unescaped %r in %r" % (m and m.group(0), line))
    m = re.search(FATAL_RE, g.log)
    expect(m is None, "fatal message: %s" % (m.group(0) if m else ""))
    g.kill()


if __name__ == "__main__":
    harness.reset_guests()
    try:
        test_ctl_subcommands_and_fleet()
        print("PASS test_ctl_subcommands_and_fleet")
        test_ctl_hostile_strings()
        print("PASS test_ctl_hostile_strings")
    finally:
        harness.kill_guests()
