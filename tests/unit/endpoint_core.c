/*
 * endpoint_core.c - host unit tests of the endpoint core (net/endpoint/):
 * authentication, replay window, version check, hostile input, the staging
 * area (chunks, hash check, limits, eviction), compare-and-swap, and the
 * inspection/control requests (rollback, history, state, log, invoke, graph, exports,
 * tasks; paging, ENOTSUP, read-only mode), against
 * the in-memory backend of endpoint_fixture.c.
 *
 * With ENDPOINT_SEED_DIR set it also writes valid request datagrams there
 * (the fuzzer's seed corpus, tests/fuzz/endpoint_request/).
 */
#include "check.h"
#include "endpoint_fixture.h"
#include "endpoint_impl.h"

static const uint8_t KEY[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
				 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32 };

struct t {
	struct fx_backend fx;
	struct endpoint *ep;
	uint64_t counter;
	uint8_t dgram[2048];
	size_t dlen;
	uint8_t reply[PROTO_MAX_DATAGRAM];
	size_t rlen;
	Theseus__Reply *rep;
	bool sealed;        /* the reply's seal is valid for the request sent (KEY) */
};

#define T_NO_REPLY 1    /* t_raw: the endpoint chose not to answer */

static int seed_no;

static void seed_write(const uint8_t *d, size_t n)
{
	const char *dir = getenv("ENDPOINT_SEED_DIR");
	if (!dir)
		return;
	/* The fuzzer's format: 0x00 + raw datagram, 0x01 + request body (0x81:
	 * the same under a kind-1 MAC). */
	Theseus__Envelope *env = theseus__envelope__unpack(NULL, n, d);
	static const int modes[3] = { 0x00, 0x01, 0x81 };
	for (int m = 0; m < 3 && seed_no < 600; m++) {
		int mode = modes[m];
		char path[512];
		snprintf(path, sizeof path, "%s/seed-%03d", dir, seed_no++);
		FILE *f = fopen(path, "wb");
		if (!f)
			continue;
		fputc(mode, f);
		if (mode == 0)
			fwrite(d, 1, n, f);
		else if (env)
			fwrite(env->body.data, 1, env->body.len, f);
		fclose(f);
	}
	if (env)
		theseus__envelope__free_unpacked(env, NULL);
}

static void t_init_cfg(struct t *t, const struct endpoint_config *cfg)
{
	memset(t, 0, sizeof *t);
	fx_backend_init(&t->fx);
	struct endpoint_ops ops = fx_ops(&t->fx);
	struct th_errbuf eb = { "" };
	CHECK_EQ(endpoint_create(cfg, &ops, &t->ep, &eb), TH_OK);
	t->counter = 1000;
	fx_epoch = t->ep ? endpoint_epoch(t->ep) : 0;
}

static void t_init(struct t *t)
{
	struct endpoint_config cfg = { .key = KEY };
	t_init_cfg(t, &cfg);
}

static void t_fini(struct t *t)
{
	if (t->rep)
		theseus__reply__free_unpacked(t->rep, NULL);
	endpoint_destroy(t->ep);
}

/* Sends the raw datagram t->dgram[0..dlen) and decodes the reply; T_NO_REPLY
 * when there was none.  t->sealed: the reply carries a valid seal under KEY
 * for the request's envelope (when it decodes). */
static int t_raw(struct t *t)
{
	size_t rlen = 0;
	if (t->rep)
		theseus__reply__free_unpacked(t->rep, NULL);
	t->rep = NULL;
	t->sealed = false;
	int err = endpoint_handle(t->ep, t->dgram, t->dlen, t->reply, sizeof t->reply, &rlen);
	CHECK_EQ(err, TH_OK);
	t->rlen = rlen;
	if (rlen == 0)
		return T_NO_REPLY;
	CHECK(rlen <= PROTO_MAX_DATAGRAM);
	t->rep = theseus__reply__unpack(NULL, rlen, t->reply);
	CHECK(t->rep != NULL);
	Theseus__Envelope *env = theseus__envelope__unpack(NULL, t->dlen, t->dgram);
	if (env) {
		struct proto_binding b = { env->client_id, env->counter, env->epoch };
		size_t body;
		t->sealed = proto_reply_open(KEY, &b, t->reply, rlen, &body) == TH_OK;
		theseus__envelope__free_unpacked(env, NULL);
	}
	return t->rep ? proto_status_from_wire(t->rep->status) : TH_EIO;
}

static int t_send_key(struct t *t, const uint8_t *key, const Theseus__Request *req)
{
	t->dlen = fx_datagram(key, PROTO_VERSION, 42, ++t->counter, req, t->dgram,
			      sizeof t->dgram);
	CHECK(t->dlen > 0);
	if (key)
		seed_write(t->dgram, t->dlen);
	return t_raw(t);
}

static int t_send(struct t *t, const Theseus__Request *req)
{
	return t_send_key(t, KEY, req);
}

static int t_ping_key(struct t *t, const uint8_t *key)
{
	Theseus__Request req = THESEUS__REQUEST__INIT;
	Theseus__Ping ping = THESEUS__PING__INIT;
	ping.payload.data = (uint8_t *)"hi";
	ping.payload.len = 2;
	req.kind_case = THESEUS__REQUEST__KIND_PING;
	req.ping = &ping;
	return t_send_key(t, key, &req);
}

static int t_ping(struct t *t)
{
	return t_ping_key(t, KEY);
}

/* A PushChunk with chunk_size csize (0: absent) and quiet. */
static int t_chunk_opt(struct t *t, const uint8_t *sha, uint64_t total, uint64_t off,
		       const uint8_t *data, size_t len, uint32_t csize, bool quiet)
{
	Theseus__Request req = THESEUS__REQUEST__INIT;
	Theseus__PushChunk pc = THESEUS__PUSH_CHUNK__INIT;
	pc.object_sha256.data = (uint8_t *)sha;
	pc.object_sha256.len = 32;
	pc.total_size = total;
	pc.offset = off;
	pc.data.data = (uint8_t *)data;
	pc.data.len = len;
	pc.chunk_size = csize;
	pc.quiet = quiet;
	req.kind_case = THESEUS__REQUEST__KIND_PUSH_CHUNK;
	req.push_chunk = &pc;
	return t_send(t, &req);
}

static int t_chunk(struct t *t, const uint8_t *sha, uint64_t total, uint64_t off,
		   const uint8_t *data, size_t len)
{
	Theseus__Request req = THESEUS__REQUEST__INIT;
	Theseus__PushChunk pc = THESEUS__PUSH_CHUNK__INIT;
	pc.object_sha256.data = (uint8_t *)sha;
	pc.object_sha256.len = 32;
	pc.total_size = total;
	pc.offset = off;
	pc.data.data = (uint8_t *)data;
	pc.data.len = len;
	req.kind_case = THESEUS__REQUEST__KIND_PUSH_CHUNK;
	req.push_chunk = &pc;
	return t_send(t, &req);
}

/* Pushes a whole object; returns the last chunk's status. */
static int t_push(struct t *t, const uint8_t *obj, size_t len, uint8_t sha[32])
{
	proto_sha256(obj, len, sha);
	int err = TH_OK;
	for (size_t off = 0; off < len && err == TH_OK; off += PROTO_CHUNK_SIZE) {
		size_t n = len - off < PROTO_CHUNK_SIZE ? len - off : PROTO_CHUNK_SIZE;
		err = t_chunk(t, sha, len, off, obj + off, n);
	}
	return err;
}

static int t_swap(struct t *t, const char *mod, const char *expect, const uint8_t *sha)
{
	struct fx_swap_req s;
	return t_send(t, fx_swap_request(&s, mod, expect, sha));
}

static void make_obj(uint8_t *buf, size_t len, const char *version, uint8_t fill)
{
	memset(buf, fill, len);
	int n = snprintf((char *)buf, len, "VERSION=%s\n", version);
	(void)n;
}

/* ---- tests ------------------------------------------------------------------ */

static void test_ping_info_ls(void)
{
	struct t t;
	t_init(&t);
	CHECK_EQ(t_ping(&t), TH_OK);
	CHECK_EQ(t.rep->payload_case, THESEUS__REPLY__PAYLOAD_PONG);
	CHECK_EQ(t.rep->pong->payload.len, 2);
	CHECK_EQ(t.rep->counter, t.counter);

	Theseus__Request req = THESEUS__REQUEST__INIT;
	Theseus__InfoRequest ir = THESEUS__INFO_REQUEST__INIT;
	req.kind_case = THESEUS__REQUEST__KIND_INFO;
	req.info = &ir;
	CHECK_EQ(t_send(&t, &req), TH_OK);
	CHECK_EQ(t.rep->payload_case, THESEUS__REPLY__PAYLOAD_INFO);
	CHECK(t.rep->info->key_configured);
	CHECK_EQ(t.rep->info->modules, 2);
	CHECK_EQ(t.rep->info->counters->requests, 2);
	CHECK_EQ(t.rep->info->staging_max_bytes, ENDPOINT_DEFAULT_STAGING_BYTES);

	Theseus__ListModulesRequest lr = THESEUS__LIST_MODULES_REQUEST__INIT;
	req.kind_case = THESEUS__REQUEST__KIND_LIST_MODULES;
	req.list_modules = &lr;
	CHECK_EQ(t_send(&t, &req), TH_OK);
	CHECK_EQ(t.rep->modules->total, 2);
	CHECK_EQ(t.rep->modules->n_modules, 2);
	CHECK_STR(t.rep->modules->modules[1]->name, "kv");
	CHECK_STR(t.rep->modules->modules[1]->deps[0], "hello");
	lr.start = 3;
	CHECK_EQ(t_send(&t, &req), TH_ERANGE);
	t_fini(&t);
}

static int t_info(struct t *t)
{
	Theseus__Request req = THESEUS__REQUEST__INIT;
	Theseus__InfoRequest ir = THESEUS__INFO_REQUEST__INIT;
	req.kind_case = THESEUS__REQUEST__KIND_INFO;
	req.info = &ir;
	return t_send(t, &req);
}

/* What a kernel reports at most: every string at its longest, every number
 * at its largest (as many bytes as a varint takes). */
static int info_max(void *ctx, struct endpoint_info *out)
{
	(void)ctx;
	memset(out, 'x', sizeof *out);   /* the strings: the core ends them */
	out->uptime_ms = out->mem_total = out->mem_used = UINT64_MAX;
	out->cpus = UINT32_MAX;
	out->has_nic_counters = true;
	memset(&out->nic_counters, 0xff, sizeof out->nic_counters);
	out->has_usage = true;
	memset(&out->usage, 0xff, sizeof out->usage);
	return TH_OK;
}

/* Profile requests through the core as any client sends them (the
 * profiler's own suite is endpoint_profile.c): here mostly so that they
 * join the fuzzer's seed corpus (ENDPOINT_SEED_DIR). */
static int t_profile_req(struct t *t, bool start, bool stop, uint32_t offset)
{
	Theseus__Request req = THESEUS__REQUEST__INIT;
	Theseus__ProfileRequest pq = THESEUS__PROFILE_REQUEST__INIT;
	pq.start = start;
	pq.stop = stop;
	pq.offset = offset;
	req.kind_case = THESEUS__REQUEST__KIND_PROFILE;
	req.profile = &pq;
	return t_send(t, &req);
}

static void test_profile_requests(void)
{
	struct t t;
	t_init(&t);
	CHECK_EQ(t_profile_req(&t, true, false, 0), TH_OK);
	CHECK_EQ(t.rep->payload_case, THESEUS__REPLY__PAYLOAD_PROFILE);
	CHECK(t.rep->profile->running);
	CHECK_EQ(t_profile_req(&t, false, false, 0), TH_OK);
	CHECK_EQ(t_profile_req(&t, false, true, 0), TH_OK);
	CHECK(!t.rep->profile->running);
	CHECK_EQ(t_profile_req(&t, false, false, 2), TH_OK);
	CHECK_EQ(t_profile_req(&t, true, true, 0), TH_EINVAL);
	t_fini(&t);
}

static void test_info_nic_counters(void)
{
	struct t t;
	t_init(&t);
	/* No NIC (the host fixture's default, as endpoint_udpd's): not sent. */
	CHECK_EQ(t_info(&t), TH_OK);
	CHECK(t.rep->info->nic_counters == NULL);
	CHECK_STR(t.rep->info->nic_pci_id, "");

	/* A NIC: its counters come back as the kernel reported them. */
	t.fx.has_nic = true;
	t.fx.nic = (struct endpoint_nic_counters){ 1, 2, 3, 4, 5, 6, 7, 8, 9 };
	t.fx.nic.rx_bytes = (1ull << 40) + 17;   /* beyond 32 bits */
	CHECK_EQ(t_info(&t), TH_OK);
	const Theseus__NicCounters *nc = t.rep->info->nic_counters;
	CHECK(nc != NULL);
	if (nc) {
		CHECK_EQ(nc->rx_packets, 1);
		CHECK(nc->rx_bytes == (1ull << 40) + 17);
		CHECK_EQ(nc->rx_drops, 3);
		CHECK_EQ(nc->rx_errors, 4);
		CHECK_EQ(nc->tx_packets, 5);
		CHECK_EQ(nc->tx_bytes, 6);
		CHECK_EQ(nc->tx_drops, 7);
		CHECK_EQ(nc->tx_errors, 8);
		CHECK_EQ(nc->irqs, 9);
	}
	CHECK_STR(t.rep->info->nic_driver, "e1000");

	/* All zero is still "present" (a NIC that saw nothing yet). */
	t.fx.nic = (struct endpoint_nic_counters){ 0 };
	CHECK_EQ(t_info(&t), TH_OK);
	CHECK(t.rep->info->nic_counters != NULL);

	/* The largest InfoReply a kernel can produce fits one datagram, seal
	 * included (t_raw checks rlen <= PROTO_MAX_DATAGRAM). */
	t.ep->ops.info = info_max;
	memset(&t.ep->counters, 0xff, sizeof t.ep->counters);
	CHECK_EQ(t_info(&t), TH_OK);
	CHECK(t.sealed);
	CHECK_EQ(t.rep->payload_case, THESEUS__REPLY__PAYLOAD_INFO);
	CHECK(t.rep->info->nic_counters && t.rep->info->nic_counters->irqs == UINT64_MAX);
	CHECK(t.rep->info->usage && t.rep->info->usage->statedb_largest_free == UINT64_MAX);
	CHECK_EQ(strlen(t.rep->info->nic_driver_version), 15);   /* char [16], ended */
	CHECK(t.rlen + 200 <= PROTO_MAX_DATAGRAM);   /* and leaves room to grow */
	/* A caller must offer room for any reply: one byte short is refused
	 * before anything is handled (no counter moves); exactly the
	 * protocol's limit is enough for the largest InfoReply. */
	size_t rlen = 99;
	uint64_t requests = t.ep->counters.requests;
	CHECK_EQ(endpoint_handle(t.ep, t.dgram, t.dlen, t.reply, PROTO_MAX_DATAGRAM - 1, &rlen),
		 TH_EINVAL);
	CHECK_EQ(t.ep->counters.requests, requests);
	CHECK_EQ(t_info(&t), TH_OK);   /* t_raw offers sizeof t.reply == PROTO_MAX_DATAGRAM */
	CHECK(t.rep->info->nic_counters != NULL);
	t_fini(&t);
}

/* InfoReply.usage: statedb's and the task table's use against their limits,
 * as the kernel reported them; absent when it reported none. */
static void test_info_usage(void)
{
	struct t t;
	t_init(&t);
	CHECK_EQ(t_info(&t), TH_OK);
	CHECK(t.rep->info->usage == NULL);
	t.fx.has_usage = true;
	t.fx.usage = (struct endpoint_usage){
		.statedb_entries = 1023, .statedb_entries_max = 1024,
		.statedb_bytes = (1ull << 20) - 64, .statedb_bytes_max = 1ull << 20,
		.statedb_largest_free = 64, .tasks = 256, .tasks_max = 256,
	};
	CHECK_EQ(t_info(&t), TH_OK);
	const Theseus__Usage *u = t.rep->info->usage;
	CHECK(u != NULL);
	if (u) {
		CHECK_EQ(u->statedb_entries, 1023);
		CHECK_EQ(u->statedb_entries_max, 1024);
		CHECK(u->statedb_bytes == (1ull << 20) - 64);
		CHECK(u->statedb_bytes_max == 1ull << 20);
		CHECK_EQ(u->statedb_largest_free, 64);
		CHECK_EQ(u->tasks, 256);
		CHECK_EQ(u->tasks_max, 256);
	}
	/* All zero is still "present". */
	t.fx.usage = (struct endpoint_usage){ 0 };
	CHECK_EQ(t_info(&t), TH_OK);
	CHECK(t.rep->info->usage != NULL);
	t_fini(&t);
}

