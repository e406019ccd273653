#!/usr/bin/env python3
"""test_endpoint.py - QEMU end-to-end tests of the swap endpoint (issue 8),
run by tests/run (`python3 tests/run --only endpoint`) or directly.

Every guest boots with the modules checksum kv logfmt hello on e1000 user
networking, a host forward 127.0.0.1:<free port> -> UDP 7700, loopback only.

  push_swap    ping, ls with versions; `theseusctl swap hello hello_v2.o`
               changes the version and behaviour while the statedb counters
               survive (invoke of hello_greet_invoke answers v1's greeting,
               then v2's with the call counter continuing; hello_v2's
               transfer hook reports start #2 and the greetings so far);
               a retried swap reports "already" and swaps nothing; a stale
               compare-and-swap is refused with ECONFLICT naming the running
               and the expected version
  compare_and_swap  with hello 1.0 running, `swap --expect 9.0` and
               `--expect 0.5` are refused (ECONFLICT, exit 1) and hello keeps
               running 1.0; `--expect 1.0` then swaps to 2.0
  auth         a wrong key, a missing MAC, a wrong MAC and replayed captured
               datagrams (ping, and a swap that would take effect) get an
               authenticated ESTALE and change nothing; the kernel counts them
  hostile      garbage, truncated protobuf, an unknown protocol version,
               oversized fields, chunks beyond the declared size, a hash
               mismatch all get error replies (never longer than an
               unauthenticated datagram); objects declaring the whole
               staging area cannot wedge it; the kernel keeps serving
  lossy        through a proxy dropping 20%, duplicating 10% and reordering
               datagrams both ways, a push and a swap complete correctly
  read_only    without key= the boot log says read-only; ping and ls work,
               push and swap are refused
  staging_memory  staging=1G on a 192 MiB guest: the boot log warns that
               staging= exceeds the free memory; killed pushes declaring
               64 MiB each take the memory; a newer 64 MiB push evicts them
               (no lasting ENOMEM), and a swap still works
"""
import hashlib
import os
import random
import re
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import endpoint_util as eu  # noqa: E402
import harness  # noqa: E402
from harness import expect  # noqa: E402

MODULES = ["checksum", "kv", "logfmt", "hello"]
HELLO_V1 = harness.module_path("hello")
HELLO_V2 = harness.module_path("hello_v2")
FATAL_RE = r"\*\*\* FAULT|lwip: assertion|heap: .*(overflow|double free)|panic"
BOOT_TIMEOUT = 60


class Setup:
    """A booted guest with the endpoint forwarded, a key file (or none)."""

    def __init__(self, keyed=True, label="endpoint", extra="", memory="256M"):
        self.tmp = tempfile.mkdtemp(prefix="theseus-ep-")
        self.key_file = os.path.join(self.tmp, "key") if keyed else None
        self.key_hex = eu.keygen(self.key_file) if keyed else None
        self.key = bytes.fromhex(self.key_hex) if keyed else None
        self.port = harness.free_port()
        cmdline = ("key=%s" % self.key_hex if keyed else "") + (" " + extra if extra else "")
        self.guest = harness.Guest(cmdline=cmdline, modules=MODULES, nic="e1000",
                                   hostfwd=[("udp", self.port, 7700)], label=label,
                                   memory=memory).start()
        self.guest.wait_for(r"theseus: ready:[^\r\n]*(?=\r?\n)", BOOT_TIMEOUT)
        self.guest.wait_for(r"net: address 10\.0\.2\.15", BOOT_TIMEOUT)

    def ctl(self, *args, **kw):
        kw.setdefault("key_file", self.key_file)
        return eu.ctl(self.port, *args, **kw)

    def versions(self):
        return eu.ls_versions(self.port, self.key_file)

    def warm_up(self):
        """The first datagrams may wait for slirp's ARP: ping until answered."""
        p = self.ctl("ping", timeout_ms=1000, retries=10)
        expect(p.returncode == 0, "ping: exit %d: %s" % (p.returncode, p.stderr))
        expect(re.search(r"pong from 127\.0\.0\.1:%d in [0-9.]+ ms" % self.port, p.stdout),
               "ping output: %r" % p.stdout)

    def no_fault(self):
        m = re.search(FATAL_RE, self.guest.log)
        expect(m is None, "fatal message in the log: %s" % (m.group(0) if m else ""))


