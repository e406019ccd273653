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
 *
 * Frame:  [rbp]  caller's rbp
 *         [-8]   g (for guard_resume)
 *         [-16]  padding: the call stays 16-byte aligned; g->ctx rsp
 */
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
	movq %rdx, %rdi
	call *%rsi
guard_return:              /* fn returned: g from the frame */
	movq 8(%rsp), %rdi
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
	addq $16, %rsp
	popq %rbp
	ret
	.size guard_enter, . - guard_enter
	.section .note.GNU-stack,"",@progbits
