/* HMAC-SHA512 (RFC 2104, with the SHA-512 of FIPS 180-4; RFC 4231). */
#ifndef KCORE_CRYPTO_HMAC_H
#define KCORE_CRYPTO_HMAC_H

#include "kcore/types.h"

/* out = HMAC-SHA512(key, msg). Keys longer than the block (128 bytes) are
 * hashed first, as RFC 2104 says. The key-dependent state is wiped. */
void hmac_sha512(const u8 *key, size_t keylen, const void *msg, size_t len, u8 out[64]);

#endif
