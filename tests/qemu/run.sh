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
host: [PASS] read of KCore's reserved MMIO (SMMU) refused
host: [PASS] read of the VM's page refused
host: [PASS] write to the VM's page refused
host: [PASS] REGISTER_KVM(99) is -KE_RANGE
host: [PASS] SMMU_ALLOC(99, ...) is -KE_RANGE
host: [PASS] KCore still answers
host: [PASS] the VM's page is still refused
host: [PASS] 9 aborts taken in all
host: 20 passed, 0 failed
kcore: host PSCI SYSTEM_OFF: powering off
EOT
}
expect_vm() {
	cat <<'EOT'
host: [PASS] VM created, image verified, vCPUs and run pages registered
host: [PASS] an entry point outside the image is -KE_ENTRY
host: [PASS] a second run page is refused
host: vm1: stage-2 fault at 0x40080000: 4 KB page 0x50000000
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
vm1: vcpu0: FP/SIMD registers kept across exits: ok
vm1: vcpu0: powering off (PSCI SYSTEM_OFF)
host: vm1: powered off by the guest (PSCI SYSTEM_OFF)
host: vm1: 516 pages given, 516 cleared by CLEAR_VM_PAGE, 0 not zero
host: [PASS] every page of the VM came back to the host, zeroed
host: [PASS] a powered-off VM does not run
host: [PASS] host FP/SIMD registers kept across VM runs
host: [PASS] host read of the VM's image page (loaded by the host) refused
host: 12 passed, 0 failed
kcore: host PSCI SYSTEM_OFF: powering off
EOT
}
expect_two-vms() {
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
host: vm1: powered off by the guest (PSCI SYSTEM_OFF)
host: vm2: powered off by the guest (PSCI SYSTEM_OFF)
host: vm1: 516 pages given, 516 cleared by CLEAR_VM_PAGE, 0 not zero
host: vm2: 516 pages given, 516 cleared by CLEAR_VM_PAGE, 0 not zero
vm2: vcpu0: FP/SIMD registers kept across exits: ok
host: [PASS] host FP/SIMD registers kept across VM runs
host: 16 passed, 0 failed
kcore: host PSCI SYSTEM_OFF: powering off
EOT
}

# ---- SMMU (issue 5): per-scenario QEMU options ---------------------------------
# machine_opts: appended to -M; extra_args: more QEMU arguments; kernel_of:
# the EL2 image. The SMMU calls need the SMMUv3 (iommu=smmuv3); `dma` adds
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
host: [PASS] no SMMU: KCore still answers
host: 3 passed, 0 failed
kcore: host PSCI SYSTEM_OFF: powering off
EOT
}
machine_opts() {
	case $1 in hello | forbidden | dma) echo ",iommu=smmuv3" ;; esac
}
extra_args() {
	case $1 in dma) echo "-device edu,dma_mask=0xffffffffff" ;; esac
}
kernel_of() {
	case $1 in nosmmu) echo build/nosmmu/el2/kcore.elf ;; *) echo build/el2/kcore.elf ;; esac
}
# ---- end SMMU --------------------------------------------------------------------

scenarios=("$@")
[ ${#scenarios[@]} -gt 0 ] || scenarios=(hello forbidden vm two-vms dma nosmmu)
pass=0 fail=0
for s in "${scenarios[@]}"; do
	out="$log/qemu-$s.log"
	img=build/qemu/host-$s.elf
	kernel=$(kernel_of "$s")
	if [ ! -f "$kernel" ] || [ ! -f "$img" ]; then
		echo "FAIL qemu $s (missing $kernel or $img: make qemu-images)"
		fail=$((fail + 1))
		continue
	fi
	t0=$(date +%s%N)
	# shellcheck disable=SC2046 # extra_args is a word list on purpose
	timeout "$TIMEOUT" "$QEMU" -M virt,virtualization=on,gic-version="$GIC$(machine_opts "$s")" \
		-cpu cortex-a72 -smp 2 -m 1G -nographic -no-reboot -monitor none -serial stdio \
		-display none -kernel "$kernel" -device loader,file="$img" $(extra_args "$s") \
		</dev/null >"$out" 2>&1
	rc=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
	why=""
	[ $rc -eq 0 ] || why="qemu exit $rc$([ $rc -eq 124 ] && echo ' (timeout)')"
	grep -q 'KCORE HALT' "$out" && why="$why; KCORE HALT"
	grep -qF '[FAIL]' "$out" && why="$why; a [FAIL] line"
	while IFS= read -r line; do
		grep -qF -- "$line" "$out" || why="$why; missing: $line"
	done < <("expect_$s")
	if [ -z "$why" ]; then
		printf 'PASS qemu %s (%d.%03d s)\n' "$s" $((ms / 1000)) $((ms % 1000))
		pass=$((pass + 1))
	else
		echo "FAIL qemu $s: ${why#; } (console: $out)"
		tail -n 15 "$out" | sed 's/^/  | /'
		fail=$((fail + 1))
	fi
done
echo "qemu: $pass passed, $fail failed"
[ $fail -eq 0 ]