static void test_list_pages(void)
{
	struct t t;
	t_init(&t);
	for (int i = 2; i < FX_MAX_MODULES; i++) {
		struct fx_module *m = &t.fx.mods[t.fx.n++];
		snprintf(m->m.name, sizeof m->m.name, "module_with_a_long_name_%02d", i);
		snprintf(m->m.version, sizeof m->m.version, "1.0.%d", i);
		m->m.n_deps = ENDPOINT_MAX_DEPS;
		for (int d = 0; d < ENDPOINT_MAX_DEPS; d++)
			snprintf(m->m.deps[d], PROTO_NAME_MAX, "dependency_number_%d", d);
	}
	Theseus__Request req = THESEUS__REQUEST__INIT;
	Theseus__ListModulesRequest lr = THESEUS__LIST_MODULES_REQUEST__INIT;
	req.kind_case = THESEUS__REQUEST__KIND_LIST_MODULES;
	req.list_modules = &lr;
	uint32_t seen = 0, pages = 0;
	while (pages < 20) {
		lr.start = seen;
		CHECK_EQ(t_send(&t, &req), TH_OK);
		pages++;
		seen += t.rep->modules->n_modules;
		if (seen >= t.rep->modules->total || t.rep->modules->n_modules == 0)
			break;
	}
	CHECK_EQ(seen, FX_MAX_MODULES);
	CHECK(pages > 1);
	t_fini(&t);
}

static void test_wrong_key_missing_mac(void)
{
	struct t t;
	t_init(&t);
	uint8_t bad[32];
	memcpy(bad, KEY, 32);
	bad[0] ^= 1;
	uint8_t obj[100], sha[32];
	make_obj(obj, sizeof obj, "9", 'x');
	proto_sha256(obj, sizeof obj, sha);

	Theseus__Request req = THESEUS__REQUEST__INIT;
	Theseus__PushChunk pc = THESEUS__PUSH_CHUNK__INIT;
	pc.object_sha256.data = sha;
	pc.object_sha256.len = 32;
	pc.total_size = sizeof obj;
	pc.data.data = obj;
	pc.data.len = sizeof obj;
	req.kind_case = THESEUS__REQUEST__KIND_PUSH_CHUNK;
	req.push_chunk = &pc;
	CHECK_EQ(t_send_key(&t, bad, &req), TH_EAUTH);
	CHECK_STR(t.rep->message, "unauthenticated");
	CHECK_EQ(t.rep->payload_case, THESEUS__REPLY__PAYLOAD__NOT_SET);
	CHECK(!endpoint_last_authenticated(t.ep));   /* no proof of life for the NIC core */
	CHECK_EQ(t_ping(&t), TH_OK);
	CHECK(endpoint_last_authenticated(t.ep));
	CHECK_EQ(t_send_key(&t, NULL, &req), TH_EAUTH);
	CHECK(!endpoint_last_authenticated(t.ep));
	CHECK_STR(t.rep->message, "unauthenticated");
	CHECK(staging_find(&t.ep->staging, sha) == NULL);
	/* Read-only requests need the MAC too when a key is configured. */
	Theseus__Ping ping = THESEUS__PING__INIT;
	req.kind_case = THESEUS__REQUEST__KIND_PING;
	req.ping = &ping;
	CHECK_EQ(t_send_key(&t, NULL, &req), TH_EAUTH);
	struct endpoint_counters c;
	endpoint_get_counters(t.ep, &c);
	CHECK_EQ(c.auth_failures, 3);
	CHECK_EQ(c.chunks, 0);
	/* A truncated MAC is refused as well. */
	uint8_t body[64];
	size_t blen = theseus__request__pack(&req, body);
	Theseus__Envelope env = THESEUS__ENVELOPE__INIT;
	uint8_t mac[32];
	struct proto_binding bb = { 42, ++t.counter, fx_epoch };
	proto_mac_compute(KEY, PROTO_VERSION, &bb, body, blen, mac);
	env.version = PROTO_VERSION;
	env.client_id = 42;
	env.counter = t.counter;
	env.epoch = fx_epoch;
	env.mac.data = mac;
	env.mac.len = 31;
	env.body.data = body;
	env.body.len = blen;
	t.dlen = theseus__envelope__pack(&env, t.dgram);
	CHECK_EQ(t_raw(&t), TH_EAUTH);
	/* The same with the full MAC works. */
	env.mac.len = 32;
	t.dlen = theseus__envelope__pack(&env, t.dgram);
	CHECK_EQ(t_raw(&t), TH_OK);
	t_fini(&t);
}

static void test_replay(void)
{
	struct t t;
	t_init(&t);
	uint8_t obj[50], sha[32];
	make_obj(obj, sizeof obj, "r", 'r');
	CHECK_EQ(t_push(&t, obj, sizeof obj, sha), TH_OK);
	uint8_t saved[2048];
	size_t slen = t.dlen;
	memcpy(saved, t.dgram, slen);
	/* Replay of a captured datagram: refused, counted, nothing changes. */
	memcpy(t.dgram, saved, slen);
	CHECK_EQ(t_raw(&t), TH_ESTALE);
	CHECK(strstr(t.rep->message, "seen before") != NULL);
	CHECK(t.sealed);
	struct endpoint_counters c;
	endpoint_get_counters(t.ep, &c);
	CHECK_EQ(c.replays, 1);
	CHECK_EQ(c.chunks, 1);
	/* Out of order inside the window: accepted once. */
	uint64_t base = t.counter;
	t.counter = base + 10;
	CHECK_EQ(t_ping(&t), TH_OK);
	t.counter = base + 5;  /* sends base+6 */
	CHECK_EQ(t_ping(&t), TH_OK);
	t.counter = base + 5;
	CHECK_EQ(t_ping(&t), TH_ESTALE);  /* base+6 again */
	/* Far ahead moves the window; old ones then refused. */
	t.counter = base + 1000;
	CHECK_EQ(t_ping(&t), TH_OK);
	uint64_t max = t.counter;
	t.counter = max - ENDPOINT_REPLAY_WINDOW - 1;  /* sends max - 64: outside */
	CHECK_EQ(t_ping(&t), TH_ESTALE);
	t.counter = max - ENDPOINT_REPLAY_WINDOW;      /* sends max - 63: inside */
	CHECK_EQ(t_ping(&t), TH_OK);
	t_fini(&t);
}

static void test_client_table_floor(void)
{
	struct t t;
	t_init(&t);
	Theseus__Request req = THESEUS__REQUEST__INIT;
	Theseus__Ping ping = THESEUS__PING__INIT;
	req.kind_case = THESEUS__REQUEST__KIND_PING;
	req.ping = &ping;
	/* Client 1 at counter 500, captured. */
	t.dlen = fx_datagram(KEY, PROTO_VERSION, 1, 500, &req, t.dgram, sizeof t.dgram);
	uint8_t saved[256];
	size_t slen = t.dlen;
	memcpy(saved, t.dgram, slen);
	CHECK_EQ(t_raw(&t), TH_OK);
	/* Many other clients push client 1 out of the table. */
	for (uint64_t c = 2; c < 2 + 2 * ENDPOINT_MAX_CLIENTS; c++) {
		t.fx.now_ms++;
		t.dlen = fx_datagram(KEY, PROTO_VERSION, c, 1000 + c, &req, t.dgram, sizeof t.dgram);
		CHECK_EQ(t_raw(&t), TH_OK);
	}
	/* The old datagram is still refused (the floor), a fresh one is fine. */
	memcpy(t.dgram, saved, slen);
	t.dlen = slen;
	CHECK_EQ(t_raw(&t), TH_ESTALE);
	CHECK(t.rep->counter_floor >= 500);
	t.dlen = fx_datagram(KEY, PROTO_VERSION, 1, 100000, &req, t.dgram, sizeof t.dgram);
	CHECK_EQ(t_raw(&t), TH_OK);
	t_fini(&t);
}

static void test_version_garbage_truncated(void)
{
	struct t t;
	t_init(&t);
	Theseus__Request req = THESEUS__REQUEST__INIT;
	Theseus__Ping ping = THESEUS__PING__INIT;
	req.kind_case = THESEUS__REQUEST__KIND_PING;
	req.ping = &ping;
	/* (a payload, so that the refusal with its message is not longer) */
	uint8_t pl[PROTO_PING_MAX];
	memset(pl, 'v', sizeof pl);
	ping.payload.data = pl;
	ping.payload.len = sizeof pl;
	t.dlen = fx_datagram(KEY, 1, 42, ++t.counter, &req, t.dgram, sizeof t.dgram);
	CHECK_EQ(t_raw(&t), TH_EVERSION);
	CHECK(!t.sealed);
	CHECK(t.rlen <= t.dlen);
	CHECK(strstr(t.rep->message, "version 1") != NULL);
	CHECK(strstr(t.rep->message, "version 2") != NULL);
	CHECK_EQ(t.rep->counter, t.counter);
	CHECK_EQ(t.rep->client_id, 42);
	CHECK(t.rep->epoch != 0);
	/* without the payload the message does not fit: the message goes
	 * first, the epoch and the client id stay while they fit */
	ping.payload.len = 0;
	t.dlen = fx_datagram(KEY, 1, 42, ++t.counter, &req, t.dgram, sizeof t.dgram);
	CHECK_EQ(t_raw(&t), TH_EVERSION);
	CHECK_STR(t.rep->message, "");
	CHECK(t.rlen <= t.dlen);
	CHECK(t.rep->epoch != 0);
	CHECK_EQ(t.rep->client_id, 42);

	/* Garbage. */
	for (int i = 0; i < 200; i++)
		t.dgram[i] = (uint8_t)(i * 37 + 11);
	t.dlen = 200;
	CHECK_EQ(t_raw(&t), TH_EPROTO);
	t.dlen = 0;
	int empty = t_raw(&t);  /* an empty envelope decodes (version 0), but the
				 * refusal would be longer than nothing: no answer */
	CHECK_EQ(empty, T_NO_REPLY);

	/* Oversized datagram: not an envelope, then a MAC'd one (echoed, sealed). */
	memset(t.dgram, 0, 1500);
	t.dlen = 1500;
	CHECK_EQ(t_raw(&t), TH_ETOOBIG);
	{
		uint8_t big[1500];
		memset(big, 'b', sizeof big);
		struct proto_binding bb = { 42, ++t.counter, fx_epoch };
		size_t n2 = 0;
		CHECK_EQ(proto_envelope_pack(KEY, PROTO_VERSION, &bb, big, sizeof big, t.dgram,
					     sizeof t.dgram, &n2), TH_OK);
		t.dlen = n2;
		CHECK_EQ(t_raw(&t), TH_ETOOBIG);
		CHECK_EQ(t.rep->counter, bb.counter);
		CHECK_EQ(t.rep->client_id, 42);
		CHECK(t.sealed);
	}

	/* Every truncation of a valid chunk request: an error, never a change. */
	uint8_t obj[300], sha[32];
	make_obj(obj, sizeof obj, "t", 't');
	proto_sha256(obj, sizeof obj, sha);
	CHECK_EQ(t_chunk(&t, sha, sizeof obj, 0, obj, sizeof obj), TH_OK);
	CHECK(staging_find(&t.ep->staging, sha) != NULL);
	/* push a different object and truncate it */
	obj[5] ^= 1;
	proto_sha256(obj, sizeof obj, sha);
	Theseus__PushChunk pc = THESEUS__PUSH_CHUNK__INIT;
	pc.object_sha256.data = sha;
	pc.object_sha256.len = 32;
	pc.total_size = sizeof obj;
	pc.data.data = obj;
	pc.data.len = sizeof obj;
	req.kind_case = THESEUS__REQUEST__KIND_PUSH_CHUNK;
	req.push_chunk = &pc;
	size_t full = fx_datagram(KEY, PROTO_VERSION, 42, ++t.counter, &req, t.dgram,
				  sizeof t.dgram);
	uint8_t saved[2048];
	memcpy(saved, t.dgram, full);
	int oks = 0;
	for (size_t n = 0; n < full; n++) {
		memcpy(t.dgram, saved, n);
		t.dlen = n;
		oks += t_raw(&t) == TH_OK;
	}
	CHECK_EQ(oks, 0);
	CHECK(staging_find(&t.ep->staging, sha) == NULL);
	/* Truncated body inside a valid MAC'd envelope: malformed. */
	uint8_t body[600];
	size_t blen = theseus__request__pack(&req, body);
	size_t n = 0;
	struct proto_binding bt = { 42, ++t.counter, fx_epoch };
	CHECK_EQ(proto_envelope_pack(KEY, PROTO_VERSION, &bt, body, blen - 7, t.dgram,
				     sizeof t.dgram, &n), TH_OK);
	t.dlen = n;
	CHECK_EQ(t_raw(&t), TH_EPROTO);
	CHECK_EQ(t.rep->counter, bt.counter);
	CHECK(t.sealed);
	struct endpoint_counters c;
	endpoint_get_counters(t.ep, &c);
	CHECK(c.malformed >= 2);
	CHECK_EQ(t_ping(&t), TH_OK);  /* still serving */
	t_fini(&t);
}

static void test_oversized_fields(void)
{
	struct t t;
	t_init(&t);
	uint8_t big[1100], sha[33];
	memset(big, 7, sizeof big);
	memset(sha, 1, sizeof sha);
	Theseus__Request req = THESEUS__REQUEST__INIT;
	Theseus__Ping ping = THESEUS__PING__INIT;
	ping.payload.data = big;
	ping.payload.len = 65;
	req.kind_case = THESEUS__REQUEST__KIND_PING;
	req.ping = &ping;
	CHECK_EQ(t_send(&t, &req), TH_ETOOBIG);

	/* sha256 of 33 bytes */
	Theseus__PushChunk pc = THESEUS__PUSH_CHUNK__INIT;
	pc.object_sha256.data = sha;
	pc.object_sha256.len = 33;
	pc.total_size = 10;
	pc.data.data = big;
	pc.data.len = 10;
	req.kind_case = THESEUS__REQUEST__KIND_PUSH_CHUNK;
	req.push_chunk = &pc;
	CHECK_EQ(t_send(&t, &req), TH_EINVAL);
	CHECK(strstr(t.rep->message, "object_sha256") != NULL);
	/* chunk data longer than a chunk */
	CHECK_EQ(t_chunk(&t, sha, 5000, 0, big, 1025), TH_ERANGE);
	/* object bigger than the staging area */
	CHECK_EQ(t_chunk(&t, sha, ENDPOINT_DEFAULT_STAGING_BYTES + 1, 0, big, 1024), TH_ETOOBIG);
	CHECK(strstr(t.rep->message, "16777217") && strstr(t.rep->message, "16777216"));
	/* module name too long, bad characters */
	char longname[100];
	memset(longname, 'a', 99);
	longname[99] = 0;
	CHECK_EQ(t_swap(&t, longname, "1.0", sha), TH_EINVAL);
	CHECK_EQ(t_swap(&t, "he llo", "1.0", sha), TH_EINVAL);
	CHECK_EQ(t_swap(&t, "hello", "1.0\n", sha), TH_EINVAL);
	CHECK_EQ(t.fx.swap_calls, 0);
	CHECK_EQ(staging_count(&t.ep->staging), 0);
	t_fini(&t);
}

static void test_chunk_rules(void)
{
	struct t t;
	t_init(&t);
	uint8_t obj[2500], sha[32];
	make_obj(obj, sizeof obj, "c", 'c');
	proto_sha256(obj, sizeof obj, sha);
	/* beyond the declared size */
	CHECK_EQ(t_chunk(&t, sha, sizeof obj, 3072, obj, 10), TH_ERANGE);
	CHECK(strstr(t.rep->message, "beyond") != NULL);
	/* misaligned, short, long last chunk */
	CHECK_EQ(t_chunk(&t, sha, sizeof obj, 100, obj, 1024), TH_EINVAL);
	CHECK_EQ(t_chunk(&t, sha, sizeof obj, 0, obj, 1000), TH_EINVAL);
	CHECK_EQ(t_chunk(&t, sha, sizeof obj, 2048, obj, 500), TH_ERANGE);
	CHECK_EQ(t_chunk(&t, sha, 0, 0, obj, 0), TH_EINVAL);
	CHECK_EQ(staging_count(&t.ep->staging), 0);
	/* in order with a duplicate in the middle */
	CHECK_EQ(t_chunk(&t, sha, sizeof obj, 1024, obj + 1024, 1024), TH_OK);
	CHECK_EQ(t.rep->chunk->chunks_have, 1);
	CHECK_EQ(t.rep->chunk->chunks_total, 3);
	CHECK_EQ(t_chunk(&t, sha, sizeof obj, 1024, obj + 1024, 1024), TH_OK);
	CHECK_EQ(t.rep->chunk->chunks_have, 1);
	/* a different total for the same object */
	CHECK_EQ(t_chunk(&t, sha, sizeof obj + 1, 0, obj, 1024), TH_EINVAL);
	CHECK_EQ(t_chunk(&t, sha, sizeof obj, 0, obj, 1024), TH_OK);
	/* status shows the bitmap */
	Theseus__Request req = THESEUS__REQUEST__INIT;
	Theseus__ObjectStatusRequest os = THESEUS__OBJECT_STATUS_REQUEST__INIT;
	os.object_sha256.data = sha;
	os.object_sha256.len = 32;
	req.kind_case = THESEUS__REQUEST__KIND_OBJECT_STATUS;
	req.object_status = &os;
	CHECK_EQ(t_send(&t, &req), TH_OK);
	CHECK(t.rep->object->known);
	CHECK_EQ(t.rep->object->bitmap.len, 1);
	CHECK_EQ(t.rep->object->bitmap.data[0], 3);
	CHECK(!t.rep->object->complete);
	CHECK_EQ(t_chunk(&t, sha, sizeof obj, 2048, obj + 2048, sizeof obj - 2048), TH_OK);
	CHECK(t.rep->chunk->complete);
	/* after completion, chunks are still harmless */
	CHECK_EQ(t_chunk(&t, sha, sizeof obj, 0, obj, 1024), TH_OK);
	CHECK(t.rep->chunk->complete);
	CHECK_EQ(t_send(&t, &req), TH_OK);
	CHECK(t.rep->object->complete);
	t_fini(&t);
}

