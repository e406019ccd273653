/*
 * session_store.c - the session cache's file (ctl/session_cache.h): where
 * it is, reading it without trusting it, and rewriting it atomically.
 *
 * One struct ctl_sc per process, shared by the fleet's threads under a
 * mutex.  Reading: opened non-blocking (a fifo in its place never blocks),
 * used only when it is a regular file of at most CTL_SC_FILE_MAX bytes,
 * parsed by ctl_sc_parse (bad lines ignored).  Writing (ctl_sc_flush):
 * the file is read again, this process's entries are put over it (so
 * another process's hosts stay, and so do this process's earlier ones),
 * and the result goes to a fresh temp file (mkstemp, 0600) in the same
 * directory, renamed over the file: a reader sees the old file or the new
 * one, never half of one; of two writers the last one wins.  A directory
 * or other non-regular file in the file's place is left alone.  Nothing
 * here fails a command: a cache that cannot be read is empty, one that
 * cannot be written is said once on stderr and then left alone.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bearssl_hmac.h>

#include "session_cache.h"

struct ctl_sc {
	pthread_mutex_t lock;
	struct ctl_sc_table t;
	char path[4096];
	bool dirty;        /* an entry of ours changed since the last write */
	bool broken;       /* a write failed: said once, not tried again */
	bool trace;
};

bool ctl_sc_path(char *out, size_t cap)
{
	const char *v = getenv("THESEUS_SESSION_CACHE");
	int n;
	if (v && *v) {
		if (strcmp(v, "off") == 0)
			return false;
		n = snprintf(out, cap, "%s", v);
	} else if ((v = getenv("XDG_CACHE_HOME")) && *v == '/') {
		n = snprintf(out, cap, "%s/theseusctl/sessions", v);
	} else if ((v = getenv("HOME")) && *v) {
		n = snprintf(out, cap, "%s/.cache/theseusctl/sessions", v);
	} else {
		return false;
	}
	return n > 0 && (size_t)n < cap;
}

void ctl_sc_fingerprint(const uint8_t key[32], char fp[CTL_SC_FP_LEN + 1])
{
	static const char label[] = "THS-cache-id";
	br_hmac_key_context kc;
	br_hmac_context hc;
	uint8_t mac[32];
	br_hmac_key_init(&kc, &br_sha256_vtable, key, 32);
	br_hmac_init(&hc, &kc, 0);
	br_hmac_update(&hc, label, sizeof label - 1);
	br_hmac_out(&hc, mac);
	for (int i = 0; i < CTL_SC_FP_LEN / 2; i++)
		snprintf(fp + 2 * i, 3, "%02x", mac[i]);
	memset(&kc, 0, sizeof kc);
	memset(&hc, 0, sizeof hc);
}

/* The file's entries added to t (nothing when it is missing, not a
 * regular file, too big or unreadable).  Returns the bad lines. */
static size_t load(const char *path, struct ctl_sc_table *t, bool trace)
{
	struct stat st;
	size_t bad = 0;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return 0;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > CTL_SC_FILE_MAX) {
		if (trace)
			fprintf(stderr, "theseusctl: trace: session cache %s: not a regular file "
				"of at most %d bytes: ignored\n", path, CTL_SC_FILE_MAX);
		close(fd);
		return 0;
	}
	char *buf = malloc(CTL_SC_FILE_MAX + 1);
	size_t len = 0;
	while (buf && len <= CTL_SC_FILE_MAX) {
		ssize_t got = read(fd, buf + len, CTL_SC_FILE_MAX + 1 - len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		len += (size_t)got;
	}
	close(fd);
	if (buf && len <= CTL_SC_FILE_MAX)
		bad = ctl_sc_parse(t, buf, len);   /* grown since fstat: ignored */
	free(buf);
	return bad;
}

struct ctl_sc *ctl_sc_open(const char *path, bool trace)
{
	struct ctl_sc *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	pthread_mutex_init(&c->lock, NULL);
	snprintf(c->path, sizeof c->path, "%s", path);
	c->trace = trace;
	size_t bad = load(c->path, &c->t, trace);
	if (trace)
		fprintf(stderr, "theseusctl: trace: session cache %s: %zu entries, %zu bad lines "
			"ignored\n", c->path, c->t.n, bad);
	return c;
}

static uint64_t now_s(void)
{
	return (uint64_t)time(NULL);
}

bool ctl_sc_lookup(struct ctl_sc *c, const char *fp, const char *target, uint64_t *epoch,
		   uint32_t *mac_kinds)
{
	bool hit = false;
	if (!c)
		return false;
	pthread_mutex_lock(&c->lock);
	struct ctl_sc_entry *e = ctl_sc_find(&c->t, fp, target);
	if (e) {
		*epoch = e->epoch;
		*mac_kinds = e->mac_kinds;
		uint64_t now = now_s();
		if (now > e->used + CTL_SC_TOUCH_S || now < e->used) {
			e->used = now;   /* LRU: in use (written back, not every time) */
			e->mine = true;
			c->dirty = true;
		}
		hit = true;
	}
	pthread_mutex_unlock(&c->lock);
	return hit;
}

