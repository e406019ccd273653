/*
 * version.h - the kernel's version string (printed at boot, served by `info`).
 */
#ifndef THESEUS_VERSION_H
#define THESEUS_VERSION_H

#define THESEUS_VERSION "0.1.0"

#endif
