/*
 * rollout_state.c - the --state file of a rollout: what it did to every host
 * it reached, so that --resume continues after an interruption and a stop
 * can return each host to the exact object it ran before.  Text, one line
 * per host, rewritten atomically (FILE.tmp + rename) after every change:
 *
 *   # theseusctl rollout state
 *   rollout 2 MODULE NEW_SHA256
 *   waves 1,10%,100%
 *   stopped WAVE                      (only once it stopped)
 *   HOST:PORT STATE OLD_VERSION OLD_SHA256
 *
 * One host line for every host of the rollout, in the order given, so that
 * a resume can check it has the same hosts and waves.  Version 1 (read,
 * never written) had no waves or stopped line and listed only the hosts
 * reached.  STATE is pending, swapping, done, failed or rolled_back
 * (pending: version 2 only); OLD_VERSION is
 * percent-escaped (bytes other than [A-Za-z0-9._+~] as %XX), "-" when the
 * module was not loaded; OLD_SHA256 is 64 hex digits or "-" (NEW_SHA256
 * itself for a host that ran the object before the rollout reached it).  The parser
 * checks every field's length and characters and names file and line.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "rollout.h"

#define STATE_FILE_MAX ((size_t)(CTL_MAX_HOSTS + 8) * ROLLOUT_STATE_LINE_MAX)

static const char *const state_names[] = {
	[RH_PENDING] = "pending", [RH_SWAPPING] = "swapping", [RH_DONE] = "done",
	[RH_FAILED] = "failed", [RH_ROLLED_BACK] = "rolled_back",
};

const char *rollout_state_name(enum rollout_host_state st)
{
	return (size_t)st < sizeof state_names / sizeof state_names[0] ? state_names[st] : "?";
}

void rollout_state_free(struct rollout_state *s)
{
	free(s->hosts);
	s->hosts = NULL;
	s->n = s->cap = 0;
}

const struct rollout_state_host *rollout_state_find(const struct rollout_state *s,
						    const char *label)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->hosts[i].label, label) == 0)
			return &s->hosts[i];
	return NULL;
}

struct rollout_state_host *rollout_state_host(struct rollout_state *s, const char *label)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->hosts[i].label, label) == 0)
			return &s->hosts[i];
	if (strlen(label) >= sizeof s->hosts[0].label)
		return NULL;
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 64;
		struct rollout_state_host *nh = realloc(s->hosts, cap * sizeof *nh);
		if (!nh)
			return NULL;
		s->hosts = nh;
		s->cap = cap;
	}
	struct rollout_state_host *h = &s->hosts[s->n++];
	memset(h, 0, sizeof *h);
	snprintf(h->label, sizeof h->label, "%s", label);
	return h;
}

static bool is_hex64(const char *s, size_t len)
{
	if (len != 2 * PROTO_SHA256_LEN)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static bool plain(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '+' || c == '~';
}

static void escape(const char *s, char *out, size_t cap)
{
	size_t o = 0;
	if (!s[0]) {
		snprintf(out, cap, "-");
		return;
	}
	for (; *s && o + 4 < cap; s++) {
		unsigned char c = (unsigned char)*s;
		if (plain(c))
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, cap - o, "%%%02X", c);
	}
	out[o] = 0;
}

/* Decodes a percent-escaped field of len bytes into out (cap incl. NUL). */
static bool unescape(const char *s, size_t len, char *out, size_t cap)
{
	size_t o = 0;
	if (len == 1 && s[0] == '-') {
		out[0] = 0;
		return true;
	}
	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)s[i];
		if (c == '%') {
			if (i + 2 >= len)
				return false;
			int hi = proto_hex_digit(s[i + 1]), lo = proto_hex_digit(s[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				return false;
			c = hi * 16 + lo;
			i += 2;
		} else if (!plain((unsigned char)c)) {
			return false;
		}
		if (o + 1 >= cap)
			return false;
		out[o++] = (char)c;
	}
	out[o] = 0;
	return true;
}

