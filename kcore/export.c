/* The ciphers of exported VM state (D41): ChaCha20-Poly1305 (crypto/aead.h)
 * under a per-VM export key that never leaves EL2.
 *
 * Key: the first 32 bytes of HMAC-SHA512(device secret, "KCORE export key
 * v2" || vmid (u32 LE) || generation (u32 LE) || boot salt). A VM id is
 * reused within a boot only after DESTROY_VM, which moves its generation on
 * (D68), and the boot salt differs from boot to boot, so each VM instance
 * has its own key. The key is derived for each blob on the stack and wiped right
 * after: no key is stored, so none outlives its VM.
 *
 * Nonce: the VM's export counter (vm_info.export_seq, under INFO(vmid)),
 * little-endian, then 4 zero bytes. The counter only grows (a u64 never
 * wraps), and the key is the VM instance's own, so a (key, nonce) pair
 * never seals two blobs.
 *
 * Associated data: the blob header's first 48 bytes (include/kcore/abi.h):
 * the kind, the VM id, the page's gfn or the vCPU's index, the nonce and
 * the length. A blob opens only for the VM, kind and slot it was made for. */
#include "crypto/aead.h"
#include "crypto/hmac.h"
#include "kcore/abi.h"
#include "kcore/arch.h"
#include "kcore/core.h"
#include "kcore/errno.h"
#include "kcore/image.h"
#include "kcore/state.h"

#include "page.h"

_Static_assert(sizeof(struct kcore_blob_header) == 64, "blob header: 64 bytes");
_Static_assert(64 + KCORE_BLOB_VCPU_BYTES <= PAGE_SIZE, "a vCPU blob fits one page");

static const char export_label[] = "KCORE export key v2";
#define LABEL_LEN (sizeof(export_label) - 1)

static void bytes_copy(void *dst, const void *src, u64 n)
{
	u8 *d = dst;
	const u8 *s = src;

	for (u64 i = 0; i < n; i++)
		d[i] = s[i];
}

/* n 8-byte words, both sides 8-byte aligned (a page, a context). */
static void words_copy(void *dst, const void *src, u64 n)
{
	u64 *d = dst;
	const u64 *s = src;

	for (u64 i = 0; i < n; i++)
		d[i] = s[i];
}

/* Needs INFO(vmid) (the generation). */
static void vm_export_key(vmid_t vmid, u8 key[AEAD_KEY_SIZE])
{
	u8 msg[LABEL_LEN + 8 + sizeof(kc.boot_salt)];
	u8 out[64];
	u32 gen = kc.vm_generation[vmid];

	bytes_copy(msg, export_label, LABEL_LEN);
	for (u32 i = 0; i < 4; i++) {
		msg[LABEL_LEN + i] = (u8)(vmid >> (8 * i));
		msg[LABEL_LEN + 4 + i] = (u8)(gen >> (8 * i)); /* D68 */
	}
	bytes_copy(msg + LABEL_LEN + 8, kc.boot_salt, sizeof(kc.boot_salt));
	hmac_sha512(kcore_device_secret, DEVICE_SECRET_SIZE, msg, sizeof(msg), out);
	bytes_copy(key, out, AEAD_KEY_SIZE);
	crypto_wipe(out, sizeof(out));
}

/* D52: a salt shorter than 16 bytes is too likely to repeat to stand for
 * "this boot". Called once by the platform, before the host runs (and by
 * the host tests' fake machine at every reset); never by a hypercall. */
void kcore_set_boot_salt(const u8 *seed, u32 len)
{
	u32 n = len < sizeof(kc.boot_salt) ? len : (u32)sizeof(kc.boot_salt);

	crypto_wipe(kc.boot_salt, sizeof(kc.boot_salt));
	if (seed)
		bytes_copy(kc.boot_salt, seed, n);
	kc.boot_salt_ok = seed && len >= 16;
}

bool export_salt_ok(void)
{
	return kc.boot_salt_ok != 0;
}

/* A new header: the next nonce of the VM's counter. */
static void blob_header_new(struct kcore_blob_header *h, u32 kind, vmid_t vmid, u64 index,
			    u32 length)
{
	u64 seq;

	lock_assert_held(INFO_ID + vmid);
	seq = kc.vminfo[vmid].export_seq++;
	h->magic = KCORE_BLOB_MAGIC;
	h->version = KCORE_BLOB_VERSION;
	h->kind = kind;
	h->vmid = vmid;
	h->generation = kc.vm_generation[vmid]; /* D68 */
	h->index = index;
	for (u32 i = 0; i < 12; i++)
		h->nonce[i] = i < 8 ? (u8)(seq >> (8 * i)) : 0;
	h->length = length;
}

static void blob_seal(vmid_t vmid, struct kcore_blob_header *h, const void *pt, void *ct)
{
	u8 key[AEAD_KEY_SIZE];

	vm_export_key(vmid, key);
	aead_seal(key, h->nonce, h, KCORE_BLOB_AD_SIZE, pt, h->length, ct, h->tag);
	crypto_wipe(key, sizeof(key));
}

