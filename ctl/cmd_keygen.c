/*
 * cmd_keygen.c - `theseusctl keygen [FILE]`: 32 random bytes as 64 hex
 * digits, for the kernel's key= option and --key-file.  With FILE the key is
 * written there with mode 0600 (an existing file is never overwritten).
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

#include "klibc.h"
#include "ctl.h"

int cmd_keygen_main(int argc, char **argv, struct ctl_ctx *ctx)
{
	if (argc > 2) {
		fprintf(ctx->err, "usage: theseusctl keygen [FILE]\n");
		return CTL_EXIT_USAGE;
	}
	uint8_t key[ENDPOINT_KEY_LEN];
	char hex[2 * ENDPOINT_KEY_LEN + 2];
	if (getrandom(key, sizeof key, 0) != sizeof key) {
		fprintf(ctx->err, "theseusctl: keygen: getrandom: %s\n", strerror(errno));
		return CTL_EXIT_LOCAL;
	}
	ctl_hex(key, sizeof key, hex);
	strcat(hex, "\n");
	if (argc == 1) {
		fputs(hex, ctx->out);
		return CTL_EXIT_OK;
	}
	int fd = open(argv[1], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(ctx->err, "theseusctl: keygen: %s: %s%s\n", argv[1], strerror(errno),
			errno == EEXIST ? " (not overwritten; remove it first)" : "");
		return CTL_EXIT_LOCAL;
	}
	ssize_t n = write(fd, hex, strlen(hex));
	close(fd);
	if (n != (ssize_t)strlen(hex)) {
		fprintf(ctx->err, "theseusctl: keygen: %s: write failed\n", argv[1]);
		return CTL_EXIT_LOCAL;
	}
	if (!ctx->quiet)
		fprintf(ctx->err, "wrote a new key to %s; boot the kernel with key=$(cat %s)\n",
			argv[1], argv[1]);
	return CTL_EXIT_OK;
}
