/*
 * statedb_model.c - the reference model and operation interpreter behind
 * the randomized statedb test and the statedb_ops fuzz target (see
 * statedb_model.h).  The model is deliberately naive: an array indexed by
 * slot, linear scans by name, a copy of every entry's bytes.  Where the real
 * store may legitimately differ (which slot it picks, refusing a size that
 * fits in total but not in one free run) the model learns from the real
 * result and checks that it was allowed.
 *
 * Transactions (statedb_txn_*, nested up to M_DEPTH): each level keeps a
 * copy of every entry as it was at its begin, and of an entry's bytes as
 * they were at its first replace/delete inside (bytes written in place are
 * not journaled); an abort must give back exactly that, with pinned new
 * versions abandoned (their bytes stay used).  Shared-blob calls are left
 * out while one is open; a TH_EFULL the journal gives is allowed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "statedb.h"
#include "statedb_model.h"

#define M_ENTRIES 12
#define M_DATA 1024
#define M_POOL 48   /* refs remembered, live or stale */
#define M_DEPTH 3   /* nested transactions */

struct mentry {
	int live;
	uint32_t kind;
	char name[STATEDB_NAME_MAX + 1];
	uint32_t type, version;
	size_t size;
	uint32_t strong, weak;
	struct statedb_ref ref;
	uint8_t *bytes;
};

/* One open transaction level. */
struct msave {
	struct statedb_txn t;
	struct mentry e[M_ENTRIES];        /* at begin (bytes: copies) */
	uint8_t changed[M_ENTRIES];        /* replaced/deleted/created inside */
	uint32_t gran_used, live, held, abandoned;
};

struct model {
	struct sdbm_src *src;
	struct mentry e[M_ENTRIES];
	uint32_t gran_total, gran_used, live;
	uint32_t held;                     /* deleted inside a transaction */
	uint32_t abandoned;                /* granules of abandoned entries */
	unsigned depth;
	struct msave save[M_DEPTH];
	struct statedb_ref pool[M_POOL];
	unsigned npool, op;
	int failures, abort_on_error;
};

/* ---- byte source --------------------------------------------------- */

void sdbm_src_random(struct sdbm_src *src, uint64_t seed)
{
	memset(src, 0, sizeof *src);
	src->state = seed * 2654435761u + 0x9e3779b97f4a7c15ull;
}

void sdbm_src_bytes(struct sdbm_src *src, const uint8_t *data, size_t len)
{
	memset(src, 0, sizeof *src);
	src->data = data;
	src->len = len;
}

static uint32_t src_u8(struct sdbm_src *src)
{
	if (src->data) {
		if (src->pos >= src->len) {
			src->done = 1;
			return 0;
		}
		return src->data[src->pos++];
	}
	src->state ^= src->state >> 12;
	src->state ^= src->state << 25;
	src->state ^= src->state >> 27;
	return (uint32_t)((src->state * 2685821657736338717ull) >> 56);
}

static uint32_t src_u16(struct sdbm_src *src)
{
	uint32_t hi = src_u8(src);
	return (hi << 8) | src_u8(src);
}

/* ---- checks -------------------------------------------------------- */

#define MCHECK(m, cond, ...)                                                   \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "  model op %u: %s:%d: ", (m)->op,     \
				__FILE__, __LINE__);                           \
			fprintf(stderr, __VA_ARGS__);                          \
			fprintf(stderr, "\n");                                 \
			(m)->failures++;                                       \
			if ((m)->abort_on_error)                               \
				abort();                                       \
		}                                                              \
	} while (0)

#define MEXPECT(m, what, got, want)                                             \
	MCHECK(m, (got) == (want), "%s: got %s (%d), want %s (%d)", what,      \
	       th_err_name(got), got, th_err_name(want), want)

static uint32_t gran(size_t size)
{
	return (uint32_t)((size + STATEDB_ALIGN - 1) / STATEDB_ALIGN);
}

/* ---- model helpers ------------------------------------------------- */

static void pool_add(struct model *m, struct statedb_ref r)
{
	m->pool[m->npool % M_POOL] = r;
	m->npool++;
}