def _boot_versions_ok(s):
    v = s.versions()
    for m in MODULES:
        expect(m in v, "ls lacks %s: %s" % (m, v))
    expect(v["hello"] == "1.0", "hello runs %s, not 1.0" % v["hello"])
    return v


def _greet(raw):
    """hello's greeting through InvokeRequest (the kernel serves invoke: any
    error, ENOTSUP included, fails the test)."""
    r = raw.call(eu.req_invoke("hello", "hello_greet_invoke"))
    expect(r.status == 0 and 20 in r.payload, "invoke hello hello_greet_invoke: %r" % r)
    return eu.one(r.payload[20], 2, b"").decode()


def _conflict(p, running, expected):
    """theseusctl refused a stale compare-and-swap: exit 1 (the kernel's error),
    ECONFLICT naming the running and the expected version."""
    msg = "swap: ECONFLICT: hello: runs version %s, request expects %s" % (running, expected)
    expect(p.returncode == 1, "stale swap (expects %s, runs %s): exit %d, want 1\nstdout: %s\nstderr: %s"
           % (expected, running, p.returncode, p.stdout, p.stderr))
    expect(msg in p.stderr, "stale swap: stderr lacks %r: %r" % (msg, p.stderr))
    expect(not re.search(r"^hello: .* -> ", p.stdout, re.M), "stale swap reported a swap: %r" % p.stdout)


def test_endpoint_push_swap():
    s = Setup(label="endpoint(push_swap)")
    s.guest.wait_for(r"control: swap endpoint on UDP port 7700 \(authenticated\)", 5)
    s.warm_up()
    before = _boot_versions_ok(s)
    # Logged by hello's init before the ready line: already in the log.
    expect("hello 1.0 ready: start #1, 0 greetings so far" in s.guest.log, "hello 1.0 did not start")

    raw = eu.RawClient(s.port, key=s.key)
    # hello's own output carries its statedb call counter.
    g1, g2 = _greet(raw), _greet(raw)
    expect((g1, g2) == ("hello from v1 (call 1)", "hello from v1 (call 2)"),
           "greetings before the swap: %r, %r" % (g1, g2))
    p = s.ctl("swap", "hello", HELLO_V2, check_rc=0)
    expect(re.search(r"^hello: 1\.0 -> 2\.0$", p.stdout, re.M), "swap output: %r" % p.stdout)
    g3 = _greet(raw)
    expect(g3 == "INF [hello] HELLO from v2, call 3", "greeting after the swap: %r" % g3)
    stages = re.findall(r"^\s+(\w+)\s+([0-9.]+) ms$", p.stdout, re.M)
    expect([st[0] for st in stages] == ["load", "verify", "relink", "transfer", "cleanup"],
           "swap stage times: %r" % p.stdout)
    # Behaviour changed, state kept: hello_v2's transfer found start #1 and
    # the two greetings in statedb.
    s.guest.wait_for(r"HELLO 2\.0 took over from 1\.0: start #2, 2 greetings so far", 10)
    after = s.versions()
    expect(after["hello"] == "2.0", "ls after the swap: hello %s" % after["hello"])
    expect({k: v for k, v in after.items() if k != "hello"}
           == {k: v for k, v in before.items() if k != "hello"}, "other modules changed")

    # A retried identical swap: success, nothing swapped again.
    p = s.ctl("swap", "--expect", "1.0", "hello", HELLO_V2, check_rc=0)
    expect("already running" in p.stdout, "retried swap output: %r" % p.stdout)
    p = s.ctl("swap", "hello", HELLO_V2, check_rc=0)
    expect("already running" in p.stdout, "repeated swap output: %r" % p.stdout)
    expect(len(re.findall(r"took over", s.guest.log)) == 1, "the retried swap swapped again")

    # A stale compare-and-swap is refused.
    p = s.ctl("swap", "--expect", "1.0", "hello", HELLO_V1)
    _conflict(p, "2.0", "1.0")
    expect(s.versions()["hello"] == "2.0", "a stale swap changed hello")
    expect(len(re.findall(r"took over", s.guest.log)) == 1, "a stale swap ran a transfer")

    # And swapping back to 1.0 with the right expectation works: state still kept.
    p = s.ctl("swap", "--expect", "2.0", "hello", HELLO_V1, check_rc=0)
    expect(re.search(r"^hello: 2\.0 -> 1\.0$", p.stdout, re.M), "swap back: %r" % p.stdout)
    s.guest.wait_for(r"hello 1\.0 ready: start #3, 3 greetings so far", 10)
    g4 = _greet(raw)
    expect(g4 == "hello from v1 (call 4)", "greeting after swapping back: %r" % g4)
    raw.close()
    s.no_fault()
    return "stages: %s" % " ".join("%s=%sms" % st for st in stages)


