#!/usr/bin/env bash
# The QEMU scenarios: boot KCore (build/el2/kcore.elf) on QEMU virt at EL2
# with one test host image per scenario (build/qemu/host-<name>.elf, loaded
# by QEMU's generic loader at HOST_IMAGE_BASE), a fresh QEMU each time, with
# a timeout. A scenario passes when QEMU powers off by itself (exit 0), the
# console has every expected line, no "[FAIL]" and no "KCORE HALT".
# Usage: tests/qemu/run.sh [scenario...]   (default: all)
# Logs: build/test-logs/qemu-<name>.log. Ends "N passed, M failed".
set -u
cd "$(dirname "$0")/../.."
QEMU=${QEMU:-qemu-system-aarch64}
TIMEOUT=${QEMU_TIMEOUT:-25}
GIC=${QEMU_GIC:-3}
log=build/test-logs
mkdir -p "$log"

# Expected console lines (fixed strings), one per line, per scenario.
expect_hello() {
	cat <<'EOT'
kcore: KCore at EL2 on QEMU virt
kcore: EL2 MMU on
kcore: host stage 2 on and empty
host: hello from EL1 under KCore's stage 2
host: NOP -> 0
host: GEN_VMID -> 1
host: REGISTER_KVM(vmid) -> 0
host: REGISTER_VCPU(vmid, 0) -> 0
host: [PASS] a run page that is not the host's is refused (-KE_OWNER)
host: VCPU_RUN(vmid, 0) -> -3
host: [PASS] a run page of the host's is registered
host: [PASS] VCPU_RUN with a run page the host gave away is -KE_OWNER
host: [PASS] no abort taken
host: 10 passed, 0 failed
kcore: host PSCI SYSTEM_OFF: powering off
EOT
}
expect_pmu() {
	cat <<'EOT'
host: [PASS] PMUv3: the host's NSH filter bits (count at EL2) do not stick
host: [PASS] the host's event counter does not count KCore (EL2)
host: [PASS] the host's cycle counter does not count KCore (EL2)
host: [PASS] the counting guest's VM is built and verified
host: [PASS] three runs of the guest, each 100,000 instructions to its hypercall
host: [PASS] the host's event counter does not count the guest
host: [PASS] the host's cycle counter does not count the guest
host: [PASS] the host's counter and interrupt enables are back after the runs
host: [PASS] the VM is powered off
host: [PASS] KCore still answers
host: 10 passed, 0 failed
kcore: host PSCI SYSTEM_OFF: powering off
EOT
}
expect_pmu-max() {
	expect_pmu | sed '/NSH filter bits/d; s/^host: 10 passed/host: 9 passed/'
	echo "host: PMU version 6 (ID_AA64DFR0_EL1.PMUVer), 6 event counters"
	echo "host: PMUv3p1 or later: NSH kept, EL2 counting prohibited by MDCR_EL2"
}
expect_forbidden() {
	cat <<'EOT'
kcore: host read at IPA 0x40200000
kcore: host write at IPA 0x40201000
kcore: host fetch at IPA 0x40200000
kcore: host read at IPA 0x9050000
host: [PASS] read of KCore's image refused
host: [PASS] write to KCore's image refused
host: [PASS] read of KCore's data (bss) refused
host: [PASS] write to KCore's pools refused
host: [PASS] call into KCore's code refused
host: [PASS] read of KCore's SMMU (withheld MMIO) refused
host: [PASS] read of the VM's page refused
host: [PASS] write to the VM's page refused
host: [PASS] REGISTER_KVM(99) is -KE_RANGE
host: [PASS] SMMU_ALLOC(99, ...) is -KE_RANGE
host: [PASS] KCore still answers
host: [PASS] the VM's page is still refused
host: [PASS] 9 aborts taken in all
host: 21 passed, 0 failed
kcore: host PSCI SYSTEM_OFF: powering off
EOT
}
# What every VM of the guest (tests/qemu/guests/guest.c) and the test host
# (host.c) show, vm the VM's name: the boot registers (D69), an HVC answered
# in x0..x3 (D70), the guest's virtual timer in the exit record (D72) and,
# on a GICv3, its SGI register writes reaching the host (D71).
expect_guest_abi() {
	cat <<EOT
$1: vcpu0: boot registers: x0 0x4db00000 x1 0xb0071 x2 0xb0072 x3 0xb0073, x4..x30 zero: ok
$1: vcpu1: boot registers: x0 0x4db00001 x1 0xb0071 x2 0xb0072 x3 0xb0073, x4..x30 zero: ok
$1: vcpu0: HVC answered in x0..x3: 0x5ec0 0x5ec1 0x5ec2 0x5ec3, x4 kept: ok
host: $1: exit record: the guest's virtual timer ctl 0x3, cval 0x7e5700000000
host: $1: exit record: the guest's virtual timer ctl 0x7, cval 0x0
host: [PASS] the guest's armed virtual timer is in the exit record (ENABLE, IMASK)
host: [PASS] the guest's expired virtual timer is in the exit record (ISTATUS set)
host: [PASS] a secondary vCPU's exit record has its own virtual timer (never armed)
EOT
	[ "$GIC" = 3 ] || return 0
	cat <<EOT
host: $1: vcpu0: ICC_SGI1R_EL1 write 0x5000002 (KCORE_EXIT_SYSREG, ESR 0x623a3016)
host: $1: vcpu0: ICC_ASGI1R_EL1 write 0xe010004 (KCORE_EXIT_SYSREG, ESR 0x623c30b6)
host: $1: vcpu0: ICC_SGI0R_EL1 write 0x0 (KCORE_EXIT_SYSREG, ESR 0x623e33f6)
host: [PASS] the guest's ICC_SGI1R_EL1 write reaches the host with its value
host: [PASS] the guest's ICC_ASGI1R_EL1 write reaches the host with its value
host: [PASS] the guest's ICC_SGI0R_EL1 write (xzr) reaches the host with its value
host: $1: SGI 5 sent to vcpu1 as a virtual interrupt
$1: vcpu1: SGI 5 from vcpu0 taken
$1: vcpu0: SGI register writes: each went on after its MSR (1 1 1): ok
EOT
}
# The checks of expect_guest_abi per VM: 6 on a GICv3, 3 on a GICv2.
guest_abi_checks() {
	if [ "$GIC" = 3 ]; then echo $((6 * $1)); else echo $((3 * $1)); fi
}
expect_vm() {
	expect_guest_abi vm1
	echo "host: $((13 + $(guest_abi_checks 1))) passed, 0 failed"
	cat <<'EOT'
host: SMCCC over SMC: PSCI_FEATURES(SMCCC_VERSION) 0, SMCCC_VERSION 0x10001, ARCH_FEATURES(WORKAROUND_1) -1, (WORKAROUND_3) -1; over HVC: SMCCC_VERSION 0x10001
kcore: SMCCC 1.1: Spectre-v2 VULNERABLE (no firmware WORKAROUND_1); Spectre-BHB cleared by a branch loop on entry (loop 8)
vm1: vcpu0: SMCCC_VERSION -> 0x10001; ARCH_FEATURES(ARCH_FEATURES) 0, (0x80000002) -1
vm1: vcpu0: ARCH_FEATURES(WORKAROUND_1) -1, (_2) -1, (_3) -1; WORKAROUND_1 -> -1
host: [PASS] VM created, image verified, vCPUs and run pages registered
host: [PASS] an entry point outside the image is -KE_ENTRY
host: [PASS] a second run page is refused
host: VERIFY_VM -> 0
host: [PASS] mapping KCore's page into a VM is refused
vm1: vcpu1: hello from a secondary vCPU
vm1: vcpu1: done
vm1: vcpu0: hello from a guest at EL1
vm1: vcpu0: MMIO read of the doorbell -> 0x1234abcd
host: vm1: vcpu0 WFI exit
vm1: vcpu0: back from WFI
host: [PASS] host read of a VM page (not shared) refused
vm1: vcpu0: grant of 0x40101000 -> 0
host: [PASS] host reads the page the guest granted
vm1: vcpu0: revoke of 0x40101000 -> 0
host: [PASS] host read of the page after the revoke refused
host: vm1: stage-2 fault at 0x40400000: 2 MB block 0x50200000
vm1: vcpu0: 2 MB block at 0x40400000: ok
host: vm1: stage-2 fault at 0x51000000: not the guest's: refused, exception injected
vm1: vcpu0: read of 0x51000000 (not given to this VM): refused, exception injected (ESR 0x2000000)
host: [PASS] vm1: store pair at 0x9010010: no syndrome, no register (rd 0, data 0x0)
host: [PASS] vm1: load pair at 0x9010010: no syndrome, no register (rd 0, data 0x0)
vm1: vcpu0: store pair to the doorbell: no syndrome, exception injected (ESR 0x2000000)
vm1: vcpu0: load pair from the doorbell: no syndrome, exception injected, registers kept
vm1: vcpu0: read of the cycle counter: trapped by KCore, skipped
vm1: vcpu0: read of ACTLR_EL1: trapped by KCore, skipped
EOT
	cat <<EOT
host: vm1: virtual interrupt 42 pending in list register 0
vm1: vcpu0: virtual interrupt 42 taken and completed (GICv$GIC)
host: vm1: vcpu0: virtual interrupt 42 done (list register 0 free)
EOT
	cat <<'EOT'
vm1: vcpu0: FP/SIMD registers kept across exits: ok
vm1: vcpu0: powering off (PSCI SYSTEM_OFF)
host: vm1: powered off by the guest (PSCI SYSTEM_OFF)
host: [PASS] every page of the VM came back to the host, zeroed
host: [PASS] a powered-off VM does not run
host: [PASS] host FP/SIMD registers kept across VM runs
host: [PASS] host read of the VM's image page (loaded by the host) refused
kcore: host PSCI SYSTEM_OFF: powering off
EOT
}
expect_two-vms() {
	expect_guest_abi vm1
	expect_guest_abi vm2
	echo "host: $((16 + $(guest_abi_checks 2))) passed, 0 failed"
	cat <<'EOT'
host: vm1: image of
host: vm2: image of
host: [PASS] mapping another VM's page into a VM is refused
vm1: vcpu1: done
vm2: vcpu1: done
vm1: vcpu0: grant of 0x40101000 -> 0
vm2: vcpu0: grant of 0x40101000 -> 0
vm1: vcpu0: 2 MB block at 0x40400000: ok
vm2: vcpu0: 2 MB block at 0x40400000: ok
vm1: vcpu0: read of 0x51000000 (not given to this VM): refused, exception injected (ESR 0x2000000)
vm2: vcpu0: read of 0x51000000 (not given to this VM): refused, exception injected (ESR 0x2000000)
host: vm1: powered off by the guest (PSCI SYSTEM_OFF)
host: vm2: powered off by the guest (PSCI SYSTEM_OFF)
vm2: vcpu0: FP/SIMD registers kept across exits: ok
host: [PASS] host FP/SIMD registers kept across VM runs
kcore: host PSCI SYSTEM_OFF: powering off
EOT
}

