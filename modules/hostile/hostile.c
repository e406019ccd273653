/*
 * hostile.c - a test module whose strings are hostile to whoever prints
 * them (tests/qemu/test_ctl.py, test_ctl_hostile_strings): its
 * description, task name, log lines and, once the test renames it with
 * objcopy, the function its fault report names carry terminal escape
 * sequences (clear screen, OSC 52 clipboard write, window title), CR,
 * backspace, DEL, malformed UTF-8, a right-to-left override, quotes and
 * backslashes.  theseusctl must show them escaped, its --json output must
 * stay strict JSON, and the kernel log must not carry them raw.  (A
 * version with an escape sequence is refused at load: tests/unit/objs/
 * t_badver.c.)
 */
#include "theseus.h"

#define HOSTILE_TEXT "\x1b[2J\x1b]52;c;cHduZWQ=\x07\x1b]0;TITLE\x07" "CR\rBS\b\bDEL\x7f" \
	"bad\xff\xc0\xaf" "rlo\xe2\x80\xae" "q\"b\\"

static int hostile_task(void *arg)
{
	(void)arg;
	while (!th_task_should_stop())
		if (th_task_sleep_ms(50))
			break;
	return 0;
}

/* The function the fault report names (the test gives it a hostile name). */
__attribute__((noinline, noipa)) static int hostile_deep(volatile int *p)
{
	return *p;
}

int hostile_crash(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap,
		  size_t *out_len)
{
	(void)in;
	(void)in_len;
	(void)out;
	(void)out_cap;
	*out_len = 0;
	return hostile_deep((volatile int *)0);
}
TH_INVOKE(hostile_crash);

int hostile_say(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap,
		size_t *out_len)
{
	(void)in;
	(void)in_len;
	(void)out;
	(void)out_cap;
	log_info("hostile", "say " HOSTILE_TEXT "\n[    0.000000] INFO  forged: line");
	*out_len = 0;
	return 0;
}
TH_INVOKE(hostile_say);

static int hostile_init(void)
{
	log_info("hostile", "init " HOSTILE_TEXT);
	return th_task_create("t\x1b[2J\x1b]0;T\x07\xff", hostile_task, NULL, NULL);
}

TH_MODULE("hostile", "1.0", "d\x1b]52;c;cHduZWQ=\x07\xe2\x80\xae\xc0\xaf\"\\",
	  .init = hostile_init);
