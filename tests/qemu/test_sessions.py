"""test_sessions.py - sessions a reboot cannot replay, authenticated replies,
no lockouts, staging that cannot be wedged (proto/theseus.proto, header).

  reboot_replay   a push + swap recorded through a capturing proxy and
                  replayed after the guest rebooted with the same key: every
                  datagram gets a sealed ESTALE naming the new epoch, nothing
                  changes; theseusctl then just works (re-learns the epoch)
  relay_rewrite   a relay that rewrites a refusal (ECONFLICT) into OK, and a
                  relay that answers requests itself (unsealed, or sealed
                  under another key): theseusctl never reports success
                  (exit 4, nothing printed as swapped) and the kernel is
                  unchanged
  lockout         one key holder sends counters near 2^64 from 40 new client
                  ids and takes a victim's client id to 2^64 - 1: a victim
                  session and a new theseusctl both get through (the raw
                  victim after at most one refusal)
  lost_reply      a relay drops the first reply to an invoke, then to a
                  swap: theseusctl resends the same datagram and gets the
                  reply the kernel kept; the invoke ran once (hello's call
                  counter), the swap reports success, not ENOENT
  staging_wedge   with staging=4M: a push killed half-way, and one chunk
                  declaring the whole area, do not block the next push and
                  swap; a file over the limit is refused by theseusctl
                  before it sends a chunk, naming both sizes
"""
import hashlib
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import endpoint_util as eu  # noqa: E402
import harness  # noqa: E402
from harness import expect  # noqa: E402

MODULES = ["checksum", "kv", "logfmt", "hello"]
HELLO_V1 = harness.module_path("hello")
HELLO_V2 = harness.module_path("hello_v2")
BOOT_TIMEOUT = 60


class Box:
    """A keyed guest on a fixed host port (so a second boot is reachable the same way)."""

    def __init__(self, label, key_file=None, port=None, extra=""):
        self.tmp = tempfile.mkdtemp(prefix="theseus-sess-")
        if key_file is None:
            key_file = os.path.join(self.tmp, "key")
            eu.keygen(key_file)
        self.key_file = key_file
        self.key_hex = open(key_file).read().strip()
        self.key = bytes.fromhex(self.key_hex)
        self.port = port or harness.free_port()
        self.label = label
        self.extra = extra
        self.boot()

    def boot(self):
        cmdline = ("key=%s %s" % (self.key_hex, self.extra)).strip()
        self.guest = harness.Guest(cmdline=cmdline, modules=MODULES, nic="e1000",
                                   hostfwd=[("udp", self.port, 7700)], label=self.label).start()
        self.guest.wait_for(r"theseus: ready:[^\r\n]*(?=\r?\n)", BOOT_TIMEOUT)
        self.guest.wait_for(r"net: address 10\.0\.2\.15", BOOT_TIMEOUT)
        m = self.guest.wait_for(r"\(authenticated\), epoch ([0-9a-f]{16})", 10)
        self.epoch = int(re.search(r"epoch ([0-9a-f]{16})", self.guest.log).group(1), 16)
        p = self.ctl("ping", timeout_ms=1000, retries=10)
        expect(p.returncode == 0, "%s: ping: exit %d: %s" % (self.label, p.returncode, p.stderr))
        return m

    def reboot(self):
        self.guest.kill()
        old = self.epoch
        self.boot()
        expect(self.epoch != old, "the epoch did not change across a reboot: %x" % old)

    def ctl(self, *args, **kw):
        kw.setdefault("key_file", self.key_file)
        return eu.ctl(self.port, *args, **kw)

    def versions(self):
        return eu.ls_versions(self.port, self.key_file)