static struct mentry *resolve(struct model *m, struct statedb_ref r)
{
	if (r.slot >= M_ENTRIES || !m->e[r.slot].live || m->e[r.slot].ref.gen != r.gen)
		return NULL;
	return &m->e[r.slot];
}

static struct mentry *by_name(struct model *m, const char *name)
{
	for (int i = 0; i < M_ENTRIES; i++)
		if (m->e[i].live && m->e[i].kind == STATEDB_KIND_NAMED &&
		    strcmp(m->e[i].name, name) == 0)
			return &m->e[i];
	return NULL;
}

static int name_valid(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > STATEDB_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '/' || c == '-'))
			return 0;
	}
	return 1;
}

static void pick_name(struct model *m, char *buf)
{
	uint32_t r = src_u8(m->src);

	if (r < 240) {
		snprintf(buf, STATEDB_NAME_MAX + 2, "e.%u", (unsigned)(r % 10));
		return;
	}
	switch (r % 6) {
	case 0: strcpy(buf, ""); break;
	case 1: strcpy(buf, "bad name"); break;
	case 2: strcpy(buf, "x\x01"); break;
	case 3: memset(buf, 'a', STATEDB_NAME_MAX); buf[STATEDB_NAME_MAX] = 0; break;
	case 4: memset(buf, 'b', STATEDB_NAME_MAX + 1); buf[STATEDB_NAME_MAX + 1] = 0; break;
	default: strcpy(buf, "k/v-_.Z9"); break;
	}
}

static size_t pick_size(struct model *m)
{
	uint32_t r = src_u8(m->src);

	if (r < 200)
		return 1 + src_u8(m->src) % 96;
	if (r < 245)
		return 1 + src_u16(m->src) % 400;
	switch (r % 4) {
	case 0: return 0;
	case 1: return (size_t)STATEDB_SIZE_MAX + 1;
	case 2: return (size_t)m->gran_total * STATEDB_ALIGN + 1;
	default: return (size_t)m->gran_total * STATEDB_ALIGN;
	}
}

static struct statedb_ref pick_ref(struct model *m)
{
	uint32_t r = src_u8(m->src);
	struct statedb_ref ref;

	if (r < 160) {   /* a live entry, when there is one */
		int start = (int)(src_u8(m->src) % M_ENTRIES);
		for (int k = 0; k < M_ENTRIES; k++) {
			struct mentry *e = &m->e[(start + k) % M_ENTRIES];
			if (e->live)
				return e->ref;
		}
	}
	if (r < 230 && m->npool) {
		unsigned n = m->npool < M_POOL ? m->npool : M_POOL;
		return m->pool[src_u8(m->src) % n];
	}
	ref.slot = src_u8(m->src) % (M_ENTRIES + 4);
	ref.gen = src_u8(m->src) < 128 ? src_u8(m->src) : src_u16(m->src) << 16 | src_u16(m->src);
	if (r == 255)
		ref = STATEDB_REF_NONE;
	return ref;
}

static void fill_random(struct model *m, uint8_t *p, size_t n)
{
	uint8_t seed = (uint8_t)src_u8(m->src);
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 31);
}

/* The real store refused with TH_EFULL although the model's totals fit:
 * allowed only when no free run is long enough (fragmentation). */
static void check_fragmented(struct model *m, uint32_t n)
{
	struct statedb_stats st;
	int err = statedb_stats(&st);

	MEXPECT(m, "stats", err, TH_OK);
	MCHECK(m, st.largest_free < (uint64_t)n * STATEDB_ALIGN,
	       "EFULL for %u granules with a free run of %llu bytes", n,
	       (unsigned long long)st.largest_free);
}

/* Expected result of allocating a new slot of `size` bytes, before trying. */
static int expect_new(struct model *m, size_t size, int *maybe_full)
{
	*maybe_full = 0;
	if (gran(size) > m->gran_total)
		return TH_ETOOBIG;
	if (m->live + m->held == M_ENTRIES)
		return TH_EFULL;
	if (m->gran_used + gran(size) > m->gran_total)
		return TH_EFULL;
	*maybe_full = 1;
	return TH_OK;
}

static int expect_args(const char *name, size_t size)
{
	if (!name_valid(name) || size == 0)
		return TH_EINVAL;
	if (size > STATEDB_SIZE_MAX)
		return TH_ETOOBIG;
	return TH_OK;
}

