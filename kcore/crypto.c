/* Crypto hooks: image authentication and the ciphers of exported VM state.
 *
 * Issue 4 builds these in (a real signature check of the images as KCore
 * sees them in its remap window, and a real AEAD with a real key). Until it
 * lands:
 *  - image_authenticate accepts every complete image (D29: local_verify_vm
 *    has already checked that every page of every slot is remapped);
 *  - the ciphers refuse with -KE_NOTSUPP and write nothing (D34), so no VM
 *    plaintext ever reaches the host and no host bytes ever become VM state.
 * Each must stay all-or-nothing when implemented: on a negative return the
 * destination is unchanged (or, for vm_vcpu_decrypt, a scratch copy that the
 * caller drops). */
#include "crypto/aead.h"
#include "crypto/ed25519.h"
#include "kcore/arch.h"
#include "kcore/errno.h"
#include "kcore/image.h"
#include "kcore/state.h"

static u32 le32(const u8 *p)
{
	return (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24;
}

static u64 le64(const u8 *p)
{
	return (u64)le32(p) | (u64)le32(p + 4) << 32;
}

/* The provisioned key whose id is `id`, or NULL. */
static const struct image_key *image_key_find(const u8 *id)
{
	for (u32 i = 0; i < kcore_image_keys_num; i++)
		if (crypto_memeq(kcore_image_keys[i].id, id, IMAGE_KEY_ID_SIZE))
			return &kcore_image_keys[i];
	return NULL;
}

/* The trailer's fields, each against what the host declared for the slot
 * (SET_BOOT_INFO) and what KCore provisioned. */
static const struct image_key *trailer_check(const u8 *t, u64 size, u64 load_addr)
{
	if (!crypto_memeq(t + IMAGE_OFF_MAGIC, IMAGE_MAGIC, 8) ||
	    le32(t + IMAGE_OFF_VERSION) != IMAGE_VERSION ||
	    le32(t + IMAGE_OFF_TRAILER_SIZE) != IMAGE_TRAILER_SIZE ||
	    le64(t + IMAGE_OFF_PAYLOAD_SIZE) != size - IMAGE_TRAILER_SIZE ||
	    le64(t + IMAGE_OFF_LOAD_ADDR) != load_addr)
		return NULL;
	for (u32 i = 0; i < IMAGE_RESERVED_SIZE; i++)
		if (t[IMAGE_OFF_RESERVED + i] != 0)
			return NULL;
	return image_key_find(t + IMAGE_OFF_KEY_ID);
}

/* One image: the whole file is the slot (size = payload + trailer), read
 * through KCore's window, where local_verify_vm has made its pages the VM's:
 * no one else can change a byte between the checks and the signature. */
static long slot_authenticate(const struct vm_boot_info *b, u32 idx)
{
	u64 size = b->load_size[idx];
	const u8 *img, *t;
	const struct image_key *key;

	if (size < IMAGE_TRAILER_SIZE)
		return -KE_AUTH;
	img = arch_remap_window(b->remap_addr[idx], size);
	t = img + size - IMAGE_TRAILER_SIZE;
	key = trailer_check(t, size, b->load_addr[idx]);
	if (!key)
		return -KE_AUTH;
	if (ed25519_verify(t + IMAGE_OFF_SIG, key->pk, img, size - IMAGE_TRAILER_SIZE + IMAGE_OFF_SIG) != 0)
		return -KE_AUTH;
	return 0;
}

/* spec: verify_img (a Parameter of the spec, D35): every image of the VM,
 * all or nothing. Needs INFO(vmid) and NPT(COREVISOR) (the window). */
long image_authenticate(vmid_t vmid)
{
	const struct vm_boot_info *b = &kc.vminfo[vmid].boot;

	lock_assert_held(INFO_ID + vmid);
	lock_assert_held(NPT_ID + COREVISOR);
	for (u32 i = 0; i < b->next_load_info; i++)
		if (slot_authenticate(b, i) < 0)
			return -KE_AUTH;
	return 0;
}

/* spec: the encryption oracle of local_save_encrypt_buf (D34) */
long vm_page_encrypt(vmid_t vmid, phys_addr_t src, phys_addr_t dst)
{
	return -KE_NOTSUPP;
}

/* spec: the decryption oracle of local_load_decrypt_buf (D34) */
long vm_page_decrypt(vmid_t vmid, phys_addr_t page)
{
	return -KE_NOTSUPP;
}

/* spec: decrypt_gp_regs_specx, decrypt_sys_regs_specx (D34) */
long vm_vcpu_decrypt(vmid_t vmid, u32 vcpuid, struct shadow_ctxt *c)
{
	return -KE_NOTSUPP;
}
