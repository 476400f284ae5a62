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
#include "kcore/errno.h"
#include "kcore/state.h"

/* spec: verify_img (a Parameter of the spec). ISSUE 4: no signature check
 * yet; every complete image is accepted. */
long image_authenticate(vmid_t vmid)
{
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
