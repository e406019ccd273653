#!/usr/bin/env python3
"""test_netboot.py - lab network boot (issue 10), run by tests/run or directly.

The netboot directories are made before any test runs, not by the tests:
`make test` first builds build/tests/netboot/ (tools/netboot.mk), which runs
`python3 tests/qemu/test_netboot.py --prepare DIR`: one `make netboot` (or
`make netboot-grub`) per variant in VARIANTS, parameters from a config file
(NETBOOT_CONF) and a key file (NETBOOT_KEY_FILE), plus the bad parameters of
REJECTS (their exit status and messages are kept in rejects.json).  So no
test runs make in the shared tree while other tests run.  Each test copies
its variant into a scratch TFTP root, then QEMU boots it with `-boot n`: the
NIC's iPXE option ROM gets DHCP from QEMU's user network, fetches boot.ipxe
from its TFTP server and runs it.  Under TCG iPXE spends ~2 s on its banner
and ~3 s on DHCP, hence the generous timeouts.

  e1000 / virtio   iPXE loads the kernel (multiboot1) and the script's modules;
                   the kernel strips the image URI iPXE puts first on the command
                   line, loads N of N modules, leases 10.0.2.15 and exits 33.
                   The virtio directory is served from a sub-directory of the
                   TFTP root, so the script's relative paths are exercised.
  http             a TFTP stub script chains boot.ipxe over HTTP (a server in
                   the test); kernel and modules come over HTTP as well.
  grub             iPXE chains GRUB's core.0, which boots multiboot2.
  ctl              theseusctl pushes hello 2.0 to the netbooted kernel and
                   swaps it in live, on e1000 and virtio-net.
  rejects          bad parameters fail `make netboot` with a message, and no
                   directory is written.
"""
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import BUILD, EXIT_SUCCESS, TOP, Guest, expect  # noqa: E402

BOOT_TIMEOUT = 60    # iPXE banner + DHCP + TFTP under TCG, on a loaded machine
TEST_KEY = "0123456789abcdef" * 4


PREPARED = os.path.join(BUILD, "tests", "netboot")

# name: (make target, config lines, key or None, output variable).  --prepare
# makes each into PREPARED/name.
VARIANTS = {
    # Default modules ($(BOOT_MODULES)), key from a key file.
    "e1000": ("netboot", ["NETBOOT_CMDLINE = exit=ready loglevel=info hz=250"], TEST_KEY, "NETBOOT_DIR"),
    "virtio": ("netboot", ["NETBOOT_CMDLINE = exit=ready port=7701", "NETBOOT_MODULES = checksum hello virtio_net"],
               None, "NETBOOT_DIR"),
    "http": ("netboot", ["NETBOOT_CMDLINE = exit=ready",
                      "NETBOOT_MODULES = checksum hello e1000 virtio_net"],
             None, "NETBOOT_DIR"),
    "grub": ("netboot-grub", ["NETBOOT_CMDLINE = exit=ready loglevel=info", "NETBOOT_MODULES = checksum kv e1000"],
             None, "NETBOOT_GRUB_DIR"),
    "ctl": ("netboot", ["NETBOOT_CMDLINE = loglevel=info", "NETBOOT_MODULES = checksum kv logfmt hello "
            "e1000 virtio_net"],
            TEST_KEY, "NETBOOT_DIR"),
}
# Mistakes that must fail `make netboot`: (config lines, key, what the error says).
REJECTS = [(["NETBOOT_CMDLINE = key=abc"], None, "key= must be 64 hex digits"),
           (["NETBOOT_CMDLINE = port=70000"], None, "port= must be 1..65535"),
           (["NETBOOT_CMDLINE = x"], "12345", "must hold 64 hex digits"),
           (["NETBOOT_MODULES = no_such_module"], None, "no_such_module"),
           (["NETBOOT_CMDLINE = loglevel=info stagging=8M"], None, "unknown kernel option 'stagging'"),
           (["NETBOOT_MODULES = checksum logfmt kv hello sched_rr e1000 virtio_net echo sched_prio"],
            None, "iPXE passes at most 8 to a multiboot kernel (use make netboot-grub, or fewer)")]


