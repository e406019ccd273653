/*
 * ctl_transport.c - host unit tests of theseusctl's transport (ctl/transport.c)
 * against the real endpoint core (fixture backend) served on 127.0.0.1 by a
 * thread, optionally through a "relay" that misbehaves: the epoch is learned
 * from the first sealed ESTALE and re-learned after a restart (a reboot)
 * without the caller noticing; forged, rewritten and unmatched replies are
 * dropped and counted and never make a call succeed; a replay refusal that
 * overtakes the real answer starts a new session; the RTO comes from
 * measured round trips, with a floor; the request MAC is HMAC until a
 * sealed reply names kind 1, then kind 1 (--mac hmac: HMAC throughout; a
 * kernel that names no kinds gets HMAC only).  Also the paged read of the export
 * list (ctl/exports_fetch.c): whole, and again when it changed meanwhile.
 * Under loss (a relay that lets one datagram in LOSSY_N through): a call
 * resends as CTL_CALL_COPIES datagrams; a push (ctl/push.c) completes,
 * holding its window and filling it with copies, while a clean push sends
 * each chunk once; a push whose chunks all vanish collapses its window.
 * The session cache (ctl/session_store.c) through the transport: a second
 * process starts in the cached epoch with kind 1 (one datagram), a reboot
 * costs one refusal and fixes the entry, a kernel that no longer takes
 * kind 1 (refusing it unsealed, or silent) gets HMAC at once and the entry
 * fixed, unauthenticated replies leave the cache alone, and a request that
 * must not run twice is HMAC'd until a sealed reply confirms kind 1.
 */
#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "ctl.h"
#include "endpoint_fixture.h"

static const uint8_t KEY[32] = { 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 9, 8, 7, 6, 5, 4,
				 3, 2, 1, 0, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 9, 8 };

enum relay_mode {
	HONEST,     /* the endpoint's reply as is */
	FORGE,      /* answer every request with an unsealed OK pong, no endpoint */
	REWRITE,    /* the endpoint's reply with its status set to OK, seal kept */
	UNMATCHED,  /* first a sealed reply to another (made-up) request, then the real one */
	DUP_FIRST,  /* handle each datagram twice and send the replay refusal first */
	OLD_KERNEL, /* a kernel before kind 1: kind 1 dropped, no mac_kinds in replies */
	OLD_REFUSING, /* the same, kind 1 refused as the endpoint refuses a bad MAC
		       * (EAUTH, unsealed, client id and counter echoed) */
	HOLD,       /* keep the first HOLD_N datagrams, then handle them all at once
		     * (a NIC that receives late), then as HONEST */
	LOSSY,      /* only every LOSSY_N-th datagram reaches the endpoint (a flood) */
	NO_CHUNKS,  /* PushChunk requests vanish, the rest as HONEST */
	DROP_ONE,   /* only the DROP_AT-th datagram vanishes (a stray loss) */
	STALL,      /* as HONEST, but before the STALL_AT-th datagram the receiver
		     * stops for srv.stall_ms (a guest busy for a while): everything
		     * arrives late, in order, nothing is lost */
};

#define STALL_AT 40

#define DROP_AT 20

#define LOSSY_N 4

#define HOLD_N 10

static struct {
	int fd;
	uint16_t port;
	pthread_t thread;
	pthread_mutex_t lock;
	volatile int stop;
	enum relay_mode mode;
	uint8_t held[HOLD_N][2048];
	size_t held_len[HOLD_N], n_held;
	struct fx_backend fx;
	struct endpoint *ep;
	unsigned kinds[3];   /* datagrams seen with mac_kind 0, 1, other */
	unsigned seen;       /* datagrams received (LOSSY) */
	unsigned stall_ms;   /* STALL */
} srv;

/* OLD_KERNEL: the reply rep[0..*rlen) to request env without mac_kinds,
 * sealed again. */
static void strip_mac_kinds(const Theseus__Envelope *env, uint8_t *rep, size_t *rlen,
			    size_t cap)
{
	struct proto_binding b = { env->client_id, env->counter, env->epoch };
	size_t body = 0;
	if (proto_reply_open(KEY, &b, rep, *rlen, &body) != TH_OK)
		return;
	Theseus__Reply *r = theseus__reply__unpack(NULL, body, rep);
	if (!r)
		return;
	r->mac_kinds = 0;
	size_t n = theseus__reply__pack(r, rep);
	theseus__reply__free_unpacked(r, NULL);
	if (proto_reply_seal(KEY, &b, rep, &n, cap) == TH_OK)
		*rlen = n;
}

static void srv_restart(void)
{
	pthread_mutex_lock(&srv.lock);
	if (srv.ep)
		endpoint_destroy(srv.ep);
	fx_backend_init(&srv.fx);
	srv.fx.real_clock = true;
	srv.fx.rng ^= (uint64_t)random() << 17 ^ (uint64_t)(uintptr_t)&srv;
	struct endpoint_config cfg = { .key = KEY };
	struct endpoint_ops ops = fx_ops(&srv.fx);
	struct th_errbuf eb = { "" };
	if (endpoint_create(&cfg, &ops, &srv.ep, &eb) != TH_OK)
		abort();
	pthread_mutex_unlock(&srv.lock);
}

