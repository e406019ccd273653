"""endpoint_util.py - host-side helpers for the swap endpoint's QEMU tests,
the push benchmark and the demo: a hand-written protobuf encoder/decoder for
proto/theseus.proto (varints, no generated code), a raw datagram client that
builds envelopes with, without or with a wrong MAC, a loopback UDP proxy
that drops, duplicates, reorders and captures datagrams in both directions,
and a runner for build/theseusctl.

Wire format (proto/theseus.proto, whose header states the rules):
Envelope{1 version, 2 client_id, 3 counter, 4 mac, 5 body=Request, 6 epoch,
7 mac_kind}; mac = HMAC-SHA256(key, LE32(version) || LE64(client_id) ||
LE64(counter) || LE64(epoch) || body), or with mac_kind 1 the RFC 8439
ChaCha20-Poly1305 tag (empty plaintext; chacha_poly.py) of those bytes as
AAD under K_s = HMAC-SHA256(key, "THS1" || LE64(epoch) || LE64(client_id)),
nonce LE32(version) || LE64(counter).  Reply{1 version, 2 counter, 3 status,
4 message, 5 client_id, 6 epoch, 7 counter_floor, 8 mac_kinds, 9 mac,
10.. payload}; a reply to a
request with a valid MAC ends with the seal 0x4a 0x20 MAC, MAC =
HMAC-SHA256(key, "THRP" || LE64(epoch) || LE64(client_id) || LE64(counter)
|| the reply bytes before the seal), epoch/client_id/counter of the request.
RawClient learns the epoch from the first (sealed) ESTALE reply.
"""
import hashlib
import heapq
import hmac
import os
import random
import select
import socket
import struct
import subprocess
import threading
import time

import chacha_poly
import harness

CTL = os.path.join(harness.BUILD, "theseusctl")
PROTO_VERSION = 2
CHUNK = 1024

# |TH_E*| codes (kernel/include/err.h) as they appear in Reply.status.
EINVAL, ERANGE, EFULL, EAUTH, EPROTO, EVERSION, EHASH, ECONFLICT = 1, 5, 6, 16, 17, 18, 19, 20
ETOOBIG, EINCOMPLETE, ENOENT = 29, 28, 3
ESTALE = 13
SEAL_TAG = 0x4A

# Request.kind field numbers.
REQ_PING, REQ_INFO, REQ_LS, REQ_CHUNK, REQ_OBJSTATUS, REQ_SWAP = 1, 2, 3, 4, 5, 6
REQ_INVOKE = 11
ENOTSUP = 27


# ---- protobuf by hand ---------------------------------------------------------
def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def f_varint(field, n):
    return varint(field << 3) + varint(n)


def f_bytes(field, data):
    if isinstance(data, str):
        data = data.encode()
    return varint(field << 3 | 2) + varint(len(data)) + data


def decode(buf):
    """Generic decode: {field: [values]}; varints as int, length-delimited as bytes."""
    out = {}
    i = 0
    while i < len(buf):
        key, i = _read_varint(buf, i)
        field, wt = key >> 3, key & 7
        if wt == 0:
            v, i = _read_varint(buf, i)
        elif wt == 2:
            n, i = _read_varint(buf, i)
            if i + n > len(buf):
                raise ValueError("truncated field %d" % field)
            v, i = bytes(buf[i:i + n]), i + n
        elif wt == 1:
            v, i = struct.unpack_from("<Q", buf, i)[0], i + 8
        elif wt == 5:
            v, i = struct.unpack_from("<I", buf, i)[0], i + 4
        else:
            raise ValueError("wire type %d" % wt)
        out.setdefault(field, []).append(v)
    return out


def _read_varint(buf, i):
    n = shift = 0
    while True:
        if i >= len(buf):
            raise ValueError("truncated varint")
        b = buf[i]
        i += 1
        n |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return n, i


def one(msg, field, default=None):
    v = msg.get(field)
    return v[0] if v else default


# Request bodies.
def req_ping(payload=b""):
    return f_bytes(REQ_PING, f_bytes(1, payload) if payload else b"")


def req_info():
    return f_bytes(REQ_INFO, b"")


def req_ls(start=0):
    return f_bytes(REQ_LS, f_varint(1, start) if start else b"")


def req_chunk(sha, total, offset, data):
    return f_bytes(REQ_CHUNK, f_bytes(1, sha) + f_varint(2, total) + f_varint(3, offset)
                   + f_bytes(4, data))


def req_object_status(sha):
    return f_bytes(REQ_OBJSTATUS, f_bytes(1, sha))


def req_swap(items):
    """items: [(module, expected_version, sha)]"""
    body = b"".join(f_bytes(1, f_bytes(1, m) + f_bytes(2, v) + f_bytes(3, s)) for m, v, s in items)
    return f_bytes(REQ_SWAP, body)


