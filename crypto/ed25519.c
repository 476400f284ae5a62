/* Ed25519 verification, written from RFC 8032 sections 5.1.1 to 5.1.7.
 *
 * Everything here handles public data (keys, signatures, images), so it is
 * written to be plainly right rather than constant time or fast: the field
 * GF(2^255 - 19) in five 51-bit limbs, inversion and square roots by
 * square-and-multiply over the bits of the exponent, points in extended
 * coordinates with the formulas of 5.1.4, and a double-and-add over the
 * bits of both scalars. Only general registers: u64 * u64 -> 128-bit
 * products are single mul/umulh pairs on aarch64 (no helper calls). */
#include "crypto/ed25519.h"
#include "crypto/sha512.h"

typedef unsigned __int128 u128;

#define M51 ((1ULL << 51) - 1)

/* An element of GF(p), p = 2^255 - 19: sum of v[i] * 2^(51 i). Every
 * function below returns limbs below 2^51 + 2^20, and accepts limbs up to
 * 2^52 (so that sums and products stay far from overflowing). */
typedef struct {
	u64 v[5];
} fe;

/* A point (X : Y : Z : T) with x = X/Z, y = Y/Z, x y = T/Z (5.1.4). */
struct point {
	fe X, Y, Z, T;
};

/* d = -121665/121666 and sqrt(-1) = 2^((p-1)/4), little-endian (5.1). */
static const u8 D_BYTES[32] = {
	0xa3, 0x78, 0x59, 0x13, 0xca, 0x4d, 0xeb, 0x75, 0xab, 0xd8, 0x41, 0x41, 0x4d, 0x0a, 0x70, 0x00,
	0x98, 0xe8, 0x79, 0x77, 0x79, 0x40, 0xc7, 0x8c, 0x73, 0xfe, 0x6f, 0x2b, 0xee, 0x6c, 0x03, 0x52,
};
static const u8 SQRTM1_BYTES[32] = {
	0xb0, 0xa0, 0x0e, 0x4a, 0x27, 0x1b, 0xee, 0xc4, 0x78, 0xe4, 0x2f, 0xad, 0x06, 0x18, 0x43, 0x2f,
	0xa7, 0xd7, 0xfb, 0x3d, 0x99, 0x00, 0x4d, 0x2b, 0x0b, 0xdf, 0xc1, 0x4f, 0x80, 0x24, 0x83, 0x2b,
};
/* The base point B is (x, 4/5) with x even: its encoding (5.1.2). */
static const u8 B_BYTES[32] = {
	0x58, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
	0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
};
/* L = 2^252 + 27742317777372353535851937790883648493, the group order. */
static const u8 L_BYTES[32] = {
	0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
};
/* Exponents: p - 2 (inversion, Fermat) and (p - 5)/8 (the square root of 5.1.3). */
static const u8 P_MINUS_2[32] = {
	0xeb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f,
};
static const u8 P_MINUS_5_DIV_8[32] = {
	0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f,
};

