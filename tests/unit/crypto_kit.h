/* What the crypto unit tests share: hex decoding of the standard vectors
 * (include after ut.h). */
#ifndef KCORE_UT_CRYPTO_KIT_H
#define KCORE_UT_CRYPTO_KIT_H

#include <stdlib.h>
#include <string.h>

static inline int hex_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes hex (spaces and newlines ignored) into out (at most cap bytes);
 * returns the byte count. A malformed vector aborts: it is a bug in the test. */
static inline size_t unhex(const char *hex, unsigned char *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;

	for (; *hex; hex++) {
		int v;

		if (*hex == ' ' || *hex == '\n')
			continue;
		v = hex_nibble(*hex);
		if (v < 0 || (hi >= 0 && n >= cap)) {
			fprintf(stderr, "bad test vector near '%s'\n", hex);
			abort();
		}
		if (hi < 0) {
			hi = v;
		} else {
			out[n++] = (unsigned char)(hi << 4 | v);
			hi = -1;
		}
	}
	if (hi >= 0)
		abort();
	return n;
}

/* 1 if the n bytes at got equal the hex string want; else prints both. */
static inline int eq_hex(const unsigned char *got, size_t n, const char *want)
{
	unsigned char w[1024];
	size_t wn = unhex(want, w, sizeof(w));

	if (wn == n && memcmp(got, w, n) == 0)
		return 1;
	fprintf(stderr, "  got  ");
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "%02x", got[i]);
	fprintf(stderr, "\n  want %s\n", want);
	return 0;
}

#endif
