/*
 * logfmt.c - the log formatter module: turns (level, component, message)
 * into one printable line.  The kernel may route selected log lines through
 * it; swapping this module changes the format live.
 */
#include "theseus.h"
#include "logfmt/logfmt.h"

const char *logfmt_level_tag(enum log_level level)
{
	switch (level) {
	case LOG_DEBUG: return "DBG";
	case LOG_INFO: return "INF";
	case LOG_WARN: return "WRN";
	case LOG_ERROR: return "ERR";
	}
	return NULL;
}
TH_EXPORT(logfmt_level_tag);

int logfmt_format(char *buf, size_t len, enum log_level level, const char *component,
		  const char *msg, size_t *out_len)
{
	const char *tag = logfmt_level_tag(level);
	size_t pos, i;
	int k;

	if (!buf || !component || !msg || !tag || len < 16)
		return TH_EINVAL;
	k = snprintf(buf, len, "%s [%s] ", tag, component);
	if (k < 0)
		return TH_EINVAL;
	pos = (size_t)k < len - 1 ? (size_t)k : len - 1;
	for (i = 0; msg[i] && pos < len - 1; i++) {
		char c = msg[i];
		buf[pos++] = (c < 0x20 || c == 0x7f) ? '?' : c;
	}
	buf[pos] = '\0';
	if (msg[i] != '\0' || (size_t)k >= len - 1) {
		/* Truncated: mark it. */
		memcpy(buf + len - 4, "...", 4);
		pos = len - 1;
	}
	if (out_len)
		*out_len = pos;
	return TH_OK;
}
TH_EXPORT(logfmt_format);

static int logfmt_init(void)
{
	char line[64];

	if (logfmt_format(line, sizeof line, LOG_INFO, "logfmt", "formatter ready", NULL))
		return TH_EFAULT;
	log_info("logfmt", "%s", line);
	return TH_OK;
}

TH_MODULE("logfmt", "1.0", "log line formatter: TAG [component] message", .init = logfmt_init);