static void *srv_main(void *arg)
{
	(void)arg;
	uint8_t buf[2048], rep[PROTO_MAX_DATAGRAM], rep2[PROTO_MAX_DATAGRAM];
	while (!srv.stop) {
		struct pollfd p = { .fd = srv.fd, .events = POLLIN };
		if (poll(&p, 1, 20) <= 0)
			continue;
		struct sockaddr_in from;
		socklen_t flen = sizeof from;
		ssize_t n = recvfrom(srv.fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &flen);
		if (n < 0)
			continue;
		pthread_mutex_lock(&srv.lock);
		if (srv.mode == HOLD) {
			memcpy(srv.held[srv.n_held], buf, (size_t)n);
			srv.held_len[srv.n_held++] = (size_t)n;
			if (srv.n_held == HOLD_N) {
				for (size_t i = 0; i < HOLD_N; i++) {
					size_t hl = 0;
					if (endpoint_handle(srv.ep, srv.held[i], srv.held_len[i], rep,
							    sizeof rep, &hl) == TH_OK && hl)
						sendto(srv.fd, rep, hl, 0, (struct sockaddr *)&from, flen);
				}
				srv.n_held = 0;
				srv.mode = HONEST;
			}
			pthread_mutex_unlock(&srv.lock);
			continue;
		}
		size_t rlen = 0, r2 = 0;
		Theseus__Envelope *env = theseus__envelope__unpack(NULL, (size_t)n, buf);
		if (env)
			srv.kinds[env->mac_kind < 2 ? env->mac_kind : 2]++;
		bool vanish = srv.mode == LOSSY && srv.seen % LOSSY_N != LOSSY_N - 1;
		vanish |= srv.mode == DROP_ONE && srv.seen == DROP_AT;
		if (srv.mode == STALL && srv.seen == STALL_AT)
			usleep(srv.stall_ms * 1000);
		srv.seen++;
		if (srv.mode == NO_CHUNKS && env) {
			Theseus__Request *rq = theseus__request__unpack(NULL, env->body.len,
									 env->body.data);
			vanish = rq && rq->kind_case == THESEUS__REQUEST__KIND_PUSH_CHUNK;
			if (rq)
				theseus__request__free_unpacked(rq, NULL);
		}
		if (vanish) {
			/* lost on the way */
		} else if (srv.mode == OLD_KERNEL && env && env->mac_kind != 0) {
			/* unauthenticated to an old kernel: no answer */
		} else if (srv.mode == OLD_REFUSING && env && env->mac_kind != 0) {
			Theseus__Reply r = THESEUS__REPLY__INIT;
			r.version = PROTO_VERSION;
			r.counter = env->counter;
			r.client_id = env->client_id;
			r.status = proto_status_to_wire(TH_EAUTH);
			rlen = theseus__reply__pack(&r, rep);
		} else if (srv.mode == FORGE) {
			Theseus__Reply r = THESEUS__REPLY__INIT;
			Theseus__Pong pong = THESEUS__PONG__INIT;
			r.version = PROTO_VERSION;
			r.counter = env ? env->counter : 0;
			r.client_id = env ? env->client_id : 0;
			r.payload_case = THESEUS__REPLY__PAYLOAD_PONG;
			r.pong = &pong;
			rlen = theseus__reply__pack(&r, rep);
		} else {
			if (endpoint_handle(srv.ep, buf, (size_t)n, rep, sizeof rep, &rlen) != TH_OK)
				rlen = 0;
			if ((srv.mode == OLD_KERNEL || srv.mode == OLD_REFUSING) && env && rlen)
				strip_mac_kinds(env, rep, &rlen, sizeof rep);
			if (srv.mode == DUP_FIRST &&
			    endpoint_handle(srv.ep, buf, (size_t)n, rep2, sizeof rep2, &r2) == TH_OK &&
			    r2)
				sendto(srv.fd, rep2, r2, 0, (struct sockaddr *)&from, flen);
			if (srv.mode == REWRITE && rlen > PROTO_REPLY_SEAL_LEN) {
				size_t body = rlen - PROTO_REPLY_SEAL_LEN;
				Theseus__Reply *r = theseus__reply__unpack(NULL, body, rep);
				if (r) {
					uint8_t seal[PROTO_REPLY_SEAL_LEN];
					memcpy(seal, rep + body, sizeof seal);
					char *orig = r->message;
					r->status = 0;
					r->message = (char *)"ok";
					body = theseus__reply__pack(r, rep);
					memcpy(rep + body, seal, sizeof seal);
					rlen = body + sizeof seal;
					r->message = orig;
					theseus__reply__free_unpacked(r, NULL);
				}
			}
			if (srv.mode == UNMATCHED && env) {
				struct proto_binding b = { env->client_id, env->counter + 1000,
							   env->epoch };
				Theseus__Reply r = THESEUS__REPLY__INIT;
				r.version = PROTO_VERSION;
				r.counter = b.counter;
				r.client_id = b.client_id;
				size_t l = theseus__reply__pack(&r, rep2);
				if (proto_reply_seal(KEY, &b, rep2, &l, sizeof rep2) == TH_OK)
					sendto(srv.fd, rep2, l, 0, (struct sockaddr *)&from, flen);
			}
		}
		if (env)
			theseus__envelope__free_unpacked(env, NULL);
		pthread_mutex_unlock(&srv.lock);
		if (rlen)
			sendto(srv.fd, rep, rlen, 0, (struct sockaddr *)&from, flen);
	}
	return NULL;
}

static void srv_start(void)
{
	pthread_mutex_init(&srv.lock, NULL);
	srv_restart();
	srv.fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t alen = sizeof a;
	if (srv.fd < 0 || bind(srv.fd, (struct sockaddr *)&a, sizeof a) < 0 ||
	    getsockname(srv.fd, (struct sockaddr *)&a, &alen) < 0)
		abort();
	srv.port = ntohs(a.sin_port);
	pthread_create(&srv.thread, NULL, srv_main, NULL);
}

