/* Unit tests of crypto/ed25519.c: every vector of RFC 8032 section 7.1
 * (TEST 1, 2, 3, 1024, SHA(abc)) is accepted; refused: any flipped bit of
 * signature, key or message, S >= L (S + L of a valid signature, which the
 * equation alone would accept), non-canonical encodings (y >= p; x = 0 with
 * the sign bit set), points off the curve, each of the eight small-order
 * points as A and as R, including "signatures" for which the cofactorless
 * equation holds (made by tests/crypto/ed25519-edge-vectors.py). */
#include "crypto/ed25519.h"
#include "crypto/sha512.h"
#include "ut.h"
#include "crypto_kit.h"

struct vec {
	const char *pk, *msg, *sig;
};

static const char msg1024[] =
	"08b8b2b733424243760fe426a4b54908632110a66c2f6591eabd3345e3e4eb98"
	"fa6e264bf09efe12ee50f8f54e9f77b1e355f6c50544e23fb1433ddf73be84d8"
	"79de7c0046dc4996d9e773f4bc9efe5738829adb26c81b37c93a1b270b20329d"
	"658675fc6ea534e0810a4432826bf58c941efb65d57a338bbd2e26640f89ffbc"
	"1a858efcb8550ee3a5e1998bd177e93a7363c344fe6b199ee5d02e82d522c4fe"
	"ba15452f80288a821a579116ec6dad2b3b310da903401aa62100ab5d1a36553e"
	"06203b33890cc9b832f79ef80560ccb9a39ce767967ed628c6ad573cb116dbef"
	"efd75499da96bd68a8a97b928a8bbc103b6621fcde2beca1231d206be6cd9ec7"
	"aff6f6c94fcd7204ed3455c68c83f4a41da4af2b74ef5c53f1d8ac70bdcb7ed1"
	"85ce81bd84359d44254d95629e9855a94a7c1958d1f8ada5d0532ed8a5aa3fb2"
	"d17ba70eb6248e594e1a2297acbbb39d502f1a8c6eb6f1ce22b3de1a1f40cc24"
	"554119a831a9aad6079cad88425de6bde1a9187ebb6092cf67bf2b13fd65f270"
	"88d78b7e883c8759d2c4f5c65adb7553878ad575f9fad878e80a0c9ba63bcbcc"
	"2732e69485bbc9c90bfbd62481d9089beccf80cfe2df16a2cf65bd92dd597b07"
	"07e0917af48bbb75fed413d238f5555a7a569d80c3414a8d0859dc65a46128ba"
	"b27af87a71314f318c782b23ebfe808b82b0ce26401d2e22f04d83d1255dc51a"
	"ddd3b75a2b1ae0784504df543af8969be3ea7082ff7fc9888c144da2af58429e"
	"c96031dbcad3dad9af0dcbaaaf268cb8fcffead94f3c7ca495e056a9b47acdb7"
	"51fb73e666c6c655ade8297297d07ad1ba5e43f1bca32301651339e22904cc8c"
	"42f58c30c04aafdb038dda0847dd988dcda6f3bfd15c4b4c4525004aa06eeff8"
	"ca61783aacec57fb3d1f92b0fe2fd1a85f6724517b65e614ad6808d6f6ee34df"
	"f7310fdc82aebfd904b01e1dc54b2927094b2db68d6f903b68401adebf5a7e08"
	"d78ff4ef5d63653a65040cf9bfd4aca7984a74d37145986780fc0b16ac451649"
	"de6188a7dbdf191f64b5fc5e2ab47b57f7f7276cd419c17a3ca8e1b939ae49e4"
	"88acba6b965610b5480109c8b17b80e1b7b750dfc7598d5d5011fd2dcc5600a3"
	"2ef5b52a1ecc820e308aa342721aac0943bf6686b64b2579376504ccc493d97e"
	"6aed3fb0f9cd71a43dd497f01f17c0e2cb3797aa2a2f256656168e6c496afc5f"
	"b93246f6b1116398a346f1a641f3b041e989f7914f90cc2c7fff357876e506b5"
	"0d334ba77c225bc307ba537152f3f1610e4eafe595f6d9d90d11faa933a15ef1"
	"369546868a7f3a45a96768d40fd9d03412c091c6315cf4fde7cb68606937380d"
	"b2eaaa707b4c4185c32eddcdd306705e4dc1ffc872eeee475a64dfac86aba41c"
	"0618983f8741c5ef68d3a101e8a3b8cac60c905c15fc910840b94c00a0b9d0";

