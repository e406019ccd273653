/*
 * main.c - kmain(), the nano_core's boot sequence: an ordered list of init
 * calls, then the main loop.  boot.S calls it in long mode with the loader's
 * magic and boot-information address.
 */
#include "acpi.h"
#include "boot_modules.h"
#include "boot_hooks.h"
#include "bootinfo.h"
#include "cmdline.h"
#include "cpu.h"
#include "endpoint_kernel.h"
#include "entropy.h"
#include "frame.h"
#include "guard.h"
#include "heap.h"
#include "ioapic.h"
#include "klibc.h"
#include "ktime.h"
#include "log.h"
#include "modcall.h"
#include "net.h"
#include "param.h"
#include "pci.h"
#include "pic.h"
#include "screen.h"
#include "serial.h"
#include "shutdown.h"
#include "smp.h"
#include "statedb.h"
#include "swap.h"
#include "task.h"
#include "trap.h"
#include "version.h"
#include "vmm.h"

extern char _load_start[], _kernel_end[];

static struct boot_info boot;
static char cmdline_shown[CMDLINE_MAX]; /* the command line without keys (cmdline_show) */
static uint8_t frame_bitmap[FRAME_BITMAP_BYTES(0, FRAME_LIMIT)];
static struct mem_region ram[BOOT_MMAP_MAX]; /* the memory map's RAM: vmm_init maps only this */
static size_t ram_count;

/* Boot-loader memory is read through this: identity, below 4 GiB, never page 0. */
static const void *map_boot_memory(uint64_t addr, uint64_t len, void *ctx)
{
	(void)ctx;
	if (addr < 4096 || len > IDENTITY_MAP_BYTES || addr > IDENTITY_MAP_BYTES - len)
		return NULL;
	return (const void *)(uintptr_t)addr;
}

/* cmdline_check()'s reports: unknown, repeated or ill-valued options. */
static void warn_option(void *ctx, const char *msg)
{
	(void)ctx;
	log_warn("boot", "command line: %s", msg);
}

static void parse_boot_info(uint32_t magic, uint32_t info)
{
	struct th_errbuf eb = { "" };
	if (bootinfo_parse(magic, info, map_boot_memory, NULL, &boot, &eb)) {
		log_error("boot", "bad boot information: %s", eb.msg);
		shutdown(SHUTDOWN_FAILURE);
	}
	for (size_t i = 0; i < boot.warning_count; i++)
		log_warn("boot", "%s", boot.warnings[i]);
	cmdline_show(boot.cmdline, cmdline_shown, sizeof cmdline_shown, cmdline_options,
		     cmdline_option_count);   /* no key, not even a mistyped one */
	log_info("boot", "loader '%s' (multiboot%d), command line '%s'",
		 boot.loader_name[0] ? boot.loader_name : "?", boot.protocol == BOOT_MULTIBOOT2 ? 2 : 1,
		 cmdline_shown);
	cmdline_check(boot.cmdline, cmdline_options, cmdline_option_count, warn_option, NULL);
	char level[8];
	if (!cmdline_get(boot.cmdline, "loglevel", level, sizeof level)) {
		static const char *const names[] = { "debug", "info", "warn", "error" };
		for (int i = 0; i < 4; i++)
			if (!strcmp(level, names[i]))
				log_set_console_level((enum log_level)i);
	}
}

static void init_memory(void)
{
	struct mem_region reserved[BOOT_MODULES_MAX + 3];
	size_t nr = 0;
	uint64_t ram_bytes = 0;
	for (size_t i = 0; i < boot.mmap_count; i++) {
		const struct boot_mmap_entry *e = &boot.mmap[i];
		log_info("mem", "%#012llx-%#012llx %s", (unsigned long long)e->base,
			 (unsigned long long)(e->base + e->len - 1),
			 e->type == BOOT_MEM_AVAILABLE ? "available" : "reserved");
		if (e->type == BOOT_MEM_AVAILABLE) {
			ram[ram_count++] = (struct mem_region){ e->base, e->len };
			ram_bytes += e->len;
		}
	}
	reserved[nr++] = (struct mem_region){ 0, 0x100000 }; /* real-mode area, BIOS */
	reserved[nr++] = (struct mem_region){ (uint64_t)_load_start,
					      (uint64_t)(_kernel_end - _load_start) };
	reserved[nr++] = (struct mem_region){ boot.info_addr, boot.info_len };
	for (size_t i = 0; i < boot.module_count; i++)
		reserved[nr++] = (struct mem_region){ boot.modules[i].start, boot.modules[i].len };
	if (frame_init_at(ram, ram_count, reserved, nr, 0, FRAME_LIMIT, frame_bitmap, sizeof frame_bitmap)) {
		log_error("mem", "frame allocator: invalid memory map");
		shutdown(SHUTDOWN_FAILURE);
	}
	log_info("mem", "%llu MiB RAM, %zu frames free (below %llu MiB)",
		 (unsigned long long)(ram_bytes >> 20), frame_free_count(),
		 (unsigned long long)(FRAME_LIMIT >> 20));
	for (size_t i = 0; i < boot.module_count; i++)
		log_info("boot", "module %zu: %s (%llu bytes at %#llx) '%s'", i, boot.modules[i].name,
			 (unsigned long long)boot.modules[i].len,
			 (unsigned long long)boot.modules[i].start, boot.modules[i].cmdline);
}