def _make(scratch, target, conf_lines, key=None, **variables):
    """Run `make TARGET` with a config file and key file in `scratch`; returns
    (args, CompletedProcess).  Only --prepare calls it (from make, before the
    tests): the kernel and modules are prerequisites there, and -o keeps this
    make from rebuilding them anyway."""
    conf = os.path.join(scratch, "netboot.conf")
    with open(conf, "w") as f:
        f.write("# written by test_netboot.py --prepare\n" + "".join(l + "\n" for l in conf_lines))
    olds = [os.path.join("build", "theseus.elf")] + [
        os.path.join("build", "modules", f) for f in os.listdir(os.path.join(BUILD, "modules"))
        if f.endswith(".o")]
    args = ["make", "-s", "--no-print-directory"] + ["-o" + o for o in olds] + [
        target, "NETBOOT_CONF=" + conf]
    if key:
        kf = os.path.join(scratch, "key")
        with open(kf, "w") as f:
            f.write(key + "\n")
        args.append("NETBOOT_KEY_FILE=" + kf)
    args += ["%s=%s" % kv for kv in variables.items()]
    # A clean make: not a sub-make of `make test` (its flags, jobserver, goals).
    env = {k: v for k, v in os.environ.items()
           if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "MAKE_TERMOUT", "MAKE_TERMERR")}
    return args, subprocess.run(args, cwd=TOP, capture_output=True, text=True, timeout=600, env=env)


def prepare(out):
    """Make every variant into out/NAME and record the rejects in
    out/rejects.json; out/.done last.  Exits non-zero if a variant fails."""
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    for name, (target, conf, key, var) in VARIANTS.items():
        scratch = os.path.join(out, name + ".in")
        os.makedirs(scratch)
        args, p = _make(scratch, target, conf, key=key, **{var: os.path.join(out, name)})
        if p.returncode:
            sys.exit("test_netboot --prepare: %s failed (%d):\n%s%s"
                     % (" ".join(args), p.returncode, p.stdout[-3000:], p.stderr[-3000:]))
    rejects = []
    for i, (conf, key, why) in enumerate(REJECTS):
        scratch = os.path.join(out, "reject%d.in" % i)
        os.makedirs(scratch)
        d = os.path.join(scratch, "nb")
        args, p = _make(scratch, "netboot", conf, key=key, NETBOOT_DIR=d)
        rejects.append({"conf": conf, "key": key, "why": why, "args": args, "exit": p.returncode,
                        "output": p.stdout + p.stderr, "written": os.path.exists(d)})
    with open(os.path.join(out, "rejects.json"), "w") as f:
        json.dump(rejects, f, indent=1)
    open(os.path.join(out, ".done"), "w").close()


def _prepared(name=None):
    """PREPARED (or the variant PREPARED/name), checked to exist and to be
    newer than the kernel and this file."""
    done = os.path.join(PREPARED, ".done")
    hint = "run `make test` (or `make %s`) first" % os.path.relpath(done, TOP)
    expect(os.path.exists(done), "%s missing: %s" % (done, hint))
    for src in (os.path.join(BUILD, "theseus.elf"), os.path.abspath(__file__)):
        expect(os.path.getmtime(done) >= os.path.getmtime(src), "%s is older than %s: %s" % (done, src, hint))
    return os.path.join(PREPARED, name) if name else PREPARED


def _copy_variant(name, dest):
    """A private copy of the prepared variant at dest (the TFTP/HTTP tree a
    test serves and may rearrange), leaving build/ untouched."""
    shutil.copytree(_prepared(name), dest)
    return dest


