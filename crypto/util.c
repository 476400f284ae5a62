/* Constant-time comparison and wiping of secrets. */
#include "crypto/util.h"

int crypto_memeq(const void *a, const void *b, size_t n)
{
	const volatile u8 *x = a;
	const volatile u8 *y = b;
	u32 diff = 0;

	for (size_t i = 0; i < n; i++)
		diff |= (u32)(x[i] ^ y[i]);
	/* diff is 0..255: (diff - 1) >> 8 is 1 only for 0, with no branch. */
	return (int)(((diff - 1) >> 8) & 1);
}

void crypto_wipe(void *p, size_t n)
{
	volatile u8 *q = p;

	for (size_t i = 0; i < n; i++)
		q[i] = 0;
}
