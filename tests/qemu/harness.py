"""harness.py - boot the kernel in QEMU for tests: headless, TCG by default
(ACCEL=kvm selects KVM), -no-reboot, isa-debug-exit, serial log in a file,
a timeout on every wait, and the log printed by tests/run when a test fails.

    g = Guest(cmdline="exit=ready", modules=["hello"])      # QEMU -kernel (multiboot1)
    g = Guest(boot="iso", cmdline="...", modules=[...])     # GRUB ISO (multiboot2)
    g = Guest(nic="e1000", hostfwd=[("udp", port, 7)])      # user networking (+ NET_MODULES)
    g.start(); g.wait_for(r"ready"); code = g.wait_exit(30)

Exit statuses of the kernel under isa-debug-exit: EXIT_SUCCESS (33),
EXIT_FAILURE (35), EXIT_FAULT (37).  0 means QEMU stopped otherwise (a triple
fault with -no-reboot): treat it as a crash.
"""
import os
import re
import socket
import subprocess
import tempfile
import threading
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(TOP, "build")
KERNEL = os.path.join(BUILD, "theseus.elf")
# The test image: the same kernel plus the self-tests (selftest=NAME) and the
# greeting shown around swap= (tests/kernel/).
TEST_KERNEL = os.path.join(BUILD, "theseus-test.elf")
EXIT_SUCCESS, EXIT_FAILURE, EXIT_FAULT = 33, 35, 37
ACCEL = os.environ.get("ACCEL", "tcg")
# TCG is slower on a loaded machine: every timeout is scaled by this.
TIME_SCALE = float(os.environ.get("TEST_TIME_SCALE", "1"))

_local = threading.local()


# The NIC driver modules and the network's service modules (modules/modules.mk
# NIC_MODULES, NET_MODULES): a guest with a NIC gets them as boot modules
# (after the test's own) unless nic_modules says otherwise; the kernel binds
# the driver for the device present; echo answers on UDP port 7.
NIC_MODULES = ["e1000", "virtio_net", "rtl8139", "vmxnet3"]
NET_MODULES = NIC_MODULES + ["echo"]


def module_path(name):
    return os.path.join(BUILD, "modules", name + ".o")


def free_port(kind=socket.SOCK_DGRAM):
    """A free port on 127.0.0.1 (UDP by default) for a host forward."""
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def reset_guests():
    _local.guests = []


def guests_of_this_thread():
    return list(getattr(_local, "guests", []))


def kill_guests():
    for g in guests_of_this_thread():
        g.kill()


class GuestError(AssertionError):
    pass


