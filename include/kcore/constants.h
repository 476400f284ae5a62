/* Constants named by HighSpecs (../shared/spec/HighSpecs.md). The spec
 * leaves their values to its RealParams/Constants files; the values chosen
 * here are the ones the executable model reads back (tests/model). */
#ifndef KCORE_CONSTANTS_H
#define KCORE_CONSTANTS_H

#include "kcore/layout.h"

#define PAGE_SHIFT 12
#define PAGE_SIZE 4096UL
#define PTRS_PER_PMD 512UL
#define PMD_PAGE_NUM 512UL
#define PMD_SIZE (PAGE_SIZE * PTRS_PER_PMD)

/* Principals. VMs are 1 .. COREVISOR-1. */
#define HOSTVISOR 0U
#define COREVISOR KCORE_MAX_VMID

#define INVALID 0xFFFFFFFFUL
#define INVALID64 0xFFFFFFFFFFFFFFFFUL

/* VM states (ordered: the spec compares state >= VERIFIED). */
#define UNUSED 0U
#define READY 1U
#define VERIFIED 2U
#define POWEROFF 3U
/* vCPU states: UNUSED, READY as above, and */
#define ACTIVE 2U

#define MAX_LOAD_INFO_NUM 5U
#define MAX_SHARE_COUNT KCORE_MAX_SHARE_COUNT
#define EL2_SMMU_CFG_SIZE (KCORE_SMMU_NUM * KCORE_SMMU_MAX_CFG)
#define SMMU_HOST_OFFSET 0UL /* host pages are device-mapped at iova == pa */

/* Address spaces. */
#define KVM_ADDR_SPACE (1UL << KCORE_IPA_BITS) /* guest and host IPA limit */
#define SMMU_IOVA_SPACE (1UL << 39)            /* three-level device tables */
#define MAX_MMIO_ADDR KCORE_RAM_BASE             /* IPAs below are emulated MMIO */

/* Descriptor bits (ARMv8 VMSA, 4 KB granule). */
#define PTE_VALID (1UL << 0)
#define PTE_TABLE (1UL << 1) /* at levels 0-2: table; at level 3: page */
#define PTE_TYPE_MASK 3UL
#define PTE_AF (1UL << 10)
#define PTE_SH_INNER (3UL << 8)
#define PTE_XN (1UL << 54)
#define PHYS_MASK 0x0000FFFFFFFFF000UL
#define NOT_PMD_TABLE_BIT (~PTE_TABLE)

/* Stage-2 attributes: MemAttr[5:2], S2AP[7:6]. */
#define S2_MEMATTR_NORMAL (0xFUL << 2)
#define S2_MEMATTR_DEVICE (0x1UL << 2) /* Device-nGnRE */
#define S2_RDWR (3UL << 6)
#define PAGE_S2_KERNEL (PTE_VALID | PTE_TABLE | S2_MEMATTR_NORMAL | S2_RDWR | PTE_SH_INNER | PTE_AF)
#define PAGE_S2_DEVICE (PTE_VALID | PTE_TABLE | S2_MEMATTR_DEVICE | PTE_AF | PTE_XN)
#define PAGE_GUEST 0UL /* "unmap": the spec maps the host's entry to this */
/* EL2 stage 1: AttrIndx 0 (normal WB), AP[2]=0 (read-write), AP[1]=1, not executable. */
#define PTE_HYP_AP1 (1UL << 6) /* AP[1]: RES1 in the EL2 (one privilege level) regime */
#define PAGE_HYP (PTE_VALID | PTE_TABLE | PTE_HYP_AP1 | PTE_SH_INNER | PTE_AF | PTE_XN)
/* Device page in the SMMU's stage-1 (VMSAv8-64) format: AttrIndx 0 (the
 * context's MAIR attribute 0, normal write-back), AP[7:6] = 01 (read-write,
 * unprivileged transactions too), inner shareable, AF set (no access-flag
 * fault), nG (the entry belongs to its context's ASID only: a global entry
 * would match every context's ASID in the SMMU's TLB). D39. */
#define PTE_NG (1UL << 11)
#define PAGE_SMMU (PTE_VALID | PTE_TABLE | PTE_SH_INNER | PTE_AF | (1UL << 6) | PTE_NG)

