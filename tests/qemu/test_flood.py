"""test_flood.py - a flood of unauthenticated datagrams (proto/theseus.proto,
6): what must hold while it lasts, checked by counts, never by time.

  push_and_limit  while a sender floods the endpoint with bad-MAC envelopes
                  as fast as it can (bounded: until the checks are done,
                  at most FLOOD_MAX datagrams or FLOOD_MAX_S seconds), a
                  100 KiB `theseusctl push` completes, and an authenticated
                  client gets a sealed answer to every one of its requests
                  (each resent until answered, as the rules say); the
                  kernel's refusals to unauthenticated datagrams stay within
                  the rate limit's budget for the guest time that passed
                  (burst + rate * seconds, by the guest's own uptime), the
                  rest are counted as rate-limited; afterwards a client
                  with a wrong key on the quiet link still gets its EAUTH
                  refusals (theseusctl exit 4, "wrong key?")
"""
import json
import os
import socket
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import endpoint_util as eu  # noqa: E402
import harness  # noqa: E402
from harness import expect  # noqa: E402

MODULES = ["checksum", "kv", "logfmt", "hello"]
FLOOD_MAX = 3000000       # datagrams at most
FLOOD_MAX_S = 60          # seconds at most
RATE, BURST = 200, 20     # net/endpoint/endpoint_impl.h EP_UNAUTH_REPLIES_PER_S, _BURST


class Flooder:
    """Bad-MAC envelopes to 127.0.0.1:port from one socket, as fast as it
    takes them, until stop() or the bounds."""

    def __init__(self, port):
        self.port = port
        self.sent = 0
        self.halt = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        junk = eu.envelope(eu.req_ping(b"f" * 64), key=os.urandom(32), epoch=1)
        end = time.time() + FLOOD_MAX_S
        while not self.halt.is_set() and self.sent < FLOOD_MAX and time.time() < end:
            try:
                s.sendto(junk, ("127.0.0.1", self.port))
            except OSError:
                pass
            self.sent += 1
        s.close()

    def start(self, first=2000):
        self.thread.start()
        while self.sent < first and self.thread.is_alive():
            time.sleep(0.001)
        return self

    def stop(self):
        self.halt.set()
        self.thread.join(30)
        return self.sent


def answered_call(raw, body, calls=40):
    """raw.call (8 tries, a new counter each) again until answered."""
    for _ in range(calls):
        try:
            return raw.call(body)
        except AssertionError:
            continue
    return None


def info(port, key_file):
    p = eu.ctl(port, "--json", "info", key_file=key_file, timeout_ms=500, retries=20, check_rc=0)
    return json.loads(p.stdout.splitlines()[-1])


def test_flood_push_and_limit():
    tmp = tempfile.mkdtemp(prefix="theseus-flood-")
    key_file = os.path.join(tmp, "key")
    key_hex = eu.keygen(key_file)
    wrong = os.path.join(tmp, "wrong")
    eu.keygen(wrong)
    port = harness.free_port()
    g = harness.Guest(cmdline="loglevel=warn key=%s" % key_hex, modules=MODULES, nic="e1000",
                      hostfwd=[("udp", port, 7700)], label="flood").start()
    g.wait_for(r"theseus: ready:", 60)
    eu.ctl(port, "ping", key_file=key_file, timeout_ms=500, retries=20, check_rc=0)
    obj = os.path.join(tmp, "obj.bin")
    with open(obj, "wb") as f:
        f.write(os.urandom(100 * 1024))
    before = info(port, key_file)

    fl = Flooder(port).start()
    try:
        # The push completes (theseusctl waits for the kernel's hash check).
        eu.ctl(port, "push", obj, key_file=key_file, timeout_ms=500, retries=20, check_rc=0,
               time_limit=300)
        pushed_during = fl.thread.is_alive()
        # An authenticated client: every request answered, sealed.
        raw = eu.RawClient(port, key=bytes.fromhex(key_hex), timeout=0.2)
        answered = 0
        for i in range(20):
            r = answered_call(raw, eu.req_ping(b"auth%d" % i))
            expect(r is not None and r.status == 0 and r.sealed,
                   "authenticated ping %d during the flood: %r" % (i, r))
            answered += 1
        raw.close()
        still = fl.thread.is_alive()
    finally:
        sent = fl.stop()
    expect(pushed_during and still, "the flood ended before the checks (%d sent): raise FLOOD_MAX"
           % sent)

    after = info(port, key_file)
    c0, c1 = before["counters"], after["counters"]
    seen = c1["auth_failures"] - c0["auth_failures"]
    replies = c1["unauth_replies"] - c0["unauth_replies"]
    limited = c1["rate_limited"] - c0["rate_limited"]
    secs = (after["uptime_ms"] - before["uptime_ms"]) / 1000.0
    budget = BURST + RATE * secs + 1
    expect(seen > 0, "no unauthenticated datagram reached the kernel (%d sent)" % sent)
    expect(replies <= budget, "%d refusals sent in %.2f s of guest time: over the budget %.0f"
           % (replies, secs, budget))
    expect(replies + limited + (c1["unanswered"] - c0["unanswered"]) == seen,
           "refusals %d + rate-limited %d + unanswered != %d unauthenticated"
           % (replies, limited, seen))
    if seen > budget:
        expect(limited > 0, "the limit never engaged (%d seen)" % seen)

    # Quiet again: the bucket refills (guest time), and a wrong-key client
    # gets its refusals, so theseusctl says what is wrong.
    while info(port, key_file)["uptime_ms"] < after["uptime_ms"] + 1000 * BURST // RATE + 50:
        time.sleep(0.05)
    p = eu.ctl(port, "ping", key_file=wrong, timeout_ms=300, retries=1, check_rc=4)
    expect("wrong key?" in p.stderr, "wrong key hint after the flood: %r" % p.stderr)
    g.kill()
    return "%d flood datagrams, %d reached the kernel, %d refusals (budget %.0f), %d rate-limited, " \
           "%d authenticated answers" % (sent, seen, replies, budget, limited, answered)
