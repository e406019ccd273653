# kernel/swap/swap.mk - the live swap engine's host unit test (kernel/swap/
# with the loader, statedb and the host platform shim).  The engine's kernel
# sources are listed in kernel/config.mk.

# ---- swap engine host test (kernel/swap + kernel/loader/stage.c) ---------------
SWAP_SRCS := kernel/swap/swap.c kernel/swap/swap_load.c kernel/swap/swap_rollback.c kernel/swap/swap_deps.c kernel/swap/swap_txn.c kernel/swap/swap_state.c \
	kernel/swap/swap_obj.c kernel/swap/swap_track.c kernel/swap/swap_notify.c \
	kernel/swap/swap_retire.c kernel/swap/swap_history.c kernel/lib/sha256.c
SWAP_TEST_SRCS := tests/unit/swap_test.c tests/unit/swap_plat_host.c tests/unit/loader_hostenv.c \
	tests/unit/modmem_host.c tests/unit/modcall_host.c tests/unit/host_log.c $(SWAP_SRCS) \
	$(LOADER_SRCS) kernel/lib/err.c kernel/lib/errbuf.c $(wildcard statedb/statedb_*.c)
UNIT_TESTS += $(B)/tests/unit/swap_test
$(B)/tests/unit/swap_test: $(SWAP_TEST_SRCS) $(LOADER_HDRS) kernel/include/swap.h \
		kernel/swap/swap_impl.h tests/unit/swap_plat_host.h tests/unit/test_objs.h $(LOADER_TEST_OBJS)
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) $(HOST_SAN) $(TEST_INC) \
		-DSWAP_TEST_OBJDIR='"$(CURDIR)/$(B)/tests/objs"' -o $@ $(SWAP_TEST_SRCS) -lbearssl


# ---- native benchmark (make bench): the loader and the engine on the host --------
# Real module objects of several sizes and generated modules of many
# relocations (two versions of one source each, tests/bench/gen_big_module.py):
# "big3k" with about 3,000 (issue 17's figure) and "big" with about 5,000.
BIG_FUNCS := 1000
BIG3K_FUNCS := 600
$(B)/bench/big_module.c: tests/bench/gen_big_module.py
	@mkdir -p $(@D)
	python3 $< $(BIG_FUNCS) $@ big
$(B)/bench/big3k_module.c: tests/bench/gen_big_module.py
	@mkdir -p $(@D)
	python3 $< $(BIG3K_FUNCS) $@ big3k
$(B)/bench/big_v%.o: $(B)/bench/big_module.c kernel/include/theseus.h
	$(KERNEL_CC) $(MODULE_CFLAGS) -DBIG_VERSION='"$*.0"' -c -o $@ $<
$(B)/bench/big3k_v%.o: $(B)/bench/big3k_module.c kernel/include/theseus.h
	$(KERNEL_CC) $(MODULE_CFLAGS) -DBIG_VERSION='"$*.0"' -c -o $@ $<
SWAP_BENCH_SRCS := tests/bench/swap_native_bench.c tests/unit/swap_plat_host.c \
	tests/unit/loader_hostenv.c tests/unit/modmem_host.c tests/unit/modcall_host.c \
	tests/unit/host_log.c $(SWAP_SRCS) \
	$(LOADER_SRCS) $(ERR_HOST_SRCS) $(wildcard statedb/statedb_*.c)
BENCHES += $(B)/bench/swap_native_bench
$(B)/bench/swap_native_bench: $(SWAP_BENCH_SRCS) $(LOADER_HDRS) kernel/include/swap.h \
		$(B)/bench/big_v1.o $(B)/bench/big_v2.o $(B)/bench/big3k_v1.o $(B)/bench/big3k_v2.o \
		$(MODULE_OBJS)
	@mkdir -p $(@D)
	$(HOST_CC) $(filter-out -O1,$(HOST_CFLAGS)) -O2 $(TEST_INC) -o $@.bin $(SWAP_BENCH_SRCS) -lbearssl
	printf '#!/bin/sh\n# the native swap benchmark (tests/bench/swap_native_bench.c)\nexec %s %s %s\n' \
		$(abspath $@.bin) $(abspath $(B)/modules) $(abspath $(B)/bench) > $@
	chmod +x $@
