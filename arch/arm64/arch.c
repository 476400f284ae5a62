/* The arch boundary (include/kcore/arch.h) at EL2 on arm64, the standalone
 * home's part: its memory map, its SMMU policy, CPU numbering and halt.
 * The operations every home shares are in cpu_ops.c. */
#include "kcore/arch.h"
#include "kcore/errno.h"
#include "kcore/lock.h"
#include "kcore/smmu_hw.h"
#include "kcore/state.h"

#include "el2.h"
#include "home.h"
#include "sysreg.h"

/* KCore's EL2 table maps all RAM at its physical address. */
void *arch_phys_to_virt(phys_addr_t pa)
{
	return (void *)(uintptr_t)pa;
}

/* The remap window is mapped in KCore's EL2 table (COREVISOR's npt) at the
 * window address itself. */
const void *arch_remap_window(u64 va, u64 len)
{
	(void)len;
	return (const void *)(uintptr_t)va;
}

/* D68: nothing to do standalone: EL2 runs on COREVISOR's table itself,
 * whose window entries the core removed and invalidated (TLBI VAE2IS per
 * page) before calling this. */
void arch_remap_window_released(u64 va, u64 pages)
{
	(void)va;
	(void)pages;
}



/* SMMU_POLL_EVENT (several result registers, so not through the core's
 * kcore_host_call): one recorded device fault, under the SMMU lock. */
void el2_smmu_poll_event(u64 *x)
{
	struct smmu_hw_event ev;
	int got;

	if (!smmu_hw_available()) {
		x[0] = (u64)-KE_NOTSUPP;
		return;
	}
	lock_acquire(SMMU_ID);
	got = smmu_hw_poll_event(&ev);
	lock_release(SMMU_ID);
	x[0] = (u64)got;
	x[1] = got ? ev.stream : 0;
	x[2] = got ? ev.iova : 0;
	x[3] = got ? ev.type : 0;
	x[4] = got ? (ev.index | (u64)ev.read << 32) : 0;
}


/* KCore's CPUs are indices 0 .. KCORE_MAX_CPUS-1 (mpidr_cpu_index). */
u32 arch_cpu_id(void)
{
	u64 mpidr = read_sysreg(mpidr_el1);
	u64 id = mpidr_cpu_index(mpidr);

	if (id >= KCORE_MAX_CPUS) { /* not arch_halt: it prints this CPU's id */
		console_printf_nolock("KCORE HALT: CPU MPIDR 0x%lx beyond KCORE_MAX_CPUS\n", mpidr);
		psci_system_off();
	}
	return (u32)id;
}


void arch_halt(const char *why, u64 a, u64 b)
{
	console_printf_nolock("KCORE HALT: %s (0x%lx, 0x%lx) on cpu %u\n", why, a, b, arch_cpu_id());
	psci_system_off();
}
