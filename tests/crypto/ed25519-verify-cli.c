/* A host tool over the core's crypto (linked with build/host/libkcore.a),
 * for the interop tests (tests/crypto/openssl-interop.sh):
 *
 *   ed25519-verify-cli sig PK SIG MSG
 *       PK: 32-byte raw public key file, SIG: 64-byte raw signature file
 *       (what `openssl pkeyutl -sign -rawin` writes), MSG: the message file.
 *   ed25519-verify-cli image [--load-addr ADDR] IMAGE PK...
 *       IMAGE: a signed image (docs/image-format.md), checked as KCore
 *       checks it: the trailer's fields, a key whose id matches, the
 *       signature over payload || trailer[0..64). With --load-addr, the
 *       address it was signed for must be ADDR.
 *
 * Exit status: 0 valid, 1 refused (with the reason on stderr), 2 usage or
 * I/O error. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/ed25519.h"
#include "crypto/sha512.h"

#define TRAILER_SIZE 128
#define MAX_KEYS 16

static unsigned char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f) {
		fprintf(stderr, "ed25519-verify-cli: %s: %s\n", path, strerror(errno));
		exit(2);
	}
	for (;;) {
		size_t got;

		if (n == cap) {
			unsigned char *nb;

			cap = cap ? 2 * cap : 65536;
			nb = realloc(buf, cap);
			if (!nb) {
				fprintf(stderr, "ed25519-verify-cli: out of memory\n");
				exit(2);
			}
			buf = nb;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		fprintf(stderr, "ed25519-verify-cli: %s: read error\n", path);
		exit(2);
	}
	fclose(f);
	*len = n;
	return buf;
}

static void read_exact(const char *path, unsigned char *out, size_t want)
{
	size_t len;
	unsigned char *b = read_all(path, &len);

	if (len != want) {
		fprintf(stderr, "ed25519-verify-cli: %s: %zu bytes, expected %zu\n", path, len, want);
		exit(2);
	}
	memcpy(out, b, want);
	free(b);
}

static uint64_t le64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int refuse(const char *why)
{
	fprintf(stderr, "refused: %s\n", why);
	return 1;
}

/* NULL if the signed image img (len bytes) is valid under one of keys
 * (and, with_addr, signed for want_addr); else why not. *which = the key. */
static const char *check_image(const unsigned char *img, size_t len, unsigned char (*keys)[32],
			       int nkeys, int with_addr, uint64_t want_addr, int *which)
{
	const unsigned char *t;
	uint64_t payload;

	if (len < TRAILER_SIZE)
		return "shorter than the trailer";
	t = img + len - TRAILER_SIZE;
	payload = le64(t + 16);
	if (memcmp(t, "KCORESIG", 8) != 0)
		return "bad magic";
	if (le32(t + 8) != 1)
		return "unknown version";
	if (le32(t + 12) != TRAILER_SIZE)
		return "bad trailer size";
	if (payload != len - TRAILER_SIZE)
		return "payload size is not the file size - 128";
	for (int j = 40; j < 64; j++)
		if (t[j])
			return "reserved bytes not zero";
	if (with_addr && le64(t + 24) != want_addr)
		return "signed for another load address";
	*which = -1;
	for (int k = 0; k < nkeys && *which < 0; k++) {
		unsigned char h[64];

		sha512(keys[k], 32, h);
		if (memcmp(h, t + 32, 8) == 0)
			*which = k;
	}
	if (*which < 0)
		return "no key with this key id";
	/* the signed message: payload || trailer[0..64), contiguous in the file */
	if (ed25519_verify(t + 64, keys[*which], img, (size_t)payload + 64) != 0)
		return "bad signature";
	return NULL;
}

static int cmd_sig(int argc, char **argv)
{
	unsigned char pk[32], sig[64], *msg;
	size_t len;
	int r;

	if (argc != 5) {
		fprintf(stderr, "usage: ed25519-verify-cli sig PK SIG MSG\n");
		return 2;
	}
	read_exact(argv[2], pk, 32);
	read_exact(argv[3], sig, 64);
	msg = read_all(argv[4], &len);
	r = ed25519_verify(sig, pk, msg, len);
	free(msg);
	if (r != 0)
		return refuse("bad signature");
	printf("valid\n");
	return 0;
}

static int cmd_image(int argc, char **argv)
{
	unsigned char keys[MAX_KEYS][32], *img;
	int nkeys = 0, i = 2, with_addr = 0, which = -1;
	uint64_t want_addr = 0;
	const char *path, *why;
	size_t len;

	if (i + 1 < argc && strcmp(argv[i], "--load-addr") == 0) {
		char *end;

		errno = 0;
		want_addr = strtoull(argv[i + 1], &end, 0);
		if (errno || *end || end == argv[i + 1]) {
			fprintf(stderr, "ed25519-verify-cli: bad address '%s'\n", argv[i + 1]);
			return 2;
		}
		with_addr = 1;
		i += 2;
	}
	if (argc - i < 2 || argc - i - 1 > MAX_KEYS) {
		fprintf(stderr, "usage: ed25519-verify-cli image [--load-addr ADDR] IMAGE PK...\n");
		return 2;
	}
	path = argv[i++];
	for (; i < argc; i++)
		read_exact(argv[i], keys[nkeys++], 32);

	img = read_all(path, &len);
	why = check_image(img, len, keys, nkeys, with_addr, want_addr, &which);
	if (!why)
		printf("valid: %zu bytes at 0x%" PRIx64 ", key %d\n", len - TRAILER_SIZE,
		       le64(img + len - TRAILER_SIZE + 24), which);
	free(img);
	return why ? refuse(why) : 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "sig") == 0)
		return cmd_sig(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "image") == 0)
		return cmd_image(argc, argv);
	fprintf(stderr, "usage: ed25519-verify-cli sig PK SIG MSG\n"
			"       ed25519-verify-cli image [--load-addr ADDR] IMAGE PK...\n");
	return 2;
}
