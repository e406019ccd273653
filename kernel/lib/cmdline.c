/*
 * cmdline.c - parse the kernel command line (see cmdline.h).
 * Never reads past the terminating NUL; never writes past `cap`.
 */
#include "cmdline.h"

#include "klibc.h"

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

void cmdline_strip_image(const char *src, char *dst, size_t cap)
{
	if (!cap)
		return;
	dst[0] = '\0';
	if (!src)
		return;
	while (is_space(*src))
		src++;
	/* The first word is the image if it has no '=' and looks like a path or URI. */
	const char *end = src;
	bool has_eq = false, pathy = false;
	while (*end && !is_space(*end)) {
		if (*end == '=')
			has_eq = true;
		if (*end == '/' || *end == ':' || *end == '.')
			pathy = true;
		end++;
	}
	if (!has_eq && pathy) {
		src = end;
		while (is_space(*src))
			src++;
	}
	size_t n = strnlen(src, cap - 1);
	memcpy(dst, src, n);
	dst[n] = '\0';
	while (n && is_space(dst[n - 1]))
		dst[--n] = '\0';
}

/* Find the word for key; *val points after '=' (or NULL for a bare flag). */
static bool find(const char *s, const char *key, const char **val, size_t *vlen)
{
	size_t klen = strlen(key);
	if (!s || !klen)
		return false;
	bool found = false;
	while (*s) {
		while (is_space(*s))
			s++;
		const char *w = s;
		while (*s && !is_space(*s))
			s++;
		size_t wlen = (size_t)(s - w);
		if (wlen >= klen && memcmp(w, key, klen) == 0) {
			if (wlen == klen) {
				*val = NULL;
				*vlen = 0;
				found = true; /* the last occurrence wins */
			} else if (w[klen] == '=') {
				*val = w + klen + 1;
				*vlen = wlen - klen - 1;
				found = true;
			}
		}
	}
	return found;
}

int cmdline_get(const char *cmdline, const char *key, char *out, size_t cap)
{
	const char *v;
	size_t n;
	if (!out || !cap)
		return TH_EINVAL;
	out[0] = '\0';
	if (!find(cmdline, key, &v, &n))
		return TH_ENOENT;
	if (!v)
		return TH_EINVAL;
	if (n + 1 > cap)
		return TH_ETOOBIG;
	memcpy(out, v, n);
	out[n] = '\0';
	return TH_OK;
}

bool cmdline_has(const char *cmdline, const char *key)
{
	const char *v;
	size_t n;
	return find(cmdline, key, &v, &n);
}

int cmdline_get_uint(const char *cmdline, const char *key, uint64_t def,
		     uint64_t min, uint64_t max, uint64_t *out)
{
	char buf[24];
	int err = cmdline_get(cmdline, key, buf, sizeof buf);
	if (err == TH_ENOENT) {
		*out = def;
		return TH_OK;
	}
	if (err == TH_ETOOBIG)
		return TH_ERANGE;
	if (err)
		return err;
	if (!buf[0])
		return TH_EINVAL;
	uint64_t v = 0;
	for (const char *p = buf; *p; p++) {
		if (*p < '0' || *p > '9')
			return TH_EINVAL;
		if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return TH_ERANGE;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (v < min || v > max)
		return TH_ERANGE;
	*out = v;
	return TH_OK;
}

void cmdline_redact(const char *src, char *dst, size_t cap)
{
	size_t o = 0;
	if (!cap)
		return;
	while (src && *src && o + 1 < cap) {
		bool word_start = o == 0 || is_space(dst[o - 1]);
		if (word_start && !strncmp(src, "key=", 4)) {
			const char *mask = "key=<set>";
			while (*mask && o + 1 < cap)
				dst[o++] = *mask++;
			src += 4;
			while (*src && !is_space(*src))
				src++;
			continue;
		}
		dst[o++] = *src++;
	}
	dst[o] = '\0';
}