void ctl_sc_learn(struct ctl_sc *c, const char *fp, const char *target, uint64_t epoch,
		  uint32_t mac_kinds)
{
	struct ctl_sc_entry *e;
	if (!c || !epoch)
		return;
	pthread_mutex_lock(&c->lock);
	e = ctl_sc_find(&c->t, fp, target);
	if (!e || e->epoch != epoch || e->mac_kinds != mac_kinds) {
		if (ctl_sc_put(&c->t, fp, target, epoch, mac_kinds, now_s(), &e) == TH_OK) {
			e->mine = true;
			c->dirty = true;
		}
	}
	pthread_mutex_unlock(&c->lock);
}

/* mkdir -p of path's directory, new directories 0700. */
static int make_dirs(const char *path)
{
	char d[4096];
	snprintf(d, sizeof d, "%s", path);
	char *slash = strrchr(d, '/');
	if (!slash || slash == d)
		return TH_OK;
	*slash = 0;
	for (char *p = d + 1; ; p++) {
		if (*p != '/' && *p)
			continue;
		char was = *p;
		*p = 0;
		if (mkdir(d, 0700) != 0 && errno != EEXIST)
			return TH_EIO;
		*p = was;
		if (!was)
			break;
	}
	return TH_OK;
}

/* The new file's text for fresh (the file as now) + our entries. */
static char *merged_text(struct ctl_sc *c, struct ctl_sc_table *fresh, size_t *len)
{
	for (size_t i = 0; i < c->t.n; i++) {
		const struct ctl_sc_entry *e = &c->t.e[i];
		struct ctl_sc_entry *ne = NULL;
		if (e->mine && ctl_sc_put(fresh, e->fp, e->target, e->epoch, e->mac_kinds,
					  e->used, &ne) == TH_OK)
			ne->mine = true;
	}
	size_t need = ctl_sc_format(fresh, NULL, 0);
	char *buf = malloc(need + 1);
	if (buf)
		*len = ctl_sc_format(fresh, buf, need + 1);
	return buf;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t w = write(fd, buf, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return TH_EIO;
		buf += w;
		len -= (size_t)w;
	}
	return TH_OK;
}

static int replace_file(struct ctl_sc *c, const char *text, size_t len, const char **why)
{
	char tmp[4096 + 16];
	struct stat st;
	if (lstat(c->path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode)) {
		*why = "not a regular file (left alone)";
		return TH_EINVAL;
	}
	if (make_dirs(c->path) != TH_OK) {
		*why = strerror(errno);   /* mkdir's */
		return TH_EIO;
	}
	snprintf(tmp, sizeof tmp, "%s.XXXXXX", c->path);
	int fd = mkstemp(tmp);    /* 0600, in the file's own directory */
	if (fd < 0) {
		*why = strerror(errno);
		return TH_EIO;
	}
	int err = write_all(fd, text, len), e = errno;
	if (close(fd) != 0 && !err) {
		err = TH_EIO;
		e = errno;
	}
	if (err == TH_OK && rename(tmp, c->path) != 0) {
		err = TH_EIO;
		e = errno;
	}
	if (err) {
		*why = e ? strerror(e) : "short write";
		unlink(tmp);
	}
	return err;
}

static int flush(struct ctl_sc *c)
{
	int err = TH_OK;
	const char *why = "";
	if (!c)
		return TH_OK;
	pthread_mutex_lock(&c->lock);
	if (!c->dirty || c->broken)
		goto out;
	struct ctl_sc_table *fresh = calloc(1, sizeof *fresh);
	if (!fresh) {
		err = TH_ENOMEM;
		goto out;
	}
	load(c->path, fresh, false);
	size_t len = 0;
	char *text = merged_text(c, fresh, &len);
	if (!text) {
		err = TH_ENOMEM;
	} else {
		err = replace_file(c, text, len, &why);
		if (err) {
			c->broken = true;
			fprintf(stderr, "theseusctl: session cache %s: cannot write it: %s (commands "
				"work without it; THESEUS_SESSION_CACHE=off or --no-session-cache "
				"silence this)\n", c->path, why);
		} else {
			c->t = *fresh;   /* now also what other processes wrote */
			c->dirty = false;
			if (c->trace)
				fprintf(stderr, "theseusctl: trace: session cache %s: %zu entries "
					"written\n", c->path, c->t.n);
		}
	}
	free(text);
	free(fresh);
out:
	pthread_mutex_unlock(&c->lock);
	return err;
}

int ctl_sc_flush(struct ctl_sc *c)
{
	return flush(c);
}

void ctl_sc_close(struct ctl_sc *c)
{
	if (!c)
		return;
	flush(c);   /* a failure was said there */
	pthread_mutex_destroy(&c->lock);
	free(c);
}
