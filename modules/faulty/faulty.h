/*
 * faulty.h - what the TEST module faulty exports to other modules (besides
 * its invocable functions): the counter the fault campaign's workload
 * (modules/workload) drives while faults are injected into faulty.
 */
#ifndef THESEUS_MODULE_FAULTY_H
#define THESEUS_MODULE_FAULTY_H

#include <stdint.h>

/* Add one to statedb counter "faulty.ticks"; *n gets the new value. */
int faulty_tick(uint64_t *n);

#endif