# D68: 120 VMs one after another on VM id 1, each run and destroyed; then
# every id and the whole window free again. The first and the last VM print
# (the guest's checks), the others are quiet.
expect_vmid-reuse() {
	expect_guest_abi vm1
	cat <<'EOT'
host: vmid-reuse: 120 VMs one after another, each destroyed before the next
host: [PASS] DESTROY_VM of a VM that still owns pages is -KE_BUSY
host: vm1: powered off by the guest (PSCI SYSTEM_OFF)
host: [PASS] every page of the VM came back to the host, zeroed
host: vmid-reuse: 120 of 120 VMs ran on VM id 1 to their checks and were destroyed
host: [PASS] 120 VMs one after another on VM id 1, each run and destroyed
host: [PASS] the last VM's 2 MB block is the host's again, zero, readable without an abort
host: [PASS] after 120 VMs every VM id is free again: GEN_VMID hands out 1..15, then -KE_FULL
host: [PASS] the whole image remap window is free, as at boot (an image of the window less a page fits)
host: [PASS] the window range of a destroyed VM goes to the next one
host: [PASS] every VM destroyed again: GEN_VMID hands out 1, the lowest id
kcore: host PSCI SYSTEM_OFF: powering off
EOT
	echo ", 0 failed"
}

expect_smp() {
	cat <<'EOT'
kcore: cpu 1 up
kcore: cpu 2 up
kcore: cpu 3 up
host: [PASS] CPU_ON of a CPU that does not exist is INVALID_PARAMETERS
host: [PASS] CPU_ON of the calling CPU is ALREADY_ON
host: [PASS] CPU_ON of each CPU that is off
host: [PASS] a second CPU_ON of a started CPU is ALREADY_ON or ON_PENDING
host: [PASS] CPUs 1..3 entered the host at EL1 at its entry point with their context in x0
host: [PASS] every hypercall, fault and read on every CPU did what it should
host: [PASS] each contested page went to exactly one VM; the other CPUs were refused
host: [PASS] after the race, every CPU's read of every page given away aborts
host: [PASS] after power-off and clear, every page is back, zeroed, on every CPU
host: 9 passed, 0 failed
kcore: host PSCI SYSTEM_OFF: powering off
EOT
}