/* Record an entry the real store just made at ref. */
static void adopt(struct model *m, struct statedb_ref ref, uint32_t kind, const char *name,
		  uint32_t type, uint32_t version, size_t size, const void *bytes)
{
	MCHECK(m, ref.slot < M_ENTRIES, "new entry in slot %u", ref.slot);
	if (ref.slot >= M_ENTRIES)
		return;
	struct mentry *e = &m->e[ref.slot];
	MCHECK(m, !e->live, "new entry in live slot %u", ref.slot);
	if (e->live)
		return;
	e->live = 1;
	e->kind = kind;
	snprintf(e->name, sizeof e->name, "%s", name);
	e->type = type;
	e->version = version;
	e->size = size;
	e->strong = kind == STATEDB_KIND_SHARED ? 1 : 0;
	e->weak = kind == STATEDB_KIND_NAMED ? 1 : 0;
	e->ref = ref;
	e->bytes = calloc(1, size);
	if (bytes)
		memcpy(e->bytes, bytes, size);
	m->live++;
	m->gran_used += gran(size);
	pool_add(m, ref);
}

static void forget(struct model *m, struct mentry *e)
{
	free(e->bytes);
	e->bytes = NULL;
	e->live = 0;
	m->live--;
	m->gran_used -= gran(e->size);
}

/* Slot i is about to be replaced, deleted or created: the innermost level,
 * if it has not seen it change, keeps its bytes as they are now (a commit
 * hands that to the level outside, an abort forgets it). */
static void touch(struct model *m, uint32_t i)
{
	struct msave *v = m->depth ? &m->save[m->depth - 1] : NULL;

	if (!v || i >= M_ENTRIES || v->changed[i])
		return;
	v->changed[i] = 1;
	if (v->e[i].live && m->e[i].live && v->e[i].size == m->e[i].size)
		memcpy(v->e[i].bytes, m->e[i].bytes, v->e[i].size);
}

/* ---- operations ---------------------------------------------------- */

static void op_create(struct model *m, int open)
{
	char name[STATEDB_NAME_MAX + 2];
	struct statedb_ref ref = STATEDB_REF_NONE;
	struct th_errbuf eb;
	uint8_t *bytes = NULL;
	int maybe_full = 0, err, want;
	uint32_t type, version;
	size_t size;

	pick_name(m, name);
	type = 1 + src_u8(m->src) % 2;
	version = 1 + src_u8(m->src) % 2;
	size = pick_size(m);
	if (!open && size <= 4096 && src_u8(m->src) & 1) {
		bytes = malloc(size ? size : 1);
		fill_random(m, bytes, size);
	}
	struct mentry *e = name_valid(name) ? by_name(m, name) : NULL;

	want = expect_args(name, size);
	if (want == TH_OK && e) {
		if (!open)
			want = TH_EEXIST;
		else if (e->type != type || e->version != version || e->size != size)
			want = TH_ETYPE;
	} else if (want == TH_OK) {
		want = expect_new(m, size, &maybe_full);
	}
	if (open)
		err = statedb_open(name, type, version, size, &ref, &eb);
	else
		err = statedb_create(name, type, version, size, bytes, &ref, &eb);
	if (m->depth && err == TH_EFULL && want == TH_OK) {
		/* the journal is full: allowed, nothing changed */
	} else if (maybe_full && err == TH_EFULL) {
		check_fragmented(m, gran(size));
	} else {
		MEXPECT(m, open ? "open" : "create", err, want);
		if (err == TH_OK && want == TH_OK) {
			if (e) {
				MCHECK(m, ref.slot == e->ref.slot && ref.gen == e->ref.gen,
				       "open returned another ref");
				e->weak++;
			} else {
				touch(m, ref.slot);
				adopt(m, ref, STATEDB_KIND_NAMED, name, type, version, size, bytes);
			}
		}
	}
	free(bytes);
}

static void op_lookup(struct model *m)
{
	char name[STATEDB_NAME_MAX + 2];
	struct statedb_ref ref;
	struct mentry *e;
	int err;

	pick_name(m, name);
	err = statedb_lookup(name, &ref, NULL);
	if (!name_valid(name)) {
		MEXPECT(m, "lookup", err, TH_EINVAL);
		return;
	}
	e = by_name(m, name);
	MEXPECT(m, "lookup", err, e ? TH_OK : TH_ENOENT);
	if (e && err == TH_OK)
		MCHECK(m, ref.slot == e->ref.slot && ref.gen == e->ref.gen, "lookup ref");
}

