/*
 * entropy.c - the kernel's source of unpredictable bits (entropy.h).
 * Prefers RDSEED, then RDRAND (each checked in CPUID, each retried a few
 * times since both may transiently fail); without them, or when they keep
 * failing, mixes TSC jitter across PIT counter reads, the RTC's date and
 * time and the PIT's phase through SHA-256 (kernel/lib/sha256.c, th_sha256).  Every
 * result is also mixed with a running pool so two calls never repeat.
 */
#include "entropy.h"

#include "cpu.h"
#include "klibc.h"
#include "sha256.h"

static struct {
	bool probed, has_rdrand, has_rdseed;
	uint8_t pool[32];
	uint64_t calls;
} ent;

static void probe(void)
{
	uint32_t r[4];
	ent.probed = true;
	cpuid(0, 0, r);
	uint32_t max_leaf = r[0];
	cpuid(1, 0, r);
	ent.has_rdrand = (r[2] >> 30) & 1;          /* CPUID.1:ECX.RDRAND[bit 30] */
	if (max_leaf >= 7) {
		cpuid(7, 0, r);
		ent.has_rdseed = (r[1] >> 18) & 1;  /* CPUID.7.0:EBX.RDSEED[bit 18] */
	}
}

static bool hw_rdseed(uint64_t *v)
{
	for (int i = 0; i < 32; i++) {
		uint8_t ok;
		__asm__ volatile("rdseed %0; setc %1" : "=r"(*v), "=qm"(ok)::"cc");
		if (ok)
			return true;
		cpu_relax();
	}
	return false;
}

static bool hw_rdrand(uint64_t *v)
{
	for (int i = 0; i < 16; i++) {
		uint8_t ok;
		__asm__ volatile("rdrand %0; setc %1" : "=r"(*v), "=qm"(ok)::"cc");
		if (ok)
			return true;
	}
	return false;
}

static uint8_t cmos(uint8_t reg)
{
	outb(0x70, reg);
	return inb(0x71);
}

static uint16_t pit_count(void)
{
	outb(0x43, 0x00);  /* latch channel 0 */
	uint8_t lo = inb(0x40);
	return (uint16_t)(lo | (uint16_t)inb(0x40) << 8);
}

/* Jitter: TSC deltas across port I/O to the PIT, whose timing varies with
 * the bus and the emulator; plus the RTC and the PIT phase. */
static uint8_t jbuf[8 + 256 * 10 + 8];

static void jitter(uint8_t out[32])
{
	size_t n = 0;
	const uint8_t regs[6] = { 0x00, 0x02, 0x04, 0x07, 0x08, 0x09 };
	for (int i = 0; i < 6; i++)
		jbuf[n++] = cmos(regs[i]);
	for (int i = 0; i < 256; i++) {
		uint64_t t0 = rdtsc();
		uint16_t p = pit_count();
		uint64_t d = rdtsc() - t0;
		for (int k = 0; k < 8; k++)
			jbuf[n++] = (uint8_t)(d >> (8 * k));
		jbuf[n++] = (uint8_t)p;
		jbuf[n++] = (uint8_t)(p >> 8);
	}
	uint64_t t = rdtsc();
	for (int k = 0; k < 8; k++)
		jbuf[n++] = (uint8_t)(t >> (8 * k));
	th_sha256(jbuf, n, out);
}

uint64_t entropy_u64(void)
{
	if (!ent.probed)
		probe();
	uint64_t v = 0;
	uint8_t mix[32 + 32 + 8];
	memset(mix, 0, sizeof mix);
	bool hw = (ent.has_rdseed && hw_rdseed(&v)) || (ent.has_rdrand && hw_rdrand(&v));
	if (hw) {
		uint64_t t = rdtsc();
		memcpy(mix + 32, &v, 8);
		memcpy(mix + 40, &t, 8);
	} else {
		jitter(mix + 32);
	}
	ent.calls++;
	memcpy(mix, ent.pool, 32);
	memcpy(mix + 64, &ent.calls, 8);
	th_sha256(mix, sizeof mix, ent.pool);
	memcpy(&v, ent.pool, 8);
	/* the pool moves on, so the value returned does not reveal it */
	th_sha256(ent.pool, sizeof ent.pool, ent.pool);
	memset(mix, 0, sizeof mix);
	return v;
}

const char *entropy_source(void)
{
	if (!ent.probed)
		probe();
	return ent.has_rdseed ? "rdseed" : ent.has_rdrand ? "rdrand" : "jitter";
}
