# ctl/ctl.mk - theseusctl, the host command-line tool (one file per
# subcommand, a table in main.c, fleet fan-out in fleet.c), its man page and
# install target, and its unit tests.  Links proto/'s wire library (with
# -lprotobuf-c -lbearssl) and the loader's check library (modules/modules.mk:
# LOADER_LINT_*) for `theseusctl lint`, which build/theseus-lint also is.
#
#   make build/theseusctl
#   make install [PREFIX=/usr/local] [DESTDIR=...]   binary + man page

CTL_CMDS := ping info ls push swap rollback history state log invoke graph tasks lint keygen \
	rollout exports profile
CTL_SRCS := ctl/options.c ctl/targets_dedup.c ctl/transport.c ctl/session_cache.c ctl/session_store.c ctl/rto.c ctl/push.c ctl/push_window.c ctl/json.c ctl/term_text.c ctl/table.c ctl/units.c ctl/fleet.c \
	ctl/lint_target.c ctl/exports_fetch.c ctl/hint_export.c ctl/rollout_plan.c ctl/rollout_state.c ctl/rollout_lock.c ctl/rollout_host.c ctl/rollout_report.c \
	$(CTL_CMDS:%=ctl/cmd_%.c)
# theseusctl builds from ctl/, proto/'s wire library, the error enum and the
# loader's check library (for lint): nothing else of net/ or kernel/.
CTL_INC := -Ictl $(PROTO_INC) $(ERR_INC) $(LOADER_LINT_INC)
CTL_SHARED_SRCS := $(PROTO_HOST_SRCS) $(ERR_HOST_SRCS) $(LOADER_LINT_SRCS)
CTL_DEPS := $(CTL_SRCS) $(CTL_SHARED_SRCS) ctl/ctl.h ctl/rollout.h ctl/session_cache.h $(PROTO_HOST_DEPS) \
	$(LOADER_LINT_DEPS)
CTL_LIBS := $(PROTO_HOST_LIBS) -pthread

HOST_TOOLS += $(B)/theseusctl
$(B)/theseusctl: ctl/main.c $(CTL_DEPS) | setup
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) $(CTL_INC) -o $@ $(filter %.c,$^) $(CTL_LIBS)

# theseus-lint: `theseusctl lint` under its own name (one lint front end).
HOST_TOOLS += $(B)/theseus-lint
$(B)/theseus-lint: $(B)/theseusctl
	ln -f $< $@

PREFIX ?= /usr/local
install: $(B)/theseusctl ctl/theseusctl.1
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0755 $(B)/theseusctl $(DESTDIR)$(PREFIX)/bin/theseusctl
	install -m 0644 ctl/theseusctl.1 $(DESTDIR)$(PREFIX)/share/man/man1/theseusctl.1

# The unit tests need the command table: main.c built with main() renamed.
CTL_TEST_OBJ := $(B)/tests/unit/ctl_main.o
$(CTL_TEST_OBJ): ctl/main.c ctl/ctl.h $(PROTO_GEN_H) | setup
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) $(HOST_SAN) $(CTL_INC) $(TEST_INC) -Dmain=ctl_main_unused \
		-c ctl/main.c -o $@

UNIT_TESTS += $(B)/tests/unit/ctl_args
$(B)/tests/unit/ctl_args: tests/unit/ctl_args.c $(CTL_TEST_OBJ) $(CTL_DEPS) | setup
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) $(HOST_SAN) $(CTL_INC) $(TEST_INC) -o $@ \
		$(filter %.c,$^) $(CTL_TEST_OBJ) $(CTL_LIBS)

# Output formatting: JSON escaping and writer, tables, the per-host JSON
# object, status names.
UNIT_TESTS += $(B)/tests/unit/ctl_fmt
$(B)/tests/unit/ctl_fmt: tests/unit/ctl_fmt.c $(CTL_TEST_OBJ) $(CTL_DEPS) | setup
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) $(HOST_SAN) $(CTL_INC) $(TEST_INC) -o $@ \
		$(filter %.c,$^) $(CTL_TEST_OBJ) $(CTL_LIBS)

# End-to-end without a kernel: theseusctl against endpoint_udpd on 127.0.0.1
# (tests/unit/endpoint_e2e.sh: every subcommand, fleet with a dead host),
# wrapped so tests/run runs it as a unit suite.
UNIT_TESTS += $(B)/tests/unit/endpoint_e2e
$(B)/tests/unit/endpoint_e2e: tests/unit/endpoint_e2e.sh $(B)/theseusctl $(B)/tests/endpoint_udpd \
		$(MODULE_OBJS)
	@mkdir -p $(dir $@)
	printf '#!/bin/sh\n# see tests/unit/endpoint_e2e.sh\nexec %s %s\n' \
		$(abspath tests/unit/endpoint_e2e.sh) $(abspath $(B)) > $@
	chmod +x $@

# The command line and its error paths against endpoint_udpd: messages,
# --json on every failure, host lists, key files, subcommand --help, rollback
# in a fleet (tests/unit/ctl_cli_e2e.sh).
UNIT_TESTS += $(B)/tests/unit/ctl_cli_e2e
$(B)/tests/unit/ctl_cli_e2e: tests/unit/ctl_cli_e2e.sh $(B)/theseusctl $(B)/tests/endpoint_udpd $(B)/tests/objs/t_badver.o
	@mkdir -p $(dir $@)
	printf '#!/bin/sh\n# see tests/unit/ctl_cli_e2e.sh\nexec %s %s\n' \
		$(abspath tests/unit/ctl_cli_e2e.sh) $(abspath $(B)) > $@
	chmod +x $@