def req_invoke(module, function, data=b""):
    return f_bytes(REQ_INVOKE, f_bytes(1, module) + f_bytes(2, function)
                   + (f_bytes(3, data) if data else b""))


def swap_stages(reply):
    """{stage name: seconds} of a swap reply's stage times (SwapReply field 2)."""
    out = {}
    for st in (decode(x) for x in reply.payload.get(15, {}).get(2, [])):
        name = one(st, 1, b"?")
        out[name.decode() if isinstance(name, bytes) else str(name)] = one(st, 2, 0) / 1e9
    return out


def swap_back_and_forth(client, module, versions, shas, current, n):
    """n swaps of module between versions[0] and versions[1] (objects named
    by shas[version], already pushed), starting from version current:
    [(request round trip in s, swap_stages)]; raises on a failed swap."""
    out = []
    for _ in range(n):
        nxt = versions[1] if current == versions[0] else versions[0]
        t0 = time.perf_counter()
        r = client.call(req_swap([(module, current, shas[nxt])]))
        rtt = time.perf_counter() - t0
        if r.status != 0:
            raise RuntimeError("swap of %s %s -> %s failed: %r" % (module, current, nxt, r))
        out.append((rtt, swap_stages(r)))
        current = nxt
    return out


MAC_HMAC, MAC_POLY = 0, 1   # Envelope.mac_kind


def session_key(key, epoch, client_id):
    """K_s of a session, for kind-1 MACs (theseus.proto, 2a)."""
    return hmac.new(key, b"THS1" + struct.pack("<QQ", epoch, client_id), hashlib.sha256).digest()


def request_mac(key, version, client_id, counter, epoch, body, mac_kind=MAC_HMAC):
    """The MAC of an envelope's fields: HMAC (32 bytes) or the kind-1 tag (16)."""
    covered = struct.pack("<IQQQ", version, client_id, counter, epoch) + body
    if mac_kind == MAC_POLY:
        return chacha_poly.aead_tag(session_key(key, epoch, client_id),
                                    struct.pack("<IQ", version, counter), covered)
    return hmac.new(key, covered, hashlib.sha256).digest()


def envelope(body, key=None, client_id=None, counter=None, version=PROTO_VERSION, mac=None,
             epoch=0, mac_kind=MAC_HMAC):
    """An Envelope around body bound to epoch; key None = no MAC; mac
    overrides the computed one; mac_kind 1 = the ChaCha20-Poly1305 tag."""
    client_id = client_id if client_id is not None else random.getrandbits(63)
    counter = counter if counter is not None else time.time_ns()
    if mac is None and key is not None:
        mac = request_mac(key, version, client_id, counter, epoch, body, mac_kind)
    out = f_varint(1, version) + f_varint(2, client_id) + f_varint(3, counter)
    if mac:
        out += f_bytes(4, mac)
    out += f_bytes(5, body)
    if epoch:
        out += f_varint(6, epoch)
    if mac_kind:
        out += f_varint(7, mac_kind)
    return out


def seal_ok(key, raw, client_id, counter, epoch):
    """True when reply bytes raw end with a valid seal for that request."""
    if key is None or len(raw) < 34 or raw[-34] != SEAL_TAG or raw[-33] != 32:
        return False
    want = hmac.new(key, b"THRP" + struct.pack("<QQQ", epoch, client_id, counter) + raw[:-34],
                    hashlib.sha256).digest()
    return hmac.compare_digest(want, raw[-32:])


def seal(key, raw, client_id, counter, epoch):
    """Appends a seal to reply bytes raw (for relays that forge with the key)."""
    mac = hmac.new(key, b"THRP" + struct.pack("<QQQ", epoch, client_id, counter) + raw,
                   hashlib.sha256).digest()
    return raw + bytes([SEAL_TAG, 32]) + mac


def unseal(raw):
    """Reply bytes without a trailing seal (if any)."""
    if len(raw) >= 34 and raw[-34] == SEAL_TAG and raw[-33] == 32:
        return raw[:-34]
    return raw


class Reply:
    def __init__(self, raw):
        self.raw = raw
        m = decode(raw)
        self.msg = m
        self.version = one(m, 1, 0)
        self.counter = one(m, 2, 0)
        self.status = one(m, 3, 0)
        self.message = one(m, 4, b"").decode("utf-8", "replace")
        self.client_id = one(m, 5, 0)
        self.epoch = one(m, 6, 0)
        self.counter_floor = one(m, 7, 0)
        self.mac_kinds = one(m, 8, 0)
        self.sealed = False   # set by RawClient when the seal checked out
        self.payload = {f: decode(v[0]) for f, v in m.items() if f >= 10}

    def __repr__(self):
        return "Reply(status=%d, message=%r)" % (self.status, self.message)


