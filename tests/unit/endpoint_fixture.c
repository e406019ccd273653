/*
 * endpoint_fixture.c - the in-memory backend behind the endpoint core in host
 * tests, the UDP test server and the fuzzer: a table of modules, a swap that
 * checks expected versions like the kernel's swap engine must, and request
 * datagram helpers.
 */
#include "endpoint_fixture.h"

#include <time.h>

static uint64_t fx_now(void *ctx)
{
	struct fx_backend *fx = ctx;
	if (fx->real_clock) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	}
	return fx->now_ms;
}

static void fx_add(struct fx_backend *fx, const char *name, const char *version)
{
	struct fx_module *m = &fx->mods[fx->n++];
	memset(m, 0, sizeof *m);
	snprintf(m->m.name, sizeof m->m.name, "%s", name);
	snprintf(m->m.version, sizeof m->m.version, "%s", version);
	proto_sha256((const uint8_t *)name, strlen(name), m->m.sha256);
	m->m.size = 4096;
	m->m.load_address = 0xffffffff80400000ull + 0x10000ull * fx->n;
}

void fx_backend_init(struct fx_backend *fx)
{
	memset(fx, 0, sizeof *fx);
	fx->now_ms = 1000;
	fx->rng = 0x9e3779b97f4a7c15ull;
	fx_add(fx, "hello", "1.0");
	fx_add(fx, "kv", "2.3");
	fx->mods[1].m.n_deps = 1;
	snprintf(fx->mods[1].m.deps[0], PROTO_NAME_MAX, "hello");
	fx_log(fx, "[    0.001000] INFO boot: theseus-c host fixture\n");
	fx_log(fx, "[    0.002000] INFO hello: hello 1.0 ready\n");
}

void fx_log(struct fx_backend *fx, const char *text)
{
	for (const char *p = text; *p; p++)
		fx->log[fx->log_head++ % FX_LOG_RING] = *p;
}

/* Records a swap or rollback in the history ring. */
void fx_history_add(struct fx_backend *fx, bool rollback, int err, const char *name,
			   const char *from, const char *to, const char *msg)
{
	if (fx->n_hist == FX_MAX_HISTORY) {
		memmove(&fx->hist[0], &fx->hist[1], (FX_MAX_HISTORY - 1) * sizeof fx->hist[0]);
		fx->n_hist--;
	}
	struct endpoint_history *h = &fx->hist[fx->n_hist++];
	memset(h, 0, sizeof *h);
	h->seq = fx->swap_calls;
	h->when_ns = fx_now(fx) * 1000000ull;
	h->err = err;
	h->rollback = rollback;
	h->n_items = 1;
	snprintf(h->item[0].name, sizeof h->item[0].name, "%s", name);
	snprintf(h->item[0].from, sizeof h->item[0].from, "%s", from);
	snprintf(h->item[0].to, sizeof h->item[0].to, "%s", to);
	h->sites = 3;
	h->n_stages = 2;
	snprintf(h->stages[0].stage, 16, "load");
	h->stages[0].ns = 1000;
	snprintf(h->stages[1].stage, 16, "relink");
	h->stages[1].ns = 2000;
	h->total_ns = 3000;
	h->pause_ns = 1000;
	h->cpus = 1;
	snprintf(h->msg, sizeof h->msg, "%s", msg);
	char line[160];
	snprintf(line, sizeof line, "[%5llu.000000] INFO swap: %s%s %s -> %s %s\n",
		 (unsigned long long)fx_now(fx) / 1000, rollback ? "rollback " : "", name, from,
		 to, err ? th_err_name(err) : "OK");
	fx_log(fx, line);
}

static int fx_info(void *ctx, struct endpoint_info *out)
{
	snprintf(out->kernel_version, sizeof out->kernel_version, "theseus-c host-fixture");
	out->uptime_ms = fx_now(ctx);
	snprintf(out->address, sizeof out->address, "127.0.0.1");
	out->mem_total = 256u << 20;
	out->mem_used = 12u << 20;
	out->cpus = 1;
	struct fx_backend *fx = ctx;
	if (fx->has_nic) {
		snprintf(out->nic_pci_id, sizeof out->nic_pci_id, "8086:100e");
		snprintf(out->nic_model, sizeof out->nic_model, "82540EM");
		snprintf(out->nic_driver, sizeof out->nic_driver, "e1000");
		snprintf(out->nic_driver_version, sizeof out->nic_driver_version, "1.0");
		out->has_nic_counters = true;
		out->nic_counters = fx->nic;
	}
	out->has_usage = fx->has_usage;
	out->usage = fx->usage;
	return TH_OK;
}

