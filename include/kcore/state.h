/* KCore's shared state (the spec's `sdt`) and the internal interfaces of the
 * modules that own each part. One global, `kc`, so that the EL2 image and the
 * host tests see the same layout.
 *
 * Locks (kcore/lock.h) mirror the spec's hlock IDs and are always taken in
 * this order:  CORE < SMMU < INFO(vmid) < SPT < S2PAGE < NPT(principal),
 * NPTs in increasing principal id (HOSTVISOR first, COREVISOR last).
 * Each field names the lock that protects it. */
#ifndef KCORE_STATE_H
#define KCORE_STATE_H

#include "kcore/constants.h"
#include "kcore/ctxt.h"
#include "kcore/lock.h"
#include "kcore/types.h"

/* spec: s2page entry (S2Page: s2_owner, s2_count, s2_gfn) */
struct s2page {
	u32 owner; /* INVALID (not RAM), HOSTVISOR, a VM id, or COREVISOR */
	u32 count; /* share count; INVALID for a page assigned through the SMMU */
	u64 gfn;   /* guest frame it backs; INVALID64 if none yet */
};

/* A range of physical addresses [base, base + size). */
struct phys_range {
	phys_addr_t base;
	u64 size;
};

/* spec: pool_start / pud_start / pmd_start / pool_end of a principal */
struct pool_bounds {
	phys_addr_t start, pud_start, pmd_start, end;
};

/* One principal's page table: the root is the first page of its pool; the
 * three bump pointers are the spec's pt_pgd_next/pt_pud_next/pt_pmd_next. */
struct npt {
	phys_addr_t root;
	phys_addr_t pgd_next; /* next pud-table page, bounded by pud_start */
	phys_addr_t pud_next; /* next pmd-table page, bounded by pmd_start */
	phys_addr_t pmd_next; /* next pte-table page, bounded by pool_end */
	/* pool_bounds(p), fixed at init: kept here because every walk and
	 * every map checks against them (docs/bench.md). */
	struct pool_bounds bounds;
};


/* spec: BootInfo (VB) */
struct vm_boot_info {
	u32 next_load_info;
	u64 load_addr[MAX_LOAD_INFO_NUM];
	u64 load_size[MAX_LOAD_INFO_NUM];
	u64 remap_addr[MAX_LOAD_INFO_NUM];
	u64 mapped_pages[MAX_LOAD_INFO_NUM];
	u32 inc_exe; /* spec: vm_inc_exe, 1 once an encrypted vCPU was loaded */
};

/* spec: VMInfo (VS + VB) */
struct vm_info {
	u32 state;                      /* UNUSED, READY, VERIFIED, POWEROFF */
	u32 vcpu_state[KCORE_MAX_VCPUS]; /* UNUSED, READY, ACTIVE */
	struct vm_boot_info boot;
	/* D41: blobs sealed so far under this VM's export key; the next
	 * blob's nonce. Only ever incremented (a u64 cannot wrap). */
	u64 export_seq;
};

/* spec: core_data (D68: ids and window ranges are reused). next_vmid is
 * the lowest id GEN_VMID may hand out (COREVISOR if none), derived from
 * vmid_used (bit v: id v handed out and not destroyed yet); next_remap_ptr
 * the end of the highest window range a VM holds (KCORE_REMAP_START if
 * none). Under CORE, as are the window ranges of every VM's load slots
 * (remap_addr, load_size, next_load_info: written only by SET_BOOT_INFO and
 * DESTROY_VM, which hold CORE), so that a first fit can read them all. */
struct core_data {
	u32 next_vmid;
	u32 vmid_used;
	u64 next_remap_ptr;
};

/* spec: SPT (the SMMU pool; the per-context maps live in the tables) */
struct spt {
	phys_addr_t pgd_next; /* next pmd-table page, bounded by SMMU_PMD_START */
	phys_addr_t pmd_next; /* next pte-table page, bounded by SMMU_POOL_END */
};

/* The large owner table comes last (only the pins, D60, after it), so that
 * the fields the world switch reads on every run and exit (npt, vminfo,
 * shadow, locks) sit at offsets an instruction's immediate can reach. */
