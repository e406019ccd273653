/*
 * serial.c - COM1 (0x3F8) console: 115200 baud, 8N1, FIFO on, polled writes.
 * Used by the log before anything else is initialised.
 *
 * Writes fill the 16-byte transmit FIFO: one status read per 16 bytes, not
 * one per byte (under QEMU every port access is an exit to the emulator, so
 * logging cost two per byte).
 */
#include "serial.h"

#include "cpu.h"

#define COM1 0x3F8

void serial_init(void)
{
	outb(COM1 + 1, 0x00); /* no interrupts */
	outb(COM1 + 3, 0x80); /* DLAB */
	outb(COM1 + 0, 0x01); /* divisor 1: 115200 */
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03); /* 8N1 */
	outb(COM1 + 2, 0xC7); /* FIFO on, cleared, 14-byte threshold */
	outb(COM1 + 4, 0x03); /* DTR, RTS */
}

#define FIFO_BYTES 16   /* the 16550A's transmit FIFO */

/* Bytes the transmit FIFO takes without another status read. */
static unsigned fifo_room;

static void put(char c)
{
	if (!fifo_room) {
		/* Transmitter holding register empty: with the FIFO on, the whole
		 * FIFO is (no UART, or a stuck one: write anyway after the spin). */
		for (int spin = 0; spin < 100000 && !(inb(COM1 + 5) & 0x20); spin++)
			cpu_relax();
		fifo_room = FIFO_BYTES;
	}
	outb(COM1, (uint8_t)c);
	fifo_room--;
}

void serial_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			put('\r');
		put(s[i]);
	}
	fifo_room = 0;   /* time passes until the next write: ask again */
}
