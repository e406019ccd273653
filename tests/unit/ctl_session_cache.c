/*
 * ctl_session_cache.c - host unit tests of theseusctl's session cache
 * (ctl/session_cache.c, ctl/session_store.c): the text format round trip;
 * hostile files (garbage, truncated lines, huge numbers, NUL bytes, no
 * final newline, 10 MB, a directory or a fifo in the file's place) are
 * ignored without a crash or a block; the LRU bound; two keys for one host
 * stay apart; rewrites are atomic (a reader holding the old file keeps it,
 * no temp file is left, concurrent writers never leave a bad line) and
 * keep what other processes and this one wrote; the file's location from
 * the environment; 0700 directory and 0600 file; the key fingerprint.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <dirent.h>
#include <unistd.h>

#include "check.h"
#include "session_cache.h"

static const char FP_A[] = "0123456789abcdef";
static const char FP_B[] = "fedcba9876543210";
static char dir[256];

static void path_in(char *out, size_t cap, const char *name)
{
	snprintf(out, cap, "%s/%s", dir, name);
}

static void write_file(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0);
	if (fd < 0)
		return;
	CHECK_EQ(write(fd, data, len), (long long)len);
	close(fd);
}

static size_t read_file(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, cap - 1);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	return n > 0 ? (size_t)n : 0;
}

/* Entries in the file at path (bad lines into *bad). */
static size_t file_entries(const char *path, size_t *bad)
{
	static struct ctl_sc_table t;
	static char buf[CTL_SC_FILE_MAX + 1];
	size_t n = read_file(path, buf, sizeof buf);
	t.n = 0;
	*bad = ctl_sc_parse(&t, buf, n);
	return t.n;
}

static void test_round_trip(void)
{
	static struct ctl_sc_table t, u;
	static char text[CTL_SC_FILE_MAX];
	struct ctl_sc_entry *e;
	t.n = u.n = 0;
	CHECK_EQ(ctl_sc_put(&t, FP_A, "127.0.0.1:7700", 0x8000000000000001ull, 3, 1795000000, &e),
		 TH_OK);
	CHECK_EQ(ctl_sc_put(&t, FP_A, "lab-box.example.org:7701", 42, 1, UINT64_MAX, NULL), TH_OK);
	CHECK_EQ(ctl_sc_put(&t, FP_B, "[::1]:7700", UINT64_MAX, UINT32_MAX, 0, NULL), TH_OK);
	size_t n = ctl_sc_format(&t, text, sizeof text);
	CHECK(n < sizeof text && n == strlen(text));
	CHECK_EQ(ctl_sc_parse(&u, text, n), 0);
	CHECK_EQ(u.n, 3);
	for (size_t i = 0; i < t.n; i++) {
		struct ctl_sc_entry *a = &t.e[i], *b = ctl_sc_find(&u, a->fp, a->target);
		CHECK(b != NULL);
		if (!b)
			continue;
		CHECK_EQ(b->epoch, a->epoch);
		CHECK_EQ(b->mac_kinds, a->mac_kinds);
		CHECK(b->used == a->used);
	}
	/* an update replaces, it does not add */
	CHECK_EQ(ctl_sc_put(&t, FP_A, "127.0.0.1:7700", 7, 0, 5, NULL), TH_OK);
	CHECK_EQ(t.n, 3);
	CHECK_EQ(ctl_sc_find(&t, FP_A, "127.0.0.1:7700")->epoch, 7);
	/* what cannot be written is refused */
	CHECK_EQ(ctl_sc_put(&t, FP_A, "has space:1", 1, 0, 0, NULL), TH_EINVAL);
	CHECK_EQ(ctl_sc_put(&t, FP_A, "", 1, 0, 0, NULL), TH_EINVAL);
	CHECK_EQ(ctl_sc_put(&t, FP_A, "h:1", 0, 0, 0, NULL), TH_EINVAL);
	CHECK_EQ(ctl_sc_put(&t, "0123456789ABCDEF", "h:1", 1, 0, 0, NULL), TH_EINVAL);
	CHECK_EQ(ctl_sc_put(&t, "0123", "h:1", 1, 0, 0, NULL), TH_EINVAL);
	/* a cut-short buffer is NUL-terminated and says what it needs */
	char small[40];
	CHECK_EQ(ctl_sc_format(&t, small, sizeof small), ctl_sc_format(&t, NULL, 0));
	CHECK_EQ(strlen(small), sizeof small - 1);
}

