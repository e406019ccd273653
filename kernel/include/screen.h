/*
 * screen.h - the screen console (kernel/dev/screen.c): VGA text or a linear
 * framebuffer with a built-in font, so a person at a lab machine without a
 * serial port sees the log and the ready line.
 */
#ifndef THESEUS_SCREEN_H
#define THESEUS_SCREEN_H

#include <stdbool.h>
#include <stddef.h>

#include "bootinfo.h"
#include "err.h"

/* Take the screen the loader described (fb), or, when it described none and
 * bios_text is set (a multiboot1 loader on BIOS), the VGA text screen at
 * 0xb8000.  Clears it.  TH_ENODEV when there is no screen to use. */
int screen_init(const struct boot_fb *fb, bool bios_text) TH_MUST_CHECK;
bool screen_present(void);
/* Draw n bytes of text at the cursor ('\n' starts a line; scrolls). */
void screen_write(const char *s, size_t n);
/* "text 80x25", "framebuffer 128x48 cells, 32 bpp" or "none". */
void screen_describe(char *buf, size_t cap);

#endif
