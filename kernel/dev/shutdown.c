/*
 * shutdown.c - stop the machine (see shutdown.h).
 */
#include "shutdown.h"

#include "cpu.h"

void shutdown(enum shutdown_code code)
{
	irq_disable_cpu();
	outl(0xf4, code);              /* isa-debug-exit: QEMU exits here */
	for (int i = 0; i < 100000 && (inb(0x64) & 2); i++)
		cpu_relax();
	outb(0x64, 0xFE);              /* keyboard controller: pulse reset */
	for (;;)
		cpu_halt();
}
