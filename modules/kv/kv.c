/*
 * kv.c - the kv service: an open-addressed table of KV_SLOTS fixed-size
 * entries kept in the statedb entry "kv.table" (hash: checksum's FNV-1a).
 * Every call opens the entry, pins it, works, and lets go: no state here.
 * Deleting uses tombstones so probe chains stay intact.
 */
#include "theseus.h"
#include "checksum/checksum.h"
#include "kv/kv.h"

#define KV_TYPE 0x6b76u /* "kv" */
#define KV_LAYOUT 1

enum { SLOT_FREE = 0, SLOT_USED = 1, SLOT_DEAD = 2 };

struct kv_slot {
	uint32_t hash;
	uint32_t state;
	char key[KV_KEY_MAX + 1];
	char val[KV_VAL_MAX + 1];
};

struct kv_table {
	uint32_t count;
	uint32_t reserved;
	struct kv_slot slot[KV_SLOTS];
};

static int table_pin(struct statedb_ref *ref, struct kv_table **t, struct th_errbuf *eb)
{
	int err = statedb_open("kv.table", KV_TYPE, KV_LAYOUT, sizeof **t, ref, eb);

	if (err)
		return err;
	err = statedb_get(*ref, KV_TYPE, KV_LAYOUT, (void **)t, NULL);
	if (err) {
		int e2 = statedb_close(*ref);
		(void)e2; /* the pin error is the one to report */
		return th_errf(eb, err, "kv: cannot pin kv.table");
	}
	return TH_OK;
}

static int table_unpin(struct statedb_ref ref, int err)
{
	int e1 = statedb_put(ref), e2 = statedb_close(ref);

	if (err)
		return err;
	return e1 ? e1 : e2;
}

static bool key_ok(const char *key)
{
	return key && key[0] && strnlen(key, KV_KEY_MAX + 1) <= KV_KEY_MAX;
}

/* Index of key's slot, or -1; *free_at gets the first reusable slot (or -1). */
static int find(const struct kv_table *t, const char *key, uint32_t h, int *free_at)
{
	unsigned i, idx;

	if (free_at)
		*free_at = -1;
	for (i = 0; i < KV_SLOTS; i++) {
		idx = (h + i) % KV_SLOTS;
		const struct kv_slot *s = &t->slot[idx];
		if (s->state == SLOT_FREE) {
			if (free_at && *free_at < 0)
				*free_at = (int)idx;
			return -1;
		}
		if (s->state == SLOT_DEAD) {
			if (free_at && *free_at < 0)
				*free_at = (int)idx;
			continue;
		}
		if (s->hash == h && strcmp(s->key, key) == 0)
			return (int)idx;
	}
	return -1;
}

int kv_put(const char *key, const char *value, struct th_errbuf *eb)
{
	struct statedb_ref ref;
	struct kv_table *t;
	uint32_t h;
	int i, f, err;

	if (!key_ok(key) || !value || strnlen(value, KV_VAL_MAX + 1) > KV_VAL_MAX)
		return th_errf(eb, TH_EINVAL, "kv: bad key or value");
	err = table_pin(&ref, &t, eb);
	if (err)
		return err;
	h = checksum_fnv1a32_str(key);
	i = find(t, key, h, &f);
	if (i < 0) {
		if (f < 0)
			return table_unpin(ref, th_errf(eb, TH_EFULL, "kv: table full"));
		i = f;
		t->slot[i].hash = h;
		t->slot[i].state = SLOT_USED;
		memcpy(t->slot[i].key, key, strlen(key) + 1);
		t->count++;
	}
	memcpy(t->slot[i].val, value, strlen(value) + 1);
	return table_unpin(ref, TH_OK);
}
TH_EXPORT(kv_put);

int kv_get(const char *key, char *buf, size_t len, struct th_errbuf *eb)
{
	struct statedb_ref ref;
	struct kv_table *t;
	size_t l;
	int i, err;

	if (!key_ok(key) || !buf)
		return th_errf(eb, TH_EINVAL, "kv: bad key");
	err = table_pin(&ref, &t, eb);
	if (err)
		return err;
	i = find(t, key, checksum_fnv1a32_str(key), NULL);
	if (i < 0)
		return table_unpin(ref, th_errf(eb, TH_ENOENT, "kv: no key %s", key));
	l = strlen(t->slot[i].val) + 1;
	if (l > len)
		return table_unpin(ref, th_errf(eb, TH_ERANGE, "kv: value of %s: %zu bytes", key, l));
	memcpy(buf, t->slot[i].val, l);
	return table_unpin(ref, TH_OK);
}
TH_EXPORT(kv_get);

int kv_del(const char *key, struct th_errbuf *eb)
{
	struct statedb_ref ref;
	struct kv_table *t;
	int i, err;

	if (!key_ok(key))
		return th_errf(eb, TH_EINVAL, "kv: bad key");
	err = table_pin(&ref, &t, eb);
	if (err)
		return err;
	i = find(t, key, checksum_fnv1a32_str(key), NULL);
	if (i < 0)
		return table_unpin(ref, th_errf(eb, TH_ENOENT, "kv: no key %s", key));
	memset(&t->slot[i], 0, sizeof t->slot[i]);
	t->slot[i].state = SLOT_DEAD;
	t->count--;
	return table_unpin(ref, TH_OK);
}
TH_EXPORT(kv_del);

int kv_count(size_t *out, struct th_errbuf *eb)
{
	struct statedb_ref ref;
	struct kv_table *t;
	int err;

	if (!out)
		return th_errf(eb, TH_EINVAL, "kv: no out");
	err = table_pin(&ref, &t, eb);
	if (err)
		return err;
	*out = t->count;
	return table_unpin(ref, TH_OK);
}
TH_EXPORT(kv_count);

static int kv_init(void)
{
	log_info("kv", "key-value service ready (%u slots in statedb kv.table)", KV_SLOTS);
	return TH_OK;
}

TH_MODULE("kv", "1.0", "key-value service, table kept in statedb", .init = kv_init);
