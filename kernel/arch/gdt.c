/*
 * gdt.c - the 64-bit GDT (kernel code 0x08, data 0x10) and a TSS at 0x18
 * whose interrupt stack table gives #DF, NMI and #MC stacks of their own, so
 * a kernel stack overflow (a fault on the guard page) can still be reported.
 * Every CPU has its own GDT and TSS (a TSS is busy once loaded): the boot
 * CPU's are set up by gdt_init(), another CPU's by gdt_init_cpu() when it
 * starts (kernel/smp/).
 */
#include <stdint.h>

#include "param.h"
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

#define IST_BYTES 16384

static struct tss tss[CPUS_MAX];
static uint64_t gdt[CPUS_MAX][5];
static uint8_t ist_stacks[CPUS_MAX][2][IST_BYTES] __attribute__((aligned(16)));

void gdt_init_cpu(unsigned cpu)
{
	if (cpu >= CPUS_MAX)
		return;
	struct tss *t = &tss[cpu];
	uint64_t *g = gdt[cpu];
	t->ist[0] = (uint64_t)(ist_stacks[cpu][0] + IST_BYTES); /* IST1: #DF */
	t->ist[1] = (uint64_t)(ist_stacks[cpu][1] + IST_BYTES); /* IST2: NMI, #MC */
	t->iomap_base = sizeof *t;
	uint64_t base = (uint64_t)t, limit = sizeof *t - 1;
	g[0] = 0;
	g[1] = 0x00AF9A000000FFFFull; /* code: 64-bit, present, ring 0 */
	g[2] = 0x00CF92000000FFFFull; /* data */
	g[3] = (limit & 0xFFFF) | ((base & 0xFFFFFF) << 16) | (0x89ull << 40) |
	       (((limit >> 16) & 0xF) << 48) | (((base >> 24) & 0xFF) << 56);
	g[4] = base >> 32;
	struct __attribute__((packed)) {
		uint16_t limit;
		uint64_t base;
	} ptr = { sizeof gdt[0] - 1, (uint64_t)g };
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

void gdt_init(void) { gdt_init_cpu(0); }
