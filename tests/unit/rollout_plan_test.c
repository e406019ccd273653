/*
 * rollout_plan_test.c - host unit tests of the rollout arithmetic and state
 * file (ctl/rollout_plan.c, ctl/rollout_state.c): waves 1,10%,100% over 1,
 * 7, 64 and 256 hosts, other lists, bad lists refused with a message naming
 * the item, failure budgets, the state file's round trip and its
 * refusals of malformed lines, and its lock (ctl/rollout_lock.c): a second
 * holder is refused naming the file and the holder's pid.
 */
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "rollout.h"

/* Resolves spec for n hosts into "e1,e2,..." (or "ERR:<message>"). */
static const char *plan(const char *spec, size_t n)
{
	static char out[512];
	struct rollout_waves w;
	struct th_errbuf eb = { "" };
	size_t ends[ROLLOUT_MAX_WAVES + 1], nw = 0;
	if (rollout_waves_parse(spec, &w, &eb) != TH_OK ||
	    rollout_waves_resolve(&w, n, ends, &nw, &eb) != TH_OK) {
		snprintf(out, sizeof out, "ERR:%s", eb.msg);
		return out;
	}
	out[0] = 0;
	for (size_t i = 0; i < nw; i++) {
		size_t l = strlen(out);
		snprintf(out + l, sizeof out - l, "%s%zu", i ? "," : "", ends[i]);
	}
	return out;
}

static void test_waves_1_10_100(void)
{
	CHECK_STR(plan("1,10%,100%", 1), "1");
	CHECK_STR(plan("1,10%,100%", 7), "1,7");          /* 10% of 7 rounds up to 1 */
	CHECK_STR(plan("1,10%,100%", 64), "1,7,64");      /* 6.4 -> 7 */
	CHECK_STR(plan("1,10%,100%", 256), "1,26,256");   /* 25.6 -> 26 */
}

static void test_waves_other(void)
{
	CHECK_STR(plan(ROLLOUT_DEFAULT_WAVES, 1), "1");
	CHECK_STR(plan(ROLLOUT_DEFAULT_WAVES, 64), "1,64");
	CHECK_STR(plan("1,10%", 64), "1,7,64");           /* the rest is a last wave */
	CHECK_STR(plan("5", 3), "3");                     /* a count caps at the fleet */
	CHECK_STR(plan("2,2,50%", 10), "2,5,10");         /* equal targets merge */
	CHECK_STR(plan("100%", 256), "256");
	CHECK_STR(plan("1%", 256), "3,256");
	CHECK_STR(plan("1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,"
		       "27,28,29,30,31,32", 40), "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,"
		       "20,21,22,23,24,25,26,27,28,29,30,31,32,40");
}

static void expect_err(const char *spec, size_t n, const char *needle)
{
	const char *r = plan(spec, n);
	if (strncmp(r, "ERR:", 4) != 0 || !strstr(r, needle)) {
		fprintf(stderr, "  spec \"%s\": got \"%s\", want an error with \"%s\"\n", spec, r,
			needle);
		check_failures_in_test_++;
	}
}

static void test_waves_refused(void)
{
	expect_err("", 4, "empty list");
	expect_err("1,,100%", 4, "item 2 is empty");
	expect_err("1,", 4, "ends with a comma");
	expect_err(",1", 4, "item 1 is empty");
	expect_err("0,100%", 4, "item 1 (0) is zero");
	expect_err("0%", 4, "is zero");
	expect_err("1,101%", 4, "item 2 (101%) is above 100%");
	expect_err("ten", 4, "item 1 (ten) is not a count or a percentage");
	expect_err("1, 10%", 4, "item 2 ( 10%) is not a count");
	expect_err("-1", 4, "item 1 (-1) is not a count");
	expect_err("1.5%", 4, "not a count");
	expect_err("%", 4, "item 1 (%) has no number");
	expect_err("10%,5%", 4, "item 2 (5%) is below item 1");
	expect_err("5,2", 4, "item 2 (2) is below item 1");
	expect_err("99999999999999999999", 4, "longer than");
	expect_err("9999999", 4, "too large");
	expect_err("1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1", 4,
		   "more than 32 waves");
	expect_err("50,10%", 256, "item 2 (10% = 26 hosts) is below an earlier wave (50");
	expect_err("1", 0, "no hosts");
	char big[ROLLOUT_SPEC_MAX + 8];
	memset(big, '1', sizeof big - 1);
	big[sizeof big - 1] = 0;
	expect_err(big, 4, "longer than 256 characters");
}

