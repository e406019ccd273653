#!/usr/bin/env python3
"""flood_bench.py - `make bench`: a push under an unauthenticated flood.

Boots one guest (e1000, key configured) and times `theseusctl push` of a
FLOOD_PUSH_KIB (100) KiB random object twice per round, FLOOD_ROUNDS (3)
rounds, the median round reported: on a quiet link, and while a
separate sender process sends FLOOD_DATAGRAMS (50000) unauthenticated
~130-byte datagrams (envelopes with a bad MAC) to the same endpoint as fast
as it can; the flooded push starts once 2000 of them are out.  Two
configurations, each its own suite:

  flood      QEMU user networking (slirp), the endpoint forwarded to a port
             on 127.0.0.1; theseusctl and the flooder on the host.
  flood_tap  QEMU on a tap device inside a network namespace this bench
             creates (and deletes): guest 10.77.0.2/24, the namespace's side
             10.77.0.1; theseusctl and the flooder run in that namespace, so
             no datagram leaves it.  Needs root, `ip netns` and /dev/net/tun;
             without them one "BENCH flood_tap skipped 1 -" line says why.

Per suite: "push_quiet_ms", "push_flooded_ms", the flood's rate
("flood_rate", datagrams/s) and duration ("flood_ms"), how long the push
went on after the flood's last datagram ("push_after_flood_ms", negative
when it ended first), what was dropped before QEMU read it
("dropped_before_qemu": the tap's TX drops, or the host's UDP
RcvbufErrors), the kernel's counters (unauthenticated datagrams seen,
refusals sent: at most the rate limit's budget, rate-limited ones), the
guest NIC's counters over the same span (`theseusctl --json info`'s
nic.counters, when the kernel sends them): "guest_rx_frames", frames the
guest's NIC received (flood, push and info alike), and "guest_rx_drops",
frames its NIC core could not hand to the stack (no buffer, more than a
poll's budget, refused by lwIP).  So sent - dropped_before_qemu -
guest_rx_frames (less the push's own frames) is what QEMU or the device
lost (an e1000 with its ring full counts in no counter of ours), told
apart from what the guest dropped.  Last "RATIO <suite> flooded/quiet"
and "RATIO <suite> after_flood/quiet".  theseusctl keeps a session cache of its own in the bench's temp directory (the epoch
learned by the first ping; FLOOD_SESSION_CACHE=off: none, each push learns
it with one more round trip).  With THESEUSCTL_TRACE=1 in the environment
theseusctl's per-request and per-push trace lines are shown as "# ..."
comments.  A measurement, never a pass/fail test.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "qemu"))
import endpoint_util as eu  # noqa: E402
import harness  # noqa: E402

PUSH_KIB = int(os.environ.get("FLOOD_PUSH_KIB", "100"))
DATAGRAMS = int(os.environ.get("FLOOD_DATAGRAMS", "50000"))
TIMEOUT_MS = int(os.environ.get("FLOOD_TIMEOUT_MS", "500"))
ROUNDS = int(os.environ.get("FLOOD_ROUNDS", "3"))   # the median round is reported
MODULES = ["checksum", "kv", "logfmt", "hello"]
GO_AFTER = 2000          # the flooded push starts once this many are out
NS_HOST, NS_GUEST = "10.77.0.1", "10.77.0.2"
TAP = "thflood0"


def flood_main(host, port, n):
    """The sender (its own process): n bad-MAC envelopes to host:port as
    fast as one socket takes them; 'go' on stdout after GO_AFTER, then
    'sent N seconds S end T' (T: time.time() at the end) at the end."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    junk = eu.envelope(eu.req_ping(b"f" * 64), key=os.urandom(32), epoch=1)
    dst = (host, port)
    sent = 0
    t0 = time.perf_counter()
    while sent < n:
        try:
            s.sendto(junk, dst)
        except OSError:
            pass
        sent += 1
        if sent == min(GO_AFTER, n):
            sys.stdout.write("go\n")
            sys.stdout.flush()
    dt = time.perf_counter() - t0
    s.close()
    print("sent %d seconds %.6f end %.6f" % (sent, dt, time.time()), flush=True)
    return 0


