/* Test kit: what the differential driver (tests/model/driver.py, through
 * ctypes) and the fuzzer need from the host build of the core: entry
 * points with flat arguments, the abstract state read back from the real
 * descriptors, an emulated MMU for host/VM/device stores, and the checkers
 * of the security invariants and of TLB maintenance. */
#ifndef KCORE_TK_H
#define KCORE_TK_H

#include "kcore/types.h"

#define TK_RUN_WORDS 37  /* regs[31], entry_pc, entry_pstate, map_addr, map_pte, map_level, request */
#define TK_HW_WORDS 37   /* ec, regs[31], pc, pstate, esr, far, hpfar */
#define TK_INFO_WORDS 9  /* reason, rd, esr, fault_ipa, mmio_data, hvc_args[4] */
#define TK_VMINFO_WORDS (1 + 8 + 1 + 4 * 5 + 1)
#define TK_LAYOUT_WORDS 256

void tk_reset(void);
long tk_host_call(u64 fn, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5);
long tk_host_fault(u64 addr);
long tk_vcpu_run(u32 vmid, u32 vcpuid, const u64 *run);
long tk_vm_exit(u32 vmid, u32 vcpuid, const u64 *hw, u64 *info);
/* D60: kcore_host_pin (the GIC mediation's call, no hypercall of its own). */
long tk_host_pin(u32 slot, u64 base, u64 size);

/* Stores through the emulated MMU. Return 0 stored, 1 shared (mapped, but
 * not a page the spec tracks for this principal), 2 abort/fault, 3 skip. */
int tk_host_store(u64 addr, u64 val);
/* The host writes a whole page (PAGE_SIZE bytes at data); as tk_host_store. */
int tk_host_page(u64 addr, const u8 *data);
int tk_vm_store(u32 vmid, u64 gfn, u64 val);
int tk_dev_store(u32 index, u32 cbndx, u64 gfn, u64 val);

/* Abstract state. */
void tk_layout(u64 *out);
void tk_s2page(u64 pfn, u64 *out3);
void tk_s2page_dump(u64 *out); /* 3 words per RAM page */
void tk_lookup(u32 p, u64 gfn, u64 *out3);
u64 tk_mappings(u32 p, u64 *out, u64 max); /* 4 words each: gfn pfn level pte */
void tk_npt_ptrs(u32 p, u64 *out3);
void tk_vminfo(u32 vmid, u64 *out);
void tk_core_data(u64 *out3); /* next_vmid, next_remap_ptr, vmid_used (D68) */
/* D68: kc.vm_pages and kc.vm_generation, COREVISOR words each. */
void tk_vm_counts(u64 *pages, u64 *generation);
void tk_smmu(u64 *vmids, u64 *nr_mapped);
void tk_spt_ptrs(u64 *out2);
/* D60: the pinned extents, base and size per slot (KCORE_PIN_SLOTS of them,
 * at most max); returns kc.pinned_pages. */
u64 tk_pins(u64 *out2, u64 max);
u64 tk_streams(u64 *out3, u64 max);
void tk_spt_lookup(u32 index, u32 cbndx, u64 gfn, u64 *out2);
u64 tk_spt_mappings(u32 index, u32 cbndx, u64 *out, u64 max); /* 3 words: gfn pfn pte */
void tk_shadow(u32 vmid, u32 vcpuid, u64 *out);
u64 tk_page_word(u64 pfn);
/* The PAGE_SIZE bytes of page pfn (zeros if not RAM). */
void tk_page_read(u64 pfn, u8 *out);
int tk_page_is_zero(u64 pfn);

/* Checkers. Each returns the number of violations and writes their
 * descriptions, one per line, into buf. */
u64 tk_step_end(char *buf, u64 len);   /* TLB maintenance + invariants on what changed */
u64 tk_check_all(char *buf, u64 len);  /* every invariant over the whole state */

#endif
