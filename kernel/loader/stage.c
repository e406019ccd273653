/*
 * stage.c - the loader's half of a live swap: load a batch of objects
 * *beside* the running modules they replace, verify that every symbol live
 * dependents use is still there, then commit (relink the recorded sites,
 * move the edges, swap namespace entries and list positions), revert a
 * commit exactly, and retire or discard.
 *
 *   loader_stage_batch   parse, map, resolve, relocate, seal; no namespace
 *                        change, no init; holds the loader until _end
 *   loader_stage_verify  TH_ENOSYM naming symbol, dependent and module
 *   loader_stage_commit  the switch-over (caller keeps interrupts off)
 *   loader_stage_revert  undo a commit (a transfer hook failed)
 *   loader_stage_end     committed: old modules become retired (memory kept,
 *                        out-edges kept); else: the new modules are freed
 *   loader_retire        unload without a replacement: unlisted, memory kept
 *   loader_retired_free  free a retired module nobody links into any more
 *
 * Edges from retired modules (or from the replaced set itself) into a
 * replaced module are relinked when the new version exports the symbol, and
 * otherwise keep pointing at the old one, which then stays retired until
 * those dependents are freed: code still returning through a retired
 * version never calls into freed memory.
 */
#include "loader_impl.h"
#include "log.h"

struct relog {
	struct loader_edge *e;
	struct module *from;    /* the old target */
	const char *sym;        /* e->symbol before (owned by the old target) */
	uintptr_t old_addr;     /* the old symbol's address */
};

struct loader_stage {
	size_t n;
	struct module *old[LOADER_MAX_BATCH];
	struct module *neu[LOADER_MAX_BATCH];
	struct relog *log;
	size_t nlog, cap;
	struct symtab tab;      /* the new exports, until the commit */
	size_t new_exports;
	bool verified, committed;
};

static bool in_old(const struct loader_stage *s, const struct module *m)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->old[i] == m)
			return true;
	return false;
}

static struct lsym *stage_find(const struct loader_stage *s, const char *name)
{
	return symtab_find_in(&s->tab, name);
}

static void discard(struct pending *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i].m)
			deps_drop_out(p[i].m);
	for (i = n; i-- > 0;)
		if (p[i].m)
			loader_module_destroy(p[i].m, false);
}

int loader_stage_batch(const struct loader_blob *blobs, struct module *const *old, size_t n,
		       struct loader_stage **out, struct th_errbuf *eb)
{
	struct load_mode mode;
	struct loader_stage *s;
	struct pending *p;
	size_t i, j;
	int err = TH_OK;

	if (!blobs || !old || !out || n == 0 || n > LOADER_MAX_BATCH)
		return th_errf(eb, TH_EINVAL, "swap batch of %zu objects (1..%u)", n,
			       LOADER_MAX_BATCH);
	for (i = 0; i < n; i++) {
		if (!old[i] || old[i]->retired || old[i]->staged)
			return th_errf(eb, TH_EINVAL, "swap: module %zu is not a loaded module", i);
		for (j = 0; j < i; j++)
			if (old[j] == old[i])
				return th_errf(eb, TH_EINVAL, "%s: twice in one swap", old[i]->name);
	}
	s = kcalloc(1, sizeof *s);
	p = kcalloc(n, sizeof *p);
	if (!s || !p) {
		kfree(s);
		kfree(p);
		return th_errf(eb, TH_ENOMEM, "no memory for a swap of %zu modules", n);
	}
	if (!loader_enter()) {
		kfree(s);
		kfree(p);
		return th_errf(eb, TH_EBUSY, "loader busy");
	}
	mode.replaces = old;
	mode.batch = p;
	mode.tab = &s->tab;
	mode.n = n;
	for (i = 0; i < n && !err; i++)
		err = loader_phase1(p, i, &blobs[i], &mode, eb);
	for (i = 0; i < n && !err; i++)
		err = loader_phase2(&p[i].o, p[i].m, &mode, eb);
	for (i = 0; i < n && !err; i++)
		err = layout_seal(p[i].m, eb);
	for (i = 0; i < n; i++) {
		if (p[i].parsed)
			elf_release(&p[i].o);
		if (p[i].m) {
			kfree(p[i].m->sec_off);
			p[i].m->sec_off = NULL;
		}
	}
	if (err) {
		discard(p, n);
		symtab_free(&s->tab);
		kfree(p);
		kfree(s);
		loader_leave();
		return err;
	}
	s->n = n;
	for (i = 0; i < n; i++) {
		s->old[i] = old[i];
		s->neu[i] = p[i].m;
		s->neu[i]->staged = true;
		s->new_exports += p[i].m->n_exports;
	}
	kfree(p);
	*out = s;
	return TH_OK;
}

