/*
 * kstubs.c - kernel-only support the freestanding protobuf-c runtime needs
 * (built into the kernel, never on the host):
 *
 *  - endpoint_assert_fail(), behind assert() of proto/freestanding/assert.h.
 *    protobuf-c asserts only on caller bugs (a wrong descriptor), never on
 *    input; the failure is logged and the CPU halted so it is seen at once.
 *  - __eqsf2 / __eqdf2, the soft-float equality helpers gcc calls for
 *    protobuf-c's "is this float field zero" test under -mgeneral-regs-only
 *    (libgcc for x86_64 lacks them).  Our schema has no float fields, so
 *    they are not reached in practice, but must link.  With SSE disabled gcc
 *    passes the float arguments on the stack: a at 8(%rsp), b at 16(%rsp).
 *    They return 0 when a == b (+0 == -0; NaN equals nothing), else 1.
 */
#include "klibc.h"
#include "log.h"

void endpoint_assert_fail(const char *expr, const char *file, int line)
	__attribute__((noreturn));

void endpoint_assert_fail(const char *expr, const char *file, int line)
{
	log_error("endpoint", "assertion failed: %s at %s:%d (a bug, not bad input)",
		  expr, file, line);
	for (;;)
		__asm__ volatile("cli; hlt");
}

__asm__(".text\n"
	".globl __eqsf2\n"
	".type __eqsf2, @function\n"
	"__eqsf2:\n"
	"	movl 8(%rsp), %eax\n"
	"	movl 16(%rsp), %ecx\n"
	"	movl %eax, %edx\n"
	"	andl $0x7fffffff, %edx\n"
	"	cmpl $0x7f800000, %edx\n"
	"	ja 1f\n"
	"	movl %ecx, %r8d\n"
	"	andl $0x7fffffff, %r8d\n"
	"	cmpl $0x7f800000, %r8d\n"
	"	ja 1f\n"
	"	orl %r8d, %edx\n"
	"	jz 2f\n"
	"	cmpl %ecx, %eax\n"
	"	jne 1f\n"
	"2:	xorl %eax, %eax\n"
	"	ret\n"
	"1:	movl $1, %eax\n"
	"	ret\n"
	".size __eqsf2, .-__eqsf2\n"
	".globl __eqdf2\n"
	".type __eqdf2, @function\n"
	"__eqdf2:\n"
	"	movq 8(%rsp), %rax\n"
	"	movq 16(%rsp), %rcx\n"
	"	movabsq $0x7fffffffffffffff, %r9\n"
	"	movabsq $0x7ff0000000000000, %r10\n"
	"	movq %rax, %rdx\n"
	"	andq %r9, %rdx\n"
	"	cmpq %r10, %rdx\n"
	"	ja 1f\n"
	"	movq %rcx, %r8\n"
	"	andq %r9, %r8\n"
	"	cmpq %r10, %r8\n"
	"	ja 1f\n"
	"	orq %r8, %rdx\n"
	"	jz 2f\n"
	"	cmpq %rcx, %rax\n"
	"	jne 1f\n"
	"2:	xorl %eax, %eax\n"
	"	ret\n"
	"1:	movl $1, %eax\n"
	"	ret\n"
	".size __eqdf2, .-__eqdf2\n");