static void srv_stop(void)
{
	srv.stop = 1;
	pthread_join(srv.thread, NULL);
	close(srv.fd);
	endpoint_destroy(srv.ep);
}

static FILE *devnull;

static void ctx_open(struct ctl_ctx *ctx, int timeout_ms, int retries)
{
	ctl_ctx_init(ctx);
	ctx->err = devnull;
	ctx->out = devnull;
	snprintf(ctx->host, sizeof ctx->host, "127.0.0.1");
	ctx->port = srv.port;
	memcpy(ctx->key, KEY, sizeof KEY);
	ctx->have_key = true;
	ctx->timeout_ms = timeout_ms;
	ctx->retries = retries;
	struct th_errbuf eb = { "" };
	CHECK_EQ(ctl_tx_open(ctx, &eb), TH_OK);
}

static int ping(struct ctl_ctx *ctx, Theseus__Reply **rep)
{
	Theseus__Request req = THESEUS__REQUEST__INIT;
	Theseus__Ping p = THESEUS__PING__INIT;
	req.kind_case = THESEUS__REQUEST__KIND_PING;
	req.ping = &p;
	*rep = NULL;
	return ctl_call(ctx, &req, rep);
}

static void free_rep(Theseus__Reply **rep)
{
	if (*rep)
		theseus__reply__free_unpacked(*rep, NULL);
	*rep = NULL;
}

/* The epoch is learned with one refusal, and re-learned after a restart
 * ("reboot") without the caller seeing anything but success. */
static void test_epoch_learned_and_relearned(void)
{
	struct ctl_ctx ctx;
	Theseus__Reply *rep;
	srv.mode = HONEST;
	ctx_open(&ctx, 500, 3);
	CHECK_EQ(ctx.epoch, 0);
	CHECK_EQ(ping(&ctx, &rep), TH_OK);
	CHECK(rep && rep->payload_case == THESEUS__REPLY__PAYLOAD_PONG);
	free_rep(&rep);
	CHECK_EQ(ctx.epoch, endpoint_epoch(srv.ep));
	CHECK_EQ(ctx.stale_refusals, 1);
	CHECK_EQ(ping(&ctx, &rep), TH_OK);
	free_rep(&rep);
	CHECK_EQ(ctx.stale_refusals, 1);
	uint64_t old = ctx.epoch;
	srv_restart();
	CHECK_EQ(ping(&ctx, &rep), TH_OK);
	free_rep(&rep);
	CHECK(ctx.epoch != old);
	CHECK_EQ(ctx.epoch, endpoint_epoch(srv.ep));
	CHECK_EQ(ctx.stale_refusals, 2);
	CHECK_EQ(ctx.replies_unauth, 0);
	ctl_tx_close(&ctx);
}

/* The MAC kinds: HMAC for the first request (epoch and kinds unknown),
 * kind 1 from the resend on; --mac hmac keeps HMAC; a kernel that names no
 * kinds gets HMAC throughout; --mac poly1305 sends kind 1 from the start. */
static void test_mac_kinds(void)
{
	struct ctl_ctx ctx;
	Theseus__Reply *rep;
	srv.mode = HONEST;
	memset(srv.kinds, 0, sizeof srv.kinds);
	ctx_open(&ctx, 500, 3);
	CHECK_EQ(ctl_mac_kind(&ctx), PROTO_MAC_KIND_HMAC);
	CHECK_EQ(ping(&ctx, &rep), TH_OK);
	free_rep(&rep);
	CHECK_EQ(ctx.mac_kinds, PROTO_MAC_KINDS);
	CHECK_EQ(ctl_mac_kind(&ctx), PROTO_MAC_KIND_POLY);
	CHECK_EQ(ping(&ctx, &rep), TH_OK);
	free_rep(&rep);
	CHECK_EQ(srv.kinds[0], 1);   /* the first datagram (ESTALE) */
	CHECK_EQ(srv.kinds[1], 2);
	CHECK_EQ(ctx.replies_unauth, 0);
	ctl_tx_close(&ctx);

	memset(srv.kinds, 0, sizeof srv.kinds);
	ctx_open(&ctx, 500, 3);
	ctx.mac_mode = CTL_MAC_HMAC;
	CHECK_EQ(ping(&ctx, &rep), TH_OK);
	free_rep(&rep);
	CHECK_EQ(ping(&ctx, &rep), TH_OK);
	free_rep(&rep);
	CHECK_EQ(srv.kinds[0], 3);
	CHECK_EQ(srv.kinds[1], 0);
	ctl_tx_close(&ctx);

	memset(srv.kinds, 0, sizeof srv.kinds);
	ctx_open(&ctx, 500, 3);
	ctx.mac_mode = CTL_MAC_POLY;
	CHECK_EQ(ping(&ctx, &rep), TH_OK);
	free_rep(&rep);
	CHECK_EQ(srv.kinds[0], 0);
	CHECK_EQ(srv.kinds[1], 2);
	ctl_tx_close(&ctx);

	srv.mode = OLD_KERNEL;
	memset(srv.kinds, 0, sizeof srv.kinds);
	ctx_open(&ctx, 500, 3);
	CHECK_EQ(ping(&ctx, &rep), TH_OK);
	free_rep(&rep);
	CHECK_EQ(ping(&ctx, &rep), TH_OK);
	free_rep(&rep);
	CHECK_EQ(ctx.mac_kinds, 0);
	CHECK_EQ(srv.kinds[0], 3);
	CHECK_EQ(srv.kinds[1], 0);
	ctl_tx_close(&ctx);
	ctx_open(&ctx, 30, 1);   /* forcing kind 1 on it: refused (no answer) */
	ctx.mac_mode = CTL_MAC_POLY;
	CHECK_EQ(ping(&ctx, &rep), TH_ETIMEDOUT);
	CHECK(rep == NULL);
	ctl_tx_close(&ctx);
	srv.mode = HONEST;
}