def reply_bytes(version=PROTO_VERSION, counter=0, status=0, message=b"", client_id=0, epoch=0,
                payload=b""):
    """A packed Reply (unsealed) with the given fields; payload = raw field bytes."""
    out = f_varint(1, version) + f_varint(2, counter)
    if status:
        out += f_varint(3, status)
    if message:
        out += f_bytes(4, message)
    if client_id:
        out += f_varint(5, client_id)
    if epoch:
        out += f_varint(6, epoch)
    return out + payload


def rewrite_status(raw, status=0, message=b"OK"):
    """Reply bytes with status and message replaced, the rest (and any seal)
    kept as it was: what a relay turning a refusal into success would send."""
    sealed = len(raw) >= 34 and raw[-34] == SEAL_TAG and raw[-33] == 32
    body, tail = (raw[:-34], raw[-34:]) if sealed else (raw, b"")
    m = decode(body)
    out = bytearray()
    for field in sorted(m):
        for v in m[field]:
            if field in (3, 4):
                continue
            out += f_varint(field, v) if isinstance(v, int) else f_bytes(field, v)
    if status:
        out += f_varint(3, status)
    out += f_bytes(4, message)
    return bytes(out) + tail


def modules_of(reply):
    """[(name, version, sha)] from a ListModulesReply."""
    ml = reply.payload.get(12, {})
    out = []
    for raw in ml.get(3, []):
        mi = decode(raw)
        out.append((one(mi, 1, b"").decode(), one(mi, 2, b"").decode(), one(mi, 3, b"")))
    return out


# ---- raw client -----------------------------------------------------------------
class RawClient:
    """Sends single datagrams to 127.0.0.1:port and waits for a reply."""

    def __init__(self, port, key=None, timeout=1.0, mac_kind=MAC_HMAC):
        self.addr = ("127.0.0.1", port)
        self.key = key
        self.mac_kind = mac_kind  # of the envelopes call() makes
        self.client_id = random.getrandbits(63)
        self.counter = time.time_ns()
        self.epoch = 0          # learned from the first sealed ESTALE reply
        self.timeout = timeout
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))

    def close(self):
        self.sock.close()

    def next_counter(self):
        self.counter = max(self.counter + 1, time.time_ns())
        return self.counter

    def raw(self, data, retries=4, want_counter=None, bind=None):
        """Send data (retried unchanged on timeout); the first decodable reply
        (with Reply.counter == want_counter if given), or None.  bind =
        (key, client_id, counter, epoch): mark r.sealed when its seal holds."""
        for _ in range(retries):
            self.sock.sendto(data, self.addr)
            deadline = time.time() + self.timeout * harness.TIME_SCALE
            while True:
                left = deadline - time.time()
                if left <= 0:
                    break
                self.sock.settimeout(left)
                try:
                    buf = self.sock.recv(65536)
                except socket.timeout:
                    break
                try:
                    r = Reply(buf)
                except (ValueError, struct.error):
                    continue
                if want_counter is None or r.counter == want_counter:
                    if bind is not None:
                        r.sealed = seal_ok(bind[0], buf, bind[1], bind[2], bind[3])
                    return r
        return None

    def call(self, body, key="default", follow_stale=True, **kw):
        """A fresh authenticated envelope (own key unless key= given) per try,
        bound to the learned epoch.  A sealed ESTALE is followed as the rules
        say (adopt the epoch it names, else a new session above the floor)
        and not returned, unless follow_stale is False."""
        key = self.key if key == "default" else key
        stale = 0
        for _ in range(8):
            c = self.next_counter()
            epoch = kw.pop("epoch", self.epoch)
            kw.setdefault("mac_kind", self.mac_kind)
            r = self.raw(envelope(body, key=key, client_id=self.client_id, counter=c,
                                  epoch=epoch, **kw),
                         retries=1, want_counter=c,
                         bind=(key, self.client_id, c, epoch) if key else None)
            if r is None:
                continue
            if (r.status == ESTALE and r.sealed and follow_stale and stale < 4):
                stale += 1
                if r.epoch != epoch:
                    self.epoch = r.epoch
                else:
                    self.client_id = random.getrandbits(63)
                    self.counter = max(self.counter, r.counter_floor)
                continue
            return r
        raise AssertionError("no reply to a request on port %d" % self.addr[1])

    def learn_epoch(self):
        """One ping, so that self.epoch is known (with a key)."""
        return self.call(req_ping())

    def push(self, data, sha=None):
        """Pushes an object chunk by chunk (stop-and-wait); returns the last reply."""
        sha = sha or hashlib.sha256(data).digest()
        r = None
        for off in range(0, len(data), CHUNK):
            r = self.call(req_chunk(sha, len(data), off, data[off:off + CHUNK]))
            if r.status:
                return r
        return r


