#!/usr/bin/env python3
"""firmware_tables_seeds.py DIR - write the seed corpus of the firmware tables
fuzzer (tests/fuzz/firmware_tables_fuzz.c) into DIR: a 4-CPU MADT, an MP
configuration table, an RSDP -> XSDT -> MADT chain, an MP floating
pointer with its table, an ACPI 2.0 FADT with a PM timer, and an RSDP ->
XSDT -> FADT + MADT chain, and the configuration space of a PCI function
with power management, PCI Express, MSI (64-bit, maskable) and MSI-X
capabilities, each behind the fuzzer's 4-byte selector."""
import os
import struct
import sys


def fix(buf, at):
    buf[at] = 0
    buf[at] = (-sum(buf)) & 0xFF
    return buf


def sdt(sig, body):
    b = bytearray(sig + struct.pack("<IBB", 36 + len(body), 1, 0) + b"THESUS" + b"SEEDTABL" +
                  struct.pack("<I4sI", 1, b"THSC", 1) + body)
    return fix(b, 9)


def madt():
    body = struct.pack("<II", 0xFEE00000, 1)
    for i in range(4):
        body += struct.pack("<BBBBI", 0, 8, i, i, 1)
    body += struct.pack("<BBBBII", 1, 12, 0, 0, 0xFEC00000, 0)
    body += struct.pack("<BBBBIH", 2, 10, 0, 0, 2, 0)
    return sdt(b"APIC", body)


def mpc():
    ents = struct.pack("<BBBBI4x8x", 0, 0, 0x14, 3, 0) + struct.pack("<BBBBI4x8x", 0, 1, 0x14, 1, 0)
    ents += struct.pack("<BBBBI", 2, 2, 0x11, 1, 0xFEC00000)
    head = bytearray(b"PCMP" + struct.pack("<HBB", 44 + len(ents), 4, 0) + b"THESEUS " +
                     b"SEEDMACHINE " + struct.pack("<IHHIHBB", 0, 0, 3, 0xFEE00000, 0, 0, 0))
    return fix(head + ents, 7)


def fadt():
    body = bytearray(244 - 36)
    struct.pack_into("<I", body, 76 - 36, 0x608)          # PM_TMR_BLK
    body[91 - 36] = 4                                      # PM_TMR_LEN
    struct.pack_into("<I", body, 112 - 36, 1 << 8)         # TMR_VAL_EXT
    struct.pack_into("<BBBBQ", body, 208 - 36, 1, 32, 0, 3, 0x608)   # X_PM_TMR_BLK
    return sdt(b"FACP", bytes(body))


def chain(with_fadt=False):
    m = madt()
    rsdp_len, xsdt_at = 36, 64
    f = fadt() if with_fadt else b""
    madt_at = xsdt_at + (52 if with_fadt else 44)
    fadt_at = madt_at + len(m)
    xsdt = sdt(b"XSDT", struct.pack("<Q", madt_at) + (struct.pack("<Q", fadt_at) if with_fadt else b""))
    rsdp = bytearray(b"RSD PTR " + b"\0" + b"THESUS" + b"\x02" + struct.pack("<IIQ", 0, rsdp_len, xsdt_at) +
                     b"\0\0\0\0")
    fix(rsdp, 8)
    rsdp[8] = (-sum(rsdp[:20]) + rsdp[8]) & 0xFF
    rsdp[32] = 0
    rsdp[32] = (-sum(rsdp)) & 0xFF
    mem = bytearray(fadt_at + len(f))
    mem[0:36] = rsdp
    mem[xsdt_at:xsdt_at + len(xsdt)] = xsdt
    mem[madt_at:fadt_at] = m
    mem[fadt_at:] = f
    return mem


def mp_memory():
    t = mpc()
    fp = bytearray(b"_MP_" + struct.pack("<IBBBB4x", 0xF0000 + 16, 1, 4, 0, 0))
    fp = fix(fp, 10)
    return fp + t


def pci_space():
    """e1000e-like: caps at 0xC8 (PM) -> 0xD0 (MSI) -> 0xE0 (PCIe) -> 0xA0 (MSI-X)."""
    b = bytearray(256)
    struct.pack_into("<HH", b, 0, 0x8086, 0x10D3)
    b[0x06] = 0x10
    b[0x34] = 0xC8
    b[0xC8:0xCA] = bytes([0x01, 0xD0])
    b[0xD0:0xD4] = bytes([0x05, 0xE0, 0x80, 0x01])   # MSI: 64-bit, per-vector masking
    b[0xE0:0xE2] = bytes([0x10, 0xA0])
    b[0xA0:0xA2] = bytes([0x11, 0x00])
    return b


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, sel, data in (("madt", 0, madt()), ("mpc", 1, mpc()), ("rsdp_chain", 2, chain()),
                            ("mp_find", 3, mp_memory()), ("fadt", 4, fadt()),
                            ("rsdp_fadt_chain", 5, chain(True)), ("pci_caps", 6, pci_space())):
        with open(os.path.join(out, name), "wb") as f:
            f.write(bytes([sel, 5 if sel == 6 else 0, 0, 0]) + bytes(data))


if __name__ == "__main__":
    main()
