/*
 * endpoint_udpd.c - a host UDP server around endpoint_handle() with the
 * in-memory fixture backend: end-to-end tests of theseusctl without a kernel
 * (tests/unit/endpoint_e2e.sh), and a bench baseline.
 *
 *   endpoint_udpd [--port P] [--key-file F] [--drop PCT] [--drop-reply PCT]
 *                 [--dup PCT] [--reorder PCT] [--seed N] [--staging-bytes N]
 *                 [--fail-check VERSION] [--fault-on VERSION] [--nic]
 *                 [--profile-extra N] [--profile-churn N] [--no-profile]
 *
 * --drop/--dup/--reorder act on received datagrams (lose it, handle it twice,
 * hold it back until after the next one); --drop-reply loses replies.
 * For rollout tests (a host where the new version is broken):
 * --fail-check VERSION makes every invoke of a module running VERSION return
 * TH_EFAULT; --fault-on VERSION records a "fault: ..." history entry for a
 * module right after it is swapped to VERSION.
 * --nic: info reports a NIC (8086:100e 82540EM, e1000 1.0) with fixed
 * counters (rx 12345 frames of 1234567 bytes, 2 dropped, 1 error; tx 678
 * frames of 90000 bytes, 3 dropped, 4 errors; 2345 interrupts); without
 * it, no NIC and no counters, as a kernel without one.
 * Profile requests get the fixture's small fake report (4 entries, 1024
 * samples on 2 CPUs once started; --profile-extra N more entries of 1
 * sample each; --profile-churn N: the next N pages after the first find the
 * report recomputed, as another client's request would, one sample more
 * each time); --no-profile answers them ENOTSUP as a kernel without a
 * profiler.
 * Prints "READY <port>" on stdout once bound (port 0 = any free port), then
 * serves until killed.  SIGUSR1 prints the counters and module table.
 * Each start draws a random epoch (as a kernel does per boot).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "endpoint_fixture.h"
#include "ctl.h"

/* The longest datagram the kernel's UDP layer takes (net/net_udp.c: one
 * Ethernet payload and some slack): it drops longer ones unanswered
 * (theseus.proto, 1), and so does this daemon. */
#define UDP_PAYLOAD_TAKEN 1536

static volatile sig_atomic_t dump_requested;

static void on_usr1(int sig)
{
	(void)sig;
	dump_requested = 1;
}

static void dump(struct endpoint *ep, struct fx_backend *fx)
{
	struct endpoint_counters c;
	endpoint_get_counters(ep, &c);
	fprintf(stderr,
		"udpd: requests %llu replies %llu auth_failures %llu replays %llu malformed %llu "
		"chunks %llu swaps %llu\n",
		(unsigned long long)c.requests, (unsigned long long)c.replies,
		(unsigned long long)c.auth_failures, (unsigned long long)c.replays,
		(unsigned long long)c.malformed, (unsigned long long)c.chunks,
		(unsigned long long)c.swaps);
	for (uint32_t i = 0; i < fx->n; i++)
		fprintf(stderr, "udpd: module %s %s swaps %llu\n", fx->mods[i].m.name,
			fx->mods[i].m.version, (unsigned long long)fx->mods[i].swaps);
}

/* --fail-check / --fault-on: wrappers around the fixture's invoke and swap. */
static const char *fail_check_version, *fault_on_version;
static struct endpoint_ops fx_plain;

static int invoke_maybe_failing(void *ctx, const char *module, const char *function,
				const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap,
				size_t *out_len, int *result, struct th_errbuf *eb)
{
	struct endpoint_module m;
	if (fail_check_version && fx_plain.module_find(ctx, module, &m) == TH_OK &&
	    strcmp(m.version, fail_check_version) == 0) {
		*out_len = 0;
		*result = TH_EFAULT;
		return TH_OK;
	}
	return fx_plain.invoke(ctx, module, function, in, in_len, out, out_cap, out_len, result,
			       eb);
}

static int swap_maybe_faulting(void *ctx, const struct endpoint_swap_item *items, size_t n,
			       struct endpoint_swap_report *rep, struct th_errbuf *eb)
{
	int err = fx_plain.swap(ctx, items, n, rep, eb);
	for (size_t i = 0; !err && fault_on_version && i < n; i++)
		if (strcmp(rep->new_version[i], fault_on_version) == 0)
			fx_history_add(ctx, false, TH_EFAULT, items[i].module, rep->new_version[i],
				       rep->new_version[i], "fault: page fault in module code "
				       "(fixture --fault-on)");
	return err;
}

