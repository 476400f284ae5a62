/* Unit tests of crypto/chacha20.c, poly1305.c, aead.c and util.c with the
 * vectors of RFC 8439 (2.3.2, 2.4.2, 2.5.2, 2.6.2, 2.8.2, A.1 to A.5), and
 * the refusals of aead_open: any flipped bit of tag, ciphertext or
 * associated data is refused and the output buffer is left untouched. */
#include "crypto/aead.h"
#include "crypto/chacha20.h"
#include "crypto/poly1305.h"
#include "ut.h"
#include "crypto_kit.h"

static const char key_00_1f[] = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
static const char key_80_9f[] = "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f";
static const char key_1c92[] = "1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0";

static const char sunscreen[] = "Ladies and Gentlemen of the class of '99: If I could offer you only "
				"one tip for the future, sunscreen would be it.";
static const char ietf_text[] =
	"Any submission to the IETF intended by the Contributor for publication as all or part of an "
	"IETF Internet-Draft or RFC and any statement made within the context of an IETF activity is "
	"considered an \"IETF Contribution\". Such statements include oral statements in IETF "
	"sessions, as well as written and electronic communications made at any time or place, which "
	"are addressed to";
static const char jabberwock[] = "'Twas brillig, and the slithy toves\nDid gyre and gimble in the "
				 "wabe:\nAll mimsy were the borogoves,\nAnd the mome raths outgrabe.";

/* 2.3.2: the block function. */
static void test_chacha20_block(void)
{
	u8 key[32], nonce[12], out[64];

	unhex(key_00_1f, key, 32);
	unhex("000000090000004a00000000", nonce, 12);
	chacha20_block(key, 1, nonce, out);
	CHECK(eq_hex(out, 64, "10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4e"
			      "d2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e"));
}

/* A.1 #1 and #2: the all-zero key and nonce, counters 0 and 1. */
static void test_chacha20_block_a1(void)
{
	u8 key[32] = { 0 }, nonce[12] = { 0 }, out[64];

	chacha20_block(key, 0, nonce, out);
	CHECK(eq_hex(out, 64, "76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7"
			      "da41597c5157488d7724e03fb8d84a376a43b8f41518a11cc387b669b2ee6586"));
}

/* 2.4.2: encryption across blocks (114 bytes, counter 1). */
static void test_chacha20_encrypt(void)
{
	u8 key[32], nonce[12], ct[114], back[114];

	CHECK_EQ(strlen(sunscreen), 114);
	unhex(key_00_1f, key, 32);
	unhex("000000000000004a00000000", nonce, 12);
	chacha20_xor(key, 1, nonce, sunscreen, ct, 114);
	CHECK(eq_hex(ct, 114, "6e2e359a2568f98041ba0728dd0d6981e97e7aec1d4360c20a27afccfd9fae0b"
			      "f91b65c5524733ab8f593dabcd62b3571639d624e65152ab8f530c359f0861d8"
			      "07ca0dbf500d6a6156a38e088a22b65e52bc514d16ccf806818ce91ab7793736"
			      "5af90bbf74a35be6b40b8eedf2785e42874d"));
	/* in place, and back */
	memcpy(back, ct, sizeof(back));
	chacha20_xor(key, 1, nonce, back, back, 114);
	CHECK(memcmp(back, sunscreen, 114) == 0);
}

/* A.2 #1 (zero key, counter 0) and #3 (counter 42). */
static void test_chacha20_encrypt_a2(void)
{
	u8 key[32] = { 0 }, nonce[12] = { 0 }, zero[64] = { 0 }, out[127];

	chacha20_xor(key, 0, nonce, zero, out, 64);
	CHECK(eq_hex(out, 64, "76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7"
			      "da41597c5157488d7724e03fb8d84a376a43b8f41518a11cc387b669b2ee6586"));
	CHECK_EQ(strlen(jabberwock), 127);
	unhex(key_1c92, key, 32);
	unhex("000000000000000000000002", nonce, 12);
	chacha20_xor(key, 42, nonce, jabberwock, out, 127);
	CHECK(eq_hex(out, 127, "62e6347f95ed87a45ffae7426f27a1df5fb69110044c0d73118effa95b01e5cf"
			       "166d3df2d721caf9b21e5fb14c616871fd84c54f9d65b283196c7fe4f60553eb"
			       "f39c6402c42234e32a356b3e764312a61a5532055716ead6962568f87d3f3f77"
			       "04c6a8d1bcd1bf4d50d6154b6da731b187b58dfd728afa36757a797ac188d1"));
}