struct kcore {
	u64 ram_pages; /* RAM actually present (<= KCORE_RAM_MAX_PAGES) */
	/* NPT(p) lock for npt[p] and the table pages under it */
	struct npt npt[COREVISOR + 1];
	/* INFO(vmid) lock for vminfo[vmid] (index 0 and COREVISOR unused) */
	struct vm_info vminfo[COREVISOR + 1];
	/* CORE lock */
	struct core_data core;
	/* SMMU lock: which principal owns each context; INVALID if none */
	u32 smmu_vmid[EL2_SMMU_CFG_SIZE];
	/* SMMU lock: live device mappings of each context (D30, D31) */
	u32 smmu_nr_mapped[EL2_SMMU_CFG_SIZE];
	/* D42: the context (cbndx) each device stream of each SMMU is attached
	 * to, SMMU_NO_CTX if none; the SMMU driver makes the hardware follow. */
	u8 smmu_stream[KCORE_SMMU_NUM][KCORE_SMMU_STREAMS];
	/* SPT lock */
	struct spt spt;
	/* Shadow contexts: [HOSTVISOR][cpu] for the host, [vmid][vcpuid] for
	 * VMs. A VM vCPU's context is only touched by the CPU that holds that
	 * vCPU ACTIVE (or, while READY, under INFO(vmid)). */
	struct shadow_ctxt shadow[COREVISOR][KCORE_MAX_VCPUS];
	/* D41: a value unique to this boot, mixed into every VM's export key so
	 * that keys (and so nonces) never repeat across boots. Set by the
	 * platform before the first VM (boot/main.c: the DTB's /chosen/rng-seed);
	 * all zero where the platform has none (the host tests). */
	u8 boot_salt[32];
	/* D52: 1 once the platform gave a salt of at least 16 bytes
	 * (kcore_set_boot_salt). Without one every SAVE_* is refused: the same
	 * VM id would get the same key, and so the same keystream, in every
	 * boot. */
	u32 boot_salt_ok;
	/* D68, S2PAGE lock: the RAM pages whose s2page owner is VM v, kept by
	 * s2page_set (and the block assign); DESTROY_VM needs 0. */
	u64 vm_pages[COREVISOR];
	/* D68, INFO(vmid) lock: how many times id v was destroyed in this
	 * boot, mixed into its export key and written into every blob header,
	 * so that a VM reusing an id never reuses a (key, nonce) pair. Never
	 * reset; DESTROY_VM refuses (-KE_FULL) rather than wrap it. */
	u32 vm_generation[COREVISOR];
	/* D44: the device frames the host may map (the MMIO allow-list),
	 * fixed at init; every other frame outside RAM reads as COREVISOR's. */
	struct phys_range host_mmio[KCORE_HOST_MMIO_MAX];
	u32 host_mmio_num;
	/* Physical placement, fixed at init. */
	phys_addr_t pool_base;
	phys_addr_t core_start, core_end; /* KCore's own memory, incl. pools */
	struct kcore_locks locks;
	/* S2PAGE lock */
	struct s2page s2page[KCORE_RAM_MAX_PAGES];
	/* S2PAGE lock. D60: the host RAM each mediated device table may
	 * occupy (size 0: none), and the pages of all of them. Each page of an
	 * extent has one count for it in its s2page entry, so that no path
	 * gives a pinned page away (a host page with count != 0 is -KE_BUSY).
	 * After the owner table: placed before it, they cost the host fault,
	 * the grant and the assign 2 to 6 instructions (longer offsets). */
	struct phys_range pin[KCORE_PIN_SLOTS];
	u64 pinned_pages;
};

extern struct kcore kc;