/* A relay answering requests itself (unsealed OK) never makes a call
 * succeed: dropped, counted, and reported as EAUTH at the timeout. */
static void test_forged_replies_dropped(void)
{
	struct ctl_ctx ctx;
	Theseus__Reply *rep;
	srv.mode = HONEST;
	ctx_open(&ctx, 50, 1);
	CHECK_EQ(ping(&ctx, &rep), TH_OK);
	free_rep(&rep);
	srv.mode = FORGE;
	CHECK_EQ(ping(&ctx, &rep), TH_EAUTH);
	CHECK(rep == NULL);
	CHECK(ctx.replies_unauth >= 1);
	srv.mode = HONEST;
	ctl_tx_close(&ctx);
}

/* A relay rewriting a refusal into success (status changed, seal kept) is
 * caught: the seal covers the reply's bytes. */
static void test_rewritten_reply_dropped(void)
{
	struct ctl_ctx ctx;
	Theseus__Reply *rep;
	srv.mode = HONEST;
	ctx_open(&ctx, 50, 1);
	CHECK_EQ(ping(&ctx, &rep), TH_OK);
	free_rep(&rep);
	uint64_t before = ctx.replies_unauth;
	srv.mode = REWRITE;
	Theseus__Request req = THESEUS__REQUEST__INIT;
	Theseus__SwapRequest sr = THESEUS__SWAP_REQUEST__INIT;
	Theseus__SwapItem it = THESEUS__SWAP_ITEM__INIT, *items[1] = { &it };
	uint8_t sha[32];
	memset(sha, 3, sizeof sha);
	it.module = "hello";
	it.expected_version = "9.9";
	it.object_sha256.data = sha;
	it.object_sha256.len = 32;
	sr.n_items = 1;
	sr.items = items;
	req.kind_case = THESEUS__REQUEST__KIND_SWAP;
	req.swap = &sr;
	int st = ctl_call(&ctx, &req, &rep);
	CHECK(st != TH_OK);
	CHECK_EQ(st, TH_EAUTH);
	CHECK(rep == NULL);
	CHECK(ctx.replies_unauth > before);
	free_rep(&rep);
	srv.mode = HONEST;
	ctl_tx_close(&ctx);
}

/* A sealed reply to a request we never sent is not taken for ours. */
static void test_unmatched_reply_ignored(void)
{
	struct ctl_ctx ctx;
	Theseus__Reply *rep;
	srv.mode = UNMATCHED;
	ctx_open(&ctx, 500, 2);
	CHECK_EQ(ping(&ctx, &rep), TH_OK);
	CHECK(rep && rep->payload_case == THESEUS__REPLY__PAYLOAD_PONG);
	free_rep(&rep);
	CHECK(ctx.replies_unmatched >= 1);
	srv.mode = HONEST;
	ctl_tx_close(&ctx);
}

/* A duplicated datagram's replay refusal arriving before the real answer:
 * the call still succeeds (a new session, or the real answer). */
static void test_dup_refusal_first(void)
{
	struct ctl_ctx ctx;
	Theseus__Reply *rep;
	srv.mode = HONEST;
	ctx_open(&ctx, 500, 2);
	CHECK_EQ(ping(&ctx, &rep), TH_OK);
	free_rep(&rep);
	srv.mode = DUP_FIRST;
	for (int i = 0; i < 5; i++) {
		CHECK_EQ(ping(&ctx, &rep), TH_OK);
		CHECK(rep && rep->payload_case == THESEUS__REPLY__PAYLOAD_PONG);
		free_rep(&rep);
	}
	srv.mode = HONEST;
	ctl_tx_close(&ctx);
}

/* A host whose first datagrams arrive late, all at once (QEMU's e1000 after
 * its receiver is enabled): the first request of a new session, sent again
 * and again meanwhile, gets one ESTALE per attempt; the late ones are for
 * attempts sent before the epoch was learned and are not new refusals, so
 * the call goes through instead of giving up with ESTALE. */
static void test_late_refusals(void)
{
	struct ctl_ctx ctx;
	Theseus__Reply *rep;
	pthread_mutex_lock(&srv.lock);
	srv.mode = HOLD;
	srv.n_held = 0;
	pthread_mutex_unlock(&srv.lock);
	ctx_open(&ctx, 2000, 20);
	CHECK_EQ(ping(&ctx, &rep), TH_OK);
	CHECK(rep && rep->payload_case == THESEUS__REPLY__PAYLOAD_PONG);
	free_rep(&rep);
	CHECK(srv.mode == HONEST);
	ctl_tx_close(&ctx);
}

/* The RTO follows measured round trips (loopback: far below --timeout),
 * never below the floor (its arithmetic: tests/unit/ctl_rto_test.c). */
