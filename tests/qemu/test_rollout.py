#!/usr/bin/env python3
"""test_rollout.py - `theseusctl rollout` against three QEMU guests (e1000,
UDP forward to the endpoint on 7700, key= on the command line, the demo's
boot modules): a canary wave whose check fails stops the rollout with only
the canary touched and rolled back; a failing check in the second wave
rolls every updated guest back - the fleet is left exactly as it was, by
the module hashes `ls` reports; then a good rollout (one canary wave, then
the rest) reaches every guest, and running it again swaps nothing; a guest
swapped back by another client during its checks fails them; a new module
whose init fails on the canary stops the rollout with nothing to undo.
"""
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import endpoint_util as eu  # noqa: E402
import harness  # noqa: E402
from harness import expect  # noqa: E402

MODULES = ["checksum", "kv", "logfmt", "hello"]
BOOT_TIMEOUT = 60
FATAL_RE = r"\*\*\* FAULT|lwip: assertion|heap: .*(overflow|double free)|panic"


def _hashes(hosts, key_file):
    """{host: (version, sha256)} of hello, from `ls --json`."""
    p = subprocess.run([eu.CTL, "--key-file", key_file, "--timeout", "1000", "--retries", "4",
                           "--hosts", hosts, "--json", "ls"], capture_output=True, text=True,
                          timeout=120 * harness.TIME_SCALE)
    expect(p.returncode == 0, "ls: exit %d: %s" % (p.returncode, p.stderr))
    out = {}
    for line in p.stdout.splitlines():
        o = json.loads(line)
        [m] = [m for m in o["modules"] if m["name"] == "hello"]
        out[o["host"]] = (m["version"], m["sha256"])
    return out


def _rollout(hosts, key_file, *args, want=0):
    p = subprocess.run([eu.CTL, "--key-file", key_file, "--timeout", "1000", "--retries", "4",
                           "--hosts", hosts, "--json", "rollout"] + list(args),
                          capture_output=True, text=True, timeout=300 * harness.TIME_SCALE)
    expect(p.returncode == want, "rollout %s: exit %d, want %d\n%s\n%s"
           % (" ".join(args), p.returncode, want, p.stdout, p.stderr))
    return [json.loads(line) for line in p.stdout.splitlines() if line.strip()], p.stderr


