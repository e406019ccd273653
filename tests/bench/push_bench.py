#!/usr/bin/env python3
"""push_bench.py - `make bench`: the swap endpoint's push throughput beside
raw UDP throughput to the same guest, and a live swap beside a reboot, all
measured in one run for e1000 and virtio-net (QEMU user networking, TCG
unless ACCEL=kvm, loopback host forwards to UDP 7700 and the echo port 7).

  push      `theseusctl push` of PUSH_KIB (500) KiB random objects (push
            does not load them); KiB of object per second, median of 2;
            and of PUSH_BIG_KIB (4096) KiB objects ("_big": the transfer
            without the session set-up that is part of a short push);
            with the default request MAC (the ChaCha20-Poly1305 tag, kind
            1) and, interleaved, with --mac hmac (HMAC-SHA256 per chunk);
            push and raw_udp on guests of 1 and 2 CPUs (CPU_COUNTS; the
            PUSH_DEFAULT_CPUS one is <driver>, the other <driver>_Ncpu;
            with 2 the object hash runs on the second CPU)
  raw_udp   1024-byte datagrams to the echo service, WINDOW (32) in flight;
            KiB echoed back per second, measured before, between and after
            the two rounds of pushes (RAW_SECONDS / 2 each; the figure is
            the median of the three).  The host's speed drifts within a
            run, so each RATIO push*/raw is the median over the rounds of
            the round's push beside the mean of the raw samples around it
  swap      21 swaps of hello back and forth (objects pushed beforehand):
            the first (cold: TCG translates the swap paths the first time)
            and the median of the other 20 of the request round trip, the
            kernel's stages from the replies, beside the median echo round
            trip ("RATIO swap_rtt/(echo+stages)")
  reboot    QEMU start of a fresh guest with hello 2.0 as boot module until
            its ready line (and the kernel's own "boot N ms" from it), and
            until its endpoint answers a ping; medians of REBOOTS (7) boots

Prints "BENCH <suite> <metric> <value> <unit>" lines and
"RATIO push/raw <driver> <x>", "RATIO push_hmac/raw <driver> <x>",
"RATIO push_big/raw <driver> <x>",
"RATIO swap/reboot <driver> <x>".
"""
import hashlib
import os
import socket
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "qemu"))
import endpoint_util as eu  # noqa: E402
import harness  # noqa: E402

PUSH_KIB = int(os.environ.get("PUSH_BENCH_KIB", "500"))
PUSH_BIG_KIB = int(os.environ.get("PUSH_BENCH_BIG_KIB", "4096"))
RAW_SECONDS = float(os.environ.get("PUSH_BENCH_RAW_SECONDS", "3"))
WINDOW = 32
MODULES = ["checksum", "kv", "logfmt"]
SWAPS = 21
REBOOTS = 7
# Push and raw UDP are measured on a guest of each CPU count in CPU_COUNTS
# in the same run; the PUSH_DEFAULT_CPUS one gives the plain figures
# ("RATIO push/raw e1000"), the others a suffix ("RATIO push/raw
# e1000_2cpu").  With 2 CPUs the kernel hashes pushed objects on the second
# (README, performance, says which is the default and why).  Swaps and
# reboots are measured on one CPU (a swap's stop-machine pause grows with
# the CPUs under TCG).
CPU_COUNTS = (1, 2)
PUSH_DEFAULT_CPUS = 1
STAGES = ["load", "verify", "relink", "transfer", "cleanup"]


def boot(nic, key_hex, hello="hello", cpus=1):
    """A guest with forwards to 7700 and 7; returns (guest, ep_port, echo_port, t_start)."""
    ep_port, echo_port = harness.free_port(), harness.free_port()
    g = harness.Guest(cmdline="loglevel=warn nic=%s key=%s" % (nic, key_hex),
                      modules=MODULES + [hello], nic=nic,
                      hostfwd=[("udp", ep_port, 7700), ("udp", echo_port, 7)],
                      label="push_bench(%s, %d CPU)" % (nic, cpus),
                      extra_args=["-smp", str(cpus)] if cpus > 1 else [])
    t0 = time.perf_counter()
    g.start()
    return g, ep_port, echo_port, t0