static void test_rto_measured(void)
{
	struct ctl_ctx ctx;
	Theseus__Reply *rep;
	srv.mode = HONEST;
	ctx_open(&ctx, 2000, 2);
	CHECK_EQ(ctx.rto.rto, CTL_RTO_INITIAL_US);   /* no sample yet */
	for (int i = 0; i < 10; i++) {
		CHECK_EQ(ping(&ctx, &rep), TH_OK);
		free_rep(&rep);
	}
	CHECK(ctx.rto.have_sample);
	CHECK(ctx.rto.rto >= CTL_RTO_MIN_US);
	CHECK(ctx.rto.rto < 2000 * 1000 / 4);
	ctl_tx_close(&ctx);
}

/* A trace of the calls and pushes of ctx (THESEUSCTL_TRACE), in memory. */
struct trace {
	char *text;
	size_t len;
};

static void trace_on(struct ctl_ctx *ctx, struct trace *t)
{
	t->text = NULL;
	t->len = 0;
	ctx->trace = true;
	ctx->err = open_memstream(&t->text, &t->len);
	CHECK(ctx->err != NULL);
}

static void trace_off(struct ctl_ctx *ctx, struct trace *t)
{
	fclose(ctx->err);
	ctx->err = devnull;
	ctx->trace = false;
	free(t->text);
}

static void set_mode(enum relay_mode m)
{
	pthread_mutex_lock(&srv.lock);
	srv.mode = m;
	srv.seen = 0;
	pthread_mutex_unlock(&srv.lock);
}

/* Three datagrams in four lost: the first attempt of a ping is lost; after
 * that expiry the call sends CTL_CALL_COPIES datagrams per RTO, the third
 * gets through (the epoch refusal), and the fourth of the next ones (the
 * answer): one expiry in all (one datagram per RTO would take 6). */
static void test_call_copies_under_loss(void)
{
	struct ctl_ctx ctx;
	struct trace t;
	Theseus__Reply *rep;
	srv_restart();
	set_mode(LOSSY);
	ctx_open(&ctx, 2000, 3);
	trace_on(&ctx, &t);
	CHECK_EQ(ping(&ctx, &rep), TH_OK);
	free_rep(&rep);
	fflush(ctx.err);
	unsigned sent = 0, expired = 0;
	const char *at = t.text ? strstr(t.text, "call kind") : NULL;
	CHECK(at && sscanf(at, "call kind %*d: %u sent, %u expired", &sent, &expired) == 2);
	CHECK_EQ(expired, 1);
	CHECK_EQ(CTL_CALL_COPIES, LOSSY_N);
	CHECK_EQ(sent, 2 * LOSSY_N);
	trace_off(&ctx, &t);
	set_mode(HONEST);
	ctl_tx_close(&ctx);
}

/* The figures of a push's trace line. */
struct push_fig {
	unsigned chunks, sent, resent, copies, replies, expired, spurious, missing, decreases,
		undone, holds, collapses;
};

static bool push_figures(const char *text, struct push_fig *f)
{
	const char *at = text ? strstr(text, ": push ") : NULL;
	at = at ? strstr(at, ".bin: ") : NULL;
	return at && sscanf(at, ".bin: %u chunks of %*u, %u sent (%u resent, %u copies), "
			    "%u replies, %u expired (%u spurious), %u seen missing, "
			    "%u decreases (%u undone), %u holds, %u collapses", &f->chunks,
			    &f->sent, &f->resent, &f->copies, &f->replies, &f->expired,
			    &f->spurious, &f->missing, &f->decreases, &f->undone, &f->holds,
			    &f->collapses) == 12;
}

static int push_random(struct ctl_ctx *ctx, size_t len)
{
	uint8_t *obj = malloc(len), sha[PROTO_SHA256_LEN];
	CHECK(obj != NULL);
	for (size_t i = 0; i < len; i++)
		obj[i] = (uint8_t)random();
	proto_sha256(obj, len, sha);
	int ret = ctl_push_object(ctx, "obj.bin", obj, len, sha);
	free(obj);
	return ret;
}

/* What a push's figures must show in each mode of the test below. */
static bool clean_ok(const struct push_fig *f)
{
	return f->sent == f->chunks && f->copies == 0 && f->holds == 0;
}

static bool stray_loss_ok(const struct push_fig *f)
{
	return f->expired + f->missing >= 1 && f->holds == 0 && f->copies == 0 &&
	       f->sent <= f->chunks + 2 && f->spurious == 0 && f->undone == 0;
}

static bool lossy_ok(const struct push_fig *f)
{
	return f->holds > 0 && f->copies > 0 && f->collapses == 0;
}

/* Pushes 100 KiB until the figures satisfy ok, at most five times: a
 * loaded host (parallel test jobs) delays answers past RTOs, so that
 * expiries, copies and a collapse then have a reason the mode did not
 * give; such a run says nothing.  *f: the last run's figures. */
static void push_until(struct ctl_ctx *ctx, struct trace *t, struct push_fig *f,
		       enum relay_mode mode,
		       bool (*ok)(const struct push_fig *))
{
	for (int attempt = 0; attempt < 5; attempt++) {
		set_mode(mode);   /* DROP_ONE drops one datagram after each set */
		trace_on(ctx, t);
		CHECK_EQ(push_random(ctx, 100 * 1024), CTL_EXIT_OK);
		fflush(ctx->err);
		memset(f, 0, sizeof *f);
		CHECK(push_figures(t->text, f));
		trace_off(ctx, t);
		if (ok(f))
			return;
	}
}

/* A clean push sends every chunk once and no copies; one with a stray loss
 * resends that chunk and sends no copies; through a link that
 * loses three datagrams in four it completes, holding its window through
 * the losses (answers show progress) instead of halving it, and filling
 * it with copies of the chunks in flight. */
