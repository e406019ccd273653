/*
 * t_math.c - test module "t_math": exports functions and a constant, calls
 * a kernel (host) export; init records itself.  Spill-free.
 */
#include "theseus.h"

int host_twice(int x);
void host_record_init(const char *name);

const int tm_magic = 42;
TH_EXPORT(tm_magic);
static const int tm_table[4] = {1, 10, 100, 1000};

int tm_add(int a, int b)
{
	return a + b;
}
TH_EXPORT(tm_add);

int tm_scaled(int i)
{
	return tm_table[i & 3] * tm_magic;
}
TH_EXPORT(tm_scaled);

int tm_call_kernel(int x)
{
	return host_twice(x) + 1;
}
TH_EXPORT(tm_call_kernel);

static int tm_init(void)
{
	host_record_init("t_math");
	return TH_OK;
}

TH_MODULE("t_math", "1.0", "test: exports", .init = tm_init);