static void test_hash_mismatch(void)
{
	struct t t;
	t_init(&t);
	uint8_t obj[1500], sha[32];
	make_obj(obj, sizeof obj, "h", 'h');
	proto_sha256(obj, sizeof obj, sha);
	CHECK_EQ(t_chunk(&t, sha, sizeof obj, 0, obj, 1024), TH_OK);
	obj[1200] ^= 0xff;
	CHECK_EQ(t_chunk(&t, sha, sizeof obj, 1024, obj + 1024, sizeof obj - 1024), TH_EHASH);
	CHECK(strstr(t.rep->message, "discarded") != NULL);
	CHECK(staging_find(&t.ep->staging, sha) == NULL);
	CHECK_EQ(t.ep->staging.used_bytes, 0);
	CHECK_EQ(t_swap(&t, "hello", "1.0", sha), TH_ENOENT);
	t_fini(&t);
}

static void test_full_and_eviction(void)
{
	struct t t;
	struct endpoint_config cfg = { .key = KEY, .staging_max_objects = 2,
				       .staging_max_bytes = 8192, .stale_ms = 5000 };
	t_init_cfg(&t, &cfg);
	static uint8_t a[4096], b[4096], c[4096];
	uint8_t sa[32], sb[32], sc[32];
	make_obj(a, sizeof a, "a", 'a');
	make_obj(b, sizeof b, "b", 'b');
	make_obj(c, sizeof c, "c", 'c');
	proto_sha256(a, sizeof a, sa);
	proto_sha256(b, sizeof b, sb);
	proto_sha256(c, sizeof c, sc);
	CHECK_EQ(t_chunk(&t, sa, sizeof a, 0, a, 1024), TH_OK);       /* a incomplete */
	t.fx.now_ms += 100;
	CHECK_EQ(t_push(&t, b, sizeof b, sb), TH_OK);                  /* b complete */
	t.fx.now_ms += 100;
	/* a newer push gets room at once: the incomplete a gives way, the
	 * complete b (awaiting its swap) stays */
	CHECK_EQ(t_chunk(&t, sc, sizeof c, 0, c, 1024), TH_OK);
	CHECK(staging_find(&t.ep->staging, sa) == NULL);
	CHECK(staging_find(&t.ep->staging, sb) && staging_find(&t.ep->staging, sc));
	/* b taken by a swap: the first to go for the next object */
	CHECK_EQ(t_swap(&t, "hello", "1.0", sb), TH_OK);
	t.fx.now_ms += 100;
	CHECK_EQ(t_chunk(&t, sa, sizeof a, 0, a, 1024), TH_OK);
	CHECK(staging_find(&t.ep->staging, sb) == NULL);
	CHECK(staging_find(&t.ep->staging, sc) != NULL);
	CHECK(t.ep->staging.used_bytes <= 8192);
	/* only objects pinned by a running swap are never evicted: pin both */
	struct staging_obj *pa = staging_find(&t.ep->staging, sa);
	struct staging_obj *pc = staging_find(&t.ep->staging, sc);
	CHECK(pa && pc);
	if (pa && pc) {
		pa->pins++;
		pc->pins++;
		CHECK_EQ(t_chunk(&t, sb, sizeof b, 0, b, 1024), TH_EFULL);
		CHECK(strstr(t.rep->message, "full") != NULL);
		pa->pins--;
		pc->pins--;
	}
	t_fini(&t);
}

/* Least recently PROGRESSED goes first, and a duplicate chunk is not
 * progress: an object kept "alive" by resending its first chunk is evicted
 * before one that really advances. */
static void test_evict_least_progressed(void)
{
	struct t t;
	struct endpoint_config cfg = { .key = KEY, .staging_max_objects = 3,
				       .staging_max_bytes = 8192 };
	t_init_cfg(&t, &cfg);
	static uint8_t a[4096], b[4096], c[4096];
	uint8_t sa[32], sb[32], sc[32];
	make_obj(a, sizeof a, "a", 'a');
	make_obj(b, sizeof b, "b", 'b');
	make_obj(c, sizeof c, "c", 'c');
	proto_sha256(a, sizeof a, sa);
	proto_sha256(b, sizeof b, sb);
	proto_sha256(c, sizeof c, sc);
	CHECK_EQ(t_chunk(&t, sa, sizeof a, 0, a, 1024), TH_OK);
	t.fx.now_ms += 10;
	CHECK_EQ(t_chunk(&t, sb, sizeof b, 0, b, 1024), TH_OK);
	uint64_t b_progress = t.fx.now_ms;
	for (int i = 0; i < 5; i++) {   /* a advances, b only repeats itself */
		t.fx.now_ms += 10;
		CHECK_EQ(t_chunk(&t, sb, sizeof b, 0, b, 1024), TH_OK);
		CHECK_EQ(staging_find(&t.ep->staging, sb)->last_ms, b_progress);
	}
	CHECK_EQ(t_chunk(&t, sa, sizeof a, 1024, a + 1024, 1024), TH_OK);
	t.fx.now_ms += 10;
	CHECK_EQ(t_chunk(&t, sc, sizeof c, 0, c, 1024), TH_OK);
	CHECK(staging_find(&t.ep->staging, sb) == NULL);
	CHECK(staging_find(&t.ep->staging, sa) != NULL);
	/* the wedge: one chunk declaring the whole area; the next push
	 * takes its place at once, no 30 s wait */
	t_fini(&t);
	t_init_cfg(&t, &cfg);
	static uint8_t huge[8192];
	uint8_t sh[32];
	make_obj(huge, sizeof huge, "huge", 'h');
	proto_sha256(huge, sizeof huge, sh);
	CHECK_EQ(t_chunk(&t, sh, sizeof huge, 0, huge, 1024), TH_OK);
	CHECK_EQ(t.ep->staging.used_bytes, 8192);
	t.fx.now_ms += 1;
	CHECK_EQ(t_push(&t, a, sizeof a, sa), TH_OK);
	CHECK(staging_find(&t.ep->staging, sh) == NULL);
	CHECK(staging_find(&t.ep->staging, sa)->complete);
	t_fini(&t);
}

/* A failed swap releases its objects at once. */
static void test_failed_swap_releases(void)
{
	struct t t;
	struct endpoint_config cfg = { .key = KEY, .staging_max_objects = 2,
				       .staging_max_bytes = 8192 };
	t_init_cfg(&t, &cfg);
	static uint8_t a[8192];
	uint8_t sa[32];
	make_obj(a, sizeof a, "2.0", 'a');
	CHECK_EQ(t_push(&t, a, sizeof a, sa), TH_OK);
	CHECK_EQ(t_swap(&t, "hello", "0.1", sa), TH_ECONFLICT);
	CHECK(staging_find(&t.ep->staging, sa) == NULL);
	CHECK_EQ(t.ep->staging.used_bytes, 0);
	CHECK_EQ(t_push(&t, a, sizeof a, sa), TH_OK);
	t.fx.fail_swap = TH_EBADELF;
	CHECK_EQ(t_swap(&t, "hello", "1.0", sa), TH_EBADELF);
	CHECK_EQ(staging_count(&t.ep->staging), 0);
	t_fini(&t);
}

/* Defaults: 16 MiB in all, one object may use all of it; its bitmap comes
 * in pages of PROTO_BITMAP_PAGE bytes. */
static void test_staging_defaults_and_bitmap_pages(void)
{
	struct t t;
	t_init(&t);
	CHECK_EQ(t.ep->staging.max_bytes, 16u << 20);
	CHECK(PROTO_MAX_OBJECT >= (16u << 20));
	const uint64_t total = 16u << 20;
	static uint8_t chunk[1024];
	uint8_t sha[32];
	memset(chunk, 0x5a, sizeof chunk);
	memset(sha, 0x77, sizeof sha);
	/* chunks 0, 9000 and the last one of a 16 MiB object */
	const uint64_t idx[] = { 0, 9000, total / 1024 - 1 };
	for (int k = 0; k < 3; k++)
		CHECK_EQ(t_chunk(&t, sha, total, idx[k] * 1024, chunk, 1024), TH_OK);
	Theseus__Request req = THESEUS__REQUEST__INIT;
	Theseus__ObjectStatusRequest os = THESEUS__OBJECT_STATUS_REQUEST__INIT;
	os.object_sha256.data = sha;
	os.object_sha256.len = 32;
	req.kind_case = THESEUS__REQUEST__KIND_OBJECT_STATUS;
	req.object_status = &os;
	uint32_t from = 0, seen = 0, pages = 0;
	while (from < total / 1024 && pages < 10) {
		os.bitmap_from = from;
		CHECK_EQ(t_send(&t, &req), TH_OK);
		const Theseus__ObjectStatusReply *o = t.rep ? t.rep->object : NULL;
		CHECK(o != NULL);
		if (!o)
			break;
		CHECK(o->known);
		CHECK_EQ(o->max_object_size, 16u << 20);
		CHECK_EQ(o->bitmap_from, from);
		CHECK(o->bitmap.len > 0 && o->bitmap.len <= PROTO_BITMAP_PAGE);
		CHECK(t.rlen <= PROTO_MAX_DATAGRAM);
		for (size_t i = 0; i < o->bitmap.len * 8; i++)
			seen += (o->bitmap.data[i / 8] >> (i % 8)) & 1;
		from += (uint32_t)o->bitmap.len * 8;
		pages++;
	}
	CHECK_EQ(seen, 3);
	CHECK_EQ(pages, 2);
	/* past the end: an empty page */
	os.bitmap_from = (uint32_t)(total / 1024) + 64;
	CHECK_EQ(t_send(&t, &req), TH_OK);
	CHECK(t.rep && t.rep->object && t.rep->object->bitmap.len == 0);
	t_fini(&t);
}

static void test_swap_cas(void)
{
	struct t t;
	t_init(&t);
	uint8_t obj[3000], sha[32];
	make_obj(obj, sizeof obj, "2.0", 's');
	/* not staged / incomplete */
	proto_sha256(obj, sizeof obj, sha);
	CHECK_EQ(t_swap(&t, "hello", "1.0", sha), TH_ENOENT);
	CHECK_EQ(t_chunk(&t, sha, sizeof obj, 0, obj, 1024), TH_OK);
	CHECK_EQ(t_swap(&t, "hello", "1.0", sha), TH_EINCOMPLETE);
	CHECK_EQ(t_push(&t, obj, sizeof obj, sha), TH_OK);
	/* stale expectation */
	CHECK_EQ(t_swap(&t, "hello", "0.9", sha), TH_ECONFLICT);
	CHECK(strstr(t.rep->message, "hello") != NULL);
	CHECK_STR(t.fx.mods[0].m.version, "1.0");
	/* a failed swap releases the object: push again */
	CHECK(staging_find(&t.ep->staging, sha) == NULL);
	CHECK_EQ(t_push(&t, obj, sizeof obj, sha), TH_OK);
	t.fx.fail_swap = TH_EBADELF;
	CHECK_EQ(t_swap(&t, "hello", "1.0", sha), TH_EBADELF);
	CHECK(staging_find(&t.ep->staging, sha) == NULL);
	CHECK_EQ(t_push(&t, obj, sizeof obj, sha), TH_OK);
	/* good */
	CHECK_EQ(t_swap(&t, "hello", "1.0", sha), TH_OK);
	CHECK_EQ(t.rep->payload_case, THESEUS__REPLY__PAYLOAD_SWAP);
	CHECK_STR(t.rep->swap->results[0]->old_version, "1.0");
	CHECK_STR(t.rep->swap->results[0]->new_version, "2.0");
	CHECK(!t.rep->swap->results[0]->already);
	CHECK_EQ(t.rep->swap->n_stages, 3);
	CHECK_STR(t.fx.mods[0].m.version, "2.0");
	uint64_t calls = t.fx.swap_calls;
	/* retried (new counter) and duplicated (same expectation): harmless success */
	CHECK_EQ(t_swap(&t, "hello", "1.0", sha), TH_OK);
	CHECK(t.rep->swap->results[0]->already);
	CHECK_EQ(t.fx.swap_calls, calls);
	CHECK_EQ(t.fx.mods[0].swaps, 1);
	/* another object with the old expectation: stale */
	uint8_t obj3[100], sha3[32];
	make_obj(obj3, sizeof obj3, "3.0", '3');
	CHECK_EQ(t_push(&t, obj3, sizeof obj3, sha3), TH_OK);
	CHECK_EQ(t_swap(&t, "hello", "1.0", sha3), TH_ECONFLICT);
	/* a new module: expected "" (the refused swap released obj3: push again) */
	CHECK_EQ(t_push(&t, obj3, sizeof obj3, sha3), TH_OK);
	CHECK_EQ(t_swap(&t, "newmod", "", sha3), TH_OK);
	CHECK_EQ(t.fx.n, 3);
	/* multi-item transaction with one stale item changes nothing */
	Theseus__Request req = THESEUS__REQUEST__INIT;
	Theseus__SwapRequest sr = THESEUS__SWAP_REQUEST__INIT;
	Theseus__SwapItem i1 = THESEUS__SWAP_ITEM__INIT, i2 = THESEUS__SWAP_ITEM__INIT;
	Theseus__SwapItem *items[2] = { &i1, &i2 };
	i1.module = "kv";
	i1.expected_version = "2.3";
	i1.object_sha256.data = sha;
	i1.object_sha256.len = 32;
	i2.module = "hello";
	i2.expected_version = "1.0";
	i2.object_sha256.data = sha3;
	i2.object_sha256.len = 32;
	sr.n_items = 2;
	sr.items = items;
	req.kind_case = THESEUS__REQUEST__KIND_SWAP;
	req.swap = &sr;
	uint8_t obj2b[100], sha2b[32];
	make_obj(obj2b, sizeof obj2b, "2.4", '4');
	CHECK_EQ(t_push(&t, obj2b, sizeof obj2b, sha2b), TH_OK);
	i1.object_sha256.data = sha2b;
	CHECK_EQ(t_push(&t, obj3, sizeof obj3, sha3), TH_OK);
	CHECK_EQ(t_send(&t, &req), TH_ECONFLICT);
	CHECK_STR(t.fx.mods[1].m.version, "2.3");
	i2.module = "kv";
	CHECK_EQ(t_send(&t, &req), TH_EINVAL);  /* named twice */
	t_fini(&t);
}

/* ---- boundaries (tests/mutants/list names the lines these pin) ------------- */

/* proto_bytes_equal_ct: equal only if every one of the n bytes is equal. */
static void test_bytes_equal_ct_each_position(void)
{
	uint8_t a[PROTO_MAC_LEN], b[PROTO_MAC_LEN];
	for (size_t i = 0; i < sizeof a; i++)
		a[i] = b[i] = (uint8_t)(i * 7 + 1);
	CHECK(proto_bytes_equal_ct(a, b, sizeof a));
	CHECK(proto_bytes_equal_ct(a, b, 0));
	/* one differing byte, at every position (first, middle and last included),
	 * and with each single bit */
	int equal_when_different = 0;
	for (size_t i = 0; i < sizeof a; i++)
		for (int bit = 0; bit < 8; bit++) {
			b[i] ^= (uint8_t)(1u << bit);
			equal_when_different += proto_bytes_equal_ct(a, b, sizeof a);
			b[i] ^= (uint8_t)(1u << bit);
		}
	CHECK_EQ(equal_when_different, 0);
	b[0] ^= 0xff;
	CHECK(!proto_bytes_equal_ct(a, b, sizeof a));
	CHECK(proto_bytes_equal_ct(a + 1, b + 1, sizeof a - 1)); /* n really bounds it */
	b[0] ^= 0xff;
	b[PROTO_MAC_LEN - 1] ^= 0x80;
	CHECK(!proto_bytes_equal_ct(a, b, sizeof a));
	CHECK(proto_bytes_equal_ct(a, b, sizeof a - 1));
}

/* A request whose MAC differs from the right one in one byte (first, middle,
 * last) is refused with EAUTH, changes nothing, and does not use up its
 * counter: the same request with the right MAC is then accepted. */
