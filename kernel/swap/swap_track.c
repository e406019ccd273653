/*
 * swap_track.c - the engine's record of every module it loaded or swapped:
 * name, version, and a stack of the objects it ran (references into
 * swap_obj.c), the running one on top.  A swap pushes, a rollback pops, and
 * when only the first load's object is left its rollback is an unload.
 * The stack keeps SWAP_UNDO_DEPTH objects; pushing onto a full one drops
 * the oldest (then the bottom is no longer the first load).  A record
 * names the load it describes (loader serial), so a module unloaded and
 * loaded again around the engine never inherits an old record.
 */
#include "swap_impl.h"

static struct swap_track tracks[SWAP_MAX_TRACKED];

static struct swap_track *find_any(const char *name)
{
	size_t i;

	for (i = 0; name && i < SWAP_MAX_TRACKED; i++)
		if (tracks[i].name[0] && strcmp(tracks[i].name, name) == 0)
			return &tracks[i];
	return NULL;
}

struct swap_track *swap_track_find(const char *name)
{
	struct swap_track *t = find_any(name);
	struct module *m = loader_find(name);

	if (!t || !m || t->serial != loader_module_serial(m))
		return NULL;
	return t;
}

bool swap_track_runs(const struct swap_track *t, const struct swap_obj *o)
{
	return t && t->n && t->stack[t->n - 1] == o;
}

static void clear(struct swap_track *t)
{
	while (t->n)
		swap_obj_put(t->stack[--t->n]);
	memset(t, 0, sizeof *t);
}

/* The record for name, emptied (a stale one is reused); NULL when full. */
static struct swap_track *fresh(const char *name)
{
	struct swap_track *t = find_any(name);
	size_t i;

	if (strlen(name) >= sizeof t->name)
		return NULL;
	for (i = 0; !t && i < SWAP_MAX_TRACKED; i++)
		if (!tracks[i].name[0])
			t = &tracks[i];
	if (!t)
		return NULL;
	clear(t);
	memcpy(t->name, name, strlen(name) + 1);
	return t;
}

static void describe(struct swap_track *t, const struct module *m)
{
	t->serial = loader_module_serial(m);
	snprintf(t->version, sizeof t->version, "%s", loader_module_version(m));
}

int swap_track_loaded(const struct module *m, struct swap_obj *o)
{
	struct swap_track *t = fresh(loader_module_name(m));

	if (!t) {
		swap_obj_put(o);
		return TH_EFULL;
	}
	describe(t, m);
	t->stack[t->n++] = o;
	t->first_load = true;
	return TH_OK;
}

int swap_track_swapped(const struct module *m, uint64_t old_serial, struct swap_obj *o,
		       bool rollback)
{
	struct swap_track *t = find_any(loader_module_name(m));
	size_t i;

	if (!t || t->serial != old_serial || !t->n) {
		/* Nothing known of what ran before: o starts the record. */
		t = fresh(loader_module_name(m));
		if (!t) {
			swap_obj_put(o);
			return TH_EFULL;
		}
	} else if (t->stack[t->n - 1] == o) {
		swap_obj_put(o); /* a restart: a fresh copy of the object it ran */
		describe(t, m);
		return TH_OK;
	} else if (rollback && t->n >= 2 && t->stack[t->n - 2] == o) {
		swap_obj_put(t->stack[--t->n]); /* the object rolled back from */
		swap_obj_put(o);                /* already held below */
		describe(t, m);
		return TH_OK;
	} else if (t->n == SWAP_UNDO_DEPTH) {
		swap_obj_put(t->stack[0]);
		for (i = 1; i < t->n; i++)
			t->stack[i - 1] = t->stack[i];
		t->n--;
		t->first_load = false;
	}
	describe(t, m);
	t->stack[t->n++] = o;
	return TH_OK;
}

void swap_track_unloaded(const char *name)
{
	struct swap_track *t = find_any(name);

	if (t)
		clear(t);
}

int swap_describe(const char *name, struct swap_module_record *out)
{
	struct swap_track *t = swap_track_find(name);

	if (!t || !t->n)
		return TH_ENOENT;
	memset(out, 0, sizeof *out);
	snprintf(out->version, sizeof out->version, "%s", t->version);
	memcpy(out->sha256, swap_obj_sha(t->stack[t->n - 1]), SWAP_SHA256_LEN);
	out->len = t->stack[t->n - 1]->len;
	out->undo = t->n - 1;
	out->first_load = t->first_load;
	return TH_OK;
}

void swap_forget_all(void)
{
	size_t i;

	for (i = 0; i < SWAP_MAX_TRACKED; i++)
		clear(&tracks[i]);
}