/* Exit classes from the world switch (Linux KVM's values). */
#define ARM_EXCEPTION_INTERRUPT 0U
#define ARM_EXCEPTION_EL1_SERROR 1U
#define ARM_EXCEPTION_TRAP 2U

/* ESR_EL2. */
#define ESR_ELx_EC_SHIFT 26
#define ESR_ELx_EC_MASK (0x3FUL << ESR_ELx_EC_SHIFT)
#define ESR_ELx_EC_UNKNOWN 0x00U
#define ESR_ELx_EC_WFx 0x01U
#define ESR_ELx_EC_HVC64 0x16U
#define ESR_ELx_EC_SMC64 0x17U
#define ESR_ELx_EC_SYS64 0x18U
#define ESR_ELx_EC_IABT_LOW 0x20U
#define ESR_ELx_EC_DABT_LOW 0x24U
#define ESR_ELx_IL (1UL << 25)
#define ESR_ELx_ISV (1UL << 24)
#define ESR_ELx_WNR (1UL << 6)
#define ESR_ELx_S1PTW (1UL << 7)
/* A trapped AArch64 MSR/MRS (EC 0x18): ISS = Op0 [21:20], Op2 [19:17], Op1
 * [16:14], CRn [13:10], Rt [9:5], CRm [4:1], Direction [0] (1: read). The
 * register and the direction are the ISS without Rt. The GICv3 SGI
 * registers a guest's MSR writes (D71): op0 3, op1 0, CRn 12, CRm 11 and op2
 * 5 (ICC_SGI1R_EL1), 6 (ICC_ASGI1R_EL1), 7 (ICC_SGI0R_EL1). */
#define ESR_SYS64_RT_SHIFT 5
#define ESR_SYS64_REG_MASK 0x3FFC1FUL
#define ESR_SYS64_WRITE(op0, op1, crn, crm, op2) \
	((u64)(op0) << 20 | (u64)(op2) << 17 | (u64)(op1) << 14 | (u64)(crn) << 10 | (u64)(crm) << 1)
#define ESR_SYS64_ICC_SGI1R_EL1 ESR_SYS64_WRITE(3, 0, 12, 11, 5)
#define ESR_SYS64_ICC_ASGI1R_EL1 ESR_SYS64_WRITE(3, 0, 12, 11, 6)
#define ESR_SYS64_ICC_SGI0R_EL1 ESR_SYS64_WRITE(3, 0, 12, 11, 7)
/* What the guest sees in ESR_EL1 for an injected exception. */
#define ESR_EL1_INJECTED ((u64)ESR_ELx_EC_UNKNOWN << ESR_ELx_EC_SHIFT | ESR_ELx_IL)

/* PSTATE. */
#define PSR_MODE_MASK 0xFUL
#define PSR_MODE_EL0t 0x0UL
#define PSR_MODE_EL1t 0x4UL
#define PSR_MODE_EL1h 0x5UL
#define PSR_MODE32_BIT 0x10UL
#define PSR_F_BIT (1UL << 6)
#define PSR_I_BIT (1UL << 7)
#define PSR_A_BIT (1UL << 8)
#define PSR_D_BIT (1UL << 9)
#define PSTATE_FAULT_BITS_64 (PSR_MODE_EL1h | PSR_A_BIT | PSR_I_BIT | PSR_F_BIT | PSR_D_BIT)

/* Shadow "dirty" word: bits 0..30 = x0..x30 the host may set on the next run,
 * plus two requests. INVALID64 means "never run". */
#define DIRTY_PC_FLAG (1UL << 32)
#define PENDING_EXCEPT_INJECT_FLAG (1UL << 33)

/* Guest hypercalls handled inside KCore (SMCCC vendor-specific hyp range). */
#define HVC_KVM_SET_DESC_PFN 0xC6000100UL   /* grant [x2, x2+x3) to the host */
#define HVC_KVM_UNSET_DESC_PFN 0xC6000101UL /* revoke it */
#define PSCI_0_2_FN_SYSTEM_OFF 0x84000008UL

/* SCTLR_EL1 reset value (RES1 bits, MMU and caches off). */
#define SCTLR_EL1_RESET 0x00C50838UL

#endif
