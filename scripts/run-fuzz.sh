#!/usr/bin/env bash
# Run the hypercall fuzzer for N seconds from the checked-in seed corpus.
# Any crash, sanitizer report or invariant violation fails the run.
set -euo pipefail
bin=$1 secs=$2
work=build/fuzz/corpus-run
mkdir -p "$work" build/fuzz/artifacts
cp -n tests/fuzz/corpus/* "$work"/ 2>/dev/null || true
"$bin" -max_total_time="$secs" -max_len=4096 -timeout=10 -rss_limit_mb=4096 \
	-artifact_prefix=build/fuzz/artifacts/ -print_final_stats=1 "$work" 2>build/fuzz/fuzz.log || {
	tail -n 40 build/fuzz/fuzz.log
	echo "fuzz: FAILED (see build/fuzz/fuzz.log and build/fuzz/artifacts/)"
	exit 1
}
grep -E 'stat::number_of_executed_units|stat::peak_rss_mb' build/fuzz/fuzz.log | sed 's/^/fuzz: /'
grep -E '^#[0-9]+.*(DONE|cov:)' build/fuzz/fuzz.log | tail -n 1 | sed 's/^/fuzz: /'
echo "fuzz: ok ($secs s)"