# A scenario's time limit: TIMEOUT, twice that for the 4-CPU one (its
# busy-waiting CPUs share this machine's cores with QEMU's own threads).
timeout_of() {
	case "$1" in
	smp | vmid-reuse) echo $((TIMEOUT * 2)) ;;
	*) echo "$TIMEOUT" ;;
	esac
}

# CPUs per scenario: 2 (make run's default), 4 for the SMP one.
cpus_of() {
	case "$1" in
	smp) echo 4 ;;
	*) echo 2 ;;
	esac
}

# ---- images (signed VM images, issue 4) ----------------------------------------
# Each bad image is refused, its VM never runs, its pages come back zeroed;
# then a VM from the good image runs to its end.
expect_images() {
	for what in "one bit of the magic" "one bit of the payload size" \
		"one bit of the load address" "one bit of the key id" "one bit of a reserved byte" \
		"one bit of the body (first instruction)" "one bit of the body (last payload byte)" \
		"one bit of the signature (R)" "one bit of the signature (S)" \
		"signed with a key KCore does not know" "truncated by one byte" \
		"larger than its boot info (last page left out)" \
		"at a load address it was not signed for"; do
		echo "host: bad image: $what"
	done
	expect_guest_abi vm14
	echo "host: $((74 + $(guest_abi_checks 1))) passed, 0 failed"
	cat <<'EOT'
host: [PASS] bad image: VERIFY_VM is -KE_AUTH
host: [PASS] bad image: the VM does not run
host: [PASS] bad image: every page back to the host, zeroed
host: [PASS] KCore still answers
host: [PASS] VM created, image verified, vCPUs and run pages registered
vm14: vcpu0: powering off (PSCI SYSTEM_OFF)
kcore: host PSCI SYSTEM_OFF: powering off
EOT
}
# ---- end images ------------------------------------------------------------------

