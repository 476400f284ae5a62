/* System register access and the EL2 register values KCore programs. */
#ifndef KCORE_ARM64_SYSREG_H
#define KCORE_ARM64_SYSREG_H

#include "kcore/types.h"

/* Two levels, so that a register given by a macro (SYS_*) is expanded. */
#define read_sysreg(r) read_sysreg_(r)
#define read_sysreg_(r)                                             \
	({                                                          \
		u64 __v;                                            \
		__asm__ volatile("mrs %0, " #r : "=r"(__v));        \
		__v;                                                \
	})
#define write_sysreg(v, r) write_sysreg_(v, r)
#define write_sysreg_(v, r) __asm__ volatile("msr " #r ", %0" : : "r"((u64)(v)) : "memory")
#define isb() __asm__ volatile("isb" : : : "memory")
#define dsb(opt) __asm__ volatile("dsb " #opt : : : "memory")
/* FEAT_SPE: the profiling unit's samples in flight written out (a NOP
 * without SPE; spelt as its hint for assemblers that do not know SPE). */
#define psb_csync() __asm__ volatile("hint #17" : : : "memory")

/* Encodings the assembler may not know by name. */
#define SYS_ICC_SRE_EL2 S3_4_C12_C9_5
#define SYS_TRFCR_EL1 S3_0_C1_C2_1 /* FEAT_TRF */
#define SYS_TRFCR_EL2 S3_4_C1_C2_1
#define SYS_PMSCR_EL1 S3_0_C9_C9_0 /* FEAT_SPE: the sampling controls */
#define SYS_PMSCR_EL2 S3_4_C9_C9_0

/* SCTLR_EL2 (nVHE). */
#define SCTLR_EL2_RES1 0x30C50830UL
#define SCTLR_M (1UL << 0)
#define SCTLR_C (1UL << 2)
#define SCTLR_SA (1UL << 3)
#define SCTLR_I (1UL << 12)
#define SCTLR_WXN (1UL << 19)

/* MAIR_EL2: index 0 normal write-back, index 1 Device-nGnRE. */
#define MAIR_EL2_VALUE 0x04FFUL
/* The PA size field (PS) of TCR_EL2 and VTCR_EL2 is the CPU's own
 * (ID_AA64MMFR0_EL1.PARange, bits 3:0). A stage-2 walk that starts at
 * level 0 with the 4 KB granule needs a PA size above 42 bits (44 or more):
 * the boot checks it (PARANGE_MIN). */
#define PARANGE_MIN 4UL /* 44 bits */
#define TCR_PS_SHIFT 16
/* TCR_EL2: 48-bit VA (T0SZ 16, walk from level 0, as KCore's four-level
 * table), 4 KB granule, inner-shareable write-back walks; | PS. */
#define TCR_EL2_VALUE ((16UL << 0) | (1UL << 8) | (1UL << 10) | (3UL << 12) | (1UL << 23) | \
		       (1UL << 31))
/* VTCR_EL2: 40-bit IPA (T0SZ 24), start at level 0 (SL0 2), 4 KB granule,
 * inner-shareable write-back walks, 8-bit VMID; | PS. */
#define VTCR_EL2_VALUE ((24UL << 0) | (2UL << 6) | (1UL << 8) | (1UL << 10) | (3UL << 12) | \
			(1UL << 31))
#define VTTBR_VMID_SHIFT 48

static inline u64 cpu_parange(void)
{
	return read_sysreg(id_aa64mmfr0_el1) & 0xF;
}

/* QEMU virt numbers CPUs Aff1.Aff0 with up to 8 (GICv2) or 16 (GICv3) per
 * cluster: a CPU's index is Aff0 + 16 * Aff1 (arch_cpu_id, and the targets
 * of the host's CPU_ON, arch/arm64/smp.c). */
static inline u64 mpidr_cpu_index(u64 mpidr)
{
	return (mpidr & 0xFF) + ((mpidr >> 8) & 0xFF) * 16;
}

/* Whether the GIC's CPU interface has system registers (a GICv3; QEMU
 * reports 0 with gic-version=2, as a GICv2 such as the Pi 4's does). */
static inline bool cpu_has_gicv3_sysregs(void)
{
	return ((read_sysreg(id_aa64pfr0_el1) >> 24) & 0xF) != 0;
}

/* HCR_EL2 for the host: stage 2 on (VM), EL1 is AArch64 (RW), SMCs trap
 * (TSC) so that PSCI goes through KCore, set/way cache ops upgraded (SWIO).
 * The host owns the interrupt controller: IMO/FMO/AMO stay clear, so its
 * physical IRQ/FIQ/SError are taken at EL1 (as Linux KVM nVHE runs its
 * host); the world switch sets them while a VM runs. */
