"""test_downtime.py - live swaps lose nothing: while hello is swapped back and
forth 40 times over the network, a workload of echoes (UDP 7) and invokes of
hello (through the endpoint), one at a time and never resent, gets every
answer, and every invoke succeeds.  Latencies are measured by `make bench`
(tests/bench/downtime_bench.py), never asserted here."""
import hashlib
import os
import socket
import tempfile
import threading

import endpoint_util as eu
import harness
from harness import expect

KEY_HEX = "3c" * 32
SWAPS = 40
ANSWER_S = 10.0   # generous: a request fails only if it is never answered


def test_workload_sees_no_failure_during_swaps():
    key = bytes.fromhex(KEY_HEX)
    ep_port, echo_port = harness.free_port(), harness.free_port()
    g = harness.Guest(cmdline="key=%s" % KEY_HEX, modules=["logfmt", "hello"], nic="virtio",
                      hostfwd=[("udp", ep_port, 7700), ("udp", echo_port, 7)],
                      label="downtime").start()
    g.wait_for(r"theseus: ready: ip 10\.0\.2\.15", 30)
    shas = {}
    with tempfile.TemporaryDirectory() as tmp:
        key_file = os.path.join(tmp, "key")
        with open(key_file, "w") as f:
            f.write(KEY_HEX + "\n")
        for name, ver in (("hello", "1.0"), ("hello_v2", "2.0")):
            path = harness.module_path(name)
            shas[ver] = hashlib.sha256(open(path, "rb").read()).digest()
            eu.ctl(ep_port, "-q", "push", path, key_file=key_file, timeout_ms=1000, retries=10,
                   check_rc=0)

    stop = threading.Event()
    results = {"echo": [0, 0], "invoke": [0, 0]}   # [answered, failed]

    def workload():
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(ANSWER_S * harness.TIME_SCALE)
        inv = eu.RawClient(ep_port, key=key, timeout=ANSWER_S)
        inv.learn_epoch()
        n = 0
        while not stop.is_set():
            payload = b"w%07d" % n
            n += 1
            s.sendto(payload, ("127.0.0.1", echo_port))
            try:
                ok = s.recv(2048) == payload
            except OSError:
                ok = False
            results["echo"][0 if ok else 1] += 1
            cnt = inv.next_counter()
            r = inv.raw(eu.envelope(eu.req_invoke(b"hello", b"hello_greet_invoke"), key=key,
                                    client_id=inv.client_id, counter=cnt, epoch=inv.epoch),
                        retries=1, want_counter=cnt, bind=(key, inv.client_id, cnt, inv.epoch))
            ok = r is not None and r.sealed and r.status == 0
            results["invoke"][0 if ok else 1] += 1
        s.close()
        inv.close()

    t = threading.Thread(target=workload, daemon=True)
    t.start()
    c = eu.RawClient(ep_port, key=key, timeout=5.0)
    cur = "1.0"
    try:
        for i in range(SWAPS):
            nxt = "2.0" if cur == "1.0" else "1.0"
            r = c.call(eu.req_swap([("hello", cur, shas[nxt])]))
            expect(r.status == 0, "swap %d (%s -> %s): status %d %s" % (i, cur, nxt, r.status,
                                                                       r.message))
            cur = nxt
    finally:
        stop.set()
        t.join(60 * harness.TIME_SCALE)
        c.close()
    for kind, (answered, failed) in results.items():
        expect(answered > 0, "no %s answered during the swaps" % kind)
        expect(failed == 0, "%d of %d %s requests failed during %d swaps"
               % (failed, answered + failed, kind, SWAPS))
    return "echo %d, invoke %d answered during %d swaps, none failed" % (
        results["echo"][0], results["invoke"][0], SWAPS)
