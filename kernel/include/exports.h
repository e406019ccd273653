/*
 * exports.h - the kernel export table handed to the module loader.
 */
#ifndef THESEUS_EXPORTS_H
#define THESEUS_EXPORTS_H

#include <stddef.h>

#include "loader.h"

const struct kexport *kernel_exports(size_t *n);

#endif