static void test_hostile_lines(void)
{
	static struct ctl_sc_table t;
	static const char *const bad[] = {
		"0123456789abcdef h:1 00000000000000aa 3\n",                 /* 4 fields */
		"0123456789abcdef h:1 00000000000000aa 3 5 6\n",             /* 6 fields */
		"0123456789abcdef h:1 00000000000000aa 3 5 \n",              /* trailing blank */
		"0123456789abcdef  h:1 00000000000000aa 3 5\n",              /* empty field */
		"0123456789abcde h:1 00000000000000aa 3 5\n",                /* short fp */
		"0123456789ABCDEF h:1 00000000000000aa 3 5\n",               /* upper case fp */
		"0123456789abcdef h:1 00000000000000ag 3 5\n",               /* not hex */
		"0123456789abcdef h:1 0000000000000aa 3 5\n",                /* 15 hex digits */
		"0123456789abcdef h:1 00000000000000000 3 5\n",              /* 17 hex digits */
		"0123456789abcdef h:1 0000000000000000 3 5\n",               /* epoch 0 */
		"0123456789abcdef h:1 00000000000000aa 4294967296 5\n",      /* kinds > 32 bits */
		"0123456789abcdef h:1 00000000000000aa 3 18446744073709551616\n", /* 2^64 */
		"0123456789abcdef h:1 00000000000000aa 3 99999999999999999999999\n",
		"0123456789abcdef h:1 00000000000000aa -3 5\n",
		"0123456789abcdef h#x:1 00000000000000aa 3 5\n",             /* '#' in target */
		"0123456789abcdef h\t:1 00000000000000aa 3 5\n",             /* control byte */
		"0123456789abcdef h\xff:1 00000000000000aa 3 5\n",           /* not ASCII */
		"garbage\n",
		" \n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		t.n = 0;
		CHECK_EQ(ctl_sc_parse(&t, bad[i], strlen(bad[i])), 1);
		CHECK_EQ(t.n, 0);
	}
	/* a NUL byte inside a field */
	const char nul[] = "0123456789abcdef h\0:1 00000000000000aa 3 5\n";
	t.n = 0;
	CHECK_EQ(ctl_sc_parse(&t, nul, sizeof nul - 1), 1);
	CHECK_EQ(t.n, 0);
	/* a line too long to be an entry */
	static char longl[CTL_SC_LINE_MAX + 100];
	memset(longl, 'a', sizeof longl);
	memcpy(longl, "0123456789abcdef ", 17);
	memcpy(longl + sizeof longl - 30, ":1 00000000000000aa 3 5\n", 24);
	t.n = 0;
	CHECK_EQ(ctl_sc_parse(&t, longl, sizeof longl - 6), 1);
	CHECK_EQ(t.n, 0);
	/* good lines around bad ones still count; the last one, without its
	 * newline, may be cut short: not an entry */
	const char mixed[] = "# comment\n\nxx\n0123456789abcdef h:1 00000000000000aa 3 5\n"
			     "\x01\x02\n0123456789abcdef h:2 00000000000000bb 1 6\n"
			     "0123456789abcdef h:3 00000000000000cc 3 7";
	t.n = 0;
	CHECK_EQ(ctl_sc_parse(&t, mixed, sizeof mixed - 1), 3);
	CHECK_EQ(t.n, 2);
	CHECK(ctl_sc_find(&t, FP_A, "h:1") && ctl_sc_find(&t, FP_A, "h:2"));
	CHECK(!ctl_sc_find(&t, FP_A, "h:3"));
	/* a duplicate: the more recently used stays */
	const char dup[] = "0123456789abcdef h:1 00000000000000aa 3 9\n"
			   "0123456789abcdef h:1 00000000000000bb 3 5\n"
			   "0123456789abcdef h:2 00000000000000aa 3 5\n"
			   "0123456789abcdef h:2 00000000000000bb 3 9\n";
	t.n = 0;
	CHECK_EQ(ctl_sc_parse(&t, dup, sizeof dup - 1), 0);
	CHECK_EQ(t.n, 2);
	CHECK_EQ(ctl_sc_find(&t, FP_A, "h:1")->epoch, 0xaa);
	CHECK_EQ(ctl_sc_find(&t, FP_A, "h:2")->epoch, 0xbb);
}

