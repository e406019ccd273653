/*
 * guard.S - guard_enter(g, fn, ctx): the setjmp half of a guarded call
 * (kernel/core/guard.c).  Saves the callee-saved registers, the stack
 * pointer and RFLAGS in g->ctx, then calls fn(ctx).  A fault unwinds by
 * making iretq land at guard_resume with those registers restored and the
 * error in RAX, as if fn had returned it.
 */
	.section .text
	.code64
	.globl guard_enter
	.globl guard_resume
	.type guard_enter, @function
guard_enter:
	pushq %rbp
	movq %rsp, %rbp
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
guard_resume:
	popq %rbp
	ret
	.size guard_enter, . - guard_enter
	.section .note.GNU-stack,"",@progbits
