/*
 * endpoint_profile.c - host unit tests of the endpoint's profile request
 * (net/endpoint/profile_request.c) against the fixture backend's fake
 * profiler: the key is required (wrong key and no key refused, nothing
 * changed), start and stop together refused, start / report / stop, paging
 * (every entry once, in order; the report recomputed only for offset 0),
 * pages that fit the reply capacity even with 63-byte names, offsets past
 * the end, and kernels without a profiler (ENOTSUP).
 */
#include "check.h"
#include "endpoint_fixture.h"
#include "endpoint_impl.h"

static const uint8_t KEY[32] = { 7, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
				 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31 };
static const uint8_t WRONG[32] = { 9 };

struct t {
	struct fx_backend fx;
	struct endpoint *ep;
	uint64_t counter;
	uint8_t reply[PROTO_MAX_DATAGRAM];
	size_t rlen;
	Theseus__Reply *rep;
	bool sealed;
};

static void t_init(struct t *t, bool with_key)
{
	memset(t, 0, sizeof *t);
	fx_backend_init(&t->fx);
	struct endpoint_ops ops = fx_ops(&t->fx);
	struct endpoint_config cfg = { .key = with_key ? KEY : NULL };
	struct th_errbuf eb = { "" };
	CHECK_EQ(endpoint_create(&cfg, &ops, &t->ep, &eb), TH_OK);
	t->counter = 1000;
	fx_epoch = t->ep ? endpoint_epoch(t->ep) : 0;
}

static void t_fini(struct t *t)
{
	if (t->rep)
		theseus__reply__free_unpacked(t->rep, NULL);
	endpoint_destroy(t->ep);
}

/* One profile request under key (NULL: no MAC) with a reply capacity of
 * cap bytes; returns the reply's status (TH_EIO: no reply). */
static int t_profile_cap(struct t *t, const uint8_t *key, bool start, bool stop,
			 uint32_t offset, size_t cap)
{
	Theseus__Request req = THESEUS__REQUEST__INIT;
	Theseus__ProfileRequest pq = THESEUS__PROFILE_REQUEST__INIT;
	pq.start = start;
	pq.stop = stop;
	pq.offset = offset;
	req.kind_case = THESEUS__REQUEST__KIND_PROFILE;
	req.profile = &pq;
	uint8_t dgram[2048];
	uint64_t counter = ++t->counter;
	size_t dlen = fx_datagram(key, PROTO_VERSION, 42, counter, &req, dgram, sizeof dgram);
	CHECK(dlen > 0);
	if (t->rep)
		theseus__reply__free_unpacked(t->rep, NULL);
	t->rep = NULL;
	t->sealed = false;
	t->rlen = 0;
	CHECK(cap <= sizeof t->reply);
	CHECK_EQ(endpoint_handle(t->ep, dgram, dlen, t->reply, cap, &t->rlen), TH_OK);
	if (t->rlen == 0)
		return TH_EIO;
	CHECK(t->rlen <= cap);
	t->rep = theseus__reply__unpack(NULL, t->rlen, t->reply);
	CHECK(t->rep != NULL);
	if (!t->rep)
		return TH_EIO;
	struct proto_binding b = { 42, counter, fx_epoch };
	size_t body;
	t->sealed = proto_reply_open(KEY, &b, t->reply, t->rlen, &body) == TH_OK;
	return proto_status_from_wire(t->rep->status);
}

static int t_profile(struct t *t, bool start, bool stop, uint32_t offset)
{
	return t_profile_cap(t, KEY, start, stop, offset, sizeof t->reply);
}

static void test_auth_required(void)
{
	struct t t;
	t_init(&t, true);
	CHECK_EQ(t_profile_cap(&t, WRONG, true, false, 0, sizeof t.reply), TH_EAUTH);
	CHECK(!t.sealed);
	CHECK_EQ(t.rep->payload_case, THESEUS__REPLY__PAYLOAD__NOT_SET);
	CHECK(!t.fx.profile_running && !t.fx.profile_started);
	CHECK_EQ(t_profile_cap(&t, NULL, true, false, 0, sizeof t.reply), TH_EAUTH);
	CHECK(!t.fx.profile_started);
	CHECK_EQ(t.fx.profile_refreshes, 0);
	t_fini(&t);

	t_init(&t, false);   /* no key configured: refused, not a read-only request */
	CHECK_EQ(t_profile_cap(&t, WRONG, true, false, 0, sizeof t.reply), TH_EAUTH);
	CHECK(strstr(t.rep->message, "no key configured") != NULL);  /* (a MAC's room) */
	CHECK_EQ(t_profile_cap(&t, NULL, false, false, 0, sizeof t.reply), TH_EAUTH);
	CHECK(!t.fx.profile_started);
	t_fini(&t);
}

static void test_start_and_stop_refused(void)
{
	struct t t;
	t_init(&t, true);
	CHECK_EQ(t_profile(&t, true, true, 0), TH_EINVAL);
	CHECK(t.sealed);
	CHECK(strstr(t.rep->message, "start and stop") != NULL);
	CHECK(!t.fx.profile_started && !t.fx.profile_running);
	CHECK_EQ(t.fx.profile_refreshes, 0);
	t_fini(&t);
}

