/* The host <-> KCore ABI (stable). SMCCC fast calls, 64-bit, owner
 * "vendor-specific hypervisor service": function id in x0, arguments in
 * x1..x5, result in x0: >= 0 on success, -KE_* (kcore/errno.h) on refusal.
 * A refused call changes nothing. docs/abi.md describes each call. */
#ifndef KCORE_ABI_H
#define KCORE_ABI_H

#define KCORE_HC_BASE 0xC6000000UL
#define KCORE_HC(n) (KCORE_HC_BASE + (n))

enum kcore_hc {
	KCORE_HC_NOP = KCORE_HC(0),                 /* () -> 0 */
	KCORE_HC_GEN_VMID = KCORE_HC(1),            /* () -> vmid */
	KCORE_HC_REGISTER_KVM = KCORE_HC(2),        /* (vmid) */
	KCORE_HC_REGISTER_VCPU = KCORE_HC(3),       /* (vmid, vcpuid) */
	KCORE_HC_SET_BOOT_INFO = KCORE_HC(4),       /* (vmid, load_addr, size) -> load_idx */
	KCORE_HC_REMAP_VM_IMAGE = KCORE_HC(5),      /* (vmid, pfn, load_idx) */
	KCORE_HC_VERIFY_VM = KCORE_HC(6),           /* (vmid) */
	KCORE_HC_CLEAR_VM_PAGE = KCORE_HC(7),       /* (vmid, pfn) */
	KCORE_HC_MAP_IO = KCORE_HC(8),              /* (vmid, gpa, pa) */
	KCORE_HC_VCPU_RUN = KCORE_HC(9),            /* (vmid, vcpuid) -> exit reason (EL2 build) */
	KCORE_HC_SMMU_ALLOC = KCORE_HC(10),         /* (cbndx, vmid, index) */
	KCORE_HC_SMMU_FREE = KCORE_HC(11),          /* (cbndx, index) */
	KCORE_HC_SMMU_ASSIGN = KCORE_HC(12),        /* (cbndx, index, pfn, gfn) */
	KCORE_HC_SMMU_MAP = KCORE_HC(13),           /* (cbndx, index, iova, pte) */
	KCORE_HC_SMMU_CLEAR = KCORE_HC(14),         /* (iova, cbndx, index) */
	KCORE_HC_SMMU_IOVA_TO_PHYS = KCORE_HC(15),  /* (iova, cbndx, index) -> pa */
	KCORE_HC_SAVE_ENCRYPT_BUF = KCORE_HC(16),   /* (vmid, inbuf, outbuf) */
	KCORE_HC_LOAD_DECRYPT_BUF = KCORE_HC(17),   /* (vmid, inbuf) */
	KCORE_HC_LOAD_ENCRYPTED_VCPU = KCORE_HC(18), /* (vmid, vcpuid) */
	KCORE_HC_POWEROFF_VM = KCORE_HC(19),        /* (vmid): the host stops a VM */
	KCORE_HC_MAX = KCORE_HC(20)
};

#endif
