"""test_session_cache.py - theseusctl's session cache against a QEMU guest
(README "Session cache", proto/theseus.proto section 3): the epoch learned
from a sealed reply carries over to the next theseusctl process.

  epoch     one keyed guest, a cache file of the test's own (never $HOME's):
            command 1 with a fresh cache costs the learning round trip (the
            kernel's "stale" counter +1) and writes the guest's epoch and
            kinds 3 down (file 0600, directory 0700); command 2 needs none
            (stale unchanged, THESEUSCTL_TRACE shows one datagram, a cache
            hit), and `--json info` with the cache shows the same counter;
            THESEUS_SESSION_CACHE=off and --no-session-cache learn the epoch
            as before (stale +1 each, two datagrams) and leave the file
            alone; after the guest reboots with the same key (a new epoch)
            a swap with the old cache exits 0, costing one refusal, and the
            cache then holds the new epoch; the next command needs none.
"""
import json
import os
import re
import stat
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import endpoint_util as eu  # noqa: E402
import harness  # noqa: E402
from harness import expect  # noqa: E402

MODULES = ["checksum", "kv", "logfmt", "hello"]
HELLO_V2 = harness.module_path("hello_v2")
BOOT_TIMEOUT = 60


def _boot(key_hex, port, label):
    g = harness.Guest(cmdline="key=%s" % key_hex, modules=MODULES, nic="e1000",
                      hostfwd=[("udp", port, 7700)], label=label).start()
    g.wait_for(r"theseus: ready:[^\r\n]*(?=\r?\n)", BOOT_TIMEOUT)
    g.wait_for(r"net: address 10\.0\.2\.15", BOOT_TIMEOUT)
    g.wait_for(r"\(authenticated\), epoch ([0-9a-f]{16})", 10)
    epoch = int(re.search(r"\(authenticated\), epoch ([0-9a-f]{16})", g.log).group(1), 16)
    return g, epoch


def _stale(raw):
    """The kernel's "stale" counter, read by the tests' own client (which
    knows the epoch already, so reading costs no refusal)."""
    r = raw.call(eu.req_info())
    expect(r is not None and r.status == 0 and r.sealed, "info: %r" % r)
    return eu.one(eu.decode(eu.one(r.payload[11], 8, b"")), 11, 0)


def _entry(path, port):
    """(epoch, mac_kinds) the cache file holds for 127.0.0.1:port, or None."""
    if not os.path.exists(path):
        return None
    for line in open(path):
        f = line.split()
        if len(f) == 5 and not line.startswith("#") and f[1] == "127.0.0.1:%d" % port:
            return int(f[2], 16), int(f[3])
    return None


def _sent(stderr):
    """Datagrams of the command's calls, from THESEUSCTL_TRACE's lines."""
    return [int(n) for n in re.findall(r"trace: \S+: call kind \d+: (\d+) sent", stderr)]


