/*
 * targets_dedup.c - merging hosts given twice: -H a,a, a --hosts file that
 * repeats a line, or two names of one machine (lab1 and its address).  Two
 * targets are the same when they resolve to the same IPv4 address and port
 * (as the transport will resolve them, ctl_tx_open); a name that does not
 * resolve is compared as written, case-insensitively.  The first one stays,
 * in its place; each later one is dropped with a note on stderr, so a
 * command runs once per machine and a rollout counts it once.
 */
#include <netdb.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/socket.h>

#include "klibc.h"
#include "ctl.h"

struct key {
	bool resolved;
	uint32_t addr;   /* network order */
	uint16_t port;
};

static void key_of(const struct ctl_target *t, struct key *k)
{
	struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_DGRAM }, *ai = NULL;
	k->resolved = false;
	k->port = t->port;
	if (getaddrinfo(t->host, NULL, &hints, &ai) == 0 && ai) {
		k->addr = ((const struct sockaddr_in *)ai->ai_addr)->sin_addr.s_addr;
		k->resolved = true;
	}
	if (ai)
		freeaddrinfo(ai);
}

static bool same(const struct ctl_target *a, const struct key *ka, const struct ctl_target *b,
		 const struct key *kb)
{
	if (ka->port != kb->port)
		return false;
	if (ka->resolved && kb->resolved)
		return ka->addr == kb->addr;
	return !ka->resolved && !kb->resolved && strcasecmp(a->host, b->host) == 0;
}

size_t ctl_targets_dedup(struct ctl_ctx *ctx, FILE *note)
{
	size_t n = ctx->n_targets, kept = 0, dropped = 0;
	if (n < 2)
		return 0;
	struct key *keys = calloc(n, sizeof *keys);
	if (!keys)
		return 0;   /* out of memory: run them as given */
	for (size_t i = 0; i < n; i++)
		key_of(&ctx->targets[i], &keys[i]);
	for (size_t i = 0; i < n; i++) {
		size_t j;
		for (j = 0; j < kept; j++)
			if (same(&ctx->targets[j], &keys[j], &ctx->targets[i], &keys[i]))
				break;
		if (j < kept) {
			if (note)
				fprintf(note, "theseusctl: note: %s:%u is %s:%u again: asked once\n",
					ctx->targets[i].host, ctx->targets[i].port,
					ctx->targets[j].host, ctx->targets[j].port);
			dropped++;
			continue;
		}
		ctx->targets[kept] = ctx->targets[i];
		keys[kept++] = keys[i];
	}
	ctx->n_targets = kept;
	free(keys);
	return dropped;
}
