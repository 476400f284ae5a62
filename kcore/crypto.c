/* Image authentication (spec: verify_img; D40): each image of a VM, read
 * through KCore's remap window once local_verify_vm has taken its pages from
 * the host, must carry a trailer (docs/image-format.md) that matches its
 * slot and an Ed25519 signature by one of the keys provisioned at build.
 * The ciphers of exported VM state are kcore/export.c. */
#include "crypto/util.h"
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
	for (u32 i = 0; i < image_keys_count; i++)
		if (crypto_memeq(image_keys[i].id, id, IMAGE_KEY_ID_SIZE))
			return &image_keys[i];
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

/* spec: verify_img (a Parameter of the spec, D40): every image of the VM,
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
