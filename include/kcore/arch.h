/* The arch boundary: everything kcore/ and smmu/ need from the machine.
 *
 * At EL2 these are implemented in arch/arm64/ (system registers, TLBI, DC).
 * In host tests, tests/fake/arch_fake.c implements them over a block of host
 * memory standing for RAM, and records every TLB and cache maintenance call
 * so that the tests can check that none is missing. */
#ifndef KCORE_ARCH_H
#define KCORE_ARCH_H

#include "kcore/types.h"

/* KCore's view of physical memory (the EL2 linear map). */
void *arch_phys_to_virt(phys_addr_t pa);

/* A pointer through which KCore reads `len` bytes of its image remap window
 * from window address `va` (KCORE_REMAP_START..KCORE_REMAP_END), as mapped
 * in COREVISOR's table. At EL2 the window is mapped in KCore's own EL2
 * table, so this is `va` itself; the host tests map the same frames
 * contiguously. */
const void *arch_remap_window(u64 va, u64 len);

/* Invalidate the stage-2 TLB entries of principal `vmid` (HOSTVISOR or a VM)
 * for one IPA page, or for the whole VMID. Completed (DSB) on return. */
void arch_tlbi_s2_ipa(vmid_t vmid, ipa_t ipa);
void arch_tlbi_s2_vmid(vmid_t vmid);
/* Invalidate KCore's own EL2 stage-1 entry for one VA. */
void arch_tlbi_el2_va(u64 va);
/* D68: VM vmid was destroyed (DESTROY_VM, its stage-2 table emptied and
 * its VMID invalidated by the core): forget the arch's per-vCPU state of
 * that id (run pages, the virtual timer, the vGIC's saved interface) so
 * that a VM reusing the id starts clean. Called under the core's locks,
 * with no vCPU of the VM running. */
void arch_vm_destroyed(vmid_t vmid);
/* D68: the image remap window range [va, va + pages * 4 KB) was released
 * (DESTROY_VM): COREVISOR's table no longer maps it (each page's EL2 entry
 * invalidated), and SET_BOOT_INFO may hand it to another VM. A home that
 * mirrors the window elsewhere (Linux) must drop its mirror of those
 * pages. */
void arch_remap_window_released(u64 va, u64 pages);
/* D45, platform policy: whether VMs may boot. True where device DMA is
 * isolated by an SMMU under KCore's control, or where KCore was built with
 * the explicit opt-in KCORE_INSECURE_DMA=1 (VMs then run unprotected from
 * device DMA, and the boot banner says so). Otherwise VERIFY_VM is refused
 * with -KE_NOTSUPP. */
bool arch_dma_policy_allows_vms(void);
/* Clean a page to the point of coherency (after scrubbing it). */
void arch_dcache_clean_page(phys_addr_t pa);
/* Clean and invalidate [pa, pa + size) to the point of coherency, completed
 * on return: a page that changes owner then holds in memory what KCore's
 * cacheable view of it holds, and no stale line of it is left in any data
 * cache (a host that wrote one value through a cacheable alias and another
 * through a non-cacheable one cannot make KCore check one and a guest with
 * its MMU off read the other; D50). `pa` and `size` page-aligned. */
void arch_dcache_clean_inval_poc(phys_addr_t pa, u64 size);
/* Invalidate every instruction cache of the inner-shareable domain to the
 * point of unification, completed (and the pipeline synchronised) on
 * return: no CPU then fetches a stale line of a page just given to a VM
 * (D50). */
void arch_icache_inval_all(void);

/* The value of ACTLR_EL1 a new vCPU starts with (read from the hardware). */
u64 arch_actlr_el1(void);

/* This CPU's index (0 .. KCORE_MAX_CPUS-1). */
u32 arch_cpu_id(void);
void arch_cpu_relax(void);

/* Stop every CPU with a diagnostic. Only for broken internal invariants:
 * never for bad input from the host, a guest or a device. */
__attribute__((noreturn)) void arch_halt(const char *why, u64 a, u64 b);

#endif