# ---- export (encrypted export and import, issue 4) --------------------------------
# vCPU and page blobs: tampered and replayed ones refused, genuine ones
# imported; the guest then reads the imported page's words exactly.
expect_export() {
	expect_guest_abi vm3
	echo "host: $((28 + $(guest_abi_checks 1))) passed, 0 failed"
	cat <<'EOT'
host: [PASS] vCPU exported
host: [PASS] vCPU blob with one bit flipped refused
host: [PASS] vCPU blob replayed into another vCPU refused
host: [PASS] vCPU blob replayed into another VM refused
host: [PASS] vCPU blob imported
host: [PASS] a second export uses a new nonce
host: [PASS] page exported
host: [PASS] the host sees ciphertext and the header
host: LOAD_DECRYPT_BUF, one ciphertext bit flipped -> -9
host: LOAD_DECRYPT_BUF, header: another gfn (slot) -> -9
host: LOAD_DECRYPT_BUF, header: one nonce bit flipped -> -9
host: LOAD_DECRYPT_BUF, header: one tag bit flipped -> -9
host: [PASS] page blob replayed into another VM refused
host: [PASS] page blob imported
host: [PASS] the imported page is the VM's: the host's read is refused
vm3: vcpu0: words at 0x40180000: 0x5e570e3d00000001 0x5e570e3dffffffff
host: [PASS] every page of the VM came back to the host, zeroed
kcore: host PSCI SYSTEM_OFF: powering off
EOT
}
# ---- end export ------------------------------------------------------------------

