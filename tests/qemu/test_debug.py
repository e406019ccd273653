#!/usr/bin/env python3
"""test_debug.py - debugging modules (README "Debugging"): a kernel booted
with QEMU's GDB stub and the modules logfmt and hello (built stripped:
build/modules/NAME.o, debug info in NAME.debug); gdb in batch mode runs
the script `make debug` uses (tools/debug --script: the kernel's symbols,
then theseus-modules loading every module's symbols at its load address
from kernel memory), breaks in hello_greet, a module function, while
theseusctl invokes hello_greet_invoke, and the backtrace must name both
module functions and the kernel's invoke path.  Also: the pushed objects
carry no debug info.
"""
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import endpoint_util as eu  # noqa: E402
import harness  # noqa: E402
from harness import BUILD, TOP, expect  # noqa: E402

KEY_HEX = "5d" * 32


def test_debug_gdb_breaks_in_a_module_function():
    hello = harness.module_path("hello")
    sections = subprocess.run(["readelf", "-SW", hello], capture_output=True, text=True).stdout
    expect(".debug_info" not in sections and "symtab" in sections,
           "build/modules/hello.o should have no debug info but its symbols:\n" + sections)
    expect(os.path.exists(hello[:-2] + ".debug"), "no build/modules/hello.debug")
    port, gport = harness.free_port(), harness.free_port()
    g = harness.Guest(cmdline="key=%s exit=never" % KEY_HEX, modules=["logfmt", "hello"],
                      nic="e1000", hostfwd=[("udp", port, 7700)], label="debug",
                      extra_args=["-gdb", "tcp:127.0.0.1:%d" % gport]).start()
    g.wait_for(r"theseus: ready:[^\r\n]*(?=\r?\n)", 60)
    with tempfile.TemporaryDirectory(prefix="theseus-gdb-") as tmp:
        script = os.path.join(tmp, "theseus.gdb")
        subprocess.run([os.path.join(TOP, "tools", "debug"), "--script", str(gport), script],
                       check=True)
        with open(script, "a") as f:
            f.write("break hello_greet\ncontinue\nbt\ndelete\ndetach\n")
        key_file = os.path.join(tmp, "key")
        with open(key_file, "w") as f:
            f.write(KEY_HEX + "\n")
        out_path = os.path.join(tmp, "gdb.out")
        with open(out_path, "w") as out:
            gdb = subprocess.Popen(["gdb", "-q", "-batch", "-nx", "-x", script], stdout=out,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=TOP)
        try:
            deadline = time.time() + 60 * harness.TIME_SCALE
            while "Breakpoint 1 at" not in open(out_path).read():
                expect(gdb.poll() is None, "gdb exited early:\n" + open(out_path).read())
                expect(time.time() < deadline, "gdb set no breakpoint:\n" + open(out_path).read())
                time.sleep(0.1)
            time.sleep(0.5)  # gdb sends `continue`
            p = eu.ctl(port, "invoke", "hello", "hello_greet_invoke", key_file=key_file,
                       timeout_ms=2000, retries=10)
            gdb.wait(timeout=60 * harness.TIME_SCALE)
        finally:
            if gdb.poll() is None:
                gdb.kill()
        text = open(out_path).read()
    expect(re.search(r"theseus-modules: hello 1\.0 at 0x[0-9a-f]+: .*hello\.debug", text),
           "module symbols not loaded:\n" + text)
    expect(re.search(r"^#0 .*hello_greet \(", text, re.M), "no frame #0 in hello_greet:\n" + text)
    expect(re.search(r"^#1 .*hello_greet_invoke \(", text, re.M),
           "frame #1 not hello_greet_invoke:\n" + text)
    expect(re.search(r"^#\d+ .*modcall_invoke", text, re.M), "no kernel frames:\n" + text)
    expect(p.returncode == 0, "invoke after detaching: %s %s" % (p.stdout, p.stderr))
    return "backtrace: " + " <- ".join(re.findall(r"^#\d+ +(?:0x[0-9a-f]+ in )?(\w+)", text, re.M)[:5])
