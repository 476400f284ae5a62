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

$(B)/el2/%.o: %.c $(wildcard include/kcore/*.h kcore/*.h)
	@mkdir -p $(dir $@)
	$(Q)$(CROSS)gcc $(EL2_CFLAGS) -c $< -o $@

# One relocatable object: the core as it will be linked at EL2. The check
# fails if it needs anything beyond the arch boundary and mem* helpers.
$(B)/el2/kcore-core.o: $(EL2_OBJS) scripts/check-freestanding.sh
	$(Q)$(CROSS)ld -r -o $@ $(EL2_OBJS)
	$(Q)scripts/check-freestanding.sh $(CROSS)nm $@

el2: $(B)/el2/kcore-core.o

# ---- the EL2 image for QEMU virt (boot/, arch/arm64/) --------------------------
IMG_CFLAGS := $(EL2_CFLAGS) -Iboot -Iarch/arm64 -fno-tree-loop-distribute-patterns
IMG_SRCS := $(sort $(wildcard boot/*.c arch/arm64/*.c)) boot/start.S arch/arm64/vectors.S \
	arch/arm64/switch.S
IMG_OBJS := $(patsubst %,$(B)/el2/img/%.o,$(IMG_SRCS))
IMG_HDRS := $(wildcard include/kcore/*.h boot/*.h arch/arm64/*.h)

$(B)/el2/img/%.c.o: %.c $(IMG_HDRS)
	@mkdir -p $(dir $@)
	$(Q)$(CROSS)gcc $(IMG_CFLAGS) -c $< -o $@
$(B)/el2/img/%.S.o: %.S $(IMG_HDRS)
	@mkdir -p $(dir $@)
	$(Q)$(CROSS)gcc $(IMG_CFLAGS) -D__ASSEMBLY__ -c $< -o $@
$(B)/el2/kcore.ld: boot/kcore.ld.S boot/platform.h
	@mkdir -p $(dir $@)
	$(Q)$(CROSS)cpp -P -Iboot $< -o $@
$(B)/el2/kcore.elf: $(IMG_OBJS) $(B)/el2/kcore-core.o $(B)/el2/kcore.ld
	$(Q)$(CROSS)ld -nostdlib -T $(B)/el2/kcore.ld -o $@ $(IMG_OBJS) $(B)/el2/kcore-core.o

kcore.elf: $(B)/el2/kcore.elf

# ---- the bare-metal test host (tests/qemu/host), one image per scenario ------
QEMU_SCENARIOS := hello forbidden vm two-vms
QHOST_SRCS := tests/qemu/host/start.S tests/qemu/host/host.c tests/qemu/host/hostlib.c tests/qemu/host/guest_image.S \
	tests/qemu/guests/fp.S boot/fmt.c
QHOST_CFLAGS := $(EL2_CFLAGS) -Iboot -Itests/qemu/host
# The guest (tests/qemu/guests): EL1, MMU off, linked at its load IPA, a flat
# binary that the test host embeds (guest_image.S, .incbin).
GUEST_SRCS := tests/qemu/guests/start.S tests/qemu/guests/guest.c tests/qemu/guests/fp.S boot/fmt.c
$(B)/qemu/guest.bin: $(GUEST_SRCS) tests/qemu/guests/guest.ld $(IMG_HDRS)
	@mkdir -p $(dir $@)
	$(Q)$(CROSS)gcc $(EL2_CFLAGS) -mstrict-align -Iboot -Wl,-T,tests/qemu/guests/guest.ld \
		-Wl,--build-id=none -Wl,--no-warn-rwx-segments -o $(B)/qemu/guest.elf $(GUEST_SRCS)
	$(Q)$(CROSS)objcopy -O binary $(B)/qemu/guest.elf $@
$(B)/qemu/host.ld: tests/qemu/host/host.ld.S boot/platform.h
	@mkdir -p $(dir $@)
	$(Q)$(CROSS)cpp -P -Iboot $< -o $@
$(B)/qemu/host-%.elf: $(QHOST_SRCS) tests/qemu/host/hostlib.h $(B)/qemu/host.ld $(IMG_HDRS) $(B)/qemu/guest.bin
	@mkdir -p $(dir $@)
	$(Q)$(CROSS)gcc $(QHOST_CFLAGS) -DSCENARIO_$(shell echo $* | tr a-z- A-Z_) \
		-Wl,-T,$(B)/qemu/host.ld -Wl,--build-id=none -o $@ $(QHOST_SRCS)

qemu-images: $(B)/el2/kcore.elf $(QEMU_SCENARIOS:%=$(B)/qemu/host-%.elf)

qemu-test: qemu-images
	$(Q)tests/qemu/run.sh

# The demo: boots the `two-vms` host on virt, GICv3, 2 CPUs, 1 GB: two VMs
# run side by side and print, the host's reads of a VM page are stopped, the
# VMs power off and their pages come back zeroed; QEMU exits when the host
# powers off (timeout as a safety net).
QEMU ?= qemu-system-aarch64
QEMU_GIC := $(if $(filter qemu-virt-gicv2,$(PLATFORM)),2,3)
run: deps qemu-images
	$(Q)timeout 60 $(QEMU) -M virt,virtualization=on,gic-version=$(QEMU_GIC) -cpu cortex-a72 \
		-smp 2 -m 1G -nographic -no-reboot -kernel $(B)/el2/kcore.elf \
		-device loader,file=$(B)/qemu/host-two-vms.elf

# make bench: KCore's EL2 instruction counts, measured by a test host of its
# own (tests/qemu/bench/bench.c on the test host's entry) under -icount
# shift=0; not part of make test. docs/bench.md.
# Its guest (tests/qemu/bench/guest.S, linked like the test guest) is
# embedded by tests/qemu/bench/guest_image.S.
$(B)/qemu/bench-guest.bin: tests/qemu/bench/guest.S tests/qemu/guests/guest.ld
	@mkdir -p $(dir $@)
	$(Q)$(CROSS)gcc $(EL2_CFLAGS) -Wl,-T,tests/qemu/guests/guest.ld -Wl,--build-id=none \
		-Wl,--no-warn-rwx-segments -o $(B)/qemu/bench-guest.elf tests/qemu/bench/guest.S
	$(Q)$(CROSS)objcopy -O binary $(B)/qemu/bench-guest.elf $@
$(B)/qemu/bench.elf: tests/qemu/host/start.S tests/qemu/host/hostlib.c tests/qemu/host/hostlib.h tests/qemu/bench/bench.c boot/fmt.c \
		tests/qemu/bench/guest_image.S $(B)/qemu/bench-guest.bin $(B)/qemu/host.ld $(IMG_HDRS)
	@mkdir -p $(dir $@)
	$(Q)$(CROSS)gcc $(QHOST_CFLAGS) -Wl,-T,$(B)/qemu/host.ld -Wl,--build-id=none -o $@ \
		tests/qemu/host/start.S tests/qemu/host/hostlib.c tests/qemu/bench/bench.c boot/fmt.c \
		tests/qemu/bench/guest_image.S
all: $(B)/qemu/bench.elf
bench: deps $(B)/el2/kcore.elf $(B)/qemu/bench.elf
	$(Q)scripts/bench.sh

# make gdb: QEMU halted at KCore's entry (-S, gdb server on :1234) and gdb-multiarch attached
# with build/el2/kcore.elf's symbols; scripts/gdb.sh --check is a batch self-test.
gdb: $(B)/el2/kcore.elf $(B)/qemu/host-hello.elf
	$(Q)scripts/gdb.sh

# ==== Linux test bed (issue 6): tests/linux, scripts/linux ====================
# Debian's Linux 6.1 as an arm64 KVM host in QEMU with a small VMM and two
# guests; stock KVM (nVHE) and pKVM baselines. Not part of `make test`.
# linux-kernel: build/linux/Image (scripts/linux/build, incremental);
# linux-test: tests/linux/run.sh; linux-bench: tests/linux/bench.sh.
LINUX_VMM_SRCS := $(wildcard tests/linux/vmm/*.c)
$(B)/linux/vmm: $(LINUX_VMM_SRCS) $(wildcard tests/linux/vmm/*.h)
	@mkdir -p $(dir $@)
	$(Q)$(CROSS)gcc -std=c11 -O2 -Wall -Wextra -Werror -static -o $@ $(LINUX_VMM_SRCS) -lpthread
$(B)/linux/bare.bin: tests/linux/guests/start.S tests/linux/guests/bare.c tests/linux/guests/guest.ld
	@mkdir -p $(dir $@)
	$(Q)$(CROSS)gcc -std=c11 -O2 $(WARN) -ffreestanding -nostdlib -fno-builtin -mgeneral-regs-only \
		-mstrict-align -fno-pic -static -Wl,-T,tests/linux/guests/guest.ld -Wl,--build-id=none \
		-Wl,--no-warn-rwx-segments -o $(B)/linux/bare.elf tests/linux/guests/start.S tests/linux/guests/bare.c
	$(Q)$(CROSS)objcopy -O binary $(B)/linux/bare.elf $@
linux-kernel:
	$(Q)scripts/linux/build
linux-initramfs: linux-kernel $(B)/linux/vmm $(B)/linux/bare.bin
	$(Q)scripts/linux/fetch-debian-kernel.sh $(B)/linux/debian-Image
	$(Q)scripts/linux/initramfs $(B)/linux/vmm $(B)/linux/bare.bin $(B)/linux/Image $(B)/linux/debian-Image
linux-test: linux-initramfs
	$(Q)tests/linux/run.sh
linux-bench: linux-initramfs
	$(Q)tests/linux/bench.sh
.PHONY: linux-kernel linux-initramfs linux-test linux-bench
# ==== end of the Linux test bed ===============================================

# ---- host build over the fake arch ------------------------------------------
HOST_CC ?= gcc
HOST_CFLAGS := -std=c11 -O2 -g -fPIC -DKCORE_PROFILE_TEST -DKCORE_DEBUG=1 -Iinclude -Itests/fake \
	$(WARN) -D_DEFAULT_SOURCE
FAKE_SRCS := tests/fake/arch_fake.c
HARNESS_SRCS := $(sort $(wildcard tests/harness/*.c))
HOST_OBJS := $(CORE_SRCS:%.c=$(B)/host/%.o) $(FAKE_SRCS:%.c=$(B)/host/%.o)

$(B)/host/%.o: %.c $(wildcard include/kcore/*.h kcore/*.h tests/fake/*.h tests/harness/*.h)
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) $(HOST_CFLAGS) -c $< -o $@

$(B)/host/libkcore.a: $(HOST_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^

$(B)/host/libkcore_test.so: $(HOST_OBJS) $(HARNESS_SRCS:%.c=$(B)/host/%.o)
	$(Q)$(HOST_CC) -shared -o $@ $^

UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(B)/host/unit/%)

$(B)/host/unit/%: tests/unit/%.c $(B)/host/libkcore.a tests/unit/ut.h tests/unit/kit.h
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) $(HOST_CFLAGS) -Itests/unit $< $(B)/host/libkcore.a -o $@

host: $(B)/host/libkcore.a $(B)/host/libkcore_test.so $(UNIT_BINS)

all: el2 host qemu-images
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
$(FUZZ_CORE_OBJS): $(B)/fuzz/%.o: %.c $(wildcard include/kcore/*.h kcore/*.h)
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

# SMP stress: four threads over the fake machine, with ThreadSanitizer.
$(B)/tsan/smp_stress: tests/smp/smp_stress.c $(CORE_SRCS) $(FAKE_SRCS) $(HARNESS_SRCS) \
		$(wildcard include/kcore/*.h kcore/*.h tests/fake/*.h tests/harness/*.h)
	@mkdir -p $(dir $@)
	$(Q)$(FUZZ_CC) -std=c11 -O1 -g -fsanitize=thread -DKCORE_PROFILE_TEST -DKCORE_DEBUG=1 -D_DEFAULT_SOURCE \
		-Iinclude -Itests/fake -Itests/harness tests/smp/smp_stress.c $(CORE_SRCS) $(FAKE_SRCS) \
		$(HARNESS_SRCS) -lpthread -o $@

smp: $(B)/tsan/smp_stress
	$(Q)$<

test: deps
	$(Q)scripts/test.sh

check: all
	$(Q)scripts/check.sh

clean:
	rm -rf $(B)

.PHONY: all el2 host deps unit model smp fuzz fuzz-smoke mutants test check clean kcore.elf \
	qemu-images qemu-test run bench gdb
