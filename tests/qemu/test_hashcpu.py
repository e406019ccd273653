#!/usr/bin/env python3
"""test_hashcpu.py - pushed objects hashed on another CPU (issue 17): guests
with -smp 2 on e1000 user networking, key= set, a host forward to UDP 7700.

  push_swap    the boot log names the hash task's CPU; a 600 KiB object
               pushed with theseusctl completes (so its hash, computed on
               CPU 1, matched), task "hasher" sits on CPU 1 and has used CPU
               time, and a swap of hello to hello_v2 (pushed by the swap)
               then back works
  corrupt      a 300 KiB push naming a wrong SHA-256, and one with a byte
               flipped in its middle, are refused with EHASH; the right
               object then pushes fine, and hashcpu=off keeps the hashing
               on the network CPU (no hash task)
  interleaved  three pushes of 400 KiB objects in parallel with six swaps of
               hello back and forth: every push completes, every object is
               complete in the staging area afterwards, every swap took
               effect, hello ends on the version the swaps say
"""
import hashlib
import os
import re
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import endpoint_util as eu  # noqa: E402
import harness  # noqa: E402
from harness import expect  # noqa: E402

MODULES = ["checksum", "kv", "logfmt", "hello"]
HELLO_V1 = harness.module_path("hello")
HELLO_V2 = harness.module_path("hello_v2")
FATAL_RE = r"\*\*\* FAULT|lwip: assertion|heap: .*(overflow|double free)|panic"


class Smp2:
    def __init__(self, label, extra_cmdline=""):
        self.tmp = tempfile.mkdtemp(prefix="theseus-hashcpu-")
        self.key_file = os.path.join(self.tmp, "key")
        self.key_hex = eu.keygen(self.key_file)
        self.key = bytes.fromhex(self.key_hex)
        self.port = harness.free_port()
        self.guest = harness.Guest(cmdline=("key=%s " % self.key_hex) + extra_cmdline,
                                   modules=MODULES, nic="e1000",
                                   hostfwd=[("udp", self.port, 7700)], label=label,
                                   extra_args=["-smp", "2"]).start()
        self.guest.wait_for(r"theseus: ready:[^\r\n]*2 CPUs", 60)
        self.guest.wait_for(r"net: address 10\.0\.2\.15", 60)
        p = self.ctl("ping", timeout_ms=1000, retries=10)
        expect(p.returncode == 0, "ping: %s" % p.stderr)

    def ctl(self, *args, **kw):
        kw.setdefault("key_file", self.key_file)
        return eu.ctl(self.port, *args, **kw)

    def obj(self, name, kib, seed):
        data = bytes((i * seed + (i >> 9)) & 0xff for i in range(kib * 1024))
        path = os.path.join(self.tmp, name)
        with open(path, "wb") as f:
            f.write(data)
        return path, data

    def tasks(self):
        p = self.ctl("tasks", check_rc=0)
        rows = re.findall(r"^\s+\d+ (\S+)\s+(\w+)\s+\d+\s+([0-9.]+)\s+\d+\s+(\d+)$", p.stdout, re.M)
        return {name: (state, float(ms), int(cpu)) for name, state, ms, cpu in rows}

    def swap(self, path, frm, to):
        p = self.ctl("swap", "hello", path, check_rc=0, time_limit=180)
        expect(re.search(r"^hello: %s -> %s$" % (re.escape(frm), re.escape(to)), p.stdout, re.M),
               "swap %s -> %s: %r" % (frm, to, p.stdout))

    def finish(self):
        m = re.search(FATAL_RE, self.guest.log)
        expect(m is None, "fatal message in the log: %s" % (m.group(0) if m else ""))
        self.guest.kill()


def test_hashcpu_push_swap():
    s = Smp2("hashcpu(push_swap)")
    try:
        expect("control: pushed objects are hashed on CPU 1 (task hasher)" in s.guest.log,
               "no hash task announced")
        path, _ = s.obj("big.bin", 600, 7)
        p = s.ctl("push", path, check_rc=0, time_limit=180)
        t = s.tasks()
        expect("hasher" in t and t["hasher"][2] == 1, "task hasher not on CPU 1: %r" % t)
        expect(t["hasher"][1] > 0, "task hasher used no CPU time: %r" % t)
        s.swap(HELLO_V2, "1.0", "2.0")
        s.guest.wait_for(r"HELLO 2\.0 took over from 1\.0", 10)
        s.swap(HELLO_V1, "2.0", "1.0")
        return "hasher %.1f ms CPU; %s" % (t["hasher"][1], p.stdout.strip().splitlines()[-1][:60])
    finally:
        s.finish()


def test_hashcpu_corrupt():
    s = Smp2("hashcpu(corrupt)")
    try:
        _, data = s.obj("good.bin", 300, 11)
        raw = eu.RawClient(s.port, key=s.key)
        wrong = hashlib.sha256(b"not this").digest()
        r = raw.push(data, sha=wrong)
        expect(r.status == eu.EHASH and "object discarded" in r.message,
               "wrong sha: %r" % r)
        bad = bytearray(data)
        bad[150 * 1024 + 3] ^= 0x20
        r = raw.push(bytes(bad), sha=hashlib.sha256(data).digest())
        expect(r.status == eu.EHASH, "flipped byte: %r" % r)
        r = raw.push(data)
        expect(r.status == 0, "good object after two refusals: %r" % r)
        raw.close()
    finally:
        s.finish()
    s = Smp2("hashcpu(off)", extra_cmdline="hashcpu=off")
    try:
        expect("hashcpu=off" in s.guest.log, "hashcpu=off not reported")
        path, _ = s.obj("off.bin", 200, 5)
        s.ctl("push", path, check_rc=0, time_limit=180)
        expect("hasher" not in s.tasks(), "a hash task with hashcpu=off")
    finally:
        s.finish()


def test_hashcpu_interleaved():
    s = Smp2("hashcpu(interleaved)")
    try:
        objs = [s.obj("load%d.bin" % i, 400, 3 + 2 * i) for i in range(3)]
        results = {}

        def push(i):
            p = s.ctl("push", objs[i][0], time_limit=240, retries=10)
            results[i] = p

        threads = [threading.Thread(target=push, args=(i,)) for i in range(3)]
        for th in threads:
            th.start()
        cur = "1.0"
        for k in range(6):
            nxt, path = ("2.0", HELLO_V2) if cur == "1.0" else ("1.0", HELLO_V1)
            s.swap(path, cur, nxt)
            cur = nxt
        for th in threads:
            th.join(300)
        for i in range(3):
            p = results.get(i)
            expect(p is not None and p.returncode == 0,
                   "push %d: %s" % (i, p.stderr if p else "did not finish"))
        raw = eu.RawClient(s.port, key=s.key)
        for i, (_, data) in enumerate(objs):
            r = raw.call(eu.req_object_status(hashlib.sha256(data).digest()))
            st = r.payload.get(14, {})
            expect(r.status == 0 and eu.one(st, 1, 0) and eu.one(st, 6, 0),
                   "object %d not complete in the staging area: %r %r" % (i, r, st))
        raw.close()
        expect(eu.ls_versions(s.port, s.key_file)["hello"] == cur, "hello is not on %s" % cur)
    finally:
        s.finish()
