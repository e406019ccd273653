/*
 * cmdline.h - the kernel command line: words separated by spaces, each
 * `key=value` or a bare `flag`.  Shared by the kernel and host tests.
 *
 * QEMU -kernel and iPXE put the image path or URI first ("build/theseus.elf
 * ip=..." / "tftp://10.0.2.2/theseus.elf ip=..."); GRUB passes the arguments
 * only.  cmdline_strip_image() removes such a first word.
 *
 * Options the kernel knows (documented in the README):
 *   loglevel=debug|info|warn|error   console log level (default info)
 *   hz=N                              timer tick rate, 10..1000 (default 100)
 *   selftest=NAME                     run a fault self-test (pagefault, wx, nx, ...)
 *   exit=ready                        power off (QEMU exit 33) once ready
 *   spill=warn|reject                 module state-spill policy (default warn)
 *   ip=A.B.C.D/P gw=A.B.C.D nic=e1000|virtio    network (DHCP without ip=)
 *   key=<64 hex digits> port=N        swap endpoint (default port 7700)
 *   sched=rr|prio                     which boot module sched_<name> is loaded as module
 *                                     "sched" (default rr; the others stay swap sources)
 *   tasks=show                        print the task list at boot
 *   swap=MOD:SRC[,MOD:SRC]            after boot, live-swap MOD with boot module SRC
 * The full list, with the values of those whose users do not check them
 * themselves, is cmdline_options[] (kernel/boot/options.c): cmdline_check()
 * names every word the kernel would otherwise ignore silently.
 */
#ifndef THESEUS_CMDLINE_H
#define THESEUS_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define CMDLINE_MAX 1024

/* Copy src into dst (cap bytes) without the leading image path/URI word. */
void cmdline_strip_image(const char *src, char *dst, size_t cap);

/* Copy src into dst (cap bytes) with the value of every `key=` word replaced
 * by "<set>", so logs and the console never show the swap key. */
void cmdline_redact(const char *src, char *dst, size_t cap);

/* Value of key=value into out (NUL-terminated).  TH_ENOENT if absent,
 * TH_ETOOBIG if the value does not fit, TH_EINVAL for a bare flag. */
int cmdline_get(const char *cmdline, const char *key, char *out, size_t cap) TH_MUST_CHECK;
/* True if `flag` or `flag=...` is present. */
bool cmdline_has(const char *cmdline, const char *key);
/* Unsigned decimal value of key in [min, max]; *out = def if absent.
 * TH_EINVAL if not a number, TH_ERANGE if outside the range. */
int cmdline_get_uint(const char *cmdline, const char *key, uint64_t def,
		     uint64_t min, uint64_t max, uint64_t *out) TH_MUST_CHECK;

/* One option the kernel knows.  values: NULL for an option whose user
 * checks its value (and reports a bad one); "" for a bare flag that takes
 * no value; "a|b|c" for an option whose value must be one of those. */
struct cmdline_option {
	const char *key;
	const char *values;
};

/* The kernel's options (kernel/boot/options.c), for cmdline_check(). */
extern const struct cmdline_option cmdline_options[];
extern const size_t cmdline_option_count;

/* Call report(ctx, message) once for every problem the options' users would
 * pass over in silence: a word that is no option in opts (named by its key
 * only, never its value), an option given more than once (the last one
 * counts), a value where a flag takes none, a value outside the listed ones
 * (or none at all).  Never prints the value of key=.  Returns the number of
 * problems reported. */
size_t cmdline_check(const char *cmdline, const struct cmdline_option *opts, size_t n,
		     void (*report)(void *ctx, const char *msg), void *ctx);

/* Copy src into dst (cap bytes) as the console and the log may show it:
 * like cmdline_redact(), and also with the value of every word that is no
 * option in opts shown as "<hidden>" (kye=<hidden>: a mistyped key), and a
 * bare word of 16 or more hex digits (a key without key=) as "<hidden>".
 * One line: tabs and newlines become spaces, other control bytes '?'. */
void cmdline_show(const char *src, char *dst, size_t cap, const struct cmdline_option *opts,
		  size_t n);

#endif
