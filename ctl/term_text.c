/*
 * term_text.c - text that reaches a terminal safely.  Module versions,
 * descriptions, task names, log lines, symbol and fault messages are
 * written by module authors and come back from the kernel as they were
 * written; printed raw, an ESC sequence in them would clear the screen,
 * set the window title or write the clipboard (OSC 52), a CR or backspace
 * would hide text, a right-to-left override would reorder it.  Every byte
 * theseusctl prints for a human goes through here (ctl_term_open wraps
 * stdout and stderr, fleet.c escapes each host's output), so:
 *
 *   - printable ASCII, newline and tab, and well-formed UTF-8 of printable
 *     characters pass unchanged;
 *   - other control bytes (C0, DEL), and every byte that is not part of
 *     well-formed UTF-8 (stray continuation, overlong, surrogate, past
 *     U+10FFFF, cut short) become \xNN;
 *   - well-formed C1 controls (U+0080..U+009F) and the bidirectional
 *     formatting characters (U+061C, U+200E, U+200F, U+202A..U+202E,
 *     U+2066..U+2069) become \uXXXX.
 *
 * The result is printable and escaping it again changes nothing.
 * --json output does not need this: ctl/json.c escapes every byte that is
 * not printable ASCII.
 */
#include <stdlib.h>

#include "klibc.h"
#include "ctl.h"

/* Length of the well-formed UTF-8 sequence at s (at most n bytes), its code
 * point in *cp; 0 if the bytes there are not one (RFC 3629 table 4). */
static size_t utf8_seq(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned char b = s[0];
	size_t len;
	unsigned char lo = 0x80, hi = 0xbf;
	if (b >= 0xc2 && b <= 0xdf)
		len = 2;
	else if (b >= 0xe0 && b <= 0xef) {
		len = 3;
		if (b == 0xe0)
			lo = 0xa0;          /* overlong */
		else if (b == 0xed)
			hi = 0x9f;          /* surrogates */
	} else if (b >= 0xf0 && b <= 0xf4) {
		len = 4;
		if (b == 0xf0)
			lo = 0x90;          /* overlong */
		else if (b == 0xf4)
			hi = 0x8f;          /* past U+10FFFF */
	} else
		return 0;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	uint32_t c = b & (0xff >> (len + 1));
	c = (c << 6) | (s[1] & 0x3f);
	for (size_t k = 2; k < len; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[k] & 0x3f);
	}
	*cp = c;
	return len;
}

static bool cp_unsafe(uint32_t c)
{
	return (c >= 0x80 && c <= 0x9f) || c == 0x061c || c == 0x200e || c == 0x200f ||
	       (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}

size_t ctl_term_escape(const char *s, size_t n, char *out, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	size_t need = 0, i = 0;
	while (i < n) {
		char tmp[8];
		size_t k = 0, take = 1;
		unsigned char b = u[i];
		uint32_t cp;
		if ((b >= 0x20 && b < 0x7f) || b == '\n' || b == '\t') {
			tmp[k++] = (char)b;
		} else if (b >= 0x80 && (take = utf8_seq(u + i, n - i, &cp)) != 0) {
			if (cp_unsafe(cp)) {
				tmp[k++] = '\\';
				tmp[k++] = 'u';
				for (int sh = 12; sh >= 0; sh -= 4)
					tmp[k++] = hex[(cp >> sh) & 15];
			} else {
				memcpy(tmp, u + i, take);
				k = take;
			}
		} else {
			take = 1;
			tmp[k++] = '\\';
			tmp[k++] = 'x';
			tmp[k++] = hex[b >> 4];
			tmp[k++] = hex[b & 15];
		}
		for (size_t m = 0; m < k; m++, need++)
			if (cap && need < cap - 1)
				out[need] = tmp[m];
		i += take;
	}
	if (cap)
		out[need < cap ? need : cap - 1] = 0;
	return need;
}

char *ctl_term_dup(const char *s)
{
	size_t n = strlen(s), need = ctl_term_escape(s, n, NULL, 0);
	char *r = malloc(need + 1);
	if (r)
		ctl_term_escape(s, n, r, need + 1);
	return r;
}

int ctl_term_write(const char *s, size_t n, FILE *to)
{
	size_t need = ctl_term_escape(s, n, NULL, 0);
	if (need == n) {
		/* Nothing to escape when the lengths match (every escape grows). */
		return fwrite(s, 1, n, to) == n ? TH_OK : TH_EIO;
	}
	char *r = malloc(need + 1);
	if (!r)
		return TH_ENOMEM;
	ctl_term_escape(s, n, r, need + 1);
	int err = fwrite(r, 1, need, to) == need ? TH_OK : TH_EIO;
	free(r);
	return err;
}

/* ctl_term_open: a FILE that escapes what is written to it line by line
 * (a UTF-8 sequence never straddles a newline) into another FILE. */
struct term_file {
	FILE *to;
	char *buf;
	size_t len, cap;
};

static int term_emit(struct term_file *t, bool all)
{
	size_t end = t->len;
	if (!all) {
		while (end && t->buf[end - 1] != '\n')
			end--;
		/* A long line without a newline yet: emit it up to the start of
		 * the UTF-8 sequence the last bytes may belong to (kept whole). */
		if (!end && t->len > 4096) {
			end = t->len - 3;
			while (end && ((unsigned char)t->buf[end] & 0xc0) == 0x80)
				end--;
		}
	}
	if (!end)
		return TH_OK;
	int err = ctl_term_write(t->buf, end, t->to);
	memmove(t->buf, t->buf + end, t->len - end);
	t->len -= end;
	fflush(t->to);
	return err;
}

static ssize_t term_write(void *cookie, const char *data, size_t n)
{
	struct term_file *t = cookie;
	if (t->len + n > t->cap) {
		size_t cap = t->cap ? t->cap : 1024;
		while (cap < t->len + n)
			cap *= 2;
		char *nb = realloc(t->buf, cap);
		if (!nb)
			return -1;
		t->buf = nb;
		t->cap = cap;
	}
	memcpy(t->buf + t->len, data, n);
	t->len += n;
	return term_emit(t, false) == TH_OK ? (ssize_t)n : -1;
}

static int term_close(void *cookie)
{
	struct term_file *t = cookie;
	int err = term_emit(t, true);
	free(t->buf);
	free(t);
	return err == TH_OK ? 0 : -1;
}

FILE *ctl_term_open(FILE *to)
{
	struct term_file *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	t->to = to;
	cookie_io_functions_t io = { .write = term_write, .close = term_close };
	FILE *f = fopencookie(t, "w", io);
	if (!f) {
		free(t);
		return NULL;
	}
	setvbuf(f, NULL, _IOLBF, 0);
	return f;
}
