/* Poly1305, written from RFC 8439 section 2.5: acc = (acc + block) * r
 * mod 2^130 - 5 per 16-byte block, then tag = (acc + s) mod 2^128.
 * Numbers in five 26-bit limbs so that every product fits in 64 bits (no
 * 128-bit arithmetic, no helper calls); no branch or index depends on the
 * key or the data, only on lengths. */
#include "crypto/poly1305.h"
#include "crypto/util.h"

#define M26 0x3ffffffU

static u32 load_le32(const u8 *p)
{
	return (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24;
}

void poly1305_init(struct poly1305_ctx *c, const u8 key[32])
{
	u8 r[16];
	u32 t0, t1, t2, t3;

	/* 2.5: clamp r: the top four bits of r[3], r[7], r[11], r[15] and the
	 * bottom two bits of r[4], r[8], r[12] are cleared. */
	for (int i = 0; i < 16; i++)
		r[i] = key[i];
	r[3] &= 15;
	r[7] &= 15;
	r[11] &= 15;
	r[15] &= 15;
	r[4] &= 252;
	r[8] &= 252;
	r[12] &= 252;
	t0 = load_le32(r);
	t1 = load_le32(r + 4);
	t2 = load_le32(r + 8);
	t3 = load_le32(r + 12);
	c->r[0] = t0 & M26;
	c->r[1] = ((t0 >> 26) | (t1 << 6)) & M26;
	c->r[2] = ((t1 >> 20) | (t2 << 12)) & M26;
	c->r[3] = ((t2 >> 14) | (t3 << 18)) & M26;
	c->r[4] = t3 >> 8;
	for (int i = 0; i < 4; i++)
		c->s[i] = load_le32(key + 16 + 4 * i);
	for (int i = 0; i < 5; i++)
		c->h[i] = 0;
	c->fill = 0;
	crypto_wipe(r, sizeof(r));
}

/* One 16-byte block; hibit is 2^128 in limb 4 (1 << 24) for a full block,
 * 0 for the last partial one, whose 0x01 end byte is already in the block. */
static void block(struct poly1305_ctx *c, const u8 m[16], u32 hibit)
{
	const u32 r0 = c->r[0], r1 = c->r[1], r2 = c->r[2], r3 = c->r[3], r4 = c->r[4];
	/* 2^130 = 5 mod p: a limb product that lands at 2^130 or above folds
	 * back down multiplied by 5. */
	const u32 s1 = r1 * 5, s2 = r2 * 5, s3 = r3 * 5, s4 = r4 * 5;
	u32 t0 = load_le32(m), t1 = load_le32(m + 4), t2 = load_le32(m + 8), t3 = load_le32(m + 12);
	u64 h0 = c->h[0] + (t0 & M26);
	u64 h1 = c->h[1] + (((t0 >> 26) | (t1 << 6)) & M26);
	u64 h2 = c->h[2] + (((t1 >> 20) | (t2 << 12)) & M26);
	u64 h3 = c->h[3] + (((t2 >> 14) | (t3 << 18)) & M26);
	u64 h4 = c->h[4] + ((t3 >> 8) | hibit);
	u64 d0, d1, d2, d3, d4, carry;

	/* Limbs of h below 2^27, of r below 2^26, s below 2^29: each sum of
	 * five products is below 2^59. */
	d0 = h0 * r0 + h1 * s4 + h2 * s3 + h3 * s2 + h4 * s1;
	d1 = h0 * r1 + h1 * r0 + h2 * s4 + h3 * s3 + h4 * s2;
	d2 = h0 * r2 + h1 * r1 + h2 * r0 + h3 * s4 + h4 * s3;
	d3 = h0 * r3 + h1 * r2 + h2 * r1 + h3 * r0 + h4 * s4;
	d4 = h0 * r4 + h1 * r3 + h2 * r2 + h3 * r1 + h4 * r0;

	carry = d0 >> 26;
	d1 += carry;
	carry = d1 >> 26;
	d2 += carry;
	carry = d2 >> 26;
	d3 += carry;
	carry = d3 >> 26;
	d4 += carry;
	carry = d4 >> 26;
	h0 = (d0 & M26) + carry * 5;
	h1 = (d1 & M26) + (h0 >> 26);
	c->h[0] = (u32)(h0 & M26);
	c->h[1] = (u32)h1; /* below 2^26 + 2^11: fine as the next input */
	c->h[2] = (u32)(d2 & M26);
	c->h[3] = (u32)(d3 & M26);
	c->h[4] = (u32)(d4 & M26);
}

void poly1305_update(struct poly1305_ctx *c, const void *data, size_t len)
{
	const u8 *p = data;

	if (c->fill) {
		while (len && c->fill < 16) {
			c->buf[c->fill++] = *p++;
			len--;
		}
		if (c->fill < 16)
			return;
		block(c, c->buf, 1U << 24);
		c->fill = 0;
	}
	while (len >= 16) {
		block(c, p, 1U << 24);
		p += 16;
		len -= 16;
	}
	while (len--)
		c->buf[c->fill++] = *p++;
}

void poly1305_final(struct poly1305_ctx *c, u8 tag[16])
{
	u32 h0, h1, h2, h3, h4, g0, g1, g2, g3, g4, carry, mask;
	u32 w[4];
	u64 f;

	if (c->fill) {
		/* the last partial block: its bytes, 0x01, zeros; no 2^128 bit */
		c->buf[c->fill++] = 1;
		while (c->fill < 16)
			c->buf[c->fill++] = 0;
		block(c, c->buf, 0);
	}

	/* Carry fully: h below 2^130 + a little, limbs 26 bits. */
	h0 = c->h[0];
	h1 = c->h[1];
	h2 = c->h[2];
	h3 = c->h[3];
	h4 = c->h[4];
	carry = h1 >> 26; h1 &= M26; h2 += carry;
	carry = h2 >> 26; h2 &= M26; h3 += carry;
	carry = h3 >> 26; h3 &= M26; h4 += carry;
	carry = h4 >> 26; h4 &= M26; h0 += carry * 5;
	carry = h0 >> 26; h0 &= M26; h1 += carry;

	/* g = h + 5 - 2^130 = h - p; h < 2p here, so h mod p is g if g is
	 * not negative, else h. Select with a mask, not a branch. */
	g0 = h0 + 5; carry = g0 >> 26; g0 &= M26;
	g1 = h1 + carry; carry = g1 >> 26; g1 &= M26;
	g2 = h2 + carry; carry = g2 >> 26; g2 &= M26;
	g3 = h3 + carry; carry = g3 >> 26; g3 &= M26;
	g4 = h4 + carry - (1U << 26);
	mask = (g4 >> 31) - 1; /* all ones if g >= 0 */
	h0 = (h0 & ~mask) | (g0 & mask);
	h1 = (h1 & ~mask) | (g1 & mask);
	h2 = (h2 & ~mask) | (g2 & mask);
	h3 = (h3 & ~mask) | (g3 & mask);
	h4 = (h4 & ~mask) | (g4 & mask);

	/* The low 128 bits of h, plus s, mod 2^128. */
	w[0] = h0 | (h1 << 26);
	w[1] = (h1 >> 6) | (h2 << 20);
	w[2] = (h2 >> 12) | (h3 << 14);
	w[3] = (h3 >> 18) | (h4 << 8);
	f = 0;
	for (int i = 0; i < 4; i++) {
		f += (u64)w[i] + c->s[i];
		tag[4 * i] = (u8)f;
		tag[4 * i + 1] = (u8)(f >> 8);
		tag[4 * i + 2] = (u8)(f >> 16);
		tag[4 * i + 3] = (u8)(f >> 24);
		f >>= 32;
	}
	crypto_wipe(c, sizeof(*c));
	crypto_wipe(w, sizeof(w));
}

void poly1305(const u8 key[32], const void *msg, size_t len, u8 tag[16])
{
	struct poly1305_ctx c;

	poly1305_init(&c, key);
	poly1305_update(&c, msg, len);
	poly1305_final(&c, tag);
}