static uint32_t fx_count(void *ctx)
{
	return ((struct fx_backend *)ctx)->n;
}

static int fx_get(void *ctx, uint32_t i, struct endpoint_module *out)
{
	struct fx_backend *fx = ctx;
	if (i >= fx->n)
		return TH_ENOENT;
	*out = fx->mods[i].m;
	return TH_OK;
}

static struct fx_module *fx_lookup(struct fx_backend *fx, const char *name)
{
	for (uint32_t i = 0; i < fx->n; i++)
		if (strcmp(fx->mods[i].m.name, name) == 0)
			return &fx->mods[i];
	return NULL;
}

static int fx_find(void *ctx, const char *name, struct endpoint_module *out)
{
	struct fx_module *m = fx_lookup(ctx, name);
	if (!m)
		return TH_ENOENT;
	*out = m->m;
	return TH_OK;
}

void fx_object_version(const uint8_t *obj, size_t len, const uint8_t *sha, char out[32])
{
	static const char tag[] = "VERSION=";
	if (len > 8 && memcmp(obj, tag, 8) == 0) {
		size_t n = 0;
		while (8 + n < len && n < 31 && obj[8 + n] != '\n')
			n++;
		memcpy(out, obj + 8, n);
		out[n] = 0;
		return;
	}
	snprintf(out, 32, "v-%02x%02x%02x%02x", sha[0], sha[1], sha[2], sha[3]);
}

static int fx_swap(void *ctx, const struct endpoint_swap_item *items, size_t n,
		   struct endpoint_swap_report *rep, struct th_errbuf *eb)
{
	struct fx_backend *fx = ctx;
	fx->swap_calls++;
	if (fx->fail_swap) {
		int e = fx->fail_swap;
		fx->fail_swap = 0;
		fx_history_add(fx, false, e, items[0].module, "", "", "fixture: swap failed");
		return th_errf(eb, e, "fixture: swap failed on request");
	}
	/* Check every item first: all or nothing. */
	uint32_t new_mods = 0;
	for (size_t i = 0; i < n; i++) {
		struct fx_module *m = fx_lookup(fx, items[i].module);
		const char *have = m ? m->m.version : "";
		if (strcmp(have, items[i].expected_version) != 0)
			return th_errf(eb, TH_ECONFLICT,
				       "swap: %s runs version \"%s\", not the expected \"%s\"",
				       items[i].module, have, items[i].expected_version);
		if (!m)
			new_mods++;
	}
	if (fx->n + new_mods > FX_MAX_MODULES)
		return th_errf(eb, TH_EFULL, "fixture: module table full");
	for (size_t i = 0; i < n; i++) {
		struct fx_module *m = fx_lookup(fx, items[i].module);
		if (!m) {
			m = &fx->mods[fx->n++];
			memset(m, 0, sizeof *m);
			snprintf(m->m.name, sizeof m->m.name, "%s", items[i].module);
		}
		m->has_prev = m->m.version[0] != 0;
		memcpy(m->prev_version, m->m.version, sizeof m->prev_version);
		memcpy(m->prev_sha, m->m.sha256, sizeof m->prev_sha);
		m->prev_size = m->m.size;
		fx_object_version(items[i].object, items[i].size, items[i].sha256, m->m.version);
		fx_history_add(fx, false, TH_OK, m->m.name, m->prev_version, m->m.version, "");
		memcpy(m->m.sha256, items[i].sha256, PROTO_SHA256_LEN);
		m->m.size = items[i].size;
		m->swaps++;
		snprintf(rep->new_version[i], PROTO_VERSION_MAX, "%s", m->m.version);
	}
	rep->n_stages = 3;
	snprintf(rep->stages[0].stage, 16, "load");
	rep->stages[0].ns = 1000;
	snprintf(rep->stages[1].stage, 16, "link");
	rep->stages[1].ns = 2000;
	snprintf(rep->stages[2].stage, 16, "patch");
	rep->stages[2].ns = 500;
	return TH_OK;
}

