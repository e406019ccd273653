/*
 * faulty.c - a TEST module (tests/qemu/test_faults.py): invocable functions
 * that fault on purpose, one per kind of fault a guarded call must contain,
 * and a few that behave, so tests can show the kernel still serving.
 *   faulty_ok        output "ok"
 *   faulty_null      reads address 0                  -> #PF
 *   faulty_div       divides by zero                  -> #DE
 *   faulty_ud        executes ud2                     -> #UD
 *   faulty_rodata    writes to its own read-only data -> #PF (protection)
 *   faulty_spin      loops for ever, interrupts on    -> watchdog
 *   faulty_spin_cli  loops for ever, interrupts off   -> NMI watchdog
 *   faulty_delay_cli time_delay_us of an hour, interrupts off: waits
 *                    in kernel code -> NMI watchdog
 *   faulty_recurse   recurses into the guard page     -> #DF (stack overflow)
 *   faulty_pin       pins statedb entry faulty.pin (statedb_get), then
 *                    reads address 0: the kernel must put the reference back
 *   faulty_overflow  claims more output than out_cap  -> EOVERFLOW
 *   faulty_weird     returns -1234 (not a TH_E* code)
 *   faulty_work      behaves: 64 rounds of FNV-1a over its input, output
 *                    "work=XXXXXXXX" (the bit-flip target of the injection
 *                    runs, tests/qemu/bitflip.py)
 *   faulty_where     output "faulty_work=0xADDR": where faulty_work runs now
 *   faulty_clobber   returns 0 normally with RBX RBP R12-R15 broken, the
 *                    direction flag set and interrupts off: the caller must
 *                    not notice (guard_enter restores them)
 *   faulty_scribble  writes 64 bytes past its input and its output capacity,
 *                    then outputs "ok": it only damages its private copies
 *   faulty_hole      reads 0xC0000000: not RAM on a guest with less than
 *                    3 GiB, so unmapped (vmm.h)     -> #PF
 *   faulty_rsp_hole  moves its stack pointer to 0xC0000000 and pushes: the
 *                    exception frame cannot be written either -> #DF (IST)
 *   faulty_trap      sets the trap flag (popf)      -> #DB in module code
 * faulty_tick (faulty.h, exported, not invocable) adds one to statedb
 * counter "faulty.ticks": the function the workload's task calls in a loop
 * while the fault campaign restarts faulty under it (modules/workload).
 * faulty_not_invocable has the invoke signature and is exported, but has no
 * TH_INVOKE.
 */
#include "theseus.h"
#include "faulty/faulty.h"

static const char ro_word[8] = "ro";

#define INVOKE_FN(name) \
	int name(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len)

INVOKE_FN(faulty_ok)
{
	if (out_cap < 2)
		return TH_ERANGE;
	memcpy(out, "ok", 2);
	*out_len = 2;
	return TH_OK;
}
TH_INVOKE(faulty_ok);

INVOKE_FN(faulty_null)
{
	const int *volatile p = NULL;
	return *p;
}
TH_INVOKE(faulty_null);

INVOKE_FN(faulty_div)
{
	volatile int zero = (int)(in_len > 1000000);
	volatile int x = 42;
	return x / zero;
}
TH_INVOKE(faulty_div);

INVOKE_FN(faulty_ud)
{
	__asm__ volatile("ud2");
	return TH_OK;
}
TH_INVOKE(faulty_ud);

INVOKE_FN(faulty_rodata)
{
	char *volatile p = (char *)(uintptr_t)ro_word;
	p[0] = 'x';
	return TH_OK;
}
TH_INVOKE(faulty_rodata);

INVOKE_FN(faulty_spin)
{
	for (volatile unsigned long i = 0;; i++)
		;
	return TH_OK;
}
TH_INVOKE(faulty_spin);

INVOKE_FN(faulty_spin_cli)
{
	__asm__ volatile("cli");
	for (volatile unsigned long i = 0;; i++)
		;
	return TH_OK;
}
TH_INVOKE(faulty_spin_cli);

INVOKE_FN(faulty_delay_cli)
{
	__asm__ volatile("cli");
	time_delay_us(3600ull * 1000 * 1000);
	__asm__ volatile("sti");
	return TH_OK;
}
TH_INVOKE(faulty_delay_cli);

static int recurse(volatile char *prev, unsigned depth)
{
	volatile char pad[256];
	pad[0] = (char)depth;
	pad[255] = prev ? prev[0] : 0;
	if (depth == 0xffffffffu) /* never: keeps the compiler from calling it endless */
		return 0;
	return recurse(pad, depth + 1) + pad[1];
}

INVOKE_FN(faulty_recurse)
{
	return recurse(NULL, 0);
}
TH_INVOKE(faulty_recurse);

INVOKE_FN(faulty_pin)
{
	struct statedb_ref ref;
	uint64_t *word;
	int err = statedb_open("faulty.pin", 0x66617574u, 1, sizeof *word, &ref, NULL);
	if (!err)
		err = statedb_get(ref, 0x66617574u, 1, (void **)&word, NULL);
	if (err)
		return err;
	(*word)++;
	const int *volatile p = NULL;
	return *p;
}
TH_INVOKE(faulty_pin);

