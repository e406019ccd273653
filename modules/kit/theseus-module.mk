# theseus-module.mk - a makefile fragment for Theseus-C module projects,
# installed by `make install` into PREFIX/share/theseus/.
#
#   THESEUS_PREFIX := /usr/local          # where the kit was installed
#   MODULE := counter                     # the module's name: counter.o
#   include $(THESEUS_PREFIX)/share/theseus/theseus-module.mk
#
# Builds every .c and .cpp of the current directory into $(MODULE).o with the
# kit's flags (pkg-config theseus-module: --cflags, --variable=cxxflags),
# `make lint` runs theseus-lint on it, and `make clean` removes what it built.
# $(MODULE).o, what you push, has no debug info (its symbols stay, so fault
# reports name functions); $(MODULE).debug has it, for gdb (make debug).

THESEUS_PREFIX ?= /usr/local
MODULE ?= $(notdir $(CURDIR))
THESEUS_PKG_CONFIG_PATH := $(THESEUS_PREFIX)/lib/pkgconfig
THESEUS_CFLAGS := $(shell PKG_CONFIG_PATH=$(THESEUS_PKG_CONFIG_PATH) \
	pkg-config --define-variable=prefix=$(THESEUS_PREFIX) --cflags theseus-module)
ifeq ($(strip $(THESEUS_CFLAGS)),)
$(error theseus-module.pc not found under $(THESEUS_PKG_CONFIG_PATH): run `make install` in the Theseus-C tree, or set THESEUS_PREFIX)
endif
THESEUS_CXXFLAGS := $(shell PKG_CONFIG_PATH=$(THESEUS_PKG_CONFIG_PATH) \
	pkg-config --define-variable=prefix=$(THESEUS_PREFIX) --variable=cxxflags theseus-module)
# The compilers: THESEUS_CC / THESEUS_CXX, else CC / CXX when given (on the
# command line or in the environment: make CC=clang), else gcc / g++.  gcc
# and clang are supported (clang++ goes with clang).
ifeq ($(origin THESEUS_CC),undefined)
THESEUS_CC := $(if $(filter environment command%,$(origin CC)),$(CC),gcc)
endif
ifeq ($(origin THESEUS_CXX),undefined)
THESEUS_CXX := $(if $(filter environment command%,$(origin CXX)),$(CXX),$(if $(findstring clang,$(THESEUS_CC)),clang++,g++))
endif
THESEUS_LINT ?= $(THESEUS_PREFIX)/bin/theseus-lint

MODULE_SRCS := $(wildcard *.c)
MODULE_CXX_SRCS := $(wildcard *.cpp)
MODULE_OBJS := $(MODULE_SRCS:%.c=.theseus/%.o) $(MODULE_CXX_SRCS:%.cpp=.theseus/%.o)

.PHONY: all lint clean
all: $(MODULE).o
$(MODULE).o: $(MODULE_OBJS)
	ld -r -o $(MODULE).debug $^
	objcopy --strip-debug --keep-file-symbols $(MODULE).debug $@
.theseus/%.o: %.c
	@mkdir -p $(@D)
	$(THESEUS_CC) $(THESEUS_CFLAGS) -MMD -MP -c -o $@ $<
.theseus/%.o: %.cpp
	@mkdir -p $(@D)
	$(THESEUS_CXX) $(THESEUS_CXXFLAGS) -MMD -MP -c -o $@ $<
-include $(MODULE_OBJS:.o=.d)
lint: $(MODULE).o
	$(THESEUS_LINT) $<
clean:
	rm -rf .theseus $(MODULE).o $(MODULE).debug
