/* Constant time, checked with valgrind's memcheck (the "ctgrind" method):
 * the secret inputs are marked undefined, so memcheck reports every branch
 * ("conditional jump or move depends on uninitialised value") and every
 * memory address ("use of uninitialised value" in an address) computed
 * from them. Run by tests/crypto/ct-check.sh:
 *   ct-check seal | chacha | poly | hmac | memeq   expect no report;
 *   ct-check open   expects exactly one, in aead_open, on the verdict of
 *                   the tag comparison (public by design: the caller acts
 *                   on it), and none in the comparison itself.
 * This checks the host (x86-64) build as compiled; the EL2 build is the same
 * C with another compiler back end. */
#include <stdio.h>
#include <string.h>
#include <valgrind/memcheck.h>

#include "crypto/aead.h"
#include "crypto/chacha20.h"
#include "crypto/hmac.h"
#include "crypto/poly1305.h"

#define SECRET(p, n) VALGRIND_MAKE_MEM_UNDEFINED(p, n)
#define PUBLIC(p, n) VALGRIND_MAKE_MEM_DEFINED(p, n)

static unsigned char key[32], nonce[12], ad[21], pt[1000], ct[1000], tag[16], out[1000];

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	int r = 0;

	for (size_t i = 0; i < sizeof(pt); i++)
		pt[i] = (unsigned char)(i * 7 + 3);
	for (int i = 0; i < 32; i++)
		key[i] = (unsigned char)(i * 5 + 1);
	if (strcmp(mode, "seal") == 0) {
		SECRET(key, 32);
		SECRET(pt, sizeof(pt));
		aead_seal(key, nonce, ad, sizeof(ad), pt, sizeof(pt), ct, tag);
	} else if (strcmp(mode, "open") == 0) {
		aead_seal(key, nonce, ad, sizeof(ad), pt, sizeof(pt), ct, tag);
		SECRET(key, 32);
		r = aead_open(key, nonce, ad, sizeof(ad), ct, sizeof(ct), tag, out);
		PUBLIC(out, sizeof(out));
		if (r != 0 || memcmp(out, pt, sizeof(pt)) != 0)
			return 3;
	} else if (strcmp(mode, "chacha") == 0) {
		SECRET(key, 32);
		SECRET(pt, sizeof(pt));
		chacha20_xor(key, 7, nonce, pt, ct, sizeof(pt));
	} else if (strcmp(mode, "poly") == 0) {
		SECRET(key, 32);
		SECRET(pt, sizeof(pt));
		poly1305(key, pt, 999, tag);
	} else if (strcmp(mode, "hmac") == 0) {
		unsigned char mac[64];

		SECRET(key, 32);
		SECRET(pt, sizeof(pt));
		hmac_sha512(key, 32, pt, sizeof(pt), mac);
		hmac_sha512(pt, 200, key, 32, mac); /* a key longer than the block */
	} else if (strcmp(mode, "memeq") == 0) {
		memcpy(out, pt, sizeof(pt));
		out[500] ^= 1;
		SECRET(pt, sizeof(pt));
		SECRET(out, sizeof(out));
		r = crypto_memeq(pt, out, sizeof(pt));
		PUBLIC(&r, sizeof(r));
		if (r != 0)
			return 3;
	} else {
		fprintf(stderr, "usage: ct-check seal|open|chacha|poly|hmac|memeq\n");
		return 2;
	}
	return 0;
}
