/*
 * trampoline.S - where another CPU starts.  The start-up IPI begins it in
 * real mode at TRAMPOLINE_PHYS (smp_impl.h), where smp.c copied the bytes
 * between smp_trampoline_start and smp_trampoline_end: load a small GDT,
 * enter protected mode and jump to ap_start32 in the kernel image, which
 * turns on PAE, long mode, NX and paging with the kernel's page tables
 * (smp_ap_cr3), switches to the stack smp.c prepared (smp_ap_stack) and
 * calls smp_ap_main(smp_ap_cpu).  One CPU starts at a time.
 */
#define TRAMP 0x8000
#define AT(sym) (TRAMP + ((sym) - smp_trampoline_start))

	.section .rodata
	.code16
	.globl smp_trampoline_start, smp_trampoline_end
smp_trampoline_start:
	cli
	cld
	xorw %ax, %ax
	movw %ax, %ds
	lgdtl AT(tramp_gdt_ptr)
	movl %cr0, %eax
	orl $1, %eax                  /* PE */
	movl %eax, %cr0
	ljmpl $0x08, $AT(tramp32)

	.code32
tramp32:
	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movl $ap_start32, %eax
	jmp *%eax

	.align 8
tramp_gdt:
	.quad 0
	.quad 0x00CF9A000000FFFF      /* 0x08: 32-bit code */
	.quad 0x00CF92000000FFFF      /* 0x10: data */
	.quad 0x00AF9A000000FFFF      /* 0x18: 64-bit code */
tramp_gdt_ptr:
	.short tramp_gdt_ptr - tramp_gdt - 1
	.long AT(tramp_gdt)
smp_trampoline_end:

	.section .text
	.code32
ap_start32:
	movl %cr4, %eax
	orl $(1 << 5), %eax           /* PAE */
	movl %eax, %cr4
	movl smp_ap_cr3, %eax
	movl %eax, %cr3
	movl $0xC0000080, %ecx        /* EFER */
	rdmsr
	orl $((1 << 8) | (1 << 11)), %eax /* LME, NXE */
	wrmsr
	movl %cr0, %eax
	orl $((1 << 31) | (1 << 16) | 1), %eax /* PG, WP, PE */
	movl %eax, %cr0
	ljmp $0x18, $ap_start64

	.code64
ap_start64:
	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movq smp_ap_stack(%rip), %rsp
	movq smp_ap_cpu(%rip), %rdi
	xorq %rbp, %rbp
	call smp_ap_main
1:	cli
	hlt
	jmp 1b

	.section .data
	.align 8
	.globl smp_ap_cr3, smp_ap_stack, smp_ap_cpu
smp_ap_cr3:
	.long 0
	.long 0
smp_ap_stack:
	.quad 0
smp_ap_cpu:
	.quad 0
