#!/usr/bin/env python3
"""bitflip.py - bit-flip fault injection into module code through QEMU's
gdbstub (the guest runs with `-gdb tcp:127.0.0.1:PORT`), as the reference
system's campaign did: nothing of it is in the kernel.

Two kinds, both aimed at faulty_work of the test module faulty (64 rounds
of FNV-1a over its input, output "work=XXXXXXXX"):

  text  one random bit of one random instruction byte of faulty_work is
        flipped in memory (the gdbstub writes past W^X), then faulty_work is
        invoked.  If the module was not restarted (no fault), the byte is
        put back, so the next injection starts from clean code.
  reg   a breakpoint on one random instruction of faulty_work (QEMU's own
        breakpoints: guest memory untouched); faulty_work is invoked; when
        the CPU stops there, one random bit of one random general register
        (RAX..R15, RSP and RBP included) is flipped and it runs on.  A
        breakpoint that is not reached (a branch not taken) is "not
        activated".

Each injection's outcome: "fault" (EFAULT/ETIMEDOUT: contained and the
module restarted), "silent" (the right output: the flip did not matter),
"wrong" (a wrong output or error code, no fault: silent corruption), or
"inactive".  Survival (the kernel still serves) is checked by the caller.
"""
import os
import random
import re
import socket
import subprocess
import threading
import time

import harness

REGS = ["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp",
        "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"]
WORK_INPUT = b"theseus bit flip"


def fnv_work(data):
    """What faulty_work answers for data."""
    h = 2166136261
    for rnd in range(64):
        for b in data:
            h ^= b ^ rnd
            h = (h * 16777619) & 0xffffffff
    return "work=%08x" % h


def work_offsets(module_obj, function="faulty_work"):
    """Offsets (from the function's start) of its instructions, from objdump."""
    out = subprocess.run(["objdump", "-d", "--no-show-raw-insn", module_obj], check=True,
                         capture_output=True, text=True).stdout
    m = re.search(r"^([0-9a-f]+) <%s>:\n(.*?)(?:\n\n|\Z)" % re.escape(function), out, re.M | re.S)
    if not m:
        raise harness.GuestError("objdump: no %s in %s" % (function, module_obj))
    base = int(m.group(1), 16)
    offs, lens = [], []
    for line in m.group(2).splitlines():
        lm = re.match(r"\s*([0-9a-f]+):\s+(\S+)", line)
        if not lm or lm.group(2).startswith(("cs", "nop", "xchg")):
            continue  # padding after the last ret: never runs
        offs.append(int(lm.group(1), 16) - base)
    for i, o in enumerate(offs):
        lens.append((offs[i + 1] - o) if i + 1 < len(offs) else 1)
    return list(zip(offs, lens))


class GdbStub:
    """A minimal GDB remote-protocol client for QEMU's gdbstub."""

    def __init__(self, port, timeout=20):
        deadline = time.time() + timeout
        while True:
            try:
                self.s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.1)
        self.buf = b""
        self.running = False
        # QEMU stops the guest on attach and says so unasked (T02): skip
        # stop replies until the answer to qSupported.
        self._send("qSupported")
        while self._read_packet().startswith(("T", "S")):
            pass
        self.cont()

    def close(self):
        try:
            if not self.running:
                self.s.sendall(b"$c#63")
        finally:
            self.s.close()

    def _read_packet(self, timeout=20):
        self.s.settimeout(timeout)
        while True:
            i = self.buf.find(b"$")
            j = self.buf.find(b"#", i)
            if i >= 0 and j >= 0 and len(self.buf) >= j + 3:
                data = self.buf[i + 1:j]
                self.buf = self.buf[j + 3:]
                self.s.sendall(b"+")
                return data.decode()
            chunk = self.s.recv(4096)
            if not chunk:
                raise harness.GuestError("gdbstub closed the connection")
            self.buf += chunk

    def _send(self, data):
        pkt = b"$" + data.encode() + b"#%02x" % (sum(data.encode()) & 0xff)
        self.s.sendall(pkt)

    def cmd(self, data):
        self._send(data)
        return self._read_packet()

    def cont(self):
        self._send("c")
        self.running = True

    def wait_stop(self, timeout):
        """The stop reply after cont(), or None after timeout."""
        try:
            r = self._read_packet(timeout)
        except socket.timeout:
            return None
        self.running = False
        return r

    def interrupt(self):
        if not self.running:
            return
        self.s.sendall(b"\x03")
        r = self._read_packet()
        self.running = False
        return r

    def read_mem(self, addr, n):
        r = self.cmd("m%x,%x" % (addr, n))
        if r.startswith("E") or len(r) != 2 * n:
            raise harness.GuestError("gdbstub: cannot read %#x: %s" % (addr, r))
        return bytes.fromhex(r)

    def write_mem(self, addr, data):
        r = self.cmd("M%x,%x:%s" % (addr, len(data), data.hex()))
        if r != "OK":
            raise harness.GuestError("gdbstub: cannot write %#x: %s" % (addr, r))

    # QEMU answers p/P only to clients that read its target description;
    # g/G (all registers: RAX..R15, RIP first, 8 bytes each) always.
    def read_reg(self, n):
        r = self.cmd("g")
        return int.from_bytes(bytes.fromhex(r[16 * n:16 * n + 16]), "little")

    def write_reg(self, n, value):
        r = self.cmd("g")
        word = (value & (2 ** 64 - 1)).to_bytes(8, "little").hex()
        r = self.cmd("G" + r[:16 * n] + word + r[16 * n + 16:])
        if r != "OK":
            raise harness.GuestError("gdbstub: cannot write register %d: %s" % (n, r))


class Injector:
    """Bit flips into faulty_work of a guest booted with faulty and -gdb."""

    def __init__(self, guest, gdb_port, ctl, seed=1):
        self.g = guest
        self.ctl = ctl
        self.rng = random.Random(seed)
        self.insns = work_offsets(harness.module_path("faulty"))
        self.gdb = GdbStub(gdb_port)

    def close(self):
        self.gdb.close()

    def where(self):
        p = self.ctl("invoke", "faulty", "faulty_where")
        m = re.search(r"faulty_work=(0x[0-9a-f]+)", p.stdout)
        if p.returncode != 0 or not m:
            raise harness.GuestError("faulty_where: %r" % (p.stdout + p.stderr))
        return int(m.group(1), 16)

    def _invoke_work(self):
        try:
            return self.ctl("invoke", "faulty", "faulty_work", WORK_INPUT.decode())
        except UnicodeDecodeError:  # a flip made the output binary junk
            return subprocess.CompletedProcess([], 0, "<not text>", "")

    def _outcome(self, p):
        text = p.stdout + p.stderr
        if p.returncode != 0 and ("EFAULT" in text or "ETIMEDOUT" in text):
            return "fault", text
        if p.returncode == 0 and fnv_work(WORK_INPUT) in p.stdout:
            return "silent", text
        return "wrong", text

    def text_flip(self):
        base = self.where()
        off, n = self.rng.choice(self.insns)
        addr = base + off + self.rng.randrange(n)
        bit = self.rng.randrange(8)
        self.gdb.interrupt()
        old = self.gdb.read_mem(addr, 1)[0]
        if os.environ.get("BITFLIP_TRACE"):
            print("text flip %#x (+%#x) bit %d: %02x" % (addr, addr - base, bit, old), flush=True)
        self.gdb.write_mem(addr, bytes([old ^ (1 << bit)]))
        self.gdb.cont()
        p = self._invoke_work()
        outcome, text = self._outcome(p)
        if outcome != "fault" and self.where() == base:
            self.gdb.interrupt()  # not restarted: put the byte back
            if self.gdb.read_mem(addr, 1)[0] == old ^ (1 << bit):
                self.gdb.write_mem(addr, bytes([old]))
            self.gdb.cont()
        return {"kind": "text", "addr": "%#x" % addr, "bit": bit, "outcome": outcome,
                "detail": text.strip()[-200:]}

    def reg_flip(self):
        base = self.where()
        off, _ = self.rng.choice(self.insns)
        addr = base + off
        reg = self.rng.randrange(len(REGS))
        bit = self.rng.randrange(64)
        self.gdb.interrupt()
        if self.gdb.cmd("Z0,%x,1" % addr) != "OK":
            raise harness.GuestError("gdbstub: cannot set a breakpoint at %#x" % addr)
        self.gdb.cont()
        result = {}
        t = threading.Thread(target=lambda: result.setdefault("p", self._invoke_work()))
        t.start()
        stop, deadline = None, time.time() + 30
        while stop is None and time.time() < deadline:
            stop = self.gdb.wait_stop(0.2)
            if stop is None and not t.is_alive():
                break  # the invoke returned without reaching the breakpoint
        hit = False
        while stop is not None:
            rip = self.gdb.read_reg(16)
            if rip == addr and not hit:
                hit = True
                v = self.gdb.read_reg(reg)
                self.gdb.write_reg(reg, v ^ (1 << bit))
            self.gdb.cmd("z0,%x,1" % addr)
            self.gdb.cont()
            break
        if stop is None:  # not reached: take the breakpoint away
            self.gdb.interrupt()
            self.gdb.cmd("z0,%x,1" % addr)
            self.gdb.cont()
        t.join(60)
        p = result.get("p")
        if p is None:
            raise harness.GuestError("faulty_work invoke did not return")
        outcome, text = self._outcome(p)
        if not hit:
            outcome = "inactive"
        return {"kind": "reg", "addr": "%#x" % addr, "reg": REGS[reg], "bit": bit,
                "outcome": outcome, "detail": text.strip()[-200:]}
