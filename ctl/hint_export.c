/*
 * hint_export.c - the way out theseusctl names when a swap or a rollback is
 * refused because a module that others link into would stop exporting a
 * symbol they use (the kernel's ENOSYM "DEP uses SYM of module MOD; the new
 * MOD VERSION does not export it"): swap the dependent in the same
 * transaction, or, for a rollback, take the dependent back first (rollback,
 * or --unload when it was loaded after the swap) or roll both back together.
 */
#include "klibc.h"
#include "ctl.h"

int ctl_parse_missing_export(const char *msg, struct ctl_missing_export *out)
{
	if (!msg || !out)
		return TH_EINVAL;
	if (sscanf(msg, "%31[a-z0-9_] uses %127s of module %31[a-z0-9_]", out->dependent,
		   out->symbol, out->module) != 3)
		return TH_EINVAL;
	return TH_OK;
}

void ctl_hint_missing_export(struct ctl_ctx *ctx, bool rollback)
{
	struct ctl_missing_export m;
	const char *msg = strstr(ctx->errmsg, ": "); /* after "swap: " / "rollback: " */

	if (ctx->json || ctl_parse_missing_export(msg ? msg + 2 : ctx->errmsg, &m))
		return;
	if (rollback)
		fprintf(ctx->err, "theseusctl: %s links to %s, which %s's previous version does "
			"not export: take %s back first (`theseusctl rollback [--unload] %s`), or "
			"roll both back as one transaction (`theseusctl rollback %s %s`)\n",
			m.dependent, m.symbol, m.module, m.dependent, m.dependent, m.module,
			m.dependent);
	else
		fprintf(ctx->err, "theseusctl: %s links to %s: export it from the new %s too, or "
			"swap %s in the same transaction to a version that does not use it "
			"(`theseusctl swap %s NEW.o %s OTHER.o`)\n", m.dependent, m.symbol,
			m.module, m.dependent, m.module, m.dependent);
}