/* Take m out (an unload): the module list, history kind "unload". */
static void fx_drop(struct fx_backend *fx, struct fx_module *m)
{
	char name[PROTO_NAME_MAX], v[PROTO_VERSION_MAX];
	memcpy(name, m->m.name, sizeof name);
	memcpy(v, m->m.version, sizeof v);
	size_t i = (size_t)(m - fx->mods);
	memmove(&fx->mods[i], &fx->mods[i + 1], (fx->n - i - 1) * sizeof fx->mods[0]);
	fx->n--;
	fx_history_add(fx, true, TH_OK, name, v, "", "");
	snprintf(fx->hist[fx->n_hist - 1].kind, sizeof fx->hist[0].kind, "unload");
}

static void fx_unload_stages(struct endpoint_swap_report *rep)
{
	rep->n_stages = 1;
	snprintf(rep->stages[0].stage, 16, "unload");
	rep->stages[0].ns = 300;
}

/* The rollback of a first load (a module without a previous object) unloads
 * it, as the kernel's does: refused while another module depends on it, or
 * when the request asked to keep it (keep_first_load). */
static int fx_unload(struct fx_backend *fx, struct fx_module *m, bool may_unload,
		     struct endpoint_swap_report *rep, struct th_errbuf *eb)
{
	if (!may_unload)
		return th_errf(eb, TH_ENOENT, "%s: nothing to roll back: it runs the object it "
			       "was first loaded from (unloading it was not asked for)", m->m.name);
	for (uint32_t i = 0; i < fx->n; i++)
		for (uint32_t d = 0; d < fx->mods[i].m.n_deps; d++)
			if (strcmp(fx->mods[i].m.deps[d], m->m.name) == 0)
				return th_errf(eb, TH_EBUSY, "%s: %s depends on it", m->m.name,
					       fx->mods[i].m.name);
	fx_drop(fx, m);
	fx->swap_calls++;
	rep->new_version[0][0] = 0;
	fx_unload_stages(rep);
	return TH_OK;
}

static int fx_rollback(void *ctx, const char *module, bool may_unload,
		       struct endpoint_swap_report *rep, struct th_errbuf *eb)
{
	struct fx_backend *fx = ctx;
	struct fx_module *m = fx_lookup(fx, module);
	if (!m)
		return th_errf(eb, TH_ENOENT, "rollback: module %s is not loaded", module);
	if (!m->has_prev)
		return fx_unload(fx, m, may_unload, rep, eb);
	char v[PROTO_VERSION_MAX];
	uint8_t sha[PROTO_SHA256_LEN];
	uint64_t size = m->m.size;
	memcpy(v, m->m.version, sizeof v);
	memcpy(sha, m->m.sha256, sizeof sha);
	memcpy(m->m.version, m->prev_version, sizeof v);
	memcpy(m->m.sha256, m->prev_sha, sizeof sha);
	m->m.size = m->prev_size;
	memcpy(m->prev_version, v, sizeof v);
	memcpy(m->prev_sha, sha, sizeof sha);
	m->prev_size = size;
	fx->swap_calls++;
	fx_history_add(fx, true, TH_OK, module, v, m->m.version, "");
	snprintf(rep->new_version[0], PROTO_VERSION_MAX, "%s", m->m.version);
	rep->n_stages = 1;
	snprintf(rep->stages[0].stage, 16, "relink");
	rep->stages[0].ns = 700;
	return TH_OK;
}

static bool fx_in_set(const char *const *modules, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(modules[i], name) == 0)
			return true;
	return false;
}

/* Several modules as one transaction, as the kernel's: each back to its
 * previous version, or, when none has one (all first loads), all unloaded
 * together if may_unload (else "nothing to roll back" naming them); a mix
 * is refused (ENOTSUP); all or nothing. */
