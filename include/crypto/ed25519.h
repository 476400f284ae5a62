/* Ed25519 signature verification (RFC 8032 section 5.1, pure Ed25519 with
 * SHA-512). Verification only: KCore checks signatures, it never signs. */
#ifndef KCORE_CRYPTO_ED25519_H
#define KCORE_CRYPTO_ED25519_H

#include "kcore/types.h"

/* 0 if sig is a valid RFC 8032 Ed25519 signature of msg under pk; -1
 * otherwise. Rejects S >= L, non-canonical R or A (y >= p, or x = 0 with
 * the sign bit set), small-order A (and small-order R). The check is the
 * cofactorless [S]B = R + [k]A, by comparing encodings. */
int ed25519_verify(const u8 sig[64], const u8 pk[32], const void *msg, size_t len);

/* 0 if pk is a key ed25519_verify can accept at all: the canonical encoding
 * of a curve point that is not of small order; -1 otherwise. (For checking
 * a key table once, e.g. at boot, instead of at every verification.) */
int ed25519_pubkey_check(const u8 pk[32]);

#endif