/* Splits line (len bytes) at blanks into at most max fields. */
static size_t split(const char *line, size_t len, const char **f, size_t *flen, size_t max)
{
	size_t n = 0, i = 0;
	while (i < len) {
		while (i < len && (line[i] == ' ' || line[i] == '\t'))
			i++;
		if (i == len)
			break;
		size_t start = i;
		while (i < len && line[i] != ' ' && line[i] != '\t')
			i++;
		if (n == max)
			return max + 1;
		f[n] = line + start;
		flen[n++] = i - start;
	}
	return n;
}

static bool field_is(const char *f, size_t len, const char *word)
{
	return strlen(word) == len && memcmp(f, word, len) == 0;
}

int rollout_state_parse(const char *name, const char *text, size_t len, struct rollout_state *s,
			struct th_errbuf *eb)
{
	size_t at = 0, lineno = 0;
	bool header = false;
	memset(s, 0, sizeof *s);
	if (len > STATE_FILE_MAX)
		return th_errf(eb, TH_ETOOBIG, "%s: larger than %zu bytes: not a rollout state file",
			       name, STATE_FILE_MAX);
	while (at < len) {
		const char *line = text + at;
		const char *nl = memchr(line, '\n', len - at);
		size_t ll = nl ? (size_t)(nl - line) : len - at;
		at += ll + (nl ? 1 : 0);
		lineno++;
		if (ll > ROLLOUT_STATE_LINE_MAX)
			goto bad_len;
		if (memchr(line, 0, ll))
			goto bad;
		const char *f[5];
		size_t fl[5];
		size_t nf = split(line, ll, f, fl, 4);
		if (nf == 0 || f[0][0] == '#')
			continue;
		if (!header) {
			bool v1 = nf == 4 && field_is(f[1], fl[1], "1");
			bool v2 = nf == 4 && field_is(f[1], fl[1], "2");
			if (nf != 4 || !field_is(f[0], fl[0], "rollout") || !(v1 || v2))
				return th_errf(eb, TH_EINVAL, "%s:%zu: not a rollout state file (want "
					       "\"rollout 2 MODULE SHA256\")", name, lineno);
			s->version = v2 ? 2 : 1;
			if (fl[2] == 0 || fl[2] >= sizeof s->module)
				return th_errf(eb, TH_EINVAL, "%s:%zu: module name of %zu bytes",
					       name, lineno, fl[2]);
			if (!is_hex64(f[3], fl[3]))
				return th_errf(eb, TH_EINVAL, "%s:%zu: object hash is not 64 hex digits",
					       name, lineno);
			memcpy(s->module, f[2], fl[2]);
			s->module[fl[2]] = 0;
			memcpy(s->new_hash, f[3], fl[3]);
			s->new_hash[fl[3]] = 0;
			header = true;
			continue;
		}
		if (s->version >= 2 && nf == 2 && field_is(f[0], fl[0], "waves")) {
			bool ok = fl[1] <= ROLLOUT_SPEC_MAX;
			for (size_t i = 0; ok && i < fl[1]; i++)
				ok = (f[1][i] >= '0' && f[1][i] <= '9') || f[1][i] == ',' ||
				     f[1][i] == '%';
			if (!ok) {
				th_errf(eb, TH_EINVAL, "%s:%zu: waves is not a --waves list", name,
					lineno);
				goto fail;
			}
			memcpy(s->waves, f[1], fl[1]);
			s->waves[fl[1]] = 0;
			continue;
		}
		if (s->version >= 2 && nf == 2 && field_is(f[0], fl[0], "stopped")) {
			size_t w = 0;
			for (size_t i = 0; i < fl[1] && i < 3 && f[1][i] >= '0' && f[1][i] <= '9'; i++)
				w = w * 10 + (size_t)(f[1][i] - '0');
			if (fl[1] > 3 || w == 0 || w > ROLLOUT_MAX_WAVES + 1) {
				th_errf(eb, TH_EINVAL, "%s:%zu: stopped is not a wave number", name,
					lineno);
				goto fail;
			}
			s->stopped_wave = w;
			continue;
		}
		if (nf != 4) {
			th_errf(eb, TH_EINVAL, "%s:%zu: want HOST:PORT STATE OLD_VERSION OLD_SHA256 "
				"(%zu fields)", name, lineno, nf > 4 ? (size_t)5 : nf);
			goto fail;
		}
		char label[280];
		if (fl[0] >= sizeof label || !memchr(f[0], ':', fl[0])) {
			th_errf(eb, TH_EINVAL, "%s:%zu: host is not HOST:PORT (or longer than %zu)",
				name, lineno, sizeof label - 1);
			goto fail;
		}
		memcpy(label, f[0], fl[0]);
		label[fl[0]] = 0;
		int st = -1;
		for (size_t k = s->version >= 2 ? RH_PENDING : RH_SWAPPING; k <= RH_ROLLED_BACK; k++)
			if (field_is(f[1], fl[1], state_names[k]))
				st = (int)k;
		if (st < 0) {
			th_errf(eb, TH_EINVAL, "%s:%zu: state \"%.*s\" is none of %sswapping, done, "
				"failed, rolled_back", name, lineno, (int)(fl[1] > 20 ? 20 : fl[1]), f[1],
				s->version >= 2 ? "pending, " : "");
			goto fail;
		}
		if (rollout_state_find(s, label)) {
			th_errf(eb, TH_EINVAL, "%s:%zu: host %s listed twice", name, lineno, label);
			goto fail;
		}
		struct rollout_state_host tmp;
		memset(&tmp, 0, sizeof tmp);
		if (!unescape(f[2], fl[2], tmp.old_version, sizeof tmp.old_version)) {
			th_errf(eb, TH_EINVAL, "%s:%zu: old version is badly escaped or longer than "
				"%d bytes", name, lineno, PROTO_VERSION_MAX - 1);
			goto fail;
		}
		if (!(fl[3] == 1 && f[3][0] == '-') && !is_hex64(f[3], fl[3])) {
			th_errf(eb, TH_EINVAL, "%s:%zu: old hash is neither 64 hex digits nor -",
				name, lineno);
			goto fail;
		}
		if (f[3][0] != '-')
			memcpy(tmp.old_hash, f[3], fl[3]);
		struct rollout_state_host *h = rollout_state_host(s, label);
		if (!h) {
			th_errf(eb, TH_ENOMEM, "%s: out of memory", name);
			goto fail;
		}
		memcpy(h->old_version, tmp.old_version, sizeof h->old_version);
		memcpy(h->old_hash, tmp.old_hash, sizeof h->old_hash);
		h->st = (enum rollout_host_state)st;
	}
	if (!header)
		return th_errf(eb, TH_EINVAL, "%s: empty: not a rollout state file", name);
	return TH_OK;
bad_len:
	th_errf(eb, TH_EINVAL, "%s:%zu: line longer than %d bytes", name, lineno,
		ROLLOUT_STATE_LINE_MAX);
	goto fail;
bad:
	th_errf(eb, TH_EINVAL, "%s:%zu: NUL byte", name, lineno);
fail:
	rollout_state_free(s);
	return TH_EINVAL;
}