/* RFC 8032 7.1; the message of SHA(abc) is SHA-512("abc"). */
static const struct vec rfc8032[] = {
	{ "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
	  "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
	  "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b" },
	{ "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
	  "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
	  "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00" },
	{ "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
	  "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
	  "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a" },
	{ "278117fc144c72340f67d0f2316e8386ceffbf2b2428c9c51fef7c597f1d426e", msg1024,
	  "0aab4c900501b3e24d7cdf4663326a3a87df5e4843b2cbdb67cbf6e460fec350"
	  "aa5371b1508f9f4528ecea23c436d94b5e8fcd4f681e30a6ac00a9704a188a03" },
	{ "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
	  "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
	  "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
	  "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b589"
	  "09351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704" },
};
#define NVEC (sizeof(rfc8032) / sizeof(rfc8032[0]))

struct loaded {
	u8 pk[32], sig[64], msg[1100];
	size_t len;
};

static void load(struct loaded *v, size_t i)
{
	unhex(rfc8032[i].pk, v->pk, 32);
	unhex(rfc8032[i].sig, v->sig, 64);
	v->len = unhex(rfc8032[i].msg, v->msg, sizeof(v->msg));
}

/* The eight points of order dividing 8, canonical encodings. */
static const char *const small_order[8] = {
	"0100000000000000000000000000000000000000000000000000000000000000",
	"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
	"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
	"0000000000000000000000000000000000000000000000000000000000000000",
	"0000000000000000000000000000000000000000000000000000000000000080",
	"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
	"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
};

static void test_rfc8032_vectors(void)
{
	CHECK_EQ(sizeof(msg1024) - 1, 2 * 1023);
	for (size_t i = 0; i < NVEC; i++) {
		struct loaded v;

		load(&v, i);
		CHECK_EQ(ed25519_pubkey_check(v.pk), 0);
		if (ed25519_verify(v.sig, v.pk, v.msg, v.len) != 0) {
			fprintf(stderr, "  RFC 8032 vector %zu refused\n", i);
			CHECK(0);
		}
	}
	/* SHA(abc)'s message is indeed SHA-512("abc") */
	{
		struct loaded v;
		u8 d[64];

		load(&v, 4);
		sha512("abc", 3, d);
		CHECK(v.len == 64 && memcmp(d, v.msg, 64) == 0);
	}
}

/* Every bit of every signature, every bit of every key, a bit of each
 * message byte (up to 64 bytes): each flip refused. */
static void test_bit_flips(void)
{
	int tries = 0, refused = 0;

	for (size_t i = 0; i < NVEC; i++) {
		struct loaded v;

		load(&v, i);
		for (int b = 0; b < 512; b++) {
			v.sig[b / 8] ^= (u8)(1 << (b % 8));
			refused += ed25519_verify(v.sig, v.pk, v.msg, v.len) == -1;
			tries++;
			v.sig[b / 8] ^= (u8)(1 << (b % 8));
		}
		for (int b = 0; b < 256; b++) {
			v.pk[b / 8] ^= (u8)(1 << (b % 8));
			refused += ed25519_verify(v.sig, v.pk, v.msg, v.len) == -1;
			tries++;
			v.pk[b / 8] ^= (u8)(1 << (b % 8));
		}
		for (size_t j = 0; j < v.len && j < 64; j++) {
			v.msg[j] ^= (u8)(1 << (j % 8));
			refused += ed25519_verify(v.sig, v.pk, v.msg, v.len) == -1;
			tries++;
			v.msg[j] ^= (u8)(1 << (j % 8));
		}
		/* a byte more, a byte less */
		refused += ed25519_verify(v.sig, v.pk, v.msg, v.len + 1) == -1;
		tries++;
		if (v.len) {
			refused += ed25519_verify(v.sig, v.pk, v.msg, v.len - 1) == -1;
			tries++;
		}
		/* and the untouched one still verifies */
		CHECK_EQ(ed25519_verify(v.sig, v.pk, v.msg, v.len), 0);
	}
	CHECK_EQ(refused, tries);
	CHECK(tries > 5 * 768);
}

/* Adds L to the 32-byte little-endian S (S < L, so no carry out). */
static void add_L(u8 s[32])
{
	static const char l_hex[] = "edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010";
	u8 l[32];
	unsigned carry = 0;

	unhex(l_hex, l, 32);
	for (int i = 0; i < 32; i++) {
		unsigned t = s[i] + l[i] + carry;

		s[i] = (u8)t;
		carry = t >> 8;
	}
	CHECK_EQ(carry, 0);
}

