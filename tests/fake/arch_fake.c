/* Fake arch for host tests: see tests/fake/fake.h. */
#include <sched.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake.h"
#include "kcore/arch.h"
#include "kcore/state.h"

static u8 *ram;
/* Pages the tests wrote outside KCore's region, to be zeroed on reset (the
 * core itself only ever writes zeros outside its region). */
static u8 touched[FAKE_RAM_SIZE / PAGE_SIZE];
#define MAX_EVENTS 65536
static struct fake_event events[MAX_EVENTS];
static u32 nevents;
/* Which fake CPU this thread is (the SMP stress test runs one per thread). */
static _Thread_local u32 fake_cpu;
void (*fake_event_hook)(const struct fake_event *e);
void *fake_halt_jmp;
const char *fake_halt_reason;

void *fake_ram(u64 pa)
{
	if (pa < KCORE_RAM_BASE || pa - KCORE_RAM_BASE >= FAKE_RAM_SIZE)
		return NULL;
	return ram + (pa - KCORE_RAM_BASE);
}

void *fake_ram_write(u64 pa)
{
	void *p = fake_ram(pa);

	if (p)
		touched[(pa - KCORE_RAM_BASE) / PAGE_SIZE] = 1;
	return p;
}

void *arch_phys_to_virt(phys_addr_t pa)
{
	void *p = fake_ram(pa);

	if (!p)
		arch_halt("phys_to_virt outside RAM", pa, 0);
	return p;
}

static void record(u32 kind, u32 a, u32 b, u64 addr)
{
	struct fake_event e = { kind, a, b, addr };
	u32 i = __atomic_fetch_add(&nevents, 1, __ATOMIC_RELAXED);

	if (i < MAX_EVENTS)
		events[i] = e;
	else
		__atomic_store_n(&nevents, MAX_EVENTS, __ATOMIC_RELAXED);
	if (fake_event_hook)
		fake_event_hook(&e);
}

void arch_tlbi_s2_ipa(vmid_t vmid, ipa_t ipa) { record(FAKE_TLBI_S2_IPA, vmid, 0, ipa); }
void arch_tlbi_s2_vmid(vmid_t vmid) { record(FAKE_TLBI_S2_VMID, vmid, 0, 0); }
void arch_tlbi_el2_va(u64 va) { record(FAKE_TLBI_EL2_VA, COREVISOR, 0, va); }
void arch_smmu_tlbi(u32 index, u32 cbndx, u64 iova) { record(FAKE_SMMU_TLBI, index, cbndx, iova); }
void arch_smmu_tlbi_ctx(u32 index, u32 cbndx) { record(FAKE_SMMU_TLBI_CTX, index, cbndx, 0); }

/* The fake SMMU: a stream table of context numbers (reset with the machine). */
static u32 stream_ctx[KCORE_SMMU_NUM][KCORE_SMMU_STREAMS];

static void fake_streams_reset(void)
{
	for (u32 i = 0; i < KCORE_SMMU_NUM; i++)
		for (u32 s = 0; s < KCORE_SMMU_STREAMS; s++)
			stream_ctx[i][s] = FAKE_STREAM_DETACHED;
}

u32 fake_stream_ctx(u32 index, u32 stream) { return stream_ctx[index][stream]; }
bool arch_smmu_available(void) { return true; }

void arch_smmu_attach(u32 index, u32 stream, u32 cbndx)
{
	if (index >= KCORE_SMMU_NUM || stream >= KCORE_SMMU_STREAMS || cbndx >= KCORE_SMMU_MAX_CFG)
		arch_halt("fake smmu: attach out of range", stream, cbndx);
	stream_ctx[index][stream] = cbndx;
	record(FAKE_SMMU_ATTACH, index, cbndx, stream);
}

void arch_smmu_detach(u32 index, u32 stream)
{
	if (index >= KCORE_SMMU_NUM || stream >= KCORE_SMMU_STREAMS)
		arch_halt("fake smmu: detach out of range", index, stream);
	stream_ctx[index][stream] = FAKE_STREAM_DETACHED;
	record(FAKE_SMMU_DETACH, index, 0, stream);
}

void arch_dcache_clean_page(phys_addr_t pa) { record(FAKE_DCACHE_CLEAN, 0, 0, pa); }
u64 arch_actlr_el1(void) { return FAKE_ACTLR; }
u32 arch_cpu_id(void) { return fake_cpu; }
void fake_set_cpu(u32 cpu) { fake_cpu = cpu; }
/* More threads than cores: let the lock holder run. */
void arch_cpu_relax(void) { sched_yield(); }

void arch_halt(const char *why, u64 a, u64 b)
{
	static char buf[256];

	snprintf(buf, sizeof(buf), "KCORE HALT: %s (0x%llx, 0x%llx)", why,
		 (unsigned long long)a, (unsigned long long)b);
	fake_halt_reason = buf;
	if (fake_halt_jmp)
		longjmp(*(jmp_buf *)fake_halt_jmp, 1);
	fprintf(stderr, "%s\n", buf);
	abort();
}

u32 fake_events_count(void) { return nevents < MAX_EVENTS ? nevents : MAX_EVENTS; }
const struct fake_event *fake_events(void) { return events; }
void fake_events_clear(void) { nevents = 0; }

void fake_machine_reset(void)
{
	struct kcore_boot_params p;

	if (!ram) {
		ram = aligned_alloc(PAGE_SIZE, FAKE_RAM_SIZE);
		if (!ram) {
			perror("fake RAM");
			abort();
		}
		memset(ram, 0, FAKE_RAM_SIZE);
	}
	/* Zero what may be non-zero: KCore's region and the pages tests wrote. */
	memset(ram + FAKE_RAM_SIZE - FAKE_CORE_SIZE, 0, FAKE_CORE_SIZE);
	for (u64 i = 0; i < FAKE_RAM_SIZE / PAGE_SIZE; i++) {
		if (touched[i])
			memset(ram + i * PAGE_SIZE, 0, PAGE_SIZE);
		touched[i] = 0;
	}
	nevents = 0;
	fake_streams_reset();
	p.ram_base = KCORE_RAM_BASE;
	p.ram_size = FAKE_RAM_SIZE;
	p.core_start = KCORE_RAM_BASE + FAKE_RAM_SIZE - FAKE_CORE_SIZE;
	p.core_end = KCORE_RAM_BASE + FAKE_RAM_SIZE;
	p.pool_base = p.core_start + (1UL << 20); /* after a pretend 1 MB image */
	kcore_init(&p);
	nevents = 0;
}