/* 2.5.2: Poly1305 of "Cryptographic Forum Research Group"; one-shot and
 * in pieces that cross the 16-byte blocks. */
static void test_poly1305(void)
{
	static const char msg[] = "Cryptographic Forum Research Group";
	static const char want[] = "a8061dc1305136c6c22b8baf0c0127a9";
	u8 key[32], tag[16];

	unhex("85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b", key, 32);
	poly1305(key, msg, 34, tag);
	CHECK(eq_hex(tag, 16, want));
	for (size_t cut = 0; cut <= 34; cut++) {
		struct poly1305_ctx c;

		poly1305_init(&c, key);
		poly1305_update(&c, msg, cut);
		poly1305_update(&c, msg + cut, 34 - cut);
		poly1305_final(&c, tag);
		CHECK(eq_hex(tag, 16, want));
	}
}

struct poly_case {
	const char *key;  /* r || s */
	const char *data; /* hex, or NULL for the text below */
	const char *text;
	const char *tag;
};

/* A.3, test vectors #1 to #11. */
static const struct poly_case a3[] = {
	{ "0000000000000000000000000000000000000000000000000000000000000000",
	  "0000000000000000000000000000000000000000000000000000000000000000"
	  "0000000000000000000000000000000000000000000000000000000000000000",
	  NULL, "00000000000000000000000000000000" },
	{ "0000000000000000000000000000000036e5f6b5c5e06070f0efca96227a863e", NULL, ietf_text,
	  "36e5f6b5c5e06070f0efca96227a863e" },
	{ "36e5f6b5c5e06070f0efca96227a863e00000000000000000000000000000000", NULL, ietf_text,
	  "f3477e7cd95417af89a6b8794c310cf0" },
	{ "1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0", NULL, jabberwock,
	  "4541669a7eaaee61e708dc7cbcc5eb62" },
	{ "0200000000000000000000000000000000000000000000000000000000000000",
	  "ffffffffffffffffffffffffffffffff", NULL, "03000000000000000000000000000000" },
	{ "02000000000000000000000000000000ffffffffffffffffffffffffffffffff",
	  "02000000000000000000000000000000", NULL, "03000000000000000000000000000000" },
	{ "0100000000000000000000000000000000000000000000000000000000000000",
	  "ffffffffffffffffffffffffffffffff f0ffffffffffffffffffffffffffffff"
	  "11000000000000000000000000000000", NULL, "05000000000000000000000000000000" },
	{ "0100000000000000000000000000000000000000000000000000000000000000",
	  "ffffffffffffffffffffffffffffffff fbfefefefefefefefefefefefefefefe"
	  "01010101010101010101010101010101", NULL, "00000000000000000000000000000000" },
	{ "0200000000000000000000000000000000000000000000000000000000000000",
	  "fdffffffffffffffffffffffffffffff", NULL, "faffffffffffffffffffffffffffffff" },
	{ "0100000000000000040000000000000000000000000000000000000000000000",
	  "e33594d7505e43b900000000000000003394d7505e4379cd0100000000000000"
	  "0000000000000000000000000000000001000000000000000000000000000000",
	  NULL, "14000000000000005500000000000000" },
	{ "0100000000000000040000000000000000000000000000000000000000000000",
	  "e33594d7505e43b900000000000000003394d7505e4379cd0100000000000000"
	  "00000000000000000000000000000000",
	  NULL, "13000000000000000000000000000000" },
};

static void test_poly1305_a3(void)
{
	CHECK_EQ(strlen(ietf_text), 375);
	for (size_t i = 0; i < sizeof(a3) / sizeof(a3[0]); i++) {
		u8 key[32], data[128], tag[16];
		const void *msg = data;
		size_t len;

		unhex(a3[i].key, key, 32);
		if (a3[i].data) {
			len = unhex(a3[i].data, data, sizeof(data));
		} else {
			msg = a3[i].text;
			len = strlen(a3[i].text);
		}
		poly1305(key, msg, len, tag);
		if (!eq_hex(tag, 16, a3[i].tag)) {
			fprintf(stderr, "  RFC 8439 A.3 test vector #%zu\n", i + 1);
			CHECK(0);
		}
	}
}

