/* The memory layout: every size and limit KCore is built with, in one place.
 *
 * Two profiles share this header and all code:
 *  - the default, for QEMU virt with 1 to 4 GB of RAM (and the EL2 image);
 *  - KCORE_PROFILE_TEST, used by the host-built tests: 64 MB of RAM and small
 *    pools, so that pool exhaustion, the remap window limit and the VM id
 *    limit are all reachable in a few hundred random steps.
 * The model (tests/model) reads these values back through the test harness;
 * it never copies them. */
#ifndef KCORE_LAYOUT_H
#define KCORE_LAYOUT_H

#define KCORE_RAM_BASE 0x40000000UL /* QEMU virt: RAM starts at 1 GB */
#define KCORE_IPA_BITS 40           /* host and guest IPA space: 1 TB */
#define KCORE_MAX_VMID 16U          /* COREVISOR; VMs are 1..15 */
#define KCORE_MAX_VCPUS 8U          /* vCPUs per VM */
#define KCORE_MAX_CPUS 8U           /* physical CPUs */
#define KCORE_SMMU_NUM 2U           /* SMMU instances (index) */
#define KCORE_SMMU_MAX_CFG 8U       /* contexts per SMMU instance (cbndx) */
/* Stream ids per SMMU instance: SMMUv3 stream id = PCI requester id, so 256
 * covers bus 0 (QEMU virt's root bus). */
#define KCORE_SMMU_STREAMS 256U
/* The host's MMIO allow-list (D44): at most this many ranges of device
 * frames the host may map; every other frame outside RAM is withheld
 * (owner COREVISOR). The boot code derives the list from the DTB. */
#define KCORE_HOST_MMIO_MAX 48U
/* D53: pages one guest grant or revoke may name (2 MB): each is a lookup,
 * and a revoke's last one a host unmap and TLBI, under the global S2PAGE
 * lock; a larger range is refused so that one guest cannot hold every CPU
 * for long. A guest shares more with one call per 2 MB. */
#define KCORE_SHARE_MAX_PAGES 512UL
/* D60: host RAM a device KCore mediates reads or writes (the GIC's LPI
 * tables, the ITS's command queue and its devices' interrupt translation
 * tables) is pinned, one extent per slot. Slots: the host's ITS command
 * queue, 2 per redistributor (the LPI property and pending tables), and the
 * ITTs of KCORE_ITS_MAX_DEVICES devices (arch/arm64/gic_mediate.h). */
#define KCORE_ITS_MAX_DEVICES 32U
#define KCORE_PIN_SLOTS (1U + 2U * KCORE_MAX_CPUS + KCORE_ITS_MAX_DEVICES)

#ifndef KCORE_PROFILE_TEST
#define KCORE_RAM_MAX_PAGES (1UL << 20) /* 4 GB */
/* Page-table pools, in pages: [root + pud tables | pmd tables | pte tables]. */
#define KCORE_POOL_HOST_PGD 3UL
#define KCORE_POOL_HOST_PUD 8UL
#define KCORE_POOL_HOST_PMD 2112UL /* 4 GB of RAM in 4 KB pages + MMIO */
#define KCORE_POOL_VM_PGD 3UL
#define KCORE_POOL_VM_PUD 4UL
#define KCORE_POOL_VM_PMD 264UL /* 512 MB of 4 KB pages per VM + MMIO */
/* KCore's own EL2 table (boot/el2_mmu.c): RAM below 512 GB and the remap
 * window above it need two pud tables; pmd tables for MMIO, 4 GB of RAM and
 * the window; pte tables for the window (64), the UART and KCore's own
 * memory, mapped page by page (about 48 MB). */
#define KCORE_POOL_CORE_PGD 3UL
#define KCORE_POOL_CORE_PUD 8UL
#define KCORE_POOL_CORE_PMD 104UL
#define KCORE_REMAP_START 0x0000008000000000UL /* EL2 VA of the image remap window */
#define KCORE_REMAP_SIZE (128UL << 20)
#define KCORE_SPT_PMD_POOL 64UL  /* SMMU: pmd tables */
#define KCORE_SPT_PTE_POOL 256UL /* SMMU: pte tables */
#define KCORE_SMMU_CFG_NUM_0 8U  /* contexts present on SMMU 0 */
#define KCORE_SMMU_CFG_NUM_1 0U
#define KCORE_MAX_SHARE_COUNT 100U /* the spec's MAX_SHARE_COUNT */
/* D60: host pages pinned at once, all slots: 16 MB (Linux's GIC needs
 * about 0.2 MB: a 64 KB property table, 64 KB pending table per CPU, the
 * ITS's command queue, the ITTs). */
#define KCORE_PIN_MAX_PAGES 4096UL
#else
#define KCORE_RAM_MAX_PAGES (1UL << 14) /* 64 MB */
#define KCORE_POOL_HOST_PGD 2UL
#define KCORE_POOL_HOST_PUD 3UL
#define KCORE_POOL_HOST_PMD 40UL
#define KCORE_POOL_VM_PGD 2UL
#define KCORE_POOL_VM_PUD 2UL
#define KCORE_POOL_VM_PMD 6UL
#define KCORE_POOL_CORE_PGD 2UL
#define KCORE_POOL_CORE_PUD 2UL
#define KCORE_POOL_CORE_PMD 3UL
/* Straddles the 512 GB boundary: the window's second half needs a second
 * pud table, which the core pool does not have (a reachable KE_NOMEM). */
#define KCORE_REMAP_START (0x0000008000000000UL - 0x40000UL)
#define KCORE_REMAP_SIZE 0x80000UL
#define KCORE_SPT_PMD_POOL 4UL
#define KCORE_SPT_PTE_POOL 8UL
#define KCORE_SMMU_CFG_NUM_0 8U
#define KCORE_SMMU_CFG_NUM_1 4U
#define KCORE_MAX_SHARE_COUNT 3U /* a few grants reach it */
#define KCORE_PIN_MAX_PAGES 24UL /* a few pins reach it */
#endif

#define KCORE_REMAP_END (KCORE_REMAP_START + KCORE_REMAP_SIZE)

#endif