static void op_replace(struct model *m)
{
	char name[STATEDB_NAME_MAX + 2];
	struct statedb_ref ref = STATEDB_REF_NONE;
	uint8_t *bytes = NULL;
	int err, want, maybe_full = 0;
	uint32_t type = 1 + src_u8(m->src) % 2, version = 1 + src_u8(m->src) % 3;
	size_t size;
	struct mentry *e;

	pick_name(m, name);
	size = pick_size(m);
	if (size <= 4096 && src_u8(m->src) & 1) {
		bytes = malloc(size ? size : 1);
		fill_random(m, bytes, size);
	}
	e = name_valid(name) ? by_name(m, name) : NULL;
	want = expect_args(name, size);
	if (want == TH_OK) {
		if (!e)
			want = TH_ENOENT;
		else if (e->strong)
			want = TH_EBUSY;
		else if (gran(size) > m->gran_total)
			want = TH_ETOOBIG;
		else if (m->gran_used + gran(size) > m->gran_total)
			want = TH_EFULL;
		else
			maybe_full = 1;
	}
	err = statedb_replace(name, type, version, size, bytes, &ref, NULL);
	if (m->depth && err == TH_EFULL && maybe_full) {
		/* the journal is full, or no run: allowed, nothing changed */
	} else if (maybe_full && err == TH_EFULL) {
		check_fragmented(m, gran(size));
	} else {
		MEXPECT(m, "replace", err, want);
		if (err == TH_OK && want == TH_OK) {
			uint8_t *nb = calloc(1, size);

			MCHECK(m, ref.slot == e->ref.slot && ref.gen != e->ref.gen,
			       "replace ref: slot %u gen %u, old slot %u gen %u", ref.slot,
			       ref.gen, e->ref.slot, e->ref.gen);
			if (bytes)
				memcpy(nb, bytes, size);
			else
				memcpy(nb, e->bytes, size < e->size ? size : e->size);
			touch(m, ref.slot);
			free(e->bytes);
			e->bytes = nb;
			m->gran_used += gran(size);
			if (!m->depth)
				m->gran_used -= gran(e->size); /* else kept until commit */
			e->size = size;
			e->type = type;
			e->version = version;
			e->weak = 1;
			e->ref = ref;
			pool_add(m, ref);
		}
	}
	free(bytes);
}

static void op_delete(struct model *m)
{
	char name[STATEDB_NAME_MAX + 2];
	struct mentry *e;
	int err, want;

	pick_name(m, name);
	e = name_valid(name) ? by_name(m, name) : NULL;
	want = !name_valid(name) ? TH_EINVAL : !e ? TH_ENOENT : e->strong ? TH_EBUSY : TH_OK;
	err = statedb_delete(name, NULL);
	if (m->depth && err == TH_EFULL && want == TH_OK)
		return; /* the journal is full */
	MEXPECT(m, "delete", err, want);
	if (err == TH_OK && want == TH_OK) {
		uint32_t g = gran(e->size);
		touch(m, (uint32_t)(e - m->e));
		forget(m, e);
		if (m->depth) {
			m->gran_used += g; /* kept until commit */
			m->held++;
		}
	}
}

static void op_get(struct model *m)
{
	struct statedb_ref ref = pick_ref(m);
	struct mentry *e = resolve(m, ref);
	uint32_t type, version;
	void *p = NULL;
	size_t size = 0;
	int err, want;

	if (e && src_u8(m->src) < 220) {
		type = e->type;
		version = e->version;
	} else {
		type = 1 + src_u8(m->src) % 2;
		version = 1 + src_u8(m->src) % 3;
	}
	want = !e ? TH_ESTALE : (e->type != type || e->version != version) ? TH_ETYPE : TH_OK;
	err = statedb_get(ref, type, version, &p, &size);
	MEXPECT(m, "get", err, want);
	if (err != TH_OK || want != TH_OK)
		return;
	e->strong++;
	MCHECK(m, size == e->size, "get size %zu, want %zu", size, e->size);
	MCHECK(m, ((uintptr_t)p % STATEDB_ALIGN) == 0, "get: misaligned bytes");
	if (size != e->size)
		return;
	MCHECK(m, memcmp(p, e->bytes, size) == 0, "bytes of \"%s\" differ", e->name);
	/* Write through the pointer: overlapping entries would show later. */
	fill_random(m, e->bytes, size);
	memcpy(p, e->bytes, size);
}

