/*
 * loader.c - load batches of modules as one transaction, and unload them.
 *
 *   phase 1  parse + validate each object, check its name is free, check
 *            spill, lay out and copy its sections, register its exports;
 *   phase 2  resolve every relocation (own sections, kernel exports, other
 *            modules incl. the rest of the batch), apply it with overflow
 *            checks (relocate.c), record an edge for each one into another
 *            module; check the record's code pointers (records.c);
 *   seal     text R-X, rodata R--, data RW-;
 *   phase 3  call init functions, dependencies first.
 * Any failure undoes the whole batch (fini of those already initialised,
 * edges, exports, memory), leaving namespace and records as before.
 */
#include "loader_impl.h"
#include "modcall.h"
#include "log.h"
#include "modmem.h"

struct module *loader_mods_head;
static struct module *mods_tail;
static size_t nmods;
static struct lsym *kernel_syms;
static size_t n_kernel_syms;
static enum loader_spill_policy spill_policy = LOADER_SPILL_WARN;
static bool busy;
static bool run_hooks = true;
static uint64_t load_serial;

/* Per-symbol resolution cache during phase 2. */
struct symres {
	uintptr_t addr;
	struct lsym *ls;
	bool done;
};

/* ---- init, policy, lookups ------------------------------------------------- */

int loader_init(const struct kexport *exports, size_t n, struct th_errbuf *eb)
{
	size_t i;
	int err;

	if (busy || loader_mods_head)
		return th_errf(eb, TH_EBUSY, "loader_init: modules are loaded");
	symtab_reset();
	kfree(kernel_syms);
	kernel_syms = NULL;
	n_kernel_syms = 0;
	if (n == 0)
		return TH_OK;
	if (!exports)
		return th_errf(eb, TH_EINVAL, "loader_init: no export table");
	kernel_syms = kcalloc(n, sizeof *kernel_syms);
	if (!kernel_syms)
		return th_errf(eb, TH_ENOMEM, "loader_init: no memory for %zu exports", n);
	for (i = 0; i < n; i++) {
		if (!exports[i].name || !exports[i].name[0]) {
			err = th_errf(eb, TH_EINVAL, "loader_init: export %zu has no name", i);
			goto fail;
		}
		kernel_syms[i].name = exports[i].name;
		kernel_syms[i].addr = (uintptr_t)exports[i].addr;
		err = symtab_insert(&kernel_syms[i], eb);
		if (err)
			goto fail;
	}
	n_kernel_syms = n;
	return TH_OK;
fail:
	symtab_reset();
	kfree(kernel_syms);
	kernel_syms = NULL;
	return err;
}

void loader_set_spill_policy(enum loader_spill_policy p)
{
	spill_policy = p;
}

void loader_set_run_hooks(bool on)
{
	run_hooks = on;
}

enum loader_spill_policy loader_get_spill_policy(void)
{
	return spill_policy;
}

struct module *loader_find(const char *name)
{
	struct module *m;

	for (m = loader_mods_head; m && name; m = m->next)
		if (strcmp(m->name, name) == 0)
			return m;
	return NULL;
}

int loader_lookup_symbol(const char *name, uintptr_t *addr, struct module **owner)
{
	struct lsym *s = name ? symtab_find(name) : NULL;

	if (!s)
		return TH_ENOENT;
	*addr = s->addr;
	if (owner)
		*owner = s->owner;
	return TH_OK;
}

size_t loader_symbol_count(void)
{
	return symtab_count();
}

size_t loader_module_count(void)
{
	return nmods;
}

size_t loader_export_count(void)
{
	size_t n = n_kernel_syms;
	for (const struct module *m = loader_mods_head; m; m = m->next)
		n += m->n_exports;
	return n;
}

uint64_t loader_export_generation(void)
{
	return symtab_generation();
}

int loader_export_at(size_t index, const char **name, const struct module **owner, bool *weak)
{
	if (index < n_kernel_syms) {
		*name = kernel_syms[index].name;
		*owner = NULL;
		*weak = false;
		return TH_OK;
	}
	index -= n_kernel_syms;
	for (const struct module *m = loader_mods_head; m; m = m->next) {
		if (index < m->n_exports) {
			*name = m->exports[index].name;
			*owner = m;
			*weak = m->exports[index].weak;
			return TH_OK;
		}
		index -= m->n_exports;
	}
	return TH_ENOENT;
}

/* ---- list and teardown ------------------------------------------------------- */