def test_sessions_reboot_replay():
    b = Box("sessions(reboot_replay)")
    proxy = eu.UdpProxy(b.port)
    try:
        eu.ctl(proxy.port, "swap", "hello", HELLO_V2, key_file=b.key_file, check_rc=0)
        recorded = list(proxy.captured)
    finally:
        proxy.close()
    expect(b.versions()["hello"] == "2.0", "the recorded swap did not take effect")
    kinds = [eu.decode(eu.decode(d)[5][0]) for d in recorded]
    n_chunks = sum(1 for k in kinds if eu.REQ_CHUNK in k)
    n_swaps = sum(1 for k in kinds if eu.REQ_SWAP in k)
    expect(n_chunks > 0 and n_swaps > 0, "recorded %d chunks, %d swaps" % (n_chunks, n_swaps))

    b.reboot()   # same key, same port, a fresh boot: hello runs 1.0 again
    expect(b.versions()["hello"] == "1.0", "after the reboot hello runs %s" % b.versions()["hello"])
    raw = eu.RawClient(b.port, key=b.key)
    stale = 0
    for d in recorded:
        env = eu.decode(d)
        cid, cnt, ep = eu.one(env, 2, 0), eu.one(env, 3, 0), eu.one(env, 6, 0)
        r = raw.raw(d, want_counter=cnt, bind=(b.key, cid, cnt, ep))
        expect(r is not None, "no answer to a replayed datagram")
        expect(r.status == eu.ESTALE and r.sealed and r.epoch == b.epoch and not r.payload,
               "replayed datagram: %r sealed=%s epoch=%x" % (r, r.sealed, r.epoch))
        stale += 1
    time.sleep(0.2)
    expect(b.versions()["hello"] == "1.0", "a replay after the reboot changed hello")
    expect("took over" not in b.guest.log, "a replay ran a swap")
    r = raw.call(eu.req_object_status(hashlib.sha256(open(HELLO_V2, "rb").read()).digest()))
    expect(r.status == 0 and not eu.one(r.payload.get(14, {}), 1, 0),
           "replayed chunks were staged: %r" % r)
    raw.close()
    # theseusctl re-learns the epoch without the user noticing
    p = b.ctl("swap", "hello", HELLO_V2, check_rc=0)
    expect(re.search(r"hello: 1\.0 -> 2\.0", p.stdout), "swap after reboot: %r" % p.stdout)
    b.guest.kill()
    return "%d recorded datagrams refused after the reboot (%d chunks, %d swaps)" % (
        stale, n_chunks, n_swaps)


def test_sessions_relay_rewrite():
    b = Box("sessions(relay_rewrite)")
    before = b.versions()
    # 1. a relay turning every reply into success, keeping the seal
    proxy = eu.UdpProxy(b.port, rewrite=lambda raw: eu.rewrite_status(raw))
    try:
        p = eu.ctl(proxy.port, "swap", "--expect", "9.9", "hello", HELLO_V2,
                   key_file=b.key_file, timeout_ms=300, retries=2)
    finally:
        proxy.close()
    expect(p.returncode != 0, "rewritten replies made theseusctl succeed: %s" % p.stdout)
    expect(p.returncode == 4, "rewriting relay: exit %d, want 4: %s" % (p.returncode, p.stderr))
    expect(not re.search(r"-> ", p.stdout), "a swap was reported: %r" % p.stdout)
    # 2. a relay answering every request itself, unsealed and sealed under another key
    other = os.urandom(32)

    def forge(req, sealed):
        env = eu.decode(req)
        cid, cnt, ep = eu.one(env, 2, 0), eu.one(env, 3, 0), eu.one(env, 6, 0)
        body = eu.decode(eu.one(env, 5, b""))
        payload = b""
        if eu.REQ_PING in body:
            payload = eu.f_bytes(10, b"")
        r = eu.reply_bytes(counter=cnt, client_id=cid, epoch=ep or 1, payload=payload)
        return eu.seal(other, r, cid, cnt, ep) if sealed else r

    for sealed in (False, True):
        proxy = eu.UdpProxy(b.port, answer=lambda d, s=sealed: forge(d, s))
        try:
            for args in (["ping"], ["swap", "hello", HELLO_V2]):
                p = eu.ctl(proxy.port, *args, key_file=b.key_file, timeout_ms=200, retries=1)
                expect(p.returncode == 4, "forging relay (sealed=%s) %s: exit %d, want 4: %s %s"
                       % (sealed, args[0], p.returncode, p.stdout, p.stderr))
                expect(not re.search(r"pong from|-> ", p.stdout), "forged success: %r" % p.stdout)
        finally:
            proxy.close()
    expect(b.versions() == before, "the relays changed the kernel: %s" % b.versions())
    b.guest.kill()
    return "rewritten and forged replies refused (exit 4)"