def _read(path):
    with open(path) as f:
        return f.read()


OVMF = "/usr/share/ovmf/OVMF.fd"   # UEFI firmware for QEMU (Debian's ovmf)


def _boot(nic, root, bootfile, label, hostfwd="", efi=False):
    """Boot from TFTP root `root`, running `bootfile`; returns (guest, ready
    line).  efi: OVMF firmware, so the NIC's EFI iPXE ROM runs the script."""
    fwd = "user,id=n0,tftp=%s,bootfile=%s%s" % (root, bootfile, hostfwd)
    dev = {"e1000": "e1000", "virtio": "virtio-net-pci"}[nic]
    # The harness's boot="net" serves boot.ipxe from the root; a sub-directory
    # needs our own -netdev (and no harness NIC).
    g = Guest(boot="net", label=label,
              extra_args=(["-bios", OVMF] if efi else [])
              + ["-netdev", fwd, "-device", "%s,netdev=n0" % dev]).start()
    try:
        m = g.wait_for(r"theseus: ready:[^\r\n]*(?=\r?\n)", BOOT_TIMEOUT)
    except Exception:
        g.kill()
        raise
    return g, m.group(0)


def _check_kernel(g, ready, loader, cmdline, modules, uri_re):
    log = g.log
    m = re.search(r"boot: loader '([^']*)' \(multiboot(\d)\), command line '([^']*)'", log)
    expect(m, "no loader/command line report")
    expect(m.group(1).startswith(loader[0]) and m.group(2) == loader[1],
           "booted by %s multiboot%s, want %s multiboot%s" % (m.group(1), m.group(2), *loader))
    expect(m.group(3) == cmdline, "command line '%s', want '%s' (image URI not stripped?)"
           % (m.group(3), cmdline))
    n = len(modules)
    # Of the scheduler policies (versions of module "sched") only sched_rr loads.
    loaded = n - len([m for m in modules if m.startswith("sched_") and m != "sched_rr"])
    expect("%d of %d boot modules loaded" % (loaded, n) in ready, "modules: " + ready)
    for i, name in enumerate(modules):
        expect(re.search(r"boot: module %d: %s \(\d+ bytes at 0x[0-9a-f]+\) '%s'"
                         % (i, name, uri_re(name)), log), "boot module %d '%s' not as expected"
               % (i, name))
    expect("ip 10.0.2.15 " in ready, "no DHCP lease from the netboot network: " + ready)
    expect("*** FAULT" not in log, "fault in the log")
    code = g.wait_exit(20)
    expect(code == EXIT_SUCCESS, "exit status %s, want %d" % (code, EXIT_SUCCESS))


def _boot_modules():
    """The default module list, $(BOOT_MODULES) in modules/modules.mk."""
    m = re.search(r"^BOOT_MODULES \?= (.*)$", _read(os.path.join(TOP, "modules", "modules.mk")), re.M)
    expect(m, "BOOT_MODULES not found in modules/modules.mk")
    return m.group(1).split()