#define HCR_VM (1UL << 0)
#define HCR_SWIO (1UL << 1)
#define HCR_TSC (1UL << 19)
#define HCR_RW (1UL << 31)
#define HCR_HOST (HCR_VM | HCR_SWIO | HCR_TSC | HCR_RW)
/* HCR_EL2 while a guest runs: as the host, plus physical IRQ/FIQ/SError
 * routed to EL2 (FMO, IMO, AMO: they become exits), WFI trapped (TWI).
 * IMO and FMO also make the guest's GIC CPU interface virtual (its ICC_*
 * accesses reach the ICV_* registers, Group 1 with IMO, Group 0 with FMO)
 * and, on a GICv3, make its SGI register writes trap: the Arm ARM's
 * accessibility rules for ICC_SGI1R_EL1, ICC_ASGI1R_EL1 and ICC_SGI0R_EL1
 * say that an MSR at EL1 (with ICC_SRE_EL1.SRE = 1, else it traps to EL1)
 * is trapped to EL2 with EC 0x18 when EL2 is enabled and HCR_EL2.IMO or
 * HCR_EL2.FMO is 1 (or ICH_HCR_EL2.TC is 1, which KCore leaves clear): there
 * is no ICV_ SGI register, an SGI to a virtual CPU is the hypervisor's to
 * send. KCore hands those writes to the host (D71, kcore/exit.c); every
 * other trapped register is skipped (D4). A guest never sees these
 * registers as readable: an MRS of them is UNDEFINED at EL1, not trapped. */
#define HCR_FMO (1UL << 3)
#define HCR_IMO (1UL << 4)
#define HCR_AMO (1UL << 5)
#define HCR_TWI (1UL << 13)
#define HCR_GUEST (HCR_HOST | HCR_FMO | HCR_IMO | HCR_AMO | HCR_TWI | HCR_TACR)
/* Also while a guest runs (D35): its ACTLR_EL1 accesses trap (TACR; the
 * register is the CPU's implementation-defined control, not switched), and,
 * where the CPU has them (hcr_guest, arch/arm64/traps.c), its LORegion
 * (TLOR, FEAT_LOR) and RAS error-record (TERR, FEAT_RAS) accesses: all are
 * skipped (D4), so a guest neither reads nor changes the CPU's. */
#define HCR_TACR (1UL << 21)
#define HCR_TLOR (1UL << 35)
#define HCR_TERR (1UL << 36)
_Static_assert((HCR_GUEST & (HCR_IMO | HCR_FMO)) == (HCR_IMO | HCR_FMO),
	       "D71: a guest's SGI register writes must trap");
#define CNTHCTL_EL1PCTEN 1UL /* guest: physical counter readable, physical timer trapped */

#define CPTR_EL2_DEFAULT 0x33FFUL /* RES1 bits; FP/SIMD not trapped */
/* The spec's activate_traps (D35 gives the values the spec leaves open):
 * while a VM runs, its accesses to the PMU (TPM, TPMCR), the debug
 * registers (TDA, TDOSA, TDRA) and the trace registers (CPTR TTA) trap to
 * EL2, where KCore skips them (D4): a guest can neither read the host's
 * counters nor program a debug event. HPMN keeps its host value. */
#define MDCR_HPMN_MASK 0x1FUL
#define MDCR_TPMCR (1UL << 5)
#define MDCR_TPM (1UL << 6)
#define MDCR_TDA (1UL << 9)
#define MDCR_TDOSA (1UL << 10)
#define MDCR_TDRA (1UL << 11)
/* TTRF (FEAT_TRF) traps a guest's TRFCR_EL1 (D58). The PMU's bits:
 * arch/arm64/pmu.c. */
#define MDCR_TTRF (1UL << 19)
/* FEAT_SPE (D58): the profiling buffer EL1's (E2PB = 0b11) while the host
 * runs; while a guest runs, EL2's (0b00: the guest's buffer-register
 * accesses trap) and the guest's sampling-control accesses trap (TPMS). */
#define MDCR_E2PB_EL1 (3UL << 12)
#define MDCR_TPMS (1UL << 14)
#ifndef KCORE_BENCH_PMU
#define MDCR_EL2_VM_TRAPS (MDCR_TPM | MDCR_TPMCR | MDCR_TDA | MDCR_TDOSA | MDCR_TDRA)
#else /* make bench's image only: its guest reads KCore's instruction counter */
#define MDCR_EL2_VM_TRAPS (MDCR_TDA | MDCR_TDOSA | MDCR_TDRA)
#endif
#define CPTR_EL2_TTA (1UL << 20)
#define CPTR_EL2_TAM (1UL << 30) /* activity monitors (FEAT_AMUv1): only where present */
#define CPTR_VM (CPTR_EL2_DEFAULT | CPTR_EL2_TTA)
#define PMU_USERENR_MASK 0xFUL /* EN, SW, CR, ER */
#define CPTR_EL2_TFP (1UL << 10)  /* trap FP/SIMD (a guest's first use: lazy switch) */
#define ESR_ELx_EC_FP_ASIMD 0x07UL
#define CNTHCTL_EL1PCTEN_EL1PCEN 3UL
#define SCTLR_EL1_HOST 0x30D00800UL /* RES1 bits, MMU and caches off */

/* ESR_ELx. */
#define ESR_EC(esr) (((esr) >> 26) & 0x3F)
#define EC_IABT_CUR 0x21U
#define EC_DABT_CUR 0x25U
#define FSC_MASK 0x3FUL
#define FSC_TRANS_MASK 0x3CUL /* translation fault, level 0..3 */
#define FSC_TRANS 0x04UL
#define FSC_EXTABT 0x10UL /* synchronous external abort */

/* EL2 stage-1 descriptors (single VA range): AP[1] is RES1, AP[2] read-only. */
#define EL2_AP1 (1UL << 6)
#define EL2_AP_RO (1UL << 7)
#define EL2_ATTR_DEVICE (1UL << 2)

#endif
