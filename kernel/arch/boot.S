/*
 * boot.S - the kernel's first instructions.
 *
 * Holds both boot headers: multiboot1 with the a.out kludge (flags bits 0, 1
 * and 16: QEMU -kernel and iPXE load the file as one flat image at the
 * addresses given here) and multiboot2 (GRUB, which loads the ELF segments).
 * Entered in 32-bit protected mode with paging off, EAX = loader magic and
 * EBX = boot-information address.  Checks for long mode, identity-maps the
 * first 4 GiB with 2 MiB pages, enables PAE, long mode, NX and paging, and
 * jumps to kmain(magic, info) in 64-bit mode on the boot stack.
 */
#define MB1_MAGIC 0x1BADB002
#define MB1_FLAGS ((1 << 0) | (1 << 1) | (1 << 16))
#define MB2_MAGIC 0xE85250D6

	.section .multiboot, "a"
	.align 8
mb1_header:
	.long MB1_MAGIC
	.long MB1_FLAGS
	.long -(MB1_MAGIC + MB1_FLAGS)
	.long mb1_header          /* header_addr */
	.long _load_start         /* load_addr */
	.long _load_end           /* load_end_addr: end of file-backed data */
	.long _bss_end            /* bss_end_addr */
	.long _start32            /* entry_addr */

	.align 8
mb2_header:
	.long MB2_MAGIC
	.long 0                   /* architecture: i386 protected mode */
	.long mb2_header_end - mb2_header
	.long 0x100000000 - (MB2_MAGIC + (mb2_header_end - mb2_header))
	.align 8
	/* Framebuffer tag, optional (flags 1), no preferred size or depth: on UEFI
	 * GRUB then hands over the GOP framebuffer for the screen console (on BIOS
	 * grub.cfg keeps VGA text with gfxpayload=text). */
	.short 5, 1
	.long 20
	.long 0, 0, 0
	.align 8
	.short 4, 1               /* console flags, optional: EGA text supported */
	.long 12
	.long 2
	.align 8
	.short 0, 0               /* end tag */
	.long 8
mb2_header_end:

	.section .text.boot, "ax"
	.code32
	.globl _start32
_start32:
	cli
	cld
	movl $boot_stack_top, %esp
	movl %eax, boot_magic
	movl %ebx, boot_info_addr

	/* Long mode available?  Otherwise say so on COM1 and stop. */
	movl $0x80000000, %eax
	cpuid
	cmpl $0x80000001, %eax
	jb no_long_mode
	movl $0x80000001, %eax
	cpuid
	testl $(1 << 29), %edx
	jz no_long_mode

	/* Page tables: PML4[0] -> PDPT, PDPT[0..3] -> four page directories of
	 * 2 MiB pages identity-mapping 0..4 GiB. */
	movl $early_pml4, %edi
	xorl %eax, %eax
	movl $(6 * 4096 / 4), %ecx
	rep stosl
	movl $early_pdpt, %eax
	orl $3, %eax
	movl %eax, early_pml4
	movl $early_pd, %eax
	orl $3, %eax
	movl $early_pdpt, %edi
	movl $4, %ecx
1:	movl %eax, (%edi)
	addl $4096, %eax
	addl $8, %edi
	loop 1b
	movl $early_pd, %edi
	movl $0x83, %eax          /* present, writable, 2 MiB */
	xorl %edx, %edx           /* high half of the physical address */
	movl $2048, %ecx
2:	movl %eax, (%edi)
	movl %edx, 4(%edi)
	addl $0x200000, %eax
	adcl $0, %edx
	addl $8, %edi
	loop 2b

	movl %cr4, %eax
	orl $(1 << 5), %eax       /* PAE */
	movl %eax, %cr4
	movl $early_pml4, %eax
	movl %eax, %cr3
	movl $0xC0000080, %ecx    /* EFER */
	rdmsr
	orl $((1 << 8) | (1 << 11)), %eax /* LME, NXE */
	wrmsr
	movl %cr0, %eax
	orl $((1 << 31) | (1 << 16) | 1), %eax /* PG, WP, PE */
	movl %eax, %cr0
	lgdt early_gdt_ptr
	ljmp $0x08, $start64

no_long_mode:
	movl $msg_no_lm, %esi
3:	lodsb
	testb %al, %al
	jz 4f
	movw $0x3f8, %dx
	outb %al, %dx
	jmp 3b
4:	hlt
	jmp 4b

	.code64
start64:
	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	xorw %ax, %ax
	movw %ax, %fs
	movw %ax, %gs
	movabsq $boot_stack_top, %rsp
	xorq %rbp, %rbp
	movl boot_magic, %edi
	movl boot_info_addr, %esi
	call kmain
5:	cli
	hlt
	jmp 5b

	.section .rodata
msg_no_lm:
	.asciz "theseus: this CPU has no long mode (x86_64); cannot boot\r\n"
	.align 8
early_gdt:
	.quad 0
	.quad 0x00AF9A000000FFFF  /* 0x08: 64-bit code */
	.quad 0x00CF92000000FFFF  /* 0x10: data */
early_gdt_ptr:
	.short early_gdt_ptr - early_gdt - 1
	.long early_gdt

	.section .data
	.align 4
boot_magic:
	.long 0
boot_info_addr:
	.long 0

	.section .bss
	.align 4096
early_pml4:
	.skip 4096
early_pdpt:
	.skip 4096
early_pd:
	.skip 4 * 4096
	.globl boot_stack_guard, boot_stack_bottom, boot_stack_top
boot_stack_guard:
	.skip 4096                /* unmapped by paging.c: overflow faults */
boot_stack_bottom:
	.skip 64 * 1024
boot_stack_top:
