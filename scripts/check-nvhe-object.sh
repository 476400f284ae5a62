#!/usr/bin/env bash
# Whether a relocatable object can go into Linux 6.1's nVHE EL2 image as it
# is (make linux-kcore, docs/linux.md). The nVHE build links every object
# with hyp.lds, which keeps only .text, .rodata, .data..ro_after_init,
# .data..percpu and .bss (and their .NAME.* children): there is no writable
# initialised data at EL2. gen-hyprel then turns each absolute address into
# a hyp address and refuses every relocation type it does not know. So:
#   1. no allocatable section outside those (a non-empty .data, .got, ...);
#   2. relocation types only of gen-hyprel's set (ABS64, PREL64/32/16, the
#      PC-relative and LO12 forms, branches, MOVW_PREL_G*);
#   3. undefined symbols only those of the allowed list (the nVHE image's
#      own symbols the object's arch layer uses, arch/arm64/linux/
#      nvhe-symbols.txt);
#   4. global symbols exactly those of the exports list (everything else is
#      local: no clash inside the nVHE namespace, e.g. memset);
#   5. no allocatable section aligned above a page: vmlinux.lds asserts
#      that .hyp.bss starts where the kernel's BSS does, which a 64 KB-aligned
#      array breaks ("HYP and Host BSS are misaligned") only at the kernel link.
#   check-nvhe-object.sh CROSS OBJECT EXPORTS UNDEFINED-ALLOWED
#   check-nvhe-object.sh --self-test CROSS   (the check refuses bad objects)
set -euo pipefail

list() { grep -v '^#' "$1" | sed '/^$/d' | sort -u; }

check() { # cross obj exports undefined-allowed
	local cross=$1 obj=$2 exports=$3 allowed=$4 alloc bad fail=0
	bad=$("${cross}readelf" -SW "$obj" | sed -n 's/^ *\[ *[0-9]*\] //p' |
		awk '$2 != "NULL" && $7 ~ /A/ { print $1, $5 }' |
		awk '$1 ~ /^\.(text|rodata|bss)(\.|$)/ { next }
		     $1 ~ /^\.data\.\.(ro_after_init|percpu)(\.|$)/ { next }
		     $2 ~ /^0+$/ { next }
		     { print $1 " (0x" $2 " bytes)" }')
	if [ -n "$bad" ]; then
		echo "check-nvhe-object: $obj: sections the nVHE image cannot carry:"; echo "$bad"; fail=1
	fi
	# Only the relocations of allocatable sections reach gen-hyprel (the
	# debug sections' are the linker's business).
	alloc=$("${cross}readelf" -SW "$obj" | sed -n 's/^ *\[ *[0-9]*\] //p' | awk '$7 ~ /A/ { print $1 }' |
		tr '\n' ' ')
	bad=$("${cross}readelf" -rW "$obj" |
		awk -v alloc=" $alloc" '/^Relocation section/ { t = $3; gsub(/\x27/, "", t); sub(/^\.rela/, "", t)
					 keep = index(alloc, " " t " ") > 0; next }
			keep && $3 ~ /^R_AARCH64_/ { print $3 }' | sort -u |
		grep -Ev '^R_AARCH64_(ABS64|PREL(64|32|16)|LD_PREL_LO19|ADR_PREL_LO21|ADR_PREL_PG_HI21(_NC)?|ADD_ABS_LO12_NC|LDST(8|16|32|64|128)_ABS_LO12_NC|TSTBR14|CONDBR19|JUMP26|CALL26|MOVW_PREL_G[0-3](_NC)?)$' || true)
	if [ -n "$bad" ]; then
		echo "check-nvhe-object: $obj: relocation types gen-hyprel refuses:"; echo "$bad"; fail=1
	fi
	bad=$(comm -23 <("${cross}nm" -u "$obj" | awk '{ print $2 }' | sort -u) <(list "$allowed"))
	if [ -n "$bad" ]; then
		echo "check-nvhe-object: $obj: undefined symbols outside $allowed:"; echo "$bad"; fail=1
	fi
	bad=$("${cross}readelf" -SW "$obj" | sed -n 's/^ *\[ *[0-9]*\] //p' |
		awk '$2 != "NULL" && $7 ~ /A/ && $NF + 0 > 4096 { print $1 " (aligned " $NF ")" }')
	if [ -n "$bad" ]; then
		echo "check-nvhe-object: $obj: sections aligned above a page:"; echo "$bad"; fail=1
	fi
	bad=$(diff <("${cross}nm" -g --defined-only "$obj" | awk '{ print $3 }' | sort -u) \
		<(list "$exports") || true)
	if [ -n "$bad" ]; then
		echo "check-nvhe-object: $obj: global symbols are not the exports ($exports):"; echo "$bad"; fail=1
	fi
	return $fail
}

self_test() { # cross
	local cross=$1 d n=0 fail=0
	d=$(mktemp -d)
	trap 'rm -rf "$d"' RETURN
	echo kcore_entry >"$d/exports"
	echo arch_cpu_id >"$d/allowed"
	cat >"$d/good.c" <<'EOT'
long arch_cpu_id(void);
static long counter;
long kcore_entry(long x) { counter += x; return counter + arch_cpu_id(); }
EOT
	printf 'long kcore_entry(void);\nstatic long initialised = 1;\nlong kcore_entry(void) { return initialised++; }\n' >"$d/data.c"
	printf 'long kcore_entry(void);\nlong libc_thing(void);\nlong kcore_entry(void) { return libc_thing(); }\n' >"$d/undef.c"
	printf 'long kcore_entry(void);\nlong other_global(void) { return 2; }\nlong kcore_entry(void) { return 1; }\n' >"$d/global.c"
	printf '\t.text\n\t.global kcore_entry\nkcore_entry:\n\tret\n\t.section .rodata\n\t.word kcore_entry\n' >"$d/abs32.S"
	printf 'long kcore_entry(void);\nstatic char big[65536] __attribute__((aligned(65536)));\nlong kcore_entry(void) { return (long)big; }\n' >"$d/align.c"
	for f in good data undef global abs32 align; do
		"${cross}gcc" -O2 -ffreestanding -fno-pic -fno-asynchronous-unwind-tables -fno-unwind-tables -c "$d/$f".[cS] -o "$d/$f.o"
	done
	if check "$cross" "$d/good.o" "$d/exports" "$d/allowed" >/dev/null; then n=$((n + 1)); else
		echo "self-test: a good object refused"; fail=1; fi
	# Each bad object is refused, for its own reason.
	for c in "data:sections the nVHE image cannot carry" \
		"undef:undefined symbols outside" \
		"global:global symbols are not the exports" \
		"abs32:relocation types gen-hyprel refuses" \
		"align:sections aligned above a page"; do
		f=${c%%:*}
		if check "$cross" "$d/$f.o" "$d/exports" "$d/allowed" >"$d/$f.out" 2>&1 || ! grep -q "${c#*:}" "$d/$f.out"; then
			echo "self-test: the $f object is not refused for its ${c#*:}"; fail=1
		else n=$((n + 1)); fi
	done
	echo "check-nvhe-object self-test: $n of 6 cases as expected"
	return $fail
}

if [ "${1:-}" = --self-test ]; then self_test "$2"; exit; fi
check "$@"
