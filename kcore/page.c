/* Page scrubbing (page.h). */
#include "kcore/arch.h"
#include "kcore/constants.h"

#include "page.h"

void page_zero(phys_addr_t pa)
{
	u64 *p;

	if (pa & (PAGE_SIZE - 1))
		arch_halt("page_zero: unaligned", pa, 0);
	p = arch_phys_to_virt(pa);
	for (u64 i = 0; i < PAGE_SIZE / sizeof(u64); i++)
		p[i] = 0;
	arch_dcache_clean_page(pa);
}