static void test_push_clean_and_lossy(void)
{
	struct ctl_ctx ctx;
	struct trace t;
	struct push_fig f = { 0 };
	srv_restart();
	ctx_open(&ctx, 2000, 3);
	push_until(&ctx, &t, &f, HONEST, clean_ok);
	CHECK(f.chunks > 64);
	CHECK_EQ(f.sent, f.chunks);
	CHECK_EQ(f.copies, 0);
	CHECK_EQ(f.holds, 0);

	/* One chunk lost: resent; not heavy loss, so the window is not
	 * held and no copies are sent. */
	push_until(&ctx, &t, &f, DROP_ONE, stray_loss_ok);
	CHECK(f.expired + f.missing >= 1);
	CHECK_EQ(f.holds, 0);
	CHECK_EQ(f.copies, 0);
	CHECK(f.sent <= f.chunks + 2);
	CHECK_EQ(f.spurious, 0);   /* a real loss: nothing to undo */
	CHECK_EQ(f.undone, 0);

	/* Heavy loss: the window is held and copies are sent, and loss alone
	 * never collapses it. */
	push_until(&ctx, &t, &f, LOSSY, lossy_ok);
	CHECK(f.holds > 0);
	CHECK(f.copies > 0);
	CHECK_EQ(f.collapses, 0);
	set_mode(HONEST);
	ctl_tx_close(&ctx);
}

/* A receiver that stops for a while (three RTOs) in the middle of a push:
 * chunks expire and the window halves, then every datagram arrives after
 * all.  The late answers are taken, not dropped as unmatched (the expired
 * chunks were not sent again), the expiries are seen as spurious and the
 * halving is undone.  (If the
 * host is too slow for the stall to make a chunk expire, or so slow that
 * the push collapses, the run says nothing: it is tried again, at most
 * ten times: a loaded host (parallel test jobs) missed three in a row.) */
static void test_push_spurious_undone(void)
{
	struct ctl_ctx ctx;
	struct trace t;
	struct push_fig f = { 0 };
	srv_restart();
	set_mode(HONEST);
	ctx_open(&ctx, 2000, 3);
	bool seen = false;
	for (int attempt = 0; attempt < 10 && !seen; attempt++) {
		Theseus__Reply *rep = NULL;
		for (int i = 0; i < 5; i++) {   /* round-trip samples: the RTO */
			CHECK_EQ(ping(&ctx, &rep), TH_OK);
			free_rep(&rep);
		}
		int64_t r = ctx.rto.rto > CTL_RTO_MIN_US ? ctx.rto.rto : CTL_RTO_MIN_US;
		srv.stall_ms = (unsigned)(3 * r / 1000);
		set_mode(STALL);
		trace_on(&ctx, &t);
		uint64_t unmatched0 = ctx.replies_unmatched;
		CHECK_EQ(push_random(&ctx, 400 * 1024), CTL_EXIT_OK);
		fflush(ctx.err);
		memset(&f, 0, sizeof f);
		CHECK(push_figures(t.text, &f));
		trace_off(&ctx, &t);
		set_mode(HONEST);
		/* A loaded host can also delay an answer past a second RTO (a
		 * resend with a reason): such a run says nothing either; a push
		 * that resends every time fails below, no run being seen. */
		if (f.expired == 0 || f.collapses || f.missing || f.resent ||
		    ctx.replies_unmatched != unmatched0)
			continue;
		seen = true;
		CHECK(f.spurious >= 1);
		CHECK(f.undone >= 1);
		CHECK_EQ(f.resent, 0);   /* nothing was lost: nothing sent twice */
		CHECK_EQ(f.sent, f.chunks);
		/* The late answers to expired chunks were taken, not dropped. */
		CHECK_EQ(ctx.replies_unmatched, unmatched0);
	}
	CHECK(seen);
	ctl_tx_close(&ctx);
}

/* The object status is answered, then every chunk vanishes: the window
 * collapses to the minimum (nothing answers) and the push gives up after
 * --timeout * (--retries + 1), naming the timeout. */
static void test_push_collapses(void)
{
	struct ctl_ctx ctx;
	struct trace t;
	struct push_fig f = { 0 };
	srv_restart();
	set_mode(NO_CHUNKS);
	ctx_open(&ctx, 100, 1);
	trace_on(&ctx, &t);
	CHECK_EQ(push_random(&ctx, 20 * 1024), CTL_EXIT_UNREACHABLE);
	fflush(ctx.err);
	CHECK(push_figures(t.text, &f));
	CHECK(f.collapses > 0);
	CHECK_EQ(f.holds, 0);
	CHECK_EQ(f.copies, 0);
	CHECK(strstr(t.text, "window 8.0,") != NULL);
	trace_off(&ctx, &t);
	set_mode(HONEST);
	ctl_tx_close(&ctx);
}

/* ctl_exports_fetch: a list of several pages is read whole, owners and
 * binding as the kernel named them; a list that changed between two pages
 * is read again from the start; one that never holds still is EBUSY. */