# Staged rollouts: wave arithmetic, failure budgets and the state file
# and its lock (ctl/rollout_plan.c, ctl/rollout_state.c, ctl/rollout_lock.c;
# no network).
UNIT_TESTS += $(B)/tests/unit/rollout_plan_test
ROLLOUT_PLAN_TEST_SRCS := tests/unit/rollout_plan_test.c ctl/rollout_plan.c ctl/rollout_state.c \
	ctl/rollout_lock.c \
	proto/wire_names.c \
	$(ERR_HOST_SRCS)
$(B)/tests/unit/rollout_plan_test: $(ROLLOUT_PLAN_TEST_SRCS) ctl/rollout.h ctl/ctl.h \
		tests/unit/check.h $(PROTO_GEN_H) | setup
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) $(HOST_SAN) $(CTL_INC) $(TEST_INC) -o $@ $(ROLLOUT_PLAN_TEST_SRCS)

# Staged rollouts end to end: theseusctl rollout against 64 endpoint_udpd
# daemons, dead ports and a lossy relay (tests/unit/rollout_e2e.sh).
UNIT_TESTS += $(B)/tests/unit/rollout_e2e
$(B)/tests/unit/rollout_e2e: tests/unit/rollout_e2e.sh $(B)/theseusctl $(B)/tests/endpoint_udpd
	@mkdir -p $(dir $@)
	printf '#!/bin/sh\n# see tests/unit/rollout_e2e.sh\nexec %s %s\n' \
		$(abspath tests/unit/rollout_e2e.sh) $(abspath $(B)) > $@
	chmod +x $@

# Rollouts that need care: --check-cmd's key, undoing a first load, the
# state file pinning hosts and waves, stopped rollouts on resume
# (tests/unit/rollout_resume_e2e.sh).
UNIT_TESTS += $(B)/tests/unit/rollout_resume_e2e
$(B)/tests/unit/rollout_resume_e2e: tests/unit/rollout_resume_e2e.sh $(B)/theseusctl $(B)/tests/endpoint_udpd
	@mkdir -p $(dir $@)
	printf '#!/bin/sh\n# see tests/unit/rollout_resume_e2e.sh\nexec %s %s\n' \
		$(abspath tests/unit/rollout_resume_e2e.sh) $(abspath $(B)) > $@
	chmod +x $@

# The retransmission timer and a push's window (ctl/rto.c, ctl/push_window.c;
# pure, round trips and time passed in).
UNIT_TESTS += $(B)/tests/unit/ctl_rto_test
$(B)/tests/unit/ctl_rto_test: tests/unit/ctl_rto_test.c ctl/rto.c ctl/push_window.c ctl/ctl.h \
		tests/unit/check.h $(PROTO_GEN_H) | setup
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) $(HOST_SAN) $(CTL_INC) $(TEST_INC) -o $@ \
		tests/unit/ctl_rto_test.c ctl/rto.c ctl/push_window.c

# The transport (epochs, sealed replies, forged/rewritten/unmatched replies,
# RTO) against the endpoint core served by a thread (tests/unit/ctl_transport.c).
UNIT_TESTS += $(B)/tests/unit/ctl_transport
$(B)/tests/unit/ctl_transport: tests/unit/ctl_transport.c tests/unit/endpoint_fixture.c \
		tests/unit/endpoint_fixture.h $(CTL_TEST_OBJ) $(CTL_DEPS) $(ENDPOINT_HOST_DEPS) | setup
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) $(HOST_SAN) $(CTL_INC) $(TEST_INC) -o $@ \
		$(sort $(filter %.c,$^)) $(CTL_TEST_OBJ) $(CTL_LIBS)

# The session cache's table, format and file (ctl/session_cache.c,
# ctl/session_store.c): round trip, hostile files, LRU bound, two keys,
# atomic and merged rewrites (tests/unit/ctl_session_cache.c).
CTL_SC_SRCS := ctl/session_cache.c ctl/session_store.c
UNIT_TESTS += $(B)/tests/unit/ctl_session_cache
$(B)/tests/unit/ctl_session_cache: tests/unit/ctl_session_cache.c $(CTL_SC_SRCS) ctl/session_cache.h \
		tests/unit/check.h | setup
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) $(HOST_SAN) $(CTL_INC) $(TEST_INC) -o $@ \
		tests/unit/ctl_session_cache.c $(CTL_SC_SRCS) $(PROTO_HOST_LIBS) -pthread

# libFuzzer: what theseusctl parses from its user (command line, --hosts
# file, rollout --state file, key, host:port, --waves / --max-fail); seeds in tests/fuzz/ctl_input/.
FUZZ_TARGETS += $(B)/fuzz/ctl_input
$(B)/fuzz/ctl_input: tests/fuzz/ctl_input_fuzz.c ctl/options.c ctl/rollout_state.c ctl/rollout_plan.c \
		proto/wire_names.c \
		$(ERR_HOST_SRCS) ctl/ctl.h ctl/rollout.h $(PROTO_GEN_H) | setup
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(CTL_INC) $(TEST_INC) -o $@ $(filter %.c,$^)

# libFuzzer: the session cache parser on any bytes (format and parse again
# must give the same table); seeds in tests/fuzz/session_cache/.
FUZZ_TARGETS += $(B)/fuzz/session_cache
$(B)/fuzz/session_cache: tests/fuzz/session_cache_fuzz.c ctl/session_cache.c ctl/session_cache.h | setup
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(CTL_INC) $(TEST_INC) -o $@ $(filter %.c,$^)