static void test_budget(void)
{
	struct rollout_amount b;
	struct th_errbuf eb = { "" };
	CHECK_EQ(rollout_budget_parse("0", &b, &eb), TH_OK);
	CHECK_EQ(rollout_budget_resolve(&b, 64), 0);
	CHECK_EQ(rollout_budget_parse("3", &b, &eb), TH_OK);
	CHECK_EQ(rollout_budget_resolve(&b, 64), 3);
	CHECK_EQ(rollout_budget_parse("5%", &b, &eb), TH_OK);
	CHECK_EQ(rollout_budget_resolve(&b, 64), 3);      /* 3.2 rounds down */
	CHECK_EQ(rollout_budget_resolve(&b, 10), 0);
	CHECK_EQ(rollout_budget_parse("100%", &b, &eb), TH_OK);
	CHECK_EQ(rollout_budget_resolve(&b, 7), 7);
	CHECK(rollout_budget_parse("", &b, &eb) != TH_OK);
	CHECK(strstr(eb.msg, "--max-fail: value is empty") != NULL);
	CHECK(rollout_budget_parse("x%", &b, &eb) != TH_OK);
	CHECK(strstr(eb.msg, "--max-fail: value (x%) is not a count") != NULL);
	CHECK(rollout_budget_parse("120%", &b, &eb) != TH_OK);
	CHECK(strstr(eb.msg, "above 100%") != NULL);
	CHECK(rollout_budget_parse("1234567890123", &b, &eb) != TH_OK);
	CHECK(strstr(eb.msg, "longer than") != NULL);
}

static const char *H64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

static void test_state_roundtrip(void)
{
	char path[] = "/tmp/rollout_state_XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	close(fd);
	struct rollout_state s, t;
	struct th_errbuf eb = { "" };
	memset(&s, 0, sizeof s);
	snprintf(s.module, sizeof s.module, "hello");
	snprintf(s.new_hash, sizeof s.new_hash, "%s", H64);
	struct rollout_state_host *h = rollout_state_host(&s, "10.0.0.1:7700");
	CHECK(h != NULL);
	if (h) {
		h->st = RH_DONE;
		snprintf(h->old_version, sizeof h->old_version, "1.0 beta%%/x");
		snprintf(h->old_hash, sizeof h->old_hash, "%s", H64);
	}
	h = rollout_state_host(&s, "lab2:7701");
	if (h)
		h->st = RH_SWAPPING;   /* not loaded before: "" and "" */
	h = rollout_state_host(&s, "lab3:7701");   /* pending: written too (version 2) */
	snprintf(s.waves, sizeof s.waves, "1,10%%,100%%");
	s.stopped_wave = 2;
	CHECK_EQ(s.n, 3);
	CHECK_EQ(rollout_state_save(path, &s, &eb), TH_OK);
	CHECK_EQ(rollout_state_load(path, &t, &eb), TH_OK);
	CHECK_STR(t.module, "hello");
	CHECK_STR(t.new_hash, H64);
	CHECK_EQ(t.version, 2);
	CHECK_STR(t.waves, "1,10%,100%");
	CHECK_EQ(t.stopped_wave, 2);
	CHECK_EQ(t.n, 3);
	const struct rollout_state_host *a = rollout_state_find(&t, "10.0.0.1:7700");
	CHECK(a && a->st == RH_DONE);
	if (a) {
		CHECK_STR(a->old_version, "1.0 beta%/x");
		CHECK_STR(a->old_hash, H64);
	}
	const struct rollout_state_host *b = rollout_state_find(&t, "lab2:7701");
	CHECK(b && b->st == RH_SWAPPING && !b->old_version[0] && !b->old_hash[0]);
	const struct rollout_state_host *c = rollout_state_find(&t, "lab3:7701");
	CHECK(c && c->st == RH_PENDING);
	CHECK(t.n == 3 && strcmp(t.hosts[2].label, "lab3:7701") == 0);   /* in order */
	/* the same hosts, in the same order; anything else is named */
	const char *same[] = { "10.0.0.1:7700", "lab2:7701", "lab3:7701" };
	const char *other[] = { "10.0.0.1:7700", "lab4:7701", "lab3:7701" };
	const char *swapped[] = { "lab2:7701", "10.0.0.1:7700", "lab3:7701" };
	CHECK_EQ(rollout_state_same_hosts(&t, "st", same, 3, &eb), TH_OK);
	CHECK_EQ(rollout_state_same_hosts(&t, "st", same, 2, &eb), TH_ECONFLICT);
	CHECK(strstr(eb.msg, "not given now: lab3:7701") != NULL);
	CHECK_EQ(rollout_state_same_hosts(&t, "st", other, 3, &eb), TH_ECONFLICT);
	CHECK(strstr(eb.msg, "not given now: lab2:7701; not in it: lab4:7701") != NULL);
	CHECK_EQ(rollout_state_same_hosts(&t, "st", swapped, 3, &eb), TH_ECONFLICT);
	CHECK(strstr(eb.msg, "another order") != NULL);
	rollout_state_free(&s);
	rollout_state_free(&t);
	unlink(path);
	CHECK_EQ(rollout_state_load(path, &t, &eb), TH_ENOENT);
}

