/*
 * loader_test.c - host tests of the module loader and linker.
 *
 * Loads objects compiled with the module flags (tests/unit/objs/ sources compiled into
 * build/tests/objs/, and the real modules in build/modules/) into MAP_32BIT
 * memory, calls their code, checks cross-module links, dependency records,
 * relinking, spill policy, and that every hostile object (mutated from a
 * valid one) fails with its specific error and leaves the namespace, the
 * module list and module memory exactly as before.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "loader.h"
#include "loader_hostenv.h"
#include "loader_impl.h"
#include "log.h"
#include "modmem.h"
#include "modmem_host.h"
#include "statedb.h"
#include "test_objs.h"

static struct obj M(const char *name)
{
	return read_obj(LOADER_TEST_MODDIR, name);
}

static struct obj dup_obj(struct obj o)
{
	struct obj d = {malloc(o.len), o.len};
	memcpy(d.data, o.data, o.len);
	return d;
}

static void drop(struct obj *o)
{
	free(o->data);
	o->data = NULL;
}

/* ---- namespace snapshots -------------------------------------------------- */
struct snap {
	size_t syms, mods, mem;
};

static struct snap snap(void)
{
	struct snap s = {loader_symbol_count(), loader_module_count(), modmem_in_use()};
	return s;
}

#define CHECK_SAME(a)                                          \
	do {                                                   \
		struct snap b_ = snap();                       \
		CHECK_EQ(b_.syms, (a).syms);                   \
		CHECK_EQ(b_.mods, (a).mods);                   \
		CHECK_EQ(b_.mem, (a).mem);                     \
	} while (0)

static int load1(struct obj o, const char *label, struct module **m, struct th_errbuf *eb)
{
	return loader_load(o.data, o.len, label, m, eb);
}

static void *sym(const char *name)
{
	uintptr_t a = 0;
	if (loader_lookup_symbol(name, &a, NULL))
		return NULL;
	return (void *)a;
}

static void unload_ok(const char *name)
{
	struct th_errbuf eb = {{0}};
	struct module *m = loader_find(name);
	CHECK(m != NULL);
	if (m) {
		int err = loader_unload(m, &eb);
		CHECK_EQ(err, TH_OK);
		if (err)
			fprintf(stderr, "  unload %s: %s\n", name, eb.msg);
	}
}

static size_t n_kexports;

/* Protection of the page at addr from /proc/self/maps, e.g. "r-xp". */
static void page_perms(uintptr_t addr, char out[5])
{
	FILE *f = fopen("/proc/self/maps", "r");
	unsigned long lo, hi;
	char perms[5], line[512];

	strcpy(out, "????");
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perms) == 3 && addr >= lo && addr < hi) {
			memcpy(out, perms, 5);
			break;
		}
	if (f)
		fclose(f);
}

/* ---- page protections --------------------------------------------------------- */

static size_t round_page(size_t b)
{
	return (b + 4095) & ~(size_t)4095;
}

/* Whether every page of each of m's regions has its protection, both as the
 * loader asked (recorded by modmem_host.c) and as the host maps it: text R-X,
 * rodata R--, data RW- (never W and X together).  Reports what differs. */
static bool regions_sealed(const struct module *m)
{
	static const unsigned want[3] = {VMM_R | VMM_X, VMM_R, VMM_R | VMM_W};
	static const char *const maps[3] = {"r-xp", "r--p", "rw-p"};
	static const char *const names[3] = {"text", "rodata", "data"};
	struct loader_module_desc d;
	size_t sz[3], off = 0;
	bool ok = true;
	int c;

	loader_module_describe(m, &d);
	sz[0] = d.text;
	sz[1] = d.rodata;
	sz[2] = d.data;
	for (c = 0; c < 3; c++) {
		uintptr_t lo = d.base + off, hi;
		char p_lo[5], p_hi[5];
		unsigned got;

		if (!sz[c])
			continue;
		hi = lo + round_page(sz[c]) - 1;
		got = modmem_host_range_prot(lo, round_page(sz[c]));
		page_perms(lo, p_lo);
		page_perms(hi, p_hi);
		if (got != want[c] || strcmp(p_lo, maps[c]) || strcmp(p_hi, maps[c])) {
			fprintf(stderr, "  %s %s: protection %#x (maps %s..%s), want %#x (%s)\n", d.name,
				names[c], got, p_lo, p_hi, want[c], maps[c]);
			ok = false;
		}
		off += round_page(sz[c]);
	}
	if (off != d.size) {
		fprintf(stderr, "  %s: regions cover %zu of %zu bytes\n", d.name, off, d.size);
		ok = false;
	}
	return ok;
}

/* ---- tests ------------------------------------------------------------------- */

static void test_init(void)
{
	struct th_errbuf eb = {{0}};
	const struct kexport *ex = hostenv_exports(&n_kexports);
	struct kexport dup[2] = {{"a", (void *)1}, {"a", (void *)2}};

	CHECK(ex != NULL);
	CHECK_EQ(loader_init(dup, 2, &eb), TH_EDUPSYM);
	CHECK(strstr(eb.msg, "a") != NULL);
	CHECK_EQ(loader_init(ex, n_kexports, &eb), TH_OK);
	CHECK_EQ(loader_symbol_count(), n_kexports);
	CHECK(sym("klog") != NULL);
}

typedef int (*fn_ii_i)(int, int);
typedef int (*fn_i_i)(int);
typedef int (*fn_iii_i)(int, int, int);

