/*
 * cmd_tasks.c - `theseusctl tasks`: the kernel's task list (id, name,
 * state, priority, CPU time, switches) as the kernel formats it, fetched
 * in datagram-sized pieces.  JSON fields: "text".
 */
#include <stdlib.h>

#include "klibc.h"
#include "ctl.h"

int cmd_tasks_main(int argc, char **argv, struct ctl_ctx *ctx)
{
	if (argc != 1)
		return ctl_usage_fail(ctx, "tasks");
	Theseus__Request req = THESEUS__REQUEST__INIT;
	Theseus__TasksRequest tq = THESEUS__TASKS_REQUEST__INIT;
	char *text = NULL;
	size_t len = 0;
	int ret = CTL_EXIT_OK;
	req.kind_case = THESEUS__REQUEST__KIND_TASKS;
	req.tasks = &tq;
	for (;;) {
		Theseus__Reply *rep = NULL;
		int err = ctl_call_expect(ctx, "tasks", &req, THESEUS__REPLY__PAYLOAD_TASKS, &rep);
		if (err) {
			ret = ctl_exit_status(ctx, err);
			break;
		}
		const Theseus__TasksReply *t = rep->tasks;
		size_t n = strlen(t->text);
		char *nt = realloc(text, len + n + 1);
		if (!nt) {
			theseus__reply__free_unpacked(rep, NULL);
			ctl_fail(ctx, TH_ENOMEM, "out of memory");
			ret = CTL_EXIT_LOCAL;
			break;
		}
		text = nt;
		memcpy(text + len, t->text, n + 1);
		len += n;
		tq.offset += (uint32_t)n;
		bool more = n > 0 && tq.offset < t->total;
		theseus__reply__free_unpacked(rep, NULL);
		if (!more)
			break;
	}
	ctl_json_str(&ctx->js, "text", text ? text : "");
	if (ret == CTL_EXIT_OK && ctl_human(ctx) && text)
		fputs(text, ctx->out);
	free(text);
	return ret;
}
