/*
 * statedb_names.c - entry names: the rules (1..STATEDB_NAME_MAX bytes of
 * [A-Za-z0-9_./-]) and the hash table that finds a named entry in O(1)
 * expected time (FNV-1a, chains threaded through the slots' `next`).
 * Callers of the table functions hold the statedb lock.
 */
#include "statedb_impl.h"

static int name_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '/' || c == '-';
}

int statedb_name_check(const char *name, size_t *len, struct th_errbuf *eb)
{
	size_t n, i;

	if (!name)
		return th_errf(eb, TH_EINVAL, "statedb: name is NULL");
	n = strnlen(name, STATEDB_NAME_MAX + 1);
	if (n == 0)
		return th_errf(eb, TH_EINVAL, "statedb: empty name");
	if (n > STATEDB_NAME_MAX)
		return th_errf(eb, TH_EINVAL, "statedb: name longer than %u bytes",
			       (unsigned)STATEDB_NAME_MAX);
	for (i = 0; i < n; i++) {
		if (!name_char_ok(name[i]))
			return th_errf(eb, TH_EINVAL,
				       "statedb: name has byte 0x%x at offset %u "
				       "(allowed: A-Z a-z 0-9 _ . / -)",
				       (unsigned)(unsigned char)name[i], (unsigned)i);
	}
	*len = n;
	return TH_OK;
}

uint32_t statedb_name_hash(const char *name, size_t len)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (uint8_t)name[i];
		h *= 16777619u;
	}
	return h;
}

uint32_t statedb_name_find(const struct statedb *db, const char *name, size_t len,
			   uint32_t hash)
{
	uint32_t i = db->buckets[hash & db->bucket_mask];

	while (i != STATEDB_NONE) {
		const struct statedb_slot *s = &db->slots[i];

		if (s->hash == hash && memcmp(s->name, name, len) == 0 && s->name[len] == 0)
			return i;
		i = s->next;
	}
	return STATEDB_NONE;
}

void statedb_name_insert(struct statedb *db, uint32_t idx)
{
	struct statedb_slot *s = &db->slots[idx];
	uint32_t *head = &db->buckets[s->hash & db->bucket_mask];

	s->next = *head;
	*head = idx;
}

void statedb_name_remove(struct statedb *db, uint32_t idx)
{
	struct statedb_slot *s = &db->slots[idx];
	uint32_t *link = &db->buckets[s->hash & db->bucket_mask];

	while (*link != STATEDB_NONE) {
		if (*link == idx) {
			*link = s->next;
			s->next = STATEDB_NONE;
			return;
		}
		link = &db->slots[*link].next;
	}
}