static void op_put(struct model *m, int shared_api)
{
	struct statedb_ref ref = pick_ref(m);
	struct mentry *e = resolve(m, ref);
	int err, want;

	if (m->depth && (shared_api || (e && e->kind == STATEDB_KIND_SHARED)))
		return; /* shared blobs stay out of the model's transactions */
	if (!e)
		want = TH_ESTALE;
	else if (shared_api && e->kind != STATEDB_KIND_SHARED)
		want = TH_EINVAL;
	else
		want = e->strong ? TH_OK : TH_EINVAL;
	err = shared_api ? statedb_shared_release(ref) : statedb_put(ref);
	MEXPECT(m, shared_api ? "shared_release" : "put", err, want);
	if (err == TH_OK && want == TH_OK) {
		e->strong--;
		if (e->kind == STATEDB_KIND_SHARED && e->strong == 0)
			forget(m, e);
	}
}

static void op_close(struct model *m)
{
	struct statedb_ref ref = pick_ref(m);
	struct mentry *e = resolve(m, ref);
	int err, want;

	want = !e ? TH_ESTALE : (e->kind != STATEDB_KIND_NAMED || !e->weak) ? TH_EINVAL : TH_OK;
	err = statedb_close(ref);
	if (m->depth && err == TH_EFULL && want == TH_OK)
		return; /* the journal is full */
	MEXPECT(m, "close", err, want);
	if (err == TH_OK && want == TH_OK)
		e->weak--;
}

static void op_shared_create(struct model *m)
{
	char name[STATEDB_NAME_MAX + 2];
	struct statedb_ref ref = STATEDB_REF_NONE;
	uint32_t type = 1 + src_u8(m->src) % 2, version = 1;
	size_t size;
	int err, want, maybe_full = 0;

	pick_name(m, name);
	size = pick_size(m);
	want = expect_args(name, size);
	if (want == TH_OK)
		want = expect_new(m, size, &maybe_full);
	err = statedb_shared_create(name, type, version, size, &ref, NULL);
	if (maybe_full && err == TH_EFULL) {
		check_fragmented(m, gran(size));
		return;
	}
	MEXPECT(m, "shared_create", err, want);
	if (err == TH_OK && want == TH_OK)
		adopt(m, ref, STATEDB_KIND_SHARED, name, type, version, size, NULL);
}

static void op_shared_retain(struct model *m)
{
	struct statedb_ref ref = pick_ref(m);
	struct mentry *e = resolve(m, ref);
	int err, want;

	want = !e ? TH_ESTALE : e->kind != STATEDB_KIND_SHARED ? TH_EINVAL : TH_OK;
	err = statedb_shared_retain(ref);
	MEXPECT(m, "shared_retain", err, want);
	if (err == TH_OK && want == TH_OK)
		e->strong++;
}

static void check_info(struct model *m, const struct statedb_info *in, const struct mentry *e)
{
	MCHECK(m, in->kind == e->kind && in->type == e->type && in->version == e->version &&
			  in->size == e->size && in->strong == e->strong && in->weak == e->weak &&
			  strcmp(in->name, e->name) == 0 && in->ref.slot == e->ref.slot &&
			  in->ref.gen == e->ref.gen,
	       "info of slot %u (\"%s\"): kind %u type %u ver %u size %llu strong %u weak %u;"
	       " model kind %u type %u ver %u size %zu strong %u weak %u",
	       in->ref.slot, in->name, in->kind, in->type, in->version,
	       (unsigned long long)in->size, in->strong, in->weak, e->kind, e->type,
	       e->version, e->size, e->strong, e->weak);
}