# ---- lossy / capturing proxy ---------------------------------------------------
class UdpProxy:
    """127.0.0.1:<self.port> <-> 127.0.0.1:target.  Each datagram, in each
    direction, is dropped with probability drop, duplicated with dup, and
    delayed by 5-40 ms (so overtaken: reordered) with reorder.  Client->server
    datagrams are kept in self.captured.  One client at a time (replies go to
    the last sender).  stats counts what was done.

    A hostile relay: rewrite(reply_bytes) -> bytes or None (drop) is applied
    to every server->client datagram; answer(request_bytes) -> bytes or None
    answers a client->server datagram itself (not forwarded) when it returns
    bytes."""

    def __init__(self, target_port, drop=0.0, dup=0.0, reorder=0.0, seed=1, rewrite=None,
                 answer=None):
        self.target = ("127.0.0.1", target_port)
        self.drop, self.dup, self.reorder = drop, dup, reorder
        self.rewrite, self.answer = rewrite, answer
        self.rng = random.Random(seed)
        self.front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.front.bind(("127.0.0.1", 0))
        self.port = self.front.getsockname()[1]
        self.back = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.back.bind(("127.0.0.1", 0))
        self.client = None
        self.captured = []
        self.stats = {"in": 0, "dropped": 0, "duplicated": 0, "delayed": 0}
        self.queue = []   # (time, seq, sock, data, addr)
        self.seq = 0
        self.stop_flag = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def close(self):
        self.stop_flag = True
        self.thread.join(2)
        self.front.close()
        self.back.close()

    def _schedule(self, sock, data, addr):
        self.stats["in"] += 1
        if self.rng.random() < self.drop:
            self.stats["dropped"] += 1
            return
        copies = 2 if self.rng.random() < self.dup else 1
        self.stats["duplicated"] += copies - 1
        now = time.time()
        for _ in range(copies):
            delay = 0.0
            if self.rng.random() < self.reorder:
                delay = self.rng.uniform(0.005, 0.040)
                self.stats["delayed"] += 1
            self.seq += 1
            heapq.heappush(self.queue, (now + delay, self.seq, sock, data, addr))

    def _run(self):
        while not self.stop_flag:
            now = time.time()
            while self.queue and self.queue[0][0] <= now:
                _, _, sock, data, addr = heapq.heappop(self.queue)
                try:
                    sock.sendto(data, addr)
                except OSError:
                    pass
            timeout = 0.05 if not self.queue else max(0.0, self.queue[0][0] - now)
            try:
                ready, _, _ = select.select([self.front, self.back], [], [], timeout)
            except (OSError, ValueError):
                return
            for s in ready:
                try:
                    data, addr = s.recvfrom(65536)
                except OSError:
                    continue
                if s is self.front:
                    self.client = addr
                    self.captured.append(data)
                    forged = self.answer(data) if self.answer else None
                    if forged is not None:
                        self._schedule(self.front, forged, self.client)
                    else:
                        self._schedule(self.back, data, self.target)
                elif self.client:
                    if self.rewrite:
                        data = self.rewrite(data)
                        if data is None:
                            continue
                    self._schedule(self.front, data, self.client)


# ---- theseusctl ----------------------------------------------------------------------
def keygen(path):
    subprocess.run([CTL, "-q", "keygen", path], check=True, timeout=10)
    with open(path) as f:
        return f.read().strip()


def ctl(port, *args, key_file=None, timeout_ms=500, retries=6, check_rc=None, time_limit=120,
        cache="off", env=None):
    """Runs theseusctl against 127.0.0.1:port; returns CompletedProcess (text).
    cache: THESEUS_SESSION_CACHE for it, "off" (no session cache, as before
    there was one) unless a test gives a file of its own; env: more variables."""
    cmd = [CTL, "-H", "127.0.0.1:%d" % port, "--timeout", str(timeout_ms),
           "--retries", str(retries)]
    if key_file:
        cmd += ["--key-file", key_file]
    e = dict(os.environ, THESEUS_SESSION_CACHE=cache, **(env or {}))
    p = subprocess.run(cmd + list(args), capture_output=True, text=True,
                       timeout=time_limit * harness.TIME_SCALE, env=e)
    if check_rc is not None and p.returncode != check_rc:
        raise harness.GuestError("theseusctl %s: exit %d, want %d\nstdout: %s\nstderr: %s"
                                 % (" ".join(args), p.returncode, check_rc, p.stdout, p.stderr))
    return p


def ls_versions(port, key_file=None):
    """{module: version} from `theseusctl ls`."""
    p = ctl(port, "ls", key_file=key_file, check_rc=0)
    out = {}
    for line in p.stdout.splitlines()[1:]:
        parts = line.split()
        if len(parts) >= 2:
            out[parts[0]] = parts[1]
    return out