static void test_load_and_call(void)
{
	struct th_errbuf eb = {{0}};
	struct obj o = T("t_math");
	struct snap s0 = snap();
	struct module *m = NULL;
	struct loader_module_desc d;
	int err;

	hostenv_init_log_reset();
	err = load1(o, "t_math.o", &m, &eb);
	CHECK_EQ(err, TH_OK);
	if (err) {
		fprintf(stderr, "  %s\n", eb.msg);
		drop(&o);
		return;
	}
	CHECK_STR(hostenv_init_log(), "t_math");
	CHECK(loader_find("t_math") == m);
	/* Sealed before anything runs in it (unsealed code would only crash). */
	if (!regions_sealed(m)) {
		CHECK(!"t_math's regions are sealed after load");
		unload_ok("t_math");
		drop(&o);
		return;
	}
	CHECK_EQ(((fn_ii_i)sym("tm_add"))(2, 3), 5);
	CHECK_EQ(((fn_i_i)sym("tm_call_kernel"))(20), 41);
	CHECK_EQ(((fn_i_i)sym("tm_scaled"))(2), 4200);
	CHECK_EQ(*(const int *)sym("tm_magic"), 42);
	loader_module_describe(m, &d);
	CHECK_STR(d.name, "t_math");
	CHECK_STR(d.version, "1.0");
	CHECK_EQ(d.exports, 4);
	CHECK_EQ(d.spill, 0);
	CHECK(d.text > 0 && d.rodata > 0);
	CHECK(d.base != 0 && d.base + d.size <= (1ull << 31));
	CHECK_EQ(d.size % 4096, 0);
	{
		char p[5];
		page_perms((uintptr_t)sym("tm_add"), p);
		CHECK_STR(p, "r-xp");
		page_perms((uintptr_t)sym("tm_magic"), p);
		CHECK_STR(p, "r--p");
	}
	CHECK_EQ(loader_symbol_count(), s0.syms + 4);
	CHECK(loader_module_info(m)->init != NULL);
	unload_ok("t_math");
	CHECK_SAME(s0);
	CHECK(sym("tm_add") == NULL);
	drop(&o);
}

static void test_cross_module_and_edges(void)
{
	struct th_errbuf eb = {{0}};
	struct obj a = T("t_math"), b = T("t_user");
	struct snap s0 = snap();
	struct module *ma = NULL, *mb = NULL, *deps[4];
	struct loader_edge *e;
	size_t n_in = 0, n_out;

	CHECK_EQ(load1(a, NULL, &ma, &eb), TH_OK);
	CHECK_EQ(load1(b, NULL, &mb, &eb), TH_OK);
	if (!ma || !mb) {
		fprintf(stderr, "  %s\n", eb.msg);
		goto out;
	}
	CHECK_EQ(((fn_iii_i)sym("tu_sum3"))(1, 2, 3), 6);
	CHECK_EQ(((fn_ii_i)sym("tu_via_table"))(4, 5), 9);
	CHECK(((const int *(*)(void))sym("tu_magic_ptr"))() == sym("tm_magic"));
	for (e = loader_edges_in(ma); e; e = e->next_in) {
		n_in++;
		CHECK(e->dependent == mb);
		CHECK(e->target == ma);
		CHECK(strcmp(e->symbol, "tm_add") == 0 || strcmp(e->symbol, "tm_magic") == 0);
	}
	CHECK(n_in >= 3);
	loader_edges_out(mb, &n_out);
	CHECK_EQ(n_out, n_in);
	CHECK(loader_edges_in(mb) == NULL);
	CHECK_EQ(loader_module_deps(mb, deps, 4), 1);
	CHECK(deps[0] == ma);
	CHECK_EQ(loader_module_deps(ma, deps, 4), 0);

	/* Unloading what others use is refused, naming them; nothing changes. */
	{
		struct snap s1 = snap();
		CHECK_EQ(loader_unload(ma, &eb), TH_EDEPEND);
		CHECK(strstr(eb.msg, "t_user") != NULL);
		CHECK_SAME(s1);
	}
	{
		char buf[1024];
		size_t need = loader_format_list(buf, sizeof buf);
		CHECK(need < sizeof buf);
		CHECK(strstr(buf, "t_math") != NULL);
		CHECK(strstr(buf, "deps=t_math") != NULL);
		CHECK_EQ(loader_format_list(buf, 10), need);
		CHECK_EQ(strlen(buf), 9);
	}
	unload_ok("t_user");
	CHECK(loader_edges_in(ma) == NULL);
	unload_ok("t_math");
out:
	CHECK_SAME(s0);
	drop(&a);
	drop(&b);
}

/* loader_retire: an unload that keeps the memory until loader_retired_free. */
static void test_retire(void)
{
	struct th_errbuf eb = {{0}};
	struct obj a = T("t_math"), b = T("t_user");
	struct snap s0 = snap(), s1;
	struct module *ma = NULL, *mb = NULL;

	CHECK_EQ(load1(a, NULL, &ma, &eb), TH_OK);
	CHECK_EQ(load1(b, NULL, &mb, &eb), TH_OK);
	if (!ma || !mb)
		goto out;
	s1 = snap();
	CHECK_EQ(loader_retire(ma, &eb), TH_EDEPEND); /* t_user links into it */
	CHECK(strstr(eb.msg, "t_user") != NULL);
	CHECK_SAME(s1);
	CHECK_EQ(loader_retire(mb, &eb), TH_OK);
	CHECK(loader_find("t_user") == NULL && sym("tu_sum3") == NULL);
	CHECK_EQ(loader_module_count(), s1.mods - 1);
	CHECK_EQ(modmem_in_use(), s1.mem);           /* memory kept */
	CHECK_EQ(loader_retire(mb, &eb), TH_EINVAL); /* not listed any more */
	/* A retired dependent does not hold its target in the list... */
	CHECK_EQ(loader_retire(ma, &eb), TH_OK);
	CHECK_EQ(loader_module_count(), s0.mods);
	/* ...but its target's memory stays until the dependent is freed. */
	CHECK_EQ(loader_retired_free(ma, &eb), TH_EBUSY);
	CHECK_EQ(loader_retired_free(mb, &eb), TH_OK);
	CHECK_EQ(loader_retired_free(ma, &eb), TH_OK);
out:
	CHECK_SAME(s0);
	drop(&a);
	drop(&b);
}

