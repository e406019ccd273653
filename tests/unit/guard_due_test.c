/*
 * guard_due_test.c - host test of the watchdog's verdict on a guarded call
 * (kernel/include/guard.h: guard_watchdog_due): a call is cut only once two
 * checks GUARD_RECHECK_NS apart found it past its deadline, so that a
 * virtual CPU its host did not run for a while (which finds a short policy
 * op past its 5 ms budget at its first instruction) does not cut a call
 * that runs fine; a call that really runs on is cut at the next check; a
 * deadline moved on (the task was switched out, or blocked and resumed)
 * starts over.
 */
#include <stdbool.h>
#include <stdint.h>

#include "check.h"
#include "guard.h"

#define MS 1000000ull

static void test_before_deadline_never(void)
{
	uint64_t late = 0;
	CHECK(!guard_watchdog_due(4 * MS, 5 * MS, &late));
	CHECK(!guard_watchdog_due(4 * MS, 0, &late)); /* no budget */
	CHECK(!guard_watchdog_due(100 * MS, 0, &late));
	CHECK_EQ(late, 0);
}

static void test_one_late_check_is_not_enough(void)
{
	uint64_t late = 0;
	/* the vCPU ran again 30 ms late: the first check only notes it */
	CHECK(!guard_watchdog_due(35 * MS, 5 * MS, &late));
	CHECK_EQ(late, 35 * MS);
	/* a latched NMI right after it: still not */
	CHECK(!guard_watchdog_due(35 * MS + 1000, 5 * MS, &late));
}

static void test_still_running_at_the_next_check_is_cut(void)
{
	uint64_t late = 0;
	CHECK(!guard_watchdog_due(6 * MS, 5 * MS, &late));
	CHECK(guard_watchdog_due(6 * MS + GUARD_RECHECK_NS, 5 * MS, &late));
	CHECK(guard_watchdog_due(16 * MS, 5 * MS, &late));
}

static void test_deadline_moved_on_starts_over(void)
{
	uint64_t late = 0;
	CHECK(!guard_watchdog_due(6 * MS, 5 * MS, &late));
	/* the task was switched out 20 ms: its deadline moved to 25 ms */
	CHECK(!guard_watchdog_due(20 * MS, 25 * MS, &late));
	CHECK(!guard_watchdog_due(26 * MS, 25 * MS, &late)); /* first late check again */
	CHECK(guard_watchdog_due(36 * MS, 25 * MS, &late));
}

int main(void)
{
	RUN(test_before_deadline_never);
	RUN(test_one_late_check_is_not_enough);
	RUN(test_still_running_at_the_next_check_is_cut);
	RUN(test_deadline_moved_on_starts_over);
	return check_summary("guard_due");
}
