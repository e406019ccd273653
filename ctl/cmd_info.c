/*
 * cmd_info.c - `theseusctl info`: kernel version, uptime, address, memory,
 * module count, CPUs running, the NIC and its counters, staging area,
 * statedb's and the task table's use and the endpoint's counters.
 * JSON fields: "kernel_version", "uptime_ms", "address", "mem_total",
 * "mem_used", "proto_version", "key_configured", "modules", "cpus",
 * "nic": {"pci_id","model","driver","driver_version"} (the NIC in use and
 * the driver module bound to it; empty strings without a NIC) with
 * "counters": {"rx_packets","rx_bytes","rx_drops","rx_errors","tx_packets",
 * "tx_bytes","tx_drops","tx_errors","irqs"} (InfoReply.nic_counters; left
 * out when the kernel sent none: no NIC, or a kernel before them),
 * "staging": {"objects","bytes","max_objects","max_bytes"},
 * "usage": {"statedb_entries","statedb_entries_max","statedb_bytes",
 * "statedb_bytes_max","statedb_largest_free","tasks","tasks_max"}
 * (InfoReply.usage; left out when the kernel sent none: one before it),
 * "counters": {"requests","replies","auth_failures","replays","malformed",
 * "bad_version","chunks","swaps","rollbacks","invokes","stale","epoch_changes",
 * "unanswered","unauth_replies","rate_limited"}, "epoch" (the kernel's current epoch, from the sealed reply),
 * "mac_kinds" (Reply.mac_kinds of the sealed reply: bit 0 HMAC-SHA256, bit
 * 1 ChaCha20-Poly1305; 0 without a key or from a kernel before kind 1).
 */
#include "klibc.h"
#include "ctl.h"

/* "nic": {..., "counters": {...}}: the names of NicCounters' fields. */
static void json_nic_counters(struct ctl_json *j, const Theseus__NicCounters *n)
{
	ctl_json_obj_begin(j, "counters");
	ctl_json_u64(j, "rx_packets", n->rx_packets);
	ctl_json_u64(j, "rx_bytes", n->rx_bytes);
	ctl_json_u64(j, "rx_drops", n->rx_drops);
	ctl_json_u64(j, "rx_errors", n->rx_errors);
	ctl_json_u64(j, "tx_packets", n->tx_packets);
	ctl_json_u64(j, "tx_bytes", n->tx_bytes);
	ctl_json_u64(j, "tx_drops", n->tx_drops);
	ctl_json_u64(j, "tx_errors", n->tx_errors);
	ctl_json_u64(j, "irqs", n->irqs);
	ctl_json_obj_end(j);
}

/* The line under "nic": "nic rx     12345 frames (1.2 MB), 0 dropped, 0
 * errors; tx 678 frames (90.0 kB), 0 dropped, 0 errors; 2345 interrupts". */
static void print_nic_counters(FILE *o, const Theseus__NicCounters *n)
{
	char rx[32], tx[32];
	ctl_fmt_bytes(n->rx_bytes, rx, sizeof rx);
	ctl_fmt_bytes(n->tx_bytes, tx, sizeof tx);
	fprintf(o, "nic rx     %llu frames (%s), %llu dropped, %llu errors; "
		"tx %llu frames (%s), %llu dropped, %llu errors; %llu interrupts\n",
		(unsigned long long)n->rx_packets, rx, (unsigned long long)n->rx_drops,
		(unsigned long long)n->rx_errors, (unsigned long long)n->tx_packets, tx,
		(unsigned long long)n->tx_drops, (unsigned long long)n->tx_errors,
		(unsigned long long)n->irqs);
}

