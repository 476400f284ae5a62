#!/usr/bin/env bash
# `make check`: the -Werror builds (done by `make all` before this), then
# cppcheck and clang-tidy over the core and the test kit. Any finding fails.
set -euo pipefail
cd "$(dirname "$0")/.."
srcs=$(ls kcore/*.c smmu/*.c)
echo "check: cppcheck"
cppcheck --quiet --error-exitcode=1 --std=c11 --enable=warning,style,performance,portability \
	--inline-suppr --suppress=missingIncludeSystem --suppress=unusedFunction \
	-DKCORE_PROFILE_TEST -DKCORE_DEBUG=1 -Iinclude $srcs tests/harness/*.c tests/fake/*.c
echo "check: clang-tidy"
for f in $srcs; do
	clang-tidy --quiet --warnings-as-errors='*' "$f" -- -std=c11 -Iinclude -DKCORE_PROFILE_TEST \
		-ffreestanding 2>&1 | grep -v 'warnings generated' || true
	clang-tidy --quiet --warnings-as-errors='*' "$f" -- -std=c11 -Iinclude -DKCORE_PROFILE_TEST \
		-ffreestanding >/dev/null 2>&1 || { echo "check: clang-tidy failed on $f"; exit 1; }
done
echo "check: ok"