static int fx_rollback_set(void *ctx, const char *const *modules, size_t n, bool may_unload,
			   struct endpoint_swap_report *rep, struct th_errbuf *eb)
{
	struct fx_backend *fx = ctx;
	struct endpoint_swap_report one;
	size_t first = 0;
	for (size_t i = 0; i < n; i++) {
		struct fx_module *m = fx_lookup(fx, modules[i]);
		if (!m)
			return th_errf(eb, TH_ENOENT, "rollback: module %s is not loaded",
				       modules[i]);
		if (fx_in_set(modules, i, modules[i]))
			return th_errf(eb, TH_EINVAL, "%s: twice in one rollback", modules[i]);
		first += !m->has_prev;
	}
	if (first && first < n)
		return th_errf(eb, TH_ENOTSUP, "rollback: first loads and swaps mixed");
	if (first && !may_unload) {
		char set[FX_MAX_MODULES * (PROTO_NAME_MAX + 2)];
		size_t pos = 0;
		set[0] = 0;
		for (size_t i = 0; i < n; i++)
			pos += (size_t)snprintf(set + pos, sizeof set - pos, "%s%s", i ? ", " : "",
						modules[i]);
		return th_errf(eb, TH_ENOENT, "%s: nothing to roll back: %s first loaded from "
			       "(unloading %s was not asked for)", set,
			       n > 1 ? "they run the objects they were" : "it runs the object it was",
			       n > 1 ? "them" : "it");
	}
	if (first) { /* together: nothing outside the set may depend on them */
		for (uint32_t i = 0; i < fx->n; i++)
			for (uint32_t d = 0; d < fx->mods[i].m.n_deps; d++)
				if (!fx_in_set(modules, n, fx->mods[i].m.name) &&
				    fx_in_set(modules, n, fx->mods[i].m.deps[d]))
					return th_errf(eb, TH_EBUSY, "%s: %s depends on it",
						       fx->mods[i].m.deps[d], fx->mods[i].m.name);
		for (size_t i = 0; i < n; i++) {
			fx_drop(fx, fx_lookup(fx, modules[i]));
			rep->new_version[i][0] = 0;
		}
		fx->swap_calls++;
		fx_unload_stages(rep);
		return TH_OK;
	}
	for (size_t i = 0; i < n; i++) {
		int err = fx_rollback(ctx, modules[i], false, &one, eb);
		if (err)
			return err;
		memcpy(rep->new_version[i], one.new_version[0], PROTO_VERSION_MAX);
	}
	rep->n_stages = one.n_stages;
	memcpy(rep->stages, one.stages, sizeof rep->stages);
	return TH_OK;
}

static uint32_t fx_history_count(void *ctx)
{
	return ((struct fx_backend *)ctx)->n_hist;
}

static int fx_history_get(void *ctx, uint32_t i, struct endpoint_history *out)
{
	struct fx_backend *fx = ctx;
	if (i >= fx->n_hist)
		return TH_ENOENT;
	*out = fx->hist[i];
	return TH_OK;
}

static int fx_state_next(void *ctx, uint32_t *cursor, struct endpoint_state *out)
{
	struct fx_backend *fx = ctx;
	static const struct { const char *name; bool shared; uint32_t type; uint64_t size; }
	fixed[] = {
		{ "hello.calls", false, 0x68656c6cu, 8 },
		{ "kv.table", false, 0x6b762e74u, 6144 },
		{ "net.rxq", true, 7, 2048 },
	};
	uint32_t n = 3 + fx->extra_state;
	if (*cursor >= n)
		return TH_ENOENT;
	uint32_t i = (*cursor)++;
	if (i < 3) {
		snprintf(out->name, sizeof out->name, "%s", fixed[i].name);
		out->shared = fixed[i].shared;
		out->type = fixed[i].type;
		out->size = fixed[i].size;
		out->strong = fixed[i].shared ? 2 : 0;
		out->weak = 1;
	} else {
		snprintf(out->name, sizeof out->name, "extra.entry.%05u", i);
		out->type = 1;
		out->size = 16u * i;
	}
	out->version = 1;
	return TH_OK;
}

static size_t fx_log_read(void *ctx, uint64_t *pos, char *buf, size_t len)
{
	struct fx_backend *fx = ctx;
	uint64_t oldest = fx->log_head > FX_LOG_RING ? fx->log_head - FX_LOG_RING : 0;
	if (*pos < oldest)
		*pos = oldest;
	if (*pos > fx->log_head)
		*pos = fx->log_head;
	size_t n = 0;
	while (n < len && *pos < fx->log_head)
		buf[n++] = fx->log[(*pos)++ % FX_LOG_RING];
	return n;
}