def test_endpoint_compare_and_swap():
    # swap --expect X is a compare-and-swap: refused unless hello runs X.
    s = Setup(label="endpoint(compare_and_swap)")
    s.warm_up()
    before = _boot_versions_ok(s)
    for stale in ("9.0", "0.5"):   # above and below the running 1.0
        p = s.ctl("swap", "--expect", stale, "hello", HELLO_V2)
        _conflict(p, "1.0", stale)
        s.guest.wait_for(r"WARN  swap: #\d+ swap refused: hello: runs version 1\.0, request expects %s$"
                         % re.escape(stale), 10)
        now = s.versions()
        expect(now == before, "after the refused --expect %s: ls %s, before %s" % (stale, now, before))
    expect("took over" not in s.guest.log, "a refused swap ran hello_v2's transfer hook")
    p = s.ctl("swap", "--expect", "1.0", "hello", HELLO_V2, check_rc=0)
    expect(re.search(r"^hello: 1\.0 -> 2\.0$", p.stdout, re.M), "swap --expect 1.0: %r" % p.stdout)
    s.guest.wait_for(r"HELLO 2\.0 took over from 1\.0: start #2", 10)
    after = s.versions()
    expect(after == dict(before, hello="2.0"), "ls after --expect 1.0: %s" % after)
    s.no_fault()


