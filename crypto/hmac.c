/* HMAC-SHA512, written from RFC 2104 (section 2): H(K ^ opad, H(K ^ ipad, text))
 * with B = 128, L = 64. */
#include "crypto/hmac.h"
#include "crypto/sha512.h"
#include "crypto/util.h"

void hmac_sha512(const u8 *key, size_t keylen, const void *msg, size_t len, u8 out[64])
{
	u8 k[SHA512_BLOCK_SIZE];  /* the key padded with zeros to B bytes */
	u8 pad[SHA512_BLOCK_SIZE];
	u8 inner[SHA512_DIGEST_SIZE];
	struct sha512_ctx c;
	size_t i;

	for (i = 0; i < sizeof(k); i++)
		k[i] = 0;
	if (keylen > SHA512_BLOCK_SIZE) {
		sha512(key, keylen, k); /* a long key is replaced by its hash */
	} else {
		for (i = 0; i < keylen; i++)
			k[i] = key[i];
	}

	for (i = 0; i < sizeof(pad); i++)
		pad[i] = k[i] ^ 0x36;
	sha512_init(&c);
	sha512_update(&c, pad, sizeof(pad));
	sha512_update(&c, msg, len);
	sha512_final(&c, inner);

	for (i = 0; i < sizeof(pad); i++)
		pad[i] = k[i] ^ 0x5c;
	sha512_init(&c);
	sha512_update(&c, pad, sizeof(pad));
	sha512_update(&c, inner, sizeof(inner));
	sha512_final(&c, out);

	crypto_wipe(k, sizeof(k));
	crypto_wipe(pad, sizeof(pad));
	crypto_wipe(inner, sizeof(inner));
}