/* 2.6.2 and A.4: the Poly1305 key is the first 32 bytes of block 0. */
static void test_poly1305_keygen(void)
{
	u8 key[32], nonce[12], out[64];

	unhex(key_80_9f, key, 32);
	unhex("000000000001020304050607", nonce, 12);
	chacha20_block(key, 0, nonce, out);
	CHECK(eq_hex(out, 32, "8ad5a08b905f81cc815040274ab29471a833b637e3fd0da508dbb8e2fdd1a646"));
	unhex(key_1c92, key, 32);
	unhex("000000000000000000000002", nonce, 12);
	chacha20_block(key, 0, nonce, out);
	CHECK(eq_hex(out, 32, "965e3bc6f9ec7ed9560808f4d229f94b137ff275ca9b3fcbdd59deaad23310ae"));
}

static const char aead_ct[] = "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
			      "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
			      "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
			      "3ff4def08e4b7a9de576d26586cec64b6116";
static const char aead_tag[] = "1ae10b594f09e26a7e902ecbd0600691";

/* 2.8.2: seal; open gives the text back, also in place. */
static void test_aead_seal(void)
{
	u8 key[32], nonce[12], ad[12], ct[114], tag[16], pt[114];

	unhex(key_80_9f, key, 32);
	unhex("070000004041424344454647", nonce, 12);
	unhex("50515253c0c1c2c3c4c5c6c7", ad, 12);
	aead_seal(key, nonce, ad, 12, sunscreen, 114, ct, tag);
	CHECK(eq_hex(ct, 114, aead_ct));
	CHECK(eq_hex(tag, 16, aead_tag));
	CHECK_EQ(aead_open(key, nonce, ad, 12, ct, 114, tag, pt), 0);
	CHECK(memcmp(pt, sunscreen, 114) == 0);
	CHECK_EQ(aead_open(key, nonce, ad, 12, ct, 114, tag, ct), 0);
	CHECK(memcmp(ct, sunscreen, 114) == 0);
	/* and sealing in place */
	memcpy(pt, sunscreen, 114);
	aead_seal(key, nonce, ad, 12, pt, 114, pt, tag);
	CHECK(eq_hex(pt, 114, aead_ct));
}

/* A.5: decryption of a 265-byte message. */
static void test_aead_open_a5(void)
{
	static const char want[] =
		"Internet-Drafts are draft documents valid for a maximum of six months and may be "
		"updated, replaced, or obsoleted by other documents at any time. It is inappropriate to "
		"use Internet-Drafts as reference material or to cite them other than as /\xe2\x80\x9cwork "
		"in progress./\xe2\x80\x9d";
	u8 key[32], nonce[12], ad[12], ct[265], tag[16], pt[265];

	unhex(key_1c92, key, 32);
	unhex("000000000102030405060708", nonce, 12);
	unhex("f33388860000000000004e91", ad, 12);
	unhex("eead9d67890cbb22392336fea1851f38", tag, 16);
	CHECK_EQ(unhex("64a0861575861af460f062c79be643bd5e805cfd345cf389f108670ac76c8cb2"
		       "4c6cfc18755d43eea09ee94e382d26b0bdb7b73c321b0100d4f03b7f355894cf"
		       "332f830e710b97ce98c8a84abd0b948114ad176e008d33bd60f982b1ff37c855"
		       "9797a06ef4f0ef61c186324e2b3506383606907b6a7c02b0f9f6157b53c867e4"
		       "b9166c767b804d46a59b5216cde7a4e99040c5a40433225ee282a1b0a06c523e"
		       "af4534d7f83fa1155b0047718cbc546a0d072b04b3564eea1b422273f548271a"
		       "0bb2316053fa76991955ebd63159434ecebb4e466dae5a1073a6727627097a10"
		       "49e617d91d361094fa68f0ff77987130305beaba2eda04df997b714d6c6f2c29"
		       "a6ad5cb4022b02709b", ct, sizeof(ct)), 265);
	CHECK_EQ(strlen(want), 265);
	CHECK_EQ(aead_open(key, nonce, ad, 12, ct, 265, tag, pt), 0);
	CHECK(memcmp(pt, want, 265) == 0);
}

/* Every single-bit flip of the tag, the ciphertext or the associated data
 * is refused, and the output buffer keeps its earlier bytes. */
