/* Test kit entry points and state export (tk.h). */
#include <string.h>

#include "tk.h"
#include "tk_check.h"
#include "tk_walk.h"

#include "fake.h"
#include "kcore/arch.h"
#include "kcore/constants.h"
#include "kcore/core.h"
#include "kcore/smmu.h"
#include "kcore/state.h"

void tk_reset(void)
{
	fake_machine_reset();
	tk_check_reset();
}

long tk_host_call(u64 fn, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5)
{
	return kcore_host_call(fn, a1, a2, a3, a4, a5);
}

long tk_host_fault(u64 addr)
{
	return kcore_host_stage2_fault(addr);
}

long tk_host_pin(u32 slot, u64 base, u64 size)
{
	return kcore_host_pin(slot, base, size);
}

/* VCPU_RUN as the EL2 world switch makes it (kcore_vcpu_run_fetch): the
 * core names the registers the run takes (vcpu_run_regs_needed), and only
 * those are copied from the run words; every other register of the input
 * holds a poison value. The model takes the registers its own rules say
 * (after an exit its dirty bits, on a first run x0..x3, D69), from all 31
 * words: a register the C took without asking for it, or asked for too
 * few, shows as a difference in the shadow context. */
#define TK_REG_POISON 0x9015011ED0000000UL
static const u64 *tk_run_words;

static long tk_run_fetch(vmid_t vmid, u32 vcpuid, u64 regs, struct kcore_run_input *in)
{
	const u64 *run = tk_run_words;

	(void)vmid;
	(void)vcpuid;
	for (u32 i = 0; i < 31; i++)
		in->regs[i] = (regs >> i) & 1 ? run[i] : TK_REG_POISON + i;
	in->entry_pc = run[31];
	in->entry_pstate = run[32];
	in->map_addr = run[33];
	in->map_pte = run[34];
	in->map_level = run[35];
	in->request = run[36];
	return 0;
}

long tk_vcpu_run(u32 vmid, u32 vcpuid, const u64 *run)
{
	long ret;

	tk_run_words = run;
	ret = kcore_vcpu_run_fetch(vmid, vcpuid, tk_run_fetch);
	tk_run_words = NULL;
	return ret;
}

long tk_vm_exit(u32 vmid, u32 vcpuid, const u64 *hw, u64 *info)
{
	struct kcore_exit_hw h;
	struct kcore_exit_info out;
	long ret;

	memset(&out, 0, sizeof(out));
	h.ec = (u32)hw[0];
	memcpy(h.regs, hw + 1, sizeof(h.regs));
	h.pc = hw[32];
	h.pstate = hw[33];
	h.esr = hw[34];
	h.far = hw[35];
	h.hpfar = hw[36];
	ret = kcore_vm_exit(vmid, vcpuid, &h, &out);
	info[0] = out.reason;
	info[1] = out.rd;
	info[2] = out.esr;
	info[3] = out.fault_ipa;
	info[4] = out.mmio_data;
	memcpy(info + 5, out.hvc_args, sizeof(out.hvc_args));
	return ret;
}

/* ---- emulated MMU stores --------------------------------------------- */

static int store_to(u64 pfn, u64 val)
{
	u64 *p = fake_ram_write(pfn << PAGE_SHIFT);

	if (p)
		*p = val;
	return 0;
}

/* As tk_host_store, but the host writes the whole page: PAGE_SIZE bytes. */
int tk_host_page(u64 addr, const u8 *data)
{
	int r = tk_host_store(addr, 0);
	u32 level;
	u64 d, pfn;
	u8 *p;

	if (r == 2)
		return r;
	d = tk_walk_leaf(tk_live_mem, kc.npt[HOSTVISOR].root, 0, addr, &level);
	pfn = (d & PHYS_MASK) >> PAGE_SHIFT;
	if (level == 2)
		pfn += (addr >> PAGE_SHIFT) & 511;
	p = fake_ram_write(pfn << PAGE_SHIFT);
	if (p)
		memcpy(p, data, PAGE_SIZE);
	return r;
}

int tk_host_store(u64 addr, u64 val)
{
	u32 level;
	u64 d = tk_walk_leaf(tk_live_mem, kc.npt[HOSTVISOR].root, 0, addr, &level);
	u64 pfn;

	if (!d) {
		if (kcore_host_stage2_fault(addr) < 0)
			return 2;
		d = tk_walk_leaf(tk_live_mem, kc.npt[HOSTVISOR].root, 0, addr, &level);
		if (!d)
			return 2;
	}
	pfn = (d & PHYS_MASK) >> PAGE_SHIFT;
	if (level == 2)
		pfn += (addr >> PAGE_SHIFT) & 511;
	store_to(pfn, val);
	return s2page_get(pfn).owner == HOSTVISOR ? 0 : 1;
}