/* ---- kcore/init.c ---------------------------------------------------- */
struct kcore_boot_params {
	phys_addr_t ram_base;  /* must be KCORE_RAM_BASE */
	u64 ram_size;          /* bytes, <= KCORE_RAM_MAX_PAGES pages */
	phys_addr_t core_start; /* KCore's image, data and pools: owned by COREVISOR */
	phys_addr_t core_end;
	phys_addr_t pool_base; /* inside [core_start, core_end), page aligned */
	/* D44: the host's MMIO allow-list: page-aligned ranges outside RAM,
	 * at most KCORE_HOST_MMIO_MAX, not overlapping. */
	const struct phys_range *host_mmio;
	u32 host_mmio_num;
	/* More of KCore's memory, outside [core_start, core_end): inside Linux,
	 * the nVHE image's text, rodata and bss, its per-CPU areas and stacks
	 * and pKVM's pool. Page-aligned ranges inside RAM, at most
	 * KCORE_CORE_MORE_MAX; they may overlap. COREVISOR's from boot on. */
	const struct phys_range *core_more;
	u32 core_more_num;
};
#define KCORE_CORE_MORE_MAX 64U
/* Bytes of page-table pool (all principals and the SMMU) from pool_base. */
u64 layout_pool_bytes(void);
/* Set up every table and owner. Halts if the parameters are inconsistent. */
void kcore_init(const struct kcore_boot_params *p);

/* ---- kcore/s2page.c -------------------------------------------------- */
/* The owner table (the spec's s2page), indexed by RAM pfn. Frames outside
 * RAM are not stored: a device frame of the host's MMIO allow-list reads
 * as "not RAM" (owner INVALID: the host may map it, MAP_IO may hand it to
 * a VM); every other frame (KCore's own devices, devices KCore mediates or
 * withholds, and the unknown) reads as owned by COREVISOR, so that no map
 * path (host fault, MAP_IO, SMMU) can hand it out (D44). */
static inline bool pfn_is_ram(pfn_t pfn)
{
	return pfn >= (KCORE_RAM_BASE >> PAGE_SHIFT) &&
	       pfn - (KCORE_RAM_BASE >> PAGE_SHIFT) < kc.ram_pages;
}

/* Whether a frame lies in the host's MMIO allow-list (D44). */
static inline bool pfn_is_host_mmio(pfn_t pfn)
{
	for (u32 i = 0; i < kc.host_mmio_num; i++) {
		pfn_t first = kc.host_mmio[i].base >> PAGE_SHIFT;

		if (pfn >= first && pfn - first < kc.host_mmio[i].size >> PAGE_SHIFT)
			return true;
	}
	return false;
}

/* spec: pfn @ s2page; non-RAM reads as owner INVALID if the host may map
 * it, COREVISOR otherwise (D44), count 0, gfn INVALID64. */
static inline struct s2page s2page_get(pfn_t pfn)
{
	struct s2page none = { INVALID, 0, INVALID64 };

	if (pfn_is_ram(pfn))
		return kc.s2page[pfn - (KCORE_RAM_BASE >> PAGE_SHIFT)];
	if (!pfn_is_host_mmio(pfn))
		none.owner = COREVISOR;
	return none;
}
/* Only for RAM pfns; halts otherwise (an internal invariant). The owner
 * stays what it was: an owner change goes through s2page_set_owner (or
 * counts itself, as the assigns do), which keeps kc.vm_pages (D68; the
 * harness's full check counts each VM's pages against it). */
void s2page_set(pfn_t pfn, struct s2page page);
void s2page_set_owner(pfn_t pfn, struct s2page page);
/* D68: a page's owner goes from `from` to `to` (either may be a VM). */
static inline void vm_pages_moved(u32 from, u32 to)
{
	if (from == to)
		return;
	if (from - 1U < COREVISOR - 1U)
		kc.vm_pages[from]--;
	if (to - 1U < COREVISOR - 1U)
		kc.vm_pages[to]++;
}
/* The entries of n consecutive RAM frames, or NULL if one is not RAM. */
struct s2page *s2page_ram_span(pfn_t pfn, u64 n);

/* ---- kcore/pool.c ---------------------------------------------------- */
/* spec: pool_start/pud_start/pmd_start/pool_end for principal p */
struct pool_bounds pool_bounds(vmid_t p);
/* The SMMU pool: roots (one page per context), then pmd, then pte tables. */
phys_addr_t spt_root(u32 index, u32 cbndx); /* spec: SMMU_TTBR index cbndx */
phys_addr_t spt_pool_start(void);            /* first pmd-table page */
phys_addr_t spt_pmd_start(void);             /* spec: SMMU_PMD_START */
phys_addr_t spt_pool_end(void);              /* spec: SMMU_POOL_END */