def test_netboot_e1000_ipxe():
    # Default modules ($(BOOT_MODULES)), served from the TFTP root, key from a key file.
    root = tempfile.mkdtemp(prefix="theseus-tftp-")
    try:
        d = _copy_variant("e1000", os.path.join(root, "nb"))
        modules = _boot_modules()
        cmdline = "exit=ready loglevel=info hz=250 key=" + TEST_KEY
        script = _read(os.path.join(d, "boot.ipxe"))
        expect(script.startswith("#!ipxe\n"), "boot.ipxe does not start with #!ipxe")
        expect(re.search(r"^kernel theseus\.elf %s$" % re.escape(cmdline), script, re.M),
               "kernel line wrong:\n" + script)
        expect(re.findall(r"^module (\S+)\.o$", script, re.M) == modules, "module lines wrong")
        expect(re.search(r"^boot$", script, re.M), "no boot line")
        # EFI iPXE (no multiboot there) branches to the standalone GRUB EFI image.
        expect(script.index("iseq ${platform} efi && goto efi") < script.index("\nkernel ")
               < script.index("\n:efi\n") < script.index("chain theseus-grub.efi"),
               "no EFI branch before the BIOS lines:\n" + script)
        expect(os.path.isfile(os.path.join(d, "theseus-grub.efi")), "no theseus-grub.efi")
        expect(os.stat(os.path.join(d, "theseus-grub.efi")).st_mode & 0o007 == 0,
               "theseus-grub.efi (holding the key) is world-readable")
        expect(os.stat(os.path.join(d, "boot.ipxe")).st_mode & 0o007 == 0,
               "boot.ipxe with a key is world-readable")
        g, ready = _boot("e1000", d, "boot.ipxe", "netboot(e1000)")
        try:
            expect(TEST_KEY not in g.log, "the swap key appears on the serial console")
            shown = cmdline.replace("key=" + TEST_KEY, "key=<set>")  # the kernel never logs a key
            _check_kernel(g, ready, ("iPXE", "1"), shown, modules,
                          lambda n: r"tftp://10\.0\.2\.2/%s\.o" % n)
        finally:
            g.kill()
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_netboot_virtio_ipxe_subdirectory():
    # Modules from the config file, the directory two levels below the TFTP root.
    root = tempfile.mkdtemp(prefix="theseus-tftp-")
    try:
        _copy_variant("virtio", os.path.join(root, "lab", "theseus"))
        g, ready = _boot("virtio", root, "lab/theseus/boot.ipxe", "netboot(virtio, lab/theseus)")
        try:
            _check_kernel(g, ready, ("iPXE", "1"), "exit=ready port=7701",
                          ["checksum", "hello", "virtio_net"],
                          lambda n: r"tftp://10\.0\.2\.2/lab/theseus/%s\.o" % n)
        finally:
            g.kill()
    finally:
        shutil.rmtree(root, ignore_errors=True)


def http_chain_boot(variant, nic, label, check, want_fetched, efi=False):
    """Serve the prepared `variant` over HTTP (a server in the test), boot
    `nic` from a TFTP stub script that chains its boot.ipxe, run check(guest,
    ready line, port) and compare the paths fetched with want_fetched."""
    root = tempfile.mkdtemp(prefix="theseus-tftp-")
    d = os.path.join(root, "www", "theseus")
    fetched = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **kw):
            super().__init__(*a, directory=d, **kw)

        def log_message(self, fmt, *args):
            fetched.append(self.path)

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        _copy_variant(variant, d)
        port = httpd.server_address[1]
        with open(os.path.join(root, "chain.ipxe"), "w") as f:
            f.write("#!ipxe\nchain http://10.0.2.2:%d/boot.ipxe\n" % port)
        g, ready = _boot(nic, root, "chain.ipxe", label, efi=efi)
        try:
            check(g, ready, port)
        finally:
            g.kill()
        expect(fetched == want_fetched, "HTTP requests: %s" % fetched)
    finally:
        httpd.shutdown()
        httpd.server_close()
        shutil.rmtree(root, ignore_errors=True)


def test_netboot_http_chain():
    # The lab's iPXE chains the script over HTTP (here from a TFTP stub script);
    # relative paths make iPXE fetch the kernel and modules over HTTP too.
    http_chain_boot("http", "e1000", "netboot(http)",
                    lambda g, ready, port: _check_kernel(
                        g, ready, ("iPXE", "1"), "exit=ready",
                        ["checksum", "hello", "e1000", "virtio_net"],
                        lambda n: r"http://10\.0\.2\.2:%d/%s\.o" % (port, n)),
                    ["/boot.ipxe", "/theseus.elf", "/checksum.o", "/hello.o", "/e1000.o",
                     "/virtio_net.o"])


