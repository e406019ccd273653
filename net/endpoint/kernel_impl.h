/*
 * kernel_impl.h - private to the endpoint's kernel-side adapter: the
 * struct endpoint_ops of the kernel, in three files by concern.
 *
 *   kernel_start.c    endpoint_kernel_start(): key=, port=, create, UDP
 *   kernel_queries.c  what the endpoint asks (info, modules, history, state,
 *                     log, graph, tasks): read-only
 *   kernel_actions.c  what changes the kernel (swap, rollback, invoke)
 *   kernel_hasher.c   the task hashing pushed objects on another CPU
 *   kernel_profile.c  the sampling profiler (start, stop, its report)
 *
 * The adapter reaches the kernel only through its narrow interfaces: the
 * swap engine (swap.h), loader introspection (loader.h), statedb, the log,
 * the task list, tasks and CPUs, the profiler (profile.h).  Every function runs in the network poll
 * context, except the hash task (kernel_hasher.c).
 */
#ifndef THESEUS_ENDPOINT_KERNEL_IMPL_H
#define THESEUS_ENDPOINT_KERNEL_IMPL_H

#include "endpoint.h"

void kernel_fill_query_ops(struct endpoint_ops *ops);
/* Bytes of physical memory free now (kernel_queries.c). */
uint64_t kernel_free_bytes(void);
/* The UDP port the endpoint listens on, for `info` (kernel_queries.c). */
void kernel_set_port(uint16_t port);
void kernel_fill_action_ops(struct endpoint_ops *ops);
void kernel_fill_profile_ops(struct endpoint_ops *ops);
/* With more than one CPU (and no hashcpu=off on the command line), start
 * the task that hashes pushed objects on the last CPU; before the first
 * datagram.  Failures are logged: the network CPU hashes then. */
void kernel_hasher_start(struct endpoint *ep, const char *cmdline);

/* The swap engine's stage times as the endpoint reports them (the one copy). */
void kernel_copy_stages(const uint64_t *stage_ns, struct endpoint_stage_time *out, uint32_t *n);

#endif
