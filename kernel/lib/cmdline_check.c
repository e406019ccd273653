/*
 * cmdline_check.c - name the command-line words the kernel would ignore
 * in silence (see cmdline_check() in cmdline.h): unknown options, repeated
 * ones, values a flag does not take, values outside an option's list.
 * Each option's user still reads and checks its own value; this pass only
 * makes sure that a typo never goes unreported.  And cmdline_show(): the
 * command line as the console and the log may show it, with no key in it,
 * not even a mistyped one.  Builds for the host too.
 */
#include "cmdline.h"

#include "klibc.h"

#define SHOW_MAX 40 /* characters of a key or value quoted in a message */

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* One word: [w, w+len); its key is [w, w+klen), its value follows '=' if has_val. */
struct word {
	const char *w;
	size_t len, klen;
	bool has_val;
};

static const char *next_word(const char *s, struct word *out)
{
	while (is_space(*s))
		s++;
	out->w = s;
	while (*s && !is_space(*s))
		s++;
	out->len = (size_t)(s - out->w);
	out->klen = 0;
	while (out->klen < out->len && out->w[out->klen] != '=')
		out->klen++;
	out->has_val = out->klen < out->len;
	return s;
}

static const struct cmdline_option *lookup(const struct cmdline_option *opts, size_t n,
					   const struct word *w)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(opts[i].key) == w->klen && !memcmp(opts[i].key, w->w, w->klen))
			return &opts[i];
	return NULL;
}

/* Is [v, v+vlen) one of the '|'-separated names in list? */
static bool in_list(const char *list, const char *v, size_t vlen)
{
	while (*list) {
		const char *end = list;
		while (*end && *end != '|')
			end++;
		if ((size_t)(end - list) == vlen && !memcmp(list, v, vlen))
			return true;
		list = *end ? end + 1 : end;
	}
	return false;
}

/* "a|b|c" as "a, b or c" into buf. */
static void format_list(const char *list, char *buf, size_t cap)
{
	size_t o = 0, names = 1;
	for (const char *p = list; *p; p++)
		names += *p == '|';
	for (size_t i = 0; *list && o + 1 < cap; i++) {
		const char *end = list;
		while (*end && *end != '|')
			end++;
		const char *sep = i == 0 ? "" : i + 1 == names ? " or " : ", ";
		o += (size_t)snprintf(buf + o, cap - o, "%s%.*s", sep, (int)(end - list), list);
		list = *end ? end + 1 : end;
	}
}

/* Up to SHOW_MAX bytes of [s, s+len) into buf (SHOW_MAX + 1), quotable on a
 * console: control bytes as '?'. */
static const char *quotable(char *buf, const char *s, size_t len)
{
	size_t n = len < SHOW_MAX ? len : SHOW_MAX;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		buf[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	buf[n] = '\0';
	return buf;
}

/* How many words before `w` in cmdline have its key. */
static size_t earlier_count(const char *cmdline, const struct word *w)
{
	size_t count = 0;
	struct word o;
	for (const char *s = cmdline; *s;) {
		s = next_word(s, &o);
		if (o.w >= w->w)
			break;
		if (o.len && o.klen == w->klen && !memcmp(o.w, w->w, w->klen))
			count++;
	}
	return count;
}

/* 16 or more hex digits: key material, perhaps a key without its key=. */
static bool hexish(const char *w, size_t len)
{
	if (len < 16)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((w[i] >= '0' && w[i] <= '9') || (w[i] >= 'a' && w[i] <= 'f') ||
		      (w[i] >= 'A' && w[i] <= 'F')))
			return false;
	return true;
}

void cmdline_show(const char *src, char *dst, size_t cap, const struct cmdline_option *opts,
		  size_t n)
{
	size_t o = 0;
	if (!cap)
		return;
	while (src && *src && o + 1 < cap) {
		if (is_space(*src)) {   /* one line: a tab or newline shows as a space */
			dst[o++] = ' ';
			src++;
			continue;
		}
		struct word w;
		const char *next = next_word(src, &w);
		const struct cmdline_option *opt = w.klen ? lookup(opts, n, &w) : NULL;
		size_t keep = w.len;
		const char *mask = "";
		if (opt && !strcmp(opt->key, "key") && w.has_val) {
			keep = w.klen + 1;
			mask = "<set>";
		} else if (!opt && hexish(w.w, w.klen)) {
			keep = 0;
			mask = "<hidden>";
		} else if (!opt && w.has_val) {
			keep = w.klen + 1;
			mask = "<hidden>";
		}
		for (size_t i = 0; i < keep && o + 1 < cap; i++) {
			unsigned char c = (unsigned char)w.w[i];
			dst[o++] = c < 0x20 || c == 0x7f ? '?' : (char)c;   /* no terminal controls */
		}
		while (*mask && o + 1 < cap)
			dst[o++] = *mask++;
		src = next;
	}
	dst[o] = '\0';
}

size_t cmdline_check(const char *cmdline, const struct cmdline_option *opts, size_t n,
		     void (*report)(void *ctx, const char *msg), void *ctx)
{
	char msg[160], list[96], q[SHOW_MAX + 1];
	size_t problems = 0;
	struct word w;
	if (!cmdline || !report)
		return 0;
	for (const char *s = cmdline; *s;) {
		s = next_word(s, &w);
		if (!w.len)
			continue;
		const struct cmdline_option *o = lookup(opts, n, &w);
		const char *v = w.has_val ? w.w + w.klen + 1 : "";
		size_t vlen = w.has_val ? w.len - w.klen - 1 : 0;
		msg[0] = '\0';
		if (!w.klen) {
			snprintf(msg, sizeof msg, "a word with no option name ('=...') ignored");
		} else if (!o && hexish(w.w, w.klen)) {
			snprintf(msg, sizeof msg, "an unknown word of %zu hex digits ignored (not shown: "
				 "a key goes in key=)", w.klen);
		} else if (!o) {
			/* Only the key: a mistyped key= must not show the key. */
			snprintf(msg, sizeof msg, "unknown option '%s' ignored (the options are in "
				 "the README, \"Booting\")", quotable(q, w.w, w.klen));
		} else if (earlier_count(cmdline, &w) == 1) {
			snprintf(msg, sizeof msg, "%s given more than once: the last one counts", o->key);
		}
		if (msg[0]) {
			report(ctx, msg);
			problems++;
		}
		if (!o || !o->values)
			continue;
		msg[0] = '\0';
		if (!o->values[0]) {
			if (w.has_val)
				snprintf(msg, sizeof msg, "%s=%s: %s takes no value; taken as %s", o->key,
					 quotable(q, v, vlen), o->key, o->key);
		} else if (!strcmp(o->values, "*")) {
			if (!w.has_val || !vlen)
				snprintf(msg, sizeof msg, "%s needs a value (%s=...); ignored", o->key,
					 o->key);
		} else if (!w.has_val || !in_list(o->values, v, vlen)) {
			format_list(o->values, list, sizeof list);
			snprintf(msg, sizeof msg, "%s%s%s: the value must be %s; ignored", o->key,
				 w.has_val ? "=" : "", quotable(q, v, vlen), list);
		}
		if (msg[0]) {
			report(ctx, msg);
			problems++;
		}
	}
	return problems;
}
