/* The host <-> KCore ABI (stable). SMCCC fast calls, 64-bit, owner
 * "vendor-specific hypervisor service": function id in x0, arguments in
 * x1..x5, result in x0: >= 0 on success, -KE_* (kcore/errno.h) on refusal.
 * A refused call changes nothing. docs/abi.md describes each call. */
#ifndef KCORE_ABI_H
#define KCORE_ABI_H

#include "kcore/types.h"

/* 0xC6001000 + n: Linux's KVM uses 0xC6000000 + n for its own host
 * hypercalls (KVM_HOST_SMCCC_ID(n)), which KCore refuses inside Linux; the
 * two ranges must not meet (issue 12). A guest's grant/revoke ids
 * (constants.h, 0xC6000100/101) are guest HVCs, another namespace. */
#define KCORE_HC_BASE 0xC6001000UL
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
	KCORE_HC_LOAD_ENCRYPTED_VCPU = KCORE_HC(18), /* (vmid, vcpuid, inbuf) */
	KCORE_HC_POWEROFF_VM = KCORE_HC(19),        /* (vmid): the host stops a VM */
	KCORE_HC_REGISTER_RUN_PAGE = KCORE_HC(20),  /* (vmid, vcpuid, run_page_pa): EL2 build */
	KCORE_HC_SAVE_ENCRYPTED_VCPU = KCORE_HC(21), /* (vmid, vcpuid, outbuf): D41 */
	/* ---- SMMUv3 (issue 5): devices and their faults ---- */
	KCORE_HC_SMMU_ATTACH = KCORE_HC(22),        /* (stream, cbndx, index) */
	KCORE_HC_SMMU_DETACH = KCORE_HC(23),        /* (stream, index) */
	KCORE_HC_SMMU_POLL_EVENT = KCORE_HC(24),    /* () -> 1 (x1..x4: the fault) or 0: EL2 build */
	/* ---- end SMMUv3 ---- */
	KCORE_HC_DESTROY_VM = KCORE_HC(25),         /* (vmid): D68, the id and window reusable */
	KCORE_HC_MAX = KCORE_HC(26)
};

/* SMMU_POLL_EVENT's answer (EL2 build): x0 = 1 and one recorded device
 * fault in x1 = stream id, x2 = the iova (input address), x3 = the SMMUv3
 * event type (KCORE_SMMU_EVT_*), x4 = SMMU index | read (1) / write (0) <<
 * 32; or x0 = 0 when no fault is pending; -KE_NOTSUPP without an SMMU. */
#define KCORE_SMMU_EVT_F_TRANSLATION 0x10U
#define KCORE_SMMU_EVT_F_ADDR_SIZE 0x11U
#define KCORE_SMMU_EVT_F_ACCESS 0x12U
#define KCORE_SMMU_EVT_F_PERMISSION 0x13U

/* The per-vCPU run page (EL2 build): one host page (owner HOSTVISOR, checked
 * at registration and at every VCPU_RUN), registered with
 * REGISTER_RUN_PAGE after REGISTER_VCPU. The host writes the input part
 * before VCPU_RUN; KCore copies it once (no double fetch) into struct
 * kcore_run_input (kcore/vcpu.h), field for field. When VCPU_RUN returns an
 * exit reason (>= 1), KCore has written the exit record (struct
 * kcore_exit_info) into the second part. docs/abi.md, "Running a vCPU". */
#define KCORE_RUN_VGIC_LRS 4 /* list registers the host may fill (GICv3) */

struct kcore_run_page {
	/* host-written input */
	u64 regs[31];     /* x0..x30; only the registers KCore marked dirty are taken */
	u64 entry_pc;     /* first run */
	u64 entry_pstate; /* first run */
	u64 map_addr;     /* pending stage-2 mapping request: IPA, 0 for none */
	u64 map_pte;      /* phys_page(map_pte) is the 4 KB page or 2 MB block */
	u64 map_level;    /* 3 (4 KB) or 2 (2 MB) */
	u64 request;      /* KCORE_RUN_INJECT (1): inject an exception */
	u64 vgic_lr[KCORE_RUN_VGIC_LRS]; /* GICv3 list register values for this run (0: none) */
	u64 in_pad[27 - KCORE_RUN_VGIC_LRS]; /* the exit record starts at offset 512 */
	/* KCore-written exit record */
	u32 exit_reason;  /* enum kcore_exit_reason, also VCPU_RUN's x0 */
	u32 exit_rd;      /* MMIO: the register (0..30, 31 = xzr) */
	u64 exit_esr;     /* ESR_EL2 of a trap exit */
	u64 exit_fault_ipa; /* aborts: the IPA (MMIO: with the page offset) */
	u64 exit_mmio_data; /* MMIO write, SYSREG (an SGI register write, D71): the value written */
	u64 exit_hvc_args[4]; /* HVC: x0..x3 */
	u64 exit_vgic_lr[KCORE_RUN_VGIC_LRS]; /* the list registers at the exit (state 0: done) */
	/* D72: the guest's virtual timer at the exit (every exit to the host;
	 * KCore switches it and never takes it from here): CNTV_CTL_EL0 as the
	 * guest's CPU had it (ENABLE bit 0, IMASK bit 1, ISTATUS bit 2) and
	 * CNTV_CVAL_EL0, in counts of the physical counter (CNTVOFF_EL2 = 0). */
	u64 exit_cntv_ctl;
	u64 exit_cntv_cval;
};

/* An encrypted export blob (docs/abi.md, "Encrypted export"; D41). Sealed
 * with ChaCha20-Poly1305 under the VM's export key, which never leaves EL2;
 * the associated data is the header's first 48 bytes (magic .. length), so
 * the VM id and its generation (D68), the kind and the page's gfn or the
 * vCPU index are bound.
 *   page blob: ciphertext in the page at outbuf, this header at the start of
 *              the page at outbuf + 4096 (the rest of that page zero);
 *   vCPU blob: one page, this header then the ciphertext of the vCPU's
 *              registers (KCORE_BLOB_VCPU_BYTES) at offset 64. */
#define KCORE_BLOB_MAGIC 0x424C4245524F434BUL /* "KCOREBLB" */
#define KCORE_BLOB_VERSION 2 /* D68: 2 carries the VM id's generation */
#define KCORE_BLOB_PAGE 1
#define KCORE_BLOB_VCPU 2
#define KCORE_BLOB_AD_SIZE 48
struct kcore_blob_header {
	u64 magic;
	u32 version;
	u32 kind;     /* KCORE_BLOB_PAGE or KCORE_BLOB_VCPU */
	u32 vmid;
	u32 generation; /* D68: the VM id's generation (DESTROY_VMs of the id so far) */
	u64 index;    /* page: its gfn; vCPU: its index */
	u8 nonce[12]; /* the VM's export counter, little-endian, then 4 zero bytes */
	u32 length;   /* ciphertext bytes: 4096, or KCORE_BLOB_VCPU_BYTES */
	u8 tag[16];
};

#endif
