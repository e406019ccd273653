#!/usr/bin/env python3
"""test_lint_target.py - lint against a running kernel's export list (issue
16, item 5): a kernel booted with logfmt and hello (key=, e1000, UDP
forward) answers `theseusctl exports` with its own export list - the same
names as the installed exports.txt, with its module API - and the modules'
exports named with their module.  Then three objects are linted with `lint
--target` (theseusctl with --key-file, and theseus-lint with
THESEUS_KEY_FILE), linted with the installed list alone, and pushed to the
kernel (swap: a load, or a replacement of the running hello), and the
verdicts are compared:

  swapcaller  imports hello_greet, which only the loaded hello exports:
              OK with --target and for the kernel, ENOSYM with exports.txt;
  v_hidden    (tests/kit/verdicts/v_hidden.c, built with make -C tree M=dir)
              imports statedb_stats, a kernel function the kernel does not
              export: ENOSYM everywhere;
  hello_v2    replaces the running hello: its exports are hello's own (no
              clash), its import logfmt_format only the loaded logfmt
              exports: OK with --target and for the kernel, ENOSYM with
              exports.txt.
The load of swapcaller changes the list's generation.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import endpoint_util as eu  # noqa: E402
import harness  # noqa: E402
from harness import BUILD, TOP, expect  # noqa: E402

KEY_HEX = "5a" * 32
LINT = os.path.join(BUILD, "theseus-lint")
INSTALLED = os.path.join(BUILD, "kit", "exports.txt")


def _run(args, env=None, rc=0):
    p = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)
    if rc is not None:
        expect(p.returncode == rc, "%s: exit %d, want %d\n%s%s" % (" ".join(args), p.returncode,
                                                                  rc, p.stdout[-3000:],
                                                                  p.stderr[-3000:]))
    return p


def _status(p):
    """The status of the one file a lint --json run checked."""
    try:
        return json.loads(p.stdout)["files"][0]["status"]
    except (ValueError, KeyError, IndexError):
        raise harness.GuestError("lint --json: exit %d, no verdict:\n%s%s"
                                 % (p.returncode, p.stdout[-2000:], p.stderr[-2000:]))


def _installed_names():
    names = set()
    with open(INSTALLED) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#") and not line.startswith("module-api "):
                names.add(line)
    return names


def test_lint_target_agrees_with_kernel():
    expect(os.path.exists(INSTALLED), "%s missing: run make" % INSTALLED)
    with tempfile.TemporaryDirectory(prefix="theseus-lint-target-") as tmp:
        d = os.path.join(tmp, "v_hidden")
        os.mkdir(d)
        shutil.copy(os.path.join(TOP, "tests", "kit", "verdicts", "v_hidden.c"), d)
        _run(["make", "-s", "-C", TOP, "M=" + d])
        objs = {"swapcaller": harness.module_path("swapcaller"),
                "v_hidden": os.path.join(d, "v_hidden.o"),
                "hello": harness.module_path("hello_v2")}
        want = {"swapcaller": ("OK", "ENOSYM"), "v_hidden": ("ENOSYM", "ENOSYM"),
                "hello": ("OK", "ENOSYM")}
        key_file = os.path.join(tmp, "key")
        with open(key_file, "w") as f:
            f.write(KEY_HEX + "\n")

        port = harness.free_port()
        g = harness.Guest(cmdline="key=%s exit=never" % KEY_HEX, modules=["logfmt", "hello"],
                          nic="e1000",
                          hostfwd=[("udp", port, 7700)], label="lint-target").start()
        g.wait_for(r"theseus: ready:.*$", 60)
        eu.ctl(port, "ping", key_file=key_file, timeout_ms=1000, retries=10, check_rc=0)

        # The running kernel's list: the installed names, then hello's.
        x = json.loads(eu.ctl(port, "exports", "--json", key_file=key_file,
                              check_rc=0).stdout.splitlines()[-1])
        kernel_names = {s["name"] for s in x["symbols"] if s["module"] == ""}
        expect(kernel_names == _installed_names(),
               "kernel exports differ from %s: only running %s, only installed %s"
               % (INSTALLED, sorted(kernel_names - _installed_names())[:5],
                  sorted(_installed_names() - kernel_names)[:5]))
        expect({"name": "hello_greet", "module": "hello", "weak": False} in x["symbols"],
               "hello_greet of hello not listed")
        owners = {s["module"] for s in x["symbols"]}
        expect(x["total"] == len(x["symbols"]) and owners == {"", "logfmt", "hello"},
               "total %d, %d symbols of %s" % (x["total"], len(x["symbols"]), sorted(owners)))
        human = eu.ctl(port, "exports", key_file=key_file, check_rc=0).stdout
        expect("module API %d, %d symbols" % (x["module_api"], x["total"]) in human,
               "exports: %r" % human[:300])

        target = "127.0.0.1:%d" % port
        env = dict(os.environ, THESEUS_KEY_FILE=key_file)
        rows, ok = [], True
        for name, obj in objs.items():
            ctl = _status(_run([eu.CTL, "--key-file", key_file, "--json", "lint", "--target",
                                target, obj], rc=None))
            alone = _status(_run([LINT, "--json", "--exports", INSTALLED, obj], rc=None))
            tl = _status(_run([LINT, "--json", "--target", target, obj], env=env, rc=None))
            rows.append((name, ctl, tl, alone))
        kernel = {}
        for name, obj in objs.items():
            p = eu.ctl(port, "--json", "swap", name, obj, key_file=key_file)
            kernel[name] = json.loads(p.stdout.splitlines()[-1])["status"]
        table = []
        for name, ctl, tl, alone in rows:
            table.append("%-10s lint --target %-6s theseus-lint --target %-6s kernel %-6s "
                         "installed list %-6s want %s" % (name, ctl, tl, kernel[name], alone,
                                                          "/".join(want[name])))
            ok = ok and ctl == tl == kernel[name] == want[name][0] and alone == want[name][1]
        expect(ok, "verdicts differ:\n" + "\n".join(table))
        after = json.loads(eu.ctl(port, "exports", "--json", key_file=key_file,
                                  check_rc=0).stdout.splitlines()[-1])
        expect(after["generation"] != x["generation"] and after["total"] == x["total"] + 1 and
               {"name": "swapcaller_call", "module": "swapcaller", "weak": False}
               in after["symbols"], "after the load: generation %d -> %d, total %d -> %d"
               % (x["generation"], after["generation"], x["total"], after["total"]))
        ls = eu.ctl(port, "ls", key_file=key_file, check_rc=0).stdout
        expect("swapcaller" in ls and "v_hidden" not in ls, "ls: %r" % ls)
        expect("*** FAULT" not in g.log, "fault in the log")
        return "%d objects, same verdicts as the kernel; %d symbols listed" % (len(objs),
                                                                               x["total"])
