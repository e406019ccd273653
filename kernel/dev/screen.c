/*
 * screen.c - the console a person at the machine sees: the VGA text screen
 * (BIOS: 80x25 cells at 0xb8000, or the EGA text mode a multiboot2 loader
 * reports) or a linear framebuffer (UEFI: GOP, as the multiboot2 framebuffer
 * tag describes it), drawn with the built-in 8x16 font (build/gen/
 * screen_font.c, made at build time from Debian's console-setup fonts).
 *
 *   screen_init(fb, bios_text)   after vmm_init(): maps the memory, clears
 *   screen_write(s, n)           called by the log for every console line
 *
 * Text scrolls line by line; a framebuffer scrolls half a screen at a time
 * (moving megabytes of pixels for every line would slow the boot down).
 * Only printable ASCII is drawn; anything else shows as '?'.
 *
 * Text is drawn into a copy in RAM, and each screen_write ends by copying
 * the rows it changed (all of them after a scroll) to video memory, 8 bytes
 * per store: under QEMU every access to VGA memory is an exit to the
 * emulator, and drawing cell by cell, scrolling by reading video memory
 * back, cost 4 ms of the boot's first console output.
 */
#include "screen.h"

#include "cpu.h"
#include "klibc.h"
#include "vmm.h"

#define FONT_W 8
#define FONT_H 16
#define FONT_FIRST 0x20
#define FONT_COUNT 95
extern const uint8_t screen_font[FONT_COUNT][FONT_H];

#define VGA_TEXT_ADDR 0xb8000
#define VGA_ATTR 0x07          /* light grey on black */
#define TEXT_MAX_COLS 160      /* larger text modes: no screen console */
#define TEXT_MAX_ROWS 64

static struct {
	enum boot_fb_type type;
	volatile uint8_t *base;
	uint32_t pitch, bytespp;
	unsigned cols, rows, col, row;
	uint32_t fg, bg;           /* pixel values in the framebuffer's layout */
	/* Text: the cells, and rows [dirty_lo, dirty_hi) not yet in video memory. */
	uint16_t text[TEXT_MAX_ROWS][TEXT_MAX_COLS];
	unsigned dirty_lo, dirty_hi;
} scr;

bool screen_present(void) { return scr.type != BOOT_FB_NONE; }

static uint32_t pixel(const struct boot_fb *fb, uint8_t v)
{
	return ((uint32_t)(v >> (8 - fb->red_size)) << fb->red_pos) |
	       ((uint32_t)(v >> (8 - fb->green_size)) << fb->green_pos) |
	       ((uint32_t)(v >> (8 - fb->blue_size)) << fb->blue_pos);
}

static void put_pixel(volatile uint8_t *p, uint32_t v)
{
	switch (scr.bytespp) {
	case 4: *(volatile uint32_t *)p = v; break;
	case 3: p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); break;
	default: *(volatile uint16_t *)p = (uint16_t)v; break;
	}
}

static void draw_cell(unsigned col, unsigned row, char c)
{
	if (scr.type == BOOT_FB_EGA_TEXT) {
		scr.text[row][col] = (uint16_t)((uint8_t)c | VGA_ATTR << 8);
		if (row < scr.dirty_lo)
			scr.dirty_lo = row;
		if (row + 1 > scr.dirty_hi)
			scr.dirty_hi = row + 1;
		return;
	}
	unsigned g = (unsigned char)c - FONT_FIRST;
	if (g >= FONT_COUNT)
		g = '?' - FONT_FIRST;
	for (unsigned y = 0; y < FONT_H; y++) {
		volatile uint8_t *p = scr.base + (size_t)(row * FONT_H + y) * scr.pitch +
				      (size_t)col * FONT_W * scr.bytespp;
		uint8_t bits = screen_font[g][y];
		for (unsigned x = 0; x < FONT_W; x++, p += scr.bytespp)
			put_pixel(p, (bits & (0x80 >> x)) ? scr.fg : scr.bg);
	}
}

/* Bytes of one text row: a line of cells, or FONT_H lines of pixels. */
static size_t row_bytes(void)
{
	return scr.type == BOOT_FB_EGA_TEXT ? scr.pitch : (size_t)scr.pitch * FONT_H;
}

static void clear_rows(unsigned first, unsigned count)
{
	for (unsigned r = first; r < first + count; r++)
		for (unsigned c = 0; c < scr.cols; c++)
			draw_cell(c, r, ' ');
}

