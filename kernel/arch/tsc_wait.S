/*
 * tsc_wait.S - tsc_wait_until(end): spin (pause) until the TSC reaches end,
 * the loop of time_delay_us (kernel/dev/timer.c).  A leaf that pushes
 * nothing, so that at each of its instructions the word at RSP is its
 * return address: the NMI watchdog (kernel/core/guard.c) reads it to tell
 * a wait that module code asked for (cut like the module's own code when
 * its call runs past its budget) from one the kernel asked for (never cut).
 */
	.text
	.globl tsc_wait_until
	.globl tsc_wait_until_end
	.type tsc_wait_until, @function
tsc_wait_until:
1:	rdtsc
	shlq	$32, %rdx
	orq	%rax, %rdx
	cmpq	%rdi, %rdx
	jae	2f
	pause
	jmp	1b
2:	ret
tsc_wait_until_end:
	.size tsc_wait_until, . - tsc_wait_until

	.section .note.GNU-stack, "", @progbits
