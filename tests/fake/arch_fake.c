/* Fake arch for host tests: see tests/fake/fake.h. */
#define _GNU_SOURCE /* memfd_create */
#include <sched.h>
#include <sys/mman.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fake.h"
#include "kcore/arch.h"
#include "kcore/core.h"
#include "kcore/smmu_hw.h"
#include "kcore/state.h"

static u8 *ram;
/* RAM is a shared memory file, so that the remap window can show its
 * frames a second time, contiguously, as KCore's EL2 table does. */
static int ram_fd = -1;
static u8 *window;
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
static void record(u32 kind, u32 a, u32 b, u64 addr);

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

/* The window as KCore's table (COREVISOR's npt) maps it right now: each
 * page of [va, va + len) shows its frame (read-only, shared with RAM), or
 * nothing (a read faults: a bug in the caller). */
const void *arch_remap_window(u64 va, u64 len)
{
	u64 first = va & ~(PAGE_SIZE - 1);

	if (va < KCORE_REMAP_START || len > KCORE_REMAP_END - va)
		arch_halt("remap window read out of range", va, len);
	/* Recorded: the window is read only to authenticate an image, so
	 * this event marks the check in the sequence the tests verify. */
	record(FAKE_REMAP_READ, (u32)len, 0, va);
	for (u64 a = first; a < va + len; a += PAGE_SIZE) {
		pfn_t pfn = npt_lookup(COREVISOR, a >> PAGE_SHIFT).pfn;
		u8 *at = window + (a - KCORE_REMAP_START);
		u64 pa = pfn << PAGE_SHIFT;
		void *m;

		if (fake_ram(pa))
			m = mmap(at, PAGE_SIZE, PROT_READ, MAP_SHARED | MAP_FIXED, ram_fd,
				 (off_t)(pa - KCORE_RAM_BASE));
		else
			m = mmap(at, PAGE_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		if (m == MAP_FAILED)
			arch_halt("fake remap window: mmap", a, pa);
	}
	return window + (va - KCORE_REMAP_START);
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
/* D68: recorded; the fake's window shows what COREVISOR's table maps at
 * each read, so there is nothing to drop. */
void arch_vm_destroyed(vmid_t vmid) { record(FAKE_VM_DESTROYED, vmid, 0, 0); }
void arch_remap_window_released(u64 va, u64 pages) { record(FAKE_WINDOW_RELEASED, (u32)pages, 0, va); }
void smmu_hw_tlbi(u32 index, u32 cbndx, u64 iova) { record(FAKE_SMMU_TLBI, index, cbndx, iova); }
void smmu_hw_tlbi_ctx(u32 index, u32 cbndx) { record(FAKE_SMMU_TLBI_CTX, index, cbndx, 0); }

/* The fake SMMU: a stream table of context numbers (reset with the machine). */
static u32 stream_ctx[KCORE_SMMU_NUM][KCORE_SMMU_STREAMS];

static void fake_streams_reset(void)
{
	for (u32 i = 0; i < KCORE_SMMU_NUM; i++)
		for (u32 s = 0; s < KCORE_SMMU_STREAMS; s++)
			stream_ctx[i][s] = FAKE_STREAM_DETACHED;
}

u32 fake_stream_ctx(u32 index, u32 stream) { return stream_ctx[index][stream]; }
bool smmu_hw_available(void) { return true; }
/* D45: the fake machine has an SMMU; a test may take the policy away. */
bool fake_dma_policy_allows_vms = true;
static const u8 fake_salt[32];
bool arch_dma_policy_allows_vms(void) { return fake_dma_policy_allows_vms; }

void smmu_hw_attach(u32 index, u32 stream, u32 cbndx)
{
	if (index >= KCORE_SMMU_NUM || stream >= KCORE_SMMU_STREAMS || cbndx >= KCORE_SMMU_MAX_CFG)
		arch_halt("fake smmu: attach out of range", stream, cbndx);
	stream_ctx[index][stream] = cbndx;
	record(FAKE_SMMU_ATTACH, index, cbndx, stream);
}

void smmu_hw_detach(u32 index, u32 stream)
{
	if (index >= KCORE_SMMU_NUM || stream >= KCORE_SMMU_STREAMS)
		arch_halt("fake smmu: detach out of range", index, stream);
	stream_ctx[index][stream] = FAKE_STREAM_DETACHED;
	record(FAKE_SMMU_DETACH, index, 0, stream);
}

/* KCore cleans every page it writes outside its region (a scrub, an
 * exported blob, a decrypted page), so reset zeroes those pages too. */
void arch_dcache_clean_page(phys_addr_t pa)
{
	record(FAKE_DCACHE_CLEAN, 0, 0, pa);
	(void)fake_ram_write(pa);
}
/* QEMU and this fake have no cache model: the calls are recorded, so the
 * tests check that they are made, on which pages, and in which order. */
void arch_dcache_clean_inval_poc(phys_addr_t pa, u64 size)
{
	if (pa % PAGE_SIZE || size % PAGE_SIZE || size == 0 || size > 0xFFFFFFFFUL)
		arch_halt("fake: clean+invalidate of a range that is not whole pages", pa, size);
	record(FAKE_DCACHE_CLEAN_INVAL, (u32)size, 0, pa);
}
void arch_icache_inval_all(void) { record(FAKE_ICACHE_INVAL, 0, 0, 0); }
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

const struct phys_range *fake_core_more;
u32 fake_core_more_num;

void fake_machine_reset(void)
{
	static const struct phys_range host_mmio[] = FAKE_HOST_MMIO;
	struct kcore_boot_params p;

	if (!ram) {
		ram_fd = memfd_create("kcore-fake-ram", 0);
		if (ram_fd < 0 || ftruncate(ram_fd, FAKE_RAM_SIZE) != 0) {
			perror("fake RAM");
			abort();
		}
		ram = mmap(NULL, FAKE_RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, ram_fd, 0);
		window = mmap(NULL, KCORE_REMAP_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (ram == MAP_FAILED || window == MAP_FAILED) {
			perror("fake RAM");
			abort();
		}
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
	fake_dma_policy_allows_vms = true;
	p.ram_base = KCORE_RAM_BASE;
	p.ram_size = FAKE_RAM_SIZE;
	p.core_start = KCORE_RAM_BASE + FAKE_RAM_SIZE - FAKE_CORE_SIZE;
	p.core_end = KCORE_RAM_BASE + FAKE_RAM_SIZE;
	p.pool_base = p.core_start + (1UL << 20); /* after a pretend 1 MB image */
	p.host_mmio = host_mmio;
	p.host_mmio_num = sizeof(host_mmio) / sizeof(host_mmio[0]);
	p.core_more = fake_core_more;
	p.core_more_num = fake_core_more_num;
	kcore_init(&p);
	/* D52: a boot salt (all zero, as the model's export.py assumes), so that
	 * SAVE_* works; tests of its refusal clear it (kcore_set_boot_salt). */
	kcore_set_boot_salt(fake_salt, sizeof(fake_salt));
	nevents = 0;
}
