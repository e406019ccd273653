/*
 * swap_stress.c - selftest=swapstress: a task calls hello_greet through the
 * module swapcaller (a recorded edge) continuously while hello is swapped 100
 * times between 1.0 and 2.0 (boot modules hello and hello_v2).  Checks: no
 * call lost or failed, both versions answered, the statedb counter counted
 * every call across all swaps, module memory and heap flat; then a swap to
 * hello_broken (no hello_greet) is refused and 1.0 keeps answering, a
 * two-module swap whose second object is bad swaps neither, and rollback
 * works.  Prints "selftest swapstress: PASS" and powers off (33), or FAIL (35).
 *
 * With several CPUs (QEMU -smp 4) one more caller is pinned to each other
 * CPU, and the counter must count the calls of all of them.
 *
 * Boot with: modules logfmt hello hello_v2 hello_broken swapcaller,
 *            cmdline "selftest=swapstress swapsrc=hello_v2,hello_broken"
 */
#include "bootinfo.h"
#include "heap.h"
#include "loader.h"
#include "log.h"
#include "modmem.h"
#include "selftest.h"
#include "shutdown.h"
#include "smp.h"
#include "statedb.h"
#include "swap.h"
#include "task.h"

#define STRESS_SWAPS 100
#define HELLO_TYPE 0x68656c6cu
#define HELLO_LAYOUT 1

struct caller {
	volatile bool stop;
	volatile uint64_t ok, failed;
	volatile bool seen_v1, seen_v2;
	int last_version, changes;
	char last_err[96];
};

static bool failed;

/* The stop-the-world pause of every successful swap the history keeps (every
 * CPU stopped while the engine relinks): count, median and largest, for
 * tests/qemu/test_smp.py and `make bench` (tests/bench/smp_bench.py). */
static void pauses(void)
{
	static uint64_t ns[SWAP_HISTORY_LEN];
	struct swap_history_entry e;
	size_t n = 0;
	unsigned cpus = 0;
	for (size_t i = 0; n < SWAP_HISTORY_LEN && swap_history_get(i, &e); i++)
		if (e.kind == SWAP_KIND_SWAP && !e.err && !e.unchanged) {
			ns[n++] = e.pause_ns;
			cpus = e.cpus;
		}
	for (size_t i = 1; i < n; i++) /* insertion sort: n is small */
		for (size_t j = i; j > 0 && ns[j - 1] > ns[j]; j--) {
			uint64_t t = ns[j];
			ns[j] = ns[j - 1];
			ns[j - 1] = t;
		}
	kprintf("swapstress: %llu stops, %llu us stopped in all, %llu us of it waiting for CPUs to park\n",
		(unsigned long long)smp_stop_count(), (unsigned long long)(smp_stop_pause_ns() / 1000),
		(unsigned long long)(smp_stop_park_wait_ns() / 1000));
	if (n)
		kprintf("swapstress: pause per swap over %zu swaps on %u CPUs: median %llu us, max %llu us\n",
			n, cpus, (unsigned long long)(ns[n / 2] / 1000), (unsigned long long)(ns[n - 1] / 1000));
}

static bool has(const char *s, const char *w)
{
	size_t n = strlen(w);

	for (; *s; s++)
		if (!strncmp(s, w, n))
			return true;
	return false;
}

#define EXPECT(cond, ...)                                                   \
	do {                                                                \
		if (!(cond)) {                                              \
			kprintf("selftest swapstress: FAIL line %d: ", __LINE__); \
			kprintf(__VA_ARGS__);                               \
			kprintf("\n");                                      \
			failed = true;                                      \
		}                                                           \
	} while (0)

static void one_call(struct caller *c)
{
	static struct swap_symref ref = {"swapcaller_call", 0, 0};
	int (*fn)(char *, size_t);
	char buf[96];
	uintptr_t a;
	int err = swap_symref_get(&ref, &a);

	if (!err) {
		fn = (int (*)(char *, size_t))a;
		err = fn(buf, sizeof buf);
	}
	if (err) {
		c->failed++;
		snprintf(c->last_err, sizeof c->last_err, "%s", th_err_name(err));
		return;
	}
	c->ok++;
	int v = has(buf, "from v1") ? 1 : has(buf, "from v2") ? 2 : 0;
	if (v == 1)
		c->seen_v1 = true;
	if (v == 2)
		c->seen_v2 = true;
	if (v != c->last_version && c->changes++ < 6) /* the first few version changes */
		kprintf("swapstress: call %llu: %s\n", (unsigned long long)c->ok, buf);
	c->last_version = v;
}

static int caller_task(void *arg)
{
	struct caller *c = arg;

	while (!c->stop)
		one_call(c);
	return 0;
}

static int read_counter(uint64_t *out)
{
	struct statedb_ref ref;
	uint64_t *p;
	int err = statedb_lookup("hello.calls", &ref, NULL);

	if (!err)
		err = statedb_get(ref, HELLO_TYPE, HELLO_LAYOUT, (void **)&p, NULL);
	if (err)
		return err;
	*out = *p;
	return statedb_put(ref);
}

