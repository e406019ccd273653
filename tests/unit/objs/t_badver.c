/*
 * t_badver.c - test module "t_badver": its version carries an escape
 * sequence, which no swap could name as the expected version (the
 * protocol's names are [A-Za-z0-9_.-]); refused naming the rule and the
 * byte, never echoing the bytes themselves.
 */
#include "theseus.h"

TH_MODULE("t_badver", "1.0\x1b[2J", "refusal test: a version no client can name");
