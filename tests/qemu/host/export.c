/* SCENARIO_EXPORT: encrypted export and import of VM state (D41,
 * docs/abi.md "Encrypted export"). A blob opens only for the VM, the kind
 * and the slot (page gfn, vCPU index) it was sealed for, and only intact;
 * a refused import changes nothing. */
#include "kcore/abi.h"
#include "kcore/errno.h"

#include "fmt.h"
#include "hostlib.h"
#include "scenario.h"

#define PAGE 4096UL
#define PLAIN 0x56000000UL   /* the page the VM gets through its device context */
#define BLOB 0x56010000UL    /* the page blob: ciphertext, then the header page */
#define COPY 0x56020000UL    /* tampered copies of the blob */
#define VBLOB 0x56030000UL   /* a vCPU blob */
#define VCOPY 0x56031000UL
#define WORD0 0x5E570E3D00000001UL
#define WORD_LAST 0x5E570E3DFFFFFFFFUL

static volatile u64 *at(u64 pa)
{
	return (volatile u64 *)(uintptr_t)pa;
}

static void copy_pages(u64 dst, u64 src, u64 n)
{
	for (u64 i = 0; i < n * PAGE / 8; i++)
		at(dst)[i] = at(src)[i];
}

static bool same_pages(u64 a, u64 b, u64 n)
{
	for (u64 i = 0; i < n * PAGE / 8; i++)
		if (at(a)[i] != at(b)[i])
			return false;
	return true;
}

static long new_ready_vm(u32 nvcpu)
{
	long vmid = host_hvc(KCORE_HC_GEN_VMID, 0, 0, 0, 0, 0);

	host_hvc(KCORE_HC_REGISTER_KVM, (u64)vmid, 0, 0, 0, 0);
	for (u32 i = 0; i < nvcpu; i++)
		host_hvc(KCORE_HC_REGISTER_VCPU, (u64)vmid, i, 0, 0, 0);
	return vmid;
}

/* A blob copy with one bit flipped (at byte `off` of the two pages) must
 * be refused and change nothing: the copy stays the host's, unchanged. */
static void refused_copy(long vmid, u64 off, const char *what)
{
	u64 before = aborts;
	long r;

	copy_pages(COPY, BLOB, 2);
	if (off != ~0UL)
		((volatile u8 *)(uintptr_t)COPY)[off] ^= 0x10;
	r = call(what, KCORE_HC_LOAD_DECRYPT_BUF, (u64)vmid, COPY, 0, 0);
	check(r == -KE_AUTH && aborts == before && at(COPY)[1] == at(BLOB)[1] + 0 * off,
	      "page blob refused, the host keeps its page");
}

