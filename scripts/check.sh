#!/usr/bin/env bash
# `make check`: the -Werror builds (done by `make all` before this), then
# cppcheck and clang-tidy over the core and the test kit, cppcheck over the
# EL2 boot code. Any finding fails.
set -euo pipefail
cd "$(dirname "$0")/.."
srcs=$(ls kcore/*.c smmu/*.c crypto/*.c)
echo "check: cppcheck"
cppcheck --quiet --error-exitcode=1 --std=c11 --enable=warning,style,performance,portability \
	--inline-suppr --suppress=missingIncludeSystem --suppress=unusedFunction \
	-DKCORE_PROFILE_TEST -DKCORE_DEBUG=1 -Iinclude $srcs tests/harness/*.c tests/fake/*.c
echo "check: cppcheck (EL2 boot, arch and the QEMU test host)"
# clang-tidy is not run on these: turning physical addresses into pointers
# (performance-no-int-to-ptr) is what they are for.
cppcheck --quiet --error-exitcode=1 --std=c11 --enable=warning,style,performance,portability \
	--inline-suppr --suppress=missingIncludeSystem --suppress=unusedFunction \
	-Iinclude -Iboot -Iplatform -Iarch/arm64 -Itests/qemu/host -Ismmu/v3 boot/*.c platform/*.c arch/arm64/*.c tests/qemu/host/*.c \
	smmu/v3/*.c smmu/none/*.c \
	tests/qemu/guests/*.c tests/qemu/bench/*.c
echo "check: cppcheck (the arch layer for Linux's nVHE image)"
cppcheck --quiet --error-exitcode=1 --std=c11 --enable=warning,style,performance,portability \
	--inline-suppr --suppress=missingIncludeSystem --suppress=unusedFunction \
	-Iinclude -Iarch/arm64 -Iplatform arch/arm64/linux/*.c
# ==== Linux test bed (issue 6): the VMM and its bare-metal guest ====
echo "check: cppcheck (the Linux test bed: tests/linux)"
cppcheck --quiet --error-exitcode=1 --std=c11 --enable=warning,style,performance,portability \
	--inline-suppr --suppress=missingIncludeSystem --suppress=unusedFunction \
	-Itests/linux/vmm tests/linux/vmm/*.c tests/linux/guests/*.c tests/linux/probe/*.c
# ==== end of the Linux test bed ====
echo "check: clang-tidy"
for f in $srcs; do
	clang-tidy --quiet --warnings-as-errors='*' "$f" -- -std=c11 -Iinclude -DKCORE_PROFILE_TEST \
		-ffreestanding 2>&1 | grep -v 'warnings generated' || true
	clang-tidy --quiet --warnings-as-errors='*' "$f" -- -std=c11 -Iinclude -DKCORE_PROFILE_TEST \
		-ffreestanding >/dev/null 2>&1 || { echo "check: clang-tidy failed on $f"; exit 1; }
done
echo "check: every mutant still applies"
# A mutant that no longer applies is reported BROKEN only at the end of
# make test's mutant run; this finds it in a second.
for m in tests/mutants/*.patch tests/mutants-el2/*.patch tests/mutants-linux/*.patch; do
	patch -p1 --dry-run -s -f < "$m" >/dev/null 2>&1 || { echo "check: $m does not apply"; exit 1; }
done
echo "check: ok"