def test_endpoint_auth():
    s = Setup(label="endpoint(auth)")
    s.warm_up()
    before = _boot_versions_ok(s)
    bad_key = os.path.join(s.tmp, "wrong")
    eu.keygen(bad_key)

    # theseusctl with a wrong key: refused with the auth exit code.
    for args in (["ping"], ["ls"], ["push", HELLO_V2], ["swap", "--expect", "1.0", "hello", HELLO_V2]):
        p = s.ctl(*args, key_file=bad_key, timeout_ms=300, retries=2)
        expect(p.returncode == 4, "wrong key %s: exit %d (%s)" % (args[0], p.returncode, p.stderr))
        expect("unauthenticated" in p.stderr, "wrong key %s: %r" % (args[0], p.stderr))

    raw = eu.RawClient(s.port, key=s.key)
    v2 = open(HELLO_V2, "rb").read()
    sha2 = hashlib.sha256(v2).digest()
    bodies = [eu.req_ping(b"x"), eu.req_ls(), eu.req_chunk(sha2, len(v2), 0, v2[:1024]),
              eu.req_swap([("hello", "1.0", sha2)])]
    raw.learn_epoch()
    for body in bodies:
        # missing MAC, a MAC under another key, a MAC of the wrong length:
        # EAUTH, never sealed, never longer than the datagram (or no answer)
        for what, kw in (("no MAC", {"key": None}), ("wrong MAC", {"key": os.urandom(32)}),
                         ("short MAC", {"key": s.key, "mac": os.urandom(16)})):
            d = eu.envelope(body, client_id=raw.client_id, counter=raw.next_counter(),
                            epoch=raw.epoch, **kw)
            r = raw.raw(d, retries=1)
            if r is None:
                continue
            expect(r.status == eu.EAUTH and r.message in ("unauthenticated", "")
                   and not r.payload and len(r.raw) <= len(d)
                   and not eu.seal_ok(s.key, r.raw, raw.client_id, r.counter, raw.epoch),
                   "%s: %r (%d bytes for %d)" % (what, r, len(r.raw), len(d)))

    # Replays: capture what theseusctl sends through a proxy, send it again.
    proxy = eu.UdpProxy(s.port)
    try:
        p = eu.ctl(proxy.port, "ping", key_file=s.key_file, check_rc=0)
        pings = list(proxy.captured)
        # A captured swap that would take effect if replayed: 1.0 -> 2.0,
        # then swap back to 1.0 directly, then replay the capture.
        proxy.captured.clear()
        eu.ctl(proxy.port, "swap", "hello", HELLO_V2, key_file=s.key_file, check_rc=0)
        swaps = [d for d in proxy.captured if eu.decode(eu.decode(d)[5][0]).get(eu.REQ_SWAP)]
    finally:
        proxy.close()
    expect(pings and swaps, "nothing captured (%d pings, %d swaps)" % (len(pings), len(swaps)))
    s.ctl("swap", "--expect", "2.0", "hello", HELLO_V1, check_rc=0)
    expect(s.versions()["hello"] == "1.0", "swap back to 1.0 failed")
    starts = len(re.findall(r"took over", s.guest.log))
    # A swap that ran has its sealed reply kept (a resend after a lost reply
    # gets it, proto/theseus.proto 7): its replay gets those same bytes and
    # runs nothing; every other datagram is refused.
    kept, kept_distinct = 0, set()
    for d in pings + swaps:
        r = raw.raw(d)
        if r is not None and d in swaps and r.status == 0 and r.payload:
            kept += 1  # (theseusctl may have resent that same datagram)
            kept_distinct.add(d)
            continue
        expect(r is not None and r.status == eu.ESTALE and not r.payload, "replay: %r" % r)
    expect(len(kept_distinct) <= 1, "%d replayed swaps answered from the reply cache, want at "
           "most 1" % len(kept_distinct))
    expect(s.versions() == before, "replayed datagrams changed the modules: %s" % s.versions())
    expect(len(re.findall(r"took over", s.guest.log)) == starts, "a replay ran a swap")

    # The kernel counted them (InfoReply.counters: auth_failures 3, replays 4,
    # stale 11: valid MAC refused with ESTALE).
    r = raw.call(eu.req_info())
    expect(r.status == 0 and 11 in r.payload and r.sealed, "info: %r" % r)
    counters = eu.decode(eu.one(r.payload[11], 8, b""))
    auth_failures, replays = eu.one(counters, 3, 0), eu.one(counters, 11, 0)
    expect(auth_failures >= 3 * len(bodies), "auth failures counted: %d" % auth_failures)
    expect(replays >= len(pings) + len(swaps) - kept, "stale refusals counted: %d" % replays)
    raw.close()
    s.warm_up()
    s.no_fault()
    return "auth_failures=%d replays=%d" % (auth_failures, replays)


def _expect_status(r, want, what):
    want = want if isinstance(want, (tuple, list, set)) else (want,)
    expect(r is not None, "%s: no reply" % what)
    expect(r.status in want, "%s: status %d (%s), want %s" % (what, r.status, r.message, want))
    return r


