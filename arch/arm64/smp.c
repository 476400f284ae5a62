/* Secondary CPUs, started when the host asks for them (PSCI CPU_ON, a
 * trapped SMC). The firmware starts a CPU at EL2, so it must never start one
 * at an address the host chose: KCore hands it its own entry
 * (boot/start.S secondary_entry) and keeps the host's entry point and
 * context for that CPU. The CPU turns on KCore's EL2 MMU, sets up the host's
 * stage 2 on itself, and enters the host at EL1 at that entry point with
 * x0 = the context, as PSCI promises the caller.
 *
 * Each CPU's power state (OFF, PENDING, ON, OFFING): arch/arm64/cpu_power.h
 * (D55a). */
#include "kcore/arch.h"
#include "kcore/state.h"

#include "cpu_power.h"
#include "el2.h"
#include "home.h"
#include "sysreg.h"

#define PSCI_CPU_ON_64 0xC4000003UL
#define PSCI_CPU_OFF 0x84000002UL
#define PSCI_RET_INVALID_PARAMETERS ((u64)-2)
#define PSCI_RET_DENIED ((u64)-3)
struct cpu_boot {
	u32 power;   /* enum cpu_power, changed atomically */
	u64 entry;   /* the host's entry point and context, written while PENDING */
	u64 context;
};

/* The primary CPU (index 0: boot/start.S parks every other CPU) is on. */
static struct cpu_boot cpu_boot[KCORE_MAX_CPUS] = { [0] = { .power = CPU_POWER_ON } };

/* A CPU_ON target: QEMU virt's numbering (mpidr_cpu_index), nothing above
 * Aff1, Aff0 below 16. Anything else is not one of KCore's CPUs. */
static bool mpidr_to_cpu(u64 mpidr, u32 *cpu)
{
	u64 index = mpidr_cpu_index(mpidr);

	if ((mpidr & ~0xFFFFUL) != 0 || (mpidr & 0xFF) >= 16 || index >= KCORE_MAX_CPUS)
		return false;
	*cpu = (u32)index;
	return true;
}

/* PSCI CPU_ON from the host: the result is PSCI's (0 or a negative PSCI
 * code), the firmware's own when it refuses. */
u64 host_psci_cpu_on(u64 target_mpidr, u64 entry, u64 context)
{
	u32 cpu, prev;
	u64 ret;

	if (!mpidr_to_cpu(target_mpidr, &cpu))
		return PSCI_RET_INVALID_PARAMETERS;
	ret = cpu_power_claim(&cpu_boot[cpu].power, &prev);
	if (ret != 0)
		return ret;
	cpu_boot[cpu].entry = entry;
	cpu_boot[cpu].context = context;
	dsb(ish);
	ret = psci_smc(PSCI_CPU_ON_64, target_mpidr, (u64)(uintptr_t)secondary_entry, cpu);
	if (ret != 0) {
		console_printf("kcore: PSCI CPU_ON of cpu %u refused by the firmware (%ld)\n", cpu,
			       (long)ret);
		cpu_power_claim_refused(&cpu_boot[cpu].power, prev);
	}
	return ret;
}

/* PSCI CPU_OFF from the host: this CPU is in the host (no vCPU is loaded on
 * it while the host runs), so nothing of KCore's is left on it. Returns only
 * if the firmware refuses. */
u64 host_psci_cpu_off(void)
{
	u32 cpu = arch_cpu_id();
	u64 ret;

	console_printf("kcore: cpu %u: host PSCI CPU_OFF\n", cpu);
	cpu_power_off_begin(&cpu_boot[cpu].power);
	ret = psci_smc(PSCI_CPU_OFF, 0, 0, 0);
	cpu_power_off_refused(&cpu_boot[cpu].power); /* still here: the firmware said no */
	return ret ? ret : PSCI_RET_DENIED;
}

/* A started secondary, on its own EL2 stack with KCore's MMU on. */
void secondary_main(u64 index)
{
	u32 cpu = arch_cpu_id();
	u64 entry, context;

	if (index != cpu || cpu_power_get(&cpu_boot[cpu].power) != CPU_POWER_PENDING)
		arch_halt("secondary CPU started without a CPU_ON of KCore's", index, cpu);
	entry = cpu_boot[cpu].entry;
	context = cpu_boot[cpu].context;
	host_stage2_init();
	console_printf("kcore: cpu %u up (MPIDR 0x%lx): host stage 2 on, entering the host at EL1, "
		       "pc 0x%lx\n",
		       cpu, read_sysreg(mpidr_el1), entry);
	cpu_power_started(&cpu_boot[cpu].power);
	enter_host(entry, context, home_el2_stack_top(cpu));
}