def _drop_first(field):
    """A relay rewrite that drops the first reply carrying payload field."""
    state = {"dropped": 0}

    def rewrite(raw):
        try:
            fields = eu.decode(raw)
        except ValueError:
            return raw
        if field in fields and not state["dropped"]:
            state["dropped"] += 1
            return None
        return raw
    return rewrite, state


def test_sessions_lost_reply():
    b = Box("sessions(lost_reply)")
    # An invoke whose reply is lost: resent as the same datagram, answered
    # from the kernel's reply cache, run once.
    rewrite, state = _drop_first(20)  # Reply.invoke
    proxy = eu.UdpProxy(b.port, rewrite=rewrite)
    try:
        p = eu.ctl(proxy.port, "invoke", "hello", "hello_greet_invoke", key_file=b.key_file,
                   timeout_ms=300, retries=3)
        sent = [d for d in proxy.captured if eu.REQ_INVOKE in
                eu.decode(eu.one(eu.decode(d), 5, b""))]
    finally:
        proxy.close()
    expect(state["dropped"] == 1, "the relay dropped %d invoke replies" % state["dropped"])
    expect(p.returncode == 0 and "hello from v1 (call 1)" in p.stdout,
           "invoke with its first reply lost: exit %d: %r" % (p.returncode, p.stdout + p.stderr))
    # (the first datagram of a run learns the epoch: refused, sent anew)
    expect(len(sent) >= 2 and sent[-1] == sent[-2],
           "the invoke was not resent as the same datagram: %d sent, %d distinct"
           % (len(sent), len(set(sent))))
    p = b.ctl("invoke", "hello", "hello_greet_invoke", check_rc=0)
    expect("hello from v1 (call 2)" in p.stdout, "the resent invoke ran twice: %r" % p.stdout)
    # A swap whose reply is lost: the resend gets the same success, not
    # ENOENT for the object the swap consumed.
    rewrite, state = _drop_first(15)  # Reply.swap
    proxy = eu.UdpProxy(b.port, rewrite=rewrite)
    try:
        p = eu.ctl(proxy.port, "swap", "hello", HELLO_V2, key_file=b.key_file,
                   timeout_ms=300, retries=3)
    finally:
        proxy.close()
    expect(state["dropped"] == 1, "the relay dropped %d swap replies" % state["dropped"])
    expect(p.returncode == 0 and re.search(r"hello: 1\.0 -> 2\.0", p.stdout),
           "swap with its first reply lost: exit %d: %r" % (p.returncode, p.stdout + p.stderr))
    expect(b.versions().get("hello") == "2.0", "hello is not 2.0: %s" % b.versions())
    p = b.ctl("history", check_rc=0)
    swaps = re.findall(r"\bswap\s+hello 1\.0->2\.0\s+OK\b", p.stdout)
    expect(len(swaps) == 1, "history has %d swaps of hello: %r" % (len(swaps), p.stdout))
    b.guest.kill()
    return "lost invoke and swap replies answered from the reply cache"


