/*
 * units.c - human-readable quantities for theseusctl's text output: byte
 * counts in decimal units ("999 B", "1.2 kB", "90.0 MB", up to EB), as the
 * NIC counters of `theseusctl info` print them.  JSON output never uses
 * these: it carries the exact numbers.
 */
#include "klibc.h"
#include "ctl.h"

void ctl_fmt_bytes(uint64_t n, char *out, size_t cap)
{
	static const char *const unit[] = { "B", "kB", "MB", "GB", "TB", "PB", "EB" };
	if (!out || cap == 0)
		return;
	if (n < 1000) {
		snprintf(out, cap, "%llu B", (unsigned long long)n);
		return;
	}
	double v = (double)n;
	size_t u = 0;
	/* 999.95 and up would print as "1000.0": that is the next unit's 1.0. */
	while (v >= 999.95 && u + 1 < sizeof unit / sizeof unit[0]) {
		v /= 1000.0;
		u++;
	}
	snprintf(out, cap, "%.1f %s", v, unit[u]);
}