static void op_inspect(struct model *m)
{
	struct statedb_ref ref = pick_ref(m);
	struct mentry *e = resolve(m, ref);
	struct statedb_info in;
	int err = statedb_inspect(ref, &in);

	MEXPECT(m, "inspect", err, e ? TH_OK : TH_ESTALE);
	if (e && err == TH_OK)
		check_info(m, &in, e);
}

static void save_free(struct msave *v)
{
	for (int i = 0; i < M_ENTRIES; i++) {
		free(v->e[i].bytes);
		v->e[i].bytes = NULL;
	}
}

static void op_begin(struct model *m)
{
	struct msave *v;
	int err;

	if (m->depth == M_DEPTH)
		return;
	v = &m->save[m->depth];
	err = statedb_txn_begin(&v->t);
	MEXPECT(m, "txn_begin", err, TH_OK);
	if (err)
		return;
	memcpy(v->e, m->e, sizeof v->e);
	memset(v->changed, 0, sizeof v->changed);
	for (int i = 0; i < M_ENTRIES; i++) {
		if (!v->e[i].live)
			continue;
		v->e[i].bytes = malloc(v->e[i].size);
		memcpy(v->e[i].bytes, m->e[i].bytes, v->e[i].size);
	}
	v->gran_used = m->gran_used;
	v->live = m->live;
	v->held = m->held;
	v->abandoned = m->abandoned;
	m->depth++;
}

static void op_commit(struct model *m)
{
	struct msave *v = &m->save[m->depth - 1];
	int err = statedb_txn_commit(&v->t);

	MEXPECT(m, "txn_commit", err, TH_OK);
	/* An outer level sees the inner one's changes as its own. */
	if (m->depth > 1)
		for (int i = 0; i < M_ENTRIES; i++)
			if (v->changed[i] && !m->save[m->depth - 2].changed[i]) {
				struct msave *o = &m->save[m->depth - 2];
				o->changed[i] = 1;
				if (o->e[i].live && v->e[i].live && o->e[i].size == v->e[i].size)
					memcpy(o->e[i].bytes, v->e[i].bytes, o->e[i].size);
			}
	save_free(v);
	m->depth--;
	if (!m->depth) { /* the kept versions are freed */
		m->gran_used = m->abandoned;
		for (int i = 0; i < M_ENTRIES; i++)
			if (m->e[i].live)
				m->gran_used += gran(m->e[i].size);
		m->held = 0;
	}
}

static void op_abort(struct model *m)
{
	struct msave *v = &m->save[m->depth - 1];
	uint32_t got = 0, want = 0, gran_ab = 0;
	int err = statedb_txn_abort(&v->t, &got);

	MEXPECT(m, "txn_abort", err, TH_OK);
	for (int i = 0; i < M_ENTRIES; i++) {
		struct mentry *e = &m->e[i], *b = &v->e[i];
		if (!v->changed[i] && b->live) {   /* untouched: handles counted back */
			if (e->live)
				e->weak = b->weak;
			continue;
		}
		if (!v->changed[i])
			continue;
		if (e->live && e->strong && e->kind == STATEDB_KIND_NAMED) {
			want++;                    /* pinned new version: abandoned */
			gran_ab += gran(e->size);
		}
		if (e->live) {
			free(e->bytes);
			e->bytes = NULL;
			e->live = 0;
		}
		if (b->live) {                     /* back as it was */
			*e = *b;
			e->bytes = malloc(b->size);
			memcpy(e->bytes, b->bytes, b->size);
			e->strong = 0;
		}
	}
	MCHECK(m, got == want, "txn_abort abandoned %u, model %u", got, want);
	m->abandoned += gran_ab; /* inner aborts' abandoned bytes stay used too */
	m->gran_used = v->gran_used + (m->abandoned - v->abandoned);
	m->live = v->live;
	m->held = v->held;
	save_free(v);
	m->depth--;
}

