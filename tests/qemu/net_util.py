"""net_util.py - helpers shared by the network QEMU test and benchmark.

net_guest() makes a harness.Guest with one NIC on QEMU user networking and a
UDP host forward 127.0.0.1:<free port> -> guest port 7 (the echo service).
EchoClient sends datagrams to the forwarded port and checks the echoes.
"""
import os
import socket
import time

import harness

ADDR_RE = r"net: address (\d+\.\d+\.\d+\.\d+) netmask \S+ gateway \S+ \((dhcp|static)\)"
FATAL_RE = r"\*\*\* FAULT|lwip: assertion|heap: .*(overflow|double free)"


def net_guest(nic, cmdline="", extra_args=(), guest_port=7):
    """A harness.Guest with one NIC and a UDP forward 127.0.0.1:<free port> ->
    guest_port; the host port is in guest.host_port.  NET_TEST_KERNEL selects
    another kernel image (e.g. a private build)."""
    port = harness.free_port()
    g = harness.Guest(cmdline=cmdline, nic=nic, hostfwd=[("udp", port, guest_port)],
                      extra_args=extra_args, label="net(%s, '%s')" % (nic, cmdline),
                      kernel=os.environ.get("NET_TEST_KERNEL", harness.KERNEL))
    g.host_port = port
    return g


class EchoClient:
    """UDP echo client against 127.0.0.1:port with per-try timeout and retries."""

    def __init__(self, port, timeout=0.5):
        self.addr = ("127.0.0.1", port)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.sock.settimeout(timeout)
        self.timeout = timeout

    def close(self):
        self.sock.close()

    def drain(self):
        """Discard pending replies; returns how many there were."""
        n = 0
        self.sock.settimeout(0.05)
        try:
            while True:
                self.sock.recv(65536)
                n += 1
        except OSError:
            pass
        self.sock.settimeout(self.timeout)
        return n

    def drain_nowait(self):
        """Discard replies already queued, without waiting; returns the count."""
        n = 0
        self.sock.setblocking(False)
        try:
            while True:
                self.sock.recv(65536)
                n += 1
        except OSError:
            pass
        self.sock.settimeout(self.timeout)
        return n

    def echo(self, payload, retries=5):
        """(attempts, rtt_seconds) once the exact payload comes back; (attempts, None) if never."""
        for attempt in range(1, retries + 1):
            t0 = time.perf_counter()
            self.sock.sendto(payload, self.addr)
            deadline = t0 + self.timeout
            while True:
                left = deadline - time.perf_counter()
                if left <= 0:
                    break
                self.sock.settimeout(left)
                try:
                    data = self.sock.recv(65536)
                except socket.timeout:
                    break
                if data == payload:
                    return attempt, time.perf_counter() - t0
                # a late echo of an earlier try or another payload: keep waiting
        return retries, None

    def wait_ready(self, timeout=20.0):
        """Echo a probe until it answers (slirp/ARP warm-up); True if it did."""
        deadline = time.time() + timeout
        n = 0
        while time.time() < deadline:
            n += 1
            _, rtt = self.echo(b"probe-%d" % n, retries=1)
            if rtt is not None:
                self.drain()
                return True
        return False
