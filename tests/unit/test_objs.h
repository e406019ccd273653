/*
 * test_objs.h - reading the test module objects (tests/unit/objs/ compiled
 * into LOADER_TEST_OBJDIR) for the loader's host suites.
 */
#ifndef THESEUS_TEST_OBJS_H
#define THESEUS_TEST_OBJS_H

#include <stdio.h>
#include <stdlib.h>

struct obj {
	void *data;
	size_t len;
};

/* The bytes of LOADER_TEST_OBJDIR/name.o (malloc'd, so 8-byte aligned);
 * {NULL, 0} with a message if unreadable. */
static inline struct obj T(const char *name)
{
	char path[512];
	struct obj o = {NULL, 0};
	long n;
	FILE *f;

	snprintf(path, sizeof path, "%s/%s.o", LOADER_TEST_OBJDIR, name);
	f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "cannot open %s\n", path);
		return o;
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	o.data = malloc(n > 0 ? (size_t)n : 1);
	if (o.data && fread(o.data, 1, (size_t)n, f) == (size_t)n)
		o.len = (size_t)n;
	fclose(f);
	return o;
}

#endif
