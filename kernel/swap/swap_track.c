/*
 * swap_track.c - the objects the swap engine keeps per module: the object
 * the module runs now (to recognise a repeated request as a no-op) and the
 * one it ran before its last swap (so swap_rollback() is one call).  Copies
 * are kmalloc'ed and replaced on every swap, so memory stays flat.
 */
#include "swap_impl.h"

static struct swap_track tracks[SWAP_MAX_TRACKED];

uint64_t swap_fnv64(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t h = 14695981039346656037ull;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ p[i]) * 1099511628211ull;
	return h;
}

void swap_obj_free(struct swap_obj *o)
{
	kfree(o->bytes);
	memset(o, 0, sizeof *o);
}

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

bool swap_track_same(const struct swap_track *t, const void *data, size_t len, const uint8_t *sha)
{
	if (!t || !t->cur.bytes)
		return false;
	if (sha && t->cur.has_sha)
		return memcmp(sha, t->cur.sha, 32) == 0;
	return len == t->cur.len && swap_fnv64(data, len) == t->cur.fnv &&
	       memcmp(data, t->cur.bytes, len) == 0;
}

static struct swap_track *track_get(const char *name)
{
	struct swap_track *t = find_any(name);
	size_t i;

	if (t || strlen(name) >= sizeof t->name)
		return t;
	for (i = 0; i < SWAP_MAX_TRACKED; i++)
		if (!tracks[i].name[0]) {
			memcpy(tracks[i].name, name, strlen(name) + 1);
			return &tracks[i];
		}
	return NULL;
}

int swap_track_commit(const char *name, uint64_t old_serial, uint64_t new_serial,
		      struct swap_obj *obj)
{
	struct swap_track *t = track_get(name);

	if (!t)
		return TH_EFULL;
	swap_obj_free(&t->prev);
	/* A record of an earlier load of this name is no previous version. */
	if (old_serial && t->serial == old_serial)
		t->prev = t->cur;
	else
		swap_obj_free(&t->cur);
	t->serial = new_serial;
	t->cur = *obj;
	memset(obj, 0, sizeof *obj);
	return TH_OK;
}

int swap_track_object(const char *name, const void *data, size_t len)
{
	struct swap_obj o = {0};
	struct module *m = loader_find(name);
	int err;

	if (!name || !data || !len)
		return TH_EINVAL;
	if (!m)
		return TH_ENOENT;
	o.bytes = kmalloc(len);
	if (!o.bytes)
		return TH_ENOMEM;
	memcpy(o.bytes, data, len);
	o.len = len;
	o.fnv = swap_fnv64(data, len);
	err = swap_track_commit(name, 0, loader_module_serial(m), &o);
	if (err)
		swap_obj_free(&o);
	return err;
}

int swap_current_object(const char *name, const void **data, size_t *len)
{
	struct swap_track *t = swap_track_find(name);

	if (!t || !t->cur.bytes)
		return TH_ENOENT;
	*data = t->cur.bytes;
	*len = t->cur.len;
	return TH_OK;
}

void swap_forget_all(void)
{
	size_t i;

	for (i = 0; i < SWAP_MAX_TRACKED; i++) {
		swap_obj_free(&tracks[i].cur);
		swap_obj_free(&tracks[i].prev);
		memset(&tracks[i], 0, sizeof tracks[i]);
	}
}
