/*
 * invoke.c - kv's entry points for `theseusctl invoke` (the invoke ABI of
 * net/endpoint.h: bytes in, bytes out, 0 or a TH_E* code):
 *   kv_invoke_put  input "key=value"  sets key
 *   kv_invoke_get  input "key"        output the value
 */
#include "theseus.h"
#include "kv/kv.h"

int kv_invoke_put(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap,
		  size_t *out_len);
int kv_invoke_get(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap,
		  size_t *out_len);

int kv_invoke_put(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap,
		  size_t *out_len)
{
	char key[KV_KEY_MAX + 1], val[KV_VAL_MAX + 1];
	size_t k = 0;

	*out_len = 0;
	while (k < in_len && in[k] != '=')
		k++;
	if (k == 0 || k > KV_KEY_MAX || k == in_len || in_len - k - 1 > KV_VAL_MAX)
		return TH_EINVAL;
	memcpy(key, in, k);
	key[k] = 0;
	memcpy(val, in + k + 1, in_len - k - 1);
	val[in_len - k - 1] = 0;
	return kv_put(key, val, NULL);
}
TH_INVOKE(kv_invoke_get);
TH_INVOKE(kv_invoke_put);

int kv_invoke_get(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap,
		  size_t *out_len)
{
	char key[KV_KEY_MAX + 1], val[KV_VAL_MAX + 1];
	int err;

	*out_len = 0;
	if (in_len == 0 || in_len > KV_KEY_MAX)
		return TH_EINVAL;
	memcpy(key, in, in_len);
	key[in_len] = 0;
	err = kv_get(key, val, sizeof val, NULL);
	if (err)
		return err;
	*out_len = strlen(val) < out_cap ? strlen(val) : out_cap;
	memcpy(out, val, *out_len);
	return TH_OK;
}