int cmd_info_main(int argc, char **argv, struct ctl_ctx *ctx)
{
	if (argc != 1)
		return ctl_usage_fail(ctx, "info");
	Theseus__Request req = THESEUS__REQUEST__INIT;
	Theseus__InfoRequest ir = THESEUS__INFO_REQUEST__INIT;
	Theseus__Reply *rep = NULL;
	req.kind_case = THESEUS__REQUEST__KIND_INFO;
	req.info = &ir;
	int err = ctl_call_expect(ctx, "info", &req, THESEUS__REPLY__PAYLOAD_INFO, &rep);
	if (err)
		return ctl_exit_status(ctx, err);
	const Theseus__InfoReply *in = rep->info;
	const Theseus__EndpointCounters *c = in->counters;
	static const Theseus__EndpointCounters zero = THESEUS__ENDPOINT_COUNTERS__INIT;
	if (!c)
		c = &zero;
	struct ctl_json *j = &ctx->js;
	ctl_json_str(j, "kernel_version", in->kernel_version);
	ctl_json_u64(j, "uptime_ms", in->uptime_ms);
	ctl_json_str(j, "address", in->address);
	ctl_json_u64(j, "mem_total", in->mem_total);
	ctl_json_u64(j, "mem_used", in->mem_used);
	ctl_json_u64(j, "proto_version", in->proto_version);
	ctl_json_bool(j, "key_configured", in->key_configured);
	ctl_json_u64(j, "modules", in->modules);
	ctl_json_u64(j, "cpus", in->cpus);
	ctl_json_obj_begin(j, "nic");
	ctl_json_str(j, "pci_id", in->nic_pci_id);
	ctl_json_str(j, "model", in->nic_model);
	ctl_json_str(j, "driver", in->nic_driver);
	ctl_json_str(j, "driver_version", in->nic_driver_version);
	if (in->nic_counters)   /* absent: unknown, never zeros */
		json_nic_counters(j, in->nic_counters);
	ctl_json_obj_end(j);
	ctl_json_obj_begin(j, "staging");
	ctl_json_u64(j, "objects", in->staging_objects);
	ctl_json_u64(j, "bytes", in->staging_bytes);
	ctl_json_u64(j, "max_objects", in->staging_max_objects);
	ctl_json_u64(j, "max_bytes", in->staging_max_bytes);
	ctl_json_obj_end(j);
	const Theseus__Usage *u = in->usage;   /* absent: unknown, never zeros */
	if (u) {
		ctl_json_obj_begin(j, "usage");
		ctl_json_u64(j, "statedb_entries", u->statedb_entries);
		ctl_json_u64(j, "statedb_entries_max", u->statedb_entries_max);
		ctl_json_u64(j, "statedb_bytes", u->statedb_bytes);
		ctl_json_u64(j, "statedb_bytes_max", u->statedb_bytes_max);
		ctl_json_u64(j, "statedb_largest_free", u->statedb_largest_free);
		ctl_json_u64(j, "tasks", u->tasks);
		ctl_json_u64(j, "tasks_max", u->tasks_max);
		ctl_json_obj_end(j);
	}
	ctl_json_obj_begin(j, "counters");
	ctl_json_u64(j, "requests", c->requests);
	ctl_json_u64(j, "replies", c->replies);
	ctl_json_u64(j, "auth_failures", c->auth_failures);
	ctl_json_u64(j, "replays", c->replays);
	ctl_json_u64(j, "malformed", c->malformed);
	ctl_json_u64(j, "bad_version", c->bad_version);
	ctl_json_u64(j, "chunks", c->chunks);
	ctl_json_u64(j, "swaps", c->swaps);
	ctl_json_u64(j, "rollbacks", c->rollbacks);
	ctl_json_u64(j, "invokes", c->invokes);
	ctl_json_u64(j, "stale", c->stale);
	ctl_json_u64(j, "epoch_changes", c->epoch_changes);
	ctl_json_u64(j, "unanswered", c->unanswered);
	ctl_json_u64(j, "unauth_replies", c->unauth_replies);
	ctl_json_u64(j, "rate_limited", c->rate_limited);
	ctl_json_obj_end(j);
	ctl_json_u64(j, "epoch", rep->epoch);
	ctl_json_u64(j, "mac_kinds", rep->mac_kinds);
	if (ctl_human(ctx)) {
		FILE *o = ctx->out;
		uint64_t s = in->uptime_ms / 1000;
		fprintf(o, "kernel     %s\n", in->kernel_version);
		fprintf(o, "address    %s\n", in->address);
		fprintf(o, "uptime     %llud %02llu:%02llu:%02llu.%03llu\n",
			(unsigned long long)(s / 86400), (unsigned long long)(s / 3600 % 24),
			(unsigned long long)(s / 60 % 60), (unsigned long long)(s % 60),
			(unsigned long long)(in->uptime_ms % 1000));
		fprintf(o, "memory     %llu of %llu KiB used\n",
			(unsigned long long)(in->mem_used >> 10),
			(unsigned long long)(in->mem_total >> 10));
		fprintf(o, "modules    %u\n", in->modules);
		fprintf(o, "cpus       %u\n", in->cpus);
		if (in->nic_pci_id && in->nic_pci_id[0])
			fprintf(o, "nic        %s %s, driver module %s %s\n", in->nic_pci_id,
				in->nic_model, in->nic_driver, in->nic_driver_version);
		else
			fprintf(o, "nic        none\n");
		if (in->nic_counters)
			print_nic_counters(o, in->nic_counters);
		fprintf(o, "protocol   %u, %s%s\n", in->proto_version,
			in->key_configured ? "key configured" : "NO KEY: read-only",
			rep->mac_kinds & (1u << PROTO_MAC_KIND_POLY)
				? ", request MACs hmac-sha256 and chacha20-poly1305" : "");
		fprintf(o, "staging    %u of %u objects, %llu of %llu bytes\n", in->staging_objects,
			in->staging_max_objects, (unsigned long long)in->staging_bytes,
			(unsigned long long)in->staging_max_bytes);
		if (u) {
			fprintf(o, "statedb    %u of %u entries, %llu of %llu bytes (largest free "
				"%llu)\n", u->statedb_entries, u->statedb_entries_max,
				(unsigned long long)u->statedb_bytes,
				(unsigned long long)u->statedb_bytes_max,
				(unsigned long long)u->statedb_largest_free);
			fprintf(o, "tasks      %u of %u\n", u->tasks, u->tasks_max);
		}
		fprintf(o, "requests   %llu (replies %llu, malformed %llu, bad version %llu)\n",
			(unsigned long long)c->requests, (unsigned long long)c->replies,
			(unsigned long long)c->malformed, (unsigned long long)c->bad_version);
		fprintf(o, "refused    %llu unauthenticated (%llu answered, %llu unanswered, %llu "
			"rate-limited), %llu stale (%llu replays), %llu epoch changes\n",
			(unsigned long long)c->auth_failures, (unsigned long long)c->unauth_replies,
			(unsigned long long)c->unanswered, (unsigned long long)c->rate_limited,
			(unsigned long long)c->stale, (unsigned long long)c->replays,
			(unsigned long long)c->epoch_changes);
		fprintf(o, "epoch      %016llx\n", (unsigned long long)rep->epoch);
		fprintf(o, "done       %llu chunks, %llu swaps, %llu rollbacks, %llu invokes\n",
			(unsigned long long)c->chunks, (unsigned long long)c->swaps,
			(unsigned long long)c->rollbacks, (unsigned long long)c->invokes);
	}
	theseus__reply__free_unpacked(rep, NULL);
	return CTL_EXIT_OK;
}
