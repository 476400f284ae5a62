/* Boot: the initial state of docs/deviations.md ("Initial state"). RAM is
 * the host's, KCore's own memory (image, data, every pool) is COREVISOR's,
 * all tables are empty, no VM exists. */
#include "kcore/arch.h"
#include "kcore/smmu.h"
#include "kcore/state.h"

#include "page.h"

struct kcore kc;

static bool page_aligned(u64 x)
{
	return (x & (PAGE_SIZE - 1)) == 0;
}

/* D44: an allow-list range is page aligned, not empty, does not wrap, lies
 * outside RAM and overlaps no other range. */
static void init_check_mmio_range(const struct kcore_boot_params *p, u32 i)
{
	const struct phys_range *r = &p->host_mmio[i];
	u64 ram_end = p->ram_base + p->ram_size;

	if (!page_aligned(r->base) || !page_aligned(r->size) || r->size == 0 ||
	    r->base + r->size < r->base)
		arch_halt("kcore_init: bad MMIO range", r->base, r->size);
	if (r->base < ram_end && p->ram_base < r->base + r->size)
		arch_halt("kcore_init: MMIO range overlaps RAM", r->base, r->size);
	for (u32 j = 0; j < i; j++) {
		const struct phys_range *o = &p->host_mmio[j];

		if (r->base < o->base + o->size && o->base < r->base + r->size)
			arch_halt("kcore_init: MMIO ranges overlap", r->base, o->base);
	}
}

/* The boot code's parameters must describe a layout KCore was built for;
 * anything else is a build or boot-loader bug, not a request (R5). */
static void init_check_params(const struct kcore_boot_params *p)
{
	u64 ram_end = p->ram_base + p->ram_size;

	if (p->ram_base != KCORE_RAM_BASE || p->ram_size == 0 ||
	    p->ram_size > KCORE_RAM_MAX_PAGES * PAGE_SIZE || !page_aligned(p->ram_size))
		arch_halt("kcore_init: bad RAM", p->ram_base, p->ram_size);
	if (!page_aligned(p->core_start) || !page_aligned(p->core_end) ||
	    !page_aligned(p->pool_base))
		arch_halt("kcore_init: misaligned core", p->core_start, p->pool_base);
	if (p->core_start < p->ram_base || p->core_start >= p->core_end || p->core_end > ram_end)
		arch_halt("kcore_init: core outside RAM", p->core_start, p->core_end);
	if (p->pool_base < p->core_start || p->pool_base >= p->core_end ||
	    p->core_end - p->pool_base < layout_pool_bytes())
		arch_halt("kcore_init: pools do not fit", p->pool_base, p->core_end);
	if (p->host_mmio_num > KCORE_HOST_MMIO_MAX)
		arch_halt("kcore_init: MMIO allow-list too long", p->host_mmio_num, KCORE_HOST_MMIO_MAX);
	for (u32 i = 0; i < p->host_mmio_num; i++)
		init_check_mmio_range(p, i);
	if (p->core_more_num > KCORE_CORE_MORE_MAX)
		arch_halt("kcore_init: too many core ranges", p->core_more_num, KCORE_CORE_MORE_MAX);
	for (u32 i = 0; i < p->core_more_num; i++) {
		const struct phys_range *r = &p->core_more[i];

		if (!page_aligned(r->base) || !page_aligned(r->size) || r->size == 0 ||
		    r->base < p->ram_base || r->base > ram_end || r->size > ram_end - r->base)
			arch_halt("kcore_init: core range outside RAM", r->base, r->size);
	}
}

/* Every RAM page is the host's, mapped (later, on fault) at its own
 * address; KCore's memory is COREVISOR's and backs no guest frame. */