/* Opening the cache in each hostile case: empty, nothing read. */
static void test_hostile_files(void)
{
	char p[300];
	uint64_t epoch;
	uint32_t kinds;

	/* 10 MB of entries: ignored whole (and not read) */
	path_in(p, sizeof p, "big");
	const char line[] = "0123456789abcdef h:1 00000000000000aa 3 5\n";
	size_t ll = sizeof line - 1, n = (10u << 20) / ll;
	char *big = malloc(n * ll);
	CHECK(big != NULL);
	if (!big)
		return;
	for (size_t i = 0; i < n; i++)
		memcpy(big + i * ll, line, ll);
	write_file(p, big, n * ll);
	free(big);
	struct ctl_sc *c = ctl_sc_open(p, false);
	CHECK(c != NULL);
	CHECK(!ctl_sc_lookup(c, FP_A, "h:1", &epoch, &kinds));
	/* ... and replaced by the next write */
	ctl_sc_learn(c, FP_A, "h:9", 0x99, 3);
	CHECK_EQ(ctl_sc_flush(c), TH_OK);
	ctl_sc_close(c);
	size_t bad;
	CHECK_EQ(file_entries(p, &bad), 1);
	CHECK_EQ(bad, 0);

	/* random bytes */
	path_in(p, sizeof p, "junk");
	static char junk[100000];
	srandom(7);
	for (size_t i = 0; i < sizeof junk; i++)
		junk[i] = (char)random();
	write_file(p, junk, sizeof junk);
	c = ctl_sc_open(p, false);
	CHECK(c != NULL && !ctl_sc_lookup(c, FP_A, "h:1", &epoch, &kinds));
	ctl_sc_close(c);

	/* a directory in the file's place: not read, not replaced, said once */
	path_in(p, sizeof p, "adir");
	CHECK_EQ(mkdir(p, 0700), 0);
	c = ctl_sc_open(p, false);
	CHECK(c != NULL && !ctl_sc_lookup(c, FP_A, "h:1", &epoch, &kinds));
	ctl_sc_learn(c, FP_A, "h:1", 5, 3);
	CHECK(ctl_sc_flush(c) != TH_OK);
	CHECK_EQ(ctl_sc_flush(c), TH_OK);   /* not tried again */
	ctl_sc_close(c);
	struct stat st;
	CHECK(stat(p, &st) == 0 && S_ISDIR(st.st_mode));

	/* a fifo with no writer: opening the cache does not block */
	path_in(p, sizeof p, "fifo");
	CHECK_EQ(mkfifo(p, 0600), 0);
	alarm(10);   /* a block fails the test instead of hanging it */
	c = ctl_sc_open(p, false);
	CHECK(c != NULL && !ctl_sc_lookup(c, FP_A, "h:1", &epoch, &kinds));
	ctl_sc_learn(c, FP_A, "h:1", 5, 3);
	CHECK(ctl_sc_flush(c) != TH_OK);
	ctl_sc_close(c);
	alarm(0);
	CHECK(stat(p, &st) == 0 && S_ISFIFO(st.st_mode));

	/* a missing file in missing directories: made, 0700 and 0600 */
	char d1[300];
	path_in(d1, sizeof d1, "new");
	path_in(p, sizeof p, "new/theseusctl/sessions");
	c = ctl_sc_open(p, false);
	CHECK(c != NULL && !ctl_sc_lookup(c, FP_A, "h:1", &epoch, &kinds));
	ctl_sc_learn(c, FP_A, "h:1", 5, 3);
	ctl_sc_close(c);
	CHECK(stat(d1, &st) == 0 && (st.st_mode & 0777) == 0700);
	path_in(d1, sizeof d1, "new/theseusctl");
	CHECK(stat(d1, &st) == 0 && (st.st_mode & 0777) == 0700);
	CHECK(stat(p, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0777) == 0600);
	c = ctl_sc_open(p, false);
	CHECK(ctl_sc_lookup(c, FP_A, "h:1", &epoch, &kinds));
	CHECK_EQ(epoch, 5);
	CHECK_EQ(kinds, 3);
	ctl_sc_close(c);
}