/* [S + L]B = [S]B: the equation would hold, only the S < L check refuses. */
static void test_s_not_below_L(void)
{
	for (size_t i = 0; i < NVEC; i++) {
		struct loaded v;

		load(&v, i);
		add_L(v.sig + 32);
		CHECK_EQ(ed25519_verify(v.sig, v.pk, v.msg, v.len), -1);
	}
	{
		struct loaded v;

		load(&v, 0);
		/* S = L exactly, and S = 2^256 - 1 */
		unhex("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010", v.sig + 32, 32);
		CHECK_EQ(ed25519_verify(v.sig, v.pk, v.msg, v.len), -1);
		memset(v.sig + 32, 0xff, 32);
		CHECK_EQ(ed25519_verify(v.sig, v.pk, v.msg, v.len), -1);
	}
}

/* y >= p: y = p (the point y = 0), p + 1 (y = 1, the identity), p + 3
 * (a point of large order, y = 3); the maximum 2^255 - 1; x = 0 with the
 * sign bit set (y = 1, y = -1); y = 2, which is on no point of the curve. */
static const char *const bad_encodings[] = {
	"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	"eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	"f0ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	"f0ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
	"ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	"0100000000000000000000000000000000000000000000000000000000000080",
	"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
	"0200000000000000000000000000000000000000000000000000000000000000",
};

static void test_bad_encodings(void)
{
	for (size_t j = 0; j < sizeof(bad_encodings) / sizeof(bad_encodings[0]); j++) {
		struct loaded v;

		/* as A */
		load(&v, 0);
		unhex(bad_encodings[j], v.pk, 32);
		CHECK_EQ(ed25519_verify(v.sig, v.pk, v.msg, v.len), -1);
		/* as R */
		load(&v, 0);
		unhex(bad_encodings[j], v.sig, 32);
		CHECK_EQ(ed25519_verify(v.sig, v.pk, v.msg, v.len), -1);
		CHECK_EQ(ed25519_pubkey_check(v.sig), -1);
		/* the identity, non-canonically (y = p + 1), as both A and R
		 * with S = 0 satisfies [S]B = R + [k]A: refused all the same */
	}
	{
		u8 pk[32], sig[64] = { 0 };

		unhex(bad_encodings[1], pk, 32);
		unhex(bad_encodings[1], sig, 32);
		CHECK_EQ(ed25519_verify(sig, pk, "", 0), -1);
	}
}

/* Each small-order point as A: with R = identity and S = 0 the equation
 * [0]B = identity + [k]A holds for A = identity, and [8][S]B = [8]R + [8][k]A
 * (the cofactored one) for all eight; all refused. And as R. */
static void test_small_order(void)
{
	for (int j = 0; j < 8; j++) {
		u8 pk[32], sig[64] = { 0 };
		struct loaded v;

		unhex(small_order[j], pk, 32);
		unhex(small_order[0], sig, 32);
		CHECK_EQ(ed25519_verify(sig, pk, "x", 1), -1);
		CHECK_EQ(ed25519_pubkey_check(pk), -1);
		unhex(small_order[j], sig, 32);
		CHECK_EQ(ed25519_verify(sig, pk, "x", 1), -1);

		load(&v, 0);
		unhex(small_order[j], v.pk, 32);
		CHECK_EQ(ed25519_verify(v.sig, v.pk, v.msg, v.len), -1);
		load(&v, 0);
		unhex(small_order[j], v.sig, 32);
		CHECK_EQ(ed25519_verify(v.sig, v.pk, v.msg, v.len), -1);
	}
}

/* R = identity under TEST 1's key with S = k a mod L: [S]B = R + [k]A holds
 * (tests/crypto/ed25519-edge-vectors.py checks it), so only the
 * small-order check on R refuses it. */
static void test_small_order_R_forgery(void)
{
	static const char msg[] = "KCore small-order R";
	u8 pk[32], sig[64];

	unhex(rfc8032[0].pk, pk, 32);
	unhex("0100000000000000000000000000000000000000000000000000000000000000"
	      "b4772d5b6677b9be2660314e3b8e48c2bd62aa3e70172efd5226865d28b3ff00", sig, 64);
	CHECK_EQ(ed25519_verify(sig, pk, msg, strlen(msg)), -1);
}

UT_MAIN(UT(test_rfc8032_vectors), UT(test_bit_flips), UT(test_s_not_below_L),
	UT(test_bad_encodings), UT(test_small_order), UT(test_small_order_R_forgery))
