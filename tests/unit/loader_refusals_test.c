/*
 * loader_refusals_test.c - host tests that objects the loader cannot take
 * are refused with a message saying what to change (and, where a limit is
 * involved, the limit): thread-local storage, an LTO object, large-model
 * PIC, too many sections, an oversize section, an IFUNC symbol, a file
 * compiled without the kit's flags, a version no swap could name.  lint refuses each the same way.  Objects: tests/unit/objs/
 * (t_lto, t_largepic and t_many get their flags in modules/modules.mk).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "loader.h"
#include "loader_hostenv.h"
#include "modmem.h"
#include "statedb.h"
#include "test_objs.h"

struct refusal {
	const char *obj;
	int err;
	const char *says[3];  /* substrings the message must contain */
};

static const struct refusal refusals[] = {
	{ "t_tls", TH_ENOTSUP, { "thread-local storage", "drop _Thread_local" } },
	{ "t_lto", TH_EBADELF, { "LTO object", "build without -flto" } },
	{ "t_largepic", TH_ERELOC, { "large-model PIC", "-mcmodel=small -fno-pic" } },
	{ "t_many", TH_ETOOBIG, { "4223 sections", "at most 4096", "-ffunction-sections" } },
	{ "t_huge", TH_ETOOBIG, { "section .bss: 68157440 bytes", "limit of 67108864" } },
	{ "t_ifunc", TH_ENOTSUP, { "symbol ifunc_value is an IFUNC", "drop the ifunc attribute" } },
	{ "t_badver", TH_EBADELF, { "t_badver: module version: only [A-Za-z0-9_.-]",
				    "byte 4 is 0x1b" } },
};

static void lint_msg(void *ctx, const char *level, const char *text)
{
	if (strcmp(level, "error") == 0)
		snprintf(ctx, 240, "%s", text);
}

static void test_refusals_say_what_to_change(void)
{
	size_t before = loader_symbol_count();

	for (size_t i = 0; i < sizeof refusals / sizeof refusals[0]; i++) {
		const struct refusal *r = &refusals[i];
		struct th_errbuf eb = {{0}};
		char lint[240] = "";
		struct obj o = T(r->obj);
		int err = loader_load(o.data, o.len, r->obj, NULL, &eb);
		int lerr = loader_lint(o.data, o.len, LOADER_SPILL_WARN, NULL, lint_msg, lint);

		CHECK_EQ(err, r->err);
		CHECK_EQ(lerr, r->err);
		for (size_t k = 0; k < 3 && r->says[k]; k++) {
			CHECK(strstr(eb.msg, r->says[k]) != NULL);
			CHECK(strstr(lint, r->says[k]) != NULL);
		}
		if (err != r->err || !strstr(eb.msg, r->says[0]))
			fprintf(stderr, "  %s: %s: %s\n", r->obj, th_err_name(err), eb.msg);
		free(o.data);
	}
	CHECK_EQ(loader_symbol_count(), before);
	CHECK_EQ(loader_module_count(), 0);
}

/* A module linked from a kit-built file and a plainly compiled one: the
 * plain file is named.  Built here from t_math.o by renaming its marker, as
 * if that file had been compiled without the kit's -include kit_mark.h. */
static void test_file_without_kit_flags(void)
{
	struct th_errbuf eb = {{0}};
	struct obj o = T("t_math");
	char *p = o.data;
	size_t n = 0;

	for (size_t i = 0; o.data && i + 19 < o.len; i++)
		if (memcmp(p + i, "__theseus_kit_flags", 19) == 0) {
			p[i + 2] = 'X';
			n++;
		}
	CHECK(n > 0);
	CHECK_EQ(loader_load(o.data, o.len, "t_math", NULL, &eb), TH_ENOTSUP);
	CHECK(strstr(eb.msg, "t_math.c was compiled without the module kit's flags") != NULL);
	CHECK(strstr(eb.msg, "pkg-config --cflags theseus-module") != NULL);
	free(o.data);
}

int main(void)
{
	void *arena = hostenv_loader_init();

	if (!arena)
		return 1;
	RUN(test_refusals_say_what_to_change);
	RUN(test_file_without_kit_flags);
	CHECK_EQ(modmem_in_use(), 0);
	free(arena);
	return check_summary("loader_refusals");
}
