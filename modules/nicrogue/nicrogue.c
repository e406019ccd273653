/*
 * nicrogue.c - a TEST NIC driver module that breaks the registration rules
 * (nic_driver.h: a module registers its own table, under its own name, and
 * takes it back in fini).  Its ops are stubs that would starve the NIC (tx
 * always TH_EFULL, poll hands up nothing), so a table of it that the core
 * wrongly used would stop the network.
 *
 *   nicrogue.o        (1.0)        registers a table named "e1000": the core
 *                                  must refuse it (EINVAL, the load fails)
 *                                  and e1000 keeps the NIC
 *   nicrogue_stray.o  (2.0-stray)  registers its own table and never
 *                                  unregisters it: once the module is
 *                                  unloaded, the core must drop the table;
 *                                  a second table of it must be refused
 *                                  (EEXIST), and its init says so
 *   nicrogue_badret.o (3.0-badret) registers its own table, whose attach
 *                                  returns 12345 (neither TH_OK nor an
 *                                  error code): named once as such, and
 *                                  with nic=nicrogue the NIC goes to e1000
 *   nicrogue_dmahog.o (4.0-dmahog) its attach takes small regions where
 *                                  e1000 wants larger ones, then 4 MiB
 *                                  regions until th_nic_dma refuses one
 *                                  (TH_NIC_DMA_MAX), and fails: with
 *                                  nic=nicrogue the machine keeps its
 *                                  memory and e1000 still binds
 *
 * tests/qemu/test_drivers.py (test_drivers_tables_follow_running_modules,
 * test_drivers_attach_result_named, test_drivers_dma_bounded).
 */
#include "theseus.h"

#ifndef NICROGUE_VARIANT
#define NICROGUE_VARIANT 1
#endif
#if NICROGUE_VARIANT == 2
#define NR_VERSION "2.0-stray"
#define NR_TABLE_NAME "nicrogue"
#elif NICROGUE_VARIANT == 3
#define NR_VERSION "3.0-badret"
#define NR_TABLE_NAME "nicrogue"
#elif NICROGUE_VARIANT == 4
#define NR_VERSION "4.0-dmahog"
#define NR_TABLE_NAME "nicrogue"
#else
#define NR_VERSION "1.0"
#define NR_TABLE_NAME "e1000"
#endif

#if NICROGUE_VARIANT == 4
/* Regions 0 and 2 one page each (e1000's rx ring fits, its rx buffers do
 * not), then 4 MiB regions until one is refused. */
static int nr_hog(struct th_nic *nic)
{
	static const unsigned order[] = { 0, 2, 1, 3, 4, 5, 6, 7 };
	size_t taken = 0;
	for (unsigned k = 0; k < sizeof order / sizeof order[0]; k++) {
		size_t bytes = k < 2 ? 4096 : (size_t)4 << 20;
		void *p;
		int err = th_nic_dma(nic, order[k], bytes, &p);
		if (err) {
			log_info("nicrogue", "dma region %u refused: %s after %zu bytes", order[k],
				 th_err_name(err), taken);
			return err;
		}
		taken += bytes;
	}
	log_info("nicrogue", "dma: all regions taken, %zu bytes", taken);
	return TH_ENODEV;
}
#endif

static int nr_attach(struct th_nic *nic)
{
	(void)nic;
#if NICROGUE_VARIANT == 3
	return 12345;
#elif NICROGUE_VARIANT == 4
	return nr_hog(nic);
#else
	return TH_ENODEV;
#endif
}

static int nr_tx(struct th_nic *nic, const void *frame, size_t len)
{
	(void)nic, (void)frame, (void)len;
	return TH_EFULL;
}

static int nr_poll(struct th_nic *nic, int budget)
{
	(void)nic, (void)budget;
	return 0;
}

static bool nr_link_up(struct th_nic *nic)
{
	(void)nic;
	return true;
}

static const struct th_nic_id nr_ids[] = {
	{ 0x8086, 0x100e, "82540EM (nicrogue)", 0 },
	{ 0, 0, NULL, 0 },
};

static const struct th_nic_driver nr_driver = {
	.abi = TH_NIC_ABI,
	.name = NR_TABLE_NAME,
	.ids = nr_ids,
	.state_layout = 1,
	.attach = nr_attach,
	.tx = nr_tx,
	.poll = nr_poll,
	.link_up = nr_link_up,
};

#if NICROGUE_VARIANT == 2
static const struct th_nic_driver nr_second = {
	.abi = TH_NIC_ABI,
	.name = NR_TABLE_NAME,
	.ids = nr_ids,
	.state_layout = 2,
	.attach = nr_attach,
	.tx = nr_tx,
	.poll = nr_poll,
	.link_up = nr_link_up,
};
#endif

static int nr_init(void)
{
	int err = th_nic_driver_register(&nr_driver);
#if NICROGUE_VARIANT == 2
	if (!err)
		log_info("nicrogue", "second table: %s", th_err_name(th_nic_driver_register(&nr_second)));
#endif
	return err;
}

/* No fini: the table is never taken back. */
TH_MODULE("nicrogue", NR_VERSION, "TEST module: NIC driver tables against the rules",
	  .init = nr_init);