/* Moves the last rows - k rows up by k and clears the bottom k. */
static void scroll(unsigned k)
{
	if (scr.type == BOOT_FB_EGA_TEXT) {
		memmove(scr.text[0], scr.text[k], (scr.rows - k) * sizeof scr.text[0]);
		scr.dirty_lo = 0;
	} else {
		size_t rb = row_bytes();
		memmove((void *)scr.base, (const void *)(scr.base + k * rb), (scr.rows - k) * rb);
	}
	clear_rows(scr.rows - k, k);
	scr.row -= k;
}

/* Text: the changed rows to video memory, 8 bytes per store where the row
 * allows (an 80-column row is 20 stores). */
static void flush_text(void)
{
	for (unsigned r = scr.dirty_lo; r < scr.dirty_hi && r < scr.rows; r++) {
		volatile uint8_t *dst = scr.base + (size_t)r * scr.pitch;
		const uint16_t *src = scr.text[r];
		unsigned c = 0;
		if (((uintptr_t)dst & 7) == 0) {
			for (; c + 4 <= scr.cols; c += 4) {
				uint64_t w;
				memcpy(&w, &src[c], sizeof w);
				*(volatile uint64_t *)(dst + 2 * c) = w;
			}
		}
		for (; c < scr.cols; c++)
			*(volatile uint16_t *)(dst + 2 * c) = src[c];
	}
	scr.dirty_lo = TEXT_MAX_ROWS;
	scr.dirty_hi = 0;
}

static void newline(void)
{
	scr.col = 0;
	if (++scr.row < scr.rows)
		return;
	scroll(scr.type == BOOT_FB_EGA_TEXT || scr.rows < 4 ? 1 : scr.rows / 2);
}

void screen_write(const char *s, size_t n)
{
	if (!screen_present())
		return;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '\n') {
			newline();
			continue;
		}
		if (c == '\r')
			continue;
		if (c == '\t') {
			do
				draw_cell(scr.col++, scr.row, ' ');
			while (scr.col % 8 && scr.col < scr.cols);
		} else {
			draw_cell(scr.col++, scr.row, c >= 0x20 && c < 0x7f ? c : '?');
		}
		if (scr.col >= scr.cols)
			newline();
	}
	if (scr.type == BOOT_FB_EGA_TEXT)
		flush_text();
}

int screen_init(const struct boot_fb *given, bool bios_text)
{
	struct boot_fb fb = *given;
	if (fb.type == BOOT_FB_NONE && bios_text)   /* a BIOS loader left VGA text mode on */
		fb = (struct boot_fb){ .type = BOOT_FB_EGA_TEXT, .addr = VGA_TEXT_ADDR,
				       .pitch = 160, .width = 80, .height = 25, .bpp = 16 };
	if (fb.type == BOOT_FB_NONE)
		return TH_ENODEV;
	volatile void *base;
	int err = vmm_map_mmio(fb.addr, (size_t)fb.pitch * fb.height, &base);
	if (err)
		return err;
	scr.base = base;
	scr.pitch = fb.pitch;
	if (fb.type == BOOT_FB_EGA_TEXT) {
		if (!fb.width || !fb.height || fb.width > TEXT_MAX_COLS || fb.height > TEXT_MAX_ROWS ||
		    fb.pitch < fb.width * 2)
			return TH_ENODEV;
		scr.cols = fb.width;
		scr.rows = fb.height;
		scr.dirty_lo = TEXT_MAX_ROWS;
		scr.dirty_hi = 0;
		outb(0x3d4, 0x0a);          /* CRTC cursor start: bit 5 hides the cursor, */
		outb(0x3d5, 0x20);          /* which would sit on top of a log character */
	} else {
		scr.bytespp = fb.bpp / 8;
		scr.cols = fb.width / FONT_W;
		scr.rows = fb.height / FONT_H;
		scr.fg = pixel(&fb, 0xaa);
		scr.bg = pixel(&fb, 0x00);
		if (!scr.cols || !scr.rows)
			return TH_ENODEV;
	}
	scr.type = fb.type;
	scr.col = scr.row = 0;
	clear_rows(0, scr.rows);
	if (scr.type == BOOT_FB_EGA_TEXT)
		flush_text();
	return TH_OK;
}

void screen_describe(char *buf, size_t cap)
{
	if (scr.type == BOOT_FB_EGA_TEXT)
		snprintf(buf, cap, "text %ux%u", scr.cols, scr.rows);
	else if (scr.type == BOOT_FB_RGB)
		snprintf(buf, cap, "framebuffer %ux%u cells, %u bpp", scr.cols, scr.rows,
			 scr.bytespp * 8);
	else
		snprintf(buf, cap, "none");
}