static int pct(int p)
{
	return p > 0 && rand() % 100 < p;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "key-file", required_argument, NULL, 'k' },
		{ "drop", required_argument, NULL, 'd' },
		{ "drop-reply", required_argument, NULL, 'D' },
		{ "dup", required_argument, NULL, 'u' },
		{ "reorder", required_argument, NULL, 'r' },
		{ "seed", required_argument, NULL, 's' },
		{ "staging-bytes", required_argument, NULL, 'b' },
		{ "fail-check", required_argument, NULL, 'F' },
		{ "fault-on", required_argument, NULL, 'f' },
		{ "nic", no_argument, NULL, 'n' },
		{ "profile-extra", required_argument, NULL, 'P' },
		{ "profile-churn", required_argument, NULL, 'C' },
		{ "no-profile", no_argument, NULL, 'N' },
		{ "tasks-churn", required_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 },
	};
	int port = 0, drop = 0, drop_reply = 0, dup = 0, reorder = 0, c;
	unsigned seed = 1;
	const char *key_file = NULL;
	bool nic = false, no_profile = false;
	uint32_t profile_extra = 0, profile_churn = 0, tasks_churn = 0;
	struct endpoint_config cfg = { 0 };
	uint8_t key[PROTO_KEY_LEN];
	struct th_errbuf eb = { "" };

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p': port = atoi(optarg); break;
		case 'k': key_file = optarg; break;
		case 'd': drop = atoi(optarg); break;
		case 'D': drop_reply = atoi(optarg); break;
		case 'u': dup = atoi(optarg); break;
		case 'r': reorder = atoi(optarg); break;
		case 's': seed = (unsigned)atoi(optarg); break;
		case 'b': cfg.staging_max_bytes = strtoull(optarg, NULL, 0); break;
		case 'F': fail_check_version = optarg; break;
		case 'f': fault_on_version = optarg; break;
		case 'n': nic = true; break;
		case 'P': profile_extra = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'C': profile_churn = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'N': no_profile = true; break;
		case 'T': tasks_churn = (uint32_t)strtoul(optarg, NULL, 0); break;
		default:
			fprintf(stderr, "usage: endpoint_udpd [--port P] [--key-file F] [--drop PCT] "
				"[--drop-reply PCT] [--dup PCT] [--reorder PCT] [--seed N] "
				"[--staging-bytes N] [--fail-check VERSION] [--fault-on VERSION] "
				"[--nic] [--profile-extra N] [--profile-churn N] [--no-profile] "
				"[--tasks-churn N]\n");
			return 2;
		}
	}
	srand(seed);
	if (key_file) {
		if (ctl_key_load(key_file, key, &eb, NULL) != TH_OK) {
			fprintf(stderr, "udpd: %s\n", eb.msg);
			return 1;
		}
		cfg.key = key;
	}
	struct fx_backend fx;
	fx_backend_init(&fx);
	fx.real_clock = true;
	if (tasks_churn) {   /* 200 tasks, N of which end after each listing */
		fx.extra_tasks = 200;
		fx.tasks_shrink = tasks_churn;
	}
	if (nic) {
		fx.has_nic = true;
		fx.nic = (struct endpoint_nic_counters){
			.rx_packets = 12345, .rx_bytes = 1234567, .rx_drops = 2, .rx_errors = 1,
			.tx_packets = 678, .tx_bytes = 90000, .tx_drops = 3, .tx_errors = 4,
			.irqs = 2345,
		};
	}
	/* a random epoch per start, like a kernel's per boot */
	if (getrandom(&fx.rng, sizeof fx.rng, 0) != sizeof fx.rng)
		fx.rng ^= (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	struct endpoint_ops ops = fx_ops(&fx);
	fx_plain = ops;
	ops.invoke = invoke_maybe_failing;
	ops.swap = swap_maybe_faulting;
	fx.profile_extra = profile_extra;
	fx.profile_churn = profile_churn;
	if (no_profile)
		ops.profile_control = NULL;
	struct endpoint *ep;
	if (endpoint_create(&cfg, &ops, &ep, &eb) != TH_OK) {
		fprintf(stderr, "udpd: %s\n", eb.msg);
		return 1;
	}
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t alen = sizeof a;
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &alen) < 0) {
		fprintf(stderr, "udpd: bind 127.0.0.1:%d: %s\n", port, strerror(errno));
		return 1;
	}
	signal(SIGUSR1, on_usr1);
	printf("READY %u\n", ntohs(a.sin_port));
	fflush(stdout);
	fprintf(stderr, "udpd: serving on 127.0.0.1:%u, %s, epoch %016llx\n", ntohs(a.sin_port),
		key_file ? "key configured" : "no key: read-only requests only",
		(unsigned long long)endpoint_epoch(ep));

	uint8_t held[2048], buf[2048], reply[PROTO_MAX_DATAGRAM];
	size_t held_len = 0;
	struct sockaddr_in held_from;
	for (;;) {
		struct sockaddr_in from;
		socklen_t flen = sizeof from;
		ssize_t n = recvfrom(fd, buf, sizeof buf, MSG_TRUNC, (struct sockaddr *)&from, &flen);
		if (dump_requested) {
			dump_requested = 0;
			dump(ep, &fx);
		}
		if (n < 0 || n > UDP_PAYLOAD_TAKEN)
			continue;   /* as the kernel: too long to take */
		if (pct(drop))
			continue;
		if (!held_len && pct(reorder)) {
			memcpy(held, buf, (size_t)n);
			held_len = (size_t)n;
			held_from = from;
			continue;
		}
		int times = pct(dup) ? 2 : 1;
		for (int round = 0; round < 2; round++) {
			const uint8_t *d = round ? held : buf;
			size_t len = round ? held_len : (size_t)n;
			struct sockaddr_in *to = round ? &held_from : &from;
			if (round && !held_len)
				break;
			for (int t = 0; t < (round ? 1 : times); t++) {
				size_t rlen = 0;
				if (endpoint_handle(ep, d, len, reply, sizeof reply, &rlen) != TH_OK)
					continue;
				if (pct(drop_reply))
					continue;
				if (rlen)
					sendto(fd, reply, rlen, 0, (struct sockaddr *)to, sizeof *to);
			}
			if (round)
				held_len = 0;
		}
	}
}