class Guest:
    def __init__(self, cmdline="", modules=(), boot="kernel", nic=None, hostfwd=(),
                 memory="256M", label=None, netboot_dir=None, extra_args=(), kernel=KERNEL,
                 module_files=(), monitor=False, nic_modules=None):
        self.cmdline = cmdline
        if nic_modules is None:
            nic_modules = NET_MODULES if nic and boot != "net" else []
        self.modules = [module_path(m) for m in modules] + list(module_files)
        self.modules += [module_path(m) for m in nic_modules if m not in modules]
        self.boot = boot
        self.nic = nic
        self.hostfwd = list(hostfwd)
        self.memory = memory
        self.netboot_dir = netboot_dir
        self.extra_args = list(extra_args)
        self.kernel = kernel
        self.label = label or f"guest({boot}, '{cmdline}')"
        self.tmp = tempfile.mkdtemp(prefix="theseus-test-")
        # monitor=True: QEMU's human monitor on a socket, for hmp() and screendump().
        self.monitor = os.path.join(self.tmp, "monitor.sock") if monitor else None
        self.log_path = os.path.join(self.tmp, "serial.log")
        # QEMU's own output (stdout and stderr) goes to a file, never to a
        # pipe: slirp writes a line to stderr for every packet the NIC model
        # refuses (QEMU's vmxnet3 refuses them while its receive ring is
        # full), and with a pipe nobody reads during the run QEMU blocks in
        # write() holding its big lock once 64 KiB are queued: the guest and
        # the monitor freeze (what looked like vmxnet3 hanging under a flood).
        self.qemu_out_path = os.path.join(self.tmp, "qemu.out")
        self.proc = None
        self.exit_code = None
        if not hasattr(_local, "guests"):
            _local.guests = []
        _local.guests.append(self)

    # --- starting -----------------------------------------------------------
    def _args(self):
        mon = f"unix:{self.monitor},server=on,wait=off" if self.monitor else "none"
        args = ["qemu-system-x86_64", "-m", self.memory, "-display", "none", "-no-reboot",
                "-serial", f"file:{self.log_path}", "-monitor", mon,
                "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
        args += ["-accel", "kvm", "-cpu", "host,-arch-capabilities"] if ACCEL == "kvm" else ["-accel", "tcg"]
        if self.nic:
            fwd = "".join(f",hostfwd={p}:127.0.0.1:{h}-:{g}" for p, h, g in self.hostfwd)
            netdev = f"user,id=n0{fwd}"
            if self.boot == "net":
                netdev += f",tftp={self.netboot_dir},bootfile=boot.ipxe"
            dev = {"e1000": "e1000", "virtio": "virtio-net-pci"}.get(self.nic, self.nic)
            args += ["-netdev", netdev, "-device", f"{dev},netdev=n0"]
        else:
            args += ["-nic", "none"]
        if self.boot == "kernel":
            args += ["-kernel", self.kernel, "-append", self.cmdline]
            if self.modules:
                args += ["-initrd", ",".join(self.modules)]
        elif self.boot == "iso":
            iso = os.path.join(self.tmp, "theseus.iso")
            subprocess.run([os.path.join(TOP, "tools", "mkiso"), iso, self.kernel, self.cmdline]
                           + self.modules, check=True)
            args += ["-boot", "d", "-cdrom", iso]
        elif self.boot == "net":
            args += ["-boot", "n"]
        else:
            raise ValueError(self.boot)
        return args + self.extra_args

    def start(self):
        open(self.log_path, "w").close()
        with open(self.qemu_out_path, "wb") as out:
            self.proc = subprocess.Popen(self._args(), stdout=out, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL)
        return self

    # --- observing ----------------------------------------------------------
    @property
    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                text = f.read().decode("utf-8", "replace").replace("\r\n", "\n")
        except FileNotFoundError:
            text = ""
        extra = ""
        if self.proc and self.proc.poll() is not None:
            try:
                with open(self.qemu_out_path, "rb") as f:
                    extra = f.read(1 << 16).decode("utf-8", "replace")
            except FileNotFoundError:
                pass
        return text + (f"\n[qemu said: {extra.strip()}]" if extra.strip() else "")

    def wait_for(self, pattern, timeout=30, start=0):
        """Wait until the serial log (from offset `start`) matches pattern."""
        rx = re.compile(pattern, re.M)
        deadline = time.time() + timeout * TIME_SCALE
        while True:
            m = rx.search(self.log, start)
            if m:
                return m
            if self.proc.poll() is not None:
                self.exit_code = self.proc.returncode
                m = rx.search(self.log, start)
                if m:
                    return m
                raise GuestError(f"{self.label}: QEMU exited ({self.exit_code}) before /{pattern}/")
            if time.time() > deadline:
                raise GuestError(f"{self.label}: no /{pattern}/ within {timeout} s")
            time.sleep(0.05)

    def wait_exit(self, timeout=30):
        try:
            self.exit_code = self.proc.wait(timeout * TIME_SCALE)
        except subprocess.TimeoutExpired:
            raise GuestError(f"{self.label}: still running after {timeout} s")
        return self.exit_code

    def hmp(self, command, timeout=20):
        """Run one command on QEMU's human monitor (Guest(monitor=True));
        returns what it printed."""
        if not self.monitor:
            raise GuestError(f"{self.label}: started without monitor=True")
        deadline = time.time() + timeout * TIME_SCALE
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(timeout * TIME_SCALE)
            while True:   # QEMU creates the socket before it accepts on it
                try:
                    s.connect(self.monitor)
                    break
                except (FileNotFoundError, ConnectionRefusedError):
                    if time.time() > deadline or (self.proc and self.proc.poll() is not None):
                        raise GuestError(f"{self.label}: QEMU's monitor did not answer")
                    time.sleep(0.05)
            out = b""
            while not out.endswith(b"(qemu) "):       # the banner and first prompt
                out += s.recv(65536)
            s.sendall(command.encode() + b"\n")
            out = b""
            while not out.endswith(b"(qemu) "):
                chunk = s.recv(1 << 20)
                if not chunk:
                    break
                out += chunk
        text = out.decode("utf-8", "replace").replace("\r", "")
        text = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text)   # the monitor's line editing
        return text[:-len("(qemu) ")] if text.endswith("(qemu) ") else text

    def screendump(self):
        """The screen as (width, height, rows of (r, g, b) bytes), via a PPM."""
        path = os.path.join(self.tmp, "screen.ppm")
        if os.path.exists(path):
            os.unlink(path)
        self.hmp(f"screendump {path}")
        with open(path, "rb") as f:
            data = f.read()
        m = re.match(rb"P6\s+(\d+)\s+(\d+)\s+255\s", data)
        if not m:
            raise GuestError(f"{self.label}: screendump is not a PPM")
        w, h, off = int(m.group(1)), int(m.group(2)), m.end()
        return w, h, [data[off + y * w * 3: off + (y + 1) * w * 3] for y in range(h)]

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def boot_ready(timeout=60, **kw):
    """Start a guest and wait for its ready line; returns (guest, ready match)."""
    g = Guest(**kw).start()
    # The whole line: the log is read while the guest writes, so "$" alone
    # could match a line cut in the middle.
    m = g.wait_for(r"theseus: ready:[^\r\n]*(?=\r?\n)", timeout)
    return g, m


def expect(cond, msg):
    if not cond:
        raise GuestError(msg)
