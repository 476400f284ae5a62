/* ChaCha20-Poly1305, written from RFC 8439 section 2.8: the Poly1305 key is
 * the first 32 bytes of ChaCha20 block 0, the text is encrypted from block 1
 * on, and the tag covers ad | pad16 | ct | pad16 | le64(adlen) | le64(len). */
#include "crypto/aead.h"
#include "crypto/chacha20.h"
#include "crypto/poly1305.h"

static const u8 zeros[16];

static void mac_pad16(struct poly1305_ctx *m, size_t len)
{
	if (len % 16)
		poly1305_update(m, zeros, 16 - len % 16);
}

static void store_le64(u8 *p, u64 v)
{
	for (int i = 0; i < 8; i++) {
		p[i] = (u8)v;
		v >>= 8;
	}
}

/* The tag of (ad, ct) under the one-time key of (key, nonce). */
static void aead_tag(const u8 key[32], const u8 nonce[12], const void *ad, size_t adlen,
		     const void *ct, size_t len, u8 tag[16])
{
	struct poly1305_ctx m;
	u8 otk[64], lens[16];

	chacha20_block(key, 0, nonce, otk); /* 2.6: the first 32 bytes */
	poly1305_init(&m, otk);
	poly1305_update(&m, ad, adlen);
	mac_pad16(&m, adlen);
	poly1305_update(&m, ct, len);
	mac_pad16(&m, len);
	store_le64(lens, (u64)adlen);
	store_le64(lens + 8, (u64)len);
	poly1305_update(&m, lens, sizeof(lens));
	poly1305_final(&m, tag);
	crypto_wipe(otk, sizeof(otk));
}

void aead_seal(const u8 key[32], const u8 nonce[12], const void *ad, size_t adlen,
	       const void *pt, size_t len, void *ct, u8 tag[16])
{
	chacha20_xor(key, 1, nonce, pt, ct, len);
	aead_tag(key, nonce, ad, adlen, ct, len, tag);
}

int aead_open(const u8 key[32], const u8 nonce[12], const void *ad, size_t adlen,
	      const void *ct, size_t len, const u8 tag[16], void *pt)
{
	u8 want[16];
	int ok;

	aead_tag(key, nonce, ad, adlen, ct, len, want);
	ok = crypto_memeq(want, tag, sizeof(want));
	crypto_wipe(want, sizeof(want));
	/* Whether the tag matched is public (the caller acts on it); only
	 * the comparison itself must not leak where the tags differ. */
	if (!ok)
		return -1;
	chacha20_xor(key, 1, nonce, ct, pt, len);
	return 0;
}
