# KCore build. `make` builds the aarch64 core objects and the host test
# library; `make test` runs every test; `make check` runs the linters.
# PLATFORM= selects the board (qemu-virt, qemu-virt-gicv2); V=1 shows commands.

PLATFORM ?= qemu-virt
V ?= 0
Q := $(if $(filter 1,$(V)),,@)
PY := /usr/bin/python3
B := build

CORE_SRCS := $(sort $(wildcard kcore/*.c smmu/*.c))
WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wpointer-arith -Wundef -Wvla -Wcast-align -Wno-unused-parameter

# ---- aarch64 (EL2) ---------------------------------------------------------
CROSS ?= aarch64-linux-gnu-
EL2_CFLAGS := -std=c11 -O2 -g -ffreestanding -nostdlib -fno-builtin -fno-stack-protector \
	-mgeneral-regs-only -mno-outline-atomics -fno-pic -Iinclude $(WARN)
EL2_OBJS := $(CORE_SRCS:%.c=$(B)/el2/%.o)

$(B)/el2/%.o: %.c $(wildcard include/kcore/*.h)
	@mkdir -p $(dir $@)
	$(Q)$(CROSS)gcc $(EL2_CFLAGS) -c $< -o $@

# One relocatable object: the core as it will be linked at EL2. The check
# fails if it needs anything beyond the arch boundary and mem* helpers.
$(B)/el2/kcore-core.o: $(EL2_OBJS) scripts/check-freestanding.sh
	$(Q)$(CROSS)ld -r -o $@ $(EL2_OBJS)
	$(Q)scripts/check-freestanding.sh $(CROSS)nm $@

el2: $(B)/el2/kcore-core.o

# ---- host build over the fake arch ------------------------------------------
HOST_CC ?= gcc
HOST_CFLAGS := -std=c11 -O2 -g -fPIC -DKCORE_PROFILE_TEST -DKCORE_DEBUG=1 -Iinclude -Itests/fake \
	$(WARN) -D_DEFAULT_SOURCE
FAKE_SRCS := tests/fake/arch_fake.c
HARNESS_SRCS := $(sort $(wildcard tests/harness/*.c))
HOST_OBJS := $(CORE_SRCS:%.c=$(B)/host/%.o) $(FAKE_SRCS:%.c=$(B)/host/%.o)

$(B)/host/%.o: %.c $(wildcard include/kcore/*.h tests/fake/*.h tests/harness/*.h)
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) $(HOST_CFLAGS) -c $< -o $@

$(B)/host/libkcore.a: $(HOST_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^

$(B)/host/libkcore_test.so: $(HOST_OBJS) $(HARNESS_SRCS:%.c=$(B)/host/%.o)
	$(Q)$(HOST_CC) -shared -o $@ $^

UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(B)/host/unit/%)

$(B)/host/unit/%: tests/unit/%.c $(B)/host/libkcore.a tests/unit/ut.h
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) $(HOST_CFLAGS) -Itests/unit $< $(B)/host/libkcore.a -o $@

host: $(B)/host/libkcore.a $(B)/host/libkcore_test.so $(UNIT_BINS)

all: el2 host
.DEFAULT_GOAL := all

# ---- tests -------------------------------------------------------------------
deps:
	$(Q)scripts/deps.sh

unit: $(UNIT_BINS)
	$(Q)scripts/run-unit.sh $(UNIT_BINS)

STEPS ?= 1000000
model: $(B)/host/libkcore_test.so
	$(Q)$(PY) tests/model/driver.py --lib $(B)/host/libkcore_test.so --steps $(STEPS)

FUZZ_CC ?= clang
FUZZ_COMMON := -std=c11 -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-DKCORE_PROFILE_TEST -DKCORE_DEBUG=1 -Iinclude -Itests/fake -Itests/harness -D_DEFAULT_SOURCE
# Coverage instrumentation only on the core: the checkers' loops over every
# page would otherwise drown the fuzzer's signal (and its speed).
FUZZ_CORE_OBJS := $(CORE_SRCS:%.c=$(B)/fuzz/%.o)
FUZZ_KIT_OBJS := $(FAKE_SRCS:%.c=$(B)/fuzz/%.o) $(HARNESS_SRCS:%.c=$(B)/fuzz/%.o) $(B)/fuzz/tests/fuzz/hvc_fuzz.o
$(FUZZ_CORE_OBJS): $(B)/fuzz/%.o: %.c $(wildcard include/kcore/*.h)
	@mkdir -p $(dir $@)
	$(Q)$(FUZZ_CC) $(FUZZ_COMMON) -fsanitize=fuzzer-no-link -c $< -o $@
$(FUZZ_KIT_OBJS): $(B)/fuzz/%.o: %.c $(wildcard include/kcore/*.h tests/fake/*.h tests/harness/*.h)
	@mkdir -p $(dir $@)
	$(Q)$(FUZZ_CC) $(FUZZ_COMMON) -c $< -o $@
$(B)/fuzz/hvc_fuzz: $(FUZZ_CORE_OBJS) $(FUZZ_KIT_OBJS)
	$(Q)$(FUZZ_CC) -fsanitize=fuzzer,address,undefined $^ -o $@

FUZZ_SECONDS ?= 600
fuzz-smoke: $(B)/fuzz/hvc_fuzz
	$(Q)scripts/run-fuzz.sh $< 30
fuzz: $(B)/fuzz/hvc_fuzz
	$(Q)scripts/run-fuzz.sh $< $(FUZZ_SECONDS)

mutants:
	$(Q)scripts/run-mutants.sh

test: deps
	$(Q)scripts/test.sh

check: all
	$(Q)scripts/check.sh

clean:
	rm -rf $(B)

.PHONY: all el2 host deps unit model fuzz fuzz-smoke mutants test check clean