class Net:
    """Where theseusctl, the flooder and QEMU run: the host with slirp
    (prefix []) or a network namespace (prefix ip netns exec NS)."""

    def __init__(self, prefix, host, port, ns=None):
        self.prefix, self.host, self.port, self.ns = prefix, host, port, ns

    def drops(self):
        """Datagrams dropped in front of QEMU so far: the tap's TX drops in
        the namespace, or the host's UDP RcvbufErrors (the whole host: QEMU's
        forwarded socket and anything else that overflowed meanwhile)."""
        if self.ns:
            p = subprocess.run(["ip", "-n", self.ns, "-s", "link", "show", TAP],
                               capture_output=True, text=True)
            lines = p.stdout.splitlines()
            for i, line in enumerate(lines):
                if line.strip().startswith("TX:") and i + 1 < len(lines):
                    return int(lines[i + 1].split()[3])
            return 0
        with open("/proc/net/snmp") as f:
            rows = [line.split() for line in f if line.startswith("Udp:")]
        return int(rows[1][rows[0].index("RcvbufErrors")]) if len(rows) >= 2 else 0

    def ctl(self, key_file, *args, time_limit=600):
        cmd = self.prefix + [eu.CTL, "-H", "%s:%d" % (self.host, self.port), "--timeout",
                             str(TIMEOUT_MS), "--retries", "6", "--key-file", key_file]
        return subprocess.run(cmd + list(args), capture_output=True, text=True,
                              timeout=time_limit * harness.TIME_SCALE)

    def flooder(self):
        return subprocess.Popen(self.prefix + [sys.executable, os.path.abspath(__file__), "--flood",
                                               self.host, str(self.port), str(DATAGRAMS)],
                                stdout=subprocess.PIPE, text=True)


def timed_push(net, key_file, path, ends=None):
    t0 = time.perf_counter()
    p = net.ctl(key_file, "-q", "push", path)
    dt = time.perf_counter() - t0
    if ends is not None:
        ends.append(time.time())
    if p.returncode != 0:
        raise RuntimeError("push failed: %s" % p.stderr.strip())
    for line in p.stderr.splitlines():   # THESEUSCTL_TRACE=1 in the environment
        if "trace:" in line:
            print("# " + line)
    return dt


def info(net, key_file):
    """(the endpoint's counters, the NIC's counters or None when the kernel
    sent none) from `theseusctl --json info`."""
    p = net.ctl(key_file, "--json", "info", time_limit=60)
    if p.returncode != 0:
        raise RuntimeError("info failed: %s" % p.stderr.strip())
    o = json.loads(p.stdout.splitlines()[-1])
    return o["counters"], o.get("nic", {}).get("counters")


def one_round(net, key_file, quiet_path, flood_path):
    """A quiet push, then a push during a flood: a dict of what was measured."""
    quiet = timed_push(net, key_file, quiet_path)
    c0, n0 = info(net, key_file)
    drops0 = net.drops()
    fl = net.flooder()
    try:
        if fl.stdout.readline().strip() != "go":
            raise RuntimeError("the flooder did not start")
        ends = []
        flooded = timed_push(net, key_file, flood_path, ends)
        line = fl.stdout.readline().split()
        fl.wait(120)
    finally:
        if fl.poll() is None:
            fl.kill()
            fl.wait()
    if len(line) != 6 or line[0] != "sent":
        raise RuntimeError("the flooder said nothing")
    sent, secs, flood_end = int(line[1]), float(line[3]), float(line[5])
    c1, n1 = info(net, key_file)
    r = {k: c1.get(k, 0) - c0.get(k, 0) for k in ("auth_failures", "unauth_replies", "rate_limited")}
    for k in ("rx_packets", "rx_drops"):   # None: the kernel sent no NIC counters
        r["nic_" + k] = n1[k] - n0[k] if n0 and n1 else None
    r["drops"] = net.drops() - drops0
    r.update(quiet=quiet, flooded=flooded, sent=sent, secs=secs,
             after=ends[0] - flood_end)     # < 0: the push ended before the flood
    return r


