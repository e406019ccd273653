/*
 * logfmt.h - the API of the logfmt module: format one log line.
 */
#ifndef MODULES_LOGFMT_H
#define MODULES_LOGFMT_H

#include <stddef.h>

#include "theseus.h"   /* enum log_level */

/*
 * Format "TAG [component] message" into buf (len bytes, always terminated):
 * TAG is DBG/INF/WRN/ERR; control characters in the message become '?';
 * a line that does not fit ends in "...".  *out_len (if not NULL) gets the
 * length written.  Errors: TH_EINVAL (NULL buf/component/msg, len < 16,
 * unknown level).
 */
int logfmt_format(char *buf, size_t len, enum log_level level, const char *component,
		  const char *msg, size_t *out_len);
/* "INF" etc., NULL for an unknown level. */
const char *logfmt_level_tag(enum log_level level);

#endif
