/*
 * ctors.c - a module's constructors and destructors: the function pointers
 * of its .init_array sections, run before its init (or transfer) hook, and
 * of its .fini_array sections, run after its fini hook, each as a guarded
 * call (modcall.h) like the hooks.  C's __attribute__((constructor)) and
 * C++'s global objects put their initialisers there.
 *
 * Order, as a C runtime runs them: ".init_array.NNNNN" sections (priority
 * NNNNN, ascending) before ".init_array", each in order; destructors in the
 * reverse of that order for .fini_array.  0 and -1 entries are skipped, as
 * old runtimes did; every other pointer points into the module's code
 * (records.c checked that after relocation).
 */
#include "loader_impl.h"
#include "modcall.h"

/* Priority of section name base[.NNNNN]: NNNNN, or 65536 for the plain one. */
static unsigned long priority(const char *name, const char *base)
{
	size_t l = strlen(base);
	unsigned long p = 0;

	if (name[l] != '.')
		return 65536;
	for (name += l + 1; *name >= '0' && *name <= '9'; name++)
		p = p * 10 + (unsigned long)(*name - '0');
	return p < 65536 ? p : 65536;
}

/* The pointers of every section of type `type` into *out, by priority. */
static int collect(const struct elf_obj *o, struct module *m, uint32_t type, const char *base,
		   th_ctor_fn **out, size_t *n, struct th_errbuf *eb)
{
	size_t i, k, total = 0, nsec = 0, *secs;

	for (i = 1; i < o->shnum; i++)
		if (o->sh[i].type == type && o->cls[i] != SEC_NONE) {
			total += o->sh[i].size / sizeof(th_ctor_fn);
			nsec++;
		}
	*out = NULL;
	*n = 0;
	if (!total)
		return TH_OK;
	secs = kcalloc(nsec, sizeof *secs);
	*out = kcalloc(total, sizeof **out);
	if (!secs || !*out) {
		kfree(secs);
		return th_errf(eb, TH_ENOMEM, "%s: no memory for %zu constructors", m->name, total);
	}
	/* Insertion sort of the sections by priority (there are few). */
	for (i = 1, k = 0; i < o->shnum; i++) {
		size_t j;
		if (o->sh[i].type != type || o->cls[i] == SEC_NONE)
			continue;
		for (j = k++; j > 0 && priority(elf_sec_name(o, secs[j - 1]), base) >
					       priority(elf_sec_name(o, i), base); j--)
			secs[j] = secs[j - 1];
		secs[j] = i;
	}
	for (k = 0; k < nsec; k++) {
		const th_ctor_fn *fns = (const th_ctor_fn *)(m->mem + m->sec_off[secs[k]]);
		for (i = 0; i < o->sh[secs[k]].size / sizeof *fns; i++) {
			uintptr_t a = (uintptr_t)fns[i];
			if (a != 0 && a != UINTPTR_MAX)
				(*out)[(*n)++] = fns[i];
		}
	}
	kfree(secs);
	return TH_OK;
}

int ctors_collect(const struct elf_obj *o, struct module *m, struct th_errbuf *eb)
{
	int err = collect(o, m, SHT_INIT_ARRAY, ".init_array", &m->ctors, &m->n_ctors, eb);
	if (!err)
		err = collect(o, m, SHT_FINI_ARRAY, ".fini_array", &m->dtors, &m->n_dtors, eb);
	if (!err && m->n_dtors > 1) { /* destructors run in the reverse order */
		for (size_t i = 0, j = m->n_dtors - 1; i < j; i++, j--) {
			th_ctor_fn t = m->dtors[i];
			m->dtors[i] = m->dtors[j];
			m->dtors[j] = t;
		}
	}
	return err;
}

void ctors_free(struct module *m)
{
	kfree(m->ctors);
	kfree(m->dtors);
	m->ctors = m->dtors = NULL;
	m->n_ctors = m->n_dtors = 0;
}

int loader_run_ctors(const struct module *m, struct th_errbuf *eb)
{
	for (size_t i = 0; i < m->n_ctors; i++) {
		struct th_errbuf hb = { "" };
		int err = modcall_ctor(m->name, m->ctors[i], &hb);
		if (err)
			return th_errf(eb, err, "%s: constructor %zu of %zu failed: %s%s%s", m->name,
				       i + 1, m->n_ctors, th_err_name(err), hb.msg[0] ? ": " : "",
				       hb.msg);
	}
	return TH_OK;
}

void loader_run_dtors(const struct module *m)
{
	for (size_t i = 0; i < m->n_dtors; i++)
		modcall_fini(m->name, loader_module_version(m), m->dtors[i]);
}
