/*
 * guard.S - guard_enter(g, fn, ctx): the setjmp half of a guarded call
 * (kernel/core/guard.c).  Saves the callee-saved registers, the stack
 * pointer and RFLAGS in g->ctx, then calls fn(ctx).  A fault unwinds by
 * making iretq land at guard_resume with those registers restored, g in
 * RDI (not read from the stack, which the faulting code may have broken)
 * and the error in RAX, as if fn had returned it.
 *
 * A normal return restores them too (RBX RBP R12-R15 and RFLAGS: the
 * interrupt flag as at entry, DF clear): module code that returns with a
 * callee-saved register, the direction flag or the interrupt flag broken
 * (a bit flip, a miscompiled or hostile module) cannot break its caller.
 * fn starts with RBX and R12-R15 zero (they are callee-saved: it may not
 * assume anything of them): the caller's pointers in them (often into its
 * stack frame) are not handed to module code, so a broken instruction that
 * loads the stack pointer from a saved register does not land in the
 * caller's frames.  RBP stays: backtraces and the stack check walk it.
 *
 * fn runs GUARD_GAP bytes below guard_enter's frame, and the way back
 * (the return address into guard_call and its frame pointer) is kept in
 * g->ctx too: module code whose stack pointer drifted up a little (a
 * broken pop or add: an exception frame pushed there) lands in the gap,
 * and the return to guard_call does not read guard_enter's stack frame.
 *
 * Frame:  [rbp]  caller's rbp (also g->ctx[9]; the return address g->ctx[8])
 *         [-8]   g (for guard_return)
 *         [-16]  padding: the call stays 16-byte aligned; g->ctx rsp
 *         [-16-GUARD_GAP .. -16)  the gap; fn's frame below it
 */
#define GUARD_GAP 512
	.section .text
	.code64
	.globl guard_enter
	.globl guard_resume
	.globl guard_return
	.type guard_enter, @function
guard_enter:
	pushq %rbp
	movq %rsp, %rbp
	pushq %rdi
	subq $8, %rsp
	movq %rbx, 0(%rdi)
	movq %rbp, 8(%rdi)
	movq %r12, 16(%rdi)
	movq %r13, 24(%rdi)
	movq %r14, 32(%rdi)
	movq %r15, 40(%rdi)
	movq %rsp, 48(%rdi)
	pushfq
	popq %rax
	movq %rax, 56(%rdi)
	movq 8(%rbp), %rax
	movq %rax, 64(%rdi)        /* the return address into guard_call */
	movq 0(%rbp), %rax
	movq %rax, 72(%rdi)        /* guard_call's frame pointer */
	xorl %ebx, %ebx            /* fn gets no pointer into its caller's */
	xorl %r12d, %r12d          /* data in a callee-saved register (a */
	xorl %r13d, %r13d          /* flipped pop %rsp would move its stack */
	xorl %r14d, %r14d          /* onto ours): they are restored below */
	xorl %r15d, %r15d
	subq $GUARD_GAP, %rsp
	movq %rdx, %rdi
	call *%rsi
guard_return:              /* fn returned: g from the frame */
	movq GUARD_GAP+8(%rsp), %rdi
	jmp 1f
guard_resume:              /* the unwind resumes here, with g in RDI */
1:
	movq 0(%rdi), %rbx
	movq 8(%rdi), %rbp
	movq 16(%rdi), %r12
	movq 24(%rdi), %r13
	movq 32(%rdi), %r14
	movq 40(%rdi), %r15
	movq 48(%rdi), %rsp
	pushq 56(%rdi)
	popfq
	addq $32, %rsp             /* past the frame and the return address */
	movq 72(%rdi), %rbp
	jmpq *64(%rdi)             /* RAX (the result) untouched */
	.size guard_enter, . - guard_enter
	.section .note.GNU-stack,"",@progbits
