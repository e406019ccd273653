/*
 * t_user.c - test module "t_user": depends on t_math (calls, an address
 * taken with R_X86_64_32, a function pointer in rodata via R_X86_64_64).
 */
#include "theseus.h"

int tm_add(int a, int b);
extern const int tm_magic;
void host_record_init(const char *name);

static int (*const tu_ops[1])(int, int) = {tm_add};

int tu_sum3(int a, int b, int c)
{
	return tm_add(tm_add(a, b), c);
}
TH_EXPORT(tu_sum3);

int tu_via_table(int a, int b)
{
	return tu_ops[0](a, b);
}
TH_EXPORT(tu_via_table);

const int *tu_magic_ptr(void)
{
	return &tm_magic;
}
TH_EXPORT(tu_magic_ptr);

static int tu_init(void)
{
	host_record_init("t_user");
	return tm_add(1, 1) == 2 ? TH_OK : TH_EFAULT;
}

TH_MODULE("t_user", "1.0", "test: uses t_math", .init = tu_init);
