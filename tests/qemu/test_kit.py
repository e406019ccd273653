#!/usr/bin/env python3
"""test_kit.py - the module kit, as a lab user with a module in their own
repository uses it: the example project tests/kit/counter/ (its own
Makefile) is copied to a temporary directory and built three ways against
`make install DESTDIR=... PREFIX=/usr` (made before the tests, in
build/tests/kit/dest): with the installed makefile fragment, with
`pkg-config --cflags theseus-module`, and with `make -C <tree> M=<dir>`.
The object lints clean with the installed theseus-lint, a plain `gcc -c` is
refused by theseus.h, and the object is pushed and loaded live into a
booted kernel with theseusctl, where its init runs and its state lands in
statedb.

test_kit_lint_agrees_with_kernel builds the objects of tests/kit/verdicts/
(good ones and bad ones: a kernel-only import, __stack_chk_fail, TLS, a
file without the kit's flags, a static export, a duplicate of a kernel
export) against the installed kit, lints each with the installed
theseus-lint, pushes each to a booted kernel, and compares the verdicts.

test_kit_cxx_module_with_global_objects builds tests/kit/cxxdemo/ (C++: a
class, global objects with constructors) with the installed fragment and
with `make -C <tree> M=<dir>`, lints it, and loads it live twice: its
constructors run before its init each time.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import endpoint_util as eu  # noqa: E402
import harness  # noqa: E402
from harness import BUILD, TOP, expect  # noqa: E402

DEST = os.path.join(BUILD, "tests", "kit", "dest")
PREFIX = os.path.join(DEST, "usr")
KEY_HEX = "6b" * 32


def _run(args, cwd=None, env=None, rc=0):
    p = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    if rc is not None:
        expect(p.returncode == rc, "%s: exit %d, want %d\n%s%s" % (" ".join(args), p.returncode, rc,
                                                                  p.stdout[-3000:], p.stderr[-3000:]))
    return p


def _project(tmp, name="counter", src="counter"):
    d = os.path.join(tmp, name)
    shutil.copytree(os.path.join(TOP, "tests", "kit", src), d)
    return d


def test_kit_builds_out_of_tree_and_loads_live():
    expect(os.path.exists(os.path.join(BUILD, "tests", "kit", ".done")),
           "build/tests/kit/.done missing: run `make test` (it installs the kit first)")
    with tempfile.TemporaryDirectory(prefix="theseus-kit-") as tmp:
        # 1. The project's own Makefile with the installed fragment.
        d = _project(tmp)
        _run(["make", "-s", "THESEUS_PREFIX=" + PREFIX], cwd=d)
        obj = os.path.join(d, "counter.o")
        expect(os.path.isfile(obj), "no counter.o")
        lint = _run([os.path.join(PREFIX, "bin", "theseus-lint"), obj])
        expect(re.search(r"counter\.o: ok$", lint.stdout, re.M), "lint: " + lint.stdout)
        # 2. pkg-config directly.
        env = dict(os.environ, PKG_CONFIG_PATH=os.path.join(PREFIX, "lib", "pkgconfig"))
        flags = _run(["pkg-config", "--define-variable=prefix=" + PREFIX, "--cflags",
                      "theseus-module"], env=env).stdout.split()
        expect("-mno-red-zone" in flags and "-mcmodel=small" in flags and "-fno-pic" in flags,
               "pkg-config flags: %s" % flags)
        expect("-isystem" not in flags, "pkg-config flags name a compiler's directory: %s" % flags)
        _run(["gcc"] + flags + ["-c", "counter.c", "-o", os.path.join(tmp, "pc.o")], cwd=d)
        _run([os.path.join(PREFIX, "bin", "theseus-lint"), os.path.join(tmp, "pc.o")])
        # 2b. The same with clang, when this machine has it: by hand and with the
        # fragment (CC=clang); the clang-built object is the one reloaded below.
        clang_obj = None
        if shutil.which("clang"):
            _run(["clang"] + flags + ["-c", "counter.c", "-o", os.path.join(tmp, "pc_clang.o")], cwd=d)
            lint = _run([os.path.join(PREFIX, "bin", "theseus-lint"), os.path.join(tmp, "pc_clang.o")])
            expect(re.search(r"pc_clang\.o: ok$", lint.stdout, re.M), "lint (clang): " + lint.stdout)
            dc = _project(tmp, "counter_clang")
            _run(["make", "-s", "THESEUS_PREFIX=" + PREFIX, "CC=clang", "MODULE=counter"], cwd=dc)
            clang_obj = os.path.join(dc, "counter.o")
            lint = _run([os.path.join(PREFIX, "bin", "theseus-lint"), clang_obj])
            expect(re.search(r"counter\.o: ok$", lint.stdout, re.M), "lint (CC=clang): " + lint.stdout)
            comment = _run(["readelf", "-p", ".comment", os.path.join(dc, "counter.debug")]).stdout
            expect("clang" in comment, "CC=clang did not build with clang: %s" % comment)
        # 3. A plain compile (red zone on, PIC, SSE) is refused with directions.
        p = _run(["gcc", "-I" + os.path.join(PREFIX, "include", "theseus"), "-c", "counter.c",
                  "-o", os.path.join(tmp, "plain.o")], cwd=d, rc=None)
        expect(p.returncode != 0 and "module kit's flags" in p.stderr,
               "a plain gcc -c was not refused: %s" % p.stderr[-500:])
        # 4. make -C <tree> M=<dir> (Linux's external-module spelling).
        m = _project(tmp, "counter_m")
        os.unlink(os.path.join(m, "Makefile"))
        _run(["make", "-s", "-C", TOP, "M=" + m])
        expect(os.path.isfile(os.path.join(m, "counter_m.o")), "make M= wrote no counter_m.o")
        _run([os.path.join(BUILD, "theseus-lint"), os.path.join(m, "counter_m.o")])

        # 5. Live: push and load it into a running kernel, twice (a reload keeps state).
        port = harness.free_port()
        g = harness.Guest(cmdline="key=%s exit=never" % KEY_HEX, modules=["hello"], nic="e1000",
                          hostfwd=[("udp", port, 7700)], label="kit").start()
        g.wait_for(r"theseus: ready:[^\r\n]*(?=\r?\n)", 60)
        key_file = os.path.join(tmp, "key")
        with open(key_file, "w") as f:
            f.write(KEY_HEX + "\n")
        eu.ctl(port, "ping", key_file=key_file, timeout_ms=1000, retries=10, check_rc=0)
        out = eu.ctl(port, "swap", "counter", obj, key_file=key_file, check_rc=0).stdout
        expect("counter" in out, "swap output: %r" % out)
        g.wait_for(r"counter: counter 1\.0 ready: start #1$", 10)
        ls = eu.ctl(port, "ls", key_file=key_file, check_rc=0).stdout
        expect(re.search(r"^counter +1\.0 ", ls, re.M), "ls: %r" % ls)
        eu.ctl(port, "rollback", "--unload", "counter", key_file=key_file, check_rc=0)   # unloads it
        eu.ctl(port, "swap", "counter", clang_obj or obj, key_file=key_file, check_rc=0)
        g.wait_for(r"counter: counter 1\.0 ready: start #2$", 10)
        state = eu.ctl(port, "state", key_file=key_file, check_rc=0).stdout
        expect("counter.starts" in state, "state: %r" % state)
        expect("*** FAULT" not in g.log, "fault in the log")


VERDICTS = {  # object: (sources, extra flags per source or None for a plain gcc -c, want)
    "v_good": ([("v_good.c", [])], "OK"),
    "v_hidden": ([("v_hidden.c", [])], "ENOSYM"),
    "v_stackprot": ([("v_stackprot.c", ["-fstack-protector-all"])], "ENOSYM"),
    "v_tls": ([("v_tls.c", [])], "ENOTSUP"),
    "v_plain": ([("v_plain.c", []), ("v_plain_lib.c", None)], "ENOTSUP"),
    "v_static": ([("v_static.c", [])], "EBADELF"),
    "v_dup": ([("v_dup.c", [])], "EDUPSYM"),
}


def _build_verdict_objects(tmp):
    env = dict(os.environ, PKG_CONFIG_PATH=os.path.join(PREFIX, "lib", "pkgconfig"))
    flags = _run(["pkg-config", "--define-variable=prefix=" + PREFIX, "--cflags",
                  "theseus-module"], env=env).stdout.split()
    src = os.path.join(TOP, "tests", "kit", "verdicts")
    objs = {}
    for name, (files, _) in VERDICTS.items():
        parts = []
        for f, extra in files:
            out = os.path.join(tmp, f[:-2] + ".part.o")
            cmd = ["gcc", "-O2", "-c"] if extra is None else ["gcc"] + flags + extra + ["-c"]
            _run(cmd + [os.path.join(src, f), "-o", out])
            parts.append(out)
        objs[name] = os.path.join(tmp, name + ".o")
        _run(["ld", "-r", "-o", objs[name]] + parts)
    return objs


def test_kit_lint_agrees_with_kernel():
    expect(os.path.exists(os.path.join(BUILD, "tests", "kit", ".done")),
           "build/tests/kit/.done missing: run `make test` (it installs the kit first)")
    with tempfile.TemporaryDirectory(prefix="theseus-verdicts-") as tmp:
        objs = _build_verdict_objects(tmp)
        lint = {}
        for name, obj in objs.items():
            p = _run([os.path.join(PREFIX, "bin", "theseus-lint"), "--json", obj], rc=None)
            lint[name] = json.loads(p.stdout)["files"][0]["status"]
        port = harness.free_port()
        g = harness.Guest(cmdline="key=%s exit=never" % KEY_HEX, modules=["checksum"],
                          nic="e1000", hostfwd=[("udp", port, 7700)], label="verdicts").start()
        g.wait_for(r"theseus: ready:[^\r\n]*(?=\r?\n)", 60)
        key_file = os.path.join(tmp, "key")
        with open(key_file, "w") as f:
            f.write(KEY_HEX + "\n")
        eu.ctl(port, "ping", key_file=key_file, timeout_ms=1000, retries=10, check_rc=0)
        kernel = {}
        for name, obj in objs.items():
            p = eu.ctl(port, "--json", "swap", name, obj, key_file=key_file)
            kernel[name] = json.loads(p.stdout.splitlines()[-1])["status"]
        rows = ["%-12s lint %-8s kernel %-8s want %s" % (n, lint[n], kernel[n], VERDICTS[n][1])
                for n in objs]
        expect(all(lint[n] == kernel[n] == VERDICTS[n][1] for n in objs),
               "verdicts differ:\n" + "\n".join(rows))
        ls = eu.ctl(port, "ls", key_file=key_file, check_rc=0).stdout
        expect(re.search(r"^v_good +1\.0 ", ls, re.M) and "v_hidden" not in ls, "ls: %r" % ls)
        expect("*** FAULT" not in g.log, "fault in the log")
        return "%d objects, same verdicts" % len(objs)


def test_kit_cxx_module_with_global_objects():
    expect(os.path.exists(os.path.join(BUILD, "tests", "kit", ".done")),
           "build/tests/kit/.done missing: run `make test` (it installs the kit first)")
    with tempfile.TemporaryDirectory(prefix="theseus-cxx-") as tmp:
        d = _project(tmp, "cxxdemo", "cxxdemo")
        _run(["make", "-s", "THESEUS_PREFIX=" + PREFIX], cwd=d)
        obj = os.path.join(d, "cxxdemo.o")
        lint = _run([os.path.join(PREFIX, "bin", "theseus-lint"), obj])
        expect(re.search(r"cxxdemo\.o: ok$", lint.stdout, re.M), "lint: " + lint.stdout)
        if shutil.which("clang++"):  # the fragment picks clang++ for CC=clang
            dc = _project(tmp, "cxx_clang", "cxxdemo")
            _run(["make", "-s", "THESEUS_PREFIX=" + PREFIX, "CC=clang", "MODULE=cxxdemo"], cwd=dc)
            lint = _run([os.path.join(PREFIX, "bin", "theseus-lint"), os.path.join(dc, "cxxdemo.o")])
            expect(re.search(r"cxxdemo\.o: ok$", lint.stdout, re.M), "lint (clang++): " + lint.stdout)
        m = _project(tmp, "cxx_m", "cxxdemo")
        os.unlink(os.path.join(m, "Makefile"))
        _run(["make", "-s", "-C", TOP, "M=" + m])
        _run([os.path.join(BUILD, "theseus-lint"), os.path.join(m, "cxx_m.o")])

        port = harness.free_port()
        g = harness.Guest(cmdline="key=%s exit=never" % KEY_HEX, modules=["hello"], nic="e1000",
                          hostfwd=[("udp", port, 7700)], label="cxx").start()
        g.wait_for(r"theseus: ready:[^\r\n]*(?=\r?\n)", 60)
        key_file = os.path.join(tmp, "key")
        with open(key_file, "w") as f:
            f.write(KEY_HEX + "\n")
        eu.ctl(port, "ping", key_file=key_file, timeout_ms=1000, retries=10, check_rc=0)
        ready = r"cxxdemo: C\+\+ module ready: accumulator 42, constructors run 1, area 42$"
        eu.ctl(port, "swap", "cxxdemo", obj, key_file=key_file, check_rc=0)
        g.wait_for(ready, 10)
        eu.ctl(port, "rollback", "--unload", "cxxdemo", key_file=key_file, check_rc=0)   # unloads it
        eu.ctl(port, "swap", "cxxdemo", os.path.join(m, "cxx_m.o"), key_file=key_file, check_rc=0)
        expect(len(re.findall(ready, g.log, re.M)) >= 1, "log: %s" % g.log[-2000:])
        g.wait_for(ready, 10)
        expect(len(re.findall(ready, g.log, re.M)) == 2, "constructors did not run twice")
        expect("*** FAULT" not in g.log, "fault in the log")