static void test_batch_any_order(void)
{
	struct th_errbuf eb = {{0}};
	struct obj a = T("t_math"), b = T("t_user"), p = T("t_ping"), q = T("t_pong");
	struct loader_blob bl[2] = {{b.data, b.len, "t_user.o", NULL},
				    {a.data, a.len, "t_math.o", NULL}};
	struct loader_blob cyc[2] = {{p.data, p.len, "t_ping.o", NULL},
				     {q.data, q.len, "t_pong.o", NULL}};
	struct module *out[2] = {0};
	struct snap s0 = snap();
	int err;

	hostenv_init_log_reset();
	err = loader_load_batch(bl, 2, out, &eb);
	CHECK_EQ(err, TH_OK);
	if (!err) {
		CHECK_STR(hostenv_init_log(), "t_math,t_user"); /* dependencies first */
		CHECK(out[0] == loader_find("t_user") && out[1] == loader_find("t_math"));
		CHECK_EQ(((fn_iii_i)sym("tu_sum3"))(10, 20, 30), 60);
		unload_ok("t_user");
		unload_ok("t_math");
	} else {
		fprintf(stderr, "  %s\n", eb.msg);
	}
	err = loader_load_batch(cyc, 2, NULL, &eb);
	CHECK_EQ(err, TH_OK);
	if (!err) {
		CHECK_EQ(((fn_i_i)sym("ping"))(3), 12);
		CHECK_EQ(loader_unload(loader_find("t_ping"), &eb), TH_EDEPEND);
		CHECK(strstr(eb.msg, "t_pong") != NULL);
		CHECK_SAME(((struct snap){s0.syms + 2, s0.mods + 2, snap().mem}));
		/* A cycle leaves as a set. */
		struct module *pair[2] = {loader_find("t_pong"), loader_find("t_ping")};
		CHECK_EQ(loader_unload_batch(pair, 2, &eb), TH_OK);
	}
	CHECK_SAME(s0);
	drop(&a);
	drop(&b);
	drop(&p);
	drop(&q);
}

static void test_batch_atomic(void)
{
	struct th_errbuf eb = {{0}};
	struct obj a = T("t_math"), u = T("t_undef");
	struct loader_blob bl[2] = {{a.data, a.len, NULL, NULL}, {u.data, u.len, NULL, NULL}};
	struct snap s0 = snap();

	CHECK_EQ(loader_load_batch(bl, 2, NULL, &eb), TH_ENOSYM);
	CHECK(strstr(eb.msg, "no_such_function") && strstr(eb.msg, "t_undef"));
	CHECK_SAME(s0);
	CHECK(sym("tm_add") == NULL && loader_find("t_math") == NULL);
	drop(&a);
	drop(&u);
}

static void test_errors_leave_no_trace(void)
{
	struct th_errbuf eb = {{0}};
	struct obj a = T("t_math"), d = T("t_dup"), f = T("t_far"), i = T("t_initfail");
	struct snap s0, s1;
	void *tm_add;

	CHECK_EQ(load1(a, NULL, NULL, &eb), TH_OK);
	s0 = snap();
	tm_add = sym("tm_add");
	/* duplicate export */
	CHECK_EQ(load1(d, NULL, NULL, &eb), TH_EDUPSYM);
	CHECK(strstr(eb.msg, "tm_add") && strstr(eb.msg, "t_math"));
	CHECK_SAME(s0);
	CHECK(sym("td_other") == NULL && sym("tm_add") == tm_add);
	/* same module name twice */
	CHECK_EQ(load1(a, NULL, NULL, &eb), TH_EEXIST);
	CHECK_SAME(s0);
	/* relocation overflow: PC32 to a far host variable */
	CHECK_EQ(load1(f, NULL, NULL, &eb), TH_EOVERFLOW);
	CHECK(strstr(eb.msg, "host_far_var") && strstr(eb.msg, "t_far"));
	CHECK_SAME(s0);
	/* init returns an error */
	CHECK_EQ(load1(i, NULL, NULL, &eb), TH_EINIT);
	CHECK(strstr(eb.msg, "t_initfail") && strstr(eb.msg, "EIO"));
	CHECK_SAME(s0);
	CHECK(sym("tif_value") == NULL);
	/* init failing in a batch undoes the good module too */
	{
		struct obj u = T("t_user");
		struct loader_blob bl[2] = {{u.data, u.len, NULL, NULL}, {i.data, i.len, NULL, NULL}};
		CHECK_EQ(loader_load_batch(bl, 2, NULL, &eb), TH_EINIT);
		CHECK_SAME(s0);
		CHECK(loader_find("t_user") == NULL && loader_edges_in(loader_find("t_math")) == NULL);
		drop(&u);
	}
	/* misaligned blob, empty batch */
	s1 = snap();
	CHECK_EQ(loader_load((char *)a.data + 1, a.len - 1, NULL, NULL, &eb), TH_EINVAL);
	CHECK_EQ(loader_load_batch(NULL, 0, NULL, &eb), TH_EINVAL);
	CHECK_SAME(s1);
	unload_ok("t_math");
	drop(&a);
	drop(&d);
	drop(&f);
	drop(&i);
}

static void test_spill_policy(void)
{
	struct th_errbuf eb = {{0}};
	struct obj s = T("t_spill");
	struct snap s0 = snap();
	struct module *m = NULL;
	struct loader_module_desc d;
	enum loader_spill_policy p;

	CHECK_EQ(loader_get_spill_policy(), LOADER_SPILL_WARN);
	CHECK_EQ(loader_parse_spill_policy("reject", &p), TH_OK);
	CHECK_EQ(p, LOADER_SPILL_REJECT);
	CHECK_EQ(loader_parse_spill_policy("maybe", &p), TH_EINVAL);
	loader_set_spill_policy(LOADER_SPILL_REJECT);
	CHECK_EQ(load1(s, NULL, NULL, &eb), TH_ESPILL);
	CHECK(strstr(eb.msg, ".data (4 bytes)") && strstr(eb.msg, ".bss (4 bytes)"));
	CHECK_SAME(s0);
	loader_set_spill_policy(LOADER_SPILL_WARN);
	CHECK_EQ(load1(s, NULL, &m, &eb), TH_OK);
	if (m) {
		loader_module_describe(m, &d);
		CHECK_EQ(d.spill, 8);
		CHECK_EQ(((int (*)(void))sym("ts_bump"))(), 7); /* data is writable */
		unload_ok("t_spill");
	}
	CHECK_SAME(s0);
	drop(&s);
}