/* A version-1 file (before hosts and waves were recorded) still reads; a
 * resume must give every host it lists. */
static void test_state_v1(void)
{
	char text[512];
	struct rollout_state s;
	struct th_errbuf eb = { "" };
	snprintf(text, sizeof text, "rollout 1 m %s\nh:1 done 1.0 -\n", H64);
	CHECK_EQ(rollout_state_parse("st", text, strlen(text), &s, &eb), TH_OK);
	CHECK_EQ(s.version, 1);
	CHECK_STR(s.waves, "");
	const char *more[] = { "h:2", "h:1" }, *fewer[] = { "h:2" };
	CHECK_EQ(rollout_state_same_hosts(&s, "st", more, 2, &eb), TH_OK);
	CHECK_EQ(rollout_state_same_hosts(&s, "st", fewer, 1, &eb), TH_ECONFLICT);
	CHECK(strstr(eb.msg, "not given now: h:1") != NULL);
	rollout_state_free(&s);
}

static void expect_state_err(const char *text, const char *needle)
{
	struct rollout_state s;
	struct th_errbuf eb = { "" };
	int err = rollout_state_parse("st", text, strlen(text), &s, &eb);
	if (err == TH_OK || !strstr(eb.msg, needle)) {
		fprintf(stderr, "  state \"%s\": got %d \"%s\", want \"%s\"\n", text, err, eb.msg,
			needle);
		check_failures_in_test_++;
	}
	if (err == TH_OK)
		rollout_state_free(&s);
}

