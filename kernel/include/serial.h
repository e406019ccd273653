/*
 * serial.h - the COM1 serial console (115200 8N1), polled output.
 */
#ifndef THESEUS_SERIAL_H
#define THESEUS_SERIAL_H

#include <stddef.h>

void serial_init(void);
void serial_write(const char *s, size_t n);   /* "\n" becomes "\r\n" */

#endif
