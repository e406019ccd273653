/*
 * profile_agg_test.c - host unit tests of the profiler's report
 * (kernel/core/profile_agg.c) with a fake resolver: grouping by (function,
 * module), kernel/module/unknown attribution, the sort (samples descending,
 * ties by function then module), idle and per-CPU totals, slots not yet
 * written, names cut to 63 bytes, and more functions than the table holds
 * (the rest in one "(other)" entry, never dropped).
 */
#include "check.h"
#include "profile.h"

/* Fake symbol map: rip / 0x1000 picks the symbol; 100.. generated names. */
static char gen_name[128];

static bool fake_resolve(void *ctx, uint64_t rip, const char **function, const char **module)
{
	(void)ctx;
	uint64_t k = rip / 0x1000;
	*module = NULL;
	switch (k) {
	case 1: *function = "alpha"; return true;               /* kernel */
	case 2: *function = "beta"; return true;                /* kernel */
	case 3: *function = "beta"; *module = "mod"; return true; /* same name, a module */
	case 4: *function = "gamma"; *module = "mod"; return true;
	case 5: *module = "mod"; return false;                  /* in mod, no symbol */
	case 6: return false;                                   /* nowhere */
	case 7: /* a 100-byte name */
		memset(gen_name, 'x', 100);
		gen_name[100] = 0;
		*function = gen_name;
		return true;
	default:
		snprintf(gen_name, sizeof gen_name, "fn_%05llu", (unsigned long long)k);
		*function = gen_name;
		*module = "many";
		return true;
	}
}

static void add(struct profile_sample *s, size_t *n, uint64_t rip, unsigned cpu, bool idle,
		unsigned times)
{
	for (unsigned i = 0; i < times; i++)
		s[(*n)++] = (struct profile_sample){ .rip = rip + i, .cpu = (uint16_t)cpu,
						     .idle = idle, .valid = 1 };
}

static const struct profile_entry *find(const struct profile_agg *a, const char *fn,
					const char *mod)
{
	for (uint32_t i = 0; i < a->n_entries; i++) {
		const struct profile_entry *e = profile_agg_entry(a, i);
		if (!strcmp(e->function, fn) && !strcmp(e->module, mod))
			return e;
	}
	return NULL;
}

static void check_sorted(const struct profile_agg *a)
{
	for (uint32_t i = 1; i < a->n_entries; i++) {
		const struct profile_entry *p = profile_agg_entry(a, i - 1), *e = profile_agg_entry(a, i);
		CHECK(p->samples >= e->samples);
		if (p->samples == e->samples) {
			int c = strcmp(p->function, e->function);
			CHECK(c < 0 || (c == 0 && strcmp(p->module, e->module) < 0));
		}
	}
}

static struct profile_agg agg;
static struct profile_sample buf[PROFILE_MAX_SAMPLES];

static void test_group_sort_idle_cpus(void)
{
	size_t n = 0;
	add(buf, &n, 0x1000, 0, false, 5);   /* alpha: 5, cpu0 */
	add(buf, &n, 0x2000, 1, true, 5);    /* beta (kernel): 5, idle, cpu1 */
	add(buf, &n, 0x3000, 1, false, 2);   /* beta [mod]: 2 */
	add(buf, &n, 0x4000, 0, false, 7);   /* gamma [mod]: 7 */
	add(buf, &n, 0x5000, 0, true, 1);    /* ? [mod]: 1, idle */
	add(buf, &n, 0x6000, 3, false, 2);   /* ? []: 2, cpu3 (beyond n_cpus 2) */
	buf[n] = (struct profile_sample){ .rip = 0x1000, .cpu = 0, .valid = 0 };  /* being written */
	n++;
	buf[n] = (struct profile_sample){ .rip = 0x1000, .cpu = PROFILE_AGG_CPUS, .valid = 1 };
	n++;
	CHECK_EQ(profile_agg_run(&agg, buf, n, 2, fake_resolve, NULL), TH_OK);
	CHECK_EQ(agg.samples, 22);
	CHECK_EQ(agg.idle, 6);
	CHECK_EQ(agg.skipped, 2);
	CHECK_EQ(agg.n_entries, 6);
	/* order: gamma 7; alpha 5 and beta 5 by name; ? 2 before beta[mod] 2
	 * ("?" < "beta"); ? [mod] 1 */
	static const char *const want_fn[] = { "gamma", "alpha", "beta", "?", "beta", "?" };
	static const char *const want_mod[] = { "mod", "kernel", "kernel", "", "mod", "mod" };
	static const uint64_t want_n[] = { 7, 5, 5, 2, 2, 1 };
	static const uint64_t want_idle[] = { 0, 0, 5, 0, 0, 1 };
	for (uint32_t i = 0; i < 6; i++) {
		const struct profile_entry *e = profile_agg_entry(&agg, i);
		CHECK(e != NULL);
		if (!e)
			continue;
		CHECK_STR(e->function, want_fn[i]);
		CHECK_STR(e->module, want_mod[i]);
		CHECK_EQ(e->samples, want_n[i]);
		CHECK_EQ(e->idle, want_idle[i]);
	}
	CHECK(profile_agg_entry(&agg, 6) == NULL);
	check_sorted(&agg);
	CHECK_EQ(agg.n_cpus, 4);   /* cpu3 seen: 0..3 reported */
	CHECK_EQ(agg.cpu[0].samples, 13);
	CHECK_EQ(agg.cpu[0].idle, 1);
	CHECK_EQ(agg.cpu[1].samples, 7);
	CHECK_EQ(agg.cpu[1].idle, 5);
	CHECK_EQ(agg.cpu[2].samples, 0);
	CHECK_EQ(agg.cpu[3].samples, 2);

	/* The same samples in another order give the same report. */
	for (size_t i = 0; i < n / 2; i++) {
		struct profile_sample t = buf[i];
		buf[i] = buf[n - 1 - i];
		buf[n - 1 - i] = t;
	}
	static struct profile_agg again;
	CHECK_EQ(profile_agg_run(&again, buf, n, 2, fake_resolve, NULL), TH_OK);
	CHECK_EQ(again.n_entries, agg.n_entries);
	for (uint32_t i = 0; i < agg.n_entries; i++) {
		CHECK_STR(profile_agg_entry(&again, i)->function, profile_agg_entry(&agg, i)->function);
		CHECK_STR(profile_agg_entry(&again, i)->module, profile_agg_entry(&agg, i)->module);
	}
}

