/*
 * t_ping.c - test module "t_ping": mutually dependent with t_pong (a batch
 * must load them in either order).
 */
#include "theseus.h"

int pong(int n);

int ping(int n)
{
	return n <= 0 ? 0 : 1 + pong(n - 1);
}
TH_EXPORT(ping);

TH_MODULE("t_ping", "1.0", "test: cycle a");