static void init_s2page(const struct kcore_boot_params *p)
{
	pfn_t base = KCORE_RAM_BASE >> PAGE_SHIFT;
	pfn_t core_lo = kc.core_start >> PAGE_SHIFT;
	pfn_t core_hi = kc.core_end >> PAGE_SHIFT;

	for (u64 i = 0; i < KCORE_RAM_MAX_PAGES; i++) {
		struct s2page *pg = &kc.s2page[i];
		pfn_t pfn = base + i;

		pg->count = 0;
		if (i >= kc.ram_pages) {
			pg->owner = INVALID;
			pg->gfn = INVALID64;
		} else if (pfn >= core_lo && pfn < core_hi) {
			pg->owner = COREVISOR;
			pg->gfn = INVALID64;
		} else {
			pg->owner = HOSTVISOR;
			pg->gfn = pfn + SMMU_HOST_OFFSET;
		}
	}
	for (u32 r = 0; r < p->core_more_num; r++) {
		pfn_t first = p->core_more[r].base >> PAGE_SHIFT;

		for (u64 i = 0; i < p->core_more[r].size >> PAGE_SHIFT; i++) {
			kc.s2page[first - base + i].owner = COREVISOR;
			kc.s2page[first - base + i].gfn = INVALID64;
		}
	}
	/* D60: every count is 0, so no extent is pinned. */
	for (u32 slot = 0; slot < KCORE_PIN_SLOTS; slot++)
		kc.pin[slot] = (struct phys_range){ 0, 0 };
	kc.pinned_pages = 0;
}

static void init_zero_bytes(void *p, u64 n)
{
	u8 *b = p;

	for (u64 i = 0; i < n; i++)
		b[i] = 0;
}

/* No VM: every vminfo UNUSED, vmids from 1, the remap window unused. */
static void init_vms(void)
{
	init_zero_bytes(kc.vminfo, sizeof(kc.vminfo));
	kc.core.next_vmid = 1;
	kc.core.vmid_used = 0;
	kc.core.next_remap_ptr = KCORE_REMAP_START;
	/* D68: no VM owns a page; no id was destroyed yet in this boot. */
	init_zero_bytes(kc.vm_pages, sizeof(kc.vm_pages));
	init_zero_bytes(kc.vm_generation, sizeof(kc.vm_generation));
	for (u32 i = 0; i < EL2_SMMU_CFG_SIZE; i++) {
		kc.smmu_vmid[i] = INVALID;
		kc.smmu_nr_mapped[i] = 0;
	}
	for (u32 i = 0; i < KCORE_SMMU_NUM; i++)
		for (u32 s = 0; s < KCORE_SMMU_STREAMS; s++)
			kc.smmu_stream[i][s] = SMMU_NO_CTX;
}

/* Shadow contexts: all 0, and a VM vCPU's dirty word says "never run". */
static void init_shadow(void)
{
	init_zero_bytes(kc.shadow, sizeof(kc.shadow));
	for (vmid_t vmid = 1; vmid < COREVISOR; vmid++)
		for (u32 v = 0; v < KCORE_MAX_VCPUS; v++)
			kc.shadow[vmid][v].r[DIRTY] = INVALID64;
}

static void init_zero_pools(void)
{
	for (phys_addr_t pa = kc.pool_base; pa < spt_pool_end(); pa += PAGE_SIZE)
		page_zero(pa);
}

void kcore_init(const struct kcore_boot_params *p)
{
	init_check_params(p);
	init_zero_bytes(&kc.locks, sizeof(kc.locks));
	kc.ram_pages = p->ram_size >> PAGE_SHIFT;
	kc.core_start = p->core_start;
	kc.core_end = p->core_end;
	kc.pool_base = p->pool_base;
	kc.host_mmio_num = p->host_mmio_num;
	for (u32 i = 0; i < p->host_mmio_num; i++)
		kc.host_mmio[i] = p->host_mmio[i];
	init_s2page(p);
	init_vms();
	init_shadow();
	init_zero_bytes(&kc.spt, sizeof(kc.spt));
	init_zero_pools();
	npt_init();
	spt_init();
}