static void test_empty_and_args(void)
{
	CHECK_EQ(profile_agg_run(&agg, NULL, 0, 3, fake_resolve, NULL), TH_OK);
	CHECK_EQ(agg.n_entries, 0);
	CHECK_EQ(agg.samples, 0);
	CHECK_EQ(agg.n_cpus, 3);
	CHECK(profile_agg_entry(&agg, 0) == NULL);
	CHECK_EQ(profile_agg_run(NULL, buf, 1, 1, fake_resolve, NULL), TH_EINVAL);
	CHECK_EQ(profile_agg_run(&agg, NULL, 1, 1, fake_resolve, NULL), TH_EINVAL);
	CHECK_EQ(profile_agg_run(&agg, buf, 1, 1, NULL, NULL), TH_EINVAL);
}

static void test_long_name_cut(void)
{
	size_t n = 0;
	add(buf, &n, 0x7000, 0, false, 3);
	CHECK_EQ(profile_agg_run(&agg, buf, n, 1, fake_resolve, NULL), TH_OK);
	CHECK_EQ(agg.n_entries, 1);
	const struct profile_entry *e = profile_agg_entry(&agg, 0);
	CHECK_EQ(strlen(e->function), PROFILE_NAME_MAX - 1);
	CHECK_EQ(e->samples, 3);
	CHECK_STR(e->module, "kernel");
}

/* 1000 functions, function k with k % 7 + 1 samples, and a full buffer:
 * the table keeps PROFILE_AGG_ENTRIES - 1 of them and "(other)" sums the
 * rest; every sample is in exactly one entry. */
static void test_table_full_other(void)
{
	size_t n = 0;
	uint64_t want = 0;
	for (unsigned k = 100; k < 1100; k++) {
		add(buf, &n, (uint64_t)k * 0x1000, k % 2, k % 3 == 0, k % 7 + 1);
		want += k % 7 + 1;
	}
	while (n < PROFILE_MAX_SAMPLES) {   /* fill up with more of fn_00100 */
		buf[n] = buf[0];
		n++;
		want++;
	}
	CHECK_EQ(profile_agg_run(&agg, buf, n, 2, fake_resolve, NULL), TH_OK);
	CHECK_EQ(agg.n_entries, PROFILE_AGG_ENTRIES);
	CHECK_EQ(agg.samples, want);
	uint64_t sum = 0, idle = 0;
	for (uint32_t i = 0; i < agg.n_entries; i++) {
		sum += profile_agg_entry(&agg, i)->samples;
		idle += profile_agg_entry(&agg, i)->idle;
		CHECK(profile_agg_entry(&agg, i)->samples > 0);
	}
	CHECK_EQ(sum, want);
	CHECK_EQ(idle, agg.idle);
	CHECK_EQ(agg.cpu[0].samples + agg.cpu[1].samples, want);
	const struct profile_entry *other = find(&agg, PROFILE_OTHER, "");
	CHECK(other != NULL);
	/* functions 100 .. 610 have entries (511 of them); 611 .. 1099 are other */
	uint64_t rest = 0;
	for (unsigned k = 100 + PROFILE_AGG_ENTRIES - 1; k < 1100; k++)
		rest += k % 7 + 1;
	if (other)
		CHECK_EQ(other->samples, rest);
	CHECK(find(&agg, "fn_00610", "many") != NULL);
	CHECK(find(&agg, "fn_00611", "many") == NULL);
	const struct profile_entry *top = profile_agg_entry(&agg, 0);
	CHECK(top == other || !strcmp(top->function, "fn_00100"));
	check_sorted(&agg);
}

int main(void)
{
	RUN(test_group_sort_idle_cpus);
	RUN(test_empty_and_args);
	RUN(test_long_name_cut);
	RUN(test_table_full_other);
	return check_summary("profile_agg");
}
