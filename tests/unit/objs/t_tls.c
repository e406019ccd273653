/*
 * t_tls.c - test module "t_tls": a thread-local variable, which modules
 * cannot have; refused naming thread-local storage.
 */
#include "theseus.h"

int tls_get(void);

static _Thread_local int tls_counter;

int tls_get(void)
{
	return ++tls_counter;
}
TH_EXPORT(tls_get);

TH_MODULE("t_tls", "1.0", "refusal test: thread-local storage");
