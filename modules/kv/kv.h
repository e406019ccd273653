/*
 * kv.h - the API of the kv module: a small key-value service whose table
 * lives in statedb (entry "kv.table"), so the module itself holds no state
 * and can be swapped between any two calls.
 */
#ifndef MODULES_KV_H
#define MODULES_KV_H

#include <stddef.h>

#include "theseus.h"

#define KV_KEY_MAX 31   /* bytes of a key, without the NUL */
#define KV_VAL_MAX 63   /* bytes of a value, without the NUL */
#define KV_SLOTS 64

/* Set key to value.  Errors: TH_EINVAL (NULL, empty or too long), TH_EFULL,
 * and statedb's errors. */
int kv_put(const char *key, const char *value, struct th_errbuf *eb);
/* Copy the value of key into buf.  Errors: TH_ENOENT, TH_ERANGE (buf too
 * small), TH_EINVAL. */
int kv_get(const char *key, char *buf, size_t len, struct th_errbuf *eb);
/* Remove key.  Errors: TH_ENOENT, TH_EINVAL. */
int kv_del(const char *key, struct th_errbuf *eb);
/* Number of keys in *out. */
int kv_count(size_t *out, struct th_errbuf *eb);

#endif