# ---- SMMU (issue 5): per-scenario QEMU options ---------------------------------
# machine_opts: appended to -M; extra_args: more QEMU arguments; kernel_of:
# the EL2 image. Every scenario but `nosmmu` runs with the SMMUv3 (iommu=smmuv3), as `make run` does; `dma` adds
# QEMU's edu PCI device (its DMA mask widened to 40 bits, so that host
# contexts, whose iova is the physical address, can be used too); `nosmmu`
# boots the image built without the driver (make SMMU=0) on a machine
# without an SMMU.
expect_dma() {
	cat <<'EOT'
kcore: SMMUv3 at 0x9050000: 256 streams abort until attached
host: [PASS] edu found on bus 0
host: [PASS] DMA from a host page mapped for the device reaches edu's buffer
host: [PASS] DMA into a host page mapped for the device arrives
host: [PASS] a device that is not attached cannot DMA (data unchanged)
host: [PASS] mapping KCore's page for the device is refused
host: [PASS] DMA to KCore's page is blocked (KCore's memory unchanged)
host: [PASS] the fault at KCore's page is reported (F_TRANSLATION)
host: [PASS] a DMA write to KCore's page is blocked and reported; KCore still answers
host: [PASS] DMA to an unmapped iova is blocked and reported
host: [PASS] mapping another VM's page into the host's context is refused
host: [PASS] DMA to another VM's page is blocked and reported
host: [PASS] after SMMU_CLEAR, DMA to that iova fails and is reported
host: [PASS] the device attached to the VM reads the VM's page at its gfn
host: [PASS] the device attached to the VM writes the VM's page at its gfn
host: [PASS] the device attached to the VM cannot reach the page at its physical address
host: [PASS] the device attached to the VM cannot reach the other VM's page
host: [PASS] attaching a device to a verified VM is refused
host: [PASS] a verified VM's device cannot be moved to the host or detached
host: [PASS] freeing the VM's context detaches its device
host: 19 passed, 0 failed
kcore: host PSCI SYSTEM_OFF: powering off
EOT
}
expect_nosmmu() {
	cat <<'EOT'
kcore: built without the SMMU driver (SMMU=0): SMMU calls refused
host: [PASS] no SMMU: SMMU_ALLOC is -KE_NOTSUPP
host: [PASS] no SMMU: every SMMU call is -KE_NOTSUPP
kcore: DMA isolation: none (no SMMU under KCore's control): VERIFY_VM refused (-KE_NOTSUPP); KCORE_INSECURE_DMA=1 opts in to unprotected VMs
host: [PASS] no SMMU: KCore still answers
host: [PASS] no SMMU: VERIFY_VM is refused (-KE_NOTSUPP): no VM boots unprotected
host: [PASS] no SMMU: the VM never runs
host: 5 passed, 0 failed
kcore: host PSCI SYSTEM_OFF: powering off
EOT
}
# D44: the host's MMIO is default-deny (tests/qemu/host/devices.c).
expect_devices() {
	cat <<'EOT'
kcore: MMIO withheld: fw-cfg@9020000 [0x9020000, +0x18): a DMA master not behind an SMMU KCore controls
kcore: MMIO withheld: virtio_mmio@a000000 [0xa000000, +0x200): a DMA master not behind an SMMU KCore controls
kcore: MMIO withheld: smmuv3@9050000 [0x9050000, +0x20000): KCore's own (the SMMU)
kcore: MMIO host: pcie@10000000 [0x4010000000, +0x10000000): PCIe config space behind KCore's SMMU
kcore: MMIO host: pl011@9000000 [0x9000000, +0x1000): UART (plain; KCore's console too)
host: [PASS] fw_cfg's DMA register: write refused
host: [PASS] fw_cfg: read refused
host: [PASS] virtio-mmio transport 0: write refused
host: [PASS] virtio-mmio transport 31: read refused
host: [PASS] an address no DTB node describes: read refused
host: [PASS] KCore's SMMU: write refused
host: [PASS] the RTC reads the time and the GPIO takes a write: plain devices are the host's
host: [PASS] KCore still answers
host: [PASS] fw_cfg is still refused
kcore: host PSCI SYSTEM_OFF: powering off
EOT
	if [ "$GIC" = 3 ]; then
		cat <<'EOT'
kcore: MMIO mediated: its@8080000 [0x8080000, +0x20000): the ITS's control frame KCore's, GITS_TRANSLATER the host's
kcore: MMIO mediated: intc@8000000 redistributors [0x80a0000, +0x40000): LPI-table pages KCore's, the rest the host's
host: [PASS] the redistributor's SGI frame and GITS_TRANSLATER are the host's
host: [PASS] mediated: GICR_TYPER (into x21: CPU 1's) and GICR_PIDR2 (GICv3) read
host: [PASS] mediated: GITS_TYPER read, GITS_CTLR written
host: [PASS] mediated: a reserved ITS register: write refused
host: [PASS] mediated: a write to the ID page refused
host: [PASS] mediated: a load pair (no syndrome) refused
host: [PASS] LPIs: a READY VM to try pinned pages on
host: [PASS] LPIs: GICR_PROPBASER in KCore's memory: write refused
host: [PASS] LPIs: GICR_PROPBASER of 17 ID bits (more than KCore pins): write refused
host: [PASS] LPIs: GICR_PENDBASER in KCore's memory: write refused
host: [PASS] LPIs: EnableLPIs before both tables are set: refused, LPIs stay off
host: [PASS] LPIs: the property and pending tables in host RAM are taken
host: [PASS] LPIs: their pages are pinned (-KE_BUSY), exactly their extent
host: [PASS] LPIs: EnableLPIs once both tables are pinned
host: [PASS] LPIs: GICR_PROPBASER while LPIs are on: write refused
host: [PASS] ITS: GITS_CBASER in KCore's memory: write refused
host: [PASS] ITS: a command queue over 64 KB: write refused
host: [PASS] ITS: tables and a command queue in host RAM taken, the ITS enabled (CBASER reads back the host's)
host: [PASS] ITS: GITS_BASER while the ITS is on: write refused
host: [PASS] ITS: MAPD (ITT in host RAM), MAPC, MAPTI, INVALL, SYNC taken and run
host: [PASS] ITS: the device's ITT is pinned (-KE_BUSY)
host: [PASS] ITS: EventID 0 written to GITS_TRANSLATER: LPI 8192 delivered to CPU 0
host: [PASS] ITS: the tables the host named are untouched (the ITS uses KCore's)
host: [PASS] ITS: MAPD with an ITT in KCore's memory: CWRITER refused, nothing run
host: [PASS] ITS: a batch with a GICv4 command (VMAPP): refused whole, nothing run
host: [PASS] ITS: MAPD of a DeviceID beyond the device table: refused
host: [PASS] ITS: MAPD V=0 run: the ITT is no longer pinned
host: [PASS] ITS: the unmapped device's event is not delivered
kcore: GIC: refused: ITS MAPD: the ITT is not the host's RAM (0x40200000, 0x4)
kcore: GIC: refused: ITS: a command KCore does not pass (GICv4, or unknown) (0x29, 0x0)
host: 37 passed, 0 failed
EOT
	else
		cat <<'EOT'
kcore: MMIO withheld: intc@8000000 [0x8030000, +0x10000): GICH, the virtual interface control: KCore's
host: [PASS] GICH (list registers): write refused
host: [PASS] GICH: read refused
host: 11 passed, 0 failed
EOT
	fi
}
# D45: the `vm` host on the build without an SMMU but with the named opt-in
# KCORE_INSECURE_DMA=1: the VM boots, and the banner says it is unprotected.
expect_insecure-dma() {
	echo "kcore: WARNING: INSECURE DMA (built with KCORE_INSECURE_DMA=1): no SMMU isolates device DMA; VMs boot UNPROTECTED from it"
	echo "kcore: INSECURE DMA: fw-cfg@9020000 is a DMA master KCore does not isolate"
	expect_vm
}
# Residue across a host-triggered reset (issue 11 item 3, tests/qemu/host/reset.c):
# two boots in one QEMU (run without -no-reboot): the VM's pages, scrubbed
# before the reset, and host RAM outside the boot payload, zeroed at boot,
# are zero on the second boot.
expect_reset() {
	cat <<'EOT'
kcore: boot payload kept: [0x48000000, 0x4c800000)
kcore: host RAM zeroed:
kcore: PSCI MEM_PROTECT: not offered by the firmware
host: reset: first boot: a VM's secrets, then PSCI SYSTEM_RESET
host: [PASS] first boot: the RTC marked, host pages outside the payload written
vm1: vcpu0: grant of 0x40101000 -> 0
vm1: vcpu0: 2 MB block at 0x40400000: ok
host: vm1: powered off by the guest (PSCI SYSTEM_OFF)
host: [PASS] the powered-off VM's pages are still its own (not cleared)
kcore: cpu 1 up
host: [PASS] cpu 1 keeps running a VM of its own (the spin guest) into the reset
kcore: reset scrub: 520 VM pages
kcore: host PSCI SYSTEM_RESET: resetting
host: reset: second boot (the RTC still carries the mark)
host: former VM pages [0x4c000000, 0x4c400000): 0 words not zero
host: [PASS] the former VM's pages are zero after the reset (scrubbed before it)
host: [PASS] the page of the VM cpu 1 was running at the reset is zero
host: [PASS] host pages written before the reset are zero (boot zeroing)
host: [PASS] every sampled word of host RAM outside the payload is zero
host: 5 passed, 0 failed
kcore: host PSCI SYSTEM_OFF: powering off
EOT
}
# -no-reboot (a reset ends QEMU) for every scenario but `reset`, whose reset
# is the test.
reboot_opts() {
	case $1 in reset) ;; *) echo "-no-reboot" ;; esac
}
machine_opts() {
	case $1 in nosmmu | insecure-dma) ;; *) echo ",iommu=smmuv3" ;; esac
}
host_of() {
	case $1 in
	insecure-dma) echo build/qemu/host-vm.elf ;;
	pmu-max) echo build/qemu/host-pmu.elf ;;
	*) echo "build/qemu/host-$1.elf" ;;
	esac
}
cpu_of() { # pmu-max: a PMUv3p5 (MDCR_EL2.HPMD/HCCD), the others the Pi 4's Cortex-A72
	case $1 in pmu-max) echo "max,pauth-impdef=on" ;; *) echo cortex-a72 ;; esac
}
extra_args() {
	case $1 in
	dma) echo "-device edu,dma_mask=0xffffffffff" ;;
	pmu | pmu-max) echo "-accel tcg,thread=single -icount shift=0" ;; # QEMU counts instructions only so
	esac
}
kernel_of() {
	case $1 in
	nosmmu) echo build/nosmmu/el2/kcore.elf ;;
	insecure-dma) echo build/nosmmu/insecure-dma/el2/kcore.elf ;;
	*) echo build/el2/kcore.elf ;;
	esac
}
# ---- end SMMU --------------------------------------------------------------------