static void test_relink(void)
{
	struct th_errbuf eb = {{0}};
	struct obj a = T("t_math"), b = T("t_user"), c = T("t_alt");
	struct loader_blob bl[3] = {{a.data, a.len, NULL, NULL}, {b.data, b.len, NULL, NULL},
				    {c.data, c.len, NULL, NULL}};
	struct snap s0 = snap();
	struct module *out[3] = {0};
	struct loader_edge *e;
	fn_iii_i sum3;
	int n = 0;

	CHECK_EQ(loader_load_batch(bl, 3, out, &eb), TH_OK);
	if (!out[0])
		goto done;
	sum3 = (fn_iii_i)sym("tu_sum3");
	CHECK_EQ(sum3(2, 3, 4), 9);
	for (e = loader_edges_in(out[0]); e; e = e->next_in)
		if (strcmp(e->symbol, "tm_add") == 0) {
			CHECK_EQ(loader_relink_site(e, (uintptr_t)sym("tm_add_alt"), &eb), TH_OK);
			n++;
		}
	CHECK(n >= 2);
	/* The rewritten sites' pages are R-X again (W^X restored), checked before
	 * running them: a page left RW would only show as a crash. */
	if (!regions_sealed(out[1])) {
		CHECK(!"t_user's regions keep their protection after relink");
		goto unload;
	}
	CHECK_EQ(sum3(2, 3, 4), 24); /* t_user now calls the alternative */
	/* A target out of reach is refused and changes nothing. */
	for (e = loader_edges_in(out[0]); e; e = e->next_in)
		if (e->type == R_X86_64_PLT32 || e->type == R_X86_64_PC32) {
			CHECK_EQ(loader_relink_site(e, (uintptr_t)&host_far_var, &eb), TH_EOVERFLOW);
			break;
		}
	CHECK_EQ(sum3(2, 3, 4), 24);
	for (e = loader_edges_in(out[0]); e; e = e->next_in)
		if (strcmp(e->symbol, "tm_add") == 0)
			CHECK_EQ(loader_relink_site(e, (uintptr_t)sym("tm_add"), &eb), TH_OK);
	CHECK_EQ(sum3(2, 3, 4), 9);
	CHECK(regions_sealed(out[1]));
unload:
	unload_ok("t_user");
	unload_ok("t_alt");
	unload_ok("t_math");
done:
	CHECK_SAME(s0);
	drop(&a);
	drop(&b);
	drop(&c);
}

/* ---- hostile objects --------------------------------------------------------- */

struct view {
	struct elf64_ehdr *eh;
	struct elf64_shdr *sh;
	char *shstr;
};

static struct view view(struct obj o)
{
	struct view v;
	v.eh = o.data;
	v.sh = (struct elf64_shdr *)((char *)o.data + v.eh->shoff);
	v.shstr = (char *)o.data + v.sh[v.eh->shstrndx].offset;
	return v;
}

static size_t sec(struct view v, const char *name)
{
	size_t i;
	for (i = 1; i < v.eh->shnum; i++)
		if (strcmp(v.shstr + v.sh[i].name, name) == 0)
			return i;
	return 0;
}

static struct elf64_sym *syms(struct obj o, struct view v, size_t *n)
{
	size_t i = sec(v, ".symtab");
	*n = v.sh[i].size / sizeof(struct elf64_sym);
	return (struct elf64_sym *)((char *)o.data + v.sh[i].offset);
}

static size_t sym_index(struct obj o, struct view v, const char *name)
{
	size_t n, i, st = v.sh[sec(v, ".symtab")].link;
	struct elf64_sym *y = syms(o, v, &n);
	for (i = 1; i < n; i++)
		if (strcmp((char *)o.data + v.sh[st].offset + y[i].name, name) == 0)
			return i;
	return 0;
}

static struct elf64_rela *relas(struct obj o, struct view v, size_t *n)
{
	size_t i = sec(v, ".rela.text");
	*n = v.sh[i].size / sizeof(struct elf64_rela);
	return (struct elf64_rela *)((char *)o.data + v.sh[i].offset);
}

enum mut {
	M_MAGIC, M_CLASS, M_TYPE, M_MACHINE, M_SHENTSIZE, M_SHOFF, M_SHOFF_WRAP, M_SHNUM,
	M_SHSTRNDX, M_TEXT_OFF, M_TEXT_SIZE, M_SECNAME, M_SHSTR_NUL, M_SYMLINK, M_SYMENT,
	M_STR_NUL, M_SYMNAME, M_SYMSHNDX, M_SYMCOMMON, M_SYMVALUE, M_RELSYM, M_RELOFF,
	M_RELTYPE, M_RELGOT, M_RELINFO, M_RELLINK, M_ALIGN, M_BIGALIGN, M_WX, M_NOINFO,
	M_ABI, M_NAMENUL, M_NAMECHARS, M_NMUT
};

