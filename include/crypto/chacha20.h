/* ChaCha20 (RFC 8439 section 2.3 and 2.4): 256-bit key, 96-bit nonce,
 * 32-bit block counter. Constant time. */
#ifndef KCORE_CRYPTO_CHACHA20_H
#define KCORE_CRYPTO_CHACHA20_H

#include "kcore/types.h"

/* The 64-byte key stream block number `counter`. */
void chacha20_block(const u8 key[32], u32 counter, const u8 nonce[12], u8 out[64]);

/* out = in ^ key stream from block `counter` on; in == out is allowed. */
void chacha20_xor(const u8 key[32], u32 counter, const u8 nonce[12], const void *in, void *out,
		  size_t len);

#endif
