/* ChaCha20, written from RFC 8439 sections 2.1 to 2.4. Only additions,
 * rotations and xors of 32-bit words: constant time by construction. */
#include "crypto/chacha20.h"
#include "crypto/util.h"

static inline u32 rotl(u32 x, unsigned n)
{
	return (x << n) | (x >> (32 - n));
}

static u32 load_le32(const u8 *p)
{
	return (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24;
}

/* Zeroes n words (volatile stores, not optimised away): a word at a time,
 * a quarter of the stores of crypto_wipe on the same bytes. */
static void wipe_words(u32 *w, int n)
{
	volatile u32 *v = w;

	for (int i = 0; i < n; i++)
		v[i] = 0;
}

/* 2.1: the quarter round on four words of the state. */
static inline void qr(u32 *x, int a, int b, int c, int d)
{
	x[a] += x[b];
	x[d] = rotl(x[d] ^ x[a], 16);
	x[c] += x[d];
	x[b] = rotl(x[b] ^ x[c], 12);
	x[a] += x[b];
	x[d] = rotl(x[d] ^ x[a], 8);
	x[c] += x[d];
	x[b] = rotl(x[b] ^ x[c], 7);
}

void chacha20_block(const u8 key[32], u32 counter, const u8 nonce[12], u8 out[64])
{
	u32 in[16], x[16];

	/* 2.3: "expand 32-byte k", the key, the counter, the nonce. */
	in[0] = 0x61707865;
	in[1] = 0x3320646e;
	in[2] = 0x79622d32;
	in[3] = 0x6b206574;
	for (int i = 0; i < 8; i++)
		in[4 + i] = load_le32(key + 4 * i);
	in[12] = counter;
	for (int i = 0; i < 3; i++)
		in[13 + i] = load_le32(nonce + 4 * i);

	for (int i = 0; i < 16; i++)
		x[i] = in[i];
	for (int i = 0; i < 10; i++) {
		/* a column round, then a diagonal round */
		qr(x, 0, 4, 8, 12);
		qr(x, 1, 5, 9, 13);
		qr(x, 2, 6, 10, 14);
		qr(x, 3, 7, 11, 15);
		qr(x, 0, 5, 10, 15);
		qr(x, 1, 6, 11, 12);
		qr(x, 2, 7, 8, 13);
		qr(x, 3, 4, 9, 14);
	}
	for (int i = 0; i < 16; i++) {
		u32 v = x[i] + in[i];

		out[4 * i] = (u8)v;
		out[4 * i + 1] = (u8)(v >> 8);
		out[4 * i + 2] = (u8)(v >> 16);
		out[4 * i + 3] = (u8)(v >> 24);
	}
	/* the state holds the key; x is key stream minus state */
	wipe_words(in, 16);
	wipe_words(x, 16);
}

void chacha20_xor(const u8 key[32], u32 counter, const u8 nonce[12], const void *in, void *out,
		  size_t len)
{
	const u8 *src = in;
	u8 *dst = out;
	u8 ks[64];

	while (len) {
		size_t n = sizeof(ks);

		if (len < n)
			n = len;

		chacha20_block(key, counter++, nonce, ks);
		/* Byte by byte, reading before writing: in == out works. */
		for (size_t i = 0; i < n; i++)
			dst[i] = src[i] ^ ks[i];
		src += n;
		dst += n;
		len -= n;
	}
	crypto_wipe(ks, sizeof(ks));
}