static void test_mac_one_byte_off(void)
{
	struct t t;
	t_init(&t);
	uint8_t obj[200], sha[32];
	make_obj(obj, sizeof obj, "m", 'm');
	proto_sha256(obj, sizeof obj, sha);
	Theseus__Request req = THESEUS__REQUEST__INIT;
	Theseus__PushChunk pc = THESEUS__PUSH_CHUNK__INIT;
	pc.object_sha256.data = sha;
	pc.object_sha256.len = 32;
	pc.total_size = sizeof obj;
	pc.data.data = obj;
	pc.data.len = sizeof obj;
	req.kind_case = THESEUS__REQUEST__KIND_PUSH_CHUNK;
	req.push_chunk = &pc;
	uint8_t body[600], mac[PROTO_MAC_LEN];
	size_t blen = theseus__request__pack(&req, body);
	uint64_t counter = ++t.counter;
	struct proto_binding bb = { 42, counter, fx_epoch };
	proto_mac_compute(KEY, PROTO_VERSION, &bb, body, blen, mac);
	Theseus__Envelope env = THESEUS__ENVELOPE__INIT;
	env.version = PROTO_VERSION;
	env.client_id = 42;
	env.counter = counter;
	env.epoch = fx_epoch;
	env.mac.data = mac;
	env.mac.len = sizeof mac;
	env.body.data = body;
	env.body.len = blen;
	const size_t pos[] = { 0, PROTO_MAC_LEN / 2, PROTO_MAC_LEN - 1 };
	for (size_t k = 0; k < 3; k++) {
		mac[pos[k]] ^= 0x01;
		t.dlen = theseus__envelope__pack(&env, t.dgram);
		CHECK_EQ(t_raw(&t), TH_EAUTH);
		CHECK_STR(t.rep->message, "unauthenticated");
		mac[pos[k]] ^= 0x01;
	}
	struct endpoint_counters c;
	endpoint_get_counters(t.ep, &c);
	CHECK_EQ(c.auth_failures, 3);
	CHECK_EQ(c.chunks, 0);
	CHECK(staging_find(&t.ep->staging, sha) == NULL);
	t.dlen = theseus__envelope__pack(&env, t.dgram);
	CHECK_EQ(t_raw(&t), TH_OK);
	CHECK(staging_find(&t.ep->staging, sha) != NULL);
	t_fini(&t);
}

/* Sends a ping from client `client` with counter `counter`; returns the status. */
static int t_ping_as(struct t *t, uint64_t client, uint64_t counter)
{
	Theseus__Request req = THESEUS__REQUEST__INIT;
	Theseus__Ping ping = THESEUS__PING__INIT;
	req.kind_case = THESEUS__REQUEST__KIND_PING;
	req.ping = &ping;
	t->dlen = fx_datagram(KEY, PROTO_VERSION, client, counter, &req, t->dgram,
			      sizeof t->dgram);
	return t_raw(t);
}

/* The window's exact edges: max-63 is inside (accepted once), max-64 is
 * outside; the newest counter itself cannot be replayed. */
static void test_replay_window_edges(void)
{
	struct t t;
	t_init(&t);
	const uint64_t max = 5000;
	CHECK_EQ(t_ping_as(&t, 7, max), TH_OK);
	uint8_t newest[512];
	size_t nlen = t.dlen;
	memcpy(newest, t.dgram, nlen);
	/* the newest datagram replayed byte for byte, and a new one with its counter */
	CHECK_EQ(t_raw(&t), TH_ESTALE);
	CHECK_EQ(t_ping_as(&t, 7, max), TH_ESTALE);
	CHECK_EQ(t_ping_as(&t, 7, max - (ENDPOINT_REPLAY_WINDOW - 1)), TH_OK);
	CHECK_EQ(t_ping_as(&t, 7, max - (ENDPOINT_REPLAY_WINDOW - 1)), TH_ESTALE);
	CHECK_EQ(t_ping_as(&t, 7, max - ENDPOINT_REPLAY_WINDOW), TH_ESTALE);
	CHECK_EQ(t_ping_as(&t, 7, max - ENDPOINT_REPLAY_WINDOW - 1), TH_ESTALE);
	CHECK_EQ(t_ping_as(&t, 7, max - 1), TH_OK);
	CHECK_EQ(t_ping_as(&t, 7, max - 1), TH_ESTALE);
	/* moving by exactly the window width keeps nothing of the old window */
	CHECK_EQ(t_ping_as(&t, 7, max + ENDPOINT_REPLAY_WINDOW), TH_OK);
	CHECK_EQ(t_ping_as(&t, 7, max + 1), TH_OK);   /* max + 64 - 63: inside, unseen */
	CHECK_EQ(t_ping_as(&t, 7, max), TH_ESTALE);     /* max + 64 - 64: outside */
	memcpy(t.dgram, newest, nlen);
	t.dlen = nlen;
	CHECK_EQ(t_raw(&t), TH_ESTALE);
	CHECK_EQ(t_ping_as(&t, 7, max + ENDPOINT_REPLAY_WINDOW), TH_ESTALE);
	struct endpoint_counters c;
	endpoint_get_counters(t.ep, &c);
	CHECK_EQ(c.replays, 9);
	t_fini(&t);
}

/* An evicted client's highest counter becomes the floor exactly: a datagram
 * at the floor (that client's newest, replayed) is refused, floor+1 is
 * accepted, for that client and for any unknown one. */
static void test_replay_floor_exact(void)
{
	struct t t;
	t_init(&t);
	const uint64_t top = 5000;
	CHECK_EQ(t_ping_as(&t, 1, top - 1), TH_OK);
	CHECK_EQ(t_ping_as(&t, 1, top), TH_OK);       /* client 1's newest, captured */
	uint8_t saved[512];
	size_t slen = t.dlen;
	memcpy(saved, t.dgram, slen);
	/* ENDPOINT_MAX_CLIENTS other clients, all with lower counters, evict client 1
	 * (the least recently seen) and nobody else with a higher counter. */
	for (uint64_t c = 2; c < 2 + ENDPOINT_MAX_CLIENTS; c++) {
		t.fx.now_ms++;
		CHECK_EQ(t_ping_as(&t, c, 100 + c), TH_OK);
	}
	CHECK_EQ(t.ep->replay.floor, top);
	memcpy(t.dgram, saved, slen);
	t.dlen = slen;
	CHECK_EQ(t_raw(&t), TH_ESTALE);                 /* the newest replayed: at the floor */
	CHECK_EQ(t_ping_as(&t, 99, top), TH_ESTALE);    /* an unknown client at the floor */
	CHECK_EQ(t.ep->replay.floor, top);
	t.fx.now_ms++;
	CHECK_EQ(t_ping_as(&t, 99, top + 1), TH_OK);   /* floor + 1 */
	t.fx.now_ms++;
	CHECK_EQ(t_ping_as(&t, 1, top + 1), TH_OK);    /* client 1 again, fresh */
	CHECK_EQ(t.ep->replay.floor, top);
	t_fini(&t);
}

/* An empty chunk at offset == total (and any chunk at or past the end) is
 * refused with ERANGE and creates nothing: for a one-chunk object, totals
 * that are multiples of the chunk size (1024) and of the page size (4096).
 * (Accepted, it would mark a chunk index one past the bitmap.) */
static void test_chunk_empty_at_end(void)
{
	static const uint64_t totals[] = { 1, 1024, 2048, 4096 };
	static uint8_t obj[4096];
	for (size_t k = 0; k < sizeof totals / sizeof totals[0]; k++) {
		struct t t;
		uint8_t sha[32];
		t_init(&t);
		make_obj(obj, sizeof obj, "z", 'z');
		proto_sha256(obj, totals[k], sha);
		int err = t_chunk(&t, sha, totals[k], totals[k], obj, 0);
		CHECK_EQ(err, TH_ERANGE);
		if (err != TH_ERANGE) {  /* the next ones would write past the bitmap */
			t_fini(&t);
			return;
		}
		CHECK(strstr(t.rep->message, "beyond") != NULL);
		CHECK_EQ(staging_count(&t.ep->staging), 0);
		CHECK_EQ(t.ep->staging.used_bytes, 0);
		t_fini(&t);
	}
}

/* Chunk positions at their edges, for totals of one chunk, an exact multiple
 * of the chunk size (1024) and of the page size (4096), and one byte more. */
static void test_chunk_edges(void)
{
	static const uint64_t totals[] = { 1, 1024, 1025, 4096, 8192, 9216 };
	for (size_t k = 0; k < sizeof totals / sizeof totals[0]; k++) {
		struct t t;
		t_init(&t);
		uint64_t total = totals[k];
		static uint8_t obj[9216 + 1024];
		uint8_t sha[32];
		make_obj(obj, sizeof obj, "e", (uint8_t)('a' + k));
		proto_sha256(obj, total, sha);
		uint32_t chunks = (uint32_t)((total + 1023) / 1024);
		uint64_t last = (uint64_t)(chunks - 1) * 1024;
		/* an empty chunk at offset == total, and chunks beyond it: refused, no object */
		CHECK_EQ(t_chunk(&t, sha, total, total, obj, 0), TH_ERANGE);
		CHECK_EQ(t_chunk(&t, sha, total, total + 1024 - total % 1024, obj, 0), TH_ERANGE);
		CHECK_EQ(t_chunk(&t, sha, total, chunks * 1024ull, obj, 0), TH_ERANGE);
		CHECK(strstr(t.rep->message, "beyond") != NULL);
		CHECK_EQ(staging_count(&t.ep->staging), 0);
		/* the last chunk one byte too long or too short */
		CHECK_EQ(t_chunk(&t, sha, total, last, obj + last, total - last + 1), TH_ERANGE);
		if (total - last > 1)
			CHECK_EQ(t_chunk(&t, sha, total, last, obj + last, total - last - 1), TH_EINVAL);
		CHECK_EQ(staging_count(&t.ep->staging), 0);
		/* the last chunk (ending at the last byte) first, then the rest from 0 */
		CHECK_EQ(t_chunk(&t, sha, total, last, obj + last, total - last), TH_OK);
		CHECK_EQ(t.rep->chunk->chunks_total, chunks);
		CHECK_EQ(t.rep->chunk->chunks_have, 1);
		CHECK_EQ(t.rep->chunk->complete, chunks == 1);
		for (uint64_t off = 0; off < last; off += 1024)
			CHECK_EQ(t_chunk(&t, sha, total, off, obj + off, 1024), TH_OK);
		CHECK(t.rep->chunk->complete);
		CHECK_EQ(t.rep->chunk->chunks_have, chunks);
		struct staging_obj *o = staging_find(&t.ep->staging, sha);
		CHECK(o != NULL && o->complete && o->total == total);
		if (o)
			CHECK(memcmp(o->data, obj, total) == 0);
		CHECK_EQ(t.ep->staging.used_bytes, total);
		/* after completion an empty chunk at the end is still refused */
		CHECK_EQ(t_chunk(&t, sha, total, chunks * 1024ull, obj, 0), TH_ERANGE);
		t_fini(&t);
	}
}

/* Staging limits at their edge: an object of exactly max_bytes fits, one
 * byte more is refused up front (ETOOBIG); two objects that exactly fill the
 * area both fit. */
static void test_staging_limit_edges(void)
{
	struct t t;
	struct endpoint_config cfg = { .key = KEY, .staging_max_objects = 2,
				       .staging_max_bytes = 8192, .stale_ms = 5000 };
	t_init_cfg(&t, &cfg);
	static uint8_t big[8193];
	uint8_t sha[32];
	make_obj(big, sizeof big, "big", 'B');
	proto_sha256(big, sizeof big, sha);
	CHECK_EQ(t_chunk(&t, sha, 8193, 0, big, 1024), TH_ETOOBIG);
	CHECK(strstr(t.rep->message, "8192") != NULL);
	CHECK_EQ(staging_count(&t.ep->staging), 0);
	proto_sha256(big, 8192, sha);
	CHECK_EQ(t_chunk(&t, sha, 8192, 0, big, 1024), TH_OK);
	CHECK_EQ(t.ep->staging.used_bytes, 8192);
	t_fini(&t);

	t_init_cfg(&t, &cfg);
	static uint8_t a[4096], b[4096];
	uint8_t sa[32], sb[32];
	make_obj(a, sizeof a, "a", 'a');
	make_obj(b, sizeof b, "b", 'b');
	CHECK_EQ(t_push(&t, a, sizeof a, sa), TH_OK);
	CHECK_EQ(t_chunk(&t, (proto_sha256(b, sizeof b, sb), sb), sizeof b, 0, b, 1024), TH_OK);
	CHECK(staging_find(&t.ep->staging, sa) && staging_find(&t.ep->staging, sb));
	CHECK_EQ(t.ep->staging.used_bytes, 8192);
	t_fini(&t);
}

static void test_no_key(void)
{
	struct t t;
	struct endpoint_config cfg = { 0 };
	t_init_cfg(&t, &cfg);
	Theseus__Request req = THESEUS__REQUEST__INIT;
	Theseus__Ping ping = THESEUS__PING__INIT;
	req.kind_case = THESEUS__REQUEST__KIND_PING;
	req.ping = &ping;
	CHECK_EQ(t_send_key(&t, NULL, &req), TH_OK);
	CHECK_EQ(t_send_key(&t, NULL, &req), TH_OK);  /* no replay check without key */
	uint8_t obj[10] = "VERSION=x", sha[32];
	proto_sha256(obj, sizeof obj, sha);
	Theseus__PushChunk pc = THESEUS__PUSH_CHUNK__INIT;
	pc.object_sha256.data = sha;
	pc.object_sha256.len = 32;
	pc.total_size = sizeof obj;
	pc.data.data = obj;
	pc.data.len = sizeof obj;
	req.kind_case = THESEUS__REQUEST__KIND_PUSH_CHUNK;
	req.push_chunk = &pc;
	CHECK_EQ(t_send_key(&t, NULL, &req), TH_EAUTH);
	CHECK(strstr(t.rep->message, "no key configured") != NULL);
	CHECK_EQ(t_send_key(&t, KEY, &req), TH_EAUTH);  /* a MAC does not help */
	CHECK_EQ(staging_count(&t.ep->staging), 0);
	CHECK(!endpoint_has_key(t.ep));
	t_fini(&t);
}

static void test_bad_args(void)
{
	struct t t;
	t_init(&t);
	uint8_t r[100];
	size_t n = 5;
	CHECK_EQ(endpoint_handle(t.ep, (const uint8_t *)"", 0, r, sizeof r, &n), TH_EINVAL);
	CHECK_EQ(n, 0);
	CHECK_EQ(endpoint_handle(NULL, NULL, 0, t.reply, sizeof t.reply, &n), TH_EINVAL);
	struct endpoint *ep2 = NULL;
	struct endpoint_config cfg = { 0 };
	struct endpoint_ops ops = { 0 };
	struct th_errbuf eb = { "" };
	CHECK_EQ(endpoint_create(&cfg, &ops, &ep2, &eb), TH_EINVAL);
	CHECK(ep2 == NULL);
	t_fini(&t);
}

/* ---- inspection, rollback, invoke (inspect.c) -------------------------------- */

/* A rollback in a session of its own (as each theseusctl run has). */
static int t_rollback_opt(struct t *t, uint64_t client, const char *mod, bool keep_first_load)
{
	Theseus__Request req = THESEUS__REQUEST__INIT;
	Theseus__RollbackRequest rb = THESEUS__ROLLBACK_REQUEST__INIT;
	rb.module = (char *)mod;
	rb.keep_first_load = keep_first_load;
	req.kind_case = THESEUS__REQUEST__KIND_ROLLBACK;
	req.rollback = &rb;
	t->dlen = fx_datagram(KEY, PROTO_VERSION, client, ++t->counter, &req, t->dgram,
			      sizeof t->dgram);
	return t_raw(t);
}

/* A rollback that expects MODULE to run the object sha (len bytes of it). */
static int t_rollback_cas(struct t *t, const char *mod, const uint8_t *sha, size_t len)
{
	Theseus__Request req = THESEUS__REQUEST__INIT;
	Theseus__RollbackRequest rb = THESEUS__ROLLBACK_REQUEST__INIT;
	rb.module = (char *)mod;
	rb.keep_first_load = true;
	rb.expected_sha256.data = (uint8_t *)sha;
	rb.expected_sha256.len = len;
	req.kind_case = THESEUS__REQUEST__KIND_ROLLBACK;
	req.rollback = &rb;
	uint64_t client = 0x70330000 + t->counter;
	t->dlen = fx_datagram(KEY, PROTO_VERSION, client, ++t->counter, &req, t->dgram,
			      sizeof t->dgram);
	return t_raw(t);
}

static int t_rollback_as(struct t *t, uint64_t client, const char *mod)
{
	return t_rollback_opt(t, client, mod, false);
}

static int t_rollback(struct t *t, const char *mod)
{
	return t_rollback_as(t, 0x70110000 + t->counter, mod);
}

static int t_rollback_set_as(struct t *t, uint64_t client, size_t n, const char *const *mods,
			     bool keep_first_load)
{
	Theseus__Request req = THESEUS__REQUEST__INIT;
	Theseus__RollbackSetRequest rs = THESEUS__ROLLBACK_SET_REQUEST__INIT;
	rs.modules = (char **)mods;
	rs.n_modules = n;
	rs.keep_first_load = keep_first_load;
	req.kind_case = THESEUS__REQUEST__KIND_ROLLBACK_SET;
	req.rollback_set = &rs;
	t->dlen = fx_datagram(KEY, PROTO_VERSION, client, ++t->counter, &req, t->dgram,
			      sizeof t->dgram);
	return t_raw(t);
}

static int t_rollback_set_opt(struct t *t, size_t n, const char *const *mods,
			      bool keep_first_load)
{
	return t_rollback_set_as(t, 0x70220000 + t->counter, n, mods, keep_first_load);
}

static int t_rollback_set(struct t *t, size_t n, const char *const *mods)
{
	return t_rollback_set_opt(t, n, mods, true);
}

/* Several modules in one rollback request: checked first (count, names),
 * then one call of the backend; the reply lists every module; a resend of
 * the datagram is answered from the reply cache, not run again; a backend
 * without it answers ENOTSUP. */
