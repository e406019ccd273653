/*
 * fault.c - the fault report: what the CPU said (vector, error code, RIP,
 * CR2), every register, and a frame-pointer backtrace with symbol names.
 * The backtrace only follows frame pointers into mapped, aligned memory, so
 * a corrupt stack ends the walk instead of faulting again.
 */
#include "cpu.h"
#include "klibc.h"
#include "ksyms.h"
#include "log.h"
#include "param.h"
#include "trap.h"
#include "vmm.h"

static const char *const names[32] = {
	"divide error", "debug", "NMI", "breakpoint", "overflow", "bound range",
	"invalid opcode", "device not available", "double fault", "coprocessor overrun",
	"invalid TSS", "segment not present", "stack fault", "general protection",
	"page fault", "reserved", "x87 FP", "alignment check", "machine check",
	"SIMD FP", "virtualization", "control protection", "reserved", "reserved",
	"reserved", "reserved", "reserved", "reserved", "hypervisor injection",
	"VMM communication", "security", "reserved",
};

extern char boot_stack_guard[];
static stack_guard_fn guard_lookup;

void fault_set_stack_guard_lookup(stack_guard_fn fn) { guard_lookup = fn; }

/* Whose stack guard page holds addr; false if none. */
static bool guard_owner(uint64_t addr, char *who, size_t cap)
{
	if (addr - (uint64_t)boot_stack_guard < 4096) {
		snprintf(who, cap, "the boot stack");
		return true;
	}
	return guard_lookup && guard_lookup(addr, who, cap);
}

static bool readable(uint64_t a)
{
	return a % 8 == 0 && (vmm_query((void *)a) & VMM_R) && (vmm_query((void *)(a + 8)) & VMM_R);
}

const char *fault_vector_name(unsigned v)
{
	return v < 32 ? names[v] : "interrupt";
}

bool fault_hit_stack_guard(const struct trap_frame *f)
{
	char who[64];
	return guard_owner(read_cr2(), who, sizeof who) || guard_owner(f->rsp - 8, who, sizeof who);
}

size_t backtrace_collect(uint64_t rbp, uint64_t *out, size_t max)
{
	size_t n = 0;
	while (n < max && rbp && readable(rbp)) {
		uint64_t ret = ((uint64_t *)rbp)[1], next = ((uint64_t *)rbp)[0];
		if (!ret)
			break;
		out[n++] = ret;
		if (next <= rbp)
			break;
		rbp = next;
	}
	return n;
}

void backtrace_print(uint64_t rip, uint64_t rbp)
{
	char sym[96];
	ksyms_format(rip, sym, sizeof sym);
	kprintf("  backtrace:\n    #0  %016llx  %s\n", (unsigned long long)rip, sym);
	for (int depth = 1; depth < BACKTRACE_DEPTH && rbp && readable(rbp); depth++) {
		uint64_t ret = ((uint64_t *)rbp)[1], next = ((uint64_t *)rbp)[0];
		if (!ret)
			break;
		ksyms_format(ret, sym, sizeof sym);
		kprintf("    #%-2d %016llx  %s\n", depth, (unsigned long long)ret, sym);
		if (next <= rbp)
			break; /* stacks grow down: a frame pointer must go up */
		rbp = next;
	}
}

void fault_report(const struct trap_frame *f, const char *why)
{
	char sym[96];
	uint64_t cr2 = read_cr2();
	const char *name = f->vector < 32 ? names[f->vector] : "interrupt";
	ksyms_format(f->rip, sym, sizeof sym);
	kprintf("\n*** FAULT: %s (vector %llu, error %#llx)%s%s\n", name,
		(unsigned long long)f->vector, (unsigned long long)f->error, why ? ": " : "",
		why ? why : "");
	kprintf("  RIP %016llx  %s\n", (unsigned long long)f->rip, sym);
	if (f->vector == 14)
		kprintf("  CR2 %016llx  (%s, %s, %s)\n", (unsigned long long)cr2,
			(f->error & 1) ? "protection violation" : "page not present",
			(f->error & 2) ? "write" : (f->error & 16) ? "instruction fetch" : "read",
			(f->error & 4) ? "user" : "kernel");
	else
		kprintf("  CR2 %016llx\n", (unsigned long long)cr2);
	kprintf("  RAX %016llx RBX %016llx RCX %016llx RDX %016llx\n", (unsigned long long)f->rax,
		(unsigned long long)f->rbx, (unsigned long long)f->rcx, (unsigned long long)f->rdx);
	kprintf("  RSI %016llx RDI %016llx RBP %016llx RSP %016llx\n", (unsigned long long)f->rsi,
		(unsigned long long)f->rdi, (unsigned long long)f->rbp, (unsigned long long)f->rsp);
	kprintf("  R8  %016llx R9  %016llx R10 %016llx R11 %016llx\n", (unsigned long long)f->r8,
		(unsigned long long)f->r9, (unsigned long long)f->r10, (unsigned long long)f->r11);
	kprintf("  R12 %016llx R13 %016llx R14 %016llx R15 %016llx\n", (unsigned long long)f->r12,
		(unsigned long long)f->r13, (unsigned long long)f->r14, (unsigned long long)f->r15);
	kprintf("  RFLAGS %016llx CS %04llx SS %04llx CR3 %016llx\n",
		(unsigned long long)f->rflags, (unsigned long long)f->cs, (unsigned long long)f->ss,
		(unsigned long long)read_cr3());
	char who[64];
	if ((f->vector == 8 || f->vector == 14) &&
	    (guard_owner(cr2, who, sizeof who) || guard_owner(f->rsp - 8, who, sizeof who)))
		kprintf("  kernel stack overflow: hit the guard page of %s\n", who);
	backtrace_print(f->rip, f->rbp);
}
