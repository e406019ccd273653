/*
 * t_cxxdel.c - test module "t_cxxdel": what a C++ class with a virtual
 * destructor leaves in an object that never calls delete, a reference to
 * the sized operator delete (_ZdlPvm, from its deleting destructor), written
 * in C; refused naming the real cause and what to define.
 */
#include "theseus.h"

void sized_delete(void *p, size_t n) __asm__("_ZdlPvm");
int cxxdel_get(void);

int cxxdel_get(void)
{
	sized_delete(NULL, 8);
	return 1;
}
TH_EXPORT(cxxdel_get);

TH_MODULE("t_cxxdel", "1.0", "refusal test: the sized operator delete");