static struct module *mem_head;   /* every module in memory (mem_next/mem_prev) */

static void mem_add(struct module *m)
{
	m->mem_prev = NULL;
	m->mem_next = mem_head;
	if (mem_head)
		mem_head->mem_prev = m;
	mem_head = m;
}

static void mem_del(struct module *m)
{
	if (m->mem_prev)
		m->mem_prev->mem_next = m->mem_next;
	else if (mem_head == m)
		mem_head = m->mem_next;
	if (m->mem_next)
		m->mem_next->mem_prev = m->mem_prev;
	m->mem_next = m->mem_prev = NULL;
}

const struct module *loader_module_in_memory_of(uintptr_t addr)
{
	for (const struct module *m = mem_head; m; m = m->mem_next)
		if (m->mem && addr >= (uintptr_t)m->mem + m->reg[SEC_TEXT].off &&
		    addr - ((uintptr_t)m->mem + m->reg[SEC_TEXT].off) < m->reg[SEC_TEXT].size)
			return m;
	return NULL;
}

static void list_add(struct module *m)
{
	m->prev = mods_tail;
	m->next = NULL;
	if (mods_tail)
		mods_tail->next = m;
	else
		loader_mods_head = m;
	mods_tail = m;
	nmods++;
}

/* Put n in o's place in the load order (a swap); o leaves the list. */
void loader_list_replace(struct module *o, struct module *n)
{
	n->prev = o->prev;
	n->next = o->next;
	if (o->prev)
		o->prev->next = n;
	else
		loader_mods_head = n;
	if (o->next)
		o->next->prev = n;
	else
		mods_tail = n;
	o->next = o->prev = NULL;
}

bool loader_enter(void)
{
	if (busy)
		return false;
	busy = true;
	return true;
}

void loader_leave(void)
{
	busy = false;
}

bool loader_runs_hooks(void)
{
	return run_hooks;
}

void loader_list_del(struct module *m)
{
	if (m->prev)
		m->prev->next = m->next;
	else
		loader_mods_head = m->next;
	if (m->next)
		m->next->prev = m->prev;
	else
		mods_tail = m->prev;
	m->next = m->prev = NULL;
	nmods--;
}

/* Free a module whose out-edges are already dropped. */
void loader_module_destroy(struct module *m, bool listed)
{
	size_t i;

	for (i = 0; i < m->n_exports; i++)
		symtab_remove(&m->exports[i]);
	if (listed)
		loader_list_del(m);
	mem_del(m);
	layout_unmap(m);
	kfree(m->exports);
	kfree(m->names);
	funcs_free(m);
	ctors_free(m);
	kfree(m->sec_off);
	kfree(m);
}

/* ---- phase 1 ---------------------------------------------------------------- */

static int check_spill(struct elf_obj *o, struct module *m, struct th_errbuf *eb)
{
	size_t i, pos = 0;
	char list[160];

	list[0] = '\0';
	for (i = 1; i < o->shnum; i++) {
		if (o->cls[i] != SEC_DATA || o->sh[i].size == 0)
			continue;
		m->spill += o->sh[i].size;
		if (spill_policy == LOADER_SPILL_WARN) {
			log_warn("loader", "%s: state spill: section %s holds %llu bytes", m->name,
				 elf_sec_name(o, i), (unsigned long long)o->sh[i].size);
		} else if (pos < sizeof list) {
			int k = snprintf(list + pos, sizeof list - pos, "%s%s (%llu bytes)",
					 pos ? ", " : "", elf_sec_name(o, i),
					 (unsigned long long)o->sh[i].size);
			if (k > 0)
				pos += (size_t)k;
		}
	}
	if (m->spill && spill_policy == LOADER_SPILL_REJECT)
		return th_errf(eb, TH_ESPILL, "%s: state spill in %s; policy is reject", m->name,
			       list);
	return TH_OK;
}

/* Whether m is one of the modules a beside-load replaces. */
static bool replaced_by(const struct load_mode *mode, const struct module *m)
{
	size_t i;

	for (i = 0; mode && mode->replaces && i < mode->n; i++)
		if (mode->replaces[i] == m)
			return true;
	return false;
}

/* What a reference to name resolves to, as a linker would: beside, the
 * batch's exports come first unless weak; a strong definition beats weak
 * ones; a replaced module's symbol is returned only if nothing else defines
 * it (the caller refuses that). */
static struct lsym *lookup(const struct load_mode *mode, const char *name)
{
	struct lsym *b = mode->replaces ? symtab_find_in(mode->tab, name) : NULL;
	struct lsym *n;