int tk_vm_store(u32 vmid, u64 gfn, u64 val)
{
	u32 level;
	u64 d, pfn;

	if (vmid == 0 || vmid >= COREVISOR || kc.vminfo[vmid].state != VERIFIED)
		return 3;
	d = tk_walk_leaf(tk_live_mem, kc.npt[vmid].root, 0, gfn << PAGE_SHIFT, &level);
	if (!d)
		return 2;
	pfn = (d & PHYS_MASK) >> PAGE_SHIFT;
	if (level == 2)
		pfn += gfn & 511;
	store_to(pfn, val);
	return s2page_get(pfn).count == 0 ? 0 : 1;
}

int tk_dev_store(u32 index, u32 cbndx, u64 gfn, u64 val)
{
	u32 level, owner;
	u64 d, pfn;

	if (index >= KCORE_SMMU_NUM || cbndx >= KCORE_SMMU_MAX_CFG)
		return 3;
	owner = kc.smmu_vmid[smmu_id(index, cbndx)];
	if (owner == INVALID || (owner != HOSTVISOR && kc.vminfo[owner].state != VERIFIED))
		return 3;
	d = tk_walk_leaf(tk_live_mem, spt_root(index, cbndx), 1, gfn << PAGE_SHIFT, &level);
	if (!d)
		return 2;
	pfn = (d & PHYS_MASK) >> PAGE_SHIFT;
	store_to(pfn, val);
	if (owner == HOSTVISOR)
		return s2page_get(pfn).owner == HOSTVISOR ? 0 : 1;
	return s2page_get(pfn).count == 0 ? 0 : 1;
}

/* ---- state export ----------------------------------------------------- */

void tk_layout(u64 *out)
{
	u32 n = 0;

	memset(out, 0, TK_LAYOUT_WORDS * sizeof(u64));
	out[n++] = KCORE_RAM_BASE;
	out[n++] = kc.ram_pages;
	out[n++] = kc.core_start;
	out[n++] = kc.core_end;
	out[n++] = spt_pool_start();
	out[n++] = spt_pmd_start();
	out[n++] = spt_pool_end();
	out[n++] = KCORE_REMAP_START;
	out[n++] = KCORE_REMAP_END;
	out[n++] = kc.host_mmio_num;
	out[n++] = arch_actlr_el1();
	out[n++] = COREVISOR;
	out[n++] = KCORE_MAX_VCPUS;
	out[n++] = NR_CTXT_REGS;
	out[n++] = KCORE_SMMU_NUM;
	out[n++] = KCORE_SMMU_MAX_CFG;
	for (u32 i = 0; i < KCORE_SMMU_NUM; i++)
		out[n++] = smmu_cfg_num(i);
	out[n++] = MAX_SHARE_COUNT;
	for (u32 p = 0; p <= COREVISOR; p++) {
		struct pool_bounds b = pool_bounds(p);

		out[n++] = b.start;
		out[n++] = b.pud_start;
		out[n++] = b.pmd_start;
		out[n++] = b.end;
	}
	for (u32 i = 0; i < kc.host_mmio_num; i++) { /* D44 */
		out[n++] = kc.host_mmio[i].base;
		out[n++] = kc.host_mmio[i].size;
	}
	out[n++] = arch_dma_policy_allows_vms(); /* D45 */
	out[n++] = export_salt_ok(); /* D52 */
	out[n++] = KCORE_PIN_SLOTS; /* D60 */
	out[n++] = KCORE_PIN_MAX_PAGES;
}

void tk_s2page(u64 pfn, u64 *out3)
{
	struct s2page pg = s2page_get(pfn);

	out3[0] = pg.owner;
	out3[1] = pg.count;
	out3[2] = pg.gfn;
}

void tk_s2page_dump(u64 *out)
{
	for (u64 i = 0; i < kc.ram_pages; i++)
		tk_s2page((KCORE_RAM_BASE >> PAGE_SHIFT) + i, out + 3 * i);
}

void tk_lookup(u32 p, u64 gfn, u64 *out3)
{
	u32 level = 0;
	u64 d = tk_walk_leaf(tk_live_mem, kc.npt[p].root, 0, gfn << PAGE_SHIFT, &level);

	out3[0] = out3[1] = out3[2] = 0;
	if (!d)
		return;
	out3[0] = ((d & PHYS_MASK) >> PAGE_SHIFT) + (level == 2 ? (gfn & 511) : 0);
	out3[1] = level;
	out3[2] = d;
}

struct collect {
	u64 *out;
	u64 n, max;
	u32 words;
};

static void collect_leaf(u64 gfn, u64 pfn, u32 level, u64 pte, void *arg)
{
	struct collect *c = arg;

	if (c->n < c->max) {
		u64 *o = c->out + c->n * c->words;

		o[0] = gfn;
		o[1] = pfn;
		if (c->words == 4) {
			o[2] = level;
			o[3] = pte;
		} else {
			o[2] = pte;
		}
	}
	c->n++;
}