static int fx_invoke(void *ctx, const char *module, const char *function, const uint8_t *in,
		     size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len, int *result,
		     struct th_errbuf *eb)
{
	struct fx_backend *fx = ctx;
	struct fx_module *m = fx_lookup(fx, module);
	char text[128];
	*out_len = 0;
	*result = TH_OK;
	if (!m)
		return th_errf(eb, TH_ENOENT, "invoke: module %s is not loaded", module);
	if (strcmp(module, "hello") == 0 && strcmp(function, "hello_greet_invoke") == 0) {
		int k = snprintf(text, sizeof text, "hello from %s (call %llu)", m->m.version,
				 (unsigned long long)++fx->hello_calls);
		*out_len = (size_t)k < out_cap ? (size_t)k : out_cap;
		memcpy(out, text, *out_len);
		return TH_OK;
	}
	if (strcmp(module, "kv") == 0 && (strcmp(function, "kv_invoke_put") == 0 ||
					  strcmp(function, "kv_invoke_get") == 0)) {
		bool put = function[10] == 'p';
		size_t kl = 0;
		while (kl < in_len && in[kl] != '=')
			kl++;
		if (kl == 0 || kl > 31 || (put && kl == in_len) || in_len - kl > 64) {
			*result = TH_EINVAL;
			return TH_OK;
		}
		int slot = -1, free_slot = -1;
		for (int i = 0; i < FX_KV_SLOTS; i++) {
			if (!fx->kv_key[i][0] && free_slot < 0)
				free_slot = i;
			if (strlen(fx->kv_key[i]) == kl && memcmp(fx->kv_key[i], in, kl) == 0)
				slot = i;
		}
		if (!put) {
			if (slot < 0) {
				*result = TH_ENOENT;
				return TH_OK;
			}
			*out_len = strlen(fx->kv_val[slot]);
			if (*out_len > out_cap)
				*out_len = out_cap;
			memcpy(out, fx->kv_val[slot], *out_len);
			return TH_OK;
		}
		if (slot < 0)
			slot = free_slot;
		if (slot < 0) {
			*result = TH_EFULL;
			return TH_OK;
		}
		memcpy(fx->kv_key[slot], in, kl);
		fx->kv_key[slot][kl] = 0;
		memcpy(fx->kv_val[slot], in + kl + 1, in_len - kl - 1);
		fx->kv_val[slot][in_len - kl - 1] = 0;
		return TH_OK;
	}
	return th_errf(eb, TH_ENOENT, "invoke: %s exports no function %s", module, function);
}

static int fx_graph_get(void *ctx, uint32_t i, struct endpoint_graph_node *out)
{
	struct fx_backend *fx = ctx;
	if (i >= fx->n)
		return TH_ENOENT;
	const struct endpoint_module *m = &fx->mods[i].m;
	snprintf(out->name, sizeof out->name, "%s", m->name);
	out->n_edges = m->n_deps < ENDPOINT_MAX_EDGES ? m->n_deps : ENDPOINT_MAX_EDGES;
	for (uint32_t k = 0; k < out->n_edges; k++) {
		snprintf(out->edges[k].target, PROTO_NAME_MAX, "%s", m->deps[k]);
		out->edges[k].sites = 3;
	}
	return TH_OK;
}

static size_t fx_tasks_format(void *ctx, char *buf, size_t len)
{
	struct fx_backend *fx = ctx;
	size_t at = (size_t)snprintf(buf, len,
				     "ID NAME                     STATE    PRIO   CPU_MS SWITCHES CPU\n"
				     " 0 main                     running    16        5       12   0\n"
				     " 1 idle                     ready       0        0        3   0\n");
	for (uint32_t i = 0; i < fx->extra_tasks; i++)
		at += (size_t)snprintf(at < len ? buf + at : NULL, at < len ? len - at : 0,
				       "%3u task%-19u ready      16        0        0   0\n", i + 2, i);
	at += (size_t)snprintf(at < len ? buf + at : NULL, at < len ? len - at : 0, "policy: rr\n");
	fx->extra_tasks -= fx->extra_tasks < fx->tasks_shrink ? fx->extra_tasks : fx->tasks_shrink;
	return at;
}

