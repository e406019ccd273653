/*
 * cmd_push.c - `theseusctl push FILE`: upload FILE into the kernel's staging
 * area (content-addressed by its SHA-256); prints the hash to swap it with.
 * JSON fields: "file", "size", "sha256".
 */
#include "klibc.h"
#include "ctl.h"

int cmd_push_main(int argc, char **argv, struct ctl_ctx *ctx)
{
	/* "push FILE" or "push -- FILE" (a FILE starting with '-') */
	int a = argc > 1 && strcmp(argv[1], "--") == 0 ? 2 : 1;
	if (argc != a + 1 || (a == 1 && argv[1][0] == '-' && argv[1][1]))
		return ctl_usage_fail(ctx, "push [--] FILE");
	argv += a - 1;
	struct th_errbuf eb = { "" };
	uint8_t *data, sha[PROTO_SHA256_LEN];
	size_t len;
	int rerr = ctl_read_file(argv[1], &data, &len, &eb);
	if (rerr != TH_OK) {
		ctl_fail(ctx, rerr, "%s", eb.msg);
		return CTL_EXIT_LOCAL;
	}
	proto_sha256(data, len, sha);
	char hex[65];
	ctl_hex(sha, sizeof sha, hex);
	ctl_json_str(&ctx->js, "file", argv[1]);
	ctl_json_u64(&ctx->js, "size", len);
	ctl_json_str(&ctx->js, "sha256", hex);
	int ret = ctl_push_object(ctx, argv[1], data, len, sha);
	if (ret == CTL_EXIT_OK && ctl_human(ctx))
		fprintf(ctx->out, "pushed %s (%zu bytes) sha256 %s\n", argv[1], len, hex);
	free(data);
	return ret;
}
