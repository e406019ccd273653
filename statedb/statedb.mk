# statedb/statedb.mk - the clientless-state database: kernel sources, the
# host unit test (ASan/UBSan), the libFuzzer target and the benchmark.

STATEDB_SRCS := \
	statedb/statedb_init.c \
	statedb/statedb_arena.c \
	statedb/statedb_names.c \
	statedb/statedb_slots.c \
	statedb/statedb_entry.c \
	statedb/statedb_ref.c \
	statedb/statedb_inspect.c \
	statedb/statedb_journal.c \
	statedb/statedb_txn.c
STATEDB_HDRS := statedb/statedb.h statedb/statedb_impl.h kernel/include/klibc.h \
	kernel/include/lock.h kernel/include/err.h
STATEDB_HOST_SRCS := $(STATEDB_SRCS) kernel/lib/err.c kernel/lib/errbuf.c
STATEDB_MODEL := tests/unit/statedb_model.c tests/unit/statedb_model.h

KERNEL_SRCS += $(STATEDB_SRCS)

UNIT_TESTS += $(B)/tests/unit/statedb_test
$(B)/tests/unit/statedb_test: tests/unit/statedb_test.c $(STATEDB_MODEL) \
		$(STATEDB_HOST_SRCS) $(STATEDB_HDRS) tests/unit/check.h | setup
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) $(HOST_SAN) $(TEST_INC) -o $@ $(filter %.c,$^)

FUZZ_TARGETS += $(B)/fuzz/statedb_ops
$(B)/fuzz/statedb_ops: tests/fuzz/statedb_ops.c $(STATEDB_MODEL) $(STATEDB_HOST_SRCS) \
		$(STATEDB_HDRS) | setup
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(TEST_INC) -o $@ $(filter %.c,$^)

BENCHES += $(B)/bench/statedb_bench
$(B)/bench/statedb_bench: tests/bench/statedb_bench.c $(STATEDB_HOST_SRCS) $(STATEDB_HDRS) | setup
	@mkdir -p $(@D)
	$(HOST_CC) -std=c11 -D_GNU_SOURCE -O2 $(HOST_WARN) -Ikernel/include -Istatedb \
		-o $@ $(filter %.c,$^)