INVOKE_FN(faulty_overflow)
{
	*out_len = out_cap + 10;
	return TH_OK;
}
TH_INVOKE(faulty_overflow);

INVOKE_FN(faulty_weird)
{
	return -1234;
}
TH_INVOKE(faulty_weird);

INVOKE_FN(faulty_work)
{
	uint32_t h = 2166136261u;
	for (unsigned round = 0; round < 64; round++)
		for (size_t i = 0; i < in_len; i++) {
			h ^= in[i] ^ round;
			h *= 16777619u;
		}
	int n = snprintf((char *)out, out_cap, "work=%08x", (unsigned)h);
	if (n < 0 || (size_t)n >= out_cap)
		return TH_ERANGE;
	*out_len = (size_t)n;
	return TH_OK;
}
TH_INVOKE(faulty_work);

INVOKE_FN(faulty_where)
{
	int n = snprintf((char *)out, out_cap, "faulty_work=%#llx",
			 (unsigned long long)(uintptr_t)faulty_work);
	if (n < 0 || (size_t)n >= out_cap)
		return TH_ERANGE;
	*out_len = (size_t)n;
	return TH_OK;
}
TH_INVOKE(faulty_where);

/* No C: a C function cannot return with callee-saved registers broken. */
__asm__(".text\n"
	".globl faulty_clobber\n"
	".type faulty_clobber, @function\n"
	"faulty_clobber:\n"
	"	movabsq $0xdead0000dead0000, %rbx\n"
	"	movq %rbx, %rbp\n"
	"	movq %rbx, %r12\n"
	"	movq %rbx, %r13\n"
	"	movq %rbx, %r14\n"
	"	movq %rbx, %r15\n"
	"	std\n"
	"	cli\n"
	"	xorl %eax, %eax\n"
	"	ret\n"
	".size faulty_clobber, . - faulty_clobber\n");
INVOKE_FN(faulty_clobber);
TH_INVOKE(faulty_clobber);

INVOKE_FN(faulty_scribble)
{
	uint8_t *w = (uint8_t *)(uintptr_t)in;
	for (size_t i = 0; i < in_len + 64; i++)
		w[i] = 0xa5;
	memset(out, 0x5a, out_cap + 64);
	memcpy(out, "ok", 2);
	*out_len = 2;
	return TH_OK;
}
TH_INVOKE(faulty_scribble);

#define HOLE_ADDR 0xC0000000ul /* a hole in a 256 MiB guest's memory map */

INVOKE_FN(faulty_hole)
{
	const volatile uint64_t *p = (const volatile uint64_t *)HOLE_ADDR;
	return (int)*p;
}
TH_INVOKE(faulty_hole);

/* No C: a C function cannot move its stack pointer. */
__asm__(".text\n"
	".globl faulty_rsp_hole\n"
	".type faulty_rsp_hole, @function\n"
	"faulty_rsp_hole:\n"
	"	movl $0xC0000000, %eax\n"
	"	movq %rax, %rsp\n"
	"	pushq $0\n"
	"	ud2\n"
	".size faulty_rsp_hole, . - faulty_rsp_hole\n");
INVOKE_FN(faulty_rsp_hole);
TH_INVOKE(faulty_rsp_hole);

/* No C: the trap flag traps after the next instruction, still in here. */
__asm__(".text\n"
	".globl faulty_trap\n"
	".type faulty_trap, @function\n"
	"faulty_trap:\n"
	"	pushfq\n"
	"	orq $0x100, (%rsp)\n"
	"	popfq\n"
	"	nop\n"
	"	nop\n"
	"	xorl %eax, %eax\n"
	"	ret\n"
	".size faulty_trap, . - faulty_trap\n");
INVOKE_FN(faulty_trap);
TH_INVOKE(faulty_trap);

#define TICKS_TYPE 0x7469636bu /* "tick" */

int faulty_tick(uint64_t *n)
{
	struct statedb_ref ref;
	uint64_t *ticks;
	if (!n)
		return TH_EINVAL;
	int err = statedb_open("faulty.ticks", TICKS_TYPE, 1, sizeof *ticks, &ref, NULL);
	if (err)
		return err;
	err = statedb_get(ref, TICKS_TYPE, 1, (void **)&ticks, NULL);
	if (!err) {
		*n = __atomic_add_fetch(ticks, 1, __ATOMIC_RELAXED);
		err = statedb_put(ref);
	}
	int cerr = statedb_close(ref);
	return err ? err : cerr;
}
TH_EXPORT(faulty_tick);

INVOKE_FN(faulty_not_invocable)
{
	return TH_OK;
}
TH_EXPORT(faulty_not_invocable);

TH_MODULE("faulty", "1.0", "TEST module: faults on purpose (tests/qemu/test_faults.py)");