def test_endpoint_hostile():
    s = Setup(label="endpoint(hostile)")
    s.warm_up()
    before = _boot_versions_ok(s)
    raw = eu.RawClient(s.port, key=s.key)
    rng = random.Random(8)

    # Garbage datagrams of many sizes: an error reply no longer than the
    # datagram, or none (when even the bare status would be longer).
    raw.learn_epoch()
    for i in range(60):
        size = rng.choice([0, 1, 2, 3, 7, 64, 500, 1024, 1399, 1400, 1401, 1472])
        data = rng.randbytes(size)
        r = raw.raw(data, retries=1 if size < 64 else 4)
        if size < 64 and r is None:
            continue
        _expect_status(r, (eu.EPROTO, eu.EVERSION, eu.EAUTH, eu.ETOOBIG), "garbage #%d (%d B)" % (i, size))
        expect(len(r.raw) <= size, "garbage #%d: %d-byte answer to %d bytes" % (i, len(r.raw), size))
    # Fragmented, far beyond the limit: no crash (a reply is optional: one
    # that reassembly holds gets its "exceeds the 1400-byte limit").  Their
    # replies are drained, not taken for the next requests' answers.
    for size in (3000, 8192, 65000):
        raw.sock.sendto(rng.randbytes(size), raw.addr)
    raw.sock.settimeout(1.0)
    try:
        while True:
            raw.sock.recv(65536)
    except OSError:
        pass

    # Truncated protobuf: a valid envelope cut short, and a truncated body
    # under a correct MAC.
    full = eu.envelope(eu.req_ls(), key=s.key, client_id=raw.client_id, counter=raw.next_counter(),
                       epoch=raw.epoch)
    for cut in (1, 3, 10, len(full) - 40, len(full) - 1):
        r = raw.raw(full[:cut], retries=1)
        if r is not None:
            _expect_status(r, (eu.EPROTO, eu.EVERSION, eu.EAUTH), "envelope cut at %d" % cut)
            expect(len(r.raw) <= cut, "envelope cut at %d: %d-byte answer" % (cut, len(r.raw)))
    body = eu.req_chunk(b"\x11" * 32, 4096, 0, b"\x22" * 1024)
    for cut in (2, 5, 40, len(body) - 100):
        _expect_status(raw.call(body[:cut]), eu.EPROTO, "body cut at %d" % cut)
    _expect_status(raw.call(b"\xff\xff\xff"), eu.EPROTO, "garbage body under a valid MAC")

    # Another protocol version: a clear error naming ours.
    r = _expect_status(raw.call(eu.req_ping(b"v" * 64), version=7), eu.EVERSION, "version 7")
    expect("version %d" % eu.PROTO_VERSION in r.message, "version message: %r" % r.message)

    # Oversized fields.
    _expect_status(raw.call(eu.req_ping(b"p" * 65)), eu.ETOOBIG, "ping payload 65 B")
    _expect_status(raw.call(eu.req_chunk(b"\x01" * 33, 2048, 0, b"a" * 1024)), eu.EINVAL, "sha of 33 B")
    _expect_status(raw.call(eu.req_chunk(b"\x01" * 32, 4096, 0, b"a" * 1100)), (eu.ERANGE, eu.ETOOBIG),
                   "chunk of 1100 B")
    _expect_status(raw.call(eu.req_chunk(b"\x01" * 32, 1 << 30, 0, b"a" * 1024)), eu.ETOOBIG,
                   "object of 1 GiB")
    _expect_status(raw.call(eu.req_swap([("h" * 300, "1.0", b"\x01" * 32)])), (eu.EINVAL, eu.ETOOBIG),
                   "module name of 300 B")
    _expect_status(raw.call(eu.req_swap([("hello", "9" * 100, b"\x01" * 32)])), (eu.EINVAL, eu.ETOOBIG),
                   "version of 100 B")
    _expect_status(raw.call(eu.req_swap([("m%d" % i, "1.0", b"\x01" * 32) for i in range(20)])),
                   (eu.EINVAL, eu.ETOOBIG), "swap of 20 items")
    _expect_status(raw.raw(eu.envelope(eu.req_ping(), key=s.key, client_id=raw.client_id,
                                       counter=raw.next_counter(), epoch=raw.epoch)
                           + b"\x00" * 1400),
                   (eu.ETOOBIG, eu.EPROTO), "datagram of 1450 B")
    # ... and a MAC'd one of 1500 B: ETOOBIG echoing client id and counter, sealed
    c = raw.next_counter()
    r = raw.raw(eu.envelope(eu.req_ping(b"p" * 1380), key=s.key, client_id=raw.client_id,
                            counter=c, epoch=raw.epoch), want_counter=c,
                bind=(s.key, raw.client_id, c, raw.epoch))
    _expect_status(r, eu.ETOOBIG, "MAC'd datagram of 1440 B")
    expect(r.sealed and r.client_id == raw.client_id, "ETOOBIG not sealed/echoed: %r" % r)

    # Chunks beyond the declared size.
    sha = b"\x02" * 32
    _expect_status(raw.call(eu.req_chunk(sha, 2048, 2048, b"a" * 1024)), eu.ERANGE, "offset == total")
    _expect_status(raw.call(eu.req_chunk(sha, 2048, 1 << 40, b"a" * 1024)), eu.ERANGE, "offset 1 TiB")
    _expect_status(raw.call(eu.req_chunk(sha, 1500, 1024, b"a" * 1024)), (eu.ERANGE, eu.EINVAL),
                   "last chunk too long")
    _expect_status(raw.call(eu.req_chunk(sha, 2048, 100, b"a" * 1024)), eu.EINVAL, "unaligned offset")

    # Hash mismatch: the object is discarded and cannot be swapped in.
    data = os.urandom(3000)
    wrong = hashlib.sha256(b"something else").digest()
    r = _expect_status(raw.push(data, sha=wrong), eu.EHASH, "hash mismatch")
    r = _expect_status(raw.call(eu.req_object_status(wrong)), 0, "object status")
    expect(not eu.one(r.payload.get(14, {}), 1, 0), "a mismatched object is still known")
    _expect_status(raw.call(eu.req_swap([("hello", "1.0", wrong)])), eu.ENOENT, "swap of a discarded object")
    # An incomplete object cannot be swapped in either.
    part = os.urandom(5000)
    psha = hashlib.sha256(part).digest()
    _expect_status(raw.call(eu.req_chunk(psha, len(part), 0, part[:1024])), 0, "first chunk")
    _expect_status(raw.call(eu.req_swap([("hello", "1.0", psha)])), eu.EINCOMPLETE, "incomplete swap")

    # Staging cannot be wedged: first chunks of objects declaring 6 MiB each
    # (16 MiB in all by default) never make a newer push fail: the least
    # recently progressed incomplete object gives way.
    for n_new in range(1, 9):
        obj_sha = hashlib.sha256(b"wedge%d" % n_new).digest()
        r = raw.call(eu.req_chunk(obj_sha, 6 << 20, 0, b"w" * 1024))
        _expect_status(r, 0, "first chunk of 6 MiB object #%d" % n_new)
    small = os.urandom(5000)
    r = _expect_status(raw.push(small), 0, "a complete push after the wedge attempt")
    full_err = r

    # Still serving, nothing changed.
    raw.close()
    s.warm_up()
    expect(s.versions() == before, "hostile input changed the modules: %s" % s.versions())
    expect(s.guest.proc.poll() is None, "QEMU exited")
    s.no_fault()
    return "8 objects of 6 MiB declared, then a push: %s" % (full_err.message[:40] or "OK")


