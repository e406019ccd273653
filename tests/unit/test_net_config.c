/*
 * test_net_config.c - host unit tests of net_config_parse(): DHCP default,
 * static ip=/gw=, nic= preference, and rejection of malformed values
 * (each falls back to its own default, named in the message; the other
 * options still count).
 */
#include "check.h"
#include "net.h"

static void test_dhcp_default(void)
{
	struct net_config c;
	struct th_errbuf eb;
	CHECK_EQ(net_config_parse("build/theseus.elf loglevel=debug", &c, &eb), TH_OK);
	CHECK(!c.use_static);
	CHECK_STR(c.nic, "");
	CHECK_EQ(net_config_parse("", &c, &eb), TH_OK);
	CHECK(!c.use_static);
}

static void test_static(void)
{
	struct net_config c;
	struct th_errbuf eb;
	CHECK_EQ(net_config_parse("ip=10.0.2.15/24 gw=10.0.2.2 nic=virtio", &c, &eb), TH_OK);
	CHECK(c.use_static);
	CHECK_EQ(c.ip, 0x0a00020f);
	CHECK_EQ(c.netmask, 0xffffff00u);
	CHECK_EQ(c.gw, 0x0a000202);
	CHECK_STR(c.nic, "virtio_net");
	CHECK_EQ(net_config_parse("ip=192.168.1.7/16", &c, &eb), TH_OK);
	CHECK_EQ(c.netmask, 0xffff0000u);
	CHECK_EQ(c.gw, 0);
	CHECK_EQ(net_config_parse("ip=172.16.0.9", &c, &eb), TH_OK);   /* default /24 */
	CHECK_EQ(c.netmask, 0xffffff00u);
	CHECK_EQ(net_config_parse("nic=e1000", &c, &eb), TH_OK);
	CHECK_STR(c.nic, "e1000");
	CHECK_EQ(net_config_parse("nic=vmxnet3", &c, &eb), TH_OK);   /* any driver module */
	CHECK_STR(c.nic, "vmxnet3");
	CHECK_EQ(net_config_parse("nic=any", &c, &eb), TH_OK);
	CHECK_STR(c.nic, "");
}

static void test_drvwatch(void)
{
	struct net_config c;
	struct th_errbuf eb;
	CHECK_EQ(net_config_parse("", &c, &eb), TH_OK);
	CHECK(c.drvwatch_ms == 0 && !c.drvwatch_off);   /* 0: the default */
	CHECK_EQ(net_config_parse("drvwatch=1500", &c, &eb), TH_OK);
	CHECK(c.drvwatch_ms == 1500 && !c.drvwatch_off);
	CHECK_EQ(net_config_parse("drvwatch=off", &c, &eb), TH_OK);
	CHECK(c.drvwatch_off);
	CHECK_EQ(net_config_parse("drvwatch=600000", &c, &eb), TH_OK);
	CHECK_EQ(c.drvwatch_ms, 600000);
}

static void test_nicirq(void)
{
	struct net_config c;
	struct th_errbuf eb;
	CHECK_EQ(net_config_parse("", &c, &eb), TH_OK);
	CHECK_EQ(c.irq_mode, NET_IRQ_AUTO);
	CHECK_EQ(net_config_parse("nicirq=msi", &c, &eb), TH_OK);
	CHECK_EQ(c.irq_mode, NET_IRQ_MSI);
	CHECK_EQ(net_config_parse("nic=e1000 nicirq=line", &c, &eb), TH_OK);
	CHECK_EQ(c.irq_mode, NET_IRQ_LINE);
	CHECK_EQ(net_config_parse("nicirq=poll", &c, &eb), TH_OK);
	CHECK_EQ(c.irq_mode, NET_IRQ_POLL);
	CHECK_EQ(net_config_parse("nicirq=auto", &c, &eb), TH_OK);
	CHECK_EQ(c.irq_mode, NET_IRQ_AUTO);
}

static void expect_bad(const char *cmdline, int want, const char *word)
{
	struct net_config c = { .use_static = true, .ip = 0x01020304, .nic = "e1000" };
	struct th_errbuf eb = { "" };
	CHECK_EQ(net_config_parse(cmdline, &c, &eb), want);
	CHECK(c.ip != 0x01020304 && strcmp(c.nic, "e1000"));   /* written: no leftovers */
	if (!strstr(eb.msg, "using ") && !strstr(eb.msg, "no gateway") && !strstr(eb.msg, "ignored")) {
		fprintf(stderr, "  message for \"%s\" says nothing of the fallback: %s\n", cmdline,
			eb.msg);
		CHECK(0);
	}
	if (!strstr(eb.msg, word)) {
		fprintf(stderr, "  message for \"%s\" lacks \"%s\": %s\n", cmdline, word, eb.msg);
		CHECK(0);
	}
}

