/* What tests/crypto/callgrind-bench.sh measures under callgrind (host,
 * x86-64, -O2; instruction counts are deterministic):
 *   crypto-bench verify PK SIG MSG   one ed25519_verify (must be valid)
 *   crypto-bench seal LEN            one aead_seal of LEN bytes, 16 bytes of AD
 * Exit 0 on success. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/aead.h"
#include "crypto/ed25519.h"

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *b;
	long n;

	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
		perror(path);
		exit(2);
	}
	b = malloc((size_t)n + 1);
	if (!b || fread(b, 1, (size_t)n, f) != (size_t)n) {
		perror(path);
		exit(2);
	}
	fclose(f);
	*len = (size_t)n;
	return b;
}

int main(int argc, char **argv)
{
	if (argc == 5 && strcmp(argv[1], "verify") == 0) {
		size_t pl, sl, ml;
		unsigned char *pk = slurp(argv[2], &pl), *sig = slurp(argv[3], &sl), *msg = slurp(argv[4], &ml);

		if (pl != 32 || sl != 64)
			return 2;
		return ed25519_verify(sig, pk, msg, ml) == 0 ? 0 : 1;
	}
	if (argc == 3 && strcmp(argv[1], "seal") == 0) {
		size_t len = strtoul(argv[2], NULL, 0);
		unsigned char key[32], nonce[12] = { 0 }, ad[16] = { 0 }, tag[16];
		unsigned char *pt = calloc(len + 1, 1), *ct = malloc(len + 1);

		if (!pt || !ct)
			return 2;
		for (int i = 0; i < 32; i++)
			key[i] = (unsigned char)i;
		aead_seal(key, nonce, ad, sizeof(ad), pt, len, ct, tag);
		return 0;
	}
	fprintf(stderr, "usage: crypto-bench verify PK SIG MSG | crypto-bench seal LEN\n");
	return 2;
}