def measure(suite, net, key_file, tmp):
    p = net.ctl(key_file, "ping", time_limit=120)
    if p.returncode != 0:
        raise RuntimeError("endpoint never answered: %s" % p.stderr.strip())
    rounds = []
    for i in range(ROUNDS):      # new objects each round: nothing is staged yet
        paths = []
        for k in range(2):
            paths.append(os.path.join(tmp, "%s%d_%d.bin" % (suite, i, k)))
            with open(paths[-1], "wb") as f:
                f.write(os.urandom(PUSH_KIB * 1024))
        rounds.append(one_round(net, key_file, paths[0], paths[1]))
    # The round with the median flooded/quiet ratio stands for the suite.
    rounds.sort(key=lambda r: r["flooded"] / r["quiet"])
    m = rounds[len(rounds) // 2]
    spread = "ratio %s over %d rounds" % (
        "/".join("%.1f" % (r["flooded"] / r["quiet"]) for r in rounds), len(rounds))
    print("BENCH %s push_quiet_ms %.1f ms" % (suite, m["quiet"] * 1e3))
    print("BENCH %s push_flooded_ms %.1f ms %s" % (suite, m["flooded"] * 1e3, spread))
    print("BENCH %s flood_rate %.0f datagrams/s %d in %.0f ms"
          % (suite, m["sent"] / m["secs"] if m["secs"] else 0, m["sent"], m["secs"] * 1e3))
    print("BENCH %s flood_ms %.1f ms" % (suite, m["secs"] * 1e3))
    print("BENCH %s push_after_flood_ms %.1f ms the push's end after the flood's last datagram"
          % (suite, m["after"] * 1e3))
    print("BENCH %s kernel_auth_failures %d datagrams of %d sent reached the endpoint"
          % (suite, m["auth_failures"], m["sent"]))
    print("BENCH %s dropped_before_qemu %d datagrams %s" % (
        suite, m["drops"], "tap TX drops" if net.ns else "host UDP RcvbufErrors (whole host)"))
    print("BENCH %s kernel_unauth_replies %d replies" % (suite, m["unauth_replies"]))
    print("BENCH %s kernel_rate_limited %d datagrams" % (suite, m["rate_limited"]))
    if m["nic_rx_packets"] is not None:
        print("BENCH %s guest_rx_frames %d frames the guest's NIC received during the round"
              % (suite, m["nic_rx_packets"]))
        print("BENCH %s guest_rx_drops %d frames the guest's NIC core dropped during the round "
              "(no buffer, over a poll's budget, or refused by the stack)" % (suite, m["nic_rx_drops"]))
    print("RATIO %s flooded/quiet %.2f" % (suite, m["flooded"] / m["quiet"]))
    print("RATIO %s after_flood/quiet %.2f" % (suite, m["after"] / m["quiet"]))


def run_slirp(key_hex, key_file, tmp):
    port = harness.free_port()
    g = harness.Guest(cmdline="loglevel=warn key=%s" % key_hex, modules=MODULES, nic="e1000",
                      hostfwd=[("udp", port, 7700)], label="flood_bench").start()
    try:
        g.wait_for(r"theseus: ready:", 60)
        measure("flood", Net([], "127.0.0.1", port), key_file, tmp)
    finally:
        g.kill()


class NsGuest(harness.Guest):
    """A guest whose QEMU runs inside network namespace ns on its tap."""

    def __init__(self, ns, **kw):
        self.ns = ns
        super().__init__(**kw)

    def _args(self):
        return ["ip", "netns", "exec", self.ns] + super()._args()


def netns_create(ns):
    """The namespace with lo and the tap up; None, or why it cannot be."""
    if os.geteuid() != 0:
        return "not root"
    if not shutil.which("ip") or not os.path.exists("/dev/net/tun"):
        return "no ip(8) or /dev/net/tun"
    steps = [["ip", "netns", "add", ns],
             ["ip", "-n", ns, "link", "set", "lo", "up"],
             ["ip", "-n", ns, "tuntap", "add", "dev", TAP, "mode", "tap"],
             ["ip", "-n", ns, "addr", "add", NS_HOST + "/24", "dev", TAP],
             ["ip", "-n", ns, "link", "set", TAP, "up"]]
    for s in steps:
        p = subprocess.run(s, capture_output=True, text=True)
        if p.returncode != 0:
            return "%s: %s" % (" ".join(s[:4]), p.stderr.strip() or "failed")
    return None


def run_tap(key_hex, key_file, tmp):
    ns = "thflood%d" % os.getpid()
    why = netns_create(ns)
    try:
        if why:
            print("BENCH flood_tap skipped 1 - netns/tap unavailable: %s" % why.replace("\n", " "))
            return
        g = NsGuest(ns, cmdline="loglevel=warn key=%s ip=%s/24 gw=%s" % (key_hex, NS_GUEST, NS_HOST),
                    modules=MODULES, nic_modules=harness.NET_MODULES, label="flood_bench tap",
                    extra_args=["-netdev", "tap,id=n0,ifname=%s,script=no,downscript=no" % TAP,
                                "-device", "e1000,netdev=n0"]).start()
        try:
            g.wait_for(r"theseus: ready:", 60)
            measure("flood_tap", Net(["ip", "netns", "exec", ns], NS_GUEST, 7700, ns), key_file,
                    tmp)
        finally:
            g.kill()
    finally:
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def main():
    for f in (harness.KERNEL, eu.CTL):
        if not os.path.exists(f):
            print("BENCH flood error 1 missing_%s" % os.path.basename(f))
            return 1
    tmp = tempfile.mkdtemp(prefix="flood-bench-")
    key_file = os.path.join(tmp, "key")
    key_hex = eu.keygen(key_file)
    # theseusctl as users run it, with a session cache (its own, not the
    # user's): each push after the first ping starts in the right epoch.
    # FLOOD_SESSION_CACHE=off measures every push learning the epoch.
    cache = os.environ.get("FLOOD_SESSION_CACHE", "") or os.path.join(tmp, "sessions")
    os.environ["THESEUS_SESSION_CACHE"] = cache
    print("# session cache: %s" % ("off" if cache == "off" else "on"))
    rc = 0
    only = os.environ.get("FLOOD_ONLY")   # "flood" or "flood_tap": one configuration
    for name, fn in (("flood", run_slirp), ("flood_tap", run_tap)):
        if only and only != name:
            continue
        try:
            fn(key_hex, key_file, tmp)
        except Exception as e:  # noqa: BLE001 - a benchmark reports, never fails the run
            print("BENCH %s error 1 %s" % (name, str(e).replace(" ", "_")[:80]))
            rc = 1
    shutil.rmtree(tmp, ignore_errors=True)
    return rc


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--flood":
        sys.exit(flood_main(sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))
    sys.exit(main())