/* ---- kcore/npt.c ----------------------------------------------------- */
/* spec: gfn @ (pt npt): the mapping of one gfn, read by walking the real
 * descriptors. level 0 and pte 0 mean "not mapped". Inside a 2 MB block the
 * pfn is the block's first pfn plus the offset, and pte is the block's
 * descriptor (as the spec's local_mmap_loop_h records). */
struct npt_entry {
	pfn_t pfn;
	u32 level; /* 0 (none), 2 (2 MB block) or 3 (4 KB page) */
	u64 pte;   /* the descriptor */
};
struct npt_entry npt_lookup(vmid_t p, gfn_t gfn);
/* spec: local_mmap_h. Maps addr at level 2 (block) or 3 (page) with the
 * given descriptor (pte 0 removes the page mapping). Returns 0, -KE_NOMEM
 * (pool bound hit) or -KE_BLOCK (level 3 inside a block); on error nothing
 * changed. A valid entry that is removed or changed is invalidated
 * (arch_tlbi_*) before return. Needs NPT(p). */
long npt_map(vmid_t p, u64 addr, u32 level, u64 pte);
/* The checks of npt_map alone, changing nothing (for check-then-commit). */
long npt_map_check(vmid_t p, u64 addr, u32 level);
/* The same for level-3 maps of every gfn in n ranges, planned as a whole
 * (VERIFY_VM maps the images with it, D40). */
struct gfn_range {
	gfn_t start;
	u64 num;
};
long npt_map_ranges_check(vmid_t p, const struct gfn_range *r, u32 n);
void npt_init(void);
/* D68: principal p's (a VM's) table emptied: every table page it used
 * zeroed (root included), the bump pointers back at the pool's start. The
 * caller invalidates the VMID. Needs NPT(p). */
void npt_pool_reset(vmid_t p);

/* ---- kcore/mem.c: ownership transfers (need S2PAGE, NPT(HOSTVISOR)) -- */
long local_map_host(u64 addr);
/* kcore/pin.c (D60, needs S2PAGE): kcore_host_pin's work. */
long local_host_pin(u32 slot, u64 base, u64 size);
long local_clear_vm_page(vmid_t vmid, pfn_t pfn);
long local_assign_pfn_to_vm(vmid_t vmid, gfn_t gfn, pfn_t pfn);
long local_assign_pfn_to_vm_check(vmid_t vmid, gfn_t gfn, pfn_t pfn);
/* The 512 assigns of a 2 MB block (gfn0, pfn0 aligned): the checks alone,
 * then the commit (host-unmap of the whole block in one walk). */
long local_assign_block_to_vm_check(vmid_t vmid, gfn_t gfn0, pfn_t pfn0);
void local_assign_block_to_vm(vmid_t vmid, gfn_t gfn0, pfn_t pfn0);
long local_map_pfn_vm(vmid_t vmid, u64 addr, u64 pte, u32 level);
long prot_and_map_vm_s2pt(vmid_t vmid, u64 addr, u64 pte, u32 level);
long local_map_io(vmid_t vmid, u64 gpa, u64 pa);
void local_grant_vm_page(vmid_t vmid, pfn_t pfn);
void local_revoke_vm_page(vmid_t vmid, pfn_t pfn);
long grant_stage2_range(vmid_t vmid, u64 addr, u64 size);
long revoke_stage2_range(vmid_t vmid, u64 addr, u64 size);
long local_save_encrypt_buf(vmid_t vmid, u64 inbuf, u64 outbuf);
long local_load_decrypt_buf(vmid_t vmid, u64 inbuf);

/* ---- kcore/vm.c: VM and vCPU states (need INFO(vmid)) ---------------- */
/* spec: is_vm (VMs are 1 .. COREVISOR-1). Inline: checked at every layer
 * of every run and exit (docs/bench.md). */
static inline bool is_vm(vmid_t vmid)
{
	return vmid >= 1 && vmid < COREVISOR;
}

