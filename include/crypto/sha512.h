/* SHA-512 (FIPS 180-4): streaming (init, update, final) and one-shot. */
#ifndef KCORE_CRYPTO_SHA512_H
#define KCORE_CRYPTO_SHA512_H

#include "kcore/types.h"

#define SHA512_DIGEST_SIZE 64
#define SHA512_BLOCK_SIZE 128

struct sha512_ctx {
	u64 h[8];       /* the chaining state H(i) */
	u64 len_lo;     /* message length in bytes, low 64 bits */
	u64 len_hi;     /* and high 64 bits (the 128-bit length field) */
	u8 buf[SHA512_BLOCK_SIZE]; /* a partial block */
	u32 fill;       /* bytes in buf */
};

void sha512_init(struct sha512_ctx *c);
void sha512_update(struct sha512_ctx *c, const void *data, size_t len);
/* Writes the digest and wipes the context. */
void sha512_final(struct sha512_ctx *c, u8 out[64]);
void sha512(const void *data, size_t len, u8 out[64]);

#endif