/* Apply mutation k to a fresh copy; returns the expected error. */
static int mutate(struct obj o, enum mut k)
{
	struct view v = view(o);
	size_t ns, nr, text = sec(v, ".text"), st = sec(v, ".symtab"), info = sec(v, ".theseus.module");
	struct elf64_sym *y = syms(o, v, &ns);
	struct elf64_rela *r = relas(o, v, &nr);
	size_t gi = sym_index(o, v, "tm_add");
	struct th_module_info *mi = (struct th_module_info *)((char *)o.data + v.sh[info].offset);

	switch (k) {
	case M_MAGIC: v.eh->ident[1] = 'X'; return TH_EBADELF;
	case M_CLASS: v.eh->ident[4] = 1; return TH_EBADELF;
	case M_TYPE: v.eh->type = 2; return TH_EBADELF;
	case M_MACHINE: v.eh->machine = 3; return TH_EBADELF;
	case M_SHENTSIZE: v.eh->shentsize = 32; return TH_EBADELF;
	case M_SHOFF: v.eh->shoff = o.len; return TH_EBADELF;
	case M_SHOFF_WRAP: v.eh->shoff = UINT64_MAX - 7; return TH_EBADELF;
	case M_SHNUM: v.eh->shnum = 0xffff; return TH_ETOOBIG;
	case M_SHSTRNDX: v.eh->shstrndx = v.eh->shnum; return TH_EBADELF;
	case M_TEXT_OFF: v.sh[text].offset = UINT64_MAX - 4; return TH_EBADELF;
	case M_TEXT_SIZE: v.sh[text].size = o.len; return TH_EBADELF;
	case M_SECNAME: v.sh[text].name = 0x7fffffff; return TH_EBADELF;
	case M_SHSTR_NUL:
		v.shstr[v.sh[v.eh->shstrndx].size - 1] = 'x';
		return TH_EBADELF;
	case M_SYMLINK: v.sh[st].link = 999; return TH_EBADELF;
	case M_SYMENT: v.sh[st].entsize = 16; return TH_EBADELF;
	case M_STR_NUL:
		((char *)o.data)[v.sh[v.sh[st].link].offset + v.sh[v.sh[st].link].size - 1] = 'x';
		return TH_EBADELF;
	case M_SYMNAME: y[gi].name = 0xffffff; return TH_EBADELF;
	case M_SYMSHNDX: y[gi].shndx = 200; return TH_EBADELF;
	case M_SYMCOMMON: y[gi].shndx = SHN_COMMON; return TH_ENOTSUP;
	case M_SYMVALUE: y[gi].value = 1u << 20; return TH_EBADELF;
	case M_RELSYM: r[0].info = ((uint64_t)ns << 32) | ELF_R_TYPE(r[0].info); return TH_EBADELF;
	case M_RELOFF: r[0].offset = v.sh[text].size - 2; return TH_EBADELF;
	case M_RELTYPE: r[0].info = (r[0].info & ~0xffffffffull) | 200; return TH_ERELOC;
	case M_RELGOT: r[0].info = (r[0].info & ~0xffffffffull) | R_X86_64_REX_GOTPCRELX; return TH_ERELOC;
	case M_RELINFO: v.sh[sec(v, ".rela.text")].info = 5000; return TH_EBADELF;
	case M_RELLINK: v.sh[sec(v, ".rela.text")].link = 0; return TH_EBADELF;
	case M_ALIGN: v.sh[text].addralign = 24; return TH_EBADELF;
	case M_BIGALIGN: v.sh[text].addralign = 1u << 16; return TH_EBADELF;
	case M_WX: v.sh[text].flags |= SHF_WRITE; return TH_EBADELF;
	case M_NOINFO: v.sh[info].name = v.sh[text].name; return TH_EBADELF;
	case M_ABI: mi->abi = 99; return TH_EBADELF;
	case M_NAMENUL: memset(mi->name, 'a', sizeof mi->name); return TH_EBADELF;
	case M_NAMECHARS: mi->name[0] = 'T'; return TH_EBADELF;
	case M_NMUT: break;
	}
	return TH_OK;
}

static void test_hostile_mutations(void)
{
	struct obj base = T("t_math");
	struct snap s0 = snap();
	int k;

	for (k = 0; k < M_NMUT; k++) {
		struct th_errbuf eb = {{0}};
		struct obj o = dup_obj(base);
		int want = mutate(o, (enum mut)k), got = load1(o, "mutant", NULL, &eb);
		if (got != want)
			fprintf(stderr, "  mutation %d: got %s want %s (%s)\n", k, th_err_name(got),
				th_err_name(want), eb.msg);
		CHECK_EQ(got, want);
		CHECK(eb.msg[0] != '\0');
		if (k == M_RELGOT)
			CHECK(strstr(eb.msg, "-fno-pic") != NULL);
		if (k == M_RELTYPE)
			CHECK(strstr(eb.msg, "t_math") && strstr(eb.msg, ".rela.text") &&
			      strstr(eb.msg, "200"));
		if (k == M_SYMCOMMON)
			CHECK(strstr(eb.msg, "-fno-common") != NULL);
		CHECK_SAME(s0);
		drop(&o);
	}
	drop(&base);
}

static void test_truncated(void)
{
	struct obj base = T("t_math");
	struct snap s0 = snap();
	size_t len, bad = 0;

	for (len = 0; len < base.len; len++) {
		struct th_errbuf eb = {{0}};
		struct obj o = {malloc(len ? len : 1), len};
		memcpy(o.data, base.data, len);
		if (load1(o, "truncated", NULL, &eb) != TH_EBADELF)
			bad++;
		drop(&o);
	}
	CHECK_EQ(bad, 0);
	CHECK_SAME(s0);
	drop(&base);
}

/* Flip every byte of the object in turn: no crash, and either an error that
 * leaves no trace or a load that unloads cleanly. */
static void test_byte_flips(void)
{
	struct obj base = T("t_user"), dep = T("t_math");
	struct snap s0;
	struct th_errbuf eb = {{0}};
	size_t i;

	CHECK_EQ(load1(dep, NULL, NULL, &eb), TH_OK);
	s0 = snap();
	loader_set_run_hooks(false);
	log_set_console_level(LOG_ERROR);
	for (i = 0; i < base.len; i++) {
		struct obj o = dup_obj(base);
		struct module *m = NULL;
		((uint8_t *)o.data)[i] ^= 0xa5;
		if (load1(o, "flipped", &m, &eb) == TH_OK)
			CHECK_EQ(loader_unload(m, &eb), TH_OK);
		CHECK_SAME(s0);
		drop(&o);
	}
	loader_set_run_hooks(true);
	log_set_console_level(LOG_DEBUG);
	unload_ok("t_math");
	drop(&base);
	drop(&dep);
}

/* After a load every region of the module has exactly its protection:
 * text R-X, rodata R--, data (.data and .bss) RW-. */