u64 export_page_checks(long vmid, u64 gfn, u64 *assigned)
{
	long other = new_ready_vm(1);
	u64 before;
	bool ok;

	/* the VM's page: written by the host, then given to the VM through a
	 * device context (the way a READY VM gets a page before it runs) */
	for (u64 i = 0; i < PAGE / 8; i++)
		at(PLAIN)[i] = WORD0 + i;
	at(PLAIN)[PAGE / 8 - 1] = WORD_LAST;
	ok = call("SMMU_ALLOC(0, vmid, 0)", KCORE_HC_SMMU_ALLOC, 0, (u64)vmid, 0, 0) == 0;
	ok &= call("SMMU_ASSIGN(0, 0, page, gfn)", KCORE_HC_SMMU_ASSIGN, 0, 0, PLAIN >> 12, gfn) == 0;
	check(ok, "a page of the READY VM (through its device context)");
	*assigned = PLAIN;
	for (u64 i = 0; i < 2 * PAGE / 8; i++)
		at(BLOB)[i] = 0;
	/* the host pages for the blob must both be the host's */
	check(call("SAVE_ENCRYPT_BUF(vmid, page, KCore's page)", KCORE_HC_SAVE_ENCRYPT_BUF, (u64)vmid,
		   PLAIN, 0x40200000UL - PAGE, 0) == -KE_OWNER, "a blob into KCore's memory is refused");
	check(call("SAVE_ENCRYPT_BUF(vmid, page, blob)", KCORE_HC_SAVE_ENCRYPT_BUF, (u64)vmid, PLAIN,
		   BLOB, 0) == 0, "page exported");
	before = aborts;
	check(at(BLOB)[0] != WORD0 && at(BLOB)[1] != WORD0 + 1 && at(BLOB + PAGE)[0] == KCORE_BLOB_MAGIC &&
		      aborts == before,
	      "the host sees ciphertext and the header");
	hprintf("host: blob header: vmid %lu, gfn 0x%lx, nonce %lu\n", at(BLOB + PAGE)[2] & 0xFFFFFFFF,
		at(BLOB + PAGE)[3], at(BLOB + PAGE)[4] & 0xFF);
	refused_copy(vmid, 100, "LOAD_DECRYPT_BUF, one ciphertext bit flipped");
	refused_copy(vmid, PAGE + 24, "LOAD_DECRYPT_BUF, header: another gfn (slot)");
	refused_copy(vmid, PAGE + 40, "LOAD_DECRYPT_BUF, header: one nonce bit flipped");
	refused_copy(vmid, PAGE + 60, "LOAD_DECRYPT_BUF, header: one tag bit flipped");
	copy_pages(COPY, BLOB, 2);
	check(call("LOAD_DECRYPT_BUF(another VM, blob)", KCORE_HC_LOAD_DECRYPT_BUF, (u64)other, COPY,
		   0, 0) == -KE_AUTH && same_pages(COPY, BLOB, 2),
	      "page blob replayed into another VM refused");
	check(call("LOAD_DECRYPT_BUF(vmid, blob)", KCORE_HC_LOAD_DECRYPT_BUF, (u64)vmid, BLOB, 0, 0) ==
		      0,
	      "page blob imported");
	before = aborts;
	(void)at(BLOB)[0];
	check(aborts == before + 1, "the imported page is the VM's: the host's read is refused");
	return BLOB;
}

void export_vcpu_checks(void)
{
	long b = new_ready_vm(2), c = new_ready_vm(1);
	u64 before;

	hprintf("host: vCPU blobs of vm%ld (vm%ld for the replay)\n", b, c);
	check(call("SAVE_ENCRYPTED_VCPU(vm, 0, blob)", KCORE_HC_SAVE_ENCRYPTED_VCPU, (u64)b, 0, VBLOB,
		   0) == 0 && at(VBLOB)[0] == KCORE_BLOB_MAGIC,
	      "vCPU exported");
	check(call("SAVE_ENCRYPTED_VCPU(vm, 2, blob)", KCORE_HC_SAVE_ENCRYPTED_VCPU, (u64)b, 2, VBLOB,
		   0) == -KE_STATE, "an unregistered vCPU is not exported");
	copy_pages(VCOPY, VBLOB, 1);
	((volatile u8 *)(uintptr_t)VCOPY)[64 + 77] ^= 1;
	check(call("LOAD_ENCRYPTED_VCPU(vm, 0, tampered)", KCORE_HC_LOAD_ENCRYPTED_VCPU, (u64)b, 0,
		   VCOPY, 0) == -KE_AUTH, "vCPU blob with one bit flipped refused");
	check(call("LOAD_ENCRYPTED_VCPU(vm, 1, blob)", KCORE_HC_LOAD_ENCRYPTED_VCPU, (u64)b, 1, VBLOB,
		   0) == -KE_AUTH, "vCPU blob replayed into another vCPU refused");
	check(call("LOAD_ENCRYPTED_VCPU(other vm, 0, blob)", KCORE_HC_LOAD_ENCRYPTED_VCPU, (u64)c, 0,
		   VBLOB, 0) == -KE_AUTH, "vCPU blob replayed into another VM refused");
	check(call("LOAD_ENCRYPTED_VCPU(vm, 0, blob)", KCORE_HC_LOAD_ENCRYPTED_VCPU, (u64)b, 0, VBLOB,
		   0) == 0, "vCPU blob imported");
	before = aborts;
	check(at(VBLOB)[0] == KCORE_BLOB_MAGIC && aborts == before, "the vCPU blob stays the host's");
	/* a second export of the restored vCPU: a fresh nonce */
	check(call("SAVE_ENCRYPTED_VCPU(vm, 0, copy)", KCORE_HC_SAVE_ENCRYPTED_VCPU, (u64)b, 0, VCOPY,
		   0) == 0 && at(VCOPY)[4] != at(VBLOB)[4],
	      "a second export uses a new nonce");
}
