/*
 * net_config.c - network configuration from the kernel command line:
 * `ip=A.B.C.D/P gw=A.B.C.D` (static) or DHCP, `nic=DRIVER|virtio|any`, `nicirq=`.
 * Strict parsing (every octet and prefix checked); a bad option falls back
 * to its own default only, and its message says which.  Builds for the
 * kernel and the host (unit tests).
 */
#include "cmdline.h"
#include "klibc.h"
#include "net.h"

#define NET_OPT_MAX 40

/* Decimal 0..max with 1-3 digits starting at *s; advances *s. */
static int parse_dec(const char **s, unsigned max, unsigned *out)
{
	const char *p = *s;
	unsigned v = 0, digits = 0;
	while (*p >= '0' && *p <= '9') {
		if (++digits > 3)
			return TH_EINVAL;
		v = v * 10 + (unsigned)(*p++ - '0');
	}
	if (!digits)
		return TH_EINVAL;
	if (v > max)
		return TH_ERANGE;
	*s = p;
	*out = v;
	return TH_OK;
}

/* "A.B.C.D" at *s (host byte order); advances *s past it. */
static int parse_ipv4(const char **s, uint32_t *out)
{
	uint32_t ip = 0;
	for (int i = 0; i < 4; i++) {
		unsigned octet;
		int err = parse_dec(s, 255, &octet);
		if (err)
			return err;
		ip = (ip << 8) | octet;
		if (i < 3) {
			if (**s != '.')
				return TH_EINVAL;
			(*s)++;
		}
	}
	*out = ip;
	return TH_OK;
}

char *net_ip_format(uint32_t ip, char *buf, size_t cap)
{
	snprintf(buf, cap, "%u.%u.%u.%u", (unsigned)(ip >> 24), (unsigned)(ip >> 16) & 255,
		 (unsigned)(ip >> 8) & 255, (unsigned)ip & 255);
	return buf;
}

/* A bad option: its message (saying what is used instead) joins eb's
 * ("; " between them); the first one's code is what the parse returns. */
__attribute__((format(printf, 4, 5))) static void bad(struct th_errbuf *eb, int *first, int err,
						      const char *fmt, ...)
{
	if (eb) {
		size_t at = *first ? strlen(eb->msg) : 0;
		if (at && at + 2 < sizeof eb->msg) {
			memcpy(eb->msg + at, "; ", 3);
			at += 2;
		}
		if (at < sizeof eb->msg - 1) {
			va_list ap;
			va_start(ap, fmt);
			vsnprintf(eb->msg + at, sizeof eb->msg - at, fmt, ap);
			va_end(ap);
		}
	}
	if (!*first)
		*first = err;
}

/* key=value into val; *present only for a usable value.  `instead` says
 * what a bad one gives ("using DHCP"). */
static void get_opt(const char *cmdline, const char *key, const char *instead, char *val,
		    bool *present, struct th_errbuf *eb, int *first)
{
	int err = cmdline_get(cmdline, key, val, NET_OPT_MAX);
	*present = err == TH_OK;
	if (err == TH_OK || err == TH_ENOENT)
		return;
	if (err == TH_ETOOBIG)
		bad(eb, first, TH_EINVAL, "%s= value too long; %s", key, instead);
	else
		bad(eb, first, TH_EINVAL, "%s needs a value (%s=...); %s", key, key, instead);
}