static void test_lru_bound(void)
{
	static struct ctl_sc_table t;
	char target[32];
	t.n = 0;
	for (int i = 0; i < CTL_SC_MAX + 44; i++) {
		snprintf(target, sizeof target, "h%d:7700", i);
		CHECK_EQ(ctl_sc_put(&t, FP_A, target, (uint64_t)i + 1, 3, 1000 + (uint64_t)i,
				    NULL), TH_OK);
	}
	CHECK_EQ(t.n, CTL_SC_MAX);
	CHECK(!ctl_sc_find(&t, FP_A, "h0:7700") && !ctl_sc_find(&t, FP_A, "h43:7700"));
	CHECK(ctl_sc_find(&t, FP_A, "h44:7700") && ctl_sc_find(&t, FP_A, "h299:7700"));
	/* one used again is kept over an older one */
	ctl_sc_find(&t, FP_A, "h44:7700")->used = 5000;
	CHECK_EQ(ctl_sc_put(&t, FP_A, "new:1", 1, 3, 4000, NULL), TH_OK);
	CHECK(ctl_sc_find(&t, FP_A, "h44:7700") && !ctl_sc_find(&t, FP_A, "h45:7700"));
	/* a file of more entries keeps the most recently used ones */
	static char text[CTL_SC_FILE_MAX];
	static struct ctl_sc_table big, u;
	big.n = 0;
	for (int i = 0; i < CTL_SC_MAX; i++) {
		snprintf(target, sizeof target, "a%d:1", i);
		CHECK_EQ(ctl_sc_put(&big, FP_A, target, 1, 3, 10 + (uint64_t)i, NULL), TH_OK);
	}
	size_t n = ctl_sc_format(&big, text, sizeof text);
	for (int i = 0; i < 10; i++)   /* 10 more, older than all: dropped */
		n += (size_t)snprintf(text + n, sizeof text - n, "%s old%d:1 0000000000000001 3 %d\n",
				      FP_A, i, i);
	u.n = 0;
	CHECK_EQ(ctl_sc_parse(&u, text, n), 0);
	CHECK_EQ(u.n, CTL_SC_MAX);
	CHECK(!ctl_sc_find(&u, FP_A, "old0:1") && ctl_sc_find(&u, FP_A, "a0:1"));
	/* a store's rewrite keeps at most CTL_SC_MAX */
	char p[300];
	path_in(p, sizeof p, "lru");
	struct ctl_sc *c = ctl_sc_open(p, false);
	for (int i = 0; i < CTL_SC_MAX + 10; i++) {
		snprintf(target, sizeof target, "s%d:7700", i);
		ctl_sc_learn(c, FP_A, target, 1, 3);
	}
	ctl_sc_close(c);
	size_t bad;
	CHECK_EQ(file_entries(p, &bad), CTL_SC_MAX);
	CHECK_EQ(bad, 0);
}