int rollout_state_load(const char *path, struct rollout_state *s, struct th_errbuf *eb)
{
	memset(s, 0, sizeof *s);
	FILE *f = fopen(path, "rb");
	if (!f) {
		if (errno == ENOENT)
			return th_errf(eb, TH_ENOENT, "%s: no such file", path);
		return th_errf(eb, TH_EIO, "%s: %s", path, strerror(errno));
	}
	char *buf = malloc(STATE_FILE_MAX + 1);
	if (!buf) {
		fclose(f);
		return th_errf(eb, TH_ENOMEM, "%s: out of memory", path);
	}
	size_t n = fread(buf, 1, STATE_FILE_MAX + 1, f);
	int rd_errno = errno;
	bool rd_err = ferror(f);
	fclose(f);
	int err = rd_err ? th_errf(eb, TH_EIO, "%s: %s", path, strerror(rd_errno))
			 : rollout_state_parse(path, buf, n, s, eb);
	free(buf);
	return err;
}

/* Appends label to out (cap bytes) as part of a list: at most 8 named. */
static void list_add(char *out, size_t cap, size_t *count, const char *label)
{
	size_t l = strlen(out);
	if (*count < 8)
		snprintf(out + l, cap - l, "%s%s", *count ? ", " : "", label);
	else if (*count == 8)
		snprintf(out + l, cap - l, ", ...");
	(*count)++;
}

