/*
 * session_cache.h - theseusctl's session cache: what sealed replies taught
 * about a kernel (its epoch and Reply.mac_kinds), kept in a small file so
 * that the next process needs no learning round trip (proto/theseus.proto,
 * section 3).  Never the key: entries are named by a fingerprint of it.
 *
 *   ctl/session_cache.c   the entry table and its text format (pure: parse,
 *                         format, find, put with LRU eviction; fuzzed)
 *   ctl/session_store.c   where the file is, loading it, atomic rewrites
 *                         (temp file + rename) merged with what other
 *                         processes wrote, shared by a process's threads
 *
 * The file: one entry a line, '#' lines are comments,
 *     <key fingerprint, 16 hex> <host:port> <epoch, 16 hex> <mac_kinds> <last used, unix s>
 * e.g. "3f09a1c2d4e5f607 127.0.0.1:7700 8c1d0e2f3a4b5c6d 3 1795000000".
 * A line that is not exactly that is ignored (and dropped by the next
 * rewrite); so is a line without its newline, and a file that is not a
 * regular file or is over CTL_SC_FILE_MAX bytes.
 */
#ifndef THESEUS_CTL_SESSION_CACHE_H
#define THESEUS_CTL_SESSION_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define CTL_SC_MAX 256              /* entries kept; the least recently used go */
#define CTL_SC_FP_LEN 16            /* hex digits of a key fingerprint */
#define CTL_SC_TARGET_MAX 264       /* "host:port" and its NUL */
#define CTL_SC_LINE_MAX 320         /* a longer line is not an entry */
#define CTL_SC_FILE_MAX (256 * 1024)/* a bigger file is ignored (and replaced) */
#define CTL_SC_TOUCH_S 60           /* a hit older than this is written back (LRU) */

struct ctl_sc_entry {
	char fp[CTL_SC_FP_LEN + 1];
	char target[CTL_SC_TARGET_MAX];
	uint64_t epoch;                 /* never 0 */
	uint32_t mac_kinds;
	uint64_t used;                  /* unix seconds of the last use */
	bool mine;                      /* set or used by this process: merged into rewrites */
};

struct ctl_sc_table {
	size_t n;
	struct ctl_sc_entry e[CTL_SC_MAX];
};

/* ---- the table and its format (ctl/session_cache.c) ------------------------ */

/* A fingerprint as written: 16 lowercase hex digits. */
bool ctl_sc_fp_ok(const char *fp);
/* A target as written: 1..CTL_SC_TARGET_MAX-1 printable non-blank ASCII
 * bytes (no '#'), so every target we talk to fits one field of a line. */
bool ctl_sc_target_ok(const char *target);
/* The entry for (fp, target), or NULL. */
struct ctl_sc_entry *ctl_sc_find(struct ctl_sc_table *t, const char *fp, const char *target);
/* Sets (fp, target)'s entry (adding it, in place of the least recently used
 * one when full) and returns it in *out (out may be NULL); TH_EINVAL for a
 * bad fp or target or epoch 0, TH_EFULL when full and the new entry is
 * older than all (not added). */
TH_MUST_CHECK int ctl_sc_put(struct ctl_sc_table *t, const char *fp, const char *target,
			     uint64_t epoch, uint32_t mac_kinds, uint64_t used,
			     struct ctl_sc_entry **out);
/* Adds the entries of buf[0..len) (a file's bytes, any bytes) to t; a
 * (fp, target) already in t keeps the more recently used of the two.
 * Returns the number of lines that were not entries nor comments (ignored). */
size_t ctl_sc_parse(struct ctl_sc_table *t, const char *buf, size_t len);
/* The file's text for t (a comment line, then one line per entry) into
 * out[0..cap), NUL-terminated; returns the length the whole text needs
 * (when >= cap, out holds only a cut-short prefix). */
size_t ctl_sc_format(const struct ctl_sc_table *t, char *out, size_t cap);

/* ---- the file (ctl/session_store.c) ----------------------------------------- */

struct ctl_sc;   /* a process's cache: the file's table, a lock, the path */

/* Where the cache is: $THESEUS_SESSION_CACHE (a path, or "off"), else
 * $XDG_CACHE_HOME/theseusctl/sessions, else $HOME/.cache/theseusctl/sessions.
 * false when there is none ("off", no HOME, a path too long for out). */
bool ctl_sc_path(char *out, size_t cap);
/* Opens the cache at path (the file need not exist): NULL when out of
 * memory.  trace: say what happens on stderr (THESEUSCTL_TRACE). */
struct ctl_sc *ctl_sc_open(const char *path, bool trace);
/* Writes what changed (ctl_sc_flush) and frees c (NULL is fine). */
void ctl_sc_close(struct ctl_sc *c);
/* What the cache holds for (fp, target): true with *epoch and *mac_kinds. */
bool ctl_sc_lookup(struct ctl_sc *c, const char *fp, const char *target, uint64_t *epoch,
		   uint32_t *mac_kinds);
/* A sealed reply from target named epoch and mac_kinds: remember them. */
void ctl_sc_learn(struct ctl_sc *c, const char *fp, const char *target, uint64_t epoch,
		  uint32_t mac_kinds);
/* Rewrites the file if anything changed since the last write: the file as
 * it is now, with this process's entries put over it, at most CTL_SC_MAX
 * (least recently used dropped), into a temp file in the same directory
 * (0600; the directory made 0700 when missing), renamed over the file.
 * TH_OK, or an error said once on stderr (the cache is then not written
 * again by this process; commands are not affected). */
TH_MUST_CHECK int ctl_sc_flush(struct ctl_sc *c);
/* The fingerprint naming key in the file: the first 8 bytes of
 * HMAC-SHA256(key, "THS-cache-id"), hex. */
void ctl_sc_fingerprint(const uint8_t key[32], char fp[CTL_SC_FP_LEN + 1]);

#endif