static void test_two_keys_one_host(void)
{
	char p[300];
	uint64_t epoch;
	uint32_t kinds;
	uint8_t k1[32] = { 1 }, k2[32] = { 2 };
	char f1[CTL_SC_FP_LEN + 1], f2[CTL_SC_FP_LEN + 1], f1b[CTL_SC_FP_LEN + 1];
	ctl_sc_fingerprint(k1, f1);
	ctl_sc_fingerprint(k2, f2);
	ctl_sc_fingerprint(k1, f1b);
	CHECK(ctl_sc_fp_ok(f1) && ctl_sc_fp_ok(f2));
	CHECK_STR(f1, f1b);
	CHECK(strcmp(f1, f2) != 0);
	path_in(p, sizeof p, "twokeys");
	struct ctl_sc *c = ctl_sc_open(p, false);
	ctl_sc_learn(c, f1, "h:7700", 0x111, 3);
	ctl_sc_learn(c, f2, "h:7700", 0x222, 1);
	ctl_sc_close(c);
	c = ctl_sc_open(p, false);
	CHECK(ctl_sc_lookup(c, f1, "h:7700", &epoch, &kinds));
	CHECK_EQ(epoch, 0x111);
	CHECK_EQ(kinds, 3);
	CHECK(ctl_sc_lookup(c, f2, "h:7700", &epoch, &kinds));
	CHECK_EQ(epoch, 0x222);
	CHECK_EQ(kinds, 1);
	ctl_sc_close(c);
	/* the file holds fingerprints, never the key */
	char text[4096];
	read_file(p, text, sizeof text);
	CHECK(strstr(text, "0100000000") == NULL);
	CHECK(strstr(text, f1) && strstr(text, f2));
}

static bool no_temp_files(void)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	bool ok = true;
	while (d && (de = readdir(d)))
		if (strstr(de->d_name, "atomic."))
			ok = false;
	if (d)
		closedir(d);
	return ok;
}