static void test_malformed(void)
{
	expect_bad("ip=10.0.2", TH_EINVAL, "ip=");
	expect_bad("ip=10.0.2.15.4", TH_EINVAL, "ip=");
	expect_bad("ip=10.0.2.256/24", TH_ERANGE, "ip=");
	expect_bad("ip=10.0.2.15/33", TH_ERANGE, "ip=");
	expect_bad("ip=10.0.2.15/0", TH_ERANGE, "ip=");
	expect_bad("ip=10.0.2.15/24x", TH_EINVAL, "ip=");
	expect_bad("ip=10.0.2.15/", TH_EINVAL, "ip=");
	expect_bad("ip=0010.0.2.15", TH_EINVAL, "ip=");
	expect_bad("ip=-1.0.2.15", TH_EINVAL, "ip=");
	expect_bad("ip=10.0.2.0/24", TH_EINVAL, "usable");
	expect_bad("ip=10.0.2.255/24", TH_EINVAL, "usable");
	expect_bad("ip=127.0.0.1/8", TH_EINVAL, "usable");
	expect_bad("ip=224.0.0.1/8", TH_EINVAL, "usable");
	expect_bad("ip", TH_EINVAL, "ip");
	expect_bad("ip=", TH_EINVAL, "ip=");
	expect_bad("gw=10.0.2.2", TH_EINVAL, "gw=");
	expect_bad("ip=10.0.2.15/24 gw=10.0.3.2", TH_ERANGE, "gw=");
	expect_bad("ip=10.0.2.15/24 gw=10.0.2.15", TH_ERANGE, "gw=");
	expect_bad("ip=10.0.2.15/24 gw=10.0.2", TH_EINVAL, "gw=");
	expect_bad("nic=RTL-8139", TH_EINVAL, "nic=RTL-8139");
	expect_bad("nic=a_driver_name_of_thirty_two_chars", TH_EINVAL, "nic=");
	expect_bad("nicirq=msix", TH_EINVAL, "nicirq=msix");
	expect_bad("nicirq", TH_EINVAL, "nicirq");
	expect_bad("drvwatch=0", TH_EINVAL, "drvwatch=");
	expect_bad("drvwatch=600001", TH_EINVAL, "drvwatch=");
	expect_bad("drvwatch=3s", TH_EINVAL, "drvwatch=");
	expect_bad("drvwatch=", TH_EINVAL, "drvwatch");
	expect_bad("ip=10.0.2.15/24aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", TH_EINVAL, "ip=");
	struct net_config c;
	CHECK_EQ(net_config_parse(NULL, &c, NULL), TH_EINVAL);
}

/* A bad option costs only itself: a typo in nicirq= must not drop a lab
 * machine's static address (DHCP where there is none: unreachable). */
static void test_bad_option_keeps_the_others(void)
{
	struct net_config c;
	struct th_errbuf eb = { "" };
	CHECK_EQ(net_config_parse("ip=10.0.2.15/24 gw=10.0.2.2 nic=e1000 nicirq=msix", &c, &eb),
		 TH_EINVAL);
	CHECK(c.use_static && c.ip == 0x0a00020f && c.gw == 0x0a000202);
	CHECK_STR(c.nic, "e1000");
	CHECK_EQ(c.irq_mode, NET_IRQ_AUTO);
	CHECK_STR(eb.msg, "nicirq=msix: expected auto, msi, line or poll; using auto");

	CHECK_EQ(net_config_parse("ip=10.0.2.15/24 gw=10.0.3.2 drvwatch=off", &c, &eb), TH_ERANGE);
	CHECK(c.use_static && c.ip == 0x0a00020f && c.gw == 0 && c.drvwatch_off);
	CHECK(strstr(eb.msg, "gw=10.0.3.2") && strstr(eb.msg, "no gateway"));

	CHECK_EQ(net_config_parse("ip=10.0.2.15/24 gw", &c, &eb), TH_EINVAL);
	CHECK(c.use_static && c.gw == 0);

	/* several: each named, the first one's code returned */
	CHECK_EQ(net_config_parse("ip=10.0.2 nic=virtio drvwatch=0 nicirq=line", &c, &eb), TH_EINVAL);
	CHECK(!c.use_static && c.irq_mode == NET_IRQ_LINE && c.drvwatch_ms == 0);
	CHECK_STR(c.nic, "virtio_net");
	CHECK(strstr(eb.msg, "drvwatch=0: expected 1..600000 (ms) or off; using 3000; ") != NULL);
	CHECK(strstr(eb.msg, "ip=10.0.2: expected A.B.C.D/PREFIX; using DHCP") != NULL);

	/* many: the message is cut, never overrun */
	char longc[600];
	snprintf(longc, sizeof longc, "ip=%s gw=%s nic=%s drvwatch=%s nicirq=%s",
		 "999.1.1.1xxxxxxxxxxxxxxxxxxxxxxxxxx", "1xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
		 "NNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNN", "9999999999999999999999999999999999",
		 "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz");
	CHECK(net_config_parse(longc, &c, &eb) != TH_OK);
	CHECK(strlen(eb.msg) < sizeof eb.msg);
	CHECK(!c.use_static && !strcmp(c.nic, "") && c.irq_mode == NET_IRQ_AUTO);
	CHECK(net_config_parse("nicirq=x", &c, NULL) == TH_EINVAL);   /* no errbuf: fine */
}

static void test_format(void)
{
	char buf[16];
	CHECK_STR(net_ip_format(0x0a00020f, buf, sizeof buf), "10.0.2.15");
	CHECK_STR(net_ip_format(0xffffffff, buf, sizeof buf), "255.255.255.255");
	CHECK_STR(net_ip_format(0, buf, sizeof buf), "0.0.0.0");
}

int main(void)
{
	RUN(test_dhcp_default);
	RUN(test_static);
	RUN(test_drvwatch);
	RUN(test_nicirq);
	RUN(test_malformed);
	RUN(test_bad_option_keeps_the_others);
	RUN(test_format);
	return check_summary("net_config");
}
