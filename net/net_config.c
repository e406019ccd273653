/*
 * net_config.c - network configuration from the kernel command line:
 * `ip=A.B.C.D/P gw=A.B.C.D` (static) or DHCP, `nic=DRIVER|virtio|any`, `nicirq=`.
 * Strict parsing (every octet and prefix checked), output written only on
 * success.  Builds for the kernel and the host (unit tests).
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

static int get_opt(const char *cmdline, const char *key, char *val, bool *present,
		   struct th_errbuf *eb)
{
	int err = cmdline_get(cmdline, key, val, NET_OPT_MAX);
	*present = err == TH_OK;
	if (err == TH_ENOENT)
		return TH_OK;
	if (err == TH_ETOOBIG)
		return th_errf(eb, TH_EINVAL, "net: %s= value too long", key);
	if (err)
		return th_errf(eb, TH_EINVAL, "net: %s needs a value (%s=...)", key, key);
	return TH_OK;
}

int net_config_parse(const char *cmdline, struct net_config *out, struct th_errbuf *eb)
{
	char ipv[NET_OPT_MAX], gwv[NET_OPT_MAX], nicv[NET_OPT_MAX], wv[NET_OPT_MAX],
		irqv[NET_OPT_MAX];
	bool has_ip, has_gw, has_nic, has_watch, has_irq;
	struct net_config c = { .use_static = false, .nic = "" };
	int err;

	if (!cmdline || !out)
		return th_errf(eb, TH_EINVAL, "net: no command line");
	if ((err = get_opt(cmdline, "ip", ipv, &has_ip, eb)) ||
	    (err = get_opt(cmdline, "gw", gwv, &has_gw, eb)) ||
	    (err = get_opt(cmdline, "nic", nicv, &has_nic, eb)) ||
	    (err = get_opt(cmdline, "drvwatch", wv, &has_watch, eb)) ||
	    (err = get_opt(cmdline, "nicirq", irqv, &has_irq, eb)))
		return err;

	if (has_irq) {
		static const char *const modes[] = { [NET_IRQ_AUTO] = "auto", [NET_IRQ_MSI] = "msi",
						     [NET_IRQ_LINE] = "line", [NET_IRQ_POLL] = "poll" };
		size_t m = 0;
		while (m < sizeof modes / sizeof modes[0] && strcmp(irqv, modes[m]))
			m++;
		if (m == sizeof modes / sizeof modes[0])
			return th_errf(eb, TH_EINVAL, "net: nicirq=%s: expected auto, msi, line or poll",
				       irqv);
		c.irq_mode = (enum net_irq_mode)m;
	}

	if (has_watch) {
		uint32_t ms = 0;
		size_t i = 0;
		for (; wv[i] >= '0' && wv[i] <= '9' && ms <= NET_DRVWATCH_MS_MAX; i++)
			ms = ms * 10 + (uint32_t)(wv[i] - '0');
		if (!strcmp(wv, "off"))
			c.drvwatch_off = true;
		else if (!i || wv[i] || !ms || ms > NET_DRVWATCH_MS_MAX)
			return th_errf(eb, TH_EINVAL, "net: drvwatch=%s: expected 1..%d (ms) or off",
				       wv, NET_DRVWATCH_MS_MAX);
		else
			c.drvwatch_ms = ms;
	}

	if (has_nic && strcmp(nicv, "any") != 0) {
		const char *name = strcmp(nicv, "virtio") == 0 || strcmp(nicv, "virtio-net") == 0 ?
				   "virtio_net" : nicv;
		size_t n = strlen(name);
		bool ok = n > 0 && n < NET_NIC_NAME_MAX;
		for (size_t i = 0; ok && i < n; i++)
			ok = (name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') ||
			     name[i] == '_';
		if (!ok)
			return th_errf(eb, TH_EINVAL, "net: nic=%s: expected a driver module's name "
				       "(e1000, virtio, rtl8139, vmxnet3, ...) or any", nicv);
		memcpy(c.nic, name, n + 1);   /* n < NET_NIC_NAME_MAX: checked above */
	}
	if (has_gw && !has_ip)
		return th_errf(eb, TH_EINVAL, "net: gw= given without ip=");
	if (has_ip) {
		const char *s = ipv;
		unsigned prefix = 24;
		if ((err = parse_ipv4(&s, &c.ip)))
			return th_errf(eb, err, "net: ip=%s: expected A.B.C.D/PREFIX", ipv);
		if (*s == '/') {
			s++;
			if ((err = parse_dec(&s, 32, &prefix)))
				return th_errf(eb, err, "net: ip=%s: prefix must be 1..30", ipv);
		}
		if (*s)
			return th_errf(eb, TH_EINVAL, "net: ip=%s: trailing characters", ipv);
		if (prefix < 1 || prefix > 30)
			return th_errf(eb, TH_ERANGE, "net: ip=%s: prefix must be 1..30", ipv);
		c.netmask = 0xffffffffu << (32 - prefix);
		uint32_t host = c.ip & ~c.netmask;
		if (host == 0 || host == ~c.netmask || (c.ip >> 24) == 0 || (c.ip >> 24) >= 224 ||
		    (c.ip >> 24) == 127)
			return th_errf(eb, TH_EINVAL, "net: ip=%s: not a usable host address", ipv);
		if (has_gw) {
			s = gwv;
			if ((err = parse_ipv4(&s, &c.gw)) || *s)
				return th_errf(eb, err ? err : TH_EINVAL, "net: gw=%s: expected A.B.C.D", gwv);
			if ((c.gw & c.netmask) != (c.ip & c.netmask) || c.gw == c.ip)
				return th_errf(eb, TH_ERANGE, "net: gw=%s: not another host in %s's subnet",
					       gwv, ipv);
		}
		c.use_static = true;
	}
	*out = c;
	return TH_OK;
}