scenarios=("$@")
[ ${#scenarios[@]} -gt 0 ] || scenarios=(hello forbidden vm two-vms smp images export dma nosmmu insecure-dma devices pmu pmu-max reset vmid-reuse)
pass=0 fail=0
for s in "${scenarios[@]}"; do
	out="$log/qemu-$s$([ "$GIC" = 3 ] || echo "-gicv$GIC").log"
	img=$(host_of "$s")
	kernel=$(kernel_of "$s")
	if [ ! -f "$kernel" ] || [ ! -f "$img" ]; then
		echo "FAIL qemu $s (missing $kernel or $img: make qemu-images)"
		fail=$((fail + 1))
		continue
	fi
	t0=$(date +%s%N)
	# shellcheck disable=SC2046 # extra_args is a word list on purpose
	timeout "$(timeout_of "$s")" "$QEMU" -M virt,virtualization=on,gic-version="$GIC$(machine_opts "$s")" \
		-cpu "$(cpu_of "$s")" -smp "$(cpus_of "$s")" -m 1G -nographic $(reboot_opts "$s") -monitor none \
		-serial stdio -display none -kernel "$kernel" -device loader,file="$img" $(extra_args "$s") \
		</dev/null >"$out" 2>&1
	rc=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
	why=""
	[ $rc -eq 0 ] || why="qemu exit $rc$([ $rc -eq 124 ] && echo ' (timeout)')"
	grep -q 'KCORE HALT' "$out" && why="$why; KCORE HALT"
	grep -qF '[FAIL]' "$out" && why="$why; a [FAIL] line"
	# A scenario without its expected lines would pass on anything: refuse it.
	declare -F "expect_$s" >/dev/null || why="$why; no expect_$s in tests/qemu/run.sh"
	while IFS= read -r line; do
		grep -qF -- "$line" "$out" || why="$why; missing: $line"
	done < <(declare -F "expect_$s" >/dev/null && "expect_$s")
	if [ -z "$why" ]; then
		printf 'PASS qemu %s%s (%d.%03d s)\n' "$s" "$([ "$GIC" = 3 ] || echo " (GICv$GIC)")" \
			$((ms / 1000)) $((ms % 1000))
		pass=$((pass + 1))
	else
		echo "FAIL qemu $s (GICv$GIC): ${why#; } (console: $out)"
		tail -n 15 "$out" | sed 's/^/  | /'
		fail=$((fail + 1))
	fi
done
echo "qemu: $pass passed, $fail failed"
[ $fail -eq 0 ]