/* spec: is_vcpu */
static inline bool is_vcpu(u64 vcpuid)
{
	return vcpuid < KCORE_MAX_VCPUS;
}
long local_gen_vmid(void); /* returns the new vmid; needs CORE */
long local_register_kvm(vmid_t vmid);
long local_register_vcpu(vmid_t vmid, u32 vcpuid);
long local_set_vcpu_active(vmid_t vmid, u32 vcpuid);
long local_set_vcpu_inactive(vmid_t vmid, u32 vcpuid);
void local_set_vm_poweroff(vmid_t vmid);
long local_verify_vm(vmid_t vmid);
long local_load_encryted_vcpu(vmid_t vmid, u32 vcpuid, u64 inbuf);
long local_poweroff_vm_by_host(vmid_t vmid); /* D33 */
/* D68: DESTROY_VM. Needs CORE, SMMU, INFO(vmid), S2PAGE, NPT(vmid),
 * NPT(COREVISOR). */
long local_destroy_vm(vmid_t vmid);
/* D16's tests (kcore/mem_host.c): the VM is POWEROFF (-KE_STATE), no vCPU
 * ACTIVE and no SMMU context its own (-KE_BUSY). Needs INFO(vmid), SMMU. */
long vm_check_stopped(vmid_t vmid);

/* ---- kcore/vcpu.c ------------------------------------------------------ */
/* spec: update_exception_gp_regs_specx (with D2, D20): enter the guest's
 * synchronous exception vector. Used by a run's injection and by exit.c. */
void update_exception_gp_regs_specx(struct shadow_ctxt *c);

/* ---- kcore/boot_image.c (need INFO(vmid); CORE; NPT(COREVISOR)) ------ */
long local_set_boot_info(vmid_t vmid, u64 load_addr, u64 size); /* returns load_idx */
long local_remap_vm_image(vmid_t vmid, pfn_t pfn, u64 load_idx);
/* spec: search_load_info_loop_h: the remap address of `addr` if some loaded
 * image contains it, else 0. */
u64 search_load_info(vmid_t vmid, u64 addr);
/* D68: DESTROY_VM's part of the window: every page of vmid's slots unmapped
 * from COREVISOR's table (EL2 TLBI each), each range released
 * (arch_remap_window_released); next_remap_ptr recomputed once the caller
 * cleared the slots (boot_window_recompute). Needs CORE, NPT(COREVISOR). */
void boot_window_release(vmid_t vmid);
void boot_window_recompute(void);

/* ---- kcore/crypto.c: image authentication ------------------------------ */
/* Authenticate VM vmid's images as seen in the remap window. 0 or -KE_AUTH. */
long image_authenticate(vmid_t vmid);

/* ---- kcore/export.c: the ciphers of exported VM state (D41) ------------ */
struct kcore_blob_header;
#define KCORE_BLOB_VCPU_BYTES (8 * NR_CTXT_REGS)
/* Seal VM page src (at its gfn) into host pages dst (ciphertext) and
 * dst + 1 (header). Needs INFO(vmid) (the counter) and S2PAGE. */
void vm_page_encrypt(vmid_t vmid, pfn_t src, pfn_t dst);
/* Open the page in place (it is no longer the host's) with the header h,
 * copied and checked by blob_header_check. 0, or -KE_AUTH with the page
 * unchanged. */
long vm_page_decrypt(vmid_t vmid, pfn_t page, const struct kcore_blob_header *h);
/* Seal vCPU vcpuid's shadow context into host page dst. */
void vm_vcpu_encrypt(vmid_t vmid, u32 vcpuid, pfn_t dst);
/* Open the vCPU blob in host page src into *c: 0, or -KE_AUTH with *c
 * unchanged. */
long vm_vcpu_decrypt(vmid_t vmid, u32 vcpuid, pfn_t src, struct shadow_ctxt *c);
/* Copy a blob header out of host page pfn (once: the host may change its page
 * at any time) and check it is a blob of `kind` for (vmid, index), -KE_AUTH
 * otherwise; index INVALID64 accepts any index inside the IPA space. */
long blob_header_check(pfn_t pfn, u32 kind, vmid_t vmid, u64 index, struct kcore_blob_header *h);
long local_save_encrypted_vcpu(vmid_t vmid, u32 vcpuid, u64 outbuf);
/* D52: may a blob be sealed in this boot (a boot salt was given)? */
bool export_salt_ok(void);

#endif
