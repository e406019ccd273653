"""drv_util.py - helpers shared by the driver-swap QEMU test and benchmark
(test_drivers.py, tests/bench/drvswap_bench.py): a guest with one NIC, the
echo service and the swap endpoint forwarded, and EchoStream, a background
stream of numbered echoes that counts what came back and the longest gap
without an answer (the outage a driver swap causes)."""
import os
import socket
import struct
import threading
import time

import harness

KEY_HEX = "6b" * 32


def drv_guest(nic, cmdline="", label=None, modules=()):
    """A harness.Guest with one NIC (and the driver modules, and `modules`),
    forwards for echo (guest.echo_port) and the endpoint (guest.ep_port)."""
    echo_port, ep_port = harness.free_port(), harness.free_port()
    g = harness.Guest(cmdline="key=%s exit=never %s" % (KEY_HEX, cmdline), nic=nic,
                      hostfwd=[("udp", echo_port, 7), ("udp", ep_port, 7700)], modules=modules,
                      label=label or "drv(%s, '%s')" % (nic, cmdline),
                      kernel=os.environ.get("NET_TEST_KERNEL", harness.KERNEL))
    g.echo_port, g.ep_port = echo_port, ep_port
    return g


def key_file(tmp):
    path = os.path.join(tmp, "key")
    with open(path, "w") as f:
        f.write(KEY_HEX + "\n")
    return path


class EchoStream:
    """Sends a numbered datagram to the echo port every `interval` seconds
    from a thread and records which came back (and when)."""

    def __init__(self, port, interval=0.002):
        self.addr = ("127.0.0.1", port)
        self.interval = interval
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.settimeout(0.05)
        self.sent = {}          # seq -> send time
        self.answered = {}      # seq -> receive time
        self.stop_flag = threading.Event()
        self.threads = [threading.Thread(target=self._send, daemon=True),
                        threading.Thread(target=self._recv, daemon=True)]

    def start(self):
        for t in self.threads:
            t.start()
        return self

    def _send(self):
        seq = 0
        while not self.stop_flag.is_set():
            seq += 1
            self.sent[seq] = time.perf_counter()
            try:
                self.sock.sendto(b"drv" + struct.pack("<I", seq) + b"x" * 56, self.addr)
            except OSError:
                pass
            time.sleep(self.interval)

    def _recv(self):
        while not self.stop_flag.is_set() or time.perf_counter() < self.drain_until:
            try:
                data = self.sock.recv(2048)
            except OSError:
                continue
            if len(data) >= 7 and data[:3] == b"drv":
                self.answered.setdefault(struct.unpack("<I", data[3:7])[0], time.perf_counter())

    drain_until = float("inf")

    def stop(self, drain=1.0):
        """Stop sending; wait `drain` s for late echoes; returns (sent, lost)."""
        self.drain_until = time.perf_counter() + drain
        self.stop_flag.set()
        for t in self.threads:
            t.join()
        self.sock.close()
        return len(self.sent), len(self.sent) - len(self.answered)

    def longest_outage(self):
        """Longest time between two consecutive answered sends with only
        unanswered sends in between (seconds): how long echo was out."""
        seqs = sorted(self.sent)
        worst, last_ok = 0.0, None
        for s in seqs:
            if s in self.answered:
                if last_ok is not None:
                    worst = max(worst, self.sent[s] - self.sent[last_ok] - self.interval)
                last_ok = s
        return max(worst, 0.0)
