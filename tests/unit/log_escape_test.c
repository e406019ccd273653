/*
 * log_escape_test.c - host tests of kernel/core/log_escape.c, what klog()
 * does to a line before the consoles and the ring get it: a module's ESC
 * sequences, CR, backspace, DEL and embedded newlines as \xNN, tab and
 * UTF-8 kept, never an escape cut in half when the line is full.
 */
#include <string.h>

#include "check.h"
#include "log.h"

static void test_controls(void)
{
	char out[256];
	const char in[] = "hostile: \x1b[2J\x1b]0;T\x07 CR\r BS\b DEL\x7f tab\t caf\xc3\xa9 \xff";
	size_t n = log_escape(out, sizeof out, in, sizeof in - 1);
	CHECK_STR(out, "hostile: \\x1b[2J\\x1b]0;T\\x07 CR\\x0d BS\\x08 DEL\\x7f tab\t caf\xc3\xa9 \xff");
	CHECK_EQ(n, strlen(out));
}

static void test_forged_line(void)
{
	/* A module's text cannot start a log line of its own. */
	char out[256];
	const char in[] = "hello: hi\n[    1.000000] INFO  swap: #9 swap kv 1.0 -> 6.6: OK";
	log_escape(out, sizeof out, in, sizeof in - 1);
	CHECK(strchr(out, '\n') == NULL);
	CHECK(strstr(out, "hi\\x0a[    1.000000]") != NULL);
	/* A NUL in the bytes is escaped too. */
	CHECK_EQ(log_escape(out, sizeof out, "a\0b", 3), 6);
	CHECK_STR(out, "a\\x00b");
}

static void test_full(void)
{
	char out[8];
	/* Room for 7 bytes: "ab" + one escape (4) = 6; the next escape would
	 * not fit whole, so the line ends there. */
	CHECK_EQ(log_escape(out, sizeof out, "ab\x1b\x1b", 4), 6);
	CHECK_STR(out, "ab\\x1b");
	CHECK_EQ(log_escape(out, sizeof out, "abcdefghij", 10), 7);
	CHECK_STR(out, "abcdefg");
	CHECK_EQ(log_escape(out, 1, "abc", 3), 0);
	CHECK_STR(out, "");
	CHECK_EQ(log_escape(out, 0, "abc", 3), 0);
}

int main(void)
{
	RUN(test_controls);
	RUN(test_forged_line);
	RUN(test_full);
	return check_summary("log_escape");
}