/* console=serial|screen|both (default both): where the log and the ready
 * line go.  The screen replays what was logged before it was set up. */
static void init_consoles(void)
{
	char mode[8] = "both";
	if (cmdline_has(boot.cmdline, "console") &&
	    (cmdline_get(boot.cmdline, "console", mode, sizeof mode) ||
	     (strcmp(mode, "serial") && strcmp(mode, "screen") && strcmp(mode, "both")))) {
		log_warn("console", "console= must be serial, screen or both; using both");
		snprintf(mode, sizeof mode, "both");
	}
	if (strcmp(mode, "serial")) {
		/* A multiboot1 loader here is a BIOS one (iPXE, QEMU -kernel): VGA text is on. */
		int err = screen_init(&boot.fb, boot.protocol == BOOT_MULTIBOOT1);
		if (err == TH_OK)
			log_attach_screen();
		char what[48];
		screen_describe(what, sizeof what);
		log_info("console", "screen: %s%s", what,
			 err && err != TH_ENODEV ? " (could not be mapped)" : "");
	}
	if (!strcmp(mode, "screen")) {
		if (screen_present())
			log_set_serial(false);
		else
			log_warn("console", "console=screen but no screen: keeping the serial console");
	}
}

/* For timer_init, asked only when the PIT does not count: the ACPI PM
 * timer the FADT names (not with acpi=off). */
static bool find_pm_timer(struct time_pm_ref *ref)
{
	struct th_errbuf eb = { "" };
	struct acpi_pm_timer pm;
	const uint8_t *rsdp;
	size_t len;
	if (acpi_off(boot.cmdline))
		return false;
	if (acpi_rsdp_locate(&boot, &rsdp, &len)) {
		log_warn("time", "no ACPI RSDP: no PM timer");
		return false;
	}
	if (acpi_pm_timer_from_rsdp(rsdp, len, acpi_map_firmware, NULL, &pm, &eb)) {
		log_warn("time", "no ACPI PM timer: %s", eb.msg);
		return false;
	}
	*ref = (struct time_pm_ref){ pm.port, pm.bits };
	return true;
}

static void init_time(void)
{
	uint64_t hz;
	if (cmdline_get_uint(boot.cmdline, "hz", TIMER_HZ_DEFAULT, 10, 1000, &hz)) {
		log_warn("time", "hz= must be 10..1000; using %d", TIMER_HZ_DEFAULT);
		hz = TIMER_HZ_DEFAULT;
	}
	pic_init();
	timer_init((unsigned)hz, find_pm_timer);
	irq_enable_cpu();
}

/* A machine whose PIT did not answer the calibration has no tick from it:
 * the boot CPU's local APIC timer takes over (scheduler, watchdog budgets). */
static void init_tick_without_pit(void)
{
	if (time_pit_ok())
		return;
	int err = smp_boot_cpu_timer(time_tick_hz());
	if (err)
		log_warn("time", "no PIT and no local APIC timer (%s): no tick; tasks are not "
			 "preempted and guarded calls not cut", th_err_name(err));
	else
		log_warn("time", "no PIT: the boot CPU ticks on its local APIC timer (%u Hz)",
			 time_tick_hz());
	nmi_watchdog_without_pit();   /* the CPUs' ticks as NMIs, if several */
}

static void init_statedb(void)
{
	struct th_errbuf eb = { "" };
	size_t bytes = statedb_arena_size(STATEDB_ENTRIES, STATEDB_DATA_BYTES);
	void *arena = bytes ? kmalloc(bytes) : NULL;
	if (!arena || statedb_init(arena, bytes, STATEDB_ENTRIES, &eb)) {
		log_error("statedb", "cannot initialise (%zu bytes): %s", bytes, eb.msg);
		shutdown(SHUTDOWN_FAILURE);
	}
	log_info("statedb", "%d entries, %d KiB of state", STATEDB_ENTRIES, STATEDB_DATA_BYTES / 1024);
}

static size_t modules_loaded;