static void test_exports_fetch(void)
{
	struct ctl_ctx ctx;
	struct ctl_lint_syms t = { 0 };
	srv.mode = HONEST;
	pthread_mutex_lock(&srv.lock);
	srv.fx.extra_exports = 300;
	srv.fx.exports_reads = 0;
	srv.fx.exports_bump_at = 0;
	pthread_mutex_unlock(&srv.lock);
	ctx_open(&ctx, 500, 3);
	CHECK_EQ(ctl_exports_fetch(&ctx, &t), CTL_EXIT_OK);
	CHECK_EQ(t.n, 307);
	CHECK_EQ(t.api, FX_MODULE_API);
	uint32_t pages = srv.fx.exports_reads;
	CHECK(pages > 2);
	CHECK_STR(t.v[0].name, "th_log");
	CHECK_STR(t.v[0].owner, "the kernel");
	CHECK_STR(t.v[303].name, "hello_greet");
	CHECK_STR(t.v[303].owner, "hello");
	CHECK_STR(t.v[306].name, "kv_invoke_get");
	CHECK(!t.v[306].strong);
	CHECK_STR(ctl_lint_lookup(&t, "fx_generated_kernel_export_00299"), "the kernel");

	pthread_mutex_lock(&srv.lock);
	srv.fx.exports_reads = 0;
	srv.fx.exports_bump_at = 2;   /* the second page sees a new list */
	pthread_mutex_unlock(&srv.lock);
	CHECK_EQ(ctl_exports_fetch(&ctx, &t), CTL_EXIT_OK);
	CHECK_EQ(t.n, 307);           /* read again, not doubled */
	/* Two pages before the change was seen, then the whole list again:
	 * pages + 2 reads, more when a page was resent (a loaded host). */
	CHECK(srv.fx.exports_reads >= 2 + 3);

	pthread_mutex_lock(&srv.lock);
	srv.fx.exports_bump_always = true;
	pthread_mutex_unlock(&srv.lock);
	CHECK_EQ(ctl_exports_fetch(&ctx, &t), CTL_EXIT_REMOTE);
	CHECK_EQ(ctx.status, TH_EBUSY);
	CHECK(strstr(ctx.errmsg, "changed while it was read") != NULL);
	pthread_mutex_lock(&srv.lock);
	srv.fx.exports_bump_always = false;
	srv.fx.extra_exports = 0;
	pthread_mutex_unlock(&srv.lock);
	ctl_lint_free(&t);
	ctl_tx_close(&ctx);
}

/* ---- the session cache through the transport ---- */

static char sc_path[64];

/* A "process": a context with the cache as the file has it now. */
static void sc_ctx_open(struct ctl_ctx *ctx)
{
	ctx_open(ctx, 300, 3);
	ctx->sc = ctl_sc_open(sc_path, false);
	CHECK(ctx->sc != NULL);
	ctl_sc_fingerprint(KEY, ctx->key_fp);
	ctl_tx_close(ctx);   /* reopened with the cache in place */
	struct th_errbuf eb = { "" };
	CHECK_EQ(ctl_tx_open(ctx, &eb), TH_OK);
}

static void sc_ctx_close(struct ctl_ctx *ctx)
{
	ctl_tx_close(ctx);
	ctl_sc_close(ctx->sc);
	ctx->sc = NULL;
}

/* What the file says for the server: its epoch and kinds (0 if none). */
static uint64_t sc_file_epoch(uint32_t *kinds)
{
	struct ctl_sc *c = ctl_sc_open(sc_path, false);
	char fp[CTL_SC_FP_LEN + 1], target[64];
	uint64_t epoch = 0;
	*kinds = 0;
	ctl_sc_fingerprint(KEY, fp);
	snprintf(target, sizeof target, "127.0.0.1:%u", srv.port);
	if (!ctl_sc_lookup(c, fp, target, &epoch, kinds))
		epoch = 0;
	ctl_sc_close(c);
	return epoch;
}

