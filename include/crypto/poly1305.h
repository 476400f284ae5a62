/* Poly1305 (RFC 8439 section 2.5): a one-time authenticator. The key (r, s)
 * must never be used for two messages. Constant time. */
#ifndef KCORE_CRYPTO_POLY1305_H
#define KCORE_CRYPTO_POLY1305_H

#include "kcore/types.h"

struct poly1305_ctx {
	u32 r[5];   /* clamped r in five 26-bit limbs */
	u32 h[5];   /* the accumulator, five 26-bit limbs (a little more between blocks) */
	u32 s[4];   /* s, little-endian 32-bit words */
	u8 buf[16]; /* a partial block */
	u32 fill;   /* bytes in buf */
};

void poly1305_init(struct poly1305_ctx *c, const u8 key[32]);
void poly1305_update(struct poly1305_ctx *c, const void *data, size_t len);
/* Writes the tag and wipes the context. */
void poly1305_final(struct poly1305_ctx *c, u8 tag[16]);
void poly1305(const u8 key[32], const void *msg, size_t len, u8 tag[16]);

#endif
