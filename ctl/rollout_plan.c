/*
 * rollout_plan.c - the arithmetic of a staged rollout, pure and unit-tested
 * (tests/unit/rollout_plan_test.c): parsing --waves ("1,10%,100%") and
 * --max-fail ("3" or "5%"), and turning them into cumulative host counts
 * and a failure budget for a fleet of a given size.
 */
#include "rollout.h"

/* One item: digits with an optional trailing '%'.  index: its place in a
 * list (1-based), 0 for a lone value. */
static int parse_amount(const char *s, size_t len, const char *what, size_t index,
			struct rollout_amount *out, struct th_errbuf *eb)
{
	char at[48];
	if (index)
		snprintf(at, sizeof at, "item %zu", index);
	else
		snprintf(at, sizeof at, "value");
	if (len == 0)
		return th_errf(eb, TH_EINVAL, "%s: %s is empty", what, at);
	if (len > ROLLOUT_ITEM_MAX)
		return th_errf(eb, TH_EINVAL, "%s: %s (%.*s...) is longer than %d characters",
			       what, at, ROLLOUT_ITEM_MAX, s, ROLLOUT_ITEM_MAX);
	out->pct = s[len - 1] == '%';
	size_t digits = len - (out->pct ? 1 : 0);
	if (digits == 0)
		return th_errf(eb, TH_EINVAL, "%s: %s (%.*s) has no number", what, at, (int)len, s);
	uint64_t v = 0;
	for (size_t i = 0; i < digits; i++) {
		if (s[i] < '0' || s[i] > '9')
			return th_errf(eb, TH_EINVAL,
				       "%s: %s (%.*s) is not a count or a percentage "
				       "(write e.g. 5 or 10%%)", what, at, (int)len, s);
		v = v * 10 + (uint64_t)(s[i] - '0');
		if (v > ROLLOUT_COUNT_MAX)
			return th_errf(eb, TH_ERANGE, "%s: %s (%.*s) is too large (at most %d)",
				       what, at, (int)len, s, ROLLOUT_COUNT_MAX);
	}
	if (out->pct && v > 100)
		return th_errf(eb, TH_ERANGE, "%s: %s (%.*s) is above 100%%", what, at, (int)len, s);
	out->value = (uint32_t)v;
	return TH_OK;
}

int rollout_waves_parse(const char *spec, struct rollout_waves *out, struct th_errbuf *eb)
{
	memset(out, 0, sizeof *out);
	size_t len = strnlen(spec, ROLLOUT_SPEC_MAX + 1);
	if (len == 0)
		return th_errf(eb, TH_EINVAL, "--waves: empty list (write e.g. 1,10%%,100%%)");
	if (len > ROLLOUT_SPEC_MAX)
		return th_errf(eb, TH_EINVAL, "--waves: list longer than %d characters",
			       ROLLOUT_SPEC_MAX);
	size_t at = 0;
	for (;;) {
		size_t end = at;
		while (end < len && spec[end] != ',')
			end++;
		if (out->n == ROLLOUT_MAX_WAVES)
			return th_errf(eb, TH_ERANGE, "--waves: more than %d waves", ROLLOUT_MAX_WAVES);
		struct rollout_amount *a = &out->item[out->n];
		int err = parse_amount(spec + at, end - at, "--waves", out->n + 1, a, eb);
		if (err)
			return err;
		if (a->value == 0)
			return th_errf(eb, TH_EINVAL, "--waves: item %u (%.*s) is zero: a wave needs "
				       "at least one host", out->n + 1, (int)(end - at), spec + at);
		/* Same kind as the item before: must not go down. */
		if (out->n > 0 && out->item[out->n - 1].pct == a->pct &&
		    out->item[out->n - 1].value > a->value)
			return th_errf(eb, TH_EINVAL, "--waves: item %u (%.*s) is below item %u: "
				       "the targets are cumulative", out->n + 1, (int)(end - at),
				       spec + at, out->n);
		out->n++;
		if (end == len)
			return TH_OK;
		at = end + 1;
		if (at == len)
			return th_errf(eb, TH_EINVAL, "--waves: the list ends with a comma");
	}
}

static size_t amount_hosts(const struct rollout_amount *a, size_t n_hosts)
{
	if (!a->pct)
		return a->value < n_hosts ? a->value : n_hosts;
	size_t k = (n_hosts * a->value + 99) / 100;   /* round up */
	return k < 1 ? 1 : k;
}

int rollout_waves_resolve(const struct rollout_waves *w, size_t n_hosts,
			  size_t ends[ROLLOUT_MAX_WAVES + 1], size_t *n_waves,
			  struct th_errbuf *eb)
{
	*n_waves = 0;
	if (n_hosts == 0)
		return th_errf(eb, TH_EINVAL, "rollout: no hosts (give -H or --hosts)");
	if (n_hosts > CTL_MAX_HOSTS)
		return th_errf(eb, TH_ERANGE, "rollout: more than %d hosts", CTL_MAX_HOSTS);
	if (w->n > ROLLOUT_MAX_WAVES)
		return th_errf(eb, TH_ERANGE, "--waves: more than %d waves", ROLLOUT_MAX_WAVES);
	size_t prev = 0;
	for (uint32_t i = 0; i < w->n; i++) {
		size_t k = amount_hosts(&w->item[i], n_hosts);
		if (k < prev)
			return th_errf(eb, TH_EINVAL, "--waves: item %u (%u%s = %zu hosts) is below "
				       "an earlier wave (%zu hosts): the targets are cumulative",
				       i + 1, w->item[i].value, w->item[i].pct ? "%" : "", k, prev);
		if (k == prev)
			continue;
		ends[(*n_waves)++] = k;
		prev = k;
	}
	if (prev < n_hosts)
		ends[(*n_waves)++] = n_hosts;
	return TH_OK;
}

int rollout_budget_parse(const char *spec, struct rollout_amount *out, struct th_errbuf *eb)
{
	size_t len = strnlen(spec, ROLLOUT_ITEM_MAX + 1);
	memset(out, 0, sizeof *out);
	if (len > ROLLOUT_ITEM_MAX)
		return th_errf(eb, TH_EINVAL, "--max-fail: longer than %d characters (write e.g. "
			       "3 or 5%%)", ROLLOUT_ITEM_MAX);
	return parse_amount(spec, len, "--max-fail", 0, out, eb);
}

size_t rollout_budget_resolve(const struct rollout_amount *b, size_t n_hosts)
{
	if (!b->pct)
		return b->value;
	return n_hosts * b->value / 100;   /* round down: never more than asked */
}