static void test_rollback_set(void)
{
	struct t t;
	t_init(&t);
	static const char *const nine[9] = {"a", "b", "c", "d", "e", "f", "g", "h", "i"};
	static const char *const bad[2] = {"hello", "bad name!"};
	static const char *const one[1] = {"hello"};
	CHECK_EQ(t_rollback_set(&t, 0, one), TH_EINVAL);
	CHECK_EQ(t_rollback_set(&t, 9, nine), TH_EINVAL);
	CHECK_EQ(t_rollback_set(&t, 2, bad), TH_EINVAL);
	CHECK_EQ(t_rollback_set(&t, 1, one), TH_ENOENT); /* nothing to go back to */
	CHECK(strstr(t.rep->message, "hello: nothing to roll back") != NULL);
	CHECK_EQ(t_rollback_set_opt(&t, 1, one, false), TH_EBUSY); /* its unload: kv needs it */
	CHECK(strstr(t.rep->message, "hello: kv depends on it") != NULL);
	static uint8_t obj[3000];
	uint8_t sha[32];
	make_obj(obj, sizeof obj, "1.1", 7);
	CHECK_EQ(t_push(&t, obj, sizeof obj, sha), TH_OK);
	CHECK_EQ(t_swap(&t, "hello", "1.0", sha), TH_OK);
	uint64_t calls = t.fx.swap_calls;
	CHECK_EQ(t_rollback_set(&t, 1, one), TH_OK);
	CHECK_EQ(t.rep->payload_case, THESEUS__REPLY__PAYLOAD_ROLLBACK);
	CHECK_EQ(t.rep->rollback->n_results, 1);
	CHECK_STR(t.rep->rollback->results[0]->module, "hello");
	CHECK_STR(t.rep->rollback->results[0]->old_version, "1.1");
	CHECK_STR(t.rep->rollback->results[0]->new_version, "1.0");
	CHECK_STR(t.rep->rollback->new_version, "1.0");
	CHECK_EQ(t.rep->rollback->n_stages, 1);
	CHECK_EQ(t.fx.swap_calls, calls + 1);
	CHECK_EQ(t_raw(&t), TH_OK); /* the same datagram again: its reply, no second run */
	CHECK_EQ(t.fx.swap_calls, calls + 1);
	CHECK_STR(t.fx.mods[0].m.version, "1.0");
	t.ep->ops.rollback_set = NULL;
	CHECK_EQ(t_rollback_set(&t, 1, one), TH_ENOTSUP);
	t_fini(&t);
}

/* A set of modules at their first objects (kv depends on hello): with
 * keep_first_load (theseusctl rollback without --unload) refused with
 * ENOENT "nothing to roll back" naming both, both stay loaded; without it
 * both are unloaded together, every result says "" (not loaded). */
static void test_rollback_set_first_loads(void)
{
	struct t t;
	t_init(&t);
	static const char *const both[2] = {"kv", "hello"};
	uint64_t calls = t.fx.swap_calls;
	CHECK_EQ(t_rollback_set_opt(&t, 2, both, true), TH_ENOENT);
	CHECK(strstr(t.rep->message, "kv, hello: nothing to roll back: they run the objects") !=
	      NULL);
	CHECK_EQ(t.fx.n, 2);
	CHECK_EQ(t.fx.swap_calls, calls);
	CHECK_EQ(t_rollback_set_opt(&t, 2, both, false), TH_OK);
	CHECK_EQ(t.rep->payload_case, THESEUS__REPLY__PAYLOAD_ROLLBACK);
	CHECK_EQ(t.rep->rollback->n_results, 2);
	CHECK_STR(t.rep->rollback->results[0]->module, "kv");
	CHECK_STR(t.rep->rollback->results[0]->old_version, "2.3");
	CHECK_STR(t.rep->rollback->results[0]->new_version, "");
	CHECK_STR(t.rep->rollback->results[1]->module, "hello");
	CHECK_STR(t.rep->rollback->results[1]->old_version, "1.0");
	CHECK_STR(t.rep->rollback->results[1]->new_version, "");
	CHECK_EQ(t.fx.n, 0);
	CHECK_EQ(t.fx.swap_calls, calls + 1);
	t_fini(&t);
}

/* Swaps hello 1.0 -> 1.1 -> ... -> 1.n (objects pushed first); sha[i] is
 * the object of 1.(i+1). */
static void swap_hello_through(struct t *t, size_t n, uint8_t sha[][32])
{
	for (size_t i = 0; i < n; i++) {
		uint8_t o[100];
		char v[24], prev[24];
		snprintf(v, sizeof v, "1.%zu", i + 1);
		snprintf(prev, sizeof prev, "1.%zu", i);
		make_obj(o, sizeof o, v, (char)('1' + i));
		CHECK_EQ(t_push(t, o, sizeof o, sha[i]), TH_OK);
		CHECK_EQ(t_swap(t, "hello", prev, sha[i]), TH_OK);
	}
}

/* A resent rollback (same session) is not repeated: it would undo one more
 * swap.  A new session rolls back again. */
static void test_rollback_resend_not_repeated(void)
{
	struct t t;
	t_init(&t);
	uint8_t sha[2][32];
	swap_hello_through(&t, 2, sha);
	CHECK_EQ(t_rollback_as(&t, 77, "hello"), TH_OK);
	CHECK_STR(t.fx.mods[0].m.version, "1.1");
	CHECK_EQ(t_rollback_as(&t, 77, "hello"), TH_OK);   /* the resend */
	CHECK(strstr(t.rep->message, "not repeated") != NULL);
	CHECK_STR(t.rep->rollback->new_version, "1.1");
	CHECK_STR(t.fx.mods[0].m.version, "1.1");
	CHECK_EQ(t_rollback_as(&t, 78, "hello"), TH_OK);   /* a new session: done again */
	CHECK(strcmp(t.fx.mods[0].m.version, "1.1") != 0);
	t_fini(&t);
}

/* A rollback with expected_sha256 runs only while the module runs that
 * object: another object (a swap made meanwhile by another client) or no
 * module is ECONFLICT naming what runs, and nothing changes; a hash of
 * another length is EINVAL. */
static void test_rollback_compare_and_swap(void)
{
	struct t t;
	t_init(&t);
	uint8_t sha[2][32], *s1 = sha[0], *s2 = sha[1];
	swap_hello_through(&t, 2, sha);   /* 1.2: another client's swap */
	uint64_t calls = t.fx.swap_calls;
	CHECK_EQ(t_rollback_cas(&t, "hello", s1, 32), TH_ECONFLICT);
	CHECK(strstr(t.rep->message, "hello: runs object ") != NULL);
	CHECK(strstr(t.rep->message, "rollback expects ") != NULL);
	CHECK_STR(t.fx.mods[0].m.version, "1.2");
	CHECK_EQ(t.fx.swap_calls, calls);
	CHECK_EQ(t_rollback_cas(&t, "nosuch", s1, 32), TH_ECONFLICT);
	CHECK(strstr(t.rep->message, "nosuch: runs nothing") != NULL);
	CHECK_EQ(t_rollback_cas(&t, "hello", s2, 31), TH_EINVAL);
	CHECK_EQ(t.fx.swap_calls, calls);
	CHECK_EQ(t_rollback_cas(&t, "hello", s2, 32), TH_OK);
	CHECK_STR(t.fx.mods[0].m.version, "1.1");
	CHECK_EQ(t.fx.swap_calls, calls + 1);
	t_fini(&t);
}

/* A resent rollback of a set (a new datagram naming the same modules in the
 * same order, same session) is not repeated either; the same set after
 * another change, or in a new session, runs. */
static void test_rollback_set_resend_not_repeated(void)
{
	struct t t;
	t_init(&t);
	static const char *const one[1] = {"hello"};
	uint8_t sha[3][32];
	swap_hello_through(&t, 3, sha);
	uint64_t calls = t.fx.swap_calls;
	CHECK_EQ(t_rollback_set_as(&t, 91, 1, one, true), TH_OK);
	CHECK_STR(t.fx.mods[0].m.version, "1.2");
	CHECK_EQ(t_rollback_set_as(&t, 91, 1, one, true), TH_OK);   /* the resend */
	CHECK(strstr(t.rep->message, "not repeated") != NULL);
	CHECK_EQ(t.rep->payload_case, THESEUS__REPLY__PAYLOAD_ROLLBACK);
	CHECK_EQ(t.rep->rollback->n_results, 1);
	CHECK(t.rep->rollback->results[0]->already);
	CHECK_STR(t.rep->rollback->results[0]->new_version, "1.2");
	CHECK_STR(t.fx.mods[0].m.version, "1.2");
	CHECK_EQ(t.fx.swap_calls, calls + 1);
	/* A single rollback of the same module is another change: it runs; and
	 * the set after it too. */
	CHECK_EQ(t_rollback_as(&t, 91, "hello"), TH_OK);
	CHECK(strstr(t.rep->message, "not repeated") == NULL);
	CHECK_EQ(t.fx.swap_calls, calls + 2);
	CHECK_EQ(t_rollback_set_as(&t, 91, 1, one, true), TH_OK);
	CHECK(strstr(t.rep->message, "not repeated") == NULL);
	CHECK_EQ(t.fx.swap_calls, calls + 3);
	CHECK_EQ(t_rollback_set_as(&t, 92, 1, one, true), TH_OK);   /* a new session */
	CHECK(strstr(t.rep->message, "not repeated") == NULL);
	CHECK_EQ(t.fx.swap_calls, calls + 4);
	t_fini(&t);
}

/* A resent swap (same session) arriving after the kernel rolled that swap
 * back by itself (a NIC driver that failed its dead man's switch) is not
 * repeated. */
static void test_swap_resend_after_rollback_not_repeated(void)
{
	struct t t;
	t_init(&t);
	uint8_t o1[100], s1[32];
	make_obj(o1, sizeof o1, "1.1", '1');
	CHECK_EQ(t_push(&t, o1, sizeof o1, s1), TH_OK);
	CHECK_EQ(t_swap(&t, "hello", "1.0", s1), TH_OK);
	CHECK_STR(t.fx.mods[0].m.version, "1.1");
	CHECK_EQ(t_rollback_as(&t, 91, "hello"), TH_OK);   /* the kernel's own rollback */
	CHECK_STR(t.fx.mods[0].m.version, "1.0");
	CHECK_EQ(t_swap(&t, "hello", "1.0", s1), TH_OK);   /* the late resend */
	CHECK(strstr(t.rep->message, "not repeated") != NULL);
	CHECK(t.rep->swap->n_results == 1 && t.rep->swap->results[0]->already);
	CHECK_STR(t.fx.mods[0].m.version, "1.0");
	t_fini(&t);
}

/* Only a resend of the session's last change is not repeated: a swap whose
 * items differ from the last one's (one more module), and the same swap
 * after the session rolled it back, are new requests and run. */
static void test_swap_new_in_session_runs(void)
{
	struct t t;
	t_init(&t);
	uint8_t o1[100], o2[100], s1[32], s2[32];
	make_obj(o1, sizeof o1, "1.1", '1');
	make_obj(o2, sizeof o2, "2.4", '2');
	CHECK_EQ(t_push(&t, o1, sizeof o1, s1), TH_OK);
	CHECK_EQ(t_push(&t, o2, sizeof o2, s2), TH_OK);
	CHECK_EQ(t_swap(&t, "hello", "1.0", s1), TH_OK);
	CHECK_STR(t.fx.mods[0].m.version, "1.1");

	struct fx_swap_req s;
	Theseus__SwapItem kv = THESEUS__SWAP_ITEM__INIT, *items[2];
	fx_swap_request(&s, "hello", "1.1", s1);
	kv.module = "kv";
	kv.expected_version = "2.3";
	kv.object_sha256.data = s2;
	kv.object_sha256.len = 32;
	items[0] = &s.it;
	items[1] = &kv;
	s.sr.items = items;
	s.sr.n_items = 2;
	CHECK_EQ(t_send(&t, &s.req), TH_OK);            /* same first item, one more */
	CHECK(strstr(t.rep->message, "not repeated") == NULL);
	CHECK(t.rep->swap->n_results == 2 && t.rep->swap->results[0]->already &&
	      !t.rep->swap->results[1]->already);
	CHECK_STR(t.fx.mods[1].m.version, "2.4");
	CHECK_EQ(t_send(&t, &s.req), TH_OK);            /* now a resend: not repeated */
	CHECK(strstr(t.rep->message, "not repeated") != NULL);

	CHECK_EQ(t_rollback_as(&t, 42, "kv"), TH_OK);   /* this session rolls back */
	CHECK_STR(t.fx.mods[1].m.version, "2.3");
	CHECK_EQ(t_send(&t, &s.req), TH_OK);            /* and swaps again: runs */
	CHECK(strstr(t.rep->message, "not repeated") == NULL);
	CHECK_STR(t.fx.mods[1].m.version, "2.4");
	CHECK_EQ(t_rollback_as(&t, 42, "kv"), TH_OK);   /* a rollback after it runs too */
	CHECK(strstr(t.rep->message, "not repeated") == NULL);
	CHECK_STR(t.fx.mods[1].m.version, "2.3");
	t_fini(&t);
}

static int t_invoke(struct t *t, const uint8_t *key, const char *mod, const char *fn,
		    const char *input)
{
	Theseus__Request req = THESEUS__REQUEST__INIT;
	Theseus__InvokeRequest iv = THESEUS__INVOKE_REQUEST__INIT;
	iv.module = (char *)mod;
	iv.function = (char *)fn;
	iv.input.data = (uint8_t *)input;
	iv.input.len = strlen(input);
	req.kind_case = THESEUS__REQUEST__KIND_INVOKE;
	req.invoke = &iv;
	return t_send_key(t, key, &req);
}

static int t_history(struct t *t, uint32_t start)
{
	Theseus__Request req = THESEUS__REQUEST__INIT;
	Theseus__HistoryRequest hr = THESEUS__HISTORY_REQUEST__INIT;
	hr.start = start;
	req.kind_case = THESEUS__REQUEST__KIND_HISTORY;
	req.history = &hr;
	return t_send(t, &req);
}

static void test_rollback_history(void)
{
	struct t t;
	t_init(&t);
	/* hello runs its first object: the rollback would unload it, refused
	 * while kv depends on it; asked to keep first loads, nothing to do. */
	CHECK_EQ(t_rollback(&t, "hello"), TH_EBUSY);
	CHECK(strstr(t.rep->message, "hello: kv depends on it") != NULL);
	CHECK_EQ(t_rollback_opt(&t, 0x70120000 + t.counter, "hello", true), TH_ENOENT);
	CHECK(strstr(t.rep->message, "hello: nothing to roll back") != NULL);
	CHECK_EQ(t_rollback(&t, "nope"), TH_ENOENT);
	CHECK_EQ(t_rollback(&t, "bad name!"), TH_EINVAL);
	CHECK_EQ(t_rollback(&t, ""), TH_EINVAL);
	static uint8_t obj[3000];
	uint8_t sha[32];
	make_obj(obj, sizeof obj, "1.1", 7);
	CHECK_EQ(t_push(&t, obj, sizeof obj, sha), TH_OK);
	CHECK_EQ(t_swap(&t, "hello", "1.0", sha), TH_OK);
	CHECK_EQ(t_rollback(&t, "hello"), TH_OK);
	CHECK_EQ(t.rep->payload_case, THESEUS__REPLY__PAYLOAD_ROLLBACK);
	CHECK_STR(t.rep->rollback->module, "hello");
	CHECK_STR(t.rep->rollback->old_version, "1.1");
	CHECK_STR(t.rep->rollback->new_version, "1.0");
	CHECK_EQ(t.rep->rollback->n_stages, 1);
	CHECK_STR(t.fx.mods[0].m.version, "1.0");

	CHECK_EQ(t_history(&t, 0), TH_OK);
	CHECK_EQ(t.rep->payload_case, THESEUS__REPLY__PAYLOAD_HISTORY);
	CHECK_EQ(t.rep->history->total, 2);
	CHECK_EQ(t.rep->history->n_entries, 2);
	Theseus__HistoryEntry *e = t.rep->history->entries[1];
	CHECK(e->rollback);
	CHECK_EQ(e->n_items, 1);
	CHECK_STR(e->items[0]->old_version, "1.1");
	CHECK_STR(e->items[0]->new_version, "1.0");
	CHECK_EQ(e->n_stages, 2);
	CHECK(!t.rep->history->entries[0]->rollback);
	CHECK_EQ(e->module_count, 1); /* a backend that does not count: its items */
	/* A batch larger than the items listed says how many modules it had. */
	t.fx.hist[0].n_modules = 15;
	CHECK_EQ(t_history(&t, 0), TH_OK);
	CHECK_EQ(t.rep->history->entries[0]->n_items, 1);
	CHECK_EQ(t.rep->history->entries[0]->module_count, 15);
	CHECK_EQ(t_history(&t, 2), TH_OK);
	CHECK_EQ(t.rep->history->n_entries, 0);
	CHECK_EQ(t_history(&t, 3), TH_ERANGE);

	/* Many entries: pages fit one datagram and together cover everything. */
	for (int i = 0; i < 30; i++) {
		CHECK_EQ(t_rollback(&t, "hello"), TH_OK);
	}
	uint32_t start = 0, pages = 0, seen = 0;
	for (;;) {
		CHECK_EQ(t_history(&t, start), TH_OK);
		pages++;
		seen += (uint32_t)t.rep->history->n_entries;
		start += (uint32_t)t.rep->history->n_entries;
		if (!t.rep->history->n_entries || start >= t.rep->history->total)
			break;
	}
	CHECK_EQ(seen, 32);
	CHECK(pages > 1);
	t_fini(&t);
}

