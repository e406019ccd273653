/*
 * cmd_invoke.c - `theseusctl invoke [--hex] MODULE FUNCTION [INPUT|-]`:
 * call the exported function FUNCTION of module MODULE in the kernel, bytes
 * in and bytes out - the uniform way to reach any entity by name.  The
 * function has the invoke ABI (net/endpoint.h):
 *     int FUNCTION(const uint8_t *in, size_t in_len,
 *                  uint8_t *out, size_t out_cap, size_t *out_len);
 * INPUT is taken literally; "-" reads it from stdin (once, shared by all
 * hosts); at most 1024 bytes.  Output is written as it came (--hex: as hex),
 * escaped as all output is (ctl/term_text.c) on a terminal or in a fleet.
 * The function's negative return is the command's status (exit 1).
 * JSON fields: "module", "function", "result" (integer), "result_name",
 * "output" (text; bytes >= 0x80 escaped), "output_hex".
 */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "klibc.h"
#include "ctl.h"

#define USAGE "invoke [--hex] [--] MODULE FUNCTION [INPUT|-]"

static pthread_once_t stdin_once = PTHREAD_ONCE_INIT;
static uint8_t stdin_buf[PROTO_INVOKE_MAX_IN + 1];
static size_t stdin_len;

static void read_stdin(void)
{
	stdin_len = fread(stdin_buf, 1, sizeof stdin_buf, stdin);
}

int cmd_invoke_main(int argc, char **argv, struct ctl_ctx *ctx)
{
	bool hex = false, operands = false;
	const char *ops[3];   /* MODULE FUNCTION [INPUT]; "--" makes the rest operands */
	int nops = 0;
	for (int i = 1; i < argc; i++) {
		if (!operands && strcmp(argv[i], "--") == 0)
			operands = true;
		else if (!operands && strcmp(argv[i], "--hex") == 0)
			hex = true;
		else if ((!operands && argv[i][0] == '-' && argv[i][1]) || nops == 3)
			return ctl_usage_fail(ctx, USAGE);
		else
			ops[nops++] = argv[i];
	}
	if (nops < 2)
		return ctl_usage_fail(ctx, USAGE);
	const char *module = ops[0], *function = ops[1];
	const uint8_t *in = (const uint8_t *)"";
	size_t in_len = 0;
	if (nops == 3) {
		if (strcmp(ops[2], "-") == 0) {
			pthread_once(&stdin_once, read_stdin);
			in = stdin_buf;
			in_len = stdin_len;
		} else {
			in = (const uint8_t *)ops[2];
			in_len = strlen(ops[2]);
		}
	}
	if (in_len > PROTO_INVOKE_MAX_IN) {
		ctl_fail(ctx, TH_ETOOBIG, "invoke: input of more than %u bytes",
			 PROTO_INVOKE_MAX_IN);
		return CTL_EXIT_USAGE;
	}
	Theseus__Request req = THESEUS__REQUEST__INIT;
	Theseus__InvokeRequest iv = THESEUS__INVOKE_REQUEST__INIT;
	Theseus__Reply *rep = NULL;
	iv.module = (char *)module;
	iv.function = (char *)function;
	iv.input.data = (uint8_t *)in;
	iv.input.len = in_len;
	req.kind_case = THESEUS__REQUEST__KIND_INVOKE;
	req.invoke = &iv;
	int err = ctl_call(ctx, &req, &rep);
	if (!err && (!rep || rep->payload_case != THESEUS__REPLY__PAYLOAD_INVOKE))
		err = TH_EPROTO;
	ctl_json_str(&ctx->js, "module", module);
	ctl_json_str(&ctx->js, "function", function);
	if (rep && rep->payload_case == THESEUS__REPLY__PAYLOAD_INVOKE) {
		const Theseus__InvokeReply *r = rep->invoke;
		char *h = malloc(2 * r->output.len + 1);
		if (h)
			ctl_hex(r->output.data, r->output.len, h);
		ctl_json_i64(&ctx->js, "result", r->result);
		ctl_json_str(&ctx->js, "result_name", th_err_name(r->result));
		ctl_json_bytes(&ctx->js, "output", r->output.data, r->output.len);
		ctl_json_str(&ctx->js, "output_hex", h ? h : "");
		if (!err && ctl_human(ctx)) {
			if (hex)
				fprintf(ctx->out, "%s\n", h ? h : "");
			else {
				/* Bytes as they came, but escaped on a terminal. */
				FILE *o = ctx->out_raw && !isatty(fileno(ctx->out_raw)) ?
					  ctx->out_raw : ctx->out;
				fflush(ctx->out);
				fwrite(r->output.data, 1, r->output.len, o);
				if (r->output.len && r->output.data[r->output.len - 1] != '\n')
					fputc('\n', o);
				fflush(o);
			}
		}
		free(h);
	}
	if (err) {
		ctl_report(ctx, "invoke", err, rep);
		if (err == TH_ENOENT && !ctx->json &&
		    !(rep && rep->payload_case == THESEUS__REPLY__PAYLOAD_INVOKE))
			fprintf(ctx->err, "theseusctl: `theseusctl ls` lists the modules; the "
				"function must be exported (global) with the invoke ABI\n");
	}
	if (rep)
		theseus__reply__free_unpacked(rep, NULL);
	return ctl_exit_status(ctx, err);
}