static void test_aead_bit_flips(void)
{
	u8 key[32], nonce[12], ad[12], ct[114], tag[16], out[114], canary[114];
	int refused = 0, tries = 0;

	unhex(key_80_9f, key, 32);
	unhex("070000004041424344454647", nonce, 12);
	unhex("50515253c0c1c2c3c4c5c6c7", ad, 12);
	aead_seal(key, nonce, ad, 12, sunscreen, 114, ct, tag);
	for (size_t i = 0; i < sizeof(canary); i++)
		canary[i] = (u8)(0xa5 ^ i);

	for (int which = 0; which < 3; which++) {
		u8 *buf = which == 0 ? tag : which == 1 ? ct : ad;
		size_t n = which == 0 ? 16 : which == 1 ? 114 : 12;

		for (size_t bit = 0; bit < n * 8; bit++) {
			buf[bit / 8] ^= (u8)(1 << (bit % 8));
			memcpy(out, canary, sizeof(out));
			refused += aead_open(key, nonce, ad, 12, ct, 114, tag, out) == -1;
			tries++;
			CHECK(memcmp(out, canary, sizeof(out)) == 0);
			buf[bit / 8] ^= (u8)(1 << (bit % 8));
		}
	}
	CHECK_EQ(refused, tries);
	CHECK_EQ(tries, (16 + 114 + 12) * 8);
	/* a wrong nonce, a wrong key, a shorter length, a missing AD */
	memcpy(out, canary, sizeof(out));
	nonce[0] ^= 1;
	CHECK_EQ(aead_open(key, nonce, ad, 12, ct, 114, tag, out), -1);
	nonce[0] ^= 1;
	key[31] ^= 0x80;
	CHECK_EQ(aead_open(key, nonce, ad, 12, ct, 114, tag, out), -1);
	key[31] ^= 0x80;
	CHECK_EQ(aead_open(key, nonce, ad, 12, ct, 113, tag, out), -1);
	CHECK_EQ(aead_open(key, nonce, ad, 0, ct, 114, tag, out), -1);
	CHECK(memcmp(out, canary, sizeof(out)) == 0);
	/* and the untouched inputs still open: the flips were all undone */
	CHECK_EQ(aead_open(key, nonce, ad, 12, ct, 114, tag, out), 0);
	CHECK(memcmp(out, sunscreen, 114) == 0);
}

/* Empty text and empty AD, and lengths around the 16- and 64-byte edges:
 * seal then open round-trips, and each length gives a different tag. */
static void test_aead_lengths(void)
{
	static const size_t lens[] = { 0, 1, 15, 16, 17, 63, 64, 65, 128, 4096 };
	static u8 pt[4096], ct[4096], back[4096];
	u8 key[32], nonce[12], tags[10][16];

	for (size_t i = 0; i < sizeof(pt); i++)
		pt[i] = (u8)(i * 13 + 5);
	unhex(key_00_1f, key, 32);
	unhex("000000000000000000000001", nonce, 12);
	for (size_t i = 0; i < 10; i++) {
		aead_seal(key, nonce, pt, lens[i] % 32, pt, lens[i], ct, tags[i]);
		memset(back, 0, sizeof(back));
		CHECK_EQ(aead_open(key, nonce, pt, lens[i] % 32, ct, lens[i], tags[i], back), 0);
		CHECK(memcmp(back, pt, lens[i]) == 0);
		for (size_t j = 0; j < i; j++)
			CHECK(memcmp(tags[i], tags[j], 16) != 0);
	}
}

static void test_memeq_wipe(void)
{
	u8 a[32], b[32];

	for (int i = 0; i < 32; i++)
		a[i] = b[i] = (u8)i;
	CHECK_EQ(crypto_memeq(a, b, 32), 1);
	CHECK_EQ(crypto_memeq(a, b, 0), 1);
	for (int i = 0; i < 32 * 8; i++) {
		b[i / 8] ^= (u8)(1 << (i % 8));
		CHECK_EQ(crypto_memeq(a, b, 32), 0);
		b[i / 8] ^= (u8)(1 << (i % 8));
	}
	b[5] = 0xff;
	a[5] = 0x00;
	CHECK_EQ(crypto_memeq(a, b, 32), 0);
	crypto_wipe(a, 31);
	for (int i = 0; i < 31; i++)
		CHECK_EQ(a[i], 0);
	CHECK_EQ(a[31], 31);
}

UT_MAIN(UT(test_chacha20_block), UT(test_chacha20_block_a1), UT(test_chacha20_encrypt),
	UT(test_chacha20_encrypt_a2), UT(test_poly1305), UT(test_poly1305_a3),
	UT(test_poly1305_keygen), UT(test_aead_seal), UT(test_aead_open_a5),
	UT(test_aead_bit_flips), UT(test_aead_lengths), UT(test_memeq_wipe))
