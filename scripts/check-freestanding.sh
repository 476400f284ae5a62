#!/usr/bin/env bash
# The EL2 core may only need the arch boundary (include/kcore/arch.h), the
# SMMU driver interface (include/kcore/smmu_hw.h) and the compiler's mem*
# helpers from the outside. Anything else is a libc leak.
set -euo pipefail
nm=$1 obj=$2
bad=$($nm -u "$obj" | awk '{print $2}' | grep -Ev '^(arch_[a-z0-9_]+|smmu_hw_[a-z0-9_]+|memset|memcpy|memmove|memcmp)$' || true)
if [ -n "$bad" ]; then
	echo "check-freestanding: $obj needs symbols outside the arch boundary:" >&2
	echo "$bad" >&2
	exit 1
fi
