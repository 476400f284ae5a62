/* The public keys that may sign VM images, provisioned when KCore is built:
 * scripts/keys-to-c turns a PEM file of Ed25519 public keys into the C file
 * that defines this table (docs/image-format.md). */
#ifndef KCORE_CRYPTO_IMAGE_KEYS_H
#define KCORE_CRYPTO_IMAGE_KEYS_H

#include "kcore/types.h"

struct image_key {
	u8 id[8];  /* the first 8 bytes of SHA-512(pk): the trailer's key id */
	u8 pk[32]; /* the raw Ed25519 public key (RFC 8032 encoding) */
};

extern const struct image_key image_keys[];
extern const u32 image_keys_count;

#endif