def test_endpoint_lossy():
    s = Setup(label="endpoint(lossy)")
    s.warm_up()
    _boot_versions_ok(s)
    proxy = eu.UdpProxy(s.port, drop=0.20, dup=0.10, reorder=0.15, seed=20)
    try:
        # A bigger object first (220 chunks), then the swap (push + swap).
        blob = os.urandom(220 * 1024 + 77)
        path = os.path.join(s.tmp, "blob.bin")
        with open(path, "wb") as f:
            f.write(blob)
        eu.ctl(proxy.port, "push", path, key_file=s.key_file, timeout_ms=300, retries=12,
               check_rc=0)
        p = eu.ctl(proxy.port, "swap", "hello", HELLO_V2, key_file=s.key_file, timeout_ms=300,
                   retries=12, check_rc=0)
        expect(re.search(r"^hello: 1\.0 -> 2\.0$|already running", p.stdout, re.M),
               "lossy swap output: %r" % p.stdout)
        stats = dict(proxy.stats)
    finally:
        proxy.close()
    expect(stats["dropped"] > 0 and stats["duplicated"] > 0 and stats["delayed"] > 0,
           "the proxy did not disturb: %s" % stats)
    raw = eu.RawClient(s.port, key=s.key)
    r = raw.call(eu.req_object_status(hashlib.sha256(blob).digest()))
    expect(r.status == 0 and eu.one(r.payload.get(14, {}), 6, 0), "pushed blob incomplete: %r" % r)
    raw.close()
    expect(s.versions()["hello"] == "2.0", "hello did not become 2.0")
    s.guest.wait_for(r"HELLO 2\.0 took over from 1\.0: start #2", 5)
    expect(len(re.findall(r"took over", s.guest.log)) == 1, "swapped more than once")
    s.no_fault()
    return "proxy: %s" % stats


