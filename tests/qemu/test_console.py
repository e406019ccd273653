#!/usr/bin/env python3
"""test_console.py - the screen console (console=serial|screen|both): what a
person at a lab machine without a serial port sees, checked on a QEMU
screendump.

  bios_text    QEMU -kernel (multiboot1, BIOS): VGA text.  The text buffer
               (read through the monitor) holds the ready line, and the
               screendump shows it: every cell of that row is lit exactly where
               the row has a character, and equal characters of it look alike.
  bios_iso     the GRUB ISO on BIOS (multiboot2, gfxpayload=text): the same.
  uefi_iso     the GRUB ISO under OVMF: a GOP framebuffer drawn with the
               built-in font; the screendump is read back cell by cell with
               that font and must contain the ready line.
  serial_only  console=serial leaves the screen alone (no ready line on it).
  screen_only  console=screen: the log goes to the screen only.
"""
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import BUILD, expect  # noqa: E402

OVMF = "/usr/share/ovmf/OVMF.fd"
READY = "theseus: ready:"


def _font():
    """{glyph bitmap (16 bytes) -> character} from the generated font source."""
    src = open(os.path.join(BUILD, "gen", "screen_font.c")).read()
    rows = re.findall(r"\{ ((?:0x[0-9a-f]{2}, ){15}0x[0-9a-f]{2}) \}", src)
    expect(len(rows) == 95, "build/gen/screen_font.c: %d glyphs, want 95" % len(rows))
    font = {}
    for i, r in enumerate(rows):
        font.setdefault(bytes(int(x, 16) for x in r.split(", ")), chr(0x20 + i))
    return font


def _lit(px):
    return sum(px) > 3 * 0x40


def _read_framebuffer(w, h, rows):
    """The screen's text, decoded cell by cell (8x16) with the built-in font."""
    font = _font()
    lines = []
    for cy in range(h // 16):
        line = []
        for cx in range(w // 8):
            bits = bytes(sum(0x80 >> x for x in range(8)
                             if _lit(rows[cy * 16 + y][(cx * 8 + x) * 3:(cx * 8 + x) * 3 + 3]))
                         for y in range(16))
            line.append(font.get(bits, "\0"))
        lines.append("".join(line))
    return lines


def _text_buffer(g, cols=80, rows=25):
    """VGA text memory at 0xb8000 as lines, through the monitor."""
    out = g.hmp("xp /%dbx 0xb8000" % (cols * rows * 2))
    # Each output line starts with an address "00000000000b8000:"; take only bytes after it.
    data = []
    for line in out.splitlines():
        if ":" in line:
            data += [int(b, 16) for b in re.findall(r"0x([0-9a-f]+)", line.split(":", 1)[1])]
    expect(len(data) == cols * rows * 2, "xp returned %d bytes" % len(data))
    chars = "".join(chr(c) if 32 <= c < 127 else " " for c in data[0::2])
    return [chars[r * cols:(r + 1) * cols] for r in range(rows)]


def _check_text_screen(g):
    text = _text_buffer(g)
    row = next((i for i, l in enumerate(text) if READY in l), None)
    expect(row is not None, "no ready line in VGA text memory:\n" + "\n".join(text))
    w, h, rows = g.screendump()
    expect(h == 400 and w in (640, 720), "text-mode screendump is %dx%d" % (w, h))
    cw = w // 80
    blocks = {}
    # The ready row (the guest logs nothing after it): every cell is lit
    # exactly where the row has a character, and equal characters look alike.
    for c, ch in enumerate(text[row]):
        block = b"".join(rows[row * 16 + y][c * cw * 3:(c + 1) * cw * 3] for y in range(16))
        lit = any(_lit(block[i:i + 3]) for i in range(0, len(block), 3))
        expect(lit == (ch != " "), "screen cell %d of the ready row (%r) %s lit"
               % (c, ch, "is" if lit else "is not"))
        if ch != " ":
            expect(blocks.setdefault(ch, block) == block, "character %r drawn two ways" % ch)
    distinct = {blocks[c] for c in "thesu:rady"}
    expect(len(distinct) == 10, "characters of the ready line are not told apart on screen")
    return text[row]


def _boot(**kw):
    g = harness.Guest(monitor=True, **kw).start()
    ready = g.wait_for(r"theseus: ready:[^\r\n]*(?=\r?\n)", 90).group(0)
    return g, ready


def test_console_bios_text():
    g, ready = _boot(cmdline="exit=never", label="console(bios -kernel)")
    g.wait_for(r"console: screen: text 80x25", 5)
    line = _check_text_screen(g)
    expect(line.strip() == ready[:80].strip(), "screen row %r vs serial %r" % (line, ready))


def test_console_bios_iso_text():
    g, ready = _boot(boot="iso", cmdline="exit=never", modules=["hello"], label="console(bios iso)")
    g.wait_for(r"console: screen: text 80x25", 5)
    _check_text_screen(g)


def test_console_uefi_framebuffer():
    expect(os.path.isfile(OVMF), "%s missing (Debian package ovmf)" % OVMF)
    g, ready = _boot(boot="iso", cmdline="exit=never", modules=["hello"],
                     extra_args=["-bios", OVMF], label="console(uefi iso)")
    m = g.wait_for(r"console: screen: framebuffer (\d+)x(\d+) cells", 5)
    w, h, rows = g.screendump()
    expect((w // 8, h // 16) == (int(m.group(1)), int(m.group(2))),
           "screendump %dx%d vs %s" % (w, h, m.group(0)))
    lines = _read_framebuffer(w, h, rows)
    got = [l.rstrip() for l in lines if READY in l]
    expect(got, "no ready line on the framebuffer:\n" + "\n".join(l.rstrip() for l in lines))
    expect(ready.startswith(got[0]), "screen shows %r, serial %r" % (got[0], ready))


def test_console_serial_only():
    g, ready = _boot(cmdline="exit=never console=serial", label="console=serial")
    text = _text_buffer(g)
    expect(not any(READY in l for l in text), "console=serial drew the ready line on the screen")


def test_console_screen_only():
    g = harness.Guest(monitor=True, cmdline="exit=never console=screen",
                      label="console=screen").start()
    deadline = time.time() + 60 * harness.TIME_SCALE
    while not any(READY in l for l in _text_buffer(g)):
        expect(time.time() < deadline and g.proc.poll() is None,
               "no ready line on the screen with console=screen")
        time.sleep(0.1)
    expect(READY not in g.log, "console=screen still wrote the ready line to the serial port")
    expect("Theseus-C nano_core" in g.log, "the banner (before the screen) is on the serial port")