/* Walk everything with the cursor and compare with the model. */
static void check_all(struct model *m)
{
	struct statedb_info in;
	struct statedb_stats st;
	uint32_t cursor = 0, seen = 0;
	int err;

	while ((err = statedb_next(&cursor, &in)) == TH_OK) {
		seen++;
		MCHECK(m, in.ref.slot < M_ENTRIES && m->e[in.ref.slot].live,
		       "cursor shows slot %u that the model has free", in.ref.slot);
		if (in.ref.slot < M_ENTRIES && m->e[in.ref.slot].live)
			check_info(m, &in, &m->e[in.ref.slot]);
	}
	MEXPECT(m, "next at end", err, TH_ENOENT);
	MCHECK(m, seen == m->live, "cursor saw %u entries, model has %u", seen, m->live);
	err = statedb_stats(&st);
	MEXPECT(m, "stats", err, TH_OK);
	MCHECK(m, st.entries_used == m->live + m->held, "stats entries %u, model %u + %u held",
	       st.entries_used, m->live, m->held);
	MCHECK(m, st.data_used == (uint64_t)m->gran_used * STATEDB_ALIGN,
	       "stats data_used %llu, model %llu", (unsigned long long)st.data_used,
	       (unsigned long long)m->gran_used * STATEDB_ALIGN);
	MCHECK(m, st.largest_free <= st.data_bytes - st.data_used, "largest_free too large");
}

/* Release every strong reference, delete every entry: must end empty. */
static void drain(struct model *m)
{
	struct th_errbuf eb;
	int err;

	for (int i = 0; i < M_ENTRIES; i++) {
		struct mentry *e = &m->e[i];
		while (e->live && e->strong) {
			err = statedb_put(e->ref);
			MEXPECT(m, "drain put", err, TH_OK);
			if (err)
				break;
			e->strong--;
			if (e->kind == STATEDB_KIND_SHARED && e->strong == 0)
				forget(m, e);
		}
		if (e->live && e->kind == STATEDB_KIND_NAMED) {
			err = statedb_delete(e->name, &eb);
			MEXPECT(m, "drain delete", err, TH_OK);
			forget(m, e);
		}
	}
	check_all(m);
}

int statedb_model_run(struct sdbm_src *src, unsigned max_ops, int abort_on_error)
{
	static struct model m;
	struct statedb_stats st;
	size_t bytes = statedb_arena_size(M_ENTRIES, M_DATA);
	uint32_t misalign = src_u8(src) % STATEDB_ALIGN;
	uint8_t *mem = malloc(bytes + misalign);
	int err;

	memset(&m, 0, sizeof m);
	m.src = src;
	m.abort_on_error = abort_on_error;
	err = statedb_init(mem + misalign, bytes, M_ENTRIES, NULL);
	MEXPECT(&m, "init", err, TH_OK);
	err = statedb_stats(&st);
	MEXPECT(&m, "stats", err, TH_OK);
	MCHECK(&m, st.data_bytes >= M_DATA, "data area %llu < %u",
	       (unsigned long long)st.data_bytes, M_DATA);
	m.gran_total = (uint32_t)(st.data_bytes / STATEDB_ALIGN);

	for (m.op = 0; m.op < max_ops && !src->done && !err; m.op++) {
		uint32_t pick = src_u8(src) % 19;
		if (m.depth && (pick == 12 || pick == 13 || pick == 14))
			pick = 4; /* shared blobs stay out of transactions */
		switch (pick) {
		case 0: case 1: op_create(&m, 0); break;
		case 2: case 3: op_create(&m, 1); break;
		case 4: op_lookup(&m); break;
		case 5: op_replace(&m); break;
		case 6: op_delete(&m); break;
		case 7: case 8: op_get(&m); break;
		case 9: case 10: op_put(&m, 0); break;
		case 11: op_close(&m); break;
		case 12: op_shared_create(&m); break;
		case 13: op_shared_retain(&m); break;
		case 14: op_put(&m, 1); break;
		case 16: op_begin(&m); break;
		case 17: case 18:
			if (!m.depth)
				op_begin(&m);
			else if (src_u8(src) & 1)
				op_commit(&m);
			else
				op_abort(&m);
			break;
		default:
			if (src_u8(src) & 1)
				op_inspect(&m);
			else
				check_all(&m);
			break;
		}
	}
	while (m.depth) {   /* end what is open */
		if (src_u8(src) & 1)
			op_commit(&m);
		else
			op_abort(&m);
		check_all(&m);
	}
	if (!err) {
		check_all(&m);
		drain(&m);
	}
	for (int i = 0; i < M_ENTRIES; i++)
		if (m.e[i].live)
			forget(&m, &m.e[i]);
	free(mem);
	return m.failures;
}
