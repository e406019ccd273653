/*
 * t_spill2.c - test module "t_spill2": state spill of sizes that differ
 * (24 bytes of .data, 100 of .bss), so the loader's report can be checked
 * byte for byte per section.
 */
#include "theseus.h"

int ts2_table[6] = {1, 2, 3, 4, 5, 6};
TH_EXPORT(ts2_table);
static char ts2_buf[100];

int ts2_touch(int i)
{
	ts2_buf[i % 100]++;
	return ts2_table[i % 6] + ts2_buf[i % 100];
}
TH_EXPORT(ts2_touch);

TH_MODULE("t_spill2", "1.0", "test: state spill of known sizes");
