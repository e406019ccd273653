# kernel/swap/swap.mk - the live swap engine's host unit test (kernel/swap/
# with the loader, statedb and the host platform shim).  The engine's kernel
# sources are listed in kernel/config.mk.

# ---- swap engine host test (kernel/swap + kernel/loader/stage.c) ---------------
SWAP_SRCS := kernel/swap/swap.c kernel/swap/swap_load.c kernel/swap/swap_txn.c \
	kernel/swap/swap_obj.c kernel/swap/swap_track.c kernel/swap/swap_notify.c \
	kernel/swap/swap_retire.c kernel/swap/swap_history.c kernel/lib/sha256.c
SWAP_TEST_SRCS := tests/unit/swap_test.c tests/unit/swap_plat_host.c tests/unit/loader_hostenv.c \
	tests/unit/modmem_host.c tests/unit/host_log.c $(SWAP_SRCS) $(LOADER_SRCS) \
	kernel/lib/err.c kernel/lib/errbuf.c $(wildcard statedb/statedb_*.c)
UNIT_TESTS += $(B)/tests/unit/swap_test
$(B)/tests/unit/swap_test: $(SWAP_TEST_SRCS) $(LOADER_HDRS) kernel/include/swap.h \
		kernel/swap/swap_impl.h tests/unit/swap_plat_host.h $(LOADER_TEST_OBJS)
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) $(HOST_SAN) $(TEST_INC) \
		-DSWAP_TEST_OBJDIR='"$(CURDIR)/$(B)/tests/objs"' -o $@ $(SWAP_TEST_SRCS) -lbearssl

