/*
 * control.h - the kernel side of the control protocol: the UDP swap
 * endpoint (default port 7700, `port=`), authenticated with the key given as
 * `key=` (64 hex digits) on the command line.  Implements the endpoint
 * core's struct endpoint_ops (net/endpoint.h) over the module loader and the
 * swap engine.
 */
#ifndef THESEUS_CONTROL_H
#define THESEUS_CONTROL_H

#include <stddef.h>
#include <stdint.h>

#include "bootinfo.h"
#include "err.h"

/* Parse key=/port= and start listening.  Errors are logged; the kernel keeps
 * running without an endpoint (or read-only without a key). */
void control_init(const struct boot_info *boot);

/* Sets the optional inspection/control ops (rollback, history, state, log,
 * invoke, graph, tasks) in *ops; kernel/core/control_inspect.c. */
struct endpoint_ops;
void control_inspect_fill_ops(struct endpoint_ops *ops);

/* Parse 64 hex digits into 32 bytes.  TH_EINVAL naming the problem. */
int control_parse_key(const char *hex, uint8_t key[32], struct th_errbuf *eb) TH_MUST_CHECK;

#endif