int loader_stage_verify(struct loader_stage *s, struct th_errbuf *eb)
{
	struct loader_edge *e;
	size_t i, cap = 0;

	for (i = 0; i < s->n; i++)
		for (e = s->old[i]->in_head; e; e = e->next_in) {
			cap++;
			if (in_old(s, e->dependent) || e->dependent->retired)
				continue;
			if (!stage_find(s, e->symbol))
				return th_errf(eb, TH_ENOSYM,
					       "%s uses %s of module %s; the new %s %s does not export it",
					       e->dependent->name, e->symbol, s->old[i]->name,
					       s->neu[i]->name, s->neu[i]->version);
		}
	kfree(s->log);
	s->log = kcalloc(cap ? cap : 1, sizeof *s->log);
	if (!s->log)
		return th_errf(eb, TH_ENOMEM, "no memory for %zu relink records", cap);
	s->cap = cap;
	s->nlog = 0;
	s->verified = true;
	return TH_OK;
}

/* Point the logged sites back at the old symbols, newest first. */
static void unrelink(struct loader_stage *s)
{
	struct th_errbuf eb;

	while (s->nlog > 0) {
		struct relog *r = &s->log[--s->nlog];
		if (loader_relink_site(r->e, r->old_addr, &eb))
			log_error("loader", "swap revert: %s", eb.msg); /* cannot happen: it fit */
		deps_move(r->e, r->from);
		r->e->symbol = r->sym;
	}
}

static void swap_names(struct module *const *out, struct module *const *in, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++)
		for (j = 0; j < out[i]->n_exports; j++)
			symtab_remove(&out[i]->exports[j]);
	for (i = 0; i < n; i++)
		for (j = 0; j < in[i]->n_exports; j++) {
			/* Cannot fail: names checked at staging, room reserved. */
			if (symtab_insert(&in[i]->exports[j], NULL))
				log_error("loader", "swap: namespace insert of %s failed",
					  in[i]->exports[j].name);
		}
}

int loader_stage_commit(struct loader_stage *s, struct th_errbuf *eb)
{
	struct loader_edge *e, *next;
	size_t i;
	int err;

	if (!s->verified || s->committed)
		return th_errf(eb, TH_EINVAL, "swap: commit before verify");
	if (symtab_reserve(s->new_exports))
		return th_errf(eb, TH_ENOMEM, "no memory for the symbol table");
	for (i = 0; i < s->n; i++) {
		for (e = s->old[i]->in_head; e; e = next) {
			struct lsym *ns = stage_find(s, e->symbol), *os;
			next = e->next_in;
			if (!ns)
				continue; /* a retired dependent keeps the old target */
			os = symtab_find_owned(e->symbol, s->old[i]);
			if (!os || os->owner != s->old[i] || s->nlog >= s->cap) {
				unrelink(s);
				return th_errf(eb, TH_EINVAL, "%s: swap: edge record of %s inconsistent",
					       s->old[i]->name, e->symbol);
			}
			err = loader_relink_site(e, ns->addr, eb);
			if (err) {
				unrelink(s);
				return err;
			}
			s->log[s->nlog++] = (struct relog){e, s->old[i], e->symbol, os->addr};
			deps_move(e, ns->owner);
			e->symbol = ns->name;
		}
	}
	symtab_free(&s->tab); /* its entries move to the namespace */
	swap_names(s->old, s->neu, s->n);
	for (i = 0; i < s->n; i++) {
		loader_list_replace(s->old[i], s->neu[i]);
		s->neu[i]->staged = false;
		s->neu[i]->inited = true;
		s->old[i]->retired = true;
	}
	s->committed = true;
	return TH_OK;
}

