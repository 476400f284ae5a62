#!/usr/bin/env bash
# make gdb: KCore under gdb. Starts QEMU virt (the `hello` scenario) halted
# at its first instruction with a gdb server on localhost:$GDB_PORT (-S -gdb),
# then gdb-multiarch with build/el2/kcore.elf's symbols (and the test host's,
# build/qemu/host-hello.elf), `target remote`, a breakpoint at boot_main and
# a few commands (below, "kcore-*"). QEMU is killed when gdb exits.
#   scripts/gdb.sh           interactive
#   scripts/gdb.sh --check   self-test: batch gdb breaks at boot_main, prints
#                            the backtrace and the EL, quits; exit 0 when the
#                            breakpoint was reached
# Environment: GDB_PORT (default 1234), SCENARIO (default hello), QEMU, GDB.
set -u
cd "$(dirname "$0")/.."
QEMU=${QEMU:-qemu-system-aarch64}
GDB=${GDB:-gdb-multiarch}
PORT=${GDB_PORT:-1234}
SCENARIO=${SCENARIO:-hello}
GIC=${QEMU_GIC:-3}
kelf=build/el2/kcore.elf
helf=build/qemu/host-$SCENARIO.elf
mode=${1:-}

if ! command -v "$GDB" >/dev/null 2>&1; then
	echo "gdb: $GDB not found; install it with: sudo apt-get install gdb-multiarch"
	exit 1
fi
for f in "$kelf" "$helf"; do
	[ -f "$f" ] || { echo "gdb: missing $f (make qemu-images)"; exit 1; }
done
if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
	echo "gdb: port $PORT is in use (another QEMU?); set GDB_PORT"
	exit 1
fi

mkdir -p build/test-logs
qlog=build/test-logs/gdb-qemu.log
# The console goes to the log in --check mode, to this terminal otherwise.
if [ "$mode" = --check ]; then serial="file:$qlog"; else serial=stdio; fi
"$QEMU" -M virt,virtualization=on,gic-version="$GIC",iommu=smmuv3 -cpu cortex-a72 -smp 2 -m 1G \
	-nographic -no-reboot -monitor none -serial "$serial" -display none \
	-kernel "$kelf" -device loader,file="$helf" -S -gdb "tcp:127.0.0.1:$PORT" \
	</dev/null >>"$qlog" 2>&1 &
qpid=$!
trap 'kill "$qpid" 2>/dev/null; wait "$qpid" 2>/dev/null' EXIT

cmds=$(mktemp)
trap 'kill "$qpid" 2>/dev/null; wait "$qpid" 2>/dev/null; rm -f "$cmds"' EXIT
cat >"$cmds" <<EOT
set pagination off
set confirm off
set architecture aarch64
file $kelf
add-symbol-file $helf
define kcore-el
  printf "CurrentEL = EL%d\n", (\$cpsr >> 2) & 3
end
document kcore-el
Print the exception level the stopped CPU is at.
end
define kcore-trap
  printf "ESR_EL2 0x%lx  ELR_EL2 0x%lx  FAR_EL2 0x%lx  HPFAR_EL2 0x%lx\n", \$ESR_EL2, \$ELR_EL2, \$FAR_EL2, \$HPFAR_EL2
end
document kcore-trap
Print the EL2 syndrome registers (inside el2_trap).
end
# wait for QEMU's gdb server
python
import time
for _ in range(50):
    try:
        gdb.execute("target remote 127.0.0.1:$PORT", to_string=True)
        break
    except gdb.error:
        time.sleep(0.1)
else:
    raise gdb.GdbError("cannot connect to QEMU on port $PORT")
end
break boot_main
EOT

if [ "$mode" = --check ]; then
	out=build/test-logs/gdb-check.log
	cat >>"$cmds" <<'EOT'
continue
bt
kcore-el
info registers ESR_EL2 VBAR_EL2
info registers pc sp
quit
EOT
	timeout 60 "$GDB" -q -batch -nx -x "$cmds" >"$out" 2>&1
	rc=$?
	sed 's/^/  | /' "$out"
	if [ $rc -eq 0 ] && grep -q '^#0 .*boot_main' "$out" && grep -q 'CurrentEL = EL2' "$out"; then
		echo "gdb: PASS (stopped at boot_main at EL2; log $out)"
		exit 0
	fi
	echo "gdb: FAIL (gdb exit $rc; log $out, QEMU log $qlog)"
	exit 1
fi

cat <<EOT
gdb: QEMU is halted at KCore's entry; gdb has a breakpoint at boot_main.
     Useful: continue, bt, info registers, x/8i \$pc, break el2_trap,
     break kcore_host_stage2_fault, kcore-el, kcore-trap, p kc.vminfo[1].
     Quit gdb to stop QEMU. The console is in this terminal.
EOT
"$GDB" -q -nx -x "$cmds"
