/*
 * test_objs.h - reading the test module objects (tests/unit/objs/ compiled
 * into LOADER_TEST_OBJDIR, the modules in build/modules/) for the loader's
 * and the swap engine's host suites.
 */
#ifndef THESEUS_TEST_OBJS_H
#define THESEUS_TEST_OBJS_H

#include <stdio.h>
#include <stdlib.h>

struct obj {
	void *data;
	size_t len;
};

/* The bytes of dir/name.o (malloc'd, so 8-byte aligned); {NULL, 0} with a
 * message if unreadable. */
static inline struct obj read_obj(const char *dir, const char *name)
{
	char path[512];
	struct obj o = {NULL, 0};
	long n;
	FILE *f;

	snprintf(path, sizeof path, "%s/%s.o", dir, name);
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

#ifdef LOADER_TEST_OBJDIR
/* A test object: LOADER_TEST_OBJDIR/name.o. */
static inline struct obj T(const char *name)
{
	return read_obj(LOADER_TEST_OBJDIR, name);
}
#endif

#endif
