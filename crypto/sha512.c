/* SHA-512, written from FIPS 180-4 (sections 4.1.3, 4.2.3, 5.1.2, 5.3.5,
 * 6.4). Message lengths are counted in bytes; the 128-bit length field of
 * the padding is that count times 8. */
#include "crypto/sha512.h"
#include "crypto/util.h"

/* 4.2.3: the first 64 bits of the fractional parts of the cube roots of the
 * first eighty primes. */
static const u64 K[80] = {
	0x428a2f98d728ae22ULL, 0x7137449123ef65cdULL, 0xb5c0fbcfec4d3b2fULL, 0xe9b5dba58189dbbcULL,
	0x3956c25bf348b538ULL, 0x59f111f1b605d019ULL, 0x923f82a4af194f9bULL, 0xab1c5ed5da6d8118ULL,
	0xd807aa98a3030242ULL, 0x12835b0145706fbeULL, 0x243185be4ee4b28cULL, 0x550c7dc3d5ffb4e2ULL,
	0x72be5d74f27b896fULL, 0x80deb1fe3b1696b1ULL, 0x9bdc06a725c71235ULL, 0xc19bf174cf692694ULL,
	0xe49b69c19ef14ad2ULL, 0xefbe4786384f25e3ULL, 0x0fc19dc68b8cd5b5ULL, 0x240ca1cc77ac9c65ULL,
	0x2de92c6f592b0275ULL, 0x4a7484aa6ea6e483ULL, 0x5cb0a9dcbd41fbd4ULL, 0x76f988da831153b5ULL,
	0x983e5152ee66dfabULL, 0xa831c66d2db43210ULL, 0xb00327c898fb213fULL, 0xbf597fc7beef0ee4ULL,
	0xc6e00bf33da88fc2ULL, 0xd5a79147930aa725ULL, 0x06ca6351e003826fULL, 0x142929670a0e6e70ULL,
	0x27b70a8546d22ffcULL, 0x2e1b21385c26c926ULL, 0x4d2c6dfc5ac42aedULL, 0x53380d139d95b3dfULL,
	0x650a73548baf63deULL, 0x766a0abb3c77b2a8ULL, 0x81c2c92e47edaee6ULL, 0x92722c851482353bULL,
	0xa2bfe8a14cf10364ULL, 0xa81a664bbc423001ULL, 0xc24b8b70d0f89791ULL, 0xc76c51a30654be30ULL,
	0xd192e819d6ef5218ULL, 0xd69906245565a910ULL, 0xf40e35855771202aULL, 0x106aa07032bbd1b8ULL,
	0x19a4c116b8d2d0c8ULL, 0x1e376c085141ab53ULL, 0x2748774cdf8eeb99ULL, 0x34b0bcb5e19b48a8ULL,
	0x391c0cb3c5c95a63ULL, 0x4ed8aa4ae3418acbULL, 0x5b9cca4f7763e373ULL, 0x682e6ff3d6b2b8a3ULL,
	0x748f82ee5defb2fcULL, 0x78a5636f43172f60ULL, 0x84c87814a1f0ab72ULL, 0x8cc702081a6439ecULL,
	0x90befffa23631e28ULL, 0xa4506cebde82bde9ULL, 0xbef9a3f7b2c67915ULL, 0xc67178f2e372532bULL,
	0xca273eceea26619cULL, 0xd186b8c721c0c207ULL, 0xeada7dd6cde0eb1eULL, 0xf57d4f7fee6ed178ULL,
	0x06f067aa72176fbaULL, 0x0a637dc5a2c898a6ULL, 0x113f9804bef90daeULL, 0x1b710b35131c471bULL,
	0x28db77f523047d84ULL, 0x32caab7b40c72493ULL, 0x3c9ebe0a15c9bebcULL, 0x431d67c49c100d4cULL,
	0x4cc5d4becb3e42b6ULL, 0x597f299cfc657e2aULL, 0x5fcb6fab3ad6faecULL, 0x6c44198c4a475817ULL,
};

/* 5.3.5: the initial hash value H(0) (square roots of the first 8 primes). */
static const u64 H0[8] = {
	0x6a09e667f3bcc908ULL, 0xbb67ae8584caa73bULL, 0x3c6ef372fe94f82bULL, 0xa54ff53a5f1d36f1ULL,
	0x510e527fade682d1ULL, 0x9b05688c2b3e6c1fULL, 0x1f83d9abfb41bd6bULL, 0x5be0cd19137e2179ULL,
};

static inline u64 rotr(u64 x, unsigned n)
{
	return (x >> n) | (x << (64 - n));
}

static u64 load_be64(const u8 *p)
{
	u64 v = 0;

	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

static void store_be64(u8 *p, u64 v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (u8)v;
		v >>= 8;
	}
}

/* One round of 6.4.2 step 3 with the working variables a..h kept in v[]
 * without moving them: in round i (mod 8), a is v[(0 - i) & 7], b is
 * v[(1 - i) & 7], ..., h is v[(7 - i) & 7]. The round writes the new e
 * over d and the new a over h, and the names shift by one for the next
 * round. kw is K[t] + W[t]. */