def test_session_cache_epoch():
    tmp = tempfile.mkdtemp(prefix="theseus-sc-")
    key_file = os.path.join(tmp, "key")
    key_hex = eu.keygen(key_file)
    port = harness.free_port()
    cache = os.path.join(tmp, "cache", "theseusctl", "sessions")
    trace = {"THESEUSCTL_TRACE": "1"}

    def ctl(*args, **kw):
        kw.setdefault("cache", cache)
        return eu.ctl(port, *args, key_file=key_file, timeout_ms=1000, retries=10, **kw)

    g, epoch = _boot(key_hex, port, "session_cache(epoch)")
    raw = eu.RawClient(port, key=bytes.fromhex(key_hex))
    raw.learn_epoch()
    try:
        # 1: a fresh cache: the learning round trip, then the epoch written down
        s0 = _stale(raw)
        p = ctl("ping", check_rc=0, env=trace)
        s1 = _stale(raw)
        expect(s1 == s0 + 1, "command 1: stale %d -> %d, want +1" % (s0, s1))
        expect(_sent(p.stderr) == [2], "command 1: datagrams %s, want [2]: %s"
               % (_sent(p.stderr), p.stderr))
        expect("session cache miss" in p.stderr, "no cache miss traced: %r" % p.stderr)
        expect(_entry(cache, port) == (epoch, 3), "cache after command 1: %s, want (%x, 3)"
               % (_entry(cache, port), epoch))
        fmode = stat.S_IMODE(os.stat(cache).st_mode)
        dmode = stat.S_IMODE(os.stat(os.path.dirname(cache)).st_mode)
        expect(fmode == 0o600 and dmode == 0o700, "cache file %o, directory %o, want 600/700"
               % (fmode, dmode))
        # 2: no learning round trip, one datagram (kind 1 from the first)
        p = ctl("ping", check_rc=0, env=trace)
        s2 = _stale(raw)
        expect(s2 == s1, "command 2: stale %d -> %d, want unchanged" % (s1, s2))
        expect(_sent(p.stderr) == [1], "command 2: datagrams %s, want [1]: %s"
               % (_sent(p.stderr), p.stderr))
        expect("session cache hit" in p.stderr, "no cache hit traced: %r" % p.stderr)
        p = ctl("--json", "info", check_rc=0)
        info = json.loads(p.stdout.splitlines()[-1])
        expect(info["counters"]["stale"] == s2, "--json info with the cache: stale %d, want %d"
               % (info["counters"]["stale"], s2))
        expect(info["mac_kinds"] == 3, "info: mac_kinds %r" % info.get("mac_kinds"))
        s2 = _stale(raw)
        # off and --no-session-cache: as before, and the file untouched
        before = open(cache).read()
        mtime = os.stat(cache).st_mtime_ns
        p = ctl("ping", check_rc=0, env=trace, cache="off")
        s3 = _stale(raw)
        expect(s3 == s2 + 1 and _sent(p.stderr) == [2],
               "THESEUS_SESSION_CACHE=off: stale %d -> %d, datagrams %s; want +1, [2]"
               % (s2, s3, _sent(p.stderr)))
        p = ctl("--no-session-cache", "ping", check_rc=0, env=trace)
        s4 = _stale(raw)
        expect(s4 == s3 + 1 and _sent(p.stderr) == [2],
               "--no-session-cache: stale %d -> %d, datagrams %s; want +1, [2]"
               % (s3, s4, _sent(p.stderr)))
        expect("session cache" not in p.stderr, "--no-session-cache used the cache: %r"
               % p.stderr)
        expect(open(cache).read() == before and os.stat(cache).st_mtime_ns == mtime,
               "the cache file changed without the cache in use")
    finally:
        raw.close()
        g.kill()

    # A reboot with the same key: the old cache's epoch is refused once,
    # invisibly; the cache then holds the new one.
    g, epoch2 = _boot(key_hex, port, "session_cache(reboot)")
    raw = eu.RawClient(port, key=bytes.fromhex(key_hex))
    raw.learn_epoch()
    try:
        expect(epoch2 != epoch, "the epoch did not change across a reboot: %x" % epoch)
        expect(_entry(cache, port) == (epoch, 3), "the cache lost the old epoch: %s"
               % (_entry(cache, port),))
        s0 = _stale(raw)
        p = ctl("swap", "hello", HELLO_V2, env=trace)
        expect(p.returncode == 0, "swap with the old cache: exit %d: %s"
               % (p.returncode, p.stderr))
        expect(re.search(r"hello: 1\.0 -> 2\.0", p.stdout), "swap: %r" % p.stdout)
        s1 = _stale(raw)
        expect(s1 == s0 + 1, "after the reboot: stale %d -> %d, want +1" % (s0, s1))
        expect(_entry(cache, port) == (epoch2, 3), "cache after the reboot: %s, want (%x, 3)"
               % (_entry(cache, port), epoch2))
        p = ctl("ping", check_rc=0, env=trace)
        s2 = _stale(raw)
        expect(s2 == s1 and _sent(p.stderr) == [1],
               "after the reboot, command 2: stale %d -> %d, datagrams %s; want unchanged, [1]"
               % (s1, s2, _sent(p.stderr)))
    finally:
        raw.close()
        g.kill()
    return "stale +1 then +0 with the cache, +1 each with off/--no-session-cache; " \
           "epoch %016x -> %016x across a reboot, swap exit 0" % (epoch, epoch2)