static void test_protections_after_load(void)
{
	struct th_errbuf eb = {{0}};
	struct obj a = T("t_math"), s = T("t_spill2");
	struct snap s0 = snap();
	struct module *ma = NULL, *ms = NULL;
	struct loader_module_desc d;
	unsigned long calls = modmem_host_protect_calls();

	/* No hooks: nothing runs in the module before its protections are checked. */
	loader_set_run_hooks(false);
	CHECK_EQ(load1(a, NULL, &ma, &eb), TH_OK);
	CHECK_EQ(load1(s, NULL, &ms, &eb), TH_OK);
	loader_set_run_hooks(true);
	CHECK(modmem_host_protect_calls() > calls);
	if (ma) {
		loader_module_describe(ma, &d);
		CHECK(d.text > 0 && d.rodata > 0 && d.data == 0);
		CHECK(regions_sealed(ma));
		CHECK_EQ(modmem_host_prot((uintptr_t)sym("tm_add")), VMM_R | VMM_X);
		CHECK_EQ(modmem_host_prot((uintptr_t)sym("tm_magic")), VMM_R);
	}
	if (ms) {
		loader_module_describe(ms, &d);
		CHECK(d.text > 0 && d.data >= 124);
		CHECK(regions_sealed(ms));
		CHECK_EQ(modmem_host_prot((uintptr_t)sym("ts2_table")), VMM_R | VMM_W);
		if (regions_sealed(ms)) /* table[1] + buf[7]: data is writable, text runs */
			CHECK_EQ(((int (*)(int))sym("ts2_touch"))(7), 3);
	}
	CHECK_EQ(modmem_host_prot((uintptr_t)&s0), MODMEM_HOST_NOT_MODMEM);
	if (ms)
		unload_ok("t_spill2");
	if (ma)
		unload_ok("t_math");
	CHECK_SAME(s0);
	drop(&a);
	drop(&s);
}

/* Spill is reported in bytes, per section and in total: 24 bytes of .data
 * and 100 of .bss (NOBITS counts as much as PROGBITS). */
static void test_spill_exact_bytes(void)
{
	struct th_errbuf eb = {{0}};
	struct obj s = T("t_spill2");
	struct snap s0 = snap();
	struct module *m = NULL;
	struct loader_module_desc d;

	loader_set_spill_policy(LOADER_SPILL_REJECT);
	CHECK_EQ(load1(s, NULL, NULL, &eb), TH_ESPILL);
	CHECK(strstr(eb.msg, ".data (24 bytes), .bss (100 bytes)") != NULL);
	CHECK_SAME(s0);
	loader_set_spill_policy(LOADER_SPILL_WARN);
	CHECK_EQ(load1(s, NULL, &m, &eb), TH_OK);
	if (m) {
		loader_module_describe(m, &d);
		CHECK_EQ(d.spill, 124);
		unload_ok("t_spill2");
	}
	CHECK_SAME(s0);
	drop(&s);
}

/* elf_parse on o; returns its error (releasing what it holds on success). */
static int parse_only(struct obj o)
{
	struct elf_obj eo;
	struct th_errbuf eb = {{0}};
	int err = elf_parse(o.data, o.len, "bounds", &eo, &eb);

	if (!err)
		elf_release(&eo);
	return err;
}

/* Each bound of the ELF parser at its exact edge: the last valid value is
 * accepted, one more is refused (EBADELF).  On copies of t_math.o. */
static void test_elf_bounds_exact(void)
{
	struct obj base = T("t_math"), o;
	struct view v;
	size_t text, st, note, gi, li, nr, strsz;
	struct elf64_rela *r;
	uint64_t w;

	CHECK_EQ(parse_only(base), TH_OK);
	v = view(base);
	text = sec(v, ".text");
	st = sec(v, ".symtab");
	note = sec(v, ".note.GNU-stack");
	gi = sym_index(base, v, "tm_add");
	CHECK(text && st && note && gi);
	strsz = v.sh[v.sh[st].link].size;

#define EDGE(expr_ok, expr_bad)                                                      \
	do {                                                                         \
		o = dup_obj(base);                                                   \
		v = view(o);                                                         \
		expr_ok;                                                             \
		CHECK_EQ(parse_only(o), TH_OK);                                      \
		drop(&o);                                                            \
		o = dup_obj(base);                                                   \
		v = view(o);                                                         \
		expr_bad;                                                            \
		CHECK_EQ(parse_only(o), TH_EBADELF);                                 \
		drop(&o);                                                            \
	} while (0)

	/* section contents ending exactly at the end of the file / one byte past */
	EDGE(v.sh[text].size = o.len - v.sh[text].offset,
	     v.sh[text].size = o.len - v.sh[text].offset + 1);
	/* an empty section at offset == file size / one past */
	EDGE(v.sh[note].offset = o.len, v.sh[note].offset = o.len + 1);
	/* section name offset: the last byte of the name table (its NUL) / its size */
	EDGE(v.sh[text].name = (uint32_t)(v.sh[v.eh->shstrndx].size - 1),
	     v.sh[text].name = (uint32_t)v.sh[v.eh->shstrndx].size);
	/* symbol name offset: the last byte of the string table / its size (on a
	 * local function: an export without a name is refused for that alone) */
	li = sym_index(base, view(base), "tm_init");
	CHECK(li != 0);
	EDGE(syms(o, v, &nr)[li].name = (uint32_t)(strsz - 1),
	     syms(o, v, &nr)[li].name = (uint32_t)strsz);
	/* symbol value: the end of its section / one past */
	EDGE(syms(o, v, &nr)[gi].value = v.sh[text].size,
	     syms(o, v, &nr)[gi].value = v.sh[text].size + 1);
	/* relocation site: the last full-width site in .text / one byte further */
	r = relas(base, view(base), &nr);
	CHECK(nr > 0);
	w = reloc_width(ELF_R_TYPE(r[0].info));
	CHECK_EQ(w, 4);
	EDGE(relas(o, v, &nr)[0].offset = v.sh[text].size - w,
	     relas(o, v, &nr)[0].offset = v.sh[text].size - w + 1);
	EDGE((void)0, relas(o, v, &nr)[0].offset = v.sh[text].size);
	/* relocation symbol index: the last symbol / the symbol count */
	{
		size_t ns;
		syms(base, view(base), &ns);
		EDGE(relas(o, v, &nr)[0].info = ((uint64_t)gi << 32) | ELF_R_TYPE(r[0].info),
		     relas(o, v, &nr)[0].info = ((uint64_t)ns << 32) | ELF_R_TYPE(r[0].info));
	}
	/* section name table index: the real one / the section count */
	EDGE((void)0, v.eh->shstrndx = v.eh->shnum);
#undef EDGE
	drop(&base);
}

/* Relocation overflow checks at INT32_MAX/INT32_MIN (and 0/UINT32_MAX for
 * R_X86_64_32): the edge value is written, one beyond is EOVERFLOW and the
 * site is left untouched. */