static const char *hello_version(void)
{
	struct module *m = loader_find("hello");
	return m ? loader_module_version(m) : "(none)";
}

/* Free retiring versions, waiting for the caller task to leave them. */
static size_t drain(void)
{
	size_t left = swap_reap();
	for (int i = 0; left && i < 2000; i++) {
		if (sched_running())
			task_sleep_ms(1);
		left = swap_reap();
	}
	return left;
}

static void stress(struct caller *c, void *v1, size_t l1, void *v2, size_t l2)
{
	struct th_errbuf eb = {""};
	struct swap_result res;
	struct heap_stats h0, h1;
	size_t mem0 = 0, i, kept = 0;
	uint64_t max_relink = 0;

	for (i = 0; i < STRESS_SWAPS; i++) {
		bool to_v2 = i % 2 == 0;
		struct swap_request r = {"hello", to_v2 ? v2 : v1, to_v2 ? l2 : l1,
					 to_v2 ? "1.0" : "2.0", NULL, NULL};
		uint64_t before = c->ok;
		int err = swap_modules(&r, 1, &res, &eb);
		EXPECT(!err, "swap %zu: %s (%s)", i, eb.msg, th_err_name(err));
		if (err)
			return;
		if (res.retiring)
			kept++;
		if (res.stage_ns[SWAP_STAGE_RELINK] > max_relink)
			max_relink = res.stage_ns[SWAP_STAGE_RELINK];
		/* Let the caller run a few calls against this version. */
		for (int k = 0; k < 1000 && c->ok < before + 3; k++) {
			if (sched_running())
				task_sleep_ms(1);
			else
				one_call(c);
		}
		if (i == 1) {
			EXPECT(drain() == 0, "old versions never retired");
			mem0 = modmem_in_use();
			heap_get_stats(&h0);
		}
	}
	EXPECT(drain() == 0, "old versions never retired");
	heap_get_stats(&h1);
	kprintf("swapstress: %d swaps, %zu kept an old version retiring for a while, "
		"max relink %llu ns; module memory %zu -> %zu, heap %zu -> %zu bytes\n",
		STRESS_SWAPS, kept, (unsigned long long)max_relink, mem0, modmem_in_use(),
		h0.bytes_in_use, h1.bytes_in_use);
	EXPECT(modmem_in_use() == mem0, "module memory %zu -> %zu", mem0, modmem_in_use());
	EXPECT(h1.bytes_in_use == h0.bytes_in_use && h1.blocks_in_use == h0.blocks_in_use,
	       "heap %zu -> %zu bytes", h0.bytes_in_use, h1.bytes_in_use);
	EXPECT(!strcmp(hello_version(), "1.0"), "hello %s after an even number of swaps",
	       hello_version());
}

static void refusals(struct caller *c, const struct boot_info *boot, void *v2, size_t l2)
{
	struct th_errbuf eb = {""};
	struct swap_result res;
	void *broken = NULL, *sc = NULL;
	size_t lb = 0, ls = 0;
	uint64_t ok;
	int err;

	/* A replacement missing hello_greet (used by swapcaller) is refused. */
	EXPECT(!swap_boot_object(boot, "hello_broken", &broken, &lb), "no boot module hello_broken");
	if (broken) {
		struct swap_request r = {"hello", broken, lb, NULL, NULL, NULL};
		err = swap_modules(&r, 1, &res, &eb);
		kprintf("swapstress: swap to hello_broken: %s: %s\n", th_err_name(err), eb.msg);
		EXPECT(err == TH_ENOSYM && has(eb.msg, "hello_greet") && has(eb.msg, "swapcaller"),
		       "broken swap gave %s: %s", th_err_name(err), eb.msg);
		ok = c->ok;
		one_call(c);
		EXPECT(c->ok == ok + 1 && !strcmp(hello_version(), "1.0"), "old hello stopped working");
	}
	/* Two modules, the second object bad: neither is swapped. */
	EXPECT(!swap_boot_object(boot, "swapcaller", &sc, &ls), "no boot module swapcaller");
	if (sc) {
		struct swap_request r[2] = {{"hello", v2, l2, "1.0", NULL, NULL},
					    {"swapcaller", sc, ls / 2, NULL, NULL, NULL}};
		err = swap_modules(r, 2, &res, &eb);
		kprintf("swapstress: two-module swap, second truncated: %s: %s\n", th_err_name(err),
			eb.msg);
		EXPECT(err == TH_EBADELF, "bad two-module swap gave %s", th_err_name(err));
		EXPECT(!strcmp(hello_version(), "1.0"), "hello %s after a failed transaction",
		       hello_version());
	}
	/* Roll back twice: to 2.0 (what ran before the last swap), then to 1.0
	 * (what ran before that swap). */
	err = swap_rollback("hello", &res, &eb);
	EXPECT(!err && !strcmp(hello_version(), "2.0"), "rollback: %s, hello %s", eb.msg,
	       hello_version());
	err = swap_rollback("hello", &res, &eb);
	EXPECT(!err && !strcmp(hello_version(), "1.0"), "rollback 2: %s, hello %s", eb.msg,
	       hello_version());
	kfree(broken);
	kfree(sc);
}


