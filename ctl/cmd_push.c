/*
 * cmd_push.c - `theseusctl push FILE`: upload FILE into the kernel's staging
 * area (content-addressed by its SHA-256); prints the hash to swap it with.
 */
#include "klibc.h"
#include "ctl.h"

int cmd_push_main(int argc, char **argv, struct ctl_ctx *ctx)
{
	if (argc != 2) {
		fprintf(ctx->err, "usage: theseusctl push FILE\n");
		return CTL_EXIT_USAGE;
	}
	struct th_errbuf eb = { "" };
	uint8_t *data, sha[ENDPOINT_SHA256_LEN];
	size_t len;
	if (ctl_read_file(argv[1], &data, &len, &eb) != TH_OK) {
		fprintf(ctx->err, "theseusctl: %s\n", eb.msg);
		return CTL_EXIT_LOCAL;
	}
	endpoint_sha256(data, len, sha);
	int ret = ctl_push_object(ctx, argv[1], data, len, sha);
	if (ret == CTL_EXIT_OK && !ctx->quiet) {
		char hex[65];
		ctl_hex(sha, sizeof sha, hex);
		fprintf(ctx->out, "pushed %s (%zu bytes) sha256 %s\n", argv[1], len, hex);
	}
	free(data);
	return ret;
}
