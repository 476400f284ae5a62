/* What KCore's host-side probes share (tests/linux/probe/probe.c): the
 * test-only /dev/kcore_test, one result line per check, and the host's
 * access to a physical page in a child process, so that KCore's refusal
 * (SIGBUS) ends only the child. */
#ifndef KCORE_TEST_PROBE_H
#define KCORE_TEST_PROBE_H

#include <stdint.h>

extern int probe_dev;               /* /dev/kcore_test, opened by the program */
extern int probe_passed, probe_failed;

/* Prints "NAME: ok|FAIL what" (NAME given to probe_init) and counts it. */
void probe_result(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Opens /dev/kcore_test for a program whose lines start with name: 0, or
 * -1 with a FAIL line. */
int probe_init(const char *name);

enum probe_access { PROBE_READ, PROBE_WRITE };
/* In a child: the page at pa mapped through /dev/kcore_test, the 8 bytes at
 * pa read (*value) or written. 0 if the access completed, 3 if the mapping
 * failed, 128 + the signal that ended the child, -1 if it could not run. */
int probe_touch(uint64_t pa, enum probe_access how, uint64_t *value);

#endif