	if (b && !b->weak)
		return b;
	n = symtab_find(name);
	if (n && !replaced_by(mode, n->owner))
		return n;
	return b ? b : n;
}

/* Beside: the name must not be defined strongly by the kernel, a module that
 * stays, or another object of the batch (weak definitions may repeat). */
static int beside_check_name(const struct load_mode *mode, struct module *m, struct lsym *s,
			     struct th_errbuf *eb)
{
	struct lsym *old = symtab_find(s->name);

	if (old && !old->weak && !s->weak && !replaced_by(mode, old->owner))
		return th_errf(eb, TH_EDUPSYM, "%s: duplicate symbol %s (already exported by %s)",
			       m->name, s->name, old->owner ? old->owner->name : "the kernel");
	old = symtab_find_in(mode->tab, s->name);
	if (old && !old->weak && !s->weak)
		return th_errf(eb, TH_EDUPSYM, "%s: duplicate symbol %s (also exported by new %s)",
			       m->name, s->name, old->owner->name);
	return symtab_insert_in(mode->tab, s, eb);
}

static int register_exports(struct elf_obj *o, struct module *m, const struct load_mode *mode,
			    struct th_errbuf *eb)
{
	size_t i, pos = 0;
	int err;

	if (!o->n_exports)
		return TH_OK;
	m->exports = kcalloc(o->n_exports, sizeof *m->exports);
	m->names = kmalloc(o->export_name_bytes);
	if (!m->exports || !m->names)
		return th_errf(eb, TH_ENOMEM, "%s: no memory for exports", m->name);
	for (i = 1; i < o->nsym; i++) {
		const struct elf64_sym *y = &o->sym[i];
		struct lsym *s;
		size_t l;

		if (!elf_sym_is_export(o, i))
			continue;
		s = &m->exports[m->n_exports];
		l = strlen(elf_sym_name(o, i)) + 1;
		memcpy(m->names + pos, elf_sym_name(o, i), l);
		s->name = m->names + pos;
		pos += l;
		s->owner = m;
		s->addr = y->shndx == SHN_ABS ? (uintptr_t)y->value
					      : (uintptr_t)(m->mem + m->sec_off[y->shndx] + y->value);
		s->hash = symtab_hash(s->name);
		s->weak = ELF_ST_BIND(y->info) == STB_WEAK;
		if (mode->replaces)
			err = beside_check_name(mode, m, s, eb);
		else
			err = symtab_insert(s, eb);
		if (err)
			return err;
		m->n_exports++;
	}
	return TH_OK;
}

int loader_phase1(struct pending *p, size_t idx, const struct loader_blob *b,
		  const struct load_mode *mode, struct th_errbuf *eb)
{
	struct module *m;
	size_t j;
	int err;

	err = elf_parse(b->data, b->len, b->name, &p[idx].o, eb);
	if (err)
		return err;
	p[idx].parsed = true;
	if (mode->replaces) {
		if (strcmp(mode->replaces[idx]->name, p[idx].o.info.name) != 0)
			return th_errf(eb, TH_EINVAL, "%s: object declares module '%s', not '%s'",
				       p[idx].o.label ? p[idx].o.label : "object", p[idx].o.info.name,
				       mode->replaces[idx]->name);
	} else if (b->module && strcmp(b->module, p[idx].o.info.name) != 0) {
		return th_errf(eb, TH_EINVAL, "object for '%s' declares module '%s'", b->module,
			       p[idx].o.info.name);
	} else if (loader_find(p[idx].o.info.name))
		return th_errf(eb, TH_EEXIST, "%s: a module of this name is loaded",
			       p[idx].o.info.name);
	for (j = 0; j < idx; j++)
		if (strcmp(p[j].m->name, p[idx].o.info.name) == 0)
			return th_errf(eb, TH_EEXIST, "%s: twice in one batch", p[j].m->name);
	m = p[idx].m = kcalloc(1, sizeof *m);
	if (!m)
		return th_errf(eb, TH_ENOMEM, "%s: no memory", p[idx].o.label);
	mem_add(m);
	m->serial = ++load_serial;
	memcpy(m->name, p[idx].o.info.name, sizeof m->name);
	memcpy(m->version, p[idx].o.info.version, sizeof m->version);
	memcpy(m->description, p[idx].o.info.description, sizeof m->description);
	err = check_spill(&p[idx].o, m, eb);
	if (!err)
		err = layout_map(&p[idx].o, m, eb);
	if (!err)
		err = register_exports(&p[idx].o, m, mode, eb);
	if (!err)
		err = funcs_collect(&p[idx].o, m, eb);
	return err;
}