static void test_start_report_stop(void)
{
	struct t t;
	t_init(&t, true);
	CHECK_EQ(t_profile(&t, true, false, 0), TH_OK);
	CHECK(t.sealed);
	CHECK_EQ(t.rep->payload_case, THESEUS__REPLY__PAYLOAD_PROFILE);
	Theseus__ProfileReply *p = t.rep->profile;
	CHECK(p->running);
	CHECK_EQ(p->samples, 0);
	CHECK_EQ(p->entries_total, 0);
	CHECK_EQ(p->n_entries, 0);
	CHECK_EQ(p->n_cpus, 2);
	CHECK_EQ(p->hz, 1000);
	/* neither: the report as it stands, still running */
	CHECK_EQ(t_profile(&t, false, false, 0), TH_OK);
	p = t.rep->profile;
	CHECK(p->running);
	CHECK(t.fx.profile_running);
	CHECK_EQ(p->entries_total, 4);
	CHECK_EQ(p->n_entries, 4);
	/* stop: the run's report */
	CHECK_EQ(t_profile(&t, false, true, 0), TH_OK);
	p = t.rep->profile;
	CHECK(!p->running);
	CHECK(!t.fx.profile_running);
	CHECK_EQ(p->elapsed_ms, 3000);
	CHECK_EQ(p->samples, 1024);
	CHECK_EQ(p->n_entries, 4);
	CHECK_STR(p->entries[0]->function, "br_sha2small_round");
	CHECK_STR(p->entries[0]->module, "kernel");
	CHECK_EQ(p->entries[0]->samples, 512);
	CHECK_STR(p->entries[2]->function, "idle_loop");
	CHECK_EQ(p->entries[2]->idle, 200);
	CHECK_STR(p->entries[3]->module, "kv");
	CHECK_EQ(p->cpus[0]->cpu, 0);
	CHECK_EQ(p->cpus[1]->cpu, 1);
	CHECK_EQ(p->cpus[0]->samples + p->cpus[1]->samples, 1024);
	CHECK_EQ(p->cpus[1]->idle, 200);
	/* stopped: the report again, unchanged */
	CHECK_EQ(t_profile(&t, false, false, 0), TH_OK);
	CHECK(!t.rep->profile->running);
	CHECK_EQ(t.rep->profile->samples, 1024);
	/* past the end */
	CHECK_EQ(t_profile(&t, false, false, 4), TH_OK);
	CHECK_EQ(t.rep->profile->n_entries, 0);
	CHECK_EQ(t_profile(&t, false, false, 5), TH_ERANGE);
	CHECK(strstr(t.rep->message, "offset 5 is beyond the 4 entries") != NULL);
	t_fini(&t);
}

/* Pages: every entry exactly once, in rank order, each page within the
 * capacity; the report is recomputed for offset 0 only. */
static void page_all(struct t *t, size_t cap, uint32_t want_total, uint32_t *pages)
{
	uint32_t next = 0, before = t->fx.profile_refreshes;
	*pages = 0;
	while (*pages < 400) {
		CHECK_EQ(t_profile_cap(t, KEY, false, false, next, cap), TH_OK);
		if (!t->rep || t->rep->payload_case != THESEUS__REPLY__PAYLOAD_PROFILE)
			return;
		CHECK(t->rlen <= cap);
		Theseus__ProfileReply *p = t->rep->profile;
		CHECK_EQ(p->entries_total, want_total);
		CHECK_EQ(p->offset, next);
		CHECK_EQ(p->n_cpus, 2);
		for (size_t i = 0; i < p->n_entries; i++) {
			uint32_t k = next + (uint32_t)i;
			if (k >= 4 && t->fx.profile_long_names) {
				CHECK_EQ(strlen(p->entries[i]->function), 63);
				CHECK_EQ(strlen(p->entries[i]->module), 63);
			} else if (k >= 4) {
				char want[64];
				snprintf(want, sizeof want, "fx_generated_function_%05u", k - 4);
				CHECK_STR(p->entries[i]->function, want);
			}
		}
		(*pages)++;
		if (p->n_entries == 0)
			break;
		next += (uint32_t)p->n_entries;
	}
	CHECK_EQ(next, want_total);
	CHECK_EQ(t->fx.profile_refreshes, before + 1);
}

static void test_pages(void)
{
	struct t t;
	t_init(&t, true);
	t.fx.profile_extra = 300;
	CHECK_EQ(t_profile(&t, true, false, 0), TH_OK);
	uint32_t pages;
	page_all(&t, sizeof t.reply, 304, &pages);
	CHECK(pages > 5);   /* bounded by the datagram, not one reply */
	t.fx.profile_long_names = true;
	page_all(&t, sizeof t.reply, 304, &pages);
	CHECK(pages > 20);
	page_all(&t, ENDPOINT_MIN_REPLY_CAP, 304, &pages);   /* the smallest capacity */
	CHECK(pages > 20);
	t_fini(&t);
}

static void test_not_supported(void)
{
	struct t t;
	t_init(&t, true);
	t.ep->ops.profile_control = NULL;
	CHECK_EQ(t_profile(&t, false, false, 0), TH_ENOTSUP);
	CHECK(strstr(t.rep->message, "profile: not supported") != NULL);
	t_fini(&t);
}

int main(void)
{
	RUN(test_auth_required);
	RUN(test_start_and_stop_refused);
	RUN(test_start_report_stop);
	RUN(test_pages);
	RUN(test_not_supported);
	return check_summary("endpoint_profile");
}
