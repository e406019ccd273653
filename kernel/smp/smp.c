/*
 * smp.c - start the other CPUs (see smp.h): the MADT says which exist, each
 * is woken with INIT-SIPI-SIPI into the trampoline (trampoline.S) and ends
 * in smp_ap_main() on its own stack, GDT/TSS and struct cpu_local, with its
 * local APIC timer ticking at hz=.  CPUs start one at a time; one that does
 * not say it runs within AP_START_WAIT_US stops the bring-up there (its
 * stack and data stay reserved, in case it starts late).
 */
#include "acpi.h"
#include "cmdline.h"
#include "cpu.h"
#include "frame.h"
#include "guard.h"
#include "klibc.h"
#include "ktime.h"
#include "log.h"
#include "smp_impl.h"
#include "vmm.h"

#define MSR_GS_BASE 0xC0000101u

_Static_assert(__builtin_offsetof(struct cpu_local, release) == CPU_LOCAL_RELEASE_OFFSET,
	       "isr.S reads cpu_local.release at %gs:8");

static struct cpu_local cpus[CPUS_MAX];
static struct trap_frame *(*tick_hook)(struct trap_frame *f);
static struct trap_frame *(*wake_hook)(struct trap_frame *f);
static volatile unsigned running = 1;
static volatile bool gs_ready;
static volatile uint64_t nmi_skipped;
static volatile bool lapic_ready; /* bring-up over: NMIs may be forwarded */
static struct acpi_madt_info firmware; /* what find_cpus() read, for ioapic.c */
static bool firmware_ok;

const struct acpi_madt_info *smp_firmware_info(void) { return firmware_ok ? &firmware : NULL; }

unsigned smp_cpu_count(void) { return running; }

struct cpu_local *smp_this_cpu(void)
{
	if (!gs_ready)
		return &cpus[0];
	struct cpu_local *c;
	__asm__ volatile("movq %%gs:0, %0" : "=r"(c));
	return c;
}

unsigned smp_cpu_index(void) { return smp_this_cpu()->index; }

struct cpu_local *smp_cpu(unsigned i)
{
	return i < CPUS_MAX && cpus[i].online ? &cpus[i] : NULL;
}

static void set_gs(struct cpu_local *c)
{
	c->self = c;
	wrmsr(MSR_GS_BASE, (uint64_t)c);
}

static volatile uint64_t tlb_changes;

void smp_tlb_changed(void)
{
	__atomic_add_fetch(&tlb_changes, 1, __ATOMIC_RELEASE);
}

void smp_tlb_sync(void)
{
	struct cpu_local *c = smp_this_cpu();
	uint64_t now = __atomic_load_n(&tlb_changes, __ATOMIC_ACQUIRE);
	if (c->tlb_seen != now) {
		c->tlb_seen = now;
		write_cr3(read_cr3());
	}
}

/* No PIT: each CPU's tick sends the next CPU (in a ring) an NMI. */
static volatile bool nmi_ring;

int smp_nmi_ring_start(void)
{
	if (running < 2 || !lapic_ready)
		return TH_ENODEV;
	nmi_ring = true;
	return TH_OK;
}

void smp_nmi_forward(void)
{
	if (nmi_ring || running < 2 || smp_cpu_index() != 0 || !lapic_ready)
		return;
	for (unsigned i = 1; i < running; i++)
		if (lapic_ipi_from_nmi(cpus[i].apic_id, ICR_NMI))
			nmi_skipped++; /* the ICR stayed busy: this tick is not forwarded */
}

void smp_set_tick_hook(struct trap_frame *(*fn)(struct trap_frame *f)) { tick_hook = fn; }
void smp_set_wake_hook(struct trap_frame *(*fn)(struct trap_frame *f)) { wake_hook = fn; }

void smp_wake(unsigned cpu)
{
	if (cpu < running && cpu != smp_cpu_index() && cpus[cpu].online &&
	    lapic_ipi(cpus[cpu].apic_id, ICR_FIXED | VEC_WAKE))
		log_warn("smp", "wake-up IPI to CPU %u not accepted", cpu);
}

struct trap_frame *smp_on_vector(struct trap_frame *f)
{
	if (f->vector == VEC_STOP) {
		smp_stop_park(f);
		return f;
	}
	if (f->vector == VEC_WAKE) {
		lapic_eoi();
		return wake_hook ? wake_hook(f) : f;
	}
	smp_this_cpu()->ticks++;
	lapic_eoi(); /* before a switch: the next task does not send it */
	if (nmi_ring) {   /* the NMI watchdog's tick of the next CPU */
		unsigned next = (smp_cpu_index() + 1) % running;
		if (lapic_ipi_from_nmi(cpus[next].apic_id, ICR_NMI))
			nmi_skipped++;
	}
	guard_on_tick(f); /* the watchdog of a guarded call on this CPU */
	(void)guard_irq_enter();
	struct trap_frame *r = tick_hook ? tick_hook(f) : f;
	guard_irq_exit();
	return r;
}