static u64 load_le64(const u8 *p)
{
	u64 v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static int bit_of(const u8 *le, int i)
{
	return (le[i >> 3] >> (i & 7)) & 1;
}

/* ---- the field ------------------------------------------------------------ */

static void fe_set(fe *h, u64 small)
{
	h->v[0] = small;
	h->v[1] = h->v[2] = h->v[3] = h->v[4] = 0;
}

/* The low 255 bits of s (bit 255, the sign of x in an encoding, is dropped). */
static void fe_frombytes(fe *h, const u8 s[32])
{
	u64 w0 = load_le64(s), w1 = load_le64(s + 8), w2 = load_le64(s + 16), w3 = load_le64(s + 24);

	h->v[0] = w0 & M51;
	h->v[1] = ((w0 >> 51) | (w1 << 13)) & M51;
	h->v[2] = ((w1 >> 38) | (w2 << 26)) & M51;
	h->v[3] = ((w2 >> 25) | (w3 << 39)) & M51;
	h->v[4] = (w3 >> 12) & M51;
}

/* Carries every limb into the next; 2^255 = 19 mod p folds the top back. */
static void fe_carry(fe *h)
{
	u64 c;

	for (int i = 0; i < 4; i++) {
		c = h->v[i] >> 51;
		h->v[i] &= M51;
		h->v[i + 1] += c;
	}
	c = h->v[4] >> 51;
	h->v[4] &= M51;
	h->v[0] += 19 * c;
}

/* The canonical encoding: the unique value below p, little-endian. */
static void fe_tobytes(u8 s[32], const fe *f)
{
	fe h = *f;
	u64 q, w[4];

	fe_carry(&h); /* now h < 2^255 + 2^20 < 2p */
	/* q = 1 if h >= p, i.e. if h + 19 >= 2^255 */
	q = (h.v[0] + 19) >> 51;
	for (int i = 1; i < 5; i++)
		q = (h.v[i] + q) >> 51;
	/* h - q p = h + 19 q - q 2^255: add 19 q, carry, drop bit 255 */
	h.v[0] += 19 * q;
	for (int i = 0; i < 4; i++) {
		h.v[i + 1] += h.v[i] >> 51;
		h.v[i] &= M51;
	}
	h.v[4] &= M51;
	w[0] = h.v[0] | (h.v[1] << 51);
	w[1] = (h.v[1] >> 13) | (h.v[2] << 38);
	w[2] = (h.v[2] >> 26) | (h.v[3] << 25);
	w[3] = (h.v[3] >> 39) | (h.v[4] << 12);
	for (int i = 0; i < 4; i++)
		for (int j = 0; j < 8; j++)
			s[8 * i + j] = (u8)(w[i] >> (8 * j));
}

static void fe_add(fe *h, const fe *a, const fe *b)
{
	for (int i = 0; i < 5; i++)
		h->v[i] = a->v[i] + b->v[i];
	fe_carry(h);
}

/* a - b computed as a + 4p - b, so that no limb goes negative. */
static void fe_sub(fe *h, const fe *a, const fe *b)
{
	static const u64 four_p[5] = {
		4 * ((1ULL << 51) - 19), 4 * M51, 4 * M51, 4 * M51, 4 * M51,
	};

	for (int i = 0; i < 5; i++)
		h->v[i] = a->v[i] + four_p[i] - b->v[i];
	fe_carry(h);
}

static void fe_neg(fe *h, const fe *a)
{
	fe zero;

	fe_set(&zero, 0);
	fe_sub(h, &zero, a);
}

/* Schoolbook product; a term a_i b_j with i + j >= 5 lands at 2^255 times
 * 2^(51 (i + j - 5)), so it comes back multiplied by 19 (b*_19 below).
 * Limbs below 2^52: each product is below 2^52 * 2^56.25, each sum of five
 * below 2^110.6, so the carry c out of r4 is below 2^59.6 and 19 c still
 * fits in 64 bits. */
static void fe_mul(fe *h, const fe *a, const fe *b)
{
	const u64 a0 = a->v[0], a1 = a->v[1], a2 = a->v[2], a3 = a->v[3], a4 = a->v[4];
	const u64 b0 = b->v[0], b1 = b->v[1], b2 = b->v[2], b3 = b->v[3], b4 = b->v[4];
	const u64 b1_19 = 19 * b1, b2_19 = 19 * b2, b3_19 = 19 * b3, b4_19 = 19 * b4;
	u128 r0, r1, r2, r3, r4;
	u64 c;

	r0 = (u128)a0 * b0 + (u128)a1 * b4_19 + (u128)a2 * b3_19 + (u128)a3 * b2_19 + (u128)a4 * b1_19;
	r1 = (u128)a0 * b1 + (u128)a1 * b0 + (u128)a2 * b4_19 + (u128)a3 * b3_19 + (u128)a4 * b2_19;
	r2 = (u128)a0 * b2 + (u128)a1 * b1 + (u128)a2 * b0 + (u128)a3 * b4_19 + (u128)a4 * b3_19;
	r3 = (u128)a0 * b3 + (u128)a1 * b2 + (u128)a2 * b1 + (u128)a3 * b0 + (u128)a4 * b4_19;
	r4 = (u128)a0 * b4 + (u128)a1 * b3 + (u128)a2 * b2 + (u128)a3 * b1 + (u128)a4 * b0;

	r1 += (u64)(r0 >> 51);
	r2 += (u64)(r1 >> 51);
	r3 += (u64)(r2 >> 51);
	r4 += (u64)(r3 >> 51);
	c = (u64)(r4 >> 51);
	h->v[0] = ((u64)r0 & M51) + 19 * c;
	h->v[1] = (u64)r1 & M51;
	h->v[2] = (u64)r2 & M51;
	h->v[3] = (u64)r3 & M51;
	h->v[4] = (u64)r4 & M51;
	h->v[1] += h->v[0] >> 51;
	h->v[0] &= M51;
}

static void fe_sq(fe *h, const fe *a)
{
	fe_mul(h, a, a);
}

/* x^e for a 255-bit little-endian exponent, from the top bit down. */
static void fe_pow(fe *h, const fe *x, const u8 e[32])
{
	fe r;

	fe_set(&r, 1);
	for (int i = 254; i >= 0; i--) {
		fe_sq(&r, &r);
		if (bit_of(e, i))
			fe_mul(&r, &r, x);
	}
	*h = r;
}

static bool fe_equal(const fe *a, const fe *b)
{
	u8 sa[32], sb[32];
	u8 diff = 0;

	fe_tobytes(sa, a);
	fe_tobytes(sb, b);
	for (int i = 0; i < 32; i++)
		diff |= sa[i] ^ sb[i];
	return diff == 0;
}

static bool fe_iszero(const fe *a)
{
	fe zero;

	fe_set(&zero, 0);
	return fe_equal(a, &zero);
}

/* The "sign" of x: its least significant bit (5.1.2). */
static int fe_isodd(const fe *a)
{
	u8 s[32];

	fe_tobytes(s, a);
	return s[0] & 1;
}

/* ---- points (5.1.4) -------------------------------------------------------- */

static void point_identity(struct point *p)
{
	fe_set(&p->X, 0);
	fe_set(&p->Y, 1);
	fe_set(&p->Z, 1);
	fe_set(&p->T, 0);
}

/* r = p + q; d2 is 2 d (computed once by the caller). */
static void point_add(struct point *r, const struct point *p, const struct point *q, const fe *d2)
{
	fe a, b, c, d, e, f, g, h, t;

	fe_sub(&a, &p->Y, &p->X);
	fe_sub(&t, &q->Y, &q->X);
	fe_mul(&a, &a, &t);             /* A = (Y1 - X1) (Y2 - X2) */
	fe_add(&b, &p->Y, &p->X);
	fe_add(&t, &q->Y, &q->X);
	fe_mul(&b, &b, &t);             /* B = (Y1 + X1) (Y2 + X2) */
	fe_mul(&c, &p->T, &q->T);
	fe_mul(&c, &c, d2);             /* C = T1 2d T2 */
	fe_mul(&d, &p->Z, &q->Z);
	fe_add(&d, &d, &d);             /* D = Z1 2 Z2 */
	fe_sub(&e, &b, &a);
	fe_sub(&f, &d, &c);
	fe_add(&g, &d, &c);
	fe_add(&h, &b, &a);
	fe_mul(&r->X, &e, &f);
	fe_mul(&r->Y, &g, &h);
	fe_mul(&r->T, &e, &h);
	fe_mul(&r->Z, &f, &g);
}

static void point_double(struct point *r, const struct point *p)
{
	fe a, b, c, e, f, g, h, t;

	fe_sq(&a, &p->X);               /* A = X1^2 */
	fe_sq(&b, &p->Y);               /* B = Y1^2 */
	fe_sq(&c, &p->Z);
	fe_add(&c, &c, &c);             /* C = 2 Z1^2 */
	fe_add(&h, &a, &b);             /* H = A + B */
	fe_add(&t, &p->X, &p->Y);
	fe_sq(&t, &t);
	fe_sub(&e, &h, &t);             /* E = H - (X1 + Y1)^2 */
	fe_sub(&g, &a, &b);             /* G = A - B */
	fe_add(&f, &c, &g);             /* F = C + G */
	fe_mul(&r->X, &e, &f);
	fe_mul(&r->Y, &g, &h);
	fe_mul(&r->T, &e, &h);
	fe_mul(&r->Z, &f, &g);
}

static void point_neg(struct point *r, const struct point *p)
{
	fe_neg(&r->X, &p->X);
	r->Y = p->Y;
	r->Z = p->Z;
	fe_neg(&r->T, &p->T);
}

/* 5.1.2: y with the low bit of x in bit 255. */
static void point_encode(u8 s[32], const struct point *p)
{
	fe zinv, x, y;

	fe_pow(&zinv, &p->Z, P_MINUS_2);
	fe_mul(&x, &p->X, &zinv);
	fe_mul(&y, &p->Y, &zinv);
	fe_tobytes(s, &y);
	s[31] |= (u8)(fe_isodd(&x) << 7);
}

/* 5.1.3: 0 and the point, or -1 for an encoding that is not canonical
 * (y >= p; x = 0 with the sign bit set) or not on the curve. */
static int point_decode(struct point *p, const u8 s[32])
{
	int sign = s[31] >> 7;
	u8 canon[32];
	fe d, y, u, v, v3, x, vx2, t;

	fe_frombytes(&d, D_BYTES);
	fe_frombytes(&y, s);
	/* y < p exactly when re-encoding y gives back the 255 bits given */
	fe_tobytes(canon, &y);
	canon[31] |= (u8)(sign << 7);
	for (int i = 0; i < 32; i++)
		if (canon[i] != s[i])
			return -1;

	/* x^2 = u / v with u = y^2 - 1, v = d y^2 + 1 */
	fe_sq(&u, &y);
	fe_mul(&v, &u, &d);
	fe_set(&t, 1);
	fe_sub(&u, &u, &t);
	fe_add(&v, &v, &t);
	/* candidate x = u v^3 (u v^7)^((p-5)/8) */
	fe_sq(&v3, &v);
	fe_mul(&v3, &v3, &v);           /* v^3 */
	fe_sq(&t, &v3);
	fe_mul(&t, &t, &v);             /* v^7 */
	fe_mul(&t, &t, &u);             /* u v^7 */
	fe_pow(&t, &t, P_MINUS_5_DIV_8);
	fe_mul(&x, &u, &v3);
	fe_mul(&x, &x, &t);
	/* v x^2 = u: x is a root; v x^2 = -u: x sqrt(-1) is; else none */
	fe_sq(&vx2, &x);
	fe_mul(&vx2, &vx2, &v);
	if (!fe_equal(&vx2, &u)) {
		fe neg_u, sqrtm1;

		fe_neg(&neg_u, &u);
		if (!fe_equal(&vx2, &neg_u))
			return -1;
		fe_frombytes(&sqrtm1, SQRTM1_BYTES);
		fe_mul(&x, &x, &sqrtm1);
	}
	if (fe_iszero(&x) && sign)
		return -1;
	if (fe_isodd(&x) != sign)
		fe_neg(&x, &x);

	p->X = x;
	p->Y = y;
	fe_set(&p->Z, 1);
	fe_mul(&p->T, &x, &y);
	return 0;
}

static bool point_is_identity(const struct point *p)
{
	fe y_minus_z;

	fe_sub(&y_minus_z, &p->Y, &p->Z);
	return fe_iszero(&p->X) && fe_iszero(&y_minus_z);
}

/* [8]P is the identity: P is one of the eight points of small order. */
static bool point_small_order(const struct point *p)
{
	struct point q;

	point_double(&q, p);
	point_double(&q, &q);
	point_double(&q, &q);
	return point_is_identity(&q);
}

/* ---- scalars ---------------------------------------------------------------- */

/* a < b for 32-byte little-endian numbers. */
static bool scalar_less(const u8 a[32], const u8 b[32])
{
	for (int i = 31; i >= 0; i--)
		if (a[i] != b[i])
			return a[i] < b[i];
	return false;
}

/* out = the 512-bit little-endian h mod L, one bit at a time from the top:
 * r = 2 r + bit, minus L when r >= L (r stays below L < 2^253). */
static void scalar_reduce(u8 out[32], const u8 h[64])
{
	u64 r[4] = { 0, 0, 0, 0 }, l[4];

	for (int i = 0; i < 4; i++)
		l[i] = load_le64(L_BYTES + 8 * i);
	for (int bit = 511; bit >= 0; bit--) {
		bool ge = true;

		r[3] = (r[3] << 1) | (r[2] >> 63);
		r[2] = (r[2] << 1) | (r[1] >> 63);
		r[1] = (r[1] << 1) | (r[0] >> 63);
		r[0] = (r[0] << 1) | (u64)bit_of(h, bit);
		for (int i = 3; i >= 0; i--) {
			if (r[i] != l[i]) {
				ge = r[i] > l[i];
				break;
			}
		}
		if (ge) {
			u64 borrow = 0;

			for (int i = 0; i < 4; i++) {
				u64 t = r[i] - l[i] - borrow;

				borrow = (r[i] < l[i]) || (r[i] == l[i] && borrow);
				r[i] = t;
			}
		}
	}
	for (int i = 0; i < 4; i++)
		for (int j = 0; j < 8; j++)
			out[8 * i + j] = (u8)(r[i] >> (8 * j));
}

int ed25519_pubkey_check(const u8 pk[32])
{
	struct point A;

	if (point_decode(&A, pk) || point_small_order(&A))
		return -1;
	return 0;
}

/* ---- 5.1.7 ------------------------------------------------------------------ */

int ed25519_verify(const u8 sig[64], const u8 pk[32], const void *msg, size_t len)
{
	struct point A, R, B, negA, P;
	struct sha512_ctx c;
	u8 h[64], k[32], check[32];
	const u8 *S = sig + 32;
	fe d2;

	/* 1: decode R and A, S below L; refuse the points of small order */
	if (point_decode(&A, pk) || point_decode(&R, sig))
		return -1;
	if (!scalar_less(S, L_BYTES))
		return -1;
	if (point_small_order(&A) || point_small_order(&R))
		return -1;

	/* 2: k = SHA-512(R || A || M) mod L */
	sha512_init(&c);
	sha512_update(&c, sig, 32);
	sha512_update(&c, pk, 32);
	sha512_update(&c, msg, len);
	sha512_final(&c, h);
	scalar_reduce(k, h);

	/* 3: [S]B - [k]A must be R: encode it and compare with R's bytes (the
	 * encoding is canonical, so equal bytes is equal points) */
	if (point_decode(&B, B_BYTES))
		return -1; /* cannot happen: B is on the curve */
	fe_frombytes(&d2, D_BYTES);
	fe_add(&d2, &d2, &d2);
	point_neg(&negA, &A);
	point_identity(&P);
	for (int i = 255; i >= 0; i--) {
		point_double(&P, &P);
		if (bit_of(S, i))
			point_add(&P, &P, &B, &d2);
		if (bit_of(k, i))
			point_add(&P, &P, &negA, &d2);
	}
	point_encode(check, &P);
	for (int i = 0; i < 32; i++)
		if (check[i] != sig[i])
			return -1;
	return 0;
}