static void test_reloc_overflow_edges(void)
{
	const uintptr_t p = 0x10000000; /* the site's address */
	const int64_t max = INT32_MAX, min = INT32_MIN;
	struct {
		uint32_t type;
		uintptr_t s;
		int64_t a;
		int err;
		uint32_t value;
	} c[] = {
		{R_X86_64_PC32, p, max, TH_OK, 0x7fffffffu},
		{R_X86_64_PC32, p, max + 1, TH_EOVERFLOW, 0},
		{R_X86_64_PC32, p, min, TH_OK, 0x80000000u},
		{R_X86_64_PC32, p, min - 1, TH_EOVERFLOW, 0},
		{R_X86_64_PC32, p + (uintptr_t)max + 4, -4, TH_OK, 0x7fffffffu},
		{R_X86_64_PC32, p + (uintptr_t)max + 5, -4, TH_EOVERFLOW, 0},
		{R_X86_64_PLT32, p, max, TH_OK, 0x7fffffffu},
		{R_X86_64_PLT32, p, max + 1, TH_EOVERFLOW, 0},
		{R_X86_64_PLT32, p, min, TH_OK, 0x80000000u},
		{R_X86_64_PLT32, p, min - 1, TH_EOVERFLOW, 0},
		{R_X86_64_32S, 0, max, TH_OK, 0x7fffffffu},
		{R_X86_64_32S, 0, max + 1, TH_EOVERFLOW, 0},
		{R_X86_64_32S, 0, min, TH_OK, 0x80000000u},
		{R_X86_64_32S, 0, min - 1, TH_EOVERFLOW, 0},
		{R_X86_64_32S, (uintptr_t)max, 0, TH_OK, 0x7fffffffu},
		{R_X86_64_32S, (uintptr_t)max + 1, 0, TH_EOVERFLOW, 0},
		{R_X86_64_32, 0, 0, TH_OK, 0},
		{R_X86_64_32, 0, -1, TH_EOVERFLOW, 0},
		{R_X86_64_32, 0, UINT32_MAX, TH_OK, 0xffffffffu},
		{R_X86_64_32, 0, (int64_t)UINT32_MAX + 1, TH_EOVERFLOW, 0},
		{R_X86_64_32, 1, -1, TH_OK, 0},
		{R_X86_64_32, 0, min, TH_EOVERFLOW, 0},
		{R_X86_64_32, (uintptr_t)UINT32_MAX + 1, -1, TH_OK, 0xffffffffu},
	};
	size_t i;

	for (i = 0; i < sizeof c / sizeof c[0]; i++) {
		uint8_t site[8];
		uint32_t got;
		int err;

		memset(site, 0xa5, sizeof site);
		err = reloc_apply(c[i].type, site, p, c[i].s, c[i].a);
		memcpy(&got, site, 4);
		if (err != c[i].err || (err == TH_OK && got != c[i].value) ||
		    (err != TH_OK && got != 0xa5a5a5a5u) || site[4] != 0xa5) {
			fprintf(stderr, "  case %zu: %s S=%#lx A=%lld: got %s value %#x\n", i,
				reloc_type_name(c[i].type), (unsigned long)c[i].s, (long long)c[i].a,
				th_err_name(err), got);
			CHECK(!"relocation overflow edge");
		}
	}
}

/* ---- the real modules --------------------------------------------------------- */

static void test_real_modules(void)
{
	struct th_errbuf eb = {{0}};
	struct obj c = M("checksum"), l = M("logfmt"), k = M("kv"), h = M("hello"), h2 = M("hello_v2");
	struct loader_blob bl[4] = {{h.data, h.len, "hello.o", NULL}, {k.data, k.len, "kv.o", NULL},
				    {l.data, l.len, "logfmt.o", NULL}, {c.data, c.len, "checksum.o", NULL}};
	struct snap s0 = snap();
	char buf[128];
	size_t n = 0;
	int err;

	err = loader_load_batch(bl, 4, NULL, &eb);
	CHECK_EQ(err, TH_OK);
	if (err) {
		fprintf(stderr, "  %s\n", eb.msg);
		goto out;
	}
	CHECK_EQ(((uint32_t(*)(const void *, size_t))sym("checksum_crc32"))("123456789", 9),
		 0xcbf43926u);
	{
		int (*fmt)(char *, size_t, int, const char *, const char *, size_t *) =
			(int (*)(char *, size_t, int, const char *, const char *, size_t *))sym("logfmt_format");
		CHECK_EQ(fmt(buf, sizeof buf, LOG_WARN, "net", "link\ndown", &n), TH_OK);
		CHECK_STR(buf, "WRN [net] link?down");
		CHECK_EQ(n, strlen(buf));
		CHECK_EQ(fmt(buf, 20, LOG_INFO, "net", "a very long message indeed", &n), TH_OK);
		CHECK_STR(buf, "INF [net] a very...");
	}
	{
		int (*put)(const char *, const char *, struct th_errbuf *) =
			(int (*)(const char *, const char *, struct th_errbuf *))sym("kv_put");
		int (*get)(const char *, char *, size_t, struct th_errbuf *) =
			(int (*)(const char *, char *, size_t, struct th_errbuf *))sym("kv_get");
		int (*del)(const char *, struct th_errbuf *) =
			(int (*)(const char *, struct th_errbuf *))sym("kv_del");
		int (*count)(size_t *, struct th_errbuf *) =
			(int (*)(size_t *, struct th_errbuf *))sym("kv_count");
		CHECK_EQ(put("colour", "blue", &eb), TH_OK);
		CHECK_EQ(put("shape", "round", &eb), TH_OK);
		CHECK_EQ(put("colour", "green", &eb), TH_OK);
		CHECK_EQ(get("colour", buf, sizeof buf, &eb), TH_OK);
		CHECK_STR(buf, "green");
		CHECK_EQ(count(&n, &eb), TH_OK);
		CHECK_EQ(n, 2);
		CHECK_EQ(get("colour", buf, 3, &eb), TH_ERANGE);
		CHECK_EQ(del("colour", &eb), TH_OK);
		CHECK_EQ(get("colour", buf, sizeof buf, &eb), TH_ENOENT);
		CHECK_EQ(get("shape", buf, sizeof buf, &eb), TH_OK);
		CHECK_STR(buf, "round");
	}
	{
		int (*greet)(char *, size_t) = (int (*)(char *, size_t))sym("hello_greet");
		CHECK_EQ(greet(buf, sizeof buf), TH_OK);
		CHECK_EQ(greet(buf, sizeof buf), TH_OK);
		CHECK_STR(buf, "hello from v1 (call 2)");
	}
	/* kv uses checksum: refused.  Swap hello for hello_v2 by unload + load:
	 * the counter lives in statedb and carries over. */
	CHECK_EQ(loader_unload(loader_find("checksum"), &eb), TH_EDEPEND);
	CHECK(strstr(eb.msg, "kv") != NULL);
	unload_ok("hello");
	err = load1(h2, "hello_v2.o", NULL, &eb);
	CHECK_EQ(err, TH_OK);
	if (!err) {
		int (*greet)(char *, size_t) = (int (*)(char *, size_t))sym("hello_greet");
		CHECK_EQ(greet(buf, sizeof buf), TH_OK);
		CHECK_STR(buf, "INF [hello] HELLO from v2, call 3");
		CHECK_STR(loader_module_info(loader_find("hello"))->version, "2.0");
		unload_ok("hello");
	}
	{
		char list[1024];
		loader_format_list(list, sizeof list);
		CHECK(strstr(list, "kv") && strstr(list, "deps=checksum"));
		fprintf(stderr, "%s", list);
	}
	unload_ok("kv");
	unload_ok("logfmt");
	unload_ok("checksum");
out:
	CHECK_SAME(s0);
	drop(&c);
	drop(&l);
	drop(&k);
	drop(&h);
	drop(&h2);
}