int net_config_parse(const char *cmdline, struct net_config *out, struct th_errbuf *eb)
{
	char ipv[NET_OPT_MAX], gwv[NET_OPT_MAX], nicv[NET_OPT_MAX], wv[NET_OPT_MAX],
		irqv[NET_OPT_MAX];
	bool has_ip, has_gw, has_nic, has_watch, has_irq;
	struct net_config c = { .use_static = false, .nic = "" };
	int err, first = 0;

	if (!cmdline || !out)
		return th_errf(eb, TH_EINVAL, "no command line");
	get_opt(cmdline, "ip", "using DHCP", ipv, &has_ip, eb, &first);
	get_opt(cmdline, "gw", "no gateway", gwv, &has_gw, eb, &first);
	get_opt(cmdline, "nic", "using any", nicv, &has_nic, eb, &first);
	get_opt(cmdline, "drvwatch", "using 3000", wv, &has_watch, eb, &first);
	get_opt(cmdline, "nicirq", "using auto", irqv, &has_irq, eb, &first);

	if (has_irq) {
		static const char *const modes[] = { [NET_IRQ_AUTO] = "auto", [NET_IRQ_MSI] = "msi",
						     [NET_IRQ_LINE] = "line", [NET_IRQ_POLL] = "poll" };
		size_t m = 0;
		while (m < sizeof modes / sizeof modes[0] && strcmp(irqv, modes[m]))
			m++;
		if (m == sizeof modes / sizeof modes[0]) {
			bad(eb, &first, TH_EINVAL,
			    "nicirq=%s: expected auto, msi, line or poll; using auto", irqv);
		} else {
			c.irq_mode = (enum net_irq_mode)m;
		}
	}

	if (has_watch) {
		uint32_t ms = 0;
		size_t i = 0;
		for (; wv[i] >= '0' && wv[i] <= '9' && ms <= NET_DRVWATCH_MS_MAX; i++)
			ms = ms * 10 + (uint32_t)(wv[i] - '0');
		if (!strcmp(wv, "off")) {
			c.drvwatch_off = true;
		} else if (!i || wv[i] || !ms || ms > NET_DRVWATCH_MS_MAX) {
			bad(eb, &first, TH_EINVAL, "drvwatch=%s: expected 1..%d (ms) or off; using %d", wv,
			    NET_DRVWATCH_MS_MAX, NET_DRVWATCH_MS_DEFAULT);
		} else {
			c.drvwatch_ms = ms;
		}
	}

	if (has_nic && strcmp(nicv, "any") != 0) {
		const char *name = strcmp(nicv, "virtio") == 0 || strcmp(nicv, "virtio-net") == 0 ?
				   "virtio_net" : nicv;
		size_t n = strlen(name);
		bool ok = n > 0 && n < NET_NIC_NAME_MAX;
		for (size_t i = 0; ok && i < n; i++)
			ok = (name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') ||
			     name[i] == '_';
		if (!ok) {
			bad(eb, &first, TH_EINVAL, "nic=%s: expected a driver module's name (e1000, virtio, "
			    "rtl8139, vmxnet3, ...) or any; using any", nicv);
		} else {
			memcpy(c.nic, name, n + 1);   /* n < NET_NIC_NAME_MAX: checked above */
		}
	}
	if (has_gw && !has_ip) {
		bad(eb, &first, TH_EINVAL, "gw= given without ip=; ignored (DHCP gives the gateway)");
	}
	if (has_ip) {
		const char *s = ipv;
		unsigned prefix = 24;
		uint32_t ip = 0, mask, gw = 0, host;
		if ((err = parse_ipv4(&s, &ip))) {
			bad(eb, &first, err, "ip=%s: expected A.B.C.D/PREFIX; using DHCP", ipv);
			goto done;
		}
		if (*s == '/') {
			s++;
			if ((err = parse_dec(&s, 32, &prefix))) {
				bad(eb, &first, err, "ip=%s: prefix must be 1..30; using DHCP", ipv);
				goto done;
			}
		}
		if (*s) {
			bad(eb, &first, TH_EINVAL, "ip=%s: trailing characters; using DHCP", ipv);
			goto done;
		}
		if (prefix < 1 || prefix > 30) {
			bad(eb, &first, TH_ERANGE, "ip=%s: prefix must be 1..30; using DHCP", ipv);
			goto done;
		}
		mask = 0xffffffffu << (32 - prefix);
		host = ip & ~mask;
		if (host == 0 || host == ~mask || (ip >> 24) == 0 || (ip >> 24) >= 224 ||
		    (ip >> 24) == 127) {
			bad(eb, &first, TH_EINVAL, "ip=%s: not a usable host address; using DHCP",
			    ipv);
			goto done;
		}
		if (has_gw) {
			s = gwv;
			if ((err = parse_ipv4(&s, &gw)) || *s) {
				bad(eb, &first, err ? err : TH_EINVAL,
				    "gw=%s: expected A.B.C.D; no gateway", gwv);
				gw = 0;
			} else if ((gw & mask) != (ip & mask) || gw == ip) {
				bad(eb, &first, TH_ERANGE,
				    "gw=%s: not another host in %s's subnet; no gateway", gwv, ipv);
				gw = 0;
			}
		}
		c.use_static = true;
		c.ip = ip;
		c.netmask = mask;
		c.gw = gw;
	}
done:
	*out = c;
	return first;
}
