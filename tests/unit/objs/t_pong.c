/*
 * t_pong.c - test module "t_pong": the other half of the t_ping cycle.
 */
#include "theseus.h"

int ping(int n);

int pong(int n)
{
	return n <= 0 ? 0 : 10 + ping(n - 1);
}
TH_EXPORT(pong);

TH_MODULE("t_pong", "1.0", "test: cycle b");