/* The boot CPU's local APIC mapped and enabled (whoever asks first). */
static int boot_lapic_up(void)
{
	uint32_t r[4];
	cpuid(1, 0, r);
	if (!((r[3] >> 9) & 1))   /* CPUID.1:EDX.APIC[bit 9] */
		return TH_ENODEV;
	uint64_t base = rdmsr(0x1B);   /* IA32_APIC_BASE */
	if (!((base >> 11) & 1))
		return TH_ENODEV;      /* globally disabled */
	int err = lapic_map(base & ~0xFFFull & ((1ull << 52) - 1));
	if (err)
		return err;
	lapic_enable_boot_cpu();
	return TH_OK;
}

int smp_boot_cpu_timer(unsigned hz)
{
	int err = boot_lapic_up();
	if (err)
		return err;
	lapic_timer_start(hz);
	return TH_OK;
}

int smp_msi_target(uint8_t *apic_id)
{
	int err = boot_lapic_up();
	if (!err)
		*apic_id = lapic_id();
	return err;
}

void smp_local_eoi(void) { lapic_eoi(); }

static int find_cpus_acpi(const struct boot_info *boot, struct acpi_madt_info *info);

/* The MP tables, when ACPI has no MADT (or acpi=off). */
static int find_cpus_mp(struct acpi_madt_info *info, const char *why)
{
	struct th_errbuf eb = { "" };
	int err = mp_find_cpus(acpi_map_firmware, NULL, info, &eb);
	if (err)
		log_warn("smp", "%s; MP tables: %s: only the boot CPU runs", why, eb.msg);
	else
		log_info("smp", "%s; using the MP tables", why);
	return err;
}

static int find_cpus(const struct boot_info *boot, const char *cmdline,
		     struct acpi_madt_info *info)
{
	if (acpi_off(cmdline))
		return find_cpus_mp(info, "acpi=off");
	return find_cpus_acpi(boot, info);
}

static int find_cpus_acpi(const struct boot_info *boot, struct acpi_madt_info *info)
{
	struct th_errbuf eb = { "" };
	const uint8_t *rsdp;
	size_t len;
	if (acpi_rsdp_locate(boot, &rsdp, &len))
		return find_cpus_mp(info, "no ACPI RSDP from the loader or in the BIOS area");
	int err = acpi_madt_from_rsdp(rsdp, len, acpi_map_firmware, NULL, info, &eb);
	return err ? find_cpus_mp(info, eb.msg) : TH_OK;
}

void smp_ap_main(struct cpu_local *c)
{
	gdt_init_cpu(c->index);
	idt_load();
	set_gs(c);
	lapic_enable();
	lapic_timer_start(time_tick_hz());
	__atomic_store_n(&c->online, true, __ATOMIC_RELEASE);
	for (;;)
		__asm__ volatile("sti; hlt" ::: "memory");
}

/* The 10 ms wait after INIT that the MP specification asks for is for
 * CPUs older than these (Linux's rule, smp_quirk_init_udelay): Intel family
 * 6 and later, AMD family 15 and later, or any CPU under a hypervisor (the
 * CPUID.1:ECX bit 31).  They get 10 us; a 2-CPU boot is 10 ms shorter. */
static uint64_t init_delay_us(void)
{
	uint32_t r[4];
	cpuid(0, 0, r);
	bool intel = r[1] == 0x756e6547u, amd = r[1] == 0x68747541u;  /* "Genu", "Auth" */
	if (r[0] < 1)
		return 10000;
	cpuid(1, 0, r);
	uint32_t family = (r[0] >> 8) & 0xF;
	if (family == 0xF)
		family += (r[0] >> 20) & 0xFF;
	if ((r[2] >> 31) & 1 || (intel && family >= 6) || (amd && family >= 0xF))
		return 10;
	return 10000;
}

