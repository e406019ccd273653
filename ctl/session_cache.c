/*
 * session_cache.c - the session cache's entry table and its text format
 * (ctl/session_cache.h): find, put (least recently used entry dropped when
 * full), parse a file's bytes and format them back.  Pure: no I/O, so the
 * parser is unit-tested (tests/unit/ctl_session_cache.c) and fuzzed
 * (tests/fuzz/session_cache_fuzz.c) on any bytes.  Every field is checked
 * for its length and characters before it is used; a bad line is skipped
 * whole.
 */
#include <stdio.h>
#include <string.h>

#include "session_cache.h"

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static int hex_val(char c)
{
	return c <= '9' ? c - '0' : c - 'a' + 10;
}

bool ctl_sc_fp_ok(const char *fp)
{
	for (size_t i = 0; i < CTL_SC_FP_LEN; i++)
		if (!is_hex(fp[i]))
			return false;
	return fp[CTL_SC_FP_LEN] == 0;
}

static bool target_char_ok(char c)
{
	return c > ' ' && c < 0x7f && c != '#';
}

bool ctl_sc_target_ok(const char *target)
{
	size_t n = 0;
	for (; n < CTL_SC_TARGET_MAX && target[n]; n++)
		if (!target_char_ok(target[n]))
			return false;
	return n > 0 && n < CTL_SC_TARGET_MAX;
}

struct ctl_sc_entry *ctl_sc_find(struct ctl_sc_table *t, const char *fp, const char *target)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->e[i].fp, fp) == 0 && strcmp(t->e[i].target, target) == 0)
			return &t->e[i];
	return NULL;
}

int ctl_sc_put(struct ctl_sc_table *t, const char *fp, const char *target, uint64_t epoch,
	       uint32_t mac_kinds, uint64_t used, struct ctl_sc_entry **out)
{
	if (!ctl_sc_fp_ok(fp) || !ctl_sc_target_ok(target) || epoch == 0)
		return TH_EINVAL;
	struct ctl_sc_entry *e = ctl_sc_find(t, fp, target);
	if (!e && t->n < CTL_SC_MAX) {
		e = &t->e[t->n++];
		memset(e, 0, sizeof *e);
	} else if (!e) {
		e = &t->e[0];   /* full: the least recently used one goes */
		for (size_t i = 1; i < t->n; i++)
			if (t->e[i].used < e->used)
				e = &t->e[i];
		if (used < e->used)
			return TH_EFULL;   /* ... unless that is the new one */
		memset(e, 0, sizeof *e);
	}
	memcpy(e->fp, fp, CTL_SC_FP_LEN + 1);
	snprintf(e->target, sizeof e->target, "%s", target);
	e->epoch = epoch;
	e->mac_kinds = mac_kinds;
	e->used = used;
	if (out)
		*out = e;
	return TH_OK;
}

/* A field of line[0..len) starting at *pos, up to the next space or the
 * end: its start and length; *pos moves past one separating space. */
static const char *field(const char *line, size_t len, size_t *pos, size_t *flen)
{
	size_t s = *pos, i = s;
	while (i < len && line[i] != ' ')
		i++;
	*flen = i - s;
	*pos = i < len ? i + 1 : i;
	return line + s;
}

static bool parse_hex64(const char *s, size_t n, uint64_t *v)
{
	if (n != 16)
		return false;
	*v = 0;
	for (size_t i = 0; i < n; i++) {
		if (!is_hex(s[i]))
			return false;
		*v = *v << 4 | (uint64_t)hex_val(s[i]);
	}
	return true;
}

static bool parse_dec(const char *s, size_t n, uint64_t max, uint64_t *v)
{
	if (n == 0 || n > 20)
		return false;
	*v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		uint64_t d = (uint64_t)(s[i] - '0');
		if (*v > (max - d) / 10)
			return false;   /* over max (or over 2^64) */
		*v = *v * 10 + d;
	}
	return true;
}

/* One line (without its newline): true when it is an entry, added to t. */
static bool parse_line(struct ctl_sc_table *t, const char *line, size_t len)
{
	char fp[CTL_SC_FP_LEN + 1], target[CTL_SC_TARGET_MAX];
	size_t pos = 0, n[5];
	const char *f[5];
	uint64_t epoch, kinds, used;

	if (len == 0 || len > CTL_SC_LINE_MAX)
		return false;
	for (int k = 0; k < 5; k++) {
		f[k] = field(line, len, &pos, &n[k]);
		if (n[k] == 0)
			return false;
	}
	if (pos != len || line[len - 1] == ' ')
		return false;   /* a sixth field, or a trailing blank */
	if (n[0] != CTL_SC_FP_LEN || n[1] >= CTL_SC_TARGET_MAX)
		return false;
	memcpy(fp, f[0], n[0]);
	fp[n[0]] = 0;
	memcpy(target, f[1], n[1]);
	target[n[1]] = 0;
	if (memchr(target, 0, n[1]) || memchr(fp, 0, n[0]))
		return false;
	if (!parse_hex64(f[2], n[2], &epoch) || !parse_dec(f[3], n[3], UINT32_MAX, &kinds) ||
	    !parse_dec(f[4], n[4], UINT64_MAX, &used))
		return false;
	struct ctl_sc_entry *old = NULL;
	if (ctl_sc_fp_ok(fp) && ctl_sc_target_ok(target))
		old = ctl_sc_find(t, fp, target);
	if (old && old->used > used)
		return true;    /* a duplicate: the more recent one stays */
	int err = ctl_sc_put(t, fp, target, epoch, (uint32_t)kinds, used, NULL);
	return err == TH_OK || err == TH_EFULL;   /* an entry, maybe too old to keep */
}

size_t ctl_sc_parse(struct ctl_sc_table *t, const char *buf, size_t len)
{
	size_t bad = 0, at = 0;
	while (at < len) {
		const char *nl = memchr(buf + at, '\n', len - at);
		if (!nl) {
			bad++;      /* no newline: cut short, not an entry */
			break;
		}
		size_t n = (size_t)(nl - (buf + at));
		if (n && buf[at] != '#' && !parse_line(t, buf + at, n))
			bad++;      /* not blank, not a comment, not an entry */
		at += n + 1;
	}
	return bad;
}

size_t ctl_sc_format(const struct ctl_sc_table *t, char *out, size_t cap)
{
	size_t need = 0;
	int w = snprintf(out, cap, "# theseusctl session cache: key-fingerprint host:port epoch "
			 "mac_kinds last-used (safe to delete)\n");
	need += w > 0 ? (size_t)w : 0;
	for (size_t i = 0; i < t->n; i++) {
		const struct ctl_sc_entry *e = &t->e[i];
		w = snprintf(need < cap ? out + need : NULL, need < cap ? cap - need : 0,
			     "%s %s %016llx %u %llu\n", e->fp, e->target,
			     (unsigned long long)e->epoch, e->mac_kinds,
			     (unsigned long long)e->used);
		need += w > 0 ? (size_t)w : 0;
	}
	if (cap && need >= cap)
		out[cap - 1] = 0;
	return need;
}
