/* A very small unit-test harness: CHECK() records failures; each test file
 * lists its tests in UT_MAIN, which prints "N passed, M failed". */
#ifndef KCORE_UT_H
#define KCORE_UT_H

#include <stdio.h>

static int ut_failed_checks;

#define CHECK(cond)                                                             \
	do {                                                                    \
		if (!(cond)) {                                                  \
			fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__,  \
				__LINE__, #cond);                               \
			ut_failed_checks++;                                     \
		}                                                               \
	} while (0)

#define CHECK_EQ(a, b)                                                          \
	do {                                                                    \
		unsigned long long ut_a = (unsigned long long)(a);              \
		unsigned long long ut_b = (unsigned long long)(b);              \
		if (ut_a != ut_b) {                                             \
			fprintf(stderr, "%s:%d: %s == 0x%llx, expected %s == 0x%llx\n", \
				__FILE__, __LINE__, #a, ut_a, #b, ut_b);        \
			ut_failed_checks++;                                     \
		}                                                               \
	} while (0)

struct ut_test {
	const char *name;
	void (*fn)(void);
};

#define UT_MAIN(...)                                                            \
	int main(void)                                                          \
	{                                                                       \
		static const struct ut_test tests[] = { __VA_ARGS__ };          \
		int passed = 0, failed = 0;                                     \
		for (unsigned i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) { \
			int before = ut_failed_checks;                          \
			tests[i].fn();                                          \
			if (ut_failed_checks == before) {                       \
				passed++;                                       \
			} else {                                                \
				failed++;                                       \
				fprintf(stderr, "FAIL %s\n", tests[i].name);    \
			}                                                       \
		}                                                               \
		printf("%s: %d passed, %d failed\n", __FILE__, passed, failed); \
		return failed ? 1 : 0;                                          \
	}
#define UT(fn) { #fn, fn }

#endif