static void test_session_cache(void)
{
	struct ctl_ctx ctx;
	Theseus__Reply *rep;
	uint32_t kinds;
	snprintf(sc_path, sizeof sc_path, "/tmp/ctl_transport_sc.%d", (int)getpid());
	unlink(sc_path);
	srv.mode = HONEST;
	/* 1: learns the epoch (one refusal) and writes it down */
	sc_ctx_open(&ctx);
	CHECK_EQ(ctx.epoch, 0);
	CHECK_EQ(ping(&ctx, &rep), TH_OK);
	free_rep(&rep);
	CHECK_EQ(ctx.stale_refusals, 1);
	sc_ctx_close(&ctx);
	CHECK_EQ(sc_file_epoch(&kinds), endpoint_epoch(srv.ep));
	CHECK_EQ(kinds, PROTO_MAC_KINDS);
	/* 2: starts in it, kind 1 from the first datagram: one datagram */
	memset(srv.kinds, 0, sizeof srv.kinds);
	sc_ctx_open(&ctx);
	CHECK_EQ(ctx.epoch, endpoint_epoch(srv.ep));
	CHECK_EQ(ctl_mac_kind(&ctx), PROTO_MAC_KIND_POLY);
	uint64_t cid = ctx.client_id;
	CHECK_EQ(ping(&ctx, &rep), TH_OK);
	free_rep(&rep);
	CHECK_EQ(ctx.stale_refusals, 0);
	CHECK_EQ(srv.kinds[0], 0);
	CHECK_EQ(srv.kinds[1], 1);
	CHECK(!ctx.kinds_cached);   /* confirmed by the sealed reply */
	sc_ctx_close(&ctx);
	/* every process draws its own client id */
	sc_ctx_open(&ctx);
	CHECK(ctx.client_id != cid);
	sc_ctx_close(&ctx);
	/* 3: a reboot: one refusal, success, the new epoch written down */
	uint64_t old = endpoint_epoch(srv.ep);
	srv_restart();
	sc_ctx_open(&ctx);
	CHECK_EQ(ctx.epoch, old);
	CHECK_EQ(ping(&ctx, &rep), TH_OK);
	free_rep(&rep);
	CHECK_EQ(ctx.stale_refusals, 1);
	sc_ctx_close(&ctx);
	CHECK(endpoint_epoch(srv.ep) != old);
	CHECK_EQ(sc_file_epoch(&kinds), endpoint_epoch(srv.ep));
	/* 4: unauthenticated replies (a relay forging them) change nothing */
	srv.mode = FORGE;
	struct stat st0, st1;
	CHECK_EQ(stat(sc_path, &st0), 0);
	sc_ctx_open(&ctx);
	ctx.timeout_ms = 30;
	ctx.retries = 1;
	CHECK_EQ(ping(&ctx, &rep), TH_EAUTH);
	free_rep(&rep);
	sc_ctx_close(&ctx);
	CHECK_EQ(stat(sc_path, &st1), 0);
	CHECK(st0.st_ino == st1.st_ino && st0.st_mtime == st1.st_mtime);   /* not rewritten */
	CHECK_EQ(sc_file_epoch(&kinds), endpoint_epoch(srv.ep));
	CHECK_EQ(kinds, PROTO_MAC_KINDS);
	/* 5: a kernel that no longer takes kind 1 and says so (EAUTH,
	 * unsealed): HMAC at once, success, the entry fixed */
	srv.mode = OLD_REFUSING;
	memset(srv.kinds, 0, sizeof srv.kinds);
	sc_ctx_open(&ctx);
	CHECK_EQ(ping(&ctx, &rep), TH_OK);
	free_rep(&rep);
	CHECK_EQ(srv.kinds[1], 1);
	CHECK_EQ(srv.kinds[0], 1);
	CHECK_EQ(ctx.mac_kinds, 0);
	CHECK_EQ(ctl_mac_kind(&ctx), PROTO_MAC_KIND_HMAC);
	sc_ctx_close(&ctx);
	CHECK_EQ(sc_file_epoch(&kinds), endpoint_epoch(srv.ep));
	CHECK_EQ(kinds, 0);
	/* 6: ... and one that is silent about it: HMAC after one RTO */
	srv.mode = HONEST;
	sc_ctx_open(&ctx);
	CHECK_EQ(ping(&ctx, &rep), TH_OK);   /* kinds 3 again in the cache */
	free_rep(&rep);
	sc_ctx_close(&ctx);
	srv.mode = OLD_KERNEL;
	memset(srv.kinds, 0, sizeof srv.kinds);
	sc_ctx_open(&ctx);
	CHECK(ctx.kinds_cached);
	CHECK_EQ(ping(&ctx, &rep), TH_OK);
	free_rep(&rep);
	CHECK_EQ(srv.kinds[1], 1);
	CHECK_EQ(srv.kinds[0], 1);
	sc_ctx_close(&ctx);
	CHECK_EQ(sc_file_epoch(&kinds), endpoint_epoch(srv.ep));
	CHECK_EQ(kinds, 0);
	/* 7: a request that must not run twice (swap) is HMAC'd while only
	 * the cache vouches for kind 1 */
	srv.mode = HONEST;
	sc_ctx_open(&ctx);
	CHECK_EQ(ping(&ctx, &rep), TH_OK);
	free_rep(&rep);
	sc_ctx_close(&ctx);
	memset(srv.kinds, 0, sizeof srv.kinds);
	sc_ctx_open(&ctx);
	CHECK(ctx.kinds_cached);
	Theseus__Request req = THESEUS__REQUEST__INIT;
	Theseus__SwapRequest sw = THESEUS__SWAP_REQUEST__INIT;
	req.kind_case = THESEUS__REQUEST__KIND_SWAP;
	req.swap = &sw;
	int st = ctl_call(&ctx, &req, &rep);
	CHECK(st != TH_ETIMEDOUT && st != TH_EAUTH);   /* answered (an empty swap is refused) */
	free_rep(&rep);
	CHECK_EQ(srv.kinds[0], 1);
	CHECK_EQ(srv.kinds[1], 0);
	CHECK_EQ(ctl_mac_kind(&ctx), PROTO_MAC_KIND_POLY);   /* the sealed reply said so */
	sc_ctx_close(&ctx);
	/* --mac hmac with a cache: HMAC throughout, the epoch still used */
	memset(srv.kinds, 0, sizeof srv.kinds);
	sc_ctx_open(&ctx);
	ctx.mac_mode = CTL_MAC_HMAC;
	CHECK_EQ(ping(&ctx, &rep), TH_OK);
	free_rep(&rep);
	CHECK_EQ(srv.kinds[0], 1);
	CHECK_EQ(srv.kinds[1], 0);
	CHECK_EQ(ctx.stale_refusals, 0);
	sc_ctx_close(&ctx);
	unlink(sc_path);
}

int main(void)
{
	devnull = fopen("/dev/null", "w");
	srv_start();
	RUN(test_epoch_learned_and_relearned);
	RUN(test_mac_kinds);
	RUN(test_forged_replies_dropped);
	RUN(test_rewritten_reply_dropped);
	RUN(test_unmatched_reply_ignored);
	RUN(test_dup_refusal_first);
	RUN(test_late_refusals);
	RUN(test_rto_measured);
	RUN(test_exports_fetch);
	RUN(test_call_copies_under_loss);
	RUN(test_push_clean_and_lossy);
	RUN(test_push_spurious_undone);
	RUN(test_push_collapses);
	RUN(test_session_cache);
	srv_stop();
	return check_summary("ctl_transport");
}