static inline void round512(u64 v[8], int i, u64 kw)
{
	const u64 a = v[(8 - i) & 7], b = v[(9 - i) & 7], c = v[(10 - i) & 7];
	const u64 e = v[(12 - i) & 7], f = v[(13 - i) & 7], g = v[(14 - i) & 7];
	const u64 S1 = rotr(e, 14) ^ rotr(e, 18) ^ rotr(e, 41);
	const u64 ch = (e & f) ^ (~e & g);
	const u64 S0 = rotr(a, 28) ^ rotr(a, 34) ^ rotr(a, 39);
	const u64 maj = (a & b) ^ (a & c) ^ (b & c);
	const u64 t1 = v[(15 - i) & 7] + S1 + ch + kw;

	v[(11 - i) & 7] += t1;      /* e = d + T1 */
	v[(15 - i) & 7] = t1 + S0 + maj; /* a = T1 + T2 */
}

/* 6.4.2: one 1024-bit block into the state. */
static void compress(u64 h[8], const u8 block[128])
{
	u64 w[80], v[8];

	for (int t = 0; t < 16; t++)
		w[t] = load_be64(block + 8 * t);
	for (int t = 16; t < 80; t++) {
		u64 s0 = rotr(w[t - 15], 1) ^ rotr(w[t - 15], 8) ^ (w[t - 15] >> 7);
		u64 s1 = rotr(w[t - 2], 19) ^ rotr(w[t - 2], 61) ^ (w[t - 2] >> 6);

		w[t] = s1 + w[t - 7] + s0 + w[t - 16];
	}
	for (int i = 0; i < 8; i++)
		v[i] = h[i];
	/* eight rounds per pass, so that every index into v is a constant */
	for (int t = 0; t < 80; t += 8) {
		round512(v, 0, K[t] + w[t]);
		round512(v, 1, K[t + 1] + w[t + 1]);
		round512(v, 2, K[t + 2] + w[t + 2]);
		round512(v, 3, K[t + 3] + w[t + 3]);
		round512(v, 4, K[t + 4] + w[t + 4]);
		round512(v, 5, K[t + 5] + w[t + 5]);
		round512(v, 6, K[t + 6] + w[t + 6]);
		round512(v, 7, K[t + 7] + w[t + 7]);
	}
	for (int i = 0; i < 8; i++)
		h[i] += v[i];
	/* w and v are left on the stack: wiping them would cost a quarter of
	 * the hash time of every image byte, and KCore's stack is EL2 memory
	 * that no other principal can read. The contexts holding keys are
	 * wiped. */
}

void sha512_init(struct sha512_ctx *c)
{
	for (int i = 0; i < 8; i++)
		c->h[i] = H0[i];
	c->len_lo = 0;
	c->len_hi = 0;
	c->fill = 0;
}

void sha512_update(struct sha512_ctx *c, const void *data, size_t len)
{
	const u8 *p = data;
	u64 old = c->len_lo;

	c->len_lo += (u64)len;
	c->len_hi += c->len_lo < old; /* carry into the high half */
	if (c->fill) {
		while (len && c->fill < SHA512_BLOCK_SIZE) {
			c->buf[c->fill++] = *p++;
			len--;
		}
		if (c->fill < SHA512_BLOCK_SIZE)
			return;
		compress(c->h, c->buf);
		c->fill = 0;
	}
	while (len >= SHA512_BLOCK_SIZE) {
		compress(c->h, p);
		p += SHA512_BLOCK_SIZE;
		len -= SHA512_BLOCK_SIZE;
	}
	while (len--)
		c->buf[c->fill++] = *p++;
}

void sha512_final(struct sha512_ctx *c, u8 out[64])
{
	/* 5.1.2: a 1 bit, zeros up to 112 bytes mod 128, the length in bits. */
	u64 bits_hi = (c->len_hi << 3) | (c->len_lo >> 61);
	u64 bits_lo = c->len_lo << 3;

	c->buf[c->fill++] = 0x80;
	if (c->fill > SHA512_BLOCK_SIZE - 16) {
		while (c->fill < SHA512_BLOCK_SIZE)
			c->buf[c->fill++] = 0;
		compress(c->h, c->buf);
		c->fill = 0;
	}
	while (c->fill < SHA512_BLOCK_SIZE - 16)
		c->buf[c->fill++] = 0;
	store_be64(c->buf + 112, bits_hi);
	store_be64(c->buf + 120, bits_lo);
	compress(c->h, c->buf);
	for (int i = 0; i < 8; i++)
		store_be64(out + 8 * i, c->h[i]);
	crypto_wipe(c, sizeof(*c));
}

void sha512(const void *data, size_t len, u8 out[64])
{
	struct sha512_ctx c;

	sha512_init(&c);
	sha512_update(&c, data, len);
	sha512_final(&c, out);
}