/* ---- phase 2 ---------------------------------------------------------------- */


static int resolve(struct elf_obj *o, struct module *m, struct symres *res, uint32_t si,
		   const char *secname, const struct load_mode *mode, struct th_errbuf *eb)
{
	const struct elf64_sym *y = &o->sym[si];
	struct symres *r = &res[si];

	if (r->done)
		return TH_OK;
	if (si == 0) {
		r->addr = 0;
	} else if (y->shndx == SHN_ABS) {
		r->addr = (uintptr_t)y->value;
	} else if (y->shndx != SHN_UNDEF) {
		/* A weak definition yields to a strong one elsewhere, as in a link. */
		struct lsym *l = ELF_ST_BIND(y->info) == STB_WEAK && y->name
					 ? lookup(mode, elf_sym_name(o, si)) : NULL;
		if (l && !l->weak && l->owner != m && !replaced_by(mode, l->owner)) {
			r->ls = l;
			r->addr = l->addr;
		} else {
			r->addr = (uintptr_t)(m->mem + m->sec_off[y->shndx] + y->value);
		}
	} else {
		const char *name = elf_sym_name(o, si);
		r->ls = lookup(mode, name);
		if (r->ls && mode->replaces && replaced_by(mode, r->ls->owner))
			return th_errf(eb, TH_ENOSYM,
				       "%s: uses %s of module %s, which the new %s does not export",
				       m->name, name, r->ls->owner->name, r->ls->owner->name);
		if (r->ls)
			r->addr = r->ls->addr;
		else if (ELF_ST_BIND(y->info) == STB_WEAK)
			r->addr = 0;
		else
			return th_errf(eb, TH_ENOSYM, "%s: undefined symbol %s (used in %s)%s",
				       m->name, name, secname, loader_undef_hint(name));
	}
	r->done = true;
	return TH_OK;
}

/* The kernel's resolver for link_relocate(): symbols from the module itself,
 * the namespace and the batch, cached per symbol; an edge per relocation
 * into another module. */
struct phase2_ctx {
	struct elf_obj *o;
	struct module *m;
	struct symres *res;
	const struct load_mode *mode;
};

static int phase2_resolve(void *ctx, uint32_t si, const char *relsec, uintptr_t *addr,
			  struct th_errbuf *eb)
{
	struct phase2_ctx *c = ctx;
	int err = resolve(c->o, c->m, c->res, si, relsec, c->mode, eb);

	*addr = c->res[si].addr;
	return err;
}

static int phase2_applied(void *ctx, uint32_t si, uintptr_t site, uint32_t type, int64_t addend,
			  struct th_errbuf *eb)
{
	struct phase2_ctx *c = ctx;
	struct lsym *ls = c->res[si].ls;
	int err;

	if (!ls || !ls->owner || ls->owner == c->m)
		return TH_OK;
	err = deps_add(c->m, ls->owner, ls->name, site, type, addend);
	if (err)
		return th_errf(eb, err, "%s: dependency records full", c->m->name);
	return TH_OK;
}

int loader_phase2(struct elf_obj *o, struct module *m, const struct load_mode *mode,
		  struct th_errbuf *eb)
{
	struct phase2_ctx c = { o, m, NULL, mode };
	struct link_resolver rs = { phase2_resolve, phase2_applied, &c };
	int err;

	if (deps_reserve(m, o->n_undef_relocs))
		return th_errf(eb, TH_ENOMEM, "%s: no memory for dependency records", m->name);
	c.res = kcalloc(o->nsym, sizeof *c.res);
	if (!c.res)
		return th_errf(eb, TH_ENOMEM, "%s: no memory for symbol resolution", m->name);
	err = link_relocate(o, m->mem, (uintptr_t)m->mem, m->sec_off, m->name, &rs, eb);
	kfree(c.res);
	if (!err)
		err = link_check_records(o, m->mem, (uintptr_t)m->mem, m->sec_off,
					 &m->reg[SEC_TEXT], m->name, eb);
	if (!err)
		m->info = (const struct th_module_info *)(m->mem + m->sec_off[o->info_idx]);
	if (!err)
		funcs_bind_invokes(o, m);
	if (!err)
		err = ctors_collect(o, m, eb);
	return err;
}

