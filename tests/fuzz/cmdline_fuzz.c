/*
 * cmdline_fuzz.c - libFuzzer target for the kernel command line: the input
 * (cut at CMDLINE_MAX - 1 bytes, as the boot information keeps it) goes
 * through cmdline_strip_image(), cmdline_redact(), cmdline_show(), cmdline_get() and
 * cmdline_get_uint() of every option, cmdline_check() with the kernel's
 * options table, and net_config_parse().
 *
 * Checked besides memory safety: every output is terminated inside its
 * buffer; a redacted line has no key= word other than "key=<set>"; neither
 * the shown line nor a cmdline_check() message quotes the value of a key= word,
 * or holds a control byte; a value that
 * cmdline_get() returns fits and is a suffix of some word.  Seeds:
 * tests/fuzz/cmdline/.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"
#include "net.h"

static char line[CMDLINE_MAX];

/* Abort if msg quotes the value of any key= word of line (values of 12+
 * bytes that occur only there: shorter ones may be words of the messages'
 * own text, "value", and others another word's, quoted). */
static void no_key_in(const char *msg)
{
	for (const char *s = line; (s = strstr(s, "key=")) != NULL; s += 4) {
		if (s != line && s[-1] != ' ' && s[-1] != '\t' && s[-1] != '\n' && s[-1] != '\r')
			continue;
		const char *v = s + 4;
		size_t n = strcspn(v, " \t\n\r");
		if (n >= 12) {
			char val[CMDLINE_MAX];
			memcpy(val, v, n);
			val[n] = '\0';
			const char *first = strstr(line, val);
			bool only_here = first == v && !strstr(v + 1, val);
			/* a match across or inside a mask ("<set>", "<hidden>") is no leak */
			bool masky = strpbrk(val, "<>") || strstr("<hidden><set>", val);
			if (only_here && !masky && strstr(msg, val))
				abort();
		}
	}
}

/* One console line: no newline, no terminal control byte. */
static void printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			abort();
}

static void report(void *ctx, const char *msg)
{
	(void)ctx;
	if (strlen(msg) >= 160)
		abort();
	no_key_in(msg);
	printable(msg);
}

static void check_redacted(const char *out)
{
	for (const char *s = out; (s = strstr(s, "key=")) != NULL; s += 4) {
		bool word_start = s == out || s[-1] == ' ' || s[-1] == '\t' || s[-1] == '\n' ||
				  s[-1] == '\r';
		if (word_start && strncmp(s, "key=<set>", 9) != 0)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n = size < sizeof line - 1 ? size : sizeof line - 1;
	memcpy(line, data, n);
	line[n] = '\0';

	char out[CMDLINE_MAX];
	cmdline_strip_image(line, out, sizeof out);
	if (strlen(out) >= sizeof out)
		abort();
	char shown[CMDLINE_MAX];
	cmdline_redact(line, shown, sizeof shown);
	if (strlen(shown) >= sizeof shown)
		abort();
	/* a cut-short redaction may end inside "key=<set>": check whole lines only */
	if (strlen(shown) < sizeof shown - 1)
		check_redacted(shown);
	cmdline_show(line, shown, sizeof shown, cmdline_options, cmdline_option_count);
	if (strlen(shown) >= sizeof shown)
		abort();
	if (strlen(shown) < sizeof shown - 1)
		check_redacted(shown);
	no_key_in(shown);   /* no key= value shows */
	printable(shown);

	for (size_t i = 0; i < cmdline_option_count; i++) {
		const char *key = cmdline_options[i].key;
		char v[48];
		int err = cmdline_get(line, key, v, sizeof v);
		if (err == TH_OK && (strlen(v) >= sizeof v || !strstr(line, v)))
			abort();
		uint64_t u = 0;
		err = cmdline_get_uint(line, key, 7, 1, 1000, &u);
		if (err == TH_OK && u != 7 && (u < 1 || u > 1000))
			abort();
		(void)cmdline_has(line, key);
	}
	cmdline_check(line, cmdline_options, cmdline_option_count, report, NULL);

	struct net_config c;
	struct th_errbuf eb = { "" };
	if (net_config_parse(line, &c, &eb) != TH_OK && strlen(eb.msg) >= sizeof eb.msg)
		abort();
	if (strlen(c.nic) >= sizeof c.nic)
		abort();
	return 0;
}