static void test_state_pages(void)
{
	struct t t;
	t_init(&t);
	t.fx.extra_state = 100;
	Theseus__Request req = THESEUS__REQUEST__INIT;
	Theseus__StateRequest sq = THESEUS__STATE_REQUEST__INIT;
	req.kind_case = THESEUS__REQUEST__KIND_STATE;
	req.state = &sq;
	uint32_t seen = 0, pages = 0;
	bool done = false;
	while (!done && pages < 50) {
		CHECK_EQ(t_send(&t, &req), TH_OK);
		CHECK_EQ(t.rep->payload_case, THESEUS__REPLY__PAYLOAD_STATE);
		if (seen == 0) {
			CHECK_STR(t.rep->state->entries[0]->name, "hello.calls");
			CHECK_STR(t.rep->state->entries[0]->kind, "named");
			CHECK_STR(t.rep->state->entries[2]->kind, "shared");
			CHECK_EQ(t.rep->state->entries[1]->size, 6144);
		}
		seen += (uint32_t)t.rep->state->n_entries;
		done = t.rep->state->done;
		sq.cursor = t.rep->state->next;
		pages++;
	}
	CHECK(done);
	CHECK_EQ(seen, 103);
	CHECK(pages > 1);
	t_fini(&t);
}

static void test_log(void)
{
	struct t t;
	t_init(&t);
	Theseus__Request req = THESEUS__REQUEST__INIT;
	Theseus__LogRequest lq = THESEUS__LOG_REQUEST__INIT;
	req.kind_case = THESEUS__REQUEST__KIND_LOG;
	req.log = &lq;
	CHECK_EQ(t_send(&t, &req), TH_OK);
	CHECK_EQ(t.rep->payload_case, THESEUS__REPLY__PAYLOAD_LOG);
	CHECK_EQ(t.rep->log->start, 0);
	CHECK_EQ(t.rep->log->next, t.fx.log_head);
	CHECK(t.rep->log->data.len == t.fx.log_head);
	CHECK(memcmp(t.rep->log->data.data, "[    0.001000] INFO boot", 24) == 0);
	/* At the end: nothing new, same position. */
	lq.position = t.rep->log->next;
	CHECK_EQ(t_send(&t, &req), TH_OK);
	CHECK_EQ(t.rep->log->data.len, 0);
	CHECK_EQ(t.rep->log->next, lq.position);
	/* Beyond the end (a follower's position from before a reboot): ERANGE,
	 * saying so, and start = next = the end, never the position asked. */
	lq.position = t.fx.log_head + 5000;
	CHECK_EQ(t_send(&t, &req), TH_ERANGE);
	CHECK(strstr(t.rep->message, "is beyond the end of the log") != NULL);
	CHECK_EQ(t.rep->payload_case, THESEUS__REPLY__PAYLOAD_LOG);
	CHECK_EQ(t.rep->log->data.len, 0);
	CHECK_EQ(t.rep->log->start, t.fx.log_head);
	CHECK_EQ(t.rep->log->next, t.fx.log_head);
	/* Wrap the ring: an old position resumes at the oldest byte kept, and a
	 * reply never exceeds the chunk size or max_bytes. */
	for (int i = 0; i < 200; i++)
		fx_log(&t.fx, "[    1.000000] INFO test: filler line to wrap the ring\n");
	lq.position = 5;
	CHECK_EQ(t_send(&t, &req), TH_OK);
	CHECK_EQ(t.rep->log->start, t.fx.log_head - FX_LOG_RING);
	CHECK_EQ(t.rep->log->data.len, ENDPOINT_LOG_CHUNK);
	CHECK_EQ(t.rep->log->next, t.rep->log->start + ENDPOINT_LOG_CHUNK);
	lq.max_bytes = 10;
	CHECK_EQ(t_send(&t, &req), TH_OK);
	CHECK_EQ(t.rep->log->data.len, 10);
	lq.max_bytes = 1000000;  /* capped */
	CHECK_EQ(t_send(&t, &req), TH_OK);
	CHECK_EQ(t.rep->log->data.len, ENDPOINT_LOG_CHUNK);
	t_fini(&t);
}

static void test_invoke(void)
{
	struct t t;
	t_init(&t);
	CHECK_EQ(t_invoke(&t, KEY, "kv", "kv_invoke_put", "color=blue"), TH_OK);
	CHECK_EQ(t.rep->payload_case, THESEUS__REPLY__PAYLOAD_INVOKE);
	CHECK_EQ(t.rep->invoke->result, 0);
	CHECK_EQ(t_invoke(&t, KEY, "kv", "kv_invoke_get", "color"), TH_OK);
	CHECK_EQ(t.rep->invoke->output.len, 4);
	CHECK(memcmp(t.rep->invoke->output.data, "blue", 4) == 0);
	/* The function's error is the reply's status; the payload still says so. */
	CHECK_EQ(t_invoke(&t, KEY, "kv", "kv_invoke_get", "shape"), TH_ENOENT);
	CHECK_EQ(t.rep->payload_case, THESEUS__REPLY__PAYLOAD_INVOKE);
	CHECK_EQ(t.rep->invoke->result, TH_ENOENT);
	CHECK(strstr(t.rep->message, "kv.kv_invoke_get returned ENOENT") != NULL);
	CHECK_EQ(t_invoke(&t, KEY, "kv", "no_such_fn", ""), TH_ENOENT);
	CHECK(strstr(t.rep->message, "no_such_fn") != NULL);
	CHECK_EQ(t_invoke(&t, KEY, "ghost", "f", ""), TH_ENOENT);
	CHECK_EQ(t_invoke(&t, KEY, "kv", "bad/name", ""), TH_EINVAL);
	CHECK_EQ(t_invoke(&t, KEY, "", "f", ""), TH_EINVAL);
	static char big[PROTO_INVOKE_MAX_IN + 2];
	memset(big, 'a', PROTO_INVOKE_MAX_IN + 1);
	CHECK_EQ(t_invoke(&t, KEY, "kv", "kv_invoke_get", big), TH_ETOOBIG);
	CHECK_EQ(t_invoke(&t, KEY, "hello", "hello_greet_invoke", ""), TH_OK);
	CHECK(memcmp(t.rep->invoke->output.data, "hello from 1.0 (call 1)", 23) == 0);
	/* Mutating: refused without the right MAC, and nothing ran. */
	static const uint8_t wrong[32] = { 9 };
	CHECK_EQ(t_invoke(&t, wrong, "kv", "kv_invoke_put", "color=red"), TH_EAUTH);
	CHECK_EQ(t.rep->payload_case, THESEUS__REPLY__PAYLOAD__NOT_SET);
	CHECK_EQ(t_invoke(&t, KEY, "kv", "kv_invoke_get", "color"), TH_OK);
	CHECK(memcmp(t.rep->invoke->output.data, "blue", 4) == 0);
	struct endpoint_counters c;
	endpoint_get_counters(t.ep, &c);
	CHECK_EQ(c.invokes, 5);
	t_fini(&t);
}

/* A resend of a swap, rollback or invoke that ran (the same datagram: its
 * reply was lost) gets the kept reply, byte for byte, and does not run
 * again (reply_cache.c); a different body under a used counter, a request
 * that is not kept, or one pushed out of the cache is refused as a replay. */
static void test_resent_reply_cache(void)
{
	struct t t;
	t_init(&t);
	uint8_t first[sizeof t.reply], dgram[sizeof t.dgram];
	size_t flen, dlen;
	struct endpoint_counters c;

	CHECK_EQ(t_invoke(&t, KEY, "hello", "hello_greet_invoke", ""), TH_OK);
	CHECK(memcmp(t.rep->invoke->output.data, "hello from 1.0 (call 1)", 23) == 0);
	memcpy(first, t.reply, t.rlen);
	flen = t.rlen;
	memcpy(dgram, t.dgram, t.dlen);
	dlen = t.dlen;
	CHECK_EQ(t_raw(&t), TH_OK);                       /* the resend */
	CHECK(t.sealed);
	CHECK_EQ(t.rlen, flen);
	CHECK(memcmp(t.reply, first, flen) == 0);
	CHECK_EQ(t_raw(&t), TH_OK);                       /* and again */
	CHECK(memcmp(t.reply, first, flen) == 0);
	endpoint_get_counters(t.ep, &c);
	CHECK_EQ(c.invokes, 1);
	CHECK_EQ(c.resent, 2);
	CHECK_EQ(t_invoke(&t, KEY, "hello", "hello_greet_invoke", ""), TH_OK);
	CHECK(memcmp(t.rep->invoke->output.data, "hello from 1.0 (call 2)", 23) == 0);

	/* The same counter with another body is a replay, not a resend. */
	Theseus__Request req = THESEUS__REQUEST__INIT;
	Theseus__InvokeRequest iv = THESEUS__INVOKE_REQUEST__INIT;
	iv.module = (char *)"kv";
	iv.function = (char *)"kv_invoke_put";
	iv.input.data = (uint8_t *)"a=b";
	iv.input.len = 3;
	req.kind_case = THESEUS__REQUEST__KIND_INVOKE;
	req.invoke = &iv;
	t.dlen = fx_datagram(KEY, PROTO_VERSION, 42, t.counter, &req, t.dgram, sizeof t.dgram);
	CHECK_EQ(t_raw(&t), TH_ESTALE);
	endpoint_get_counters(t.ep, &c);
	CHECK_EQ(c.invokes, 2);

	/* A swap resent: the same reply, not ENOENT for the consumed object. */
	uint8_t o1[100], s1[32];
	make_obj(o1, sizeof o1, "1.1", '1');
	CHECK_EQ(t_push(&t, o1, sizeof o1, s1), TH_OK);
	CHECK_EQ(t_swap(&t, "hello", "1.0", s1), TH_OK);
	memcpy(first, t.reply, t.rlen);
	flen = t.rlen;
	CHECK_EQ(t_raw(&t), TH_OK);
	CHECK_EQ(t.rlen, flen);
	CHECK(memcmp(t.reply, first, flen) == 0);
	endpoint_get_counters(t.ep, &c);
	CHECK_EQ(c.swaps, 1);

	/* A ping is not kept: its resend is a replay. */
	CHECK_EQ(t_ping(&t), TH_OK);
	CHECK_EQ(t_raw(&t), TH_ESTALE);

	/* The first invoke's reply is pushed out by 16 newer ones (the window
	 * of 64 counters still holds it): its resend is refused, not run. */
	for (int i = 0; i < 16; i++)
		CHECK_EQ(t_invoke(&t, KEY, "kv", "kv_invoke_get", "color"), TH_ENOENT);
	memcpy(t.dgram, dgram, dlen);
	t.dlen = dlen;
	CHECK_EQ(t_raw(&t), TH_ESTALE);
	endpoint_get_counters(t.ep, &c);
	CHECK_EQ(c.invokes, 18);
	CHECK_EQ(c.resent, 3);
	t_fini(&t);
}

static void test_graph_tasks(void)
{
	struct t t;
	t_init(&t);
	Theseus__Request req = THESEUS__REQUEST__INIT;
	Theseus__GraphRequest gq = THESEUS__GRAPH_REQUEST__INIT;
	req.kind_case = THESEUS__REQUEST__KIND_GRAPH;
	req.graph = &gq;
	CHECK_EQ(t_send(&t, &req), TH_OK);
	CHECK_EQ(t.rep->payload_case, THESEUS__REPLY__PAYLOAD_GRAPH);
	CHECK_EQ(t.rep->graph->total, 2);
	CHECK_EQ(t.rep->graph->n_nodes, 2);
	CHECK_STR(t.rep->graph->nodes[1]->module, "kv");
	CHECK_EQ(t.rep->graph->nodes[1]->n_edges, 1);
	CHECK_STR(t.rep->graph->nodes[1]->edges[0]->target, "hello");
	CHECK_EQ(t.rep->graph->nodes[1]->edges[0]->sites, 3);
	gq.start = 9;
	CHECK_EQ(t_send(&t, &req), TH_ERANGE);

	Theseus__TasksRequest tq = THESEUS__TASKS_REQUEST__INIT;
	req.kind_case = THESEUS__REQUEST__KIND_TASKS;
	req.tasks = &tq;
	CHECK_EQ(t_send(&t, &req), TH_OK);
	CHECK_EQ(t.rep->payload_case, THESEUS__REPLY__PAYLOAD_TASKS);
	CHECK(strncmp(t.rep->tasks->text, "ID NAME", 7) == 0);
	CHECK_EQ(strlen(t.rep->tasks->text), t.rep->tasks->total);
	tq.offset = t.rep->tasks->total + 1;
	CHECK_EQ(t_send(&t, &req), TH_ERANGE);

	/* TASK_MAX (256) tasks: the whole listing is served, page by page, and
	 * ends with the policy line */
	char *all = calloc(1, ENDPOINT_TASKS_TEXT + 1);
	size_t got = 0;
	t.fx.extra_tasks = 254;
	tq.offset = 0;
	do {
		CHECK_EQ(t_send(&t, &req), TH_OK);
		size_t n = strlen(t.rep->tasks->text);
		CHECK(n > 0 && got + n <= ENDPOINT_TASKS_TEXT);
		if (!n || got + n > ENDPOINT_TASKS_TEXT)
			break;
		memcpy(all + got, t.rep->tasks->text, n);
		got += n;
		tq.offset = (uint32_t)got;
	} while (got < t.rep->tasks->total);
	CHECK(strstr(all, "253 task251 ") != NULL);
	CHECK(got > 12 && strcmp(all + got - 11, "policy: rr\n") == 0);
	/* far more than fits: cut at a whole line, with a line saying so */
	t.fx.extra_tasks = 1000;
	tq.offset = 0;
	CHECK_EQ(t_send(&t, &req), TH_OK);
	uint32_t total = t.rep->tasks->total;
	CHECK(total < ENDPOINT_TASKS_TEXT);
	tq.offset = total - 40;
	CHECK_EQ(t_send(&t, &req), TH_OK);
	const char *tail = t.rep->tasks->text;
	CHECK(strstr(tail, "\n(listing cut here: ") != NULL);
	CHECK(strlen(tail) && tail[strlen(tail) - 1] == '\n');
	free(all);
	t_fini(&t);
}

/* The export list: one page when small; paged by bytes (every reply one
 * datagram, no symbol lost or repeated, in the kernel's order) when large;
 * served without a key; start past the end is ERANGE; a kernel without the
 * ops answers ENOTSUP. */
static void test_exports_pages(void)
{
	struct t t;
	t_init(&t);
	Theseus__Request req = THESEUS__REQUEST__INIT;
	Theseus__ExportsRequest xq = THESEUS__EXPORTS_REQUEST__INIT;
	req.kind_case = THESEUS__REQUEST__KIND_EXPORTS;
	req.exports = &xq;
	CHECK_EQ(t_send(&t, &req), TH_OK);
	CHECK_EQ(t.rep->payload_case, THESEUS__REPLY__PAYLOAD_EXPORTS);
	CHECK_EQ(t.rep->exports->module_api, FX_MODULE_API);
	CHECK_EQ(t.rep->exports->total, 7);
	CHECK_EQ(t.rep->exports->start, 0);
	CHECK_EQ(t.rep->exports->generation, 0);
	CHECK_EQ(t.rep->exports->n_symbols, 7);
	CHECK_STR(t.rep->exports->symbols[0]->name, "th_log");
	CHECK_STR(t.rep->exports->symbols[0]->module, "");
	CHECK(!t.rep->exports->symbols[0]->weak);
	CHECK_STR(t.rep->exports->symbols[3]->name, "hello_greet");
	CHECK_STR(t.rep->exports->symbols[3]->module, "hello");
	CHECK_STR(t.rep->exports->symbols[6]->name, "kv_invoke_get");
	CHECK_STR(t.rep->exports->symbols[6]->module, "kv");
	CHECK(t.rep->exports->symbols[6]->weak);
	xq.start = 7;   /* the end: an empty page */
	CHECK_EQ(t_send(&t, &req), TH_OK);
	CHECK_EQ(t.rep->exports->n_symbols, 0);
	xq.start = 8;
	CHECK_EQ(t_send(&t, &req), TH_ERANGE);
	CHECK(strstr(t.rep->message, "beyond the 7 symbols") != NULL);

	t.fx.extra_exports = 1000;
	t.fx.exports_generation = 77;
	uint32_t next = 0, pages = 0;
	while (pages < 200) {
		xq.start = next;
		CHECK_EQ(t_send(&t, &req), TH_OK);
		CHECK(t.rlen <= PROTO_MAX_DATAGRAM);
		Theseus__ExportsReply *xr = t.rep->exports;
		CHECK_EQ(xr->total, 1007);
		CHECK_EQ(xr->start, next);
		CHECK_EQ(xr->generation, 77);
		for (size_t i = 0; i < xr->n_symbols; i++) {
			uint32_t k = next + (uint32_t)i;
			char want[64];
			if (k >= 3 && k < 1003) {
				snprintf(want, sizeof want, "fx_generated_kernel_export_%05u", k - 3);
				CHECK_STR(xr->symbols[i]->name, want);
			}
		}
		pages++;
		if (xr->n_symbols == 0)
			break;
		next += (uint32_t)xr->n_symbols;
	}
	CHECK_EQ(next, 1007);
	CHECK(pages > 10);   /* bounded by the datagram, not one reply */
	t_fini(&t);

	struct endpoint_config cfg = { 0 };   /* no key: read-only, still served */
	t_init_cfg(&t, &cfg);
	xq.start = 0;
	CHECK_EQ(t_send_key(&t, NULL, &req), TH_OK);
	CHECK_EQ(t.rep->exports->total, 7);
	t.ep->ops.export_get = NULL;
	CHECK_EQ(t_send_key(&t, NULL, &req), TH_ENOTSUP);
	t_fini(&t);
}