/* ---- phase 3 ---------------------------------------------------------------- */

/* Depth-first: modules of the batch this one depends on come first. */
static void order_visit(struct module *m, struct module **order, size_t *k)
{
	size_t i;

	m->mark = 2;
	for (i = 0; i < m->n_edges; i++)
		if (m->edges[i].target->mark == 1)
			order_visit(m->edges[i].target, order, k);
	order[(*k)++] = m;
}

/* *failed = the index in p of the module whose constructor or init failed. */
static int phase3(struct pending *p, size_t n, size_t *failed, struct th_errbuf *eb)
{
	struct module *order[LOADER_MAX_BATCH];
	size_t i, k = 0;
	int err;

	for (i = 0; i < n; i++)
		p[i].m->mark = 1;
	for (i = 0; i < n; i++)
		if (p[i].m->mark == 1)
			order_visit(p[i].m, order, &k);
	for (i = 0; i < n; i++)
		p[i].m->mark = 0;
	for (i = 0; i < k; i++) {
		struct module *m = order[i];
		if (run_hooks) {
			struct th_errbuf hb = { "" };
			err = loader_run_ctors(m, &hb);
			if (err) {
				err = th_errf(eb, TH_EINIT, "%s", hb.msg);
			} else if (m->info->init) {
				err = modcall_init(m->name, m->info->init, &hb);
				if (err)
					err = th_errf(eb, TH_EINIT, "%s: init failed: %s (%d)%s%s",
						      m->name, th_err_name(err), err,
						      hb.msg[0] ? ": " : "", hb.msg);
			}
			if (err) {
				for (size_t j = 0; j < n; j++)
					if (p[j].m == m)
						*failed = j;
				while (i-- > 0) {
					if (order[i]->info->fini)
						modcall_fini(order[i]->name,
							     loader_module_version(order[i]),
							     order[i]->info->fini);
					loader_run_dtors(order[i]);
				}
				return err;
			}
		}
		m->inited = true;
	}
	return TH_OK;
}

/* ---- the transaction -------------------------------------------------------- */

static void undo(struct pending *p, size_t n, bool listed)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i].m)
			deps_drop_out(p[i].m);
	for (i = n; i-- > 0;) {
		if (p[i].m)
			loader_module_destroy(p[i].m, listed);
		p[i].m = NULL;
	}
}

/* A batch that failed once its hooks began: out of the namespace and the
 * list, retired with memory and edges kept (a hook may have left a task
 * running in it), for the caller to free once nothing runs there. */
static void retire_failed(struct pending *p, size_t n, struct module **retired,
			  size_t *n_retired)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		struct module *m = p[i].m;
		if (!m)
			continue;
		for (j = 0; j < m->n_exports; j++)
			symtab_remove(&m->exports[j]);
		loader_list_del(m);
		m->retired = true;
		retired[(*n_retired)++] = m;
		p[i].m = NULL;
	}
}

static int load_batch(const struct loader_blob *blobs, size_t n, struct module **out,
		      size_t *culprit, struct module **retired, size_t *n_retired,
		      struct th_errbuf *eb);

int loader_load_batch(const struct loader_blob *blobs, size_t n, struct module **out,
		      struct th_errbuf *eb)
{
	size_t culprit;

	return load_batch(blobs, n, out, &culprit, NULL, NULL, eb);
}

int loader_load_batch_blame(const struct loader_blob *blobs, size_t n, struct module **out,
			    size_t *culprit, struct th_errbuf *eb)
{
	return load_batch(blobs, n, out, culprit, NULL, NULL, eb);
}

int loader_load_batch_retire(const struct loader_blob *blobs, size_t n, struct module **out,
			     size_t *culprit, struct module **retired, size_t *n_retired,
			     struct th_errbuf *eb)
{
	*n_retired = 0;
	return load_batch(blobs, n, out, culprit, retired, n_retired, eb);
}

static int load_batch(const struct loader_blob *blobs, size_t n, struct module **out,
		      size_t *culprit, struct module **retired, size_t *n_retired,
		      struct th_errbuf *eb)
{
	static const struct load_mode normal = {NULL, NULL, NULL, 0};
	struct pending *p;
	size_t i, failed = n;
	int err = TH_OK;
	bool listed = false;

