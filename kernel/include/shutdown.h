/*
 * shutdown.h - leave the machine: QEMU's isa-debug-exit device (tests read
 * the status), else a reset through the keyboard controller, else halt.
 * QEMU exits with (code << 1) | 1: SUCCESS -> 33, FAILURE -> 35, FAULT -> 37.
 */
#ifndef THESEUS_SHUTDOWN_H
#define THESEUS_SHUTDOWN_H

enum shutdown_code {
	SHUTDOWN_SUCCESS = 0x10,  /* QEMU exit status 33 */
	SHUTDOWN_FAILURE = 0x11,  /* 35: a self-test or boot check failed */
	SHUTDOWN_FAULT = 0x12,    /* 37: an unrecoverable CPU exception */
};

__attribute__((noreturn)) void shutdown(enum shutdown_code code);

#endif
