/*
 * lint_main.c - theseus-lint, the host tool that checks module objects the
 * way the kernel's loader would, without loading them.
 *
 *   theseus-lint [--spill=warn|reject] FILE...
 *
 * Prints "FILE: level: finding" lines; exits 1 if any file has an error
 * (state spill is a warning unless --spill=reject), 2 on usage errors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loader.h"

static void print_finding(void *ctx, const char *level, const char *text)
{
	printf("%s: %s: %s\n", (const char *)ctx, level, text);
}

/* Read a whole file into 8-byte aligned memory. */
static int read_file(const char *path, void **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 1 << 16, n = 0;
	char *buf = NULL;

	if (!f)
		return -1;
	for (;;) {
		char *nb = realloc(buf, cap);
		if (!nb) {
			free(buf);
			fclose(f);
			return -1;
		}
		buf = nb;
		n += fread(buf + n, 1, cap - n, f);
		if (n < cap)
			break;
		cap *= 2;
	}
	fclose(f);
	*out = buf;
	*len = n;
	return 0;
}

int main(int argc, char **argv)
{
	enum loader_spill_policy policy = LOADER_SPILL_WARN;
	int i, rc = 0, files = 0;

	for (i = 1; i < argc; i++) {
		if (strncmp(argv[i], "--spill=", 8) == 0) {
			if (loader_parse_spill_policy(argv[i] + 8, &policy)) {
				fprintf(stderr, "theseus-lint: --spill=warn or --spill=reject\n");
				return 2;
			}
			continue;
		}
		if (argv[i][0] == '-') {
			fprintf(stderr, "usage: theseus-lint [--spill=warn|reject] FILE...\n");
			return 2;
		}
	}
	for (i = 1; i < argc; i++) {
		void *data;
		size_t len;

		if (argv[i][0] == '-')
			continue;
		files++;
		if (read_file(argv[i], &data, &len)) {
			fprintf(stderr, "%s: error: cannot read\n", argv[i]);
			rc = 1;
			continue;
		}
		if (loader_lint(data, len, policy, print_finding, argv[i]))
			rc = 1;
		free(data);
	}
	if (!files) {
		fprintf(stderr, "usage: theseus-lint [--spill=warn|reject] FILE...\n");
		return 2;
	}
	return rc;
}
