/*
 * loader_lint_test.c - lint refuses what the kernel refuses once it places
 * a module, with the kernel's message: lint lays the object out and links
 * it into a scratch copy as the loader does (layout_plan.c, relocate.c,
 * records.c).  Each case edits a copy of a test object the way the module
 * author's audit did (an oversize .bss, relocations that overflow, an init
 * hook, a TH_INVOKE record or a constructor outside the module's code) and
 * checks loader_load and loader_lint give the same error and message.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "loader.h"
#include "loader_hostenv.h"
#include "loader_impl.h"
#include "modmem.h"
#include "statedb.h"
#include "test_objs.h"

static struct elf64_shdr *shdrs(struct obj o)
{
	return (struct elf64_shdr *)((char *)o.data + ((struct elf64_ehdr *)o.data)->shoff);
}

static size_t sec(struct obj o, const char *name)
{
	struct elf64_ehdr *eh = o.data;
	struct elf64_shdr *sh = shdrs(o);
	const char *shstr = (char *)o.data + sh[eh->shstrndx].offset;

	for (size_t i = 1; i < eh->shnum; i++)
		if (strcmp(shstr + sh[i].name, name) == 0)
			return i;
	return 0;
}

static struct elf64_rela *rela(struct obj o, const char *name, size_t k)
{
	size_t i = sec(o, name);
	struct elf64_shdr *sh = shdrs(o);

	if (!i || (k + 1) * sizeof(struct elf64_rela) > sh[i].size)
		return NULL;
	return (struct elf64_rela *)((char *)o.data + sh[i].offset) + k;
}

static struct elf64_sym *sym(struct obj o, const char *name)
{
	struct elf64_shdr *sh = shdrs(o);
	size_t st = sec(o, ".symtab");
	struct elf64_sym *y = (struct elf64_sym *)((char *)o.data + sh[st].offset);
	const char *str = (char *)o.data + sh[sh[st].link].offset;

	for (size_t i = 1; i < sh[st].size / sizeof *y; i++)
		if (strcmp(str + y[i].name, name) == 0)
			return &y[i];
	return NULL;
}

static void lint_msg(void *ctx, const char *level, const char *text)
{
	if (strcmp(level, "error") == 0 && !((char *)ctx)[0])
		snprintf(ctx, 240, "%s", text);
}

/* The kernel and lint refuse o with err, both messages containing says. */
static void same_verdict(const char *what, struct obj o, int err, const char *says)
{
	struct th_errbuf eb = {{0}};
	char lint[240] = "";
	int kerr = loader_load(o.data, o.len, what, NULL, &eb);
	int lerr = loader_lint(o.data, o.len, LOADER_SPILL_WARN, NULL, lint_msg, lint);

	CHECK_EQ(kerr, err);
	CHECK_EQ(lerr, err);
	CHECK(strstr(eb.msg, says) != NULL);
	CHECK(strstr(lint, says) != NULL);
	if (kerr != err || lerr != err || !strstr(eb.msg, says) || !strstr(lint, says))
		fprintf(stderr, "  %s: kernel %s (%s), lint %s (%s)\n", what, th_err_name(kerr),
			eb.msg, th_err_name(lerr), lint);
	free(o.data);
}

/* Sections each under the limit, together above it (page rounding). */
static void test_module_over_limit(void)
{
	struct obj o = T("t_spill");
	size_t bss = sec(o, ".bss");

	CHECK(bss != 0);
	shdrs(o)[bss].size = 0x3fff000;
	same_verdict("bss_3fff000", o, TH_ETOOBIG, "above the limit of 67108864 bytes");
}

/* A relocation whose value overflows its field, against a named symbol and
 * against a section symbol (named "section X", not ""). */
static void test_relocation_overflow(void)
{
	struct obj o = T("t_math");
	struct elf64_rela *r = rela(o, ".rela.text", 1);

	CHECK(r && ELF_R_TYPE(r->info) == R_X86_64_PLT32);
	r->addend = INT64_C(0x7fffffff00000000);
	same_verdict("pc32_huge", o, TH_EOVERFLOW, "R_X86_64_PLT32 to host_twice (addend");
	o = T("t_math");
	r = rela(o, ".rela.text", 0);
	CHECK(r && ELF_R_TYPE(r->info) == R_X86_64_32S);
	r->addend = INT64_C(0x7fffffff00000000);
	same_verdict("32s_huge", o, TH_EOVERFLOW, "R_X86_64_32S to section .rodata (addend");
	o = T("t_math");
	r = rela(o, ".rela.text", 2);
	CHECK(r && ELF_R_TYPE(r->info) == R_X86_64_32);
	r->addend = -INT64_C(0x7fffffff00000000);
	same_verdict("32_neg", o, TH_EOVERFLOW, "R_X86_64_32 to section .rodata.str1.1 (addend -");
}

/* Code pointers the module hands the kernel, pointing elsewhere. */
static void test_records_outside_code(void)
{
	struct obj o = T("t_math");
	struct elf64_rela *r = rela(o, ".rela.theseus.module", 0);
	struct elf64_sym *y;

	CHECK(r != NULL);
	r->info = ELF_R_TYPE(r->info); /* symbol 0: init = the addend, an absolute address */
	same_verdict("init_sym0", o, TH_EBADELF, "init function outside the module's code");
	o = T("t_invoke");
	y = sym(o, "t_invoke_fn");
	CHECK(y != NULL);
	y->shndx = SHN_ABS; /* the record points at its value: address 0 */
	same_verdict("invoke_abs", o, TH_EBADELF, "TH_INVOKE record 0 outside the module's code");
	o = T("t_ctor");
	r = rela(o, ".rela.init_array", 0);
	CHECK(r != NULL);
	r->addend = 1 << 20;
	same_verdict("ctor_far", o, TH_EBADELF, ".init_array entry 0 points outside the module's code");
}

int main(void)
{
	void *arena = hostenv_loader_init();

	if (!arena)
		return 1;
	RUN(test_module_over_limit);
	RUN(test_relocation_overflow);
	RUN(test_records_outside_code);
	CHECK_EQ(loader_module_count(), 0);
	CHECK_EQ(modmem_in_use(), 0);
	free(arena);
	return check_summary("loader_lint");
}