/* Kernels without the optional ops answer ENOTSUP; without a key, the
 * inspection requests are served and rollback/invoke refused. */
static void test_inspect_notsup_nokey(void)
{
	struct t t;
	t_init(&t);
	t.ep->ops.rollback = NULL;
	t.ep->ops.history_get = NULL;
	t.ep->ops.state_next = NULL;
	t.ep->ops.log_read = NULL;
	t.ep->ops.invoke = NULL;
	t.ep->ops.graph_get = NULL;
	t.ep->ops.tasks_format = NULL;
	CHECK_EQ(t_rollback(&t, "hello"), TH_ENOTSUP);
	CHECK_EQ(t_history(&t, 0), TH_ENOTSUP);
	CHECK_EQ(t_invoke(&t, KEY, "kv", "kv_invoke_get", "x"), TH_ENOTSUP);
	Theseus__Request req = THESEUS__REQUEST__INIT;
	Theseus__StateRequest sq = THESEUS__STATE_REQUEST__INIT;
	Theseus__LogRequest lq = THESEUS__LOG_REQUEST__INIT;
	Theseus__GraphRequest gq = THESEUS__GRAPH_REQUEST__INIT;
	Theseus__TasksRequest tq = THESEUS__TASKS_REQUEST__INIT;
	req.kind_case = THESEUS__REQUEST__KIND_STATE;
	req.state = &sq;
	CHECK_EQ(t_send(&t, &req), TH_ENOTSUP);
	req.kind_case = THESEUS__REQUEST__KIND_LOG;
	req.log = &lq;
	CHECK_EQ(t_send(&t, &req), TH_ENOTSUP);
	req.kind_case = THESEUS__REQUEST__KIND_GRAPH;
	req.graph = &gq;
	CHECK_EQ(t_send(&t, &req), TH_ENOTSUP);
	req.kind_case = THESEUS__REQUEST__KIND_TASKS;
	req.tasks = &tq;
	CHECK_EQ(t_send(&t, &req), TH_ENOTSUP);
	t_fini(&t);

	struct endpoint_config cfg = { 0 };
	t_init_cfg(&t, &cfg);
	req.kind_case = THESEUS__REQUEST__KIND_LOG;
	req.log = &lq;
	CHECK_EQ(t_send_key(&t, NULL, &req), TH_OK);
	req.kind_case = THESEUS__REQUEST__KIND_STATE;
	req.state = &sq;
	CHECK_EQ(t_send_key(&t, NULL, &req), TH_OK);
	CHECK_EQ(t_invoke(&t, NULL, "kv", "kv_invoke_put", "a=b"), TH_EAUTH);
	CHECK(t.rlen <= t.dlen);   /* a refusal: no longer than the request */
	/* a client with a key (its MAC ignored here): room for the message */
	CHECK_EQ(t_invoke(&t, KEY, "kv", "kv_invoke_put", "a=b"), TH_EAUTH);
	CHECK(t.rlen <= t.dlen);
	CHECK(strstr(t.rep->message, "no key configured") != NULL);
	Theseus__RollbackRequest rb = THESEUS__ROLLBACK_REQUEST__INIT;
	rb.module = (char *)"hello";
	req.kind_case = THESEUS__REQUEST__KIND_ROLLBACK;
	req.rollback = &rb;
	CHECK_EQ(t_send_key(&t, NULL, &req), TH_EAUTH);
	CHECK_EQ(t.fx.n_hist, 0);
	t_fini(&t);
}


/* ---- epochs, sealed replies, lockouts --------------------------------------- */

static Theseus__Request *ping_req(Theseus__Request *req, Theseus__Ping *ping)
{
	theseus__request__init(req);
	theseus__ping__init(ping);
	req->kind_case = THESEUS__REQUEST__KIND_PING;
	req->ping = ping;
	return req;
}

/* A request bound to another epoch (0 = a client that has not learned it, or
 * a datagram recorded in an earlier boot) changes nothing and gets a sealed
 * ESTALE naming the current epoch; the same request in that epoch works. */
static void test_epoch_refusal(void)
{
	struct t t;
	t_init(&t);
	uint64_t cur = endpoint_epoch(t.ep);
	CHECK(cur != 0);
	uint8_t obj[100], sha[32];
	make_obj(obj, sizeof obj, "e", 'e');
	proto_sha256(obj, sizeof obj, sha);
	const uint64_t wrong[] = { 0, cur ^ 1, cur + 1, UINT64_MAX };
	for (size_t k = 0; k < 4; k++) {
		fx_epoch = wrong[k];
		CHECK_EQ(t_chunk(&t, sha, sizeof obj, 0, obj, sizeof obj), TH_ESTALE);
		CHECK(t.sealed);
		CHECK_EQ(t.rep->epoch, cur);
		CHECK_EQ(t.rep->counter, t.counter);
		CHECK_EQ(t.rep->client_id, 42);
		CHECK_EQ(t.rep->payload_case, THESEUS__REPLY__PAYLOAD__NOT_SET);
		CHECK(strstr(t.rep->message, "epoch") != NULL);
	}
	CHECK(staging_find(&t.ep->staging, sha) == NULL);
	struct endpoint_counters c;
	endpoint_get_counters(t.ep, &c);
	CHECK_EQ(c.stale, 4);
	CHECK_EQ(c.chunks, 0);
	fx_epoch = t.rep->epoch;  /* learned from the sealed reply */
	CHECK_EQ(t_chunk(&t, sha, sizeof obj, 0, obj, sizeof obj), TH_OK);
	CHECK(t.sealed);
	CHECK_EQ(t.rep->epoch, cur);
	t_fini(&t);
}

/* The attack: a push+swap recorded on the wire and replayed after a
 * reboot with the same key.  The new boot has another epoch: refused. */
static void test_replay_after_reboot(void)
{
	struct t t;
	t_init(&t);
	uint8_t obj[300], sha[32];
	make_obj(obj, sizeof obj, "2.0", 'z');
	CHECK_EQ(t_push(&t, obj, sizeof obj, sha), TH_OK);
	uint8_t chunk_dgram[2048];
	size_t chunk_len = t.dlen;
	memcpy(chunk_dgram, t.dgram, chunk_len);
	CHECK_EQ(t_swap(&t, "hello", "1.0", sha), TH_OK);
	uint8_t swap_dgram[2048];
	size_t swap_len = t.dlen;
	memcpy(swap_dgram, t.dgram, swap_len);
	uint64_t old_epoch = endpoint_epoch(t.ep);
	uint64_t rng = t.fx.rng;
	t_fini(&t);
	/* "reboot": same key, fresh state, counter floor 0, a new epoch */
	struct endpoint_config cfg = { .key = KEY };
	memset(&t, 0, sizeof t);
	fx_backend_init(&t.fx);
	t.fx.rng = rng ^ 0x5555;
	struct endpoint_ops ops = fx_ops(&t.fx);
	struct th_errbuf eb = { "" };
	CHECK_EQ(endpoint_create(&cfg, &ops, &t.ep, &eb), TH_OK);
	CHECK(endpoint_epoch(t.ep) != old_epoch);
	memcpy(t.dgram, chunk_dgram, chunk_len);
	t.dlen = chunk_len;
	CHECK_EQ(t_raw(&t), TH_ESTALE);
	memcpy(t.dgram, swap_dgram, swap_len);
	t.dlen = swap_len;
	CHECK_EQ(t_raw(&t), TH_ESTALE);
	CHECK_EQ(staging_count(&t.ep->staging), 0);
	CHECK_EQ(t.fx.swap_calls, 0);
	CHECK_STR(t.fx.mods[0].m.version, "1.0");
	t_fini(&t);
}

/* A reply's seal holds only for its own request and its own bytes. */
static void test_reply_seal_bound(void)
{
	struct t t;
	t_init(&t);
	Theseus__Request req;
	Theseus__Ping ping;
	CHECK_EQ(t_send(&t, ping_req(&req, &ping)), TH_OK);
	CHECK(t.sealed);
	struct proto_binding b = { 42, t.counter, fx_epoch }, o;
	size_t body = 0;
	CHECK_EQ(proto_reply_open(KEY, &b, t.reply, t.rlen, &body), TH_OK);
	CHECK_EQ(body, t.rlen - PROTO_REPLY_SEAL_LEN);
	o = b; o.counter++;
	CHECK_EQ(proto_reply_open(KEY, &o, t.reply, t.rlen, &body), TH_EAUTH);
	o = b; o.client_id++;
	CHECK_EQ(proto_reply_open(KEY, &o, t.reply, t.rlen, &body), TH_EAUTH);
	o = b; o.epoch++;
	CHECK_EQ(proto_reply_open(KEY, &o, t.reply, t.rlen, &body), TH_EAUTH);
	uint8_t other[32];
	memcpy(other, KEY, 32);
	other[31] ^= 1;
	CHECK_EQ(proto_reply_open(other, &b, t.reply, t.rlen, &body), TH_EAUTH);
	for (size_t i = 0; i < t.rlen; i++) {   /* any byte changed: refused */
		t.reply[i] ^= 0x20;
		CHECK_EQ(proto_reply_open(KEY, &b, t.reply, t.rlen, &body), TH_EAUTH);
		t.reply[i] ^= 0x20;
	}
	CHECK_EQ(proto_reply_open(KEY, &b, t.reply, t.rlen - 1, &body), TH_EAUTH);
	CHECK_EQ(proto_reply_open(KEY, &b, t.reply, 0, &body), TH_EAUTH);
	/* an unauthenticated refusal is never sealed */
	CHECK_EQ(t_send_key(&t, other, &req), TH_EAUTH);
	CHECK(!t.sealed);
	t_fini(&t);
}

/* A well-behaved client per proto/theseus.proto: sends ping; on a sealed
 * ESTALE adopts the epoch it names, or starts a new session (new client id,
 * counter above the floor).  Returns the number of refusals before success
 * (-1 if it never succeeded in 4 tries). */
static int t_client_ping(struct t *t, uint64_t *client, uint64_t *counter, uint64_t *epoch)
{
	Theseus__Request req;
	Theseus__Ping ping;
	ping_req(&req, &ping);
	for (int tries = 0; tries < 4; tries++) {
		struct proto_binding b = { *client, ++*counter, *epoch };
		t->dlen = fx_datagram_bound(KEY, PROTO_VERSION, &b, &req, t->dgram,
					    sizeof t->dgram);
		int st = t_raw(t);
		if (!t->sealed)
			return -1;
		if (st == TH_OK)
			return tries;
		if (st != TH_ESTALE)
			return -1;
		if (t->rep->epoch != b.epoch) {
			*epoch = t->rep->epoch;
		} else {
			*client = *client * 6364136223846793005ull + 1442695040888963407ull;
			if (t->rep->counter_floor >= *counter)
				*counter = t->rep->counter_floor;
		}
	}
	return -1;
}

/* The lockout: one key holder sends counters near 2^64 from 32 and
 * more new client ids, and reuses a victim's client id with a huge counter.
 * Every well-behaved client gets through after at most one refusal. */
static void test_no_lockout(void)
{
	struct t t;
	t_init(&t);
	uint64_t vc = 7, vn = 1000000, ve = 0;
	CHECK(t_client_ping(&t, &vc, &vn, &ve) == 1);   /* learns the epoch once */
	CHECK(t_client_ping(&t, &vc, &vn, &ve) == 0);
	/* the attacker takes the victim's id to the top of the counter space */
	CHECK_EQ(t_ping_as(&t, vc, UINT64_MAX), TH_OK);
	int r = t_client_ping(&t, &vc, &vn, &ve);
	CHECK(r == 1);                                   /* new session */
	CHECK(t_client_ping(&t, &vc, &vn, &ve) == 0);
	/* floods of new ids with huge counters, again and again */
	for (int round = 0; round < 3; round++) {
		for (uint64_t c = 0; c < 2 * ENDPOINT_MAX_CLIENTS; c++) {
			t.fx.now_ms++;
			struct proto_binding b = { 0xa77ac0000 + round * 1000 + c,
						   UINT64_MAX - c, endpoint_epoch(t.ep) };
			Theseus__Request req;
			Theseus__Ping ping;
			t.dlen = fx_datagram_bound(KEY, PROTO_VERSION, &b, ping_req(&req, &ping),
						   t.dgram, sizeof t.dgram);
			int st = t_raw(&t);
			CHECK(st == TH_OK || st == TH_ESTALE);
		}
		CHECK(t.ep->replay.floor < EP_FLOOR_LIMIT);
		t.fx.now_ms++;
		r = t_client_ping(&t, &vc, &vn, &ve);
		CHECK(r >= 0 && r <= 1);
		uint64_t nc = 0xbeef + (uint64_t)round, nn = 2000000, ne = ve;
		r = t_client_ping(&t, &nc, &nn, &ne);     /* a brand-new client */
		CHECK(r >= 0 && r <= 1);
	}
	struct endpoint_counters c;
	endpoint_get_counters(t.ep, &c);
	CHECK(c.epoch_changes >= 1);
	t_fini(&t);
}

/* A new session below the floor is told the floor (sealed) and gets in
 * right above it. */
static void test_floor_told(void)
{
	struct t t;
	t_init(&t);
	for (uint64_t c = 1; c <= ENDPOINT_MAX_CLIENTS + 1; c++) {
		t.fx.now_ms++;
		CHECK_EQ(t_ping_as(&t, c, 1000000 + c), TH_OK);
	}
	uint64_t floor = t.ep->replay.floor;
	CHECK_EQ(floor, 1000001);
	CHECK_EQ(t_ping_as(&t, 500, 10), TH_ESTALE);
	CHECK(t.sealed);
	CHECK_EQ(t.rep->counter_floor, floor);
	CHECK_EQ(t_ping_as(&t, 500, floor + 1), TH_OK);
	t_fini(&t);
}

/* Unknown request kinds are named by their field number; an unauthenticated
 * datagram never gets more bytes back than it had. */
static void test_unknown_kind_and_amplification(void)
{
	struct t t;
	t_init(&t);
	const uint8_t body[] = { 0x8a, 0x01, 0 };   /* field 17 (unused; a 2-byte key), empty message */
	struct proto_binding b = { 42, ++t.counter, fx_epoch };
	size_t n = 0;
	CHECK_EQ(proto_envelope_pack(KEY, PROTO_VERSION, &b, body, sizeof body, t.dgram,
				     sizeof t.dgram, &n), TH_OK);
	t.dlen = n;
	CHECK_EQ(t_raw(&t), TH_ENOTSUP);
	CHECK(strstr(t.rep->message, "kind 17") != NULL);
	CHECK(t.sealed);
	b.counter = ++t.counter;
	CHECK_EQ(proto_envelope_pack(KEY, PROTO_VERSION, &b, body, 0, t.dgram,
				     sizeof t.dgram, &n), TH_OK);
	t.dlen = n;
	CHECK_EQ(t_raw(&t), TH_EPROTO);
	CHECK(strstr(t.rep->message, "no request kind") != NULL);
	/* short unauthenticated datagrams: no answer, or one no longer */
	for (size_t len = 0; len < 64; len++) {
		for (size_t i = 0; i < len; i++)
			t.dgram[i] = (uint8_t)(i * 7 + len);
		t.dlen = len;
		int st = t_raw(&t);
		CHECK(st == T_NO_REPLY || t.rlen <= len);
		CHECK(!t.sealed);
	}
	struct endpoint_counters c;
	endpoint_get_counters(t.ep, &c);
	CHECK(c.unanswered > 0);
	t_fini(&t);
}

/* A flood of unauthenticated datagrams gets at most the rate limiter's
 * budget of refusals (EP_UNAUTH_REPLY_BURST, then EP_UNAUTH_REPLIES_PER_S a
 * second); authenticated requests in between are all answered; a wrong-key
 * client retrying at a quiet pace gets every refusal. */
static void test_unauth_replies_rate_limited(void)
{
	struct t t;
	t_init(&t);
	static const uint8_t bad[PROTO_KEY_LEN] = { 7 };
	t.fx.now_ms = 1000;
	unsigned answered = 0, authed = 0;
	for (unsigned i = 0; i < 1000; i++) {
		int st = t_ping_key(&t, bad);
		CHECK(st == TH_EAUTH || st == T_NO_REPLY);
		answered += st == TH_EAUTH;
		if (i % 50 == 0)
			authed += t_ping(&t) == TH_OK && t.sealed;
	}
	CHECK_EQ(answered, EP_UNAUTH_REPLY_BURST);
	CHECK_EQ(authed, 20);
	/* One second later: at most one second's worth more. */
	t.fx.now_ms += 1000;
	answered = 0;
	for (unsigned i = 0; i < 1000; i++)
		answered += t_ping_key(&t, bad) == TH_EAUTH;
	CHECK_EQ(answered, EP_UNAUTH_REPLY_BURST);  /* refilled to the burst, no more */
	struct endpoint_counters c;
	endpoint_get_counters(t.ep, &c);
	CHECK_EQ(c.auth_failures, 2000);
	CHECK_EQ(c.unauth_replies, 2 * EP_UNAUTH_REPLY_BURST);
	CHECK_EQ(c.rate_limited, 2000 - 2 * EP_UNAUTH_REPLY_BURST);
	/* A wrong-key client on a quiet link: one retry every 10 ms, all answered. */
	t.fx.now_ms += 1000;
	answered = 0;
	for (unsigned i = 0; i < 300; i++, t.fx.now_ms += 10)
		answered += t_ping_key(&t, bad) == TH_EAUTH;
	CHECK_EQ(answered, 300);
	t_fini(&t);
}

