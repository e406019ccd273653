/*
 * profile.h - the sampling profiler: every CPU's timer tick records where
 * that CPU was (rip, CPU index, idle or not); a report groups the samples
 * by (function, module) for `theseusctl profile` (README "Profiling").
 *
 * Two parts:
 *  - sampling (kernel/core/profile.c): profile_start() clears the buffer
 *    and starts, profile_tick(f) is called by the scheduler's tick on every
 *    CPU (interrupt context, lock-free: one atomic fetch-add per sample),
 *    profile_stop() stops.  At most PROFILE_MAX_SAMPLES samples are kept;
 *    later ones are counted as lost.  Not running: profile_tick reads one
 *    flag and returns.
 *  - aggregation (kernel/core/profile_agg.c, pure, host-tested): groups
 *    samples through a resolver callback into at most PROFILE_AGG_ENTRIES
 *    entries (the functions that do not fit are summed in one "(other)"
 *    entry), sorted by samples, descending, ties by function then module;
 *    per-CPU sample and idle totals.
 *
 * "Idle": the CPU was halted, i.e. the interrupted instruction follows the
 * idle halt `sti; hlt` (the bytes before rip are 0xFB 0xF4; read only when
 * they lie in rip's page).
 */
#ifndef THESEUS_PROFILE_H
#define THESEUS_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define PROFILE_MAX_SAMPLES 32768   /* samples kept per run; the rest are lost */
#define PROFILE_AGG_ENTRIES 512     /* (function, module) groups in a report, "(other)" included */
#define PROFILE_AGG_CPUS 16         /* CPUs a report counts (>= CPUS_MAX) */
#define PROFILE_NAME_MAX 64         /* function name kept, incl. NUL: longer ones are cut to 63 */
#define PROFILE_MODULE_MAX 64       /* module name kept, incl. NUL */
#define PROFILE_OTHER "(other)"     /* the entry of functions beyond PROFILE_AGG_ENTRIES - 1 */
#define PROFILE_UNKNOWN "?"         /* the function of an address no resolver knows */
#define PROFILE_KERNEL "kernel"     /* the module of the kernel's own functions */

/* One sample as the tick stores it.  valid is written last (release): a
 * slot whose writer has not finished reads 0 and is skipped. */
struct profile_sample {
	uint64_t rip;
	uint16_t cpu;
	uint8_t idle;
	uint8_t valid;
	uint32_t pad;
};

/* ---- sampling (profile.c, kernel only) ---------------------------------- */

struct trap_frame;
struct profile_agg;

/* Clears the samples and starts sampling on every CPU (time_ns() noted). */
void profile_start(void);
/* Stops sampling (the stop time noted); the samples stay for reports. */
void profile_stop(void);
/* From the timer tick of any CPU, first thing: records f->rip if running. */
void profile_tick(const struct trap_frame *f);

/* The state of the current (or last) run. */
struct profile_status {
	bool running;
	uint64_t elapsed_ns;    /* start to stop, or to now while running; 0 never started */
	uint64_t samples;       /* stored (at most PROFILE_MAX_SAMPLES) */
	uint64_t lost;          /* taken while the buffer was full */
};
void profile_status(struct profile_status *out);
/* The sample buffer and how many slots of it are taken (some may still be
 * being written: valid == 0). */
const struct profile_sample *profile_samples(size_t *n);
/* The report over kernel and module symbols (ksyms_resolve): recomputed
 * from the samples when refresh (a report's first page), else the table of
 * the last refresh (its later pages).  Network poll context only. */
const struct profile_agg *profile_report(bool refresh);

/* ---- aggregation (profile_agg.c, pure) ---------------------------------- */

/* Names the function containing rip and its module (NULL: the kernel's);
 * false when unknown (*module may still name the module).  Strings are
 * copied before the next call. */
typedef bool (*profile_resolve_fn)(void *ctx, uint64_t rip, const char **function,
				   const char **module);

struct profile_entry {
	char function[PROFILE_NAME_MAX];   /* PROFILE_UNKNOWN, PROFILE_OTHER or a symbol */
	char module[PROFILE_MODULE_MAX];   /* PROFILE_KERNEL, a module, or "" (unknown) */
	uint64_t samples, idle;
};

struct profile_cpu_total {
	uint64_t samples, idle;
};

struct profile_agg {
	uint32_t n_entries;                    /* entries[order[0..n_entries)] */
	struct profile_entry entries[PROFILE_AGG_ENTRIES];
	uint16_t order[PROFILE_AGG_ENTRIES];   /* sorted: samples desc, function, module */
	uint16_t slot[2 * PROFILE_AGG_ENTRIES];/* hash index: entry + 1, 0 = empty */
	uint32_t n_cpus;                       /* cpu[0..n_cpus) reported */
	struct profile_cpu_total cpu[PROFILE_AGG_CPUS];
	uint64_t samples, idle;                /* grouped (== sum of the entries') */
	uint64_t skipped;                      /* not yet written, or CPU out of range */
};

/* Groups s[0..n) into a (cleared first).  n_cpus: CPUs running (every one
 * is reported, with 0 samples if it had none; a higher CPU index seen in
 * the samples extends it).  Returns TH_OK, or TH_EINVAL for NULL arguments. */
TH_MUST_CHECK int profile_agg_run(struct profile_agg *a, const struct profile_sample *s,
				  size_t n, uint32_t n_cpus, profile_resolve_fn resolve,
				  void *ctx);
/* The entry of rank i (0 = most samples); NULL past the end. */
const struct profile_entry *profile_agg_entry(const struct profile_agg *a, uint32_t i);

#endif
