/*
 * cmd_keygen.c - `theseusctl keygen [FILE]`: 32 random bytes as 64 hex
 * digits, for the kernel's key= option and --key-file.  With FILE the key is
 * written there with mode 0600 (an existing file is never overwritten).
 * JSON fields: "key" (without FILE) or "file".
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

#include "klibc.h"
#include "ctl.h"

int cmd_keygen_main(int argc, char **argv, struct ctl_ctx *ctx)
{
	/* "keygen [FILE]" or "keygen -- FILE" (a FILE starting with '-') */
	int a = argc > 1 && strcmp(argv[1], "--") == 0 ? 2 : 1;
	if (argc > a + 1 || (a == 1 && argc == 2 && argv[1][0] == '-' && argv[1][1]))
		return ctl_usage_fail(ctx, "keygen [[--] FILE]");
	argv += a - 1;
	argc -= a - 1;
	uint8_t key[PROTO_KEY_LEN];
	char hex[2 * PROTO_KEY_LEN + 2];
	if (getrandom(key, sizeof key, 0) != sizeof key) {
		ctl_fail(ctx, TH_EIO, "keygen: getrandom: %s", strerror(errno));
		return CTL_EXIT_LOCAL;
	}
	ctl_hex(key, sizeof key, hex);
	if (argc == 1) {
		ctl_json_str(&ctx->js, "key", hex);
		if (!ctx->json)
			fprintf(ctx->out, "%s\n", hex);
		return CTL_EXIT_OK;
	}
	strcat(hex, "\n");
	int fd = open(argv[1], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		ctl_fail(ctx, TH_EIO, "keygen: %s: %s%s", argv[1], strerror(errno),
			 errno == EEXIST ? " (not overwritten; remove it first)" : "");
		return CTL_EXIT_LOCAL;
	}
	ssize_t n = write(fd, hex, strlen(hex));
	close(fd);
	if (n != (ssize_t)strlen(hex)) {
		ctl_fail(ctx, TH_EIO, "keygen: %s: write failed", argv[1]);
		return CTL_EXIT_LOCAL;
	}
	ctl_json_str(&ctx->js, "file", argv[1]);
	if (ctl_human(ctx))
		fprintf(ctx->err, "wrote a new key to %s; boot the kernel with key=$(cat %s)\n",
			argv[1], argv[1]);
	return CTL_EXIT_OK;
}
