/* Constant-time helpers shared by the ciphers (declared for users by
 * crypto/aead.h). */
#ifndef KCORE_CRYPTO_UTIL_H
#define KCORE_CRYPTO_UTIL_H

#include "kcore/types.h"

/* 1 if the n bytes at a and b are equal, else 0. The time depends on n
 * only, never on where (or whether) the bytes differ. */
int crypto_memeq(const void *a, const void *b, size_t n);

/* Zeroes n bytes at p; the stores are volatile so that the compiler cannot
 * drop them even when p is about to go out of scope. */
void crypto_wipe(void *p, size_t n);

#endif