static long blob_open(vmid_t vmid, const struct kcore_blob_header *h, const void *ct, void *pt)
{
	u8 key[AEAD_KEY_SIZE];
	int r;

	vm_export_key(vmid, key);
	r = aead_open(key, h->nonce, h, KCORE_BLOB_AD_SIZE, ct, h->length, h->tag, pt);
	crypto_wipe(key, sizeof(key));
	return r == 0 ? 0 : -KE_AUTH;
}

/* The ciphertext is sealed here, in KCore's memory, and only then copied
 * to the host: aead_seal reads the ciphertext back to compute the tag, and
 * the host (another CPU) could change its own page in between, getting a
 * tag over ciphertext of its choosing. One buffer per CPU. */
static u64 seal_buf[KCORE_MAX_CPUS][PAGE_SIZE / 8];

/* HighSpecs: the encryption oracle of local_save_encrypt_buf (D41) */
void vm_page_encrypt(vmid_t vmid, pfn_t src, pfn_t dst)
{
	struct kcore_blob_header h;
	u64 *ct = seal_buf[arch_cpu_id()];
	u8 *hp = arch_phys_to_virt((dst + 1) * PAGE_SIZE);

	lock_assert_held(S2PAGE_ID);
	blob_header_new(&h, KCORE_BLOB_PAGE, vmid, s2page_get(src).gfn, PAGE_SIZE);
	blob_seal(vmid, &h, arch_phys_to_virt(src * PAGE_SIZE), ct);
	words_copy(arch_phys_to_virt(dst * PAGE_SIZE), ct, PAGE_SIZE / 8);
	page_zero((dst + 1) * PAGE_SIZE);
	bytes_copy(hp, &h, sizeof(h));
	arch_dcache_clean_page(dst * PAGE_SIZE);
	arch_dcache_clean_page((dst + 1) * PAGE_SIZE);
}

long blob_header_check(pfn_t pfn, u32 kind, vmid_t vmid, u64 index, struct kcore_blob_header *h)
{
	u32 length = kind == KCORE_BLOB_PAGE ? PAGE_SIZE : KCORE_BLOB_VCPU_BYTES;

	bytes_copy(h, arch_phys_to_virt(pfn * PAGE_SIZE), sizeof(*h));
	if (h->magic != KCORE_BLOB_MAGIC || h->version != KCORE_BLOB_VERSION || h->kind != kind ||
	    h->vmid != vmid || h->generation != kc.vm_generation[vmid] || h->length != length)
		return -KE_AUTH;
	if (index == INVALID64 ? h->index >= (KVM_ADDR_SPACE >> PAGE_SHIFT) : h->index != index)
		return -KE_AUTH;
	return 0;
}

/* HighSpecs: the decryption oracle of local_load_decrypt_buf (D41): in place */
long vm_page_decrypt(vmid_t vmid, pfn_t page, const struct kcore_blob_header *h)
{
	void *p = arch_phys_to_virt(page * PAGE_SIZE);
	long ret = blob_open(vmid, h, p, p);

	if (ret == 0)
		arch_dcache_clean_page(page * PAGE_SIZE);
	return ret;
}

/* (D41) The vCPU's whole shadow context, as an array of u64. */
void vm_vcpu_encrypt(vmid_t vmid, u32 vcpuid, pfn_t dst)
{
	struct kcore_blob_header h;
	u64 *ct = seal_buf[arch_cpu_id()];
	u8 *out = arch_phys_to_virt(dst * PAGE_SIZE);

	blob_header_new(&h, KCORE_BLOB_VCPU, vmid, vcpuid, KCORE_BLOB_VCPU_BYTES);
	blob_seal(vmid, &h, kc.shadow[vmid][vcpuid].r, ct);
	page_zero(dst * PAGE_SIZE);
	words_copy(out + sizeof(h), ct, KCORE_BLOB_VCPU_BYTES / 8);
	bytes_copy(out, &h, sizeof(h));
	arch_dcache_clean_page(dst * PAGE_SIZE);
}

/* One copy of a vCPU blob per CPU: the host may change its page while KCore
 * checks it, so KCore opens its own copy. */
static u8 vcpu_blob[KCORE_MAX_CPUS][KCORE_BLOB_VCPU_BYTES];

/* spec: decrypt_gp_regs_specx, decrypt_sys_regs_specx (D41) */
long vm_vcpu_decrypt(vmid_t vmid, u32 vcpuid, pfn_t src, struct shadow_ctxt *c)
{
	struct kcore_blob_header h;
	u8 *ct = vcpu_blob[arch_cpu_id()];
	long ret;

	ret = blob_header_check(src, KCORE_BLOB_VCPU, vmid, vcpuid, &h);
	if (ret)
		return ret;
	bytes_copy(ct, (const u8 *)arch_phys_to_virt(src * PAGE_SIZE) + sizeof(h), sizeof(vcpu_blob[0]));
	return blob_open(vmid, &h, ct, c->r);
}