def test_netboot_grub_multiboot2():
    root = tempfile.mkdtemp(prefix="theseus-tftp-")
    try:
        d = _copy_variant("grub", os.path.join(root, "nbg"))
        expect(os.path.isfile(os.path.join(d, "boot", "grub", "i386-pc", "core.0")), "no core.0")
        g, ready = _boot("e1000", d, "boot.ipxe", "netboot-grub(e1000)")
        try:
            _check_kernel(g, ready, ("GRUB", "2"), "exit=ready loglevel=info",
                          ["checksum", "kv", "e1000"],
                          lambda n: r"%s\.o" % n)
        finally:
            g.kill()
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_netboot_rejects_bad_parameters():
    # Mistakes fail `make netboot`, with a message, instead of a lab boot
    # (made by --prepare; see REJECTS).
    with open(os.path.join(_prepared(), "rejects.json")) as f:
        results = json.load(f)
    expect([[r["conf"], r["key"], r["why"]] for r in results] == [list(x) for x in REJECTS],
           "rejects.json does not match REJECTS: re-run --prepare")
    for r in results:
        expect(r["exit"] != 0, "make netboot accepted %s:\n%s" % (r["conf"], r["output"]))
        expect(r["why"] in r["output"], "error for %s does not say '%s' (exit %d):\n%s"
               % (r["conf"], r["why"], r["exit"], r["output"]))
        expect(not r["written"], "directory written anyway for %s" % r["conf"])


def test_netboot_then_theseusctl_push_and_swap():
    # The lab workflow end to end: iPXE boots the `make netboot` directory,
    # then theseusctl pushes hello 2.0 and swaps it in live, on both NICs.
    from harness import free_port
    ctl = os.path.join(BUILD, "theseusctl")
    for nic in ("e1000", "virtio"):
        scratch = tempfile.mkdtemp(prefix="theseus-tftp-")
        try:
            root = _copy_variant("ctl", os.path.join(scratch, "nb"))
            with open(os.path.join(scratch, "key"), "w") as f:
                f.write(TEST_KEY + "\n")
            port = free_port()
            g, ready = _boot(nic, root, "boot.ipxe", "netboot+ctl(%s)" % nic,
                             hostfwd=",hostfwd=udp:127.0.0.1:%d-:7700" % port)
            try:
                expect("6 of 6 boot modules loaded" in ready, ready)
                base = [ctl, "-H", "127.0.0.1:%d" % port, "--key-file",
                        os.path.join(scratch, "key"), "--timeout", "2000"]
                def run(*args):
                    p = subprocess.run(base + list(args), capture_output=True, text=True,
                                       timeout=120)
                    expect(p.returncode == 0, "theseusctl %s: exit %d\n%s%s" % (
                        " ".join(args), p.returncode, p.stdout, p.stderr))
                    return p.stdout
                run("ping")
                run("push", os.path.join(BUILD, "modules", "hello_v2.o"))
                out = run("swap", "--expect", "1.0", "hello",
                          os.path.join(BUILD, "modules", "hello_v2.o"))
                expect("1.0 -> 2.0" in out, "swap output: " + out)
                expect(re.search(r"^hello\s+2\.0\s", run("ls"), re.M), "ls does not show hello 2.0")
                g.wait_for(r"HELLO 2\.0 took over from 1\.0", 10)
            finally:
                g.kill()
        finally:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--prepare":
        prepare(os.path.abspath(sys.argv[2]))
        sys.exit(0)
    names = [n for n in sorted(globals()) if n.startswith("test_")]
    only = sys.argv[1] if len(sys.argv) > 1 else ""
    failed = 0
    for n in names:
        if only not in n:
            continue
        try:
            globals()[n]()
            print("PASS", n, flush=True)
        except Exception as e:   # noqa: BLE001 - report and go on
            failed += 1
            print("FAIL", n, e, flush=True)
    sys.exit(1 if failed else 0)
