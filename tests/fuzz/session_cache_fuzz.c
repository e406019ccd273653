/*
 * session_cache_fuzz.c - libFuzzer target: theseusctl's session cache
 * parser (ctl/session_cache.c) on any bytes, as a file in the cache's place
 * would give it.  Besides crashes and sanitizer reports, a finding is: more
 * than CTL_SC_MAX entries, an entry that could not be written back (bad
 * fingerprint or target, epoch 0), or a table that does not survive
 * format -> parse unchanged.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session_cache.h"

static struct ctl_sc_table t, u;
static char text[CTL_SC_MAX * (CTL_SC_LINE_MAX + 2) + 256];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	t.n = u.n = 0;
	(void)ctl_sc_parse(&t, (const char *)data, size);
	if (t.n > CTL_SC_MAX)
		abort();
	for (size_t i = 0; i < t.n; i++)
		if (!ctl_sc_fp_ok(t.e[i].fp) || !ctl_sc_target_ok(t.e[i].target) || !t.e[i].epoch)
			abort();
	size_t n = ctl_sc_format(&t, text, sizeof text);
	if (n >= sizeof text || ctl_sc_parse(&u, text, n) != 0 || u.n != t.n)
		abort();
	for (size_t i = 0; i < t.n; i++) {
		const struct ctl_sc_entry *a = &t.e[i], *b = &u.e[i];
		if (strcmp(a->fp, b->fp) || strcmp(a->target, b->target) || a->epoch != b->epoch ||
		    a->mac_kinds != b->mac_kinds || a->used != b->used)
			abort();
	}
	return 0;
}
