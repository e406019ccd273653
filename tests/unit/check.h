/*
 * check.h - the tiny unit-test framework of the host test suites.
 *
 * A suite is one C program built with ASan/UBSan:
 *
 *     static void test_something(void) { CHECK(1 + 1 == 2); CHECK_EQ(f(), TH_OK); }
 *     int main(void) { RUN(test_something); return check_summary("suite"); }
 *
 * Each test prints "PASS suite.test" or "FAIL suite.test" with the failed
 * checks; check_summary() prints "RESULT suite: N passed, M failed" (the line
 * tests/run counts) and returns the exit status.
 */
#ifndef THESEUS_CHECK_H
#define THESEUS_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_failures_in_test_;
static int check_passed_, check_failed_;

#define CHECK(cond)                                                                \
	do {                                                                       \
		if (!(cond)) {                                                     \
			check_failures_in_test_++;                                 \
			fprintf(stderr, "  %s:%d: check failed: %s\n", __FILE__,   \
				__LINE__, #cond);                                  \
		}                                                                  \
	} while (0)

#define CHECK_EQ(a, b)                                                             \
	do {                                                                       \
		long long check_a_ = (long long)(a), check_b_ = (long long)(b);    \
		if (check_a_ != check_b_) {                                        \
			check_failures_in_test_++;                                 \
			fprintf(stderr, "  %s:%d: %s == %s: got %lld, want %lld\n", \
				__FILE__, __LINE__, #a, #b, check_a_, check_b_);   \
		}                                                                  \
	} while (0)

#define CHECK_STR(a, b)                                                            \
	do {                                                                       \
		const char *check_a_ = (a), *check_b_ = (b);                       \
		if (!check_a_ || !check_b_ || strcmp(check_a_, check_b_) != 0) {  \
			check_failures_in_test_++;                                 \
			fprintf(stderr, "  %s:%d: %s: got \"%s\", want \"%s\"\n",  \
				__FILE__, __LINE__, #a,                            \
				check_a_ ? check_a_ : "(null)",                    \
				check_b_ ? check_b_ : "(null)");                   \
		}                                                                  \
	} while (0)

#define RUN(fn)                                                                    \
	do {                                                                       \
		check_failures_in_test_ = 0;                                       \
		fn();                                                              \
		if (check_failures_in_test_) {                                     \
			check_failed_++;                                           \
			printf("FAIL %s\n", #fn);                                  \
		} else {                                                           \
			check_passed_++;                                           \
			printf("PASS %s\n", #fn);                                  \
		}                                                                  \
		fflush(stdout);                                                    \
	} while (0)

static inline int check_summary(const char *suite)
{
	printf("RESULT %s: %d passed, %d failed\n", suite, check_passed_, check_failed_);
	return check_failed_ ? 1 : 0;
}

#endif