	*culprit = n;
	if (busy)
		return th_errf(eb, TH_EBUSY, "loader busy (called from a module init?)");
	if (!blobs || n == 0 || n > LOADER_MAX_BATCH)
		return th_errf(eb, TH_EINVAL, "batch of %zu objects (1..%u)", n, LOADER_MAX_BATCH);
	p = kcalloc(n, sizeof *p);
	if (!p)
		return th_errf(eb, TH_ENOMEM, "no memory for a batch of %zu", n);
	busy = true;
	for (i = 0; i < n && !err; i++)
		if ((err = loader_phase1(p, i, &blobs[i], &normal, eb)))
			failed = i;
	for (i = 0; i < n && !err; i++)
		if ((err = loader_phase2(&p[i].o, p[i].m, &normal, eb)))
			failed = i;
	for (i = 0; i < n && !err; i++)
		if ((err = layout_seal(p[i].m, eb)))
			failed = i;
	if (!err) {
		for (i = 0; i < n; i++)
			list_add(p[i].m);
		listed = true;
		err = phase3(p, n, &failed, eb);
	}
	if (err)
		*culprit = failed;
	for (i = 0; i < n; i++) {
		if (p[i].parsed)
			elf_release(&p[i].o);
		if (p[i].m) {
			kfree(p[i].m->sec_off);
			p[i].m->sec_off = NULL;
		}
	}
	if (err && listed && retired) {
		retire_failed(p, n, retired, n_retired);
	} else if (err) {
		undo(p, n, listed);
	} else {
		for (i = 0; i < n; i++) {
			struct module *m = p[i].m;
			log_info("loader", "loaded %s %s at %p (%zu bytes, %zu exports, %zu links out)",
				 m->name, m->version, (void *)m->mem, m->mem_bytes, m->n_exports,
				 m->n_edges);
			if (out)
				out[i] = m;
		}
	}
	kfree(p);
	busy = false;
	return err;
}

int loader_load(const void *data, size_t len, const char *name, struct module **out,
		struct th_errbuf *eb)
{
	struct loader_blob b = {data, len, name, NULL};

	return loader_load_batch(&b, 1, out, eb);
}

int loader_unload_batch(struct module **mods, size_t n, struct th_errbuf *eb)
{
	struct loader_edge *e;
	size_t i, pos = 0;
	char list[160];
	int err = TH_OK;

	if (busy)
		return th_errf(eb, TH_EBUSY, "loader busy");
	if (!mods || n == 0 || n > LOADER_MAX_BATCH)
		return th_errf(eb, TH_EINVAL, "unload: batch of %zu modules", n);
	for (i = 0; i < n; i++)
		if (!mods[i])
			return th_errf(eb, TH_EINVAL, "unload: no module");
	/* mark: 1 = in the set, 2 = dependent already named, 0 = other. */
	for (i = 0; i < n; i++)
		for (e = mods[i]->in_head; e; e = e->next_in)
			e->dependent->mark = 0;
	for (i = 0; i < n; i++)
		mods[i]->mark = 1;
	list[0] = '\0';
	for (i = 0; i < n; i++)
		for (e = mods[i]->in_head; e; e = e->next_in) {
			if (e->dependent->mark)
				continue;
			e->dependent->mark = 2;
			err = TH_EDEPEND;
			if (pos < sizeof list) {
				int k = snprintf(list + pos, sizeof list - pos, "%s%s",
						 pos ? ", " : "", e->dependent->name);
				if (k > 0)
					pos += (size_t)k;
			}
		}
	for (i = 0; i < n; i++)
		for (e = mods[i]->in_head; e; e = e->next_in)
			e->dependent->mark = 0;
	for (i = 0; i < n; i++)
		mods[i]->mark = 0;
	if (err)
		return th_errf(eb, err, "%s%s: used by %s", mods[0]->name, n > 1 ? " (and others)" : "",
			       list);
	busy = true;
	for (i = n; i-- > 0;) {
		if (run_hooks && mods[i]->inited && mods[i]->info->fini)
			modcall_fini(mods[i]->name, loader_module_version(mods[i]),
				     mods[i]->info->fini);
		if (run_hooks && mods[i]->inited)
			loader_run_dtors(mods[i]);
	}
	for (i = 0; i < n; i++)
		deps_drop_out(mods[i]);
	for (i = 0; i < n; i++) {
		log_info("loader", "unloaded %s %s", mods[i]->name, mods[i]->version);
		loader_module_destroy(mods[i], true);
	}
	busy = false;
	return TH_OK;
}

int loader_unload(struct module *m, struct th_errbuf *eb)
{
	return loader_unload_batch(&m, 1, eb);
}