/* Without a key every datagram is unauthenticated: the read-only answers
 * (many times longer than a small request: a log page) go out at the rate
 * limiter's pace, so a forged sender address gets no stream of them, and a
 * refusal is never longer than the request. */
static void test_nokey_replies_limited(void)
{
	struct t t;
	struct endpoint_config cfg = { 0 };
	t_init_cfg(&t, &cfg);
	for (int i = 0; i < 40; i++)
		fx_log(&t.fx, "[    0.100000] INFO test: a line of log to make the page long\n");
	Theseus__Request req = THESEUS__REQUEST__INIT;
	Theseus__LogRequest lq = THESEUS__LOG_REQUEST__INIT;
	req.kind_case = THESEUS__REQUEST__KIND_LOG;
	req.log = &lq;
	t.fx.now_ms = 1000;
	unsigned answered = 0;
	size_t most = 0;
	for (unsigned i = 0; i < 1000; i++) {
		int st = t_send_key(&t, NULL, &req);
		CHECK(st == TH_OK || st == T_NO_REPLY);
		answered += st == TH_OK;
		most = t.rlen > most ? t.rlen : most;
	}
	CHECK_EQ(answered, EP_UNAUTH_REPLY_BURST);
	CHECK(most > 10 * t.dlen);          /* an answer, served whole */
	t.fx.now_ms += 1000;
	unsigned refused = 0;
	Theseus__ProfileRequest pq = THESEUS__PROFILE_REQUEST__INIT;
	req.kind_case = THESEUS__REQUEST__KIND_PROFILE;   /* a few bytes: not read-only */
	req.profile = &pq;
	for (unsigned i = 0; i < 100; i++) {
		int st = t_send_key(&t, NULL, &req);
		CHECK(st == TH_EAUTH || st == T_NO_REPLY);
		refused += st == TH_EAUTH;
		CHECK(t.rlen <= t.dlen);
	}
	CHECK_EQ(refused, EP_UNAUTH_REPLY_BURST);
	struct endpoint_counters c;
	endpoint_get_counters(t.ep, &c);
	CHECK_EQ(c.unauth_replies, 2 * EP_UNAUTH_REPLY_BURST);
	CHECK_EQ(c.rate_limited, 1100 - 2 * EP_UNAUTH_REPLY_BURST);
	t_fini(&t);
}

/* req packed with its first 'X' made a NUL byte, MAC'd: a string field
 * holding a NUL, which protobuf-c would hand over cut at the NUL. */
static int t_send_nul(struct t *t, const Theseus__Request *req)
{
	uint8_t body[512];
	size_t blen = theseus__request__get_packed_size(req);
	CHECK(blen <= sizeof body);
	theseus__request__pack(req, body);
	uint8_t *x = NULL;
	for (size_t i = 0; i < blen && !x; i++)
		x = body[i] == 'X' ? &body[i] : NULL;
	CHECK(x != NULL);
	if (x)
		*x = 0;
	struct proto_binding b = { 42, ++t->counter, fx_epoch };
	size_t n = 0;
	CHECK_EQ(proto_envelope_pack(KEY, PROTO_VERSION, &b, body, blen, t->dgram,
				     sizeof t->dgram, &n), TH_OK);
	t->dlen = n;
	return t_raw(t);
}

/* A name holding a NUL byte ("helloXzzz" with X a NUL) is refused, not run
 * as "hello", in a request's own fields and in nested ones (a swap item). */
static void test_string_with_nul_refused(void)
{
	struct t t;
	t_init(&t);
	Theseus__Request req = THESEUS__REQUEST__INIT;
	Theseus__InvokeRequest iv = THESEUS__INVOKE_REQUEST__INIT;
	iv.module = (char *)"helloXzzz";
	iv.function = (char *)"hello_greet_invoke";
	req.kind_case = THESEUS__REQUEST__KIND_INVOKE;
	req.invoke = &iv;
	CHECK_EQ(t_send_nul(&t, &req), TH_EPROTO);
	CHECK(t.sealed);
	CHECK(strstr(t.rep->message, "module holds a NUL") != NULL);
	CHECK_EQ(t.fx.hello_calls, 0);

	uint8_t sha[32] = { 1 };
	struct fx_swap_req sw;
	fx_swap_request(&sw, "heXllo", "1.0", sha);
	CHECK_EQ(t_send_nul(&t, &sw.req), TH_EPROTO);
	CHECK(strstr(t.rep->message, "module holds a NUL") != NULL);

	Theseus__RollbackRequest rb = THESEUS__ROLLBACK_REQUEST__INIT;
	rb.module = (char *)"helloX";
	req.kind_case = THESEUS__REQUEST__KIND_ROLLBACK;
	req.rollback = &rb;
	CHECK_EQ(t_send_nul(&t, &req), TH_EPROTO);
	CHECK_EQ(t.fx.n_hist, 0);
	/* bytes fields may hold anything: a ping payload with a NUL is fine */
	Theseus__Ping ping = THESEUS__PING__INIT;
	ping.payload.data = (uint8_t *)"aXb";
	ping.payload.len = 3;
	req.kind_case = THESEUS__REQUEST__KIND_PING;
	req.ping = &ping;
	CHECK_EQ(t_send_nul(&t, &req), TH_OK);
	t_fini(&t);
}

/* Bit i of the last ChunkAck's bitmap (chunk bitmap_from + i). */
static bool ack_has(const struct t *t, uint32_t chunk)
{
	const Theseus__ChunkAck *a = t->rep->chunk;
	if (chunk < a->bitmap_from || (chunk - a->bitmap_from) / 8 >= a->bitmap.len)
		return false;
	return (a->bitmap.data[(chunk - a->bitmap_from) / 8] >> ((chunk - a->bitmap_from) % 8)) & 1;
}

/* Chunk sizes up to PROTO_CHUNK_SIZE_MAX, fixed per object; quiet chunks
 * get no reply until the object is complete (or on error); an answered
 * chunk's bitmap acknowledges the quiet ones before it; chunks out of order
 * still hash to the object's name. */
static void test_chunk_size_quiet_bitmap(void)
{
	struct t t;
	t_init(&t);
	enum { C = PROTO_CHUNK_SIZE_MAX, N = 80 };
	static uint8_t obj[N * C - 100];
	uint8_t sha[32];
	for (size_t i = 0; i < sizeof obj; i++)
		obj[i] = (uint8_t)(i * 7 + (i >> 9));
	proto_sha256(obj, sizeof obj, sha);

	/* Sizes outside 1024..max, and the largest chunk fits one datagram. */
	CHECK_EQ(t_chunk_opt(&t, sha, sizeof obj, 0, obj, 1000, 1000, false), TH_EINVAL);
	CHECK(strstr(t.rep->message, "chunk_size 1000") != NULL);
	CHECK_EQ(t_chunk_opt(&t, sha, sizeof obj, 0, obj, C + 1, C + 1, false), TH_EINVAL);
	CHECK_EQ(t_chunk_opt(&t, sha, sizeof obj, 0, obj, C, C, true), T_NO_REPLY);
	CHECK(t.dlen <= PROTO_MAX_DATAGRAM);
	/* The object's chunk size is fixed: 1024-byte chunks are refused. */
	CHECK_EQ(t_chunk(&t, sha, sizeof obj, 1024, obj + 1024, 1024), TH_EINVAL);
	CHECK(strstr(t.rep->message, "chunks of 1248 bytes") != NULL);
	/* Errors answer even quiet chunks (misaligned offset). */
	CHECK_EQ(t_chunk_opt(&t, sha, sizeof obj, 10, obj, C, C, true), TH_EINVAL);
	CHECK(t.sealed);

	/* Chunks 1..69 quiet but 30 (left for later), then 70 answered. */
	for (uint32_t i = 1; i < 70; i++)
		if (i != 30)
			CHECK_EQ(t_chunk_opt(&t, sha, sizeof obj, (uint64_t)i * C, obj + i * C, C, C,
					     true), T_NO_REPLY);
	CHECK_EQ(t_chunk_opt(&t, sha, sizeof obj, 70ull * C, obj + 70 * C, C, C, false), TH_OK);
	CHECK(t.sealed);
	CHECK_EQ(t.rep->payload_case, THESEUS__REPLY__PAYLOAD_CHUNK);
	CHECK_EQ(t.rep->chunk->chunks_have, 70);
	CHECK_EQ(t.rep->chunk->chunks_total, N);
	CHECK_EQ(t.rep->chunk->bitmap_from, 0);      /* (70 + 1 - 64) / 8 * 8 */
	CHECK_EQ(t.rep->chunk->bitmap.len, 9);
	CHECK(ack_has(&t, 7) && ack_has(&t, 29) && !ack_has(&t, 30) && ack_has(&t, 31));
	CHECK(ack_has(&t, 70) && !ack_has(&t, 71));
	/* The object status names the object's chunk size; a new one the largest. */
	Theseus__Request req = THESEUS__REQUEST__INIT;
	Theseus__ObjectStatusRequest os = THESEUS__OBJECT_STATUS_REQUEST__INIT;
	os.object_sha256.data = sha;
	os.object_sha256.len = 32;
	req.kind_case = THESEUS__REQUEST__KIND_OBJECT_STATUS;
	req.object_status = &os;
	CHECK_EQ(t_send(&t, &req), TH_OK);
	CHECK_EQ(t.rep->object->chunk_size, C);
	uint8_t other[32] = { 1 };
	os.object_sha256.data = other;
	CHECK_EQ(t_send(&t, &req), TH_OK);
	CHECK(!t.rep->object->known);
	CHECK_EQ(t.rep->object->chunk_size, PROTO_CHUNK_SIZE_MAX);

	/* The rest quiet, chunk 30 last: the completing quiet chunk is answered,
	 * and the hash (computed as chunks arrived, 30 late) matches. */
	for (uint32_t i = 71; i < N; i++) {
		size_t len = i == N - 1 ? sizeof obj - (size_t)i * C : C;
		CHECK_EQ(t_chunk_opt(&t, sha, sizeof obj, (uint64_t)i * C, obj + i * C, len, C,
				     true), T_NO_REPLY);
	}
	CHECK_EQ(t_chunk_opt(&t, sha, sizeof obj, 30ull * C, obj + 30 * C, C, C, true), TH_OK);
	CHECK(t.sealed);
	CHECK(t.rep->chunk->complete);
	CHECK_EQ(t.rep->chunk->bitmap.len, 0);
	t_fini(&t);

	/* A wrong byte in an out-of-order chunk still fails the hash. */
	t_init(&t);
	static uint8_t bad[3 * 1024 + 5];
	memcpy(bad, obj, sizeof bad);
	proto_sha256(bad, sizeof bad, sha);
	bad[2 * 1024 + 1] ^= 1;
	CHECK_EQ(t_chunk_opt(&t, sha, sizeof bad, 2048, bad + 2048, 1024, 0, true), T_NO_REPLY);
	CHECK_EQ(t_chunk_opt(&t, sha, sizeof bad, 3072, bad + 3072, 5, 0, true), T_NO_REPLY);
	CHECK_EQ(t_chunk_opt(&t, sha, sizeof bad, 0, bad, 1024, 0, false), TH_OK);
	CHECK_EQ(t.rep->chunk->bitmap_from, 0);
	CHECK(ack_has(&t, 0) && !ack_has(&t, 1) && ack_has(&t, 2) && ack_has(&t, 3));
	CHECK_EQ(t_chunk_opt(&t, sha, sizeof bad, 1024, bad + 1024, 1024, 0, true), TH_EHASH);
	t_fini(&t);
}

/* Between datagrams the endpoint hashes received chunks of incomplete
 * objects a few at a time (endpoint_background); without idle time a chunk
 * is hashed as it arrives once more than STAGING_HASH_LAG wait; either way
 * the completed object is verified, a corrupt one refused. */
static void test_background_hashing(void)
{
	struct t t;
	t_init(&t);
	enum { N = 60 };
	static uint8_t obj[N * 1024];
	uint8_t sha[32];
	for (size_t i = 0; i < sizeof obj; i++)
		obj[i] = (uint8_t)(i * 13 + (i >> 10));
	proto_sha256(obj, sizeof obj, sha);
	CHECK(!endpoint_background(t.ep));                  /* nothing staged */
	for (uint32_t i = 1; i < 10; i++)                     /* chunk 0 missing */
		CHECK_EQ(t_chunk_opt(&t, sha, sizeof obj, i * 1024ull, obj + i * 1024, 1024, 0,
				     true), T_NO_REPLY);
	CHECK(!endpoint_background(t.ep));                  /* no prefix to hash */
	struct staging_obj *o = staging_find(&t.ep->staging, sha);
	CHECK(o != NULL);
	CHECK_EQ(o->chunks_hashed, 0);
	CHECK_EQ(t_chunk_opt(&t, sha, sizeof obj, 0, obj, 1024, 0, true), T_NO_REPLY);
	CHECK(endpoint_background(t.ep));                   /* 4 hashed, 6 left */
	CHECK_EQ(o->chunks_hashed, EP_BACKGROUND_HASH_CHUNKS);
	while (endpoint_background(t.ep))
		;
	CHECK_EQ(o->chunks_hashed, 10);
	/* No idle time: the backlog stays at STAGING_HASH_LAG chunks. */
	for (uint32_t i = 10; i < N - 1; i++)
		CHECK_EQ(t_chunk_opt(&t, sha, sizeof obj, i * 1024ull, obj + i * 1024, 1024, 0,
				     true), T_NO_REPLY);
	CHECK_EQ(o->chunks_hashed, N - 1 - STAGING_HASH_LAG);
	CHECK_EQ(t_chunk_opt(&t, sha, sizeof obj, (N - 1) * 1024ull, obj + (N - 1) * 1024, 1024, 0,
			     true), TH_OK);
	CHECK(t.rep->chunk->complete);
	CHECK(!endpoint_background(t.ep));
	t_fini(&t);

	/* A corrupt chunk hashed in the background still fails the object. */
	t_init(&t);
	obj[5 * 1024 + 7] ^= 0x40;
	for (uint32_t i = 0; i < N - 1; i++) {
		CHECK_EQ(t_chunk_opt(&t, sha, sizeof obj, i * 1024ull, obj + i * 1024, 1024, 0,
				     true), T_NO_REPLY);
		while (endpoint_background(t.ep))
			;
	}
	CHECK_EQ(t_chunk_opt(&t, sha, sizeof obj, (N - 1) * 1024ull, obj + (N - 1) * 1024, 1024, 0,
			     true), TH_EHASH);
	CHECK(t.sealed);
	CHECK(staging_find(&t.ep->staging, sha) == NULL);
	t_fini(&t);
}

int main(void)
{
	RUN(test_ping_info_ls);
	RUN(test_info_nic_counters);
	RUN(test_info_usage);
	RUN(test_profile_requests);
	RUN(test_list_pages);
	RUN(test_wrong_key_missing_mac);
	RUN(test_replay);
	RUN(test_client_table_floor);
	RUN(test_version_garbage_truncated);
	RUN(test_oversized_fields);
	RUN(test_chunk_rules);
	RUN(test_chunk_size_quiet_bitmap);
	RUN(test_background_hashing);
	RUN(test_hash_mismatch);
	RUN(test_full_and_eviction);
	RUN(test_evict_least_progressed);
	RUN(test_failed_swap_releases);
	RUN(test_staging_defaults_and_bitmap_pages);
	RUN(test_swap_cas);
	RUN(test_bytes_equal_ct_each_position);
	RUN(test_mac_one_byte_off);
	RUN(test_replay_window_edges);
	RUN(test_replay_floor_exact);
	RUN(test_chunk_empty_at_end);
	RUN(test_chunk_edges);
	RUN(test_staging_limit_edges);
	RUN(test_no_key);
	RUN(test_bad_args);
	RUN(test_rollback_history);
	RUN(test_rollback_set);
	RUN(test_rollback_set_first_loads);
	RUN(test_rollback_resend_not_repeated);
	RUN(test_rollback_set_resend_not_repeated);
	RUN(test_rollback_compare_and_swap);
	RUN(test_swap_resend_after_rollback_not_repeated);
	RUN(test_swap_new_in_session_runs);
	RUN(test_state_pages);
	RUN(test_log);
	RUN(test_invoke);
	RUN(test_resent_reply_cache);
	RUN(test_graph_tasks);
	RUN(test_exports_pages);
	RUN(test_inspect_notsup_nokey);
	RUN(test_epoch_refusal);
	RUN(test_replay_after_reboot);
	RUN(test_reply_seal_bound);
	RUN(test_no_lockout);
	RUN(test_floor_told);
	RUN(test_unknown_kind_and_amplification);
	RUN(test_unauth_replies_rate_limited);
	RUN(test_nokey_replies_limited);
	RUN(test_string_with_nul_refused);
	return check_summary("endpoint_core");
}
