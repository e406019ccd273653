/*
 * isr.S - interrupt entry stubs.  Each vector pushes a dummy error code when
 * the CPU does not, then its number; isr_common saves the general registers
 * as a struct trap_frame (trap.h), calls trap_dispatch(frame), and resumes
 * the frame it returns.  The general registers of the frame resumed are
 * popped after the switch to its stack; see smp.h for cpu_local.release.
 */
	.section .text
	.code64

.macro ISR_NOERR n
isr_\n:
	pushq $0
	pushq $\n
	jmp isr_common
.endm
.macro ISR_ERR n
isr_\n:
	pushq $\n
	jmp isr_common
.endm

isr_common:
	pushq %rax
	pushq %rbx
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %rbp
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, %rdi
	movq %rsp, %rbx           /* this entry's frame (rbx is saved above) */
	cld
	call trap_dispatch
	movq %rax, %rsp
	/* Off the previous task's stack now: if the scheduler switched, let
	 * another CPU resume that task (cpu_local.release, %gs:8; smp.h).  Not
	 * from an NMI or exception, which may have come mid-switch. */
	cmpq $32, 120(%rbx)
	jb 1f
	movq %gs:8, %rcx
	testq %rcx, %rcx
	jz 1f
	movq $0, %gs:8
	movl $0, (%rcx)
1:
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rbp
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rbx
	popq %rax
	addq $16, %rsp
	iretq

/* sched_enter (task_impl.h): what `int $48` would do, without a software
 * interrupt.  Builds the frame the CPU would push for vector 48 (SS, RSP,
 * RFLAGS with the caller's IF, CS, and the caller's return address as
 * RIP; RSP 16-aligned as the CPU aligns it), turns interrupts off as the
 * interrupt gate would, and goes through isr_common, whose iretq returns
 * to the caller.  Under our machines' KVM (kvm_pvm, which emulates
 * instructions such as this one) an `int` on a CPU other than the boot
 * CPU never completed, and with two CPUs the boot hung there. */
	.globl sched_enter
sched_enter:
	popq %rax                 /* the return address: the frame's RIP */
	movq %rsp, %rdx           /* the caller's RSP once it has returned */
	andq $-16, %rsp
	movl %ss, %ecx
	pushq %rcx                /* SS */
	pushq %rdx                /* RSP */
	pushfq                    /* RFLAGS */
	cli
	movl %cs, %ecx
	pushq %rcx                /* CS */
	pushq %rax                /* RIP */
	pushq $0                  /* error code */
	pushq $48                 /* vector: the scheduler's yield */
	jmp isr_common

ISR_NOERR 0
ISR_NOERR 1
ISR_NOERR 2
ISR_NOERR 3
ISR_NOERR 4
ISR_NOERR 5
ISR_NOERR 6
ISR_NOERR 7
ISR_ERR 8
ISR_NOERR 9
ISR_ERR 10
ISR_ERR 11
ISR_ERR 12
ISR_ERR 13
ISR_ERR 14
ISR_NOERR 15
ISR_NOERR 16
ISR_ERR 17
ISR_NOERR 18
ISR_NOERR 19
ISR_NOERR 20
ISR_ERR 21
ISR_NOERR 22
ISR_NOERR 23
ISR_NOERR 24
ISR_NOERR 25
ISR_NOERR 26
ISR_NOERR 27
ISR_NOERR 28
ISR_ERR 29
ISR_ERR 30
ISR_NOERR 31
.altmacro
.set i, 32
.rept 28
	ISR_NOERR %i
	.set i, i + 1
.endr
/* 255: the local APIC's spurious vector (kernel/smp/): nothing to do. */
	.globl isr_spurious
isr_spurious:
	iretq

/* Table of entry points for idt.c: vectors 0..59 (48 = software "yield",
 * 49 = local APIC timer, 50 = stop-machine IPI, 51 = wake-up IPI, 52..59
 * message-signalled interrupts; trap.h). */
	.section .rodata
	.align 8
	.globl isr_table
isr_table:
.macro ISR_ENTRY n
	.quad isr_\n
.endm
.set i, 0
.rept 60
	ISR_ENTRY %i
	.set i, i + 1
.endr