def ping_until_answered(port, key, timeout=30.0):
    """Seconds until a ping is answered (raw client, short per-try timeout)."""
    c = eu.RawClient(port, key=key, timeout=0.05)
    t0 = time.perf_counter()
    try:
        while time.perf_counter() - t0 < timeout:
            cnt = c.next_counter()
            r = c.raw(eu.envelope(eu.req_ping(), key=key, client_id=c.client_id, counter=cnt,
                                  epoch=c.epoch),
                      retries=1, want_counter=cnt, bind=(key, c.client_id, cnt, c.epoch))
            if r is not None and r.status == eu.ESTALE and r.sealed:
                c.epoch = r.epoch   # the first answer teaches the epoch
                continue
            if r is not None and r.status == 0:
                return time.perf_counter() - t0
        return None
    finally:
        c.close()


def raw_udp_kib_s(port, seconds=None):
    """Echoed KiB/s of 1024-byte datagrams with WINDOW outstanding, for
    seconds (default RAW_SECONDS)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    addr = ("127.0.0.1", port)
    payload = b"r" * 1024
    # warm up (ARP/slirp)
    sock.settimeout(0.2)
    for _ in range(50):
        sock.sendto(payload, addr)
        try:
            sock.recv(2048)
            break
        except OSError:
            pass
    outstanding = received = 0
    t0 = time.perf_counter()
    end = t0 + (RAW_SECONDS if seconds is None else seconds)
    while time.perf_counter() < end:
        while outstanding < WINDOW:
            sock.sendto(payload, addr)
            outstanding += 1
        try:
            if len(sock.recv(2048)) == 1024:
                received += 1
            outstanding -= 1
        except OSError:
            outstanding = 0
    dt = time.perf_counter() - t0
    sock.close()
    return received / dt


def push_and_raw_rounds(port, echo_port, key_file, tmp):
    """(raw, push, ratio): raw UDP KiB/s sampled before, between and after
    two rounds of pushes ([3 samples]); push {kind: [KiB/s per round]}:
    "auto" (the default MAC) and "hmac" (--mac hmac) for PUSH_KIB objects,
    "big" (the default MAC) for PUSH_BIG_KIB objects, one push of each per
    round, interleaved (so all see the same machine); ratio {kind: median
    over the rounds of push / mean(raw sample before, raw sample after)}.
    A short push is partly its session set-up (a process, slow start); the
    big one is nearly all transfer, as a raw sample is.  theseusctl keeps a
    session cache of its own here (tmp/sessions; a user's is on by
    default), so only the first push learns the guest's epoch: the first
    push of each guest is a warm-up, not counted."""
    kinds = {"auto": ("auto", PUSH_KIB), "hmac": ("hmac", PUSH_KIB),
             "big": ("auto", PUSH_BIG_KIB)}
    rates = {k: [] for k in kinds}
    cache = os.path.join(tmp, "sessions")
    warm = os.path.join(tmp, "warm.bin")
    with open(warm, "wb") as f:
        f.write(os.urandom(4096))
    p = eu.ctl(port, "-q", "push", warm, key_file=key_file, timeout_ms=300, retries=10,
               cache=cache)
    if p.returncode != 0:
        raise RuntimeError("warm-up push failed: %s" % p.stderr)
    raws = [raw_udp_kib_s(echo_port, RAW_SECONDS / 2)]
    for i in range(2):
        for kind, (mac, kib) in kinds.items():
            path = os.path.join(tmp, "obj%d-%s.bin" % (i, kind))
            with open(path, "wb") as f:
                f.write(os.urandom(kib * 1024))
            t0 = time.perf_counter()
            p = eu.ctl(port, "-q", "--mac", mac, "push", path, key_file=key_file,
                       timeout_ms=300, retries=10, cache=cache)
            dt = time.perf_counter() - t0
            os.unlink(path)
            if p.returncode != 0:
                raise RuntimeError("push (--mac %s) failed: %s" % (mac, p.stderr))
            rates[kind].append(kib / dt)
        raws.append(raw_udp_kib_s(echo_port, RAW_SECONDS / 2))
    ratio = {k: statistics.median(v[i] / ((raws[i] + raws[i + 1]) / 2) if raws[i] + raws[i + 1] else 0
                                  for i in range(len(v)))
             for k, v in rates.items()}
    return raws, rates, ratio


def echo_rtt(port, n=21):
    """Median round trip of a 64-byte datagram to the echo service (s)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(1.0)
    rtts = []
    for i in range(n):
        payload = b"e%03d" % i + b"." * 60
        t0 = time.perf_counter()
        sock.sendto(payload, ("127.0.0.1", port))
        try:
            while sock.recv(2048) != payload:
                pass
        except OSError:
            continue
        rtts.append(time.perf_counter() - t0)
    sock.close()
    return statistics.median(rtts) if rtts else float("nan")


def swap_times(port, key, key_file):
    """SWAPS swaps of hello back and forth (1.0 -> 2.0 -> 1.0 ...), both
    objects pushed first: [(request round trip s, {stage: s})], the first
    one cold (TCG translates the swap paths and the new code the first
    time), the rest warm."""
    shas = {}
    for name, ver in (("hello", "1.0"), ("hello_v2", "2.0")):
        path = harness.module_path(name)
        shas[ver] = hashlib.sha256(open(path, "rb").read()).digest()
        eu.ctl(port, "-q", "push", path, key_file=key_file, check_rc=0)
    c = eu.RawClient(port, key=key)
    try:
        c.learn_epoch()
        out = eu.swap_back_and_forth(c, "hello", ("1.0", "2.0"), shas, "1.0", SWAPS)
    finally:
        c.close()
    return out


def summarize(raws, rates, ratio):
    """(raw KiB/s, {kind: push KiB/s}, {kind: ratio}): the medians."""
    return (statistics.median(raws), {k: statistics.median(v) for k, v in rates.items()}, ratio)


def push_and_raw(nic, tmp, key_hex, key_file, cpus):
    """Raw UDP and push throughput to one guest with cpus CPUs: summarize()'s."""
    key = bytes.fromhex(key_hex)
    g, ep_port, echo_port, _ = boot(nic, key_hex, cpus=cpus)
    try:
        g.wait_for(r"theseus: ready:", 60)
        if ping_until_answered(ep_port, key) is None:
            raise RuntimeError("endpoint never answered")
        return summarize(*push_and_raw_rounds(ep_port, echo_port, key_file, tmp))
    finally:
        g.kill()


def bench_driver(nic, tmp, key_hex, key_file):
    key = bytes.fromhex(key_hex)
    out = {}
    g, ep_port, echo_port, _ = boot(nic, key_hex)
    try:
        g.wait_for(r"theseus: ready:", 60)
        if ping_until_answered(ep_port, key) is None:
            raise RuntimeError("endpoint never answered")
        one_cpu = summarize(*push_and_raw_rounds(ep_port, echo_port, key_file, tmp))
        out["echo_rtt"] = echo_rtt(echo_port)
        out["swaps"] = swap_times(ep_port, key, key_file)
    finally:
        g.kill()
    # Push and raw UDP to guests of the other CPU counts, in the same run.
    out["by_cpus"] = {1: one_cpu}
    for cpus in CPU_COUNTS:
        if cpus != 1:
            out["by_cpus"][cpus] = push_and_raw(nic, tmp, key_hex, key_file, cpus)
    # Reboot to ready with the new module (same run, same machine state),
    # REBOOTS times: the medians (one boot can meet a busy host).
    ready, kboot, serving = [], [], []
    for _ in range(REBOOTS):
        g, ep_port, _, t0 = boot(nic, key_hex, hello="hello_v2")
        try:
            m = g.wait_for(r"theseus: ready:.* boot (\d+) ms", 60)
            ready.append(time.perf_counter() - t0)
            kboot.append(int(m.group(1)))
            if ping_until_answered(ep_port, key) is not None:
                serving.append(time.perf_counter() - t0)
        finally:
            g.kill()
    out["reboot_ready"] = statistics.median(ready)
    out["kernel_boot_ms"] = statistics.median(kboot)
    out["reboot_serving"] = statistics.median(serving) if serving else None
    return out


