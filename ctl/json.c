/*
 * json.c - the JSON writer behind --json: a growable buffer with nesting
 * and commas handled, and string escaping that always yields valid JSON
 * (control bytes and bytes >= 0x80 become \u00XX, so arbitrary bytes such
 * as log text or invoke output survive as text).
 */
#include <stdarg.h>
#include <stdlib.h>

#include "klibc.h"
#include "ctl.h"

size_t ctl_json_escape(const char *s, size_t n, char *out, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	size_t need = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char tmp[7];
		size_t k = 0;
		if (c == '"' || c == '\\') {
			tmp[k++] = '\\';
			tmp[k++] = (char)c;
		} else if (c == '\n') {
			tmp[k++] = '\\';
			tmp[k++] = 'n';
		} else if (c == '\t') {
			tmp[k++] = '\\';
			tmp[k++] = 't';
		} else if (c == '\r') {
			tmp[k++] = '\\';
			tmp[k++] = 'r';
		} else if (c < 0x20 || c >= 0x7f) {
			tmp[k++] = '\\';
			tmp[k++] = 'u';
			tmp[k++] = '0';
			tmp[k++] = '0';
			tmp[k++] = hex[c >> 4];
			tmp[k++] = hex[c & 15];
		} else {
			tmp[k++] = (char)c;
		}
		for (size_t m = 0; m < k; m++, need++)
			if (cap && need < cap - 1)
				out[need] = tmp[m];
	}
	if (cap)
		out[need < cap ? need : cap - 1] = 0;
	return need;
}

static void put(struct ctl_json *j, const char *s, size_t n)
{
	if (j->oom)
		return;
	if (j->len + n + 1 > j->cap) {
		size_t cap = j->cap ? j->cap : 256;
		while (cap < j->len + n + 1)
			cap *= 2;
		char *nb = realloc(j->buf, cap);
		if (!nb) {
			j->oom = true;
			return;
		}
		j->buf = nb;
		j->cap = cap;
	}
	memcpy(j->buf + j->len, s, n);
	j->len += n;
	j->buf[j->len] = 0;
}

static void puts_(struct ctl_json *j, const char *s)
{
	put(j, s, strlen(s));
}

static void put_escaped(struct ctl_json *j, const char *s, size_t n)
{
	size_t need = ctl_json_escape(s, n, NULL, 0);
	char *tmp = malloc(need + 1);
	if (!tmp) {
		j->oom = true;
		return;
	}
	ctl_json_escape(s, n, tmp, need + 1);
	put(j, "\"", 1);
	put(j, tmp, need);
	put(j, "\"", 1);
	free(tmp);
}

/* Comma and "key": before a value. */
static void key(struct ctl_json *j, const char *k)
{
	if (j->comma[j->depth])
		put(j, ",", 1);
	j->comma[j->depth] = true;
	if (k) {
		put_escaped(j, k, strlen(k));
		put(j, ":", 1);
	}
}

void ctl_json_reset(struct ctl_json *j)
{
	j->len = 0;
	j->depth = 0;
	j->oom = false;
	memset(j->comma, 0, sizeof j->comma);
	if (j->buf)
		j->buf[0] = 0;
}

void ctl_json_free(struct ctl_json *j)
{
	free(j->buf);
	memset(j, 0, sizeof *j);
}

const char *ctl_json_text(const struct ctl_json *j)
{
	return j->buf && !j->oom ? j->buf : "";
}

void ctl_json_str(struct ctl_json *j, const char *k, const char *s)
{
	key(j, k);
	put_escaped(j, s ? s : "", s ? strlen(s) : 0);
}

void ctl_json_bytes(struct ctl_json *j, const char *k, const void *s, size_t n)
{
	key(j, k);
	put_escaped(j, s, n);
}

static void number(struct ctl_json *j, const char *k, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void number(struct ctl_json *j, const char *k, const char *fmt, ...)
{
	char b[48];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(b, sizeof b, fmt, ap);
	va_end(ap);
	key(j, k);
	puts_(j, b);
}

void ctl_json_u64(struct ctl_json *j, const char *k, uint64_t v)
{
	number(j, k, "%llu", (unsigned long long)v);
}

void ctl_json_i64(struct ctl_json *j, const char *k, int64_t v)
{
	number(j, k, "%lld", (long long)v);
}

void ctl_json_double(struct ctl_json *j, const char *k, double v)
{
	number(j, k, "%.6g", v);
}

void ctl_json_bool(struct ctl_json *j, const char *k, bool v)
{
	key(j, k);
	puts_(j, v ? "true" : "false");
}

static void open_(struct ctl_json *j, const char *k, const char *c)
{
	key(j, k);
	puts_(j, c);
	if (j->depth < (int)(sizeof j->comma / sizeof j->comma[0]) - 1)
		j->depth++;
	else
		j->oom = true;  /* nested too deep: give up cleanly */
	j->comma[j->depth] = false;
}

static void close_(struct ctl_json *j, const char *c)
{
	if (j->depth > 0)
		j->depth--;
	puts_(j, c);
}

void ctl_json_obj_begin(struct ctl_json *j, const char *k) { open_(j, k, "{"); }
void ctl_json_obj_end(struct ctl_json *j) { close_(j, "}"); }
void ctl_json_arr_begin(struct ctl_json *j, const char *k) { open_(j, k, "["); }
void ctl_json_arr_end(struct ctl_json *j) { close_(j, "]"); }
