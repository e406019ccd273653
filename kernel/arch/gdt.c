/*
 * gdt.c - the 64-bit GDT (kernel code 0x08, data 0x10) and a TSS at 0x18
 * whose interrupt stack table gives #DF, NMI and #MC stacks of their own, so
 * a kernel stack overflow (a fault on the guard page) can still be reported.
 */
#include <stdint.h>

#include "trap.h"

struct __attribute__((packed)) tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
};

static struct tss tss;
static uint64_t gdt[5];
static uint8_t ist_stacks[2][16384] __attribute__((aligned(16)));

void gdt_init(void)
{
	tss.ist[0] = (uint64_t)(ist_stacks[0] + sizeof ist_stacks[0]); /* IST1: #DF */
	tss.ist[1] = (uint64_t)(ist_stacks[1] + sizeof ist_stacks[1]); /* IST2: NMI, #MC */
	tss.iomap_base = sizeof tss;
	uint64_t base = (uint64_t)&tss, limit = sizeof tss - 1;
	gdt[0] = 0;
	gdt[1] = 0x00AF9A000000FFFFull; /* code: 64-bit, present, ring 0 */
	gdt[2] = 0x00CF92000000FFFFull; /* data */
	gdt[3] = (limit & 0xFFFF) | ((base & 0xFFFFFF) << 16) | (0x89ull << 40) |
		 (((limit >> 16) & 0xF) << 48) | (((base >> 24) & 0xFF) << 56);
	gdt[4] = base >> 32;
	struct __attribute__((packed)) {
		uint16_t limit;
		uint64_t base;
	} ptr = { sizeof gdt - 1, (uint64_t)gdt };
	__asm__ volatile("lgdt %0\n\t"
			 "pushq $0x08\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "movw $0x10, %%ax\n\t"
			 "movw %%ax, %%ds\n\t"
			 "movw %%ax, %%es\n\t"
			 "movw %%ax, %%ss\n\t"
			 "movw $0x18, %%ax\n\t"
			 "ltr %%ax"
			 :
			 : "m"(ptr)
			 : "rax", "memory");
}