def test_sessions_lockout():
    b = Box("sessions(lockout)")
    victim = eu.RawClient(b.port, key=b.key)
    expect(victim.call(eu.req_ping()).status == 0, "victim ping before the attack")
    attacker = eu.RawClient(b.port, key=b.key)
    attacker.learn_epoch()
    # a counter near 2^64 on the victim's own client id
    c = 2 ** 64 - 1
    r = attacker.raw(eu.envelope(eu.req_ping(), key=b.key, client_id=victim.client_id, counter=c,
                                 epoch=attacker.epoch), want_counter=c)
    expect(r is not None and r.status == 0, "attacker on the victim's id: %r" % r)
    # 40 new client ids with counters near 2^64
    for i in range(40):
        c = 2 ** 64 - 2 - i
        attacker.raw(eu.envelope(eu.req_ping(), key=b.key, client_id=0xA77AC << 20 | i,
                                 counter=c, epoch=attacker.epoch), want_counter=c)
    # the victim: its next request is refused at most once, then it is served
    c = victim.next_counter()
    r = victim.raw(eu.envelope(eu.req_ping(), key=b.key, client_id=victim.client_id, counter=c,
                               epoch=victim.epoch), want_counter=c,
                   bind=(b.key, victim.client_id, c, victim.epoch))
    expect(r is not None and r.sealed and r.status in (0, eu.ESTALE), "victim: %r" % r)
    r = victim.call(eu.req_ping())   # follows the ESTALE rules: new session or epoch
    expect(r.status == 0 and r.sealed, "victim after the attack: %r" % r)
    # a new client (theseusctl) gets through at once
    p = b.ctl("ls", check_rc=0)
    expect("hello" in p.stdout, "ls after the attack: %r" % p.stdout)
    p = b.ctl("swap", "hello", HELLO_V2, check_rc=0)
    victim.close()
    attacker.close()
    b.guest.kill()
    return "victim and a new client served after the lockout attempt"


def test_sessions_staging_wedge():
    b = Box("sessions(staging_wedge)", extra="staging=4M")
    expect(re.search(r"staging 4096 KiB", b.guest.log), "staging=4M not taken")
    # a push killed half-way (3 MB object)
    big = os.path.join(b.tmp, "big.o")
    with open(big, "wb") as f:
        f.write(os.urandom(3 << 20))
    cmd = [eu.CTL, "-H", "127.0.0.1:%d" % b.port, "--key-file", b.key_file, "push", big]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    raw = eu.RawClient(b.port, key=b.key)
    sha_big = hashlib.sha256(open(big, "rb").read()).digest()
    deadline = time.time() + 60 * harness.TIME_SCALE
    have = 0
    while time.time() < deadline and proc.poll() is None:
        r = raw.call(eu.req_object_status(sha_big))
        have = eu.one(r.payload.get(14, {}), 4, 0)
        if have >= 200:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    expect(have >= 200, "the push to kill made no progress (%d chunks)" % have)
    # one chunk declaring the whole area on top
    wedge = hashlib.sha256(b"wedge").digest()
    r = raw.call(eu.req_chunk(wedge, 4 << 20, 0, b"w" * 1024))
    expect(r.status == 0, "wedge chunk: %r" % r)
    # the next push and swap go through at once
    p = b.ctl("swap", "hello", HELLO_V2, check_rc=0)
    expect(re.search(r"hello: 1\.0 -> 2\.0", p.stdout), "swap after the killed push: %r" % p.stdout)
    # a file over the limit: refused locally, both sizes named, nothing sent
    huge = os.path.join(b.tmp, "huge.o")
    with open(huge, "wb") as f:
        f.write(os.urandom(5 << 20))
    r = raw.call(eu.req_info())
    chunks0 = eu.one(eu.decode(eu.one(r.payload[11], 8, b"")), 7, 0)
    p = b.ctl("push", huge)
    expect(p.returncode == 5, "over the limit: exit %d, want 5: %s" % (p.returncode, p.stderr))
    expect(str(5 << 20) in p.stderr and str(4 << 20) in p.stderr,
           "the message does not name both sizes: %r" % p.stderr)
    r = raw.call(eu.req_info())
    chunks1 = eu.one(eu.decode(eu.one(r.payload[11], 8, b"")), 7, 0)
    expect(chunks1 == chunks0, "chunks were sent for a file over the limit (%d -> %d)"
           % (chunks0, chunks1))
    raw.close()
    b.guest.kill()
    return "killed push at %d chunks, wedge chunk, then swap OK; %s" % (
        have, p.stderr.strip().split(": push: ")[-1][:70])