/* The kernel's exports (three, then extra_exports generated ones), then
 * hello's and kv's (kv's second one weak), as the kernel lists them. */
static const char *const fx_kernel_exports[] = { "th_log", "th_kmalloc", "th_kfree" };
static const struct { const char *module, *name; bool weak; } fx_module_exports[] = {
	{ "hello", "hello_greet", false },
	{ "hello", "hello_invoke", false },
	{ "kv", "kv_invoke_put", false },
	{ "kv", "kv_invoke_get", true },
};
#define FX_NKX (sizeof fx_kernel_exports / sizeof fx_kernel_exports[0])
#define FX_NMX (sizeof fx_module_exports / sizeof fx_module_exports[0])

static uint32_t fx_export_count(void *ctx, uint32_t *module_api, uint64_t *generation)
{
	struct fx_backend *fx = ctx;
	fx->exports_reads++;
	if (fx->exports_bump_always || fx->exports_reads == fx->exports_bump_at)
		fx->exports_generation++;
	*module_api = FX_MODULE_API;
	*generation = fx->exports_generation;
	return (uint32_t)(FX_NKX + fx->extra_exports + FX_NMX);
}

static int fx_export_get(void *ctx, uint32_t i, struct endpoint_export *out)
{
	struct fx_backend *fx = ctx;
	if (i < FX_NKX) {
		snprintf(out->name, sizeof out->name, "%s", fx_kernel_exports[i]);
		return TH_OK;
	}
	i -= (uint32_t)FX_NKX;
	if (i < fx->extra_exports) {
		/* long names, so that pages fill by bytes before the count limit */
		snprintf(out->name, sizeof out->name, "fx_generated_kernel_export_%05u", i);
		return TH_OK;
	}
	i -= fx->extra_exports;
	if (i >= FX_NMX)
		return TH_ENOENT;
	snprintf(out->name, sizeof out->name, "%s", fx_module_exports[i].name);
	snprintf(out->module, sizeof out->module, "%s", fx_module_exports[i].module);
	out->weak = fx_module_exports[i].weak;
	return TH_OK;
}

/* The profiler: a small fixed report (four entries, then profile_extra
 * generated ones with 1 sample each; profile_long_names: 63-byte names),
 * empty right after a start, on 2 CPUs.  Counts its refreshes. */
static const struct { const char *function, *module; uint64_t samples, idle; } fx_profile[] = {
	{ "br_sha2small_round", "kernel", 512, 0 },
	{ "poly1305_inner_big", "kernel", 300, 0 },
	{ "idle_loop", "kernel", 200, 200 },
	{ "kv_invoke_put", "kv", 12, 0 },
};
#define FX_NPROF (sizeof fx_profile / sizeof fx_profile[0])

static int fx_profile_control(void *ctx, enum endpoint_profile_action action, bool refresh,
			      struct endpoint_profile *out, struct th_errbuf *eb)
{
	struct fx_backend *fx = ctx;
	if (action == ENDPOINT_PROFILE_START) {
		fx->profile_running = true;
		fx->profile_has_data = false;   /* cleared: the empty report */
	} else if (action == ENDPOINT_PROFILE_STOP) {
		fx->profile_running = false;
		fx->profile_has_data = fx->profile_has_data || fx->profile_started;
	}
	if (action == ENDPOINT_PROFILE_START)
		fx->profile_started = true;
	else if (refresh && fx->profile_started)
		fx->profile_has_data = true;    /* samples came in since */
	if (refresh)
		fx->profile_refreshes++;
	else if (fx->profile_churn) {
		fx->profile_churn--;
		fx->profile_gen++;   /* another client's refresh came first */
	}
	out->running = fx->profile_running;
	out->hz = 1000;
	out->n_cpus = 2;
	out->cpus[0].cpu = 0;
	out->cpus[1].cpu = 1;
	if (!fx->profile_has_data)
		return TH_OK;
	out->elapsed_ms = fx->profile_running ? 1500 : 3000;
	out->entries_total = (uint32_t)FX_NPROF + fx->profile_extra;
	for (size_t i = 0; i < FX_NPROF; i++)
		out->samples += fx_profile[i].samples;
	out->samples += fx->profile_extra + fx->profile_gen;
	out->lost = fx->profile_lost;
	out->cpus[1].samples = 250;
	out->cpus[1].idle = 200;
	out->cpus[0].samples = out->samples - 250;
	return TH_OK;
}