def main():
    for f in (harness.KERNEL, eu.CTL, harness.module_path("hello_v2")):
        if not os.path.exists(f):
            print("BENCH push error 1 missing_%s" % os.path.basename(f))
            return 1
    nics = [a for a in sys.argv[1:] if a in ("e1000", "virtio")] or ["e1000", "virtio"]
    tmp = tempfile.mkdtemp(prefix="push-bench-")
    key_file = os.path.join(tmp, "key")
    key_hex = eu.keygen(key_file)
    rc = 0
    for nic in nics:
        try:
            r = bench_driver(nic, tmp, key_hex, key_file)
        except Exception as e:  # noqa: BLE001 - a benchmark reports, never fails the run
            print("BENCH push %s_error 1 %s" % (nic, str(e).replace(" ", "_")[:80]))
            rc = 1
            continue
        for cpus in CPU_COUNTS:
            raw, push, ratio = r["by_cpus"][cpus]
            label = nic if cpus == PUSH_DEFAULT_CPUS else "%s_%dcpu" % (nic, cpus)
            print("BENCH push %s_throughput %.1f KiB/s" % (label, push["auto"]))
            print("BENCH push %s_throughput_hmac %.1f KiB/s (--mac hmac)" % (label, push["hmac"]))
            print("BENCH raw_udp %s_throughput %.1f KiB/s" % (label, raw))
            print("RATIO push/raw %s %.3f" % (label, ratio["auto"]))
            print("RATIO push_hmac/raw %s %.3f" % (label, ratio["hmac"]))
            print("BENCH push %s_throughput_big %.1f KiB/s (%d KiB objects)"
                  % (label, push["big"], PUSH_BIG_KIB))
            print("RATIO push_big/raw %s %.3f" % (label, ratio["big"]))
        cold_rtt, cold_st = r["swaps"][0]
        warm = r["swaps"][1:]
        rtt = statistics.median(x[0] for x in warm)
        total = statistics.median(sum(x[1].values()) for x in warm)
        print("BENCH swap %s_cold_request_rtt %.3f ms (the first swap after boot)" % (nic, cold_rtt * 1e3))
        print("BENCH swap %s_cold_stage_total %.3f ms" % (nic, sum(cold_st.values()) * 1e3))
        print("BENCH swap %s_request_rtt %.3f ms (median of %d warm swaps)" % (nic, rtt * 1e3, len(warm)))
        print("BENCH swap %s_stage_total %.3f ms (median, kernel-side, hello)" % (nic, total * 1e3))
        for stg in STAGES:
            print("BENCH swap %s_stage_%s %.3f ms" % (nic, stg, statistics.median(x[1].get(stg, 0) for x in warm) * 1e3))
        print("BENCH swap %s_echo_rtt %.3f ms" % (nic, r["echo_rtt"] * 1e3))
        print("RATIO swap_rtt/(echo+stages) %s %.2f" % (nic, rtt / (r["echo_rtt"] + total)))
        print("BENCH reboot %s_to_ready %.1f ms (QEMU start to the ready line)"
              % (nic, r["reboot_ready"] * 1e3))
        print("BENCH reboot %s_kernel_boot %.0f ms (kernel entry to ready, its own clock)"
              % (nic, r["kernel_boot_ms"]))
        if r["reboot_serving"] is not None:
            print("BENCH reboot %s_to_serving %.1f ms" % (nic, r["reboot_serving"] * 1e3))
        print("RATIO swap/reboot %s %.4f" % (nic, rtt / r["reboot_ready"]))
        sys.stdout.flush()
    return rc


if __name__ == "__main__":
    sys.exit(main())