/* The host tool's check: spill flagged, errors counted, good modules clean
 * (the warning about debug info is counted apart: test objects have it). */
static int lint_debug_warnings;
static void lint_count(void *ctx, const char *level, const char *text)
{
	if (strstr(text, "bytes of debug info"))
		lint_debug_warnings++;
	else if (strcmp(level, "info") != 0)
		++*(int *)ctx;
}

/* TH_INVOKE records: only declared functions are invocable; the module's own
 * symbol table (static functions too) names addresses in its code. */
static void test_invocable_and_symbols(void)
{
	struct th_errbuf eb = {{0}};
	struct obj k = M("kv"), c = M("checksum");
	struct loader_blob bl[2] = {{c.data, c.len, "checksum.o", NULL}, {k.data, k.len, "kv.o", NULL}};
	struct module *mods[2];
	const char *name, *mod;
	uint64_t off;
	int err = loader_load_batch(bl, 2, mods, &eb);

	CHECK_EQ(err, TH_OK);
	if (err)
		goto out;
	CHECK(loader_module_invocable(mods[1], (uintptr_t)sym("kv_invoke_get")));
	CHECK(loader_module_invocable(mods[1], (uintptr_t)sym("kv_invoke_put")));
	CHECK(!loader_module_invocable(mods[1], (uintptr_t)sym("kv_put")));
	CHECK(!loader_module_invocable(mods[0], (uintptr_t)sym("checksum_crc32_update")));
	CHECK(loader_module_of_addr((uintptr_t)sym("kv_put")) == mods[1]);
	CHECK(loader_module_of_addr((uintptr_t)&eb) == NULL);
	CHECK(loader_symbolize((uintptr_t)sym("kv_invoke_get") + 3, &name, &off, &mod));
	CHECK_STR(name, "kv_invoke_get");
	CHECK_EQ(off, 3);
	CHECK_STR(mod, "kv");
	CHECK_EQ(loader_unload_batch(mods, 2, &eb), TH_OK);
out:
	drop(&k);
	drop(&c);
}

static void test_lint(void)
{
	struct obj s = T("t_spill"), g = M("kv"), u = T("t_undef");
	int findings = 0;

	CHECK_EQ(loader_lint(s.data, s.len, LOADER_SPILL_WARN, NULL, lint_count, &findings), TH_OK);
	CHECK_EQ(findings, 2);
	CHECK_EQ(lint_debug_warnings, 1); /* t_spill.o is built with -g, not stripped */
	lint_debug_warnings = 0;
	CHECK_EQ(loader_lint(s.data, s.len, LOADER_SPILL_REJECT, NULL, lint_count, &findings), TH_ESPILL);
	findings = 0;
	lint_debug_warnings = 0;
	CHECK_EQ(loader_lint(g.data, g.len, LOADER_SPILL_REJECT, NULL, lint_count, &findings), TH_OK);
	CHECK_EQ(lint_debug_warnings, 0); /* build/modules/kv.o is stripped (kv.debug is not) */
	CHECK_EQ(loader_lint(u.data, u.len, LOADER_SPILL_REJECT, NULL, lint_count, &findings), TH_OK);
	CHECK_EQ(findings, 0);
	CHECK_EQ(loader_lint(s.data, 100, LOADER_SPILL_WARN, NULL, lint_count, &findings), TH_EBADELF);
	drop(&s);
	drop(&g);
	drop(&u);
}

int main(void)
{
	static struct th_errbuf eb;
	size_t arena_len = statedb_arena_size(64, 1 << 16);
	void *arena = malloc(arena_len);

	if (!arena || statedb_init(arena, arena_len, 64, &eb)) {
		fprintf(stderr, "statedb_init: %s\n", eb.msg);
		return 1;
	}
	RUN(test_init);
	RUN(test_protections_after_load);
	RUN(test_load_and_call);
	RUN(test_cross_module_and_edges);
	RUN(test_batch_atomic);
	RUN(test_errors_leave_no_trace);
	RUN(test_spill_policy);
	RUN(test_relink);
	RUN(test_spill_exact_bytes);
	RUN(test_elf_bounds_exact);
	RUN(test_reloc_overflow_edges);
	RUN(test_hostile_mutations);
	RUN(test_truncated);
	RUN(test_byte_flips);
	RUN(test_real_modules);
	RUN(test_lint);
	RUN(test_invocable_and_symbols);
	RUN(test_batch_any_order);
	RUN(test_retire);
	CHECK_EQ(modmem_in_use(), 0);
	free(arena);
	return check_summary("loader");
}
