# KCore build. `make` builds the aarch64 core objects and the host test
# library; `make test` runs every test; `make check` runs the linters.
# PLATFORM= selects the board (qemu-virt, qemu-virt-gicv2); V=1 shows commands.

PLATFORM ?= qemu-virt
V ?= 0
Q := $(if $(filter 1,$(V)),,@)
PY := /usr/bin/python3
B := build

# ---- SMMU (issue 5) ------------------------------------------------------------
# SMMU=1 (default): the EL2 image carries the SMMUv3 driver (smmu/v3/), which
# takes over the SMMU the DTB names. SMMU=0: a board without an SMMU (the
# Raspberry Pi 4 profile): no driver, every SMMU call is refused (D43); its
# objects go to build/nosmmu so that both builds can coexist.
SMMU ?= 1
ifeq ($(SMMU),0)
B := build/nosmmu
IMG_SMMU_SRCS := smmu/none/smmu_none.c
IMG_SMMU_FLAGS := -DKCORE_NO_SMMU
else
IMG_SMMU_SRCS := $(sort $(wildcard smmu/v3/*.c))
IMG_SMMU_FLAGS := -Ismmu/v3
endif
# KCORE_INSECURE_DMA=1 (D45): the explicit, loudly named opt-in that lets VMs
# boot where no SMMU under KCore's control isolates device DMA (the Pi 4
# profile without it refuses VERIFY_VM with -KE_NOTSUPP), and that gives the
# host the DMA masters KCore cannot isolate. Never the default; its objects
# go to $(B)/insecure-dma.
KCORE_INSECURE_DMA ?= 0
ifeq ($(KCORE_INSECURE_DMA),1)
B := $(B)/insecure-dma
IMG_SMMU_FLAGS += -DKCORE_INSECURE_DMA
endif
# ---- end SMMU ------------------------------------------------------------------

# crypto/: the primitives (SHA-512, HMAC, Ed25519 verification,
# ChaCha20-Poly1305), part of the core: freestanding, general registers only.
# $(KEYS_C): the provisioned keys, generated (below).
# One key set for every build (SMMU=0's too).
KEYS_DIR := build/keys
KEYS_C := $(KEYS_DIR)/keys.c
SECRET_C := $(KEYS_DIR)/device_secret.c
CORE_SRCS := $(sort $(wildcard kcore/*.c smmu/*.c crypto/*.c)) $(KEYS_C) $(SECRET_C)
CORE_HDRS := $(wildcard include/kcore/*.h include/crypto/*.h kcore/*.h)
WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wpointer-arith -Wundef -Wvla -Wcast-align -Wno-unused-parameter

# ---- keys provisioned at build (docs/image-format.md) ------------------------
# KCORE_KEYS=<file>: the PEM Ed25519 public key(s) that may sign VM images.
# Without it, a development key pair is generated once into build/keys/.
# KCORE_SIGN_KEY=<file>: the private key the test and demo images are signed
# with (default: the development key). KCORE_DEVICE_SECRET=<file>: the 32-byte
# device secret the export keys derive from (default: generated once into
# build/keys/device-secret.bin). Changing any of them rebuilds the table.
DEV_KEY := $(KEYS_DIR)/dev-ed25519.pem
IMAGE_KEYS := $(if $(KCORE_KEYS),$(KCORE_KEYS),$(KEYS_DIR)/dev-ed25519.pub.pem)
SIGN_KEY := $(if $(KCORE_SIGN_KEY),$(KCORE_SIGN_KEY),$(DEV_KEY))
DEVICE_SECRET := $(if $(KCORE_DEVICE_SECRET),$(KCORE_DEVICE_SECRET),$(KEYS_DIR)/device-secret.bin)

$(DEV_KEY):
	@mkdir -p $(dir $@)
	$(Q)openssl genpkey -algorithm ed25519 -out $@
	@echo "keys: generated the DEVELOPMENT image-signing key $@ (make KCORE_KEYS=<pem> for real keys)"
$(KEYS_DIR)/dev-ed25519.pub.pem: $(DEV_KEY)
	$(Q)openssl pkey -in $< -pubout -out $@
$(KEYS_DIR)/device-secret.bin:
	@mkdir -p $(dir $@)
	$(Q)openssl rand -out $@ 32
	@echo "keys: generated a DEVELOPMENT device secret $@ (make KCORE_DEVICE_SECRET=<file> to choose it)"
# The table is regenerated every time but replaced only if it changed, so a
# different KCORE_KEYS or KCORE_DEVICE_SECRET rebuilds what depends on it.
# $(call replace_if_changed,NEW,FILE): NEW becomes FILE only if they differ.
# The temporary names carry the shell's pid: the SMMU=0 images' sub-makes may
# regenerate the same files at the same time (make -j).
replace_if_changed = if cmp -s $(1) $(2); then rm $(1); else mv $(1) $(2); fi
$(KEYS_C): $(IMAGE_KEYS) scripts/keys-to-c FORCE
	@mkdir -p $(dir $@)
	$(Q)t=$@.$$$$.new; $(PY) scripts/keys-to-c $(IMAGE_KEYS) $$t >/dev/null && \
		$(call replace_if_changed,$$t,$@)
# The public keys the table was made from, for the tests (tests/model).
	$(Q)t=$(KEYS_DIR)/image-keys.pem.$$$$.tmp; cp $(IMAGE_KEYS) $$t && \
		$(call replace_if_changed,$$t,$(KEYS_DIR)/image-keys.pem)
$(SECRET_C): $(DEVICE_SECRET) scripts/secret-to-c FORCE
	@mkdir -p $(dir $@)
	$(Q)t=$@.$$$$.new; $(PY) scripts/secret-to-c $(DEVICE_SECRET) $$t && \
		$(call replace_if_changed,$$t,$@)
# Which key signs the test and demo images: rewritten only when it changes,
# so that images signed with another key are signed again.
SIGN_KEY_ID := $(KEYS_DIR)/sign-key.id
$(SIGN_KEY_ID): $(SIGN_KEY) FORCE
	@mkdir -p $(dir $@)
	$(Q)t=$@.$$$$.new; openssl pkey -in $(SIGN_KEY) -pubout > $$t && \
		$(call replace_if_changed,$$t,$@)
keys: $(KEYS_C) $(SECRET_C) $(SIGN_KEY_ID)

# ---- aarch64 (EL2) ---------------------------------------------------------
CROSS ?= aarch64-linux-gnu-
EL2_CFLAGS := -std=c11 -O2 -g -ffreestanding -nostdlib -fno-builtin -fno-stack-protector \
	-mgeneral-regs-only -mno-outline-atomics -fno-pic -Iinclude $(WARN)
EL2_OBJS := $(CORE_SRCS:%.c=$(B)/el2/%.o)

$(B)/el2/%.o: %.c $(CORE_HDRS)
	@mkdir -p $(dir $@)
	$(Q)$(CROSS)gcc $(EL2_CFLAGS) -c $< -o $@

# One relocatable object: the core as it will be linked at EL2. The check
# fails if it needs anything beyond the arch boundary and mem* helpers.
$(B)/el2/kcore-core.o: $(EL2_OBJS) scripts/check-freestanding.sh
	$(Q)$(CROSS)ld -r -o $@ $(EL2_OBJS)
	$(Q)scripts/check-freestanding.sh $(CROSS)nm $@

el2: $(B)/el2/kcore-core.o

# ---- KCore for Linux's nVHE image (issue 12, docs/linux.md) -------------------
# The same core sources (kcore/, smmu/, crypto/, the keys), the SMMU driver of
# the Linux home (smmu/none until KCore takes the SMMU inside Linux), the
# arch layer for it (arch/arm64/cpu_ops.c, shared with the standalone image,
# and arch/arm64/linux/) and the mem* helpers, as one relocatable object
# whose only global symbols are the entry points of
# arch/arm64/linux/exports.txt (nothing clashes in the nVHE namespace) and
# which needs only the nVHE symbols of arch/arm64/linux/nvhe-symbols.txt,
# checked for what the nVHE image can carry. The kernel is built without
# unwind tables (hyp.lds keeps no .eh_frame). A core change rebuilds this
# object and relinks vmlinux, not the kernel.
# (KCORE_INSECURE_DMA=1, D45's opt-in: build/insecure-dma/linux-kcore.)
LK := $(B)/linux-kcore
# KCORE_NO_SMMU: no SMMU is KCore's inside Linux yet (smmu/none), so a DTB's
# SMMUv3 does not make the host's DMA masters "behind KCore's SMMU" (D44 (b),
# platform/devices.c): they are withheld as on a machine without one.
LK_CFLAGS := $(EL2_CFLAGS) -Iarch/arm64 -Iplatform -fno-asynchronous-unwind-tables -fno-unwind-tables \
	-fno-tree-loop-distribute-patterns -fcallgraph-info=su -DKCORE_NO_SMMU
LK_SRCS := $(CORE_SRCS) smmu/none/smmu_none.c arch/arm64/mem.c arch/arm64/cpu_ops.c \
	arch/arm64/host_inject.c arch/arm64/pmu.c arch/arm64/zero.c arch/arm64/mmio_mediate.c \
	arch/arm64/gic_redist.c arch/arm64/gic_its.c arch/arm64/gic_its_cmd.c \
	arch/arm64/vcpu_switch.c arch/arm64/vgic.c arch/arm64/smccc.c arch/arm64/guest_traps.c \
	arch/arm64/reset.c arch/arm64/psci.c arch/arm64/dma_policy.c \
	$(wildcard platform/*.c arch/arm64/linux/*.c)
# The world switch's assembly, the same files as standalone.
LK_ASM := arch/arm64/switch.S arch/arm64/guest_vectors.S
LK_DMA_FLAGS := $(if $(filter 1,$(KCORE_INSECURE_DMA)),-DKCORE_INSECURE_DMA)
LK_OBJS := $(LK_SRCS:%.c=$(LK)/%.o)
LK_ASM_OBJS := $(LK_ASM:%.S=$(LK)/%.S.o)
LK_EXPORTS := arch/arm64/linux/exports.txt
LK_NVHE_SYMS := arch/arm64/linux/nvhe-symbols.txt
$(LK_OBJS): $(LK)/%.o: %.c $(CORE_HDRS) $(wildcard arch/arm64/*.h arch/arm64/linux/*.h platform/*.h)
	@mkdir -p $(dir $@)
	$(Q)$(CROSS)gcc $(LK_CFLAGS) $(LK_DMA_FLAGS) -c $< -o $@
$(LK_ASM_OBJS): $(LK)/%.S.o: %.S $(wildcard arch/arm64/*.h)
	@mkdir -p $(dir $@)
	$(Q)$(CROSS)gcc $(EL2_CFLAGS) -Iarch/arm64 -c $< -o $@
$(LK_OBJS): $(LK)/%.o: %.c $(CORE_HDRS) $(wildcard arch/arm64/*.h arch/arm64/linux/*.h platform/*.h)
$(LK)/kcore-hyp.o: $(LK_OBJS) $(LK_ASM_OBJS) $(LK_EXPORTS) $(LK_NVHE_SYMS) scripts/check-nvhe-object.sh
	$(Q)$(CROSS)ld -r -o $@.all $(LK_OBJS) $(LK_ASM_OBJS)
	$(Q)$(CROSS)objcopy --keep-global-symbols=$(LK_EXPORTS) $@.all $@
	$(Q)rm -f $@.all
	$(Q)scripts/check-nvhe-object.sh $(CROSS) $@ $(LK_EXPORTS) $(LK_NVHE_SYMS) || { rm -f $@; exit 1; }
linux-kcore: $(LK)/kcore-hyp.o
# The deepest EL2 stack from each entry point of the object (GCC's call
# graphs with stack usage, scripts/stack-depth.py): within 3,584 bytes, the
# one-page nVHE hyp stack less 512 bytes for pKVM's frames on the way in.
LK_STACK_LIMIT := 3584
stack-depth: $(LK)/kcore-hyp.o
	$(Q)$(PY) scripts/stack-depth.py --limit $(LK_STACK_LIMIT) --entries $(LK_EXPORTS) \
		--indirect arch/arm64/linux/stack-indirect.txt $(LK_OBJS:%.o=%.ci)

# ---- the EL2 image for QEMU virt (boot/, arch/arm64/) --------------------------
IMG_CFLAGS := $(EL2_CFLAGS) -Iboot -Iplatform -Iarch/arm64 -fno-tree-loop-distribute-patterns $(IMG_SMMU_FLAGS)
IMG_SRCS := $(sort $(wildcard boot/*.c platform/*.c arch/arm64/*.c)) boot/start.S arch/arm64/vectors.S \
	arch/arm64/guest_vectors.S \
	arch/arm64/switch.S $(IMG_SMMU_SRCS)
IMG_OBJS := $(patsubst %,$(B)/el2/img/%.o,$(IMG_SRCS))
IMG_HDRS := $(wildcard include/kcore/*.h boot/*.h platform/*.h arch/arm64/*.h smmu/v3/*.h)

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

# make bench's image: the same, but a VM's PMU accesses are not trapped
# (-DKCORE_BENCH_PMU, arch/arm64/sysreg.h) so that the bench guest can read
# the counter of KCore's instructions. Only the MDCR_EL2 value differs.
BENCH_IMG_OBJS := $(patsubst %,$(B)/el2/img-bench/%.o,$(IMG_SRCS))
$(B)/el2/img-bench/%.c.o: %.c $(IMG_HDRS)
	@mkdir -p $(dir $@)
	$(Q)$(CROSS)gcc $(IMG_CFLAGS) -DKCORE_BENCH_PMU -c $< -o $@
$(B)/el2/img-bench/%.S.o: %.S $(IMG_HDRS)
	@mkdir -p $(dir $@)
	$(Q)$(CROSS)gcc $(IMG_CFLAGS) -DKCORE_BENCH_PMU -D__ASSEMBLY__ -c $< -o $@
$(B)/el2/kcore-bench.elf: $(BENCH_IMG_OBJS) $(B)/el2/kcore-core.o $(B)/el2/kcore.ld
	$(Q)$(CROSS)ld -nostdlib -T $(B)/el2/kcore.ld -o $@ $(BENCH_IMG_OBJS) $(B)/el2/kcore-core.o

# ---- the bare-metal test host (tests/qemu/host), one image per scenario ------
QEMU_SCENARIOS := hello forbidden vm two-vms smp images export devices pmu reset vmid-reuse
QHOST_SRCS := tests/qemu/host/start.S tests/qemu/host/host.c tests/qemu/host/images.c \
	tests/qemu/host/reset.c \
	tests/qemu/host/export.c tests/qemu/host/smp.c tests/qemu/host/smp_entry.S \
	tests/qemu/host/hostlib.c tests/qemu/host/guest_image.S tests/qemu/host/devices.c tests/qemu/host/lpi.c tests/qemu/host/pmu.c \
	tests/qemu/guests/fp.S platform/fmt.c
QHOST_CFLAGS := $(EL2_CFLAGS) -Iboot -Iplatform -Iarch/arm64 -Itests/qemu/host
# The guest (tests/qemu/guests): EL1, MMU off, linked at its load IPA, a flat
# binary that the test host embeds (guest_image.S, .incbin).
GUEST_SRCS := tests/qemu/guests/start.S tests/qemu/guests/guest.c tests/qemu/guests/fp.S platform/fmt.c
$(B)/qemu/guest.bin: $(GUEST_SRCS) tests/qemu/guests/guest.ld $(IMG_HDRS)
	@mkdir -p $(dir $@)
	$(Q)$(CROSS)gcc $(EL2_CFLAGS) -mstrict-align -Iboot -Iplatform -Wl,-T,tests/qemu/guests/guest.ld \
		-Wl,--build-id=none -Wl,--no-warn-rwx-segments -o $(B)/qemu/guest.elf $(GUEST_SRCS)
	$(Q)$(CROSS)objcopy -O binary $(B)/qemu/guest.elf $@
# The one-file guests: spin (tests/qemu/guests/spin.S, an HVC loop, for the
# smp scenario) and loop (loop.S, 100,000 instructions per exit, for pmu).
$(B)/qemu/spin.bin $(B)/qemu/loop.bin: $(B)/qemu/%.bin: tests/qemu/guests/%.S tests/qemu/guests/guest.ld
	@mkdir -p $(dir $@)
	$(Q)$(CROSS)gcc $(EL2_CFLAGS) -Wl,-T,tests/qemu/guests/guest.ld -Wl,--build-id=none \
		-Wl,--no-warn-rwx-segments -o $(B)/qemu/$*.elf $<
	$(Q)$(CROSS)objcopy -O binary $(B)/qemu/$*.elf $@
$(B)/qemu/host.ld: tests/qemu/host/host.ld.S boot/platform.h
	@mkdir -p $(dir $@)
	$(Q)$(CROSS)cpp -P -Iboot $< -o $@
# Every guest image is signed (scripts/sign-image) for its load IPA.
GUEST_LOAD := 0x40080000
$(B)/qemu/%.signed.bin: $(B)/qemu/%.bin $(SIGN_KEY_ID) scripts/sign-image
	$(Q)$(PY) scripts/sign-image --key $(SIGN_KEY) --load-addr $(GUEST_LOAD) $< $@ >/dev/null
# The `images` scenario's wrong key: a second key pair, never provisioned.
OTHER_KEY := $(KEYS_DIR)/not-provisioned-ed25519.pem
$(OTHER_KEY):
	@mkdir -p $(dir $@)
	$(Q)openssl genpkey -algorithm ed25519 -out $@
$(B)/qemu/guest.otherkey.bin: $(B)/qemu/guest.bin $(OTHER_KEY) scripts/sign-image
	$(Q)$(PY) scripts/sign-image --key $(OTHER_KEY) --load-addr $(GUEST_LOAD) $< $@ >/dev/null
$(B)/qemu/host-%.elf: $(QHOST_SRCS) $(wildcard tests/qemu/host/*.h) $(B)/qemu/host.ld $(IMG_HDRS) \
		$(B)/qemu/guest.signed.bin $(B)/qemu/guest.otherkey.bin \
		$(B)/qemu/spin.signed.bin $(B)/qemu/loop.signed.bin
	@mkdir -p $(dir $@)
	$(Q)$(CROSS)gcc $(QHOST_CFLAGS) -DSCENARIO_$(shell echo $* | tr a-z- A-Z_) \
		-Wl,-T,$(B)/qemu/host.ld -Wl,--build-id=none -o $@ $(QHOST_SRCS)

# ---- SMMU (issue 5): the `dma` and `nosmmu` test hosts, from their own file
# (tests/qemu/host/dma.c), and the EL2 image built without the driver
# (SMMU=0) that `nosmmu` boots. ----
QEMU_SCENARIOS += dma nosmmu
DMA_HOST_SRCS := tests/qemu/host/start.S tests/qemu/host/hostlib.c tests/qemu/host/dma.c \
	platform/fmt.c platform/dtb.c
$(B)/qemu/host-dma.elf $(B)/qemu/host-nosmmu.elf: $(B)/qemu/host-%.elf: $(DMA_HOST_SRCS) \
		tests/qemu/host/hostlib.h $(B)/qemu/host.ld $(IMG_HDRS)
	@mkdir -p $(dir $@)
	$(Q)$(CROSS)gcc $(QHOST_CFLAGS) -DSCENARIO_$(shell echo $* | tr a-z- A-Z_) \
		-Wl,-T,$(B)/qemu/host.ld -Wl,--build-id=none -o $@ $(DMA_HOST_SRCS)
ifneq ($(SMMU),0)
ifneq ($(KCORE_INSECURE_DMA),1)
# The Pi 4 profile (no SMMU) twice: as built by default (VMs refused, D45)
# and with the named opt-in (the `insecure-dma` scenario).
qemu-images: build/nosmmu/el2/kcore.elf build/nosmmu/insecure-dma/el2/kcore.elf
build/nosmmu/el2/kcore.elf: FORCE keys
	$(Q)$(MAKE) --no-print-directory SMMU=0 $@
build/nosmmu/insecure-dma/el2/kcore.elf: FORCE keys
	$(Q)$(MAKE) --no-print-directory SMMU=0 KCORE_INSECURE_DMA=1 $@
endif
endif
# ---- end SMMU ----

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
	$(Q)timeout 60 $(QEMU) -M virt,virtualization=on,gic-version=$(QEMU_GIC),iommu=smmuv3 -cpu cortex-a72 \
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
# A 1 MB signed image for VERIFY_VM's cost per byte (payload: 1 MB - 128 bytes).
$(B)/qemu/bench-big.signed.bin: $(SIGN_KEY_ID) scripts/sign-image
	@mkdir -p $(dir $@)
	$(Q)$(PY) -c "import sys; sys.stdout.buffer.write(bytes((i * 131 + 7) & 255 for i in range((1 << 20) - 128)))" >$(B)/qemu/bench-big.bin
	$(Q)$(PY) scripts/sign-image --key $(SIGN_KEY) --load-addr 0x40000000 $(B)/qemu/bench-big.bin $@ >/dev/null
$(B)/qemu/bench.elf: $(B)/qemu/bench-big.signed.bin tests/qemu/host/start.S tests/qemu/host/hostlib.c tests/qemu/host/hostlib.h tests/qemu/bench/bench.c platform/fmt.c \
		tests/qemu/bench/guest_image.S $(B)/qemu/bench-guest.signed.bin $(B)/qemu/host.ld $(IMG_HDRS)
	@mkdir -p $(dir $@)
	$(Q)$(CROSS)gcc $(QHOST_CFLAGS) -Wl,-T,$(B)/qemu/host.ld -Wl,--build-id=none -o $@ \
		tests/qemu/host/start.S tests/qemu/host/hostlib.c tests/qemu/bench/bench.c platform/fmt.c \
		tests/qemu/bench/guest_image.S
all: $(B)/qemu/bench.elf
bench: deps $(B)/el2/kcore-bench.elf $(B)/qemu/bench.elf
	$(Q)scripts/bench.sh

# make gdb: QEMU halted at KCore's entry (-S, gdb server on :1234) and gdb-multiarch attached
# with build/el2/kcore.elf's symbols; scripts/gdb.sh --check is a batch self-test.
gdb: $(B)/el2/kcore.elf $(B)/qemu/host-hello.elf
	$(Q)scripts/gdb.sh

# ==== Linux test bed (issue 6): tests/linux, scripts/linux ====================
# Debian's Linux 6.1 as an arm64 KVM host in QEMU with a small VMM and two
# guests; stock KVM (nVHE), pKVM and KCore mode (kvm-arm.mode=kcore, patches/linux).
# `make test` builds it (kernel included) and runs linux-test (scripts/test.sh).
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
# The bare guest signed for its load IPA, for KCore (tests/linux/probe/kcore-vm.c).
$(B)/linux/bare.signed: $(B)/linux/bare.bin $(SIGN_KEY_ID) scripts/sign-image
	$(Q)$(PY) scripts/sign-image --key $(SIGN_KEY) --load-addr 0x40000000 $< $@ >/dev/null
# The smallest guest (PSCI SYSTEM_OFF, padded to 1 MB), signed, and the
# program that runs many VMs of it one after another (D68's VM id reuse).
$(B)/linux/off.signed: tests/linux/guests/off.S $(SIGN_KEY_ID) scripts/sign-image
	@mkdir -p $(dir $@)
	$(Q)$(CROSS)gcc -c -o $(B)/linux/off.o $<
	$(Q)$(CROSS)objcopy -O binary -j .text $(B)/linux/off.o $(B)/linux/off.bin
	$(Q)$(PY) scripts/sign-image --key $(SIGN_KEY) --load-addr 0x40000000 $(B)/linux/off.bin $@ >/dev/null
$(B)/linux/vm-cycles: tests/linux/probe/vm-cycles.c
	@mkdir -p $(dir $@)
	$(Q)$(CROSS)gcc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -static -o $@ $<
# And a copy with one payload byte flipped, which KCore must refuse.
$(B)/linux/bare.tampered: $(B)/linux/bare.signed
	$(Q)$(PY) -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[64] ^= 1; \
		open(sys.argv[2], "wb").write(b)' $< $@
# The host-side probes, each with what they share (tests/linux/probe/probe.c).
PROBE_LIB := tests/linux/probe/probe.c tests/linux/probe/probe.h
$(B)/linux/kcore-probe: tests/linux/probe/kcore-probe.c $(PROBE_LIB)
	@mkdir -p $(dir $@)
	$(Q)$(CROSS)gcc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -static -o $@ $(filter %.c,$^)
$(B)/linux/kcore-vm: tests/linux/probe/kcore-vm.c $(PROBE_LIB) include/kcore/abi.h include/kcore/vcpu.h \
		include/kcore/errno.h
	@mkdir -p $(dir $@)
	$(Q)$(CROSS)gcc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -static -Iinclude -o $@ $(filter %.c,$^)
linux-kernel: $(LK)/kcore-hyp.o
	$(Q)scripts/linux/build
LINUX_INITRAMFS_IN := $(B)/linux/vmm $(B)/linux/bare.bin $(B)/linux/bare.signed $(B)/linux/kcore-probe \
	$(B)/linux/kcore-vm
linux-initramfs: linux-kernel $(LINUX_INITRAMFS_IN) $(B)/linux/bare.tampered $(SIGN_KEY_ID) \
		$(B)/linux/off.signed $(B)/linux/vm-cycles
	$(Q)scripts/linux/fetch-debian-kernel.sh $(B)/linux/debian-Image
	$(Q)SIGN_KEY=$(SIGN_KEY) VM_CYCLES=$(B)/linux/vm-cycles OFF_SIGNED=$(B)/linux/off.signed \
		scripts/linux/initramfs $(LINUX_INITRAMFS_IN) $(B)/linux/Image $(B)/linux/debian-Image
# D45's opt-in object (VMs run without an SMMU KCore controls), for the
# kcore-vm mode of linux-test: linked in for that run and out again.
LK_INSECURE_OBJ := build/insecure-dma/linux-kcore/kcore-hyp.o
ifneq ($(KCORE_INSECURE_DMA),1)
linux-kcore-insecure-dma:
	$(Q)$(MAKE) --no-print-directory KCORE_INSECURE_DMA=1 linux-kcore
endif
linux-test: linux-initramfs linux-kcore-insecure-dma
	$(Q)tests/linux/run.sh
	$(Q)scripts/linux/with-kcore-object $(LK_INSECURE_OBJ) tests/linux/run.sh kcore-vm
linux-bench: linux-initramfs
	$(Q)tests/linux/bench.sh
.PHONY: linux-kernel linux-initramfs linux-test linux-bench linux-kcore-insecure-dma
# ==== end of the Linux test bed ===============================================

# ---- host build over the fake arch ------------------------------------------
HOST_CC ?= gcc
HOST_CFLAGS := -std=c11 -O2 -g -fPIC -DKCORE_PROFILE_TEST -DKCORE_DEBUG=1 -Iinclude -Itests/fake \
	$(WARN) -D_DEFAULT_SOURCE
FAKE_SRCS := tests/fake/arch_fake.c
HARNESS_SRCS := $(sort $(wildcard tests/harness/*.c))
HOST_OBJS := $(CORE_SRCS:%.c=$(B)/host/%.o) $(FAKE_SRCS:%.c=$(B)/host/%.o)

$(B)/host/%.o: %.c $(CORE_HDRS) $(wildcard tests/fake/*.h tests/harness/*.h)
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) $(HOST_CFLAGS) -c $< -o $@

$(B)/host/libkcore.a: $(HOST_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^

$(B)/host/libkcore_test.so: $(HOST_OBJS) $(HARNESS_SRCS:%.c=$(B)/host/%.o)
	$(Q)$(HOST_CC) -shared -o $@ $^

UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(B)/host/unit/%)

# Signed test images (tests/unit/make-test-images.py), for the unit tests and
# the SMP stress test.
TEST_IMAGES_H := $(KEYS_DIR)/test_images.h
$(TEST_IMAGES_H): tests/unit/make-test-images.py scripts/sign-image $(SIGN_KEY_ID)
	@mkdir -p $(dir $@)
	$(Q)$(PY) tests/unit/make-test-images.py $(SIGN_KEY) $@

$(B)/host/unit/%: tests/unit/%.c $(B)/host/libkcore.a $(wildcard tests/unit/*.h) $(TEST_IMAGES_H)
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) $(HOST_CFLAGS) -I$(KEYS_DIR) -Itests/unit -Iarch/arm64 -Iplatform -Iboot $< $(B)/host/libkcore.a -o $@

# Unit tests of EL2 code built for the host (#included): their sources.
$(B)/host/unit/test_cpu_power: arch/arm64/cpu_power.h
$(B)/host/unit/test_uart: boot/uart.c platform/fmt.c

# The crypto interop tests' tool (tests/crypto/openssl-interop.sh).
$(B)/host/ed25519-verify-cli: tests/crypto/ed25519-verify-cli.c $(B)/host/libkcore.a $(CORE_HDRS)
	$(Q)$(HOST_CC) $(HOST_CFLAGS) $< $(B)/host/libkcore.a -o $@

$(B)/host/crypto-bench: tests/crypto/crypto-bench.c $(B)/host/libkcore.a $(CORE_HDRS)
	$(Q)$(HOST_CC) $(HOST_CFLAGS) $< $(B)/host/libkcore.a -o $@

# Constant-time check under memcheck (tests/crypto/ct-check.sh); needs
# valgrind's header, built only where it is installed.
$(B)/host/ct-check: tests/crypto/ct-check.c $(B)/host/libkcore.a $(CORE_HDRS)
	$(Q)$(HOST_CC) $(HOST_CFLAGS) $< $(B)/host/libkcore.a -o $@
CT_CHECK := $(if $(wildcard /usr/include/valgrind/memcheck.h),$(B)/host/ct-check)

host: $(B)/host/libkcore.a $(B)/host/libkcore_test.so $(UNIT_BINS) $(B)/host/ed25519-verify-cli \
	$(B)/host/crypto-bench $(CT_CHECK)

all: el2 host qemu-images
.DEFAULT_GOAL := all

# ---- tests -------------------------------------------------------------------
deps:
	$(Q)scripts/deps.sh

unit: $(UNIT_BINS)
	$(Q)scripts/run-unit.sh $(UNIT_BINS)

STEPS ?= 1000000
model: $(B)/host/libkcore_test.so $(KEYS_C)
	$(Q)KCORE_SIGN_KEY=$(SIGN_KEY) $(PY) tests/model/driver.py --lib $(B)/host/libkcore_test.so --steps $(STEPS) \
		--secret $(DEVICE_SECRET)

FUZZ_CC ?= clang
FUZZ_COMMON := -std=c11 -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-DKCORE_PROFILE_TEST -DKCORE_DEBUG=1 -Iinclude -Itests/fake -Itests/harness -D_DEFAULT_SOURCE
# Coverage instrumentation only on the core: the checkers' loops over every
# page would otherwise drown the fuzzer's signal (and its speed).
FUZZ_CORE_OBJS := $(CORE_SRCS:%.c=$(B)/fuzz/%.o)
FUZZ_KIT_OBJS := $(FAKE_SRCS:%.c=$(B)/fuzz/%.o) $(HARNESS_SRCS:%.c=$(B)/fuzz/%.o) $(B)/fuzz/tests/fuzz/hvc_fuzz.o
$(FUZZ_CORE_OBJS): $(B)/fuzz/%.o: %.c $(CORE_HDRS)
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
$(B)/tsan/smp_stress: tests/smp/smp_stress.c $(TEST_IMAGES_H) $(CORE_SRCS) $(FAKE_SRCS) $(HARNESS_SRCS) \
		$(CORE_HDRS) $(wildcard tests/fake/*.h tests/harness/*.h)
	@mkdir -p $(dir $@)
	$(Q)$(FUZZ_CC) -std=c11 -O1 -g -fsanitize=thread -DKCORE_PROFILE_TEST -DKCORE_DEBUG=1 -D_DEFAULT_SOURCE \
		-Iinclude -I$(KEYS_DIR) -Itests/fake -Itests/harness tests/smp/smp_stress.c $(CORE_SRCS) $(FAKE_SRCS) \
		$(HARNESS_SRCS) -lpthread -o $@

smp: $(B)/tsan/smp_stress
	$(Q)$<

test: deps
	$(Q)scripts/test.sh

check: all
	$(Q)scripts/check.sh

clean:
	rm -rf $(B)

FORCE:
# The signed images are kept (not deleted as intermediate files).
.SECONDARY: $(B)/qemu/guest.signed.bin $(B)/qemu/bench-guest.signed.bin
.PHONY: FORCE keys all el2 host deps stack-depth unit model smp fuzz fuzz-smoke mutants test check clean kcore.elf \
	qemu-images qemu-test run bench gdb