void loader_stage_revert(struct loader_stage *s)
{
	size_t i;

	if (!s->committed)
		return;
	for (i = 0; i < s->n; i++) {
		loader_list_replace(s->neu[i], s->old[i]);
		s->neu[i]->staged = true;
		s->neu[i]->inited = false;
		s->old[i]->retired = false;
	}
	swap_names(s->neu, s->old, s->n);
	unrelink(s);
	s->committed = false;
	s->verified = false; /* the batch's table went to the namespace: commit once */
}

size_t loader_stage_count(const struct loader_stage *s)
{
	return s->n;
}

struct module *loader_stage_new(const struct loader_stage *s, size_t i)
{
	return i < s->n ? s->neu[i] : NULL;
}

size_t loader_stage_sites(const struct loader_stage *s)
{
	return s->nlog;
}

void loader_stage_end(struct loader_stage *s, struct module **retired)
{
	size_t i;

	if (!s)
		return;
	if (s->committed) {
		for (i = 0; i < s->n; i++)
			if (retired)
				retired[i] = s->old[i];
	} else {
		for (i = 0; i < s->n; i++)
			deps_drop_out(s->neu[i]);
		for (i = s->n; i-- > 0;)
			loader_module_destroy(s->neu[i], false);
		for (i = 0; i < s->n && retired; i++)
			retired[i] = NULL;
	}
	symtab_free(&s->tab);
	kfree(s->log);
	kfree(s);
	loader_leave();
}

int loader_retire(struct module *m, struct th_errbuf *eb)
{
	struct loader_edge *e;
	size_t i;

	if (!m || m->retired || m->staged)
		return th_errf(eb, TH_EINVAL, "retire: not a loaded module");
	for (e = m->in_head; e; e = e->next_in)
		if (!e->dependent->retired)
			return th_errf(eb, TH_EDEPEND, "%s: used by %s", m->name, e->dependent->name);
	if (!loader_enter())
		return th_errf(eb, TH_EBUSY, "loader busy");
	for (i = 0; i < m->n_exports; i++)
		symtab_remove(&m->exports[i]);
	loader_list_del(m);
	m->retired = true;
	loader_leave();
	return TH_OK; /* no log: the caller may hold interrupts off */
}

int loader_retired_free(struct module *m, struct th_errbuf *eb)
{
	if (!m || !m->retired)
		return th_errf(eb, TH_EINVAL, "not a retired module");
	if (m->n_in)
		return th_errf(eb, TH_EBUSY, "%s %s: %zu sites of retired modules still link into it",
			       m->name, m->version, m->n_in);
	if (!loader_enter())
		return th_errf(eb, TH_EBUSY, "loader busy");
	deps_drop_out(m);
	loader_module_destroy(m, false);
	loader_leave();
	return TH_OK;
}

bool loader_module_contains(const struct module *m, uintptr_t addr)
{
	return m && m->mem && addr >= (uintptr_t)m->mem && addr - (uintptr_t)m->mem < m->mem_bytes;
}

uint64_t loader_module_serial(const struct module *m)
{
	return m->serial;
}

const char *loader_module_name(const struct module *m)
{
	return m->name;
}

const char *loader_module_version(const struct module *m)
{
	return m->version;
}