static void test_atomic_replace(void)
{
	char p[300], buf[4096];
	uint64_t epoch;
	uint32_t kinds;
	path_in(p, sizeof p, "atomic");
	struct ctl_sc *c = ctl_sc_open(p, false);
	ctl_sc_learn(c, FP_A, "h:1", 0x1, 3);
	CHECK_EQ(ctl_sc_flush(c), TH_OK);
	/* a reader that opened the old file keeps reading the old file */
	int fd = open(p, O_RDONLY);
	CHECK(fd >= 0);
	ctl_sc_learn(c, FP_A, "h:1", 0x2, 3);
	CHECK_EQ(ctl_sc_flush(c), TH_OK);
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	CHECK(strstr(buf, "0000000000000001") != NULL);
	read_file(p, buf, sizeof buf);
	CHECK(strstr(buf, "0000000000000002") != NULL);
	CHECK(no_temp_files());
	ctl_sc_close(c);

	/* another process's hosts survive this process's write, and this
	 * process's earlier hosts survive another's write in between */
	struct ctl_sc *a = ctl_sc_open(p, false), *b = ctl_sc_open(p, false);
	ctl_sc_learn(a, FP_A, "a1:1", 0xa1, 3);
	CHECK_EQ(ctl_sc_flush(a), TH_OK);
	ctl_sc_learn(b, FP_A, "b1:1", 0xb1, 3);
	CHECK_EQ(ctl_sc_flush(b), TH_OK);
	ctl_sc_learn(a, FP_A, "a2:1", 0xa2, 3);
	CHECK_EQ(ctl_sc_flush(a), TH_OK);
	ctl_sc_close(a);
	ctl_sc_close(b);
	c = ctl_sc_open(p, false);
	CHECK(ctl_sc_lookup(c, FP_A, "a1:1", &epoch, &kinds) && epoch == 0xa1);
	CHECK(ctl_sc_lookup(c, FP_A, "b1:1", &epoch, &kinds) && epoch == 0xb1);
	CHECK(ctl_sc_lookup(c, FP_A, "a2:1", &epoch, &kinds) && epoch == 0xa2);
	CHECK(ctl_sc_lookup(c, FP_A, "h:1", &epoch, &kinds) && epoch == 0x2);
	ctl_sc_close(c);

	/* 4 processes writing 50 times each while this one reads: every read
	 * sees a whole file (no bad line), and no temp file is left */
	pid_t kids[4];
	for (int k = 0; k < 4; k++) {
		kids[k] = fork();
		if (kids[k] == 0) {
			char target[32];
			for (int i = 0; i < 50; i++) {
				struct ctl_sc *w = ctl_sc_open(p, false);
				snprintf(target, sizeof target, "k%d-%d:1", k, i);
				ctl_sc_learn(w, FP_B, target, (uint64_t)i + 1, 3);
				int err = ctl_sc_flush(w);
				ctl_sc_close(w);
				if (err)
					_exit(1);
			}
			_exit(0);
		}
	}
	size_t torn = 0, reads = 0;
	for (;;) {
		int live = 0, st;
		for (int k = 0; k < 4; k++)
			if (kids[k] > 0 && waitpid(kids[k], &st, WNOHANG) == 0)
				live++;
		size_t bad;
		file_entries(p, &bad);
		torn += bad;
		reads++;
		if (!live)
			break;
	}
	for (int k = 0; k < 4; k++)
		waitpid(kids[k], NULL, 0);
	CHECK_EQ(torn, 0);
	CHECK(reads > 0);
	CHECK(no_temp_files());
	size_t bad;
	CHECK(file_entries(p, &bad) >= 5);   /* last writer wins; ours and the last's */
	CHECK_EQ(bad, 0);
}

static void test_location(void)
{
	char p[4096];
	unsetenv("THESEUS_SESSION_CACHE");
	unsetenv("XDG_CACHE_HOME");
	setenv("HOME", "/home/u", 1);
	CHECK(ctl_sc_path(p, sizeof p));
	CHECK_STR(p, "/home/u/.cache/theseusctl/sessions");
	setenv("XDG_CACHE_HOME", "/x/cache", 1);
	CHECK(ctl_sc_path(p, sizeof p));
	CHECK_STR(p, "/x/cache/theseusctl/sessions");
	setenv("XDG_CACHE_HOME", "relative", 1);   /* not absolute: ignored (XDG spec) */
	CHECK(ctl_sc_path(p, sizeof p));
	CHECK_STR(p, "/home/u/.cache/theseusctl/sessions");
	setenv("THESEUS_SESSION_CACHE", "/t/file", 1);
	CHECK(ctl_sc_path(p, sizeof p));
	CHECK_STR(p, "/t/file");
	setenv("THESEUS_SESSION_CACHE", "off", 1);
	CHECK(!ctl_sc_path(p, sizeof p));
	unsetenv("THESEUS_SESSION_CACHE");
	unsetenv("XDG_CACHE_HOME");
	unsetenv("HOME");
	CHECK(!ctl_sc_path(p, sizeof p));
	setenv("HOME", "/home/u", 1);
	CHECK(!ctl_sc_path(p, 10));   /* does not fit */
}

int main(void)
{
	snprintf(dir, sizeof dir, "/tmp/ctl_session_cache.XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	RUN(test_round_trip);
	RUN(test_hostile_lines);
	RUN(test_hostile_files);
	RUN(test_lru_bound);
	RUN(test_two_keys_one_host);
	RUN(test_atomic_replace);
	RUN(test_location);
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return check_summary("ctl_session_cache");
}