static int fx_profile_entry(void *ctx, uint32_t i, struct endpoint_profile_entry *out)
{
	struct fx_backend *fx = ctx;
	if (!fx->profile_has_data || i >= FX_NPROF + fx->profile_extra)
		return TH_ENOENT;
	if (i < FX_NPROF) {
		snprintf(out->function, sizeof out->function, "%s", fx_profile[i].function);
		snprintf(out->module, sizeof out->module, "%s", fx_profile[i].module);
		out->samples = fx_profile[i].samples;
		out->idle = fx_profile[i].idle;
	} else {
		i -= (uint32_t)FX_NPROF;
		if (fx->profile_long_names) {   /* 63 bytes each, the most a name has */
			char num[16];
			int n = snprintf(num, sizeof num, "%05u", i % 100000u);
			memset(out->function, 'f', 63);
			memcpy(out->function, num, (size_t)n);
			out->function[63] = 0;
			memset(out->module, 'm', 63);
			out->module[63] = 0;
		} else {
			snprintf(out->function, sizeof out->function, "fx_generated_function_%05u", i);
		}
		out->samples = 1;
	}
	return TH_OK;
}

static uint64_t fx_random(void *ctx)
{
	struct fx_backend *fx = ctx;
	uint64_t x = fx->rng ? fx->rng : 1;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	fx->rng = x;
	return x;
}

struct endpoint_ops fx_ops(struct fx_backend *fx)
{
	struct endpoint_ops ops = {
		.ctx = fx,
		.now_ms = fx_now,
		.random_u64 = fx_random,
		.info = fx_info,
		.module_count = fx_count,
		.module_get = fx_get,
		.module_find = fx_find,
		.swap = fx_swap,
		.rollback = fx_rollback,
		.rollback_set = fx_rollback_set,
		.history_count = fx_history_count,
		.history_get = fx_history_get,
		.state_next = fx_state_next,
		.log_read = fx_log_read,
		.invoke = fx_invoke,
		.graph_get = fx_graph_get,
		.tasks_format = fx_tasks_format,
		.export_count = fx_export_count,
		.export_get = fx_export_get,
		.profile_control = fx_profile_control,
		.profile_entry = fx_profile_entry,
	};
	return ops;
}

uint64_t fx_epoch;

size_t fx_datagram_bound(const uint8_t *key, uint32_t version, const struct proto_binding *b,
			 const Theseus__Request *req, uint8_t *out, size_t cap)
{
	uint8_t body[4096];
	size_t blen = theseus__request__get_packed_size(req);
	if (blen > sizeof body)
		return 0;
	theseus__request__pack(req, body);
	size_t n = 0;
	if (proto_envelope_pack(key, version, b, body, blen, out, cap, &n))
		return 0;
	return n;
}

size_t fx_datagram(const uint8_t *key, uint32_t version, uint64_t client, uint64_t counter,
		   const Theseus__Request *req, uint8_t *out, size_t cap)
{
	struct proto_binding b = { .client_id = client, .counter = counter, .epoch = fx_epoch };
	return fx_datagram_bound(key, version, &b, req, out, cap);
}

Theseus__Request *fx_swap_request(struct fx_swap_req *s, const char *module,
				  const char *expected_version, const uint8_t sha[32])
{
	theseus__request__init(&s->req);
	theseus__swap_request__init(&s->sr);
	theseus__swap_item__init(&s->it);
	s->items[0] = &s->it;
	s->it.module = (char *)module;
	s->it.expected_version = (char *)expected_version;
	s->it.object_sha256.data = (uint8_t *)sha;
	s->it.object_sha256.len = 32;
	s->sr.n_items = 1;
	s->sr.items = s->items;
	s->req.kind_case = THESEUS__REQUEST__KIND_SWAP;
	s->req.swap = &s->sr;
	return &s->req;
}