/* Bring up the NIC and lwIP; wait (bounded) for an address so `ready` can show it. */
static void init_network(void)
{
	struct net_config cfg = { 0 }; /* zero = DHCP, any NIC */
	struct th_errbuf eb = { "" };
	if (net_config_parse(boot.cmdline, &cfg, &eb))
		log_error("net", "%s", eb.msg); /* the bad options at their defaults, the rest as given */
	if (net_init(&cfg) != TH_OK)
		return; /* no NIC: keep booting */
	uint64_t until = time_ms() + NET_ADDRESS_WAIT_MS;
	struct net_status ns;
	do {
		net_poll();
		net_status(&ns);
	} while (!ns.addr_ok && time_ms() < until);
	if (!ns.addr_ok)
		log_warn("net", "no address after %d ms; still trying in the background",
			 NET_ADDRESS_WAIT_MS);
}

static void ready(void)
{
	struct net_status ns;
	char ip[20] = "none";
	net_status(&ns);
	if (ns.addr_ok)
		net_ip_format(ns.ip, ip, sizeof ip);
	kprintf("theseus: ready: ip %s (%s), %llu MiB free, %zu of %zu boot modules loaded, "
		"%zu PCI devices, %u CPU%s, boot %llu ms, cmdline '%s'\n",
		ip, ns.present ? ns.driver : "no NIC",
		(unsigned long long)((uint64_t)frame_free_count() * FRAME_SIZE >> 20),
		modules_loaded, boot.module_count, pci_count(), smp_cpu_count(), smp_cpu_count() == 1 ? "" : "s", (unsigned long long)time_ms(),
		cmdline_shown);
}

/* The kernel's main loop: feed received frames to lwIP, run its timers,
 * halt when there is nothing to do (interrupts wake us). */
static __attribute__((noreturn)) void main_loop(void)
{
	for (;;) {
		if (net_poll())
			continue;
		modcall_poll();            /* report and recover faulted module tasks */
		if (swap_retiring_count())
			swap_reap();           /* free old module versions no task uses */
		irq_disable_cpu();
		if (!net_pending())
			task_poll_wait(); /* run ready tasks, else sti; hlt: no lost wake-up */
		irq_enable_cpu();
	}
}

void kmain(uint32_t magic, uint32_t info)
{
	time_mark_entry();             /* "boot N ms" counts from here */
	serial_init();                 /* console first: everything else logs */
	kprintf("\nTheseus-C nano_core %s\n", THESEUS_VERSION);
	gdt_init();                    /* GDT + TSS (IST stacks for #DF) */
	smp_boot_cpu_init();           /* this CPU's cpu_local through GS (smp.h) */
	idt_init();                    /* exceptions report from here on */
	parse_boot_info(magic, info);  /* one description of either multiboot */
	init_memory();                 /* frame allocator from the memory map */
	vmm_init(ram, ram_count);      /* our page tables: only RAM, W^X, NX, guard pages */
	init_consoles();               /* console=: the screen joins the serial port */
	init_time();                   /* PIC, PIT tick, TSC clock; interrupts on */
	guard_init(boot.cmdline);      /* guarded calls into modules; watchdog= */
	modcall_set_policy(boot.cmdline); /* fault_restarts= */
	nmi_watchdog_init(boot.cmdline); /* PIT tick as NMI: cuts interrupts-off hangs */
	smp_init(&boot, boot.cmdline); /* the other CPUs (ACPI MADT; cpus=), local APIC ticks */
	pci_init();                    /* enumerate, assign BARs */
	ioapic_init(smp_firmware_info(), boot.cmdline); /* device IRQs via the I/O APIC; noapic */
	init_tick_without_pit();       /* no PIT: the local APIC timer ticks instead */
	init_statedb();                /* state that outlives modules */
	modules_loaded = boot_modules_load(&boot); /* link the boot modules */
	sched_init(boot.cmdline);      /* kmain becomes task "main"; policy module */
	task_module_start();           /* tasks the boot modules' init created */
	boot_hook_before_swaps(&boot); /* the test image's observers (boot_hooks.h) */
	swap_boot_run(&boot);          /* swap=mod:bootmod live swaps (kernel/swap) */
	time_refine();                 /* the TSC rate over the boot so far (PIT) */
	init_network();                /* NIC driver, lwIP, DHCP or static address */
	endpoint_kernel_start(&boot, entropy_u64); /* UDP swap endpoint (net/endpoint; key=, port=) */

	boot_hook_before_ready(&boot); /* test image: selftest=NAME */
	ready();
	if (cmdline_has(boot.cmdline, "exit")) {
		char what[16];
		if (!cmdline_get(boot.cmdline, "exit", what, sizeof what) && !strcmp(what, "ready"))
			shutdown(SHUTDOWN_SUCCESS);
	}
	main_loop();
}
