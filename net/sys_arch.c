/*
 * sys_arch.c - the lwIP port's functions for Theseus-C: the millisecond clock
 * (sys_now), diagnostics and assertions into the kernel log, a TSC-seeded
 * random number generator, atoi, and the one conversion of lwIP's err_t
 * into the project's TH_E* codes (net_err_from_lwip).
 */
#include "lwip/err.h"
#include "lwip/sys.h"

#include "cpu.h"
#include "klibc.h"
#include "ktime.h"
#include "log.h"
#include "net_impl.h"

u32_t sys_now(void)
{
	return (u32_t)time_ms();
}

void net_lwip_diag(const char *fmt, ...)
{
	char line[160];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	size_t n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	log_info("lwip", "%s", line);
}

/* lwIP's assertions are logged, never fatal: the kernel keeps serving. */
void net_lwip_assert(const char *msg, const char *file, int line)
{
	log_error("lwip", "assertion \"%s\" failed at %s:%d", msg, file, line);
}

/* xorshift64*, reseeded from the TSC on each call so that DHCP transaction
 * ids and TCP ports differ between boots. */
uint32_t net_lwip_rand(void)
{
	static uint64_t state = 0x9e3779b97f4a7c15ull;
	state ^= rdtsc();
	state ^= state >> 12;
	state ^= state << 25;
	state ^= state >> 27;
	return (uint32_t)((state * 0x2545f4914f6cdd1dull) >> 32);
}

int net_lwip_atoi(const char *s)
{
	int sign = 1, v = 0;
	if (*s == '-') {
		sign = -1;
		s++;
	}
	while (*s >= '0' && *s <= '9' && v < 100000000)
		v = v * 10 + (*s++ - '0');
	return sign * v;
}

int net_err_from_lwip(err_t e)
{
	switch (e) {
	case ERR_OK: return TH_OK;
	case ERR_MEM: return TH_ENOMEM;
	case ERR_BUF: return TH_EFULL;
	case ERR_TIMEOUT: return TH_ETIMEDOUT;
	case ERR_RTE: return TH_ENOENT;
	case ERR_INPROGRESS: return TH_EAGAIN;
	case ERR_VAL: return TH_EINVAL;
	case ERR_WOULDBLOCK: return TH_EAGAIN;
	case ERR_USE: return TH_EEXIST;
	case ERR_ALREADY: return TH_EBUSY;
	case ERR_ISCONN: return TH_EEXIST;
	case ERR_CONN: return TH_EIO;
	case ERR_IF: return TH_EIO;
	case ERR_ABRT: return TH_EIO;
	case ERR_RST: return TH_EIO;
	case ERR_CLSD: return TH_EIO;
	case ERR_ARG: return TH_EINVAL;
	default: return TH_EIO;
	}
}
