/*
 * loader_hostenv.h - the host stand-in for the kernel's export table, used by
 * the loader tests: host functions are reached through small jump stubs in
 * MAP_32BIT memory (the test binary is PIE, far above 2 GiB, and modules are
 * built with the small code model), so loaded modules really call them.
 */
#ifndef LOADER_HOSTENV_H
#define LOADER_HOSTENV_H

#include "loader.h"

/* The host export table (stubs set up on first call); *n gets its length. */
const struct kexport *hostenv_exports(size_t *n);
/* A data export at its real (high) address: PC32 to it must overflow. */
extern int host_far_var;
/* Exported test helpers. */
int host_twice(int x);
void host_record_init(const char *name);
/* Exported for the swap tests' transfer hooks: returns what the test set. */
int host_swap_flag(void);
void hostenv_set_swap_flag(int v);
/* A statedb (64 entries, 64 KiB) and the loader with the host export table,
 * the setup of the loader suites: the statedb arena to free at the end, or
 * NULL after printing why not. */
void *hostenv_loader_init(void);
/* Names passed to host_record_init, comma-separated, and reset. */
const char *hostenv_init_log(void);
void hostenv_init_log_reset(void);

#endif