def test_endpoint_read_only():
    s = Setup(keyed=False, label="endpoint(no key)")
    s.guest.wait_for(r"control: .*no key configured, read-only", 5)
    s.warm_up()
    before = _boot_versions_ok(s)
    p = s.ctl("push", HELLO_V2, timeout_ms=300, retries=2)
    expect(p.returncode == 4 and "no key configured" in p.stderr, "push: %d %r" % (p.returncode, p.stderr))
    p = s.ctl("swap", "hello", HELLO_V2, timeout_ms=300, retries=2)
    expect(p.returncode == 4, "swap: %d %r" % (p.returncode, p.stderr))
    raw = eu.RawClient(s.port)
    v2 = open(HELLO_V2, "rb").read()
    r = raw.call(eu.req_swap([("hello", "1.0", hashlib.sha256(v2).digest())]))
    expect(r.status == eu.EAUTH, "raw swap: %r" % r)
    raw.close()
    expect(s.versions() == before, "modules changed")
    s.no_fault()


if __name__ == "__main__":
    names = [n for n in sorted(globals()) if n.startswith("test_")]
    only = sys.argv[1] if len(sys.argv) > 1 else ""
    failed = 0
    for n in names:
        if only not in n:
            continue
        harness.reset_guests()
        try:
            detail = globals()[n]()
            print("PASS", n, detail or "", flush=True)
        except Exception as e:   # noqa: BLE001 - report and go on
            failed += 1
            print("FAIL", n, e, flush=True)
            for g in harness.guests_of_this_thread():
                print(g.log[-3000:])
        finally:
            harness.kill_guests()
    sys.exit(1 if failed else 0)


def test_endpoint_staging_memory():
    """staging= larger than the guest's memory cannot wedge the area: the
    first chunks of objects declaring 64 MiB each, never finished (killed
    pushes), take the memory until the kernel has none for another; a newer
    push of the same size then evicts the oldest instead of failing ENOMEM
    for good, and hello_v2 still pushes and swaps in."""
    s = Setup(label="endpoint(staging memory)", extra="staging=1G", memory="192M")
    s.warm_up()
    expect(re.search(r"control: staging 1024 MiB is more than the [0-9]+ MiB of memory free",
                     s.guest.log), "no boot warning that staging= exceeds the free memory")
    raw = eu.RawClient(s.port, key=s.key)
    raw.learn_epoch()
    big = 64 << 20
    rng = random.Random(5)

    def first_chunk():
        sha = rng.randbytes(32)
        return raw.call(eu.req_chunk(sha, big, 0, rng.randbytes(eu.CHUNK)))

    for i in range(8):    # 192 MiB cannot hold 8 of them
        r = first_chunk()
        expect(r is not None and r.status == 0,
               "killed push #%d of %d MiB: %r (an unused staged object must give way)"
               % (i, big >> 20, r))
    p = s.ctl("swap", "hello", HELLO_V2)
    expect(p.returncode == 0, "swap after the killed pushes: exit %d: %s" % (p.returncode, p.stderr))
    expect(s.versions()["hello"] == "2.0", "hello does not run 2.0")
    s.no_fault()
