/*
 * lint.c - loader_lint(): the loader's complete check of an object without
 * loading it (headers, sections, symbols, relocation types, module record,
 * COMMON, state spill), for theseus-lint and later `theseusctl lint`.
 * Uses only elf_parse.c and reloc.c, so it links without the rest.
 */
#include "loader_impl.h"

static void say(void (*report)(void *, const char *, const char *), void *ctx,
		const char *level, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void say(void (*report)(void *, const char *, const char *), void *ctx,
		const char *level, const char *fmt, ...)
{
	char line[240];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	report(ctx, level, line);
}

int loader_parse_spill_policy(const char *s, enum loader_spill_policy *out)
{
	if (s && strcmp(s, "reject") == 0)
		*out = LOADER_SPILL_REJECT;
	else if (s && strcmp(s, "warn") == 0)
		*out = LOADER_SPILL_WARN;
	else
		return TH_EINVAL;
	return TH_OK;
}

int loader_lint(const void *data, size_t len, enum loader_spill_policy policy,
		void (*report)(void *ctx, const char *level, const char *text), void *ctx)
{
	struct th_errbuf eb = {{0}};
	struct elf_obj o;
	size_t i, spill = 0, undef = 0;
	int err;

	err = elf_parse(data, len, NULL, &o, &eb);
	if (err) {
		say(report, ctx, "error", "%s [%s]", eb.msg, th_err_name(err));
		return err;
	}
	say(report, ctx, "info", "module %s %s: \"%s\"", o.info.name, o.info.version,
	    o.info.description);
	for (i = 1; i < o.shnum; i++) {
		if (o.cls[i] != SEC_DATA || o.sh[i].size == 0)
			continue;
		spill += o.sh[i].size;
		say(report, ctx, policy == LOADER_SPILL_REJECT ? "error" : "warning",
		    "%s: state spill: section %s holds %llu bytes (keep state in statedb)",
		    o.info.name, elf_sec_name(&o, i), (unsigned long long)o.sh[i].size);
	}
	for (i = 1; i < o.nsym; i++)
		if (o.sym[i].shndx == SHN_UNDEF && o.sym[i].name && elf_sym_name(&o, i)[0])
			undef++;
	say(report, ctx, "info", "%s: %zu exports, %zu imports, %zu relocations, %zu spill bytes",
	    o.info.name, o.n_exports, undef, o.n_relocs, spill);
	elf_release(&o);
	if (spill && policy == LOADER_SPILL_REJECT)
		return TH_ESPILL;
	return TH_OK;
}