int rollout_state_same_hosts(const struct rollout_state *s, const char *path,
			     const char *const *labels, size_t n, struct th_errbuf *eb)
{
	char gone[400] = "", added[400] = "";
	size_t ngone = 0, nadded = 0;
	for (size_t i = 0; i < s->n; i++) {
		size_t k;
		for (k = 0; k < n && strcmp(labels[k], s->hosts[i].label) != 0; k++)
			;
		if (k == n)
			list_add(gone, sizeof gone, &ngone, s->hosts[i].label);
	}
	if (s->version >= 2)
		for (size_t k = 0; k < n; k++)
			if (!rollout_state_find(s, labels[k]))
				list_add(added, sizeof added, &nadded, labels[k]);
	if (ngone || nadded)
		return th_errf(eb, TH_ECONFLICT, "%s records a rollout over other hosts: %s%s%s%s%s "
			       "(resume it with the same -H / --hosts, or use another --state file)",
			       path, ngone ? "not given now: " : "", gone,
			       ngone && nadded ? "; " : "", nadded ? "not in it: " : "", added);
	if (s->version >= 2) {
		for (size_t k = 0; k < n; k++)
			if (strcmp(labels[k], s->hosts[k].label) != 0)
				return th_errf(eb, TH_ECONFLICT, "%s records the same hosts in another "
					       "order (host %zu was %s, now %s): the waves would take "
					       "others; give them in its order", path, k + 1,
					       s->hosts[k].label, labels[k]);
	}
	return TH_OK;
}

void rollout_state_format(FILE *f, const struct rollout_state *s)
{
	fprintf(f, "# theseusctl rollout state: HOST:PORT STATE OLD_VERSION OLD_SHA256\n");
	fprintf(f, "rollout 2 %s %s\n", s->module, s->new_hash);
	if (s->waves[0])
		fprintf(f, "waves %s\n", s->waves);
	if (s->stopped_wave)
		fprintf(f, "stopped %zu\n", s->stopped_wave);
	for (size_t i = 0; i < s->n; i++) {
		const struct rollout_state_host *h = &s->hosts[i];
		char v[3 * PROTO_VERSION_MAX + 2];
		escape(h->old_version, v, sizeof v);
		fprintf(f, "%s %s %s %s\n", h->label, state_names[h->st], v,
			h->old_hash[0] ? h->old_hash : "-");
	}
}

int rollout_state_save(const char *path, const struct rollout_state *s, struct th_errbuf *eb)
{
	char tmp[600];
	if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp)
		return th_errf(eb, TH_ERANGE, "%s: path too long", path);
	FILE *f = fopen(tmp, "w");
	if (!f)
		return th_errf(eb, TH_EIO, "%s: %s", tmp, strerror(errno));
	rollout_state_format(f, s);
	bool bad = ferror(f) != 0;
	if (fflush(f) != 0)
		bad = true;
	if (fclose(f) != 0)
		bad = true;
	if (bad || rename(tmp, path) != 0) {
		int e = errno;
		unlink(tmp);
		return th_errf(eb, TH_EIO, "%s: cannot write: %s", path, strerror(e));
	}
	return TH_OK;
}