def test_rollout_three_guests():
    tmp = tempfile.mkdtemp(prefix="theseus-rollout-")
    key_file = os.path.join(tmp, "key")
    key_hex = eu.keygen(key_file)
    guests = []
    for i in range(3):
        port = harness.free_port()
        g = harness.Guest(cmdline="key=%s exit=never" % key_hex, modules=MODULES, nic="e1000",
                          hostfwd=[("udp", port, 7700)], label="rollout-%d" % i).start()
        g.port = port
        guests.append(g)
    for g in guests:
        g.wait_for(r"theseus: ready:[^\r\n]*(?=\r?\n)", BOOT_TIMEOUT)
        g.wait_for(r"net: address 10\.0\.2\.15", BOOT_TIMEOUT)
        eu.ctl(g.port, "ping", key_file=key_file, timeout_ms=1000, retries=10, check_rc=0)
    hosts = os.path.join(tmp, "hosts")
    with open(hosts, "w") as f:
        f.write("".join("127.0.0.1:%d\n" % g.port for g in guests))
    labels = ["127.0.0.1:%d" % g.port for g in guests]
    v2 = harness.module_path("hello_v2")
    with open(v2, "rb") as f:
        v2_sha = hashlib.sha256(f.read()).hexdigest()
    before = _hashes(hosts, key_file)
    expect(all(v == "1.0" for v, _ in before.values()), "hello 1.0 everywhere: %r" % before)

    # 1. The canary's check fails: only the canary was touched, and it is back.
    objs, err = _rollout(hosts, key_file, "--waves", "1,100%", "--check", "no_such_check",
                         "hello", v2, want=1)
    expect(len(objs) == 3, "one object per guest: %r" % objs)
    expect(objs[0]["wave"] == 1 and objs[0]["rolled_back"] and objs[0]["status"] == "rolled_back"
           and objs[0]["check"].startswith("failed: --check no_such_check"),
           "canary: %r" % objs[0])
    expect(all(o["status"] == "not_reached" and not o["rolled_back"] for o in objs[1:]),
           "the rest is not reached: %r" % objs[1:])
    expect(objs[0]["old_hash"] == before[labels[0]][1] and objs[0]["new_hash"] == v2_sha,
           "hashes in the canary's record: %r" % objs[0])
    expect("STOPPED in wave 1 of 2: 1 host failed (budget 0); 1 rolled back (verified), "
           "2 not reached" in err, "summary: %r" % err)
    expect(_hashes(hosts, key_file) == before, "the fleet changed after a failed canary")
    for g in guests[1:]:
        p = eu.ctl(g.port, "--json", "history", key_file=key_file, check_rc=0)
        # Only the boot modules' load: no swap or rollback ever reached it.
        kinds = [e["kind"] for e in json.loads(p.stdout)["entries"]]
        expect(kinds == ["load"], "a guest not reached was swapped: %s" % p.stdout)

    # 2. A check that fails on the third guest in wave 2: everyone goes back.
    objs, err = _rollout(hosts, key_file, "--waves", "1,100%", "--check", "hello_greet_invoke",
                         "--check-cmd", 'test "$THESEUS_HOST" != %s' % labels[2],
                         "hello", v2, want=1)
    expect([o["wave"] for o in objs] == [1, 2, 2], "waves: %r" % objs)
    expect(all(o["rolled_back"] for o in objs), "every updated guest rolled back: %r" % objs)
    expect(objs[2]["check"] == "failed: --check-cmd exited 1" and objs[0]["check"] == "ok",
           "checks: %r" % objs)
    expect("STOPPED in wave 2 of 2: 1 host failed (budget 0); 3 rolled back (verified)" in err
           and "failed: %s" % labels[2] in err, "summary: %r" % err)
    expect(_hashes(hosts, key_file) == before, "the fleet was not left as it was")

    # 3. A good rollout: one canary wave, then the rest; every guest runs v2.
    objs, err = _rollout(hosts, key_file, "--waves", "1,100%", "--check", "hello_greet_invoke",
                         "hello", v2)
    expect([o["wave"] for o in objs] == [1, 2, 2], "waves: %r" % objs)
    for o in objs:
        expect(o["status"] == "done" and o["check"] == "ok" and not o["rolled_back"]
               and o["old_version"] == "1.0" and o["new_version"] == "2.0"
               and o["old_hash"] == before[o["host"]][1] and o["new_hash"] == v2_sha,
               "good rollout: %r" % o)
    after = _hashes(hosts, key_file)
    expect(all(after[h] == ("2.0", v2_sha) for h in labels), "hashes after: %r" % after)
    for g in guests:
        p = eu.ctl(g.port, "invoke", "hello", "hello_greet_invoke", key_file=key_file, check_rc=0)
        expect("HELLO from v2" in p.stdout, "v2 behaviour: %r" % p.stdout)
    expect("complete: 3 of 3 hosts run it (3 updated, 0 already) in 2 waves" in err,
           "summary: %r" % err)

    # 4. Again: harmless, nothing swapped.
    objs, err = _rollout(hosts, key_file, "hello", v2)
    expect(all(o["status"] == "already" for o in objs), "repeat: %r" % objs)
    expect("(0 updated, 3 already)" in err, "repeat summary: %r" % err)
    # swaps to 2.0: the canary in steps 1, 2 and 3, the others in 2 and 3 - none in 4
    for g, want in zip(guests, (3, 2, 2)):
        p = eu.ctl(g.port, "--json", "history", key_file=key_file, check_rc=0)
        swaps = [e for e in json.loads(p.stdout)["entries"] if not e["rollback"]
                 and e["status"] == "OK" and e["items"][0]["new_version"] == "2.0"]
        expect(len(swaps) == want, "swaps to 2.0 on %d: %d, want %d" % (g.port, len(swaps), want))

    # 5. A guest that no longer runs the object when its checks end (another
    # client swaps it back during them; a reboot onto the boot modules looks
    # the same) fails: it is not counted as running it, and the record matches
    # what ls says.
    v1 = harness.module_path("hello")
    with open(v1, "rb") as f:
        v1_sha = hashlib.sha256(f.read()).hexdigest()
    swap_back = 'if [ "$THESEUS_HOST" = %s ]; then %s -q swap hello %s; fi' % (labels[1], eu.CTL, v2)
    objs, err = _rollout(hosts, key_file, "--waves", "1,100%", "--max-fail", "1",
                         "--check-cmd", swap_back, "hello", v1)
    o = objs[1]
    expect(o["status"] == "failed" and not o["rolled_back"] and not o["rollback_failed"]
           and o["check"].startswith("failed: hello runs 2.0 (%s) now, not the new object"
                                     % v2_sha[:12]), "swapped away during its checks: %r" % o)
    expect(objs[0]["status"] == "done" and objs[2]["status"] == "done", "the others: %r" % objs)
    expect("complete: 2 of 3 hosts run it (2 updated, 0 already) in 2 waves, 1 failed "
           "(budget 1)" in err and "failed: %s" % labels[1] in err, "summary: %r" % err)
    after = _hashes(hosts, key_file)
    expect(after == {labels[0]: ("1.0", v1_sha), labels[1]: ("2.0", v2_sha),
                     labels[2]: ("1.0", v1_sha)}, "the fleet is not what the record says: %r" % after)
    for g in guests:
        m = re.search(FATAL_RE, g.log)
        expect(m is None, "fatal message: %s" % (m.group(0) if m else ""))

    # 6. A new module whose init fails (a first load the kernel refuses): the
    # canary fails with the kernel's reason, nothing is left to undo - it is
    # not reported as a failed rollback - and the module is not loaded.
    objs, err = _rollout(hosts, key_file, "faulty_init", harness.module_path("faulty_init"),
                         want=1)
    o = objs[0]
    expect(o["status"] == "failed" and not o["rolled_back"] and not o["rollback_failed"]
           and o["old_hash"] == "" and "faulty_init" in o["error"]
           and "rollback" not in o["error"], "refused first load: %r" % o)
    expect("STOPPED in wave 1 of 2: 1 host failed (budget 0); 0 rolled back (verified), "
           "2 not reached" in err and "ROLLBACK FAILED" not in err, "summary: %r" % err)
    p = eu.ctl(guests[0].port, "--json", "ls", key_file=key_file, check_rc=0)
    expect("faulty_init" not in p.stdout, "faulty_init loaded after its refused load")
    for g in guests:
        g.kill()


if __name__ == "__main__":
    harness.reset_guests()
    try:
        test_rollout_three_guests()
        print("PASS test_rollout_three_guests")
    finally:
        harness.kill_guests()