static void test_state_refused(void)
{
	char buf[1024];
	expect_state_err("", "st: empty");
	expect_state_err("hello\n", "st:1: not a rollout state file");
	expect_state_err("rollout 3 hello abc\n", "st:1: not a rollout state file");
	snprintf(buf, sizeof buf, "rollout 2 m %s\nwaves 1;2\n", H64);
	expect_state_err(buf, "st:2: waves is not a --waves list");
	snprintf(buf, sizeof buf, "rollout 2 m %s\nstopped 0\n", H64);
	expect_state_err(buf, "st:2: stopped is not a wave number");
	snprintf(buf, sizeof buf, "rollout 1 m %s\nh:1 pending - -\n", H64);
	expect_state_err(buf, "st:2: state \"pending\" is none of swapping");
	expect_state_err("rollout 1 hello abc\n", "st:1: object hash is not 64 hex digits");
	snprintf(buf, sizeof buf, "# c\nrollout 1 %0100d %s\n", 0, H64);
	expect_state_err(buf, "st:2: module name of 100 bytes");
	snprintf(buf, sizeof buf, "rollout 1 m %s\nh:1 done 1.0\n", H64);
	expect_state_err(buf, "st:2: want HOST:PORT STATE OLD_VERSION OLD_SHA256 (3 fields)");
	snprintf(buf, sizeof buf, "rollout 1 m %s\nh:1 done 1.0 - extra\n", H64);
	expect_state_err(buf, "(5 fields)");
	snprintf(buf, sizeof buf, "rollout 1 m %s\nnocolon done 1.0 -\n", H64);
	expect_state_err(buf, "st:2: host is not HOST:PORT");
	snprintf(buf, sizeof buf, "rollout 1 m %s\nh:1 finished 1.0 -\n", H64);
	expect_state_err(buf, "st:2: state \"finished\" is none of");
	snprintf(buf, sizeof buf, "rollout 1 m %s\nh:1 done 1.0 abc\n", H64);
	expect_state_err(buf, "st:2: old hash is neither");
	snprintf(buf, sizeof buf, "rollout 1 m %s\nh:1 done 1%%2 -\n", H64);
	expect_state_err(buf, "st:2: old version is badly escaped");
	snprintf(buf, sizeof buf, "rollout 1 m %s\nh:1 done 1%%00 -\n", H64);
	expect_state_err(buf, "badly escaped");
	snprintf(buf, sizeof buf, "rollout 1 m %s\nh:1 done %040d -\n", H64, 0);
	expect_state_err(buf, "longer than 31 bytes");
	snprintf(buf, sizeof buf, "rollout 1 m %s\nh:1 done 1.0 -\nh:1 failed 1.0 -\n", H64);
	expect_state_err(buf, "st:3: host h:1 listed twice");
	char longline[ROLLOUT_STATE_LINE_MAX + 100];
	memset(longline, 'a', sizeof longline - 1);
	longline[sizeof longline - 1] = 0;
	expect_state_err(longline, "st:1: line longer than 512 bytes");
	struct rollout_state s;
	struct th_errbuf eb = { "" };
	static const char nul[] = "rollout 1 m x\0y\n";
	CHECK(rollout_state_parse("st", nul, sizeof nul - 1, &s, &eb) != TH_OK);
	CHECK(strstr(eb.msg, "NUL byte") != NULL);
}

/* flock is per open file: a second lock in this process conflicts as a
 * second theseusctl's would. */
static void test_state_lock(void)
{
	char dir[] = "/tmp/rollout-lock-XXXXXX", path[64], want[64];
	struct th_errbuf eb = { "" };
	int a = -1, b = -1;
	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof path, "%s/st", dir);
	CHECK(rollout_state_lock(path, &a, &eb) == TH_OK && a >= 0);
	CHECK(rollout_state_lock(path, &b, &eb) == TH_EBUSY && b == -1);
	CHECK(strstr(eb.msg, path) && strstr(eb.msg, "is in use by another rollout"));
	snprintf(want, sizeof want, "pid %ld holds", (long)getpid());
	CHECK(strstr(eb.msg, want) != NULL);
	rollout_state_unlock(a);
	eb.msg[0] = 0;
	CHECK(rollout_state_lock(path, &b, &eb) == TH_OK && b >= 0);   /* free again */
	rollout_state_unlock(b);
	char nodir[96];
	snprintf(nodir, sizeof nodir, "%s/missing/st", dir);
	CHECK(rollout_state_lock(nodir, &b, &eb) == TH_EIO && b == -1);
	CHECK(strstr(eb.msg, "missing/st.lock") != NULL);
	/* a directory given as the state file: said, and no DIR.lock made */
	CHECK(rollout_state_lock(dir, &b, &eb) == TH_EINVAL && b == -1);
	CHECK(strstr(eb.msg, "is a directory, not a state file") != NULL);
	char dlock[64];
	snprintf(dlock, sizeof dlock, "%s.lock", dir);
	CHECK(access(dlock, F_OK) != 0);
	snprintf(path, sizeof path, "%s/st.lock", dir);
	CHECK(unlink(path) == 0 && rmdir(dir) == 0);
}

int main(void)
{
	RUN(test_waves_1_10_100);
	RUN(test_waves_other);
	RUN(test_waves_refused);
	RUN(test_budget);
	RUN(test_state_roundtrip);
	RUN(test_state_refused);
	RUN(test_state_v1);
	RUN(test_state_lock);
	return check_summary("rollout_plan");
}