/* Wake the CPU with APIC id `id` as CPU `index`; true once it runs. */
static bool start_cpu(unsigned index, uint8_t id)
{
	struct cpu_local *c = &cpus[index];
	uint64_t stack;
	if (frame_alloc(AP_STACK_PAGES, &stack)) {
		log_error("smp", "no memory for the stack of CPU %u", index);
		return false;
	}
	*c = (struct cpu_local){ .self = c, .index = index, .apic_id = id, .stack_phys = stack,
				 .stack_lo = stack, .stack_hi = stack + AP_STACK_PAGES * FRAME_SIZE };
	smp_ap_cpu = c;
	smp_ap_stack = stack + AP_STACK_PAGES * FRAME_SIZE;
	if (lapic_ipi(id, ICR_INIT))
		return false;
	time_delay_us(init_delay_us());
	for (int sipi = 0; sipi < 2 && !c->online; sipi++) {
		if (lapic_ipi(id, ICR_SIPI | (TRAMPOLINE_PHYS >> 12)))
			return false;
		time_delay_us(200);
	}
	uint64_t until = time_ns() + AP_START_WAIT_US * 1000ull;
	while (!__atomic_load_n(&c->online, __ATOMIC_ACQUIRE) && time_ns() < until)
		cpu_relax();
	return c->online;
}

/* The trampoline page must be RAM (mapped writable: only RAM is, vmm.h) and
 * must not hold anything the loader gave us. */
static bool trampoline_free(const struct boot_info *boot)
{
	if (!(vmm_query((const void *)(uintptr_t)TRAMPOLINE_PHYS) & VMM_W))
		return false;
	for (size_t i = 0; i < boot->module_count; i++)
		if (boot->modules[i].start < TRAMPOLINE_PHYS + FRAME_SIZE &&
		    boot->modules[i].start + boot->modules[i].len > TRAMPOLINE_PHYS)
			return false;
	return true;
}

void smp_boot_cpu_init(void)
{
	set_gs(&cpus[0]);
	cpus[0].online = true;
	gs_ready = true;
}

void smp_init(const struct boot_info *boot, const char *cmdline)
{

	uint64_t want;
	if (cmdline_get_uint(cmdline, "cpus", CPUS_MAX, 1, CPUS_MAX, &want)) {
		log_warn("smp", "cpus= must be 1..%d; starting all CPUs", CPUS_MAX);
		want = CPUS_MAX;
	}
	struct acpi_madt_info info;
	int err = find_cpus(boot, cmdline, &info);
	size_t fw_pages = vmm_unmap_firmware(); /* parsed: info holds copies */
	log_info("smp", "firmware tables read, %zu pages unmapped again", fw_pages);
	if (err)
		return;
	firmware = info;
	firmware_ok = true;
	char ids[4 * ACPI_CPUS_MAX + 1] = "";
	for (size_t i = 0, n = 0; i < info.cpu_count; i++)
		n += (size_t)snprintf(ids + n, sizeof ids - n, "%s%u", i ? "," : "", info.apic_ids[i]);
	log_info("smp", "%s: %zu CPUs (APIC ids %s%s), %zu I/O APICs, local APIC at %#llx",
		 info.from_mp ? "MP tables" : "ACPI MADT", info.cpu_count, ids, info.cpus_ignored ? ", more ignored" : "", info.ioapic_count,
		 (unsigned long long)info.lapic_addr);
	if (info.cpu_count == 1 || want == 1) {
		log_info("smp", "1 CPU runs%s", want == 1 && info.cpu_count > 1 ? " (cpus=1)" : "");
		return;
	}
	if (lapic_map(info.lapic_addr)) {
		log_warn("smp", "cannot map the local APIC: only the boot CPU runs");
		return;
	}
	if (!trampoline_free(boot)) {
		log_warn("smp", "page %#x is not RAM or a boot module covers it: only the boot CPU runs", TRAMPOLINE_PHYS);
		return;
	}
	cpus[0].apic_id = lapic_id();
	lapic_enable_boot_cpu(); /* to take stop IPIs; the PIC still reaches it (LINT0) */
	memcpy((void *)(uintptr_t)TRAMPOLINE_PHYS, smp_trampoline_start,
	       (size_t)(smp_trampoline_end - smp_trampoline_start));
	smp_ap_cr3 = (uint32_t)read_cr3();
	bool late = false; /* a CPU that did not start may still start later */
	for (size_t i = 0; i < info.cpu_count && running < want; i++) {
		uint8_t id = info.apic_ids[i];
		if (id == cpus[0].apic_id)
			continue;
		if (!start_cpu(running, id)) {
			log_warn("smp", "CPU with APIC id %u did not start; no more CPUs started, and "
				 "the NMI watchdog stays on the boot CPU", id);
			late = true;
			break;
		}
		__atomic_store_n(&running, running + 1, __ATOMIC_RELEASE);
	}
	/* Forwarded NMIs only once no CPU waits for its start-up IPI any more: a
	 * CPU would take one pending NMI before it has an IDT. */
	lapic_ready = !late;
	log_info("smp", "%u CPUs run (local APIC timer %u Hz on each but the boot CPU)%s", running,
		 time_tick_hz(), want < info.cpu_count ? " (cpus= limit)" : "");
}
