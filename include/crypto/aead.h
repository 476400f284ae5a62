/* ChaCha20-Poly1305 AEAD (RFC 8439 section 2.8); constant time, general
 * registers only. A (key, nonce) pair must never seal two messages. */
#ifndef KCORE_CRYPTO_AEAD_H
#define KCORE_CRYPTO_AEAD_H

#include "crypto/util.h"
#include "kcore/types.h"

#define AEAD_KEY_SIZE 32
#define AEAD_NONCE_SIZE 12
#define AEAD_TAG_SIZE 16

/* ct = ChaCha20(key, nonce, counter 1) ^ pt; tag = Poly1305 over ad and ct.
 * In-place (ct == pt) allowed. */
void aead_seal(const u8 key[32], const u8 nonce[12], const void *ad, size_t adlen,
	       const void *pt, size_t len, void *ct, u8 tag[16]);

/* Verifies the tag FIRST (constant-time compare); writes pt only if it is
 * valid. 0, or -1 with pt untouched. In-place (ct == pt) allowed. */
int aead_open(const u8 key[32], const u8 nonce[12], const void *ad, size_t adlen,
	      const void *ct, size_t len, const u8 tag[16], void *pt);

#endif
