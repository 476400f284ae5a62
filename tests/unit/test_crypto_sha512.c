/* Unit tests of crypto/sha512.c and crypto/hmac.c with the standard vectors:
 * FIPS 180 (the SHA-512 examples and the one-million-'a' message) and
 * RFC 4231 (HMAC-SHA-512, test cases 1 to 7). */
#include "crypto/hmac.h"
#include "crypto/sha512.h"
#include "ut.h"
#include "crypto_kit.h"

static void test_abc(void)
{
	u8 d[64];

	sha512("abc", 3, d);
	CHECK(eq_hex(d, 64, "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
			    "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"));
}

static void test_empty(void)
{
	u8 d[64];

	sha512("", 0, d);
	CHECK(eq_hex(d, 64, "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
			    "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"));
}

static const char msg896[] = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
			     "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
static const char d896[] = "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018"
			   "501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909";

static void test_896_bits(void)
{
	u8 d[64];

	CHECK_EQ(sizeof(msg896) - 1, 112);
	sha512(msg896, 112, d);
	CHECK(eq_hex(d, 64, d896));
}

/* The same message fed in every split, byte by byte and in odd pieces:
 * the buffering in sha512_update must not matter. */
static void test_streaming_splits(void)
{
	for (size_t cut = 0; cut <= 112; cut++) {
		struct sha512_ctx c;
		u8 d[64];

		sha512_init(&c);
		sha512_update(&c, msg896, cut);
		sha512_update(&c, msg896 + cut, 112 - cut);
		sha512_final(&c, d);
		CHECK(eq_hex(d, 64, d896));
	}
	{
		struct sha512_ctx c;
		u8 d[64];

		sha512_init(&c);
		for (size_t i = 0; i < 112; i++)
			sha512_update(&c, msg896 + i, 1);
		sha512_final(&c, d);
		CHECK(eq_hex(d, 64, d896));
	}
}

static void test_million_a(void)
{
	static u8 a[1000];
	struct sha512_ctx c;
	u8 d[64];

	memset(a, 'a', sizeof(a));
	sha512_init(&c);
	for (int i = 0; i < 1000; i++)
		sha512_update(&c, a, sizeof(a));
	sha512_final(&c, d);
	CHECK(eq_hex(d, 64, "e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973eb"
			    "de0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b"));
}

/* Lengths around the padding boundary (111, 112, 127, 128 bytes): the
 * one-shot and a split stream agree, and all differ. */
static void test_padding_boundaries(void)
{
	static const size_t lens[] = { 111, 112, 113, 127, 128, 129, 239, 240 };
	u8 m[256], d[8][64];

	for (size_t i = 0; i < sizeof(m); i++)
		m[i] = (u8)(i * 7 + 1);
	for (size_t i = 0; i < 8; i++) {
		struct sha512_ctx c;
		u8 s[64];

		sha512(m, lens[i], d[i]);
		sha512_init(&c);
		sha512_update(&c, m, 5);
		sha512_update(&c, m + 5, lens[i] - 5);
		sha512_final(&c, s);
		CHECK(memcmp(s, d[i], 64) == 0);
		for (size_t j = 0; j < i; j++)
			CHECK(memcmp(d[j], d[i], 64) != 0);
	}
}

struct hmac_case {
	const char *key, *data, *mac;
	size_t maclen;
};

/* RFC 4231 section 4: keys and data in hex. */
static const struct hmac_case rfc4231[] = {
	{ "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "4869205468657265",
	  "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
	  "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854", 64 },
	{ "4a656665", "7768617420646f2079612077616e7420666f72206e6f7468696e673f",
	  "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
	  "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737", 64 },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	  "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd",
	  "fa73b0089d56a284efb0f0756c890be9b1b5dbdd8ee81a3655f83e33b2279d39"
	  "bf3e848279a722c806b485a47e67c807b946a337bee8942674278859e13292fb", 64 },
	{ "0102030405060708090a0b0c0d0e0f10111213141516171819",
	  "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd",
	  "b0ba465637458c6990e5a8c5f61d4af7e576d97ff94b872de76f8050361ee3db"
	  "a91ca5c11aa25eb4d679275cc5788063a5f19741120c4f2de2adebeb10a298dd", 64 },
	{ "0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c", "546573742057697468205472756e636174696f6e",
	  "415fad6271580a531d4179bc891d87a6", 16 },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	  "54657374205573696e67204c6172676572205468616e20426c6f636b2d53697a"
	  "65204b6579202d2048617368204b6579204669727374",
	  "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352"
	  "6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598", 64 },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	  "5468697320697320612074657374207573696e672061206c6172676572207468"
	  "616e20626c6f636b2d73697a65206b657920616e642061206c61726765722074"
	  "68616e20626c6f636b2d73697a6520646174612e20546865206b6579206e6565"
	  "647320746f20626520686173686564206265666f7265206265696e6720757365"
	  "642062792074686520484d414320616c676f726974686d2e",
	  "e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944"
	  "b6022cac3c4982b10d5eeb55c3e4de15134676fb6de0446065c97440fa8c6a58", 64 },
};

static void test_hmac_rfc4231(void)
{
	for (size_t i = 0; i < sizeof(rfc4231) / sizeof(rfc4231[0]); i++) {
		u8 key[200], data[200], mac[64];
		size_t kl = unhex(rfc4231[i].key, key, sizeof(key));
		size_t dl = unhex(rfc4231[i].data, data, sizeof(data));

		hmac_sha512(key, kl, data, dl, mac);
		if (!eq_hex(mac, rfc4231[i].maclen, rfc4231[i].mac)) {
			fprintf(stderr, "  RFC 4231 test case %zu\n", i + 1);
			CHECK(0);
		}
	}
	/* The key lengths the cases cover: 20, 4, 25 and 131 (> the block). */
	CHECK_EQ(unhex(rfc4231[5].key, (u8[200]){ 0 }, 200), 131);
}

UT_MAIN(UT(test_abc), UT(test_empty), UT(test_896_bits), UT(test_streaming_splits),
	UT(test_million_a), UT(test_padding_boundaries), UT(test_hmac_rfc4231))
