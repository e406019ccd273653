/*
 * selftest.h - deliberate faults and checks chosen with selftest=NAME on the
 * command line, so the boot tests can prove the fault report and W^X work:
 *   pagefault  read an unmapped address        -> fault report, exit 37
 *   wx         write to kernel text            -> fault report, exit 37
 *   nx         jump into a data page           -> fault report, exit 37
 *   null       read address 0                  -> fault report, exit 37
 *   stack      overflow the boot stack         -> double fault on the guard page
 *   heap       double free / overflow detected -> logged; exit 33 if caught
 */
#ifndef THESEUS_SELFTEST_H
#define THESEUS_SELFTEST_H

/* Runs the named test; returns only if it is not a fault test. */
void selftest_run(const char *name);

#endif