u64 tk_mappings(u32 p, u64 *out, u64 max)
{
	struct collect c = { out, 0, max, 4 };

	tk_walk_leaves(tk_live_mem, kc.npt[p].root, 0, collect_leaf, &c);
	return c.n;
}

void tk_npt_ptrs(u32 p, u64 *out3)
{
	out3[0] = kc.npt[p].pgd_next;
	out3[1] = kc.npt[p].pud_next;
	out3[2] = kc.npt[p].pmd_next;
}

void tk_vminfo(u32 vmid, u64 *out)
{
	const struct vm_info *v = &kc.vminfo[vmid];
	u32 n = 0;

	out[n++] = v->state;
	for (u32 i = 0; i < KCORE_MAX_VCPUS; i++)
		out[n++] = v->vcpu_state[i];
	out[n++] = v->boot.next_load_info;
	for (u32 i = 0; i < MAX_LOAD_INFO_NUM; i++)
		out[n++] = v->boot.load_addr[i];
	for (u32 i = 0; i < MAX_LOAD_INFO_NUM; i++)
		out[n++] = v->boot.load_size[i];
	for (u32 i = 0; i < MAX_LOAD_INFO_NUM; i++)
		out[n++] = v->boot.remap_addr[i];
	for (u32 i = 0; i < MAX_LOAD_INFO_NUM; i++)
		out[n++] = v->boot.mapped_pages[i];
	out[n++] = v->boot.inc_exe;
}

void tk_core_data(u64 *out3)
{
	out3[0] = kc.core.next_vmid;
	out3[1] = kc.core.next_remap_ptr;
	out3[2] = kc.core.vmid_used; /* D68 */
}

void tk_vm_counts(u64 *pages, u64 *generation)
{
	for (u32 v = 0; v < COREVISOR; v++) {
		pages[v] = kc.vm_pages[v];
		generation[v] = kc.vm_generation[v];
	}
}

void tk_smmu(u64 *vmids, u64 *nr_mapped)
{
	for (u32 i = 0; i < EL2_SMMU_CFG_SIZE; i++) {
		vmids[i] = kc.smmu_vmid[i];
		nr_mapped[i] = kc.smmu_nr_mapped[i];
	}
}

/* D42: the core's attached streams as (index, stream, cbndx) triples;
 * returns how many (at most max). (tk_check_all checks that the fake
 * SMMU's stream table follows them.) */
u64 tk_streams(u64 *out3, u64 max)
{
	u64 n = 0;

	for (u32 i = 0; i < KCORE_SMMU_NUM; i++)
		for (u32 s = 0; s < KCORE_SMMU_STREAMS && n < max; s++)
			if (kc.smmu_stream[i][s] != SMMU_NO_CTX) {
				out3[3 * n] = i;
				out3[3 * n + 1] = s;
				out3[3 * n + 2] = kc.smmu_stream[i][s];
				n++;
			}
	return n;
}

u64 tk_pins(u64 *out2, u64 max)
{
	for (u32 i = 0; i < KCORE_PIN_SLOTS && i < max; i++) {
		out2[2 * i] = kc.pin[i].base;
		out2[2 * i + 1] = kc.pin[i].size;
	}
	return kc.pinned_pages;
}

void tk_spt_ptrs(u64 *out2)
{
	out2[0] = kc.spt.pgd_next;
	out2[1] = kc.spt.pmd_next;
}

void tk_spt_lookup(u32 index, u32 cbndx, u64 gfn, u64 *out2)
{
	u32 level;
	u64 d = tk_walk_leaf(tk_live_mem, spt_root(index, cbndx), 1, gfn << PAGE_SHIFT, &level);

	out2[0] = d ? (d & PHYS_MASK) >> PAGE_SHIFT : 0;
	out2[1] = d;
}

u64 tk_spt_mappings(u32 index, u32 cbndx, u64 *out, u64 max)
{
	struct collect c = { out, 0, max, 3 };

	tk_walk_leaves(tk_live_mem, spt_root(index, cbndx), 1, collect_leaf, &c);
	return c.n;
}

void tk_shadow(u32 vmid, u32 vcpuid, u64 *out)
{
	memcpy(out, kc.shadow[vmid][vcpuid].r, sizeof(kc.shadow[vmid][vcpuid].r));
}

u64 tk_page_word(u64 pfn)
{
	const u64 *p = fake_ram(pfn << PAGE_SHIFT);

	return p ? *p : 0;
}

void tk_page_read(u64 pfn, u8 *out)
{
	const u8 *p = fake_ram(pfn << PAGE_SHIFT);

	if (p)
		memcpy(out, p, PAGE_SIZE);
	else
		memset(out, 0, PAGE_SIZE);
}

int tk_page_is_zero(u64 pfn)
{
	const u64 *p = fake_ram(pfn << PAGE_SHIFT);

	if (!p)
		return 1;
	for (u32 i = 0; i < PAGE_SIZE / 8; i++)
		if (p[i])
			return 0;
	return 1;
}