void swap_selftest_stress(void)
{
	const struct boot_info *boot = selftest_boot;
	static struct caller c, more[CPUS_MAX];
	struct task *t = NULL, *mt[CPUS_MAX] = { NULL };
	unsigned ncpu = sched_running() ? sched_cpu_count() : 1;
	void *v1 = NULL, *v2 = NULL;
	size_t l1 = 0, l2 = 0;
	uint64_t count0 = 0, count1 = 0;
	char *hist;
	int code = 0;

	if (!boot || !loader_find("hello") || !loader_find("swapcaller") ||
	    swap_boot_object(boot, "hello", &v1, &l1) || swap_boot_object(boot, "hello_v2", &v2, &l2)) {
		kprintf("selftest swapstress: FAIL: needs boot modules hello, hello_v2 (swapsrc=), "
			"swapcaller, logfmt\n");
		shutdown(SHUTDOWN_FAILURE);
	}
	one_call(&c); /* creates the counter */
	EXPECT(!read_counter(&count0), "no statedb counter hello.calls");
	count0 -= c.ok;
	if (sched_running() &&
	    task_create("swapcaller", caller_task, &c, SCHED_PRIO_DEFAULT, &t)) {
		EXPECT(false, "cannot create the caller task");
		t = NULL;
	}
	kprintf("swapstress: caller %s\n", t ? "in its own task" : "in the main context");
	/* With several CPUs, one more caller pinned to each other CPU. */
	for (unsigned i = 1; i < ncpu && t; i++)
		if (task_create_on("swapcaller", caller_task, &more[i], SCHED_PRIO_DEFAULT, (int)i,
				   &mt[i])) {
			EXPECT(false, "cannot create the caller task for CPU %u", i);
			break;
		}
	stress(&c, v1, l1, v2, l2);
	c.stop = true;
	for (unsigned i = 1; i < ncpu; i++)
		more[i].stop = true;
	if (t && task_join(t, &code))
		EXPECT(false, "cannot join the caller task");
	uint64_t others = 0;
	for (unsigned i = 1; i < ncpu; i++) {
		if (mt[i] && task_join(mt[i], &code))
			EXPECT(false, "cannot join the caller task of CPU %u", i);
		EXPECT(more[i].failed == 0, "CPU %u: %llu calls failed", i,
		       (unsigned long long)more[i].failed);
		EXPECT(more[i].ok > 0, "the caller on CPU %u made no call", i);
		others += more[i].ok;
		c.seen_v1 |= more[i].seen_v1;
		c.seen_v2 |= more[i].seen_v2;
	}
	if (ncpu > 1)
		kprintf("swapstress: callers on %u CPUs: %llu calls besides the first caller's\n", ncpu,
			(unsigned long long)others);
	EXPECT(!read_counter(&count1), "statedb counter gone");
	kprintf("swapstress: %llu calls ok, %llu failed%s%s, saw v1 %s v2 %s, counter %llu -> %llu\n",
		(unsigned long long)(c.ok + others), (unsigned long long)c.failed, c.failed ? ", last " : "",
		c.failed ? c.last_err : "", c.seen_v1 ? "yes" : "no", c.seen_v2 ? "yes" : "no",
		(unsigned long long)count0, (unsigned long long)count1);
	EXPECT(c.failed == 0, "%llu calls failed", (unsigned long long)c.failed);
	EXPECT(c.ok >= STRESS_SWAPS, "only %llu calls", (unsigned long long)c.ok);
	EXPECT(c.seen_v1 && c.seen_v2, "not both versions answered");
	EXPECT(count1 - count0 == c.ok + others, "counter counted %llu of %llu calls",
	       (unsigned long long)(count1 - count0), (unsigned long long)(c.ok + others));
	refusals(&c, boot, v2, l2);
	pauses();
	hist = kmalloc(16384);
	if (hist) {
		size_t i, lines = 0;
		swap_history_format(hist, 16384);
		/* Print the last 6 lines. */
		for (i = strlen(hist); i > 0; i--)
			if (hist[i - 1] == '\n' && ++lines > 6)
				break;
		kprintf("swapstress: history (last entries):\n");
		for (char *line = hist + i, *nl; *line; line = nl + 1) {
			nl = strchr(line, '\n');
			if (nl)
				*nl = '\0';
			kprintf("  %s\n", line);
			if (!nl)
				break;
		}
		kfree(hist);
	}
	kfree(v1);
	kfree(v2);
	kprintf("selftest swapstress: %s\n", failed ? "FAIL" : "PASS");
	shutdown(failed ? SHUTDOWN_FAILURE : SHUTDOWN_SUCCESS);
}
