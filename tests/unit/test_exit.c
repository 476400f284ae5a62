/* Unit tests of kcore/exit.c (spec vm_exit_pre_process, the dispatcher and
 * prep_exit_vm) through kcore_vm_exit, and of the run that follows an exit,
 * over the fake machine: the "VM exit" line of the "Operation contract" of
 * docs/deviations.md, with D3, D4, D17, D18, D19, D20, D23, D25, D26, D70, D71. */
#include <setjmp.h>
#include <string.h>

#include "fake.h"
#include "kcore/abi.h"
#include "kcore/core.h"
#include "kcore/errno.h"
#include "kcore/state.h"
#include "ut.h"
#include "kit.h"

#define GUEST_PC 0x40081000UL
#define VBAR 0x40090000UL
#define MMIO_IPA 0x09000000UL /* below RAM: emulated */
#define RAM_IPA 0x40200000UL
#define PSCI_CPU_ON 0xC4000003UL

/* A verified VM whose vCPU 0 is ACTIVE (first run done). */
static vmid_t vm_running(void)
{
	struct kcore_run_input in = first_input();
	vmid_t vm;

	fake_machine_reset();
	vm = vm_make(2, 1, true);
	CHECK_EQ(kcore_vcpu_run(vm, 0, &in), 0);
	ctxt(vm, 0)->r[VBAR_EL1] = VBAR;
	return vm;
}

static u64 esr_of(u32 class, u64 iss)
{
	return (u64)class << ESR_ELx_EC_SHIFT | ESR_ELx_IL | iss;
}

/* A trap with x_i = 0x100 + i at GUEST_PC. */
static struct kcore_exit_hw hw_trap(u64 esr)
{
	struct kcore_exit_hw hw;

	memset(&hw, 0, sizeof(hw));
	hw.ec = ARM_EXCEPTION_TRAP;
	for (u32 i = 0; i < 31; i++)
		hw.regs[i] = 0x100 + i;
	hw.pc = GUEST_PC;
	hw.pstate = EL1H_DAIF;
	hw.esr = esr;
	return hw;
}

/* A stage-2 abort (class and ISS in esr) at ipa, with the guest's FAR. */
static struct kcore_exit_hw hw_abort(u64 esr, u64 ipa, u64 far)
{
	struct kcore_exit_hw hw = hw_trap(esr);

	hw.hpfar = (ipa >> PAGE_SHIFT) << 4;
	hw.far = far;
	return hw;
}

/* vm_running, then an exit of its vCPU 0 that goes to the host (1) with
 * the given reason. */
static vmid_t exit_to_host(const struct kcore_exit_hw *hw, struct kcore_exit_info *out,
			   u32 reason)
{
	vmid_t vm = vm_running();

	CHECK_EQ(kcore_vm_exit(vm, 0, hw, out), 1);
	CHECK_EQ(out->reason, reason);
	return vm;
}

static bool info_is_zero(const struct kcore_exit_info *o)
{
	struct kcore_exit_info z;

	memset(&z, 0, sizeof(z));
	return memcmp(&z, o, sizeof(z)) == 0;
}

static long run_again(vmid_t vm, const struct kcore_run_input *in)
{
	return kcore_vcpu_run(vm, 0, in);
}

static void test_exit_refusals(void)
{
	struct kcore_exit_hw hw = hw_trap(esr_of(ESR_ELx_EC_WFx, 0));
	struct kcore_exit_info out;
	struct shadow_ctxt before;
	vmid_t vm = vm_running();

	memset(&out, 0xFF, sizeof(out));
	CHECK_EQ(kcore_vm_exit(0, 0, &hw, &out), -KE_RANGE);
	CHECK(info_is_zero(&out));
	CHECK_EQ(kcore_vm_exit(COREVISOR, 0, &hw, &out), -KE_RANGE);
	CHECK_EQ(kcore_vm_exit(vm, KCORE_MAX_VCPUS, &hw, &out), -KE_RANGE);
	before = *ctxt(vm, 1);
	CHECK_EQ(kcore_vm_exit(vm, 1, &hw, &out), -KE_STATE); /* READY, not ACTIVE */
	CHECK(memcmp(&before, ctxt(vm, 1), sizeof(before)) == 0);
	CHECK_EQ(kcore_vm_exit(vm, 2, &hw, &out), -KE_STATE); /* UNUSED */
	CHECK(no_lock_held());
}

static void test_exit_saves_registers(void)
{
	struct kcore_exit_hw hw = hw_trap(esr_of(ESR_ELx_EC_WFx, 1));
	struct kcore_exit_info out;
	struct shadow_ctxt *c;
	vmid_t vm = vm_running();

	c = ctxt(vm, 0);
	hw.far = 0xABC;
	hw.hpfar = 0x40;
	hw.pstate = PSR_MODE_EL0t;
	CHECK_EQ(kcore_vm_exit(vm, 0, &hw, &out), 1);
	for (u32 i = X0; i <= X30; i++)
		CHECK_EQ(c->r[i], 0x100 + i);
	CHECK_EQ(c->r[PC], GUEST_PC);          /* D18 */
	CHECK_EQ(c->r[PSTATE], PSR_MODE_EL0t); /* D18 */
	CHECK_EQ(c->r[ESR_EL2], hw.esr);
	CHECK_EQ(c->r[EC], ARM_EXCEPTION_TRAP);
	CHECK_EQ(c->r[FAR_EL2], 0xABC);
	CHECK_EQ(c->r[HPFAR_EL2], 0x40);
	CHECK(no_lock_held());
}

static void test_mmio_read_then_run(void)
{
	/* ldr x3, [MMIO_IPA + 0x10]; FAR is the guest VA: only the offset counts */
	struct kcore_exit_hw hw = hw_abort(esr_of(ESR_ELx_EC_DABT_LOW, ESR_ELx_ISV | 3UL << 16),
					   MMIO_IPA, 0xFFFF000012345010UL);
	struct kcore_exit_info out;
	struct kcore_run_input in;
	struct shadow_ctxt *c;
	vmid_t vm;

	vm = exit_to_host(&hw, &out, KCORE_EXIT_MMIO);
	c = ctxt(vm, 0);
	CHECK_EQ(out.rd, 3);
	CHECK_EQ(out.fault_ipa, MMIO_IPA | 0x10);
	CHECK_EQ(out.esr, hw.esr);
	CHECK_EQ(out.mmio_data, 0);
	CHECK_EQ(out.hvc_args[0], 0);
	CHECK_EQ(vcpu_state(vm, 0), READY);
	CHECK_EQ(c->r[DIRTY], (1UL << 3) | DIRTY_PC_FLAG); /* D3 */

	/* The host answers x3 and may not set anything else. */
	memset(&in, 0, sizeof(in));
	for (u32 i = 0; i < 31; i++)
		in.regs[i] = 0xBAD0 + i;
	in.regs[3] = 0xABCD;
	CHECK_EQ(run_again(vm, &in), 0);
	CHECK_EQ(c->r[3], 0xABCD);
	for (u32 i = X0; i <= X30; i++)
		if (i != 3)
			CHECK_EQ(c->r[i], 0x100 + i);
	CHECK_EQ(c->r[PC], GUEST_PC + 4);
	CHECK_EQ(c->r[DIRTY], 0);
	CHECK_EQ(c->r[FAR_EL2], 0);
	CHECK_EQ(vcpu_state(vm, 0), ACTIVE);
}

static void test_mmio_write(void)
{
	/* str x2, [MMIO_IPA + 0x8] */
	struct kcore_exit_hw hw = hw_abort(esr_of(ESR_ELx_EC_DABT_LOW,
						  ESR_ELx_ISV | ESR_ELx_WNR | 2UL << 16),
					   MMIO_IPA, 0x8);
	struct kcore_exit_info out;
	struct kcore_run_input in;
	struct shadow_ctxt *c;
	vmid_t vm;

	vm = exit_to_host(&hw, &out, KCORE_EXIT_MMIO);
	c = ctxt(vm, 0);
	CHECK_EQ(out.rd, 2);
	CHECK_EQ(out.fault_ipa, MMIO_IPA | 0x8);
	CHECK_EQ(out.mmio_data, 0x102);
	CHECK_EQ(c->r[DIRTY], DIRTY_PC_FLAG);
	memset(&in, 0, sizeof(in));
	in.regs[2] = 0xBAD;
	CHECK_EQ(run_again(vm, &in), 0);
	CHECK_EQ(c->r[2], 0x102); /* a write gives the host no register */
	CHECK_EQ(c->r[PC], GUEST_PC + 4);

	/* str xzr: rd 31 reports 0 */
	hw.esr = esr_of(ESR_ELx_EC_DABT_LOW, ESR_ELx_ISV | ESR_ELx_WNR | 31UL << 16);
	CHECK_EQ(kcore_vm_exit(vm, 0, &hw, &out), 1);
	CHECK_EQ(out.reason, KCORE_EXIT_MMIO);
	CHECK_EQ(out.rd, 31);
	CHECK_EQ(out.mmio_data, 0);
	CHECK_EQ(c->r[DIRTY], DIRTY_PC_FLAG);
}

/* D56: an MMIO abort without a usable syndrome (no ISV: a pair, a SIMD or
 * writeback access; a stage-1 table walk; an instruction fetch) tells the
 * host where, never a register: no value out, none taken in. */
static void test_mmio_no_syndrome(void)
{
	static const u64 esrs[] = {
		(u64)ESR_ELx_EC_DABT_LOW << 26 | ESR_ELx_IL | ESR_ELx_WNR,     /* stp x0, x1 */
		(u64)ESR_ELx_EC_DABT_LOW << 26 | ESR_ELx_IL,                   /* ldp x0, x1 */
		(u64)ESR_ELx_EC_DABT_LOW << 26 | ESR_ELx_IL | ESR_ELx_ISV | ESR_ELx_S1PTW | 5UL << 16,
		(u64)ESR_ELx_EC_DABT_LOW << 26 | ESR_ELx_IL | ESR_ELx_ISV | ESR_ELx_S1PTW |
			ESR_ELx_WNR | 5UL << 16,
		(u64)ESR_ELx_EC_IABT_LOW << 26 | ESR_ELx_IL | ESR_ELx_ISV | 5UL << 16,
	};

	for (u32 k = 0; k < sizeof(esrs) / sizeof(esrs[0]); k++) {
		struct kcore_exit_hw hw = hw_abort(esrs[k], MMIO_IPA, 0x18);
		struct kcore_exit_info out;
		struct kcore_run_input in;
		struct shadow_ctxt *c;
		vmid_t vm;

		vm = exit_to_host(&hw, &out, KCORE_EXIT_MMIO_NISV);
		c = ctxt(vm, 0);
		CHECK_EQ(out.fault_ipa, MMIO_IPA | 0x18);
		CHECK_EQ(out.esr, hw.esr);
		CHECK_EQ(out.rd, 0);
		CHECK_EQ(out.mmio_data, 0); /* not the guest's x0 (0x100) nor x5 */
		CHECK_EQ(c->r[DIRTY], 0);
		memset(&in, 0, sizeof(in));
		for (u32 i = 0; i < 31; i++)
			in.regs[i] = 0xBAD0 + i;
		CHECK_EQ(run_again(vm, &in), 0);
		for (u32 i = X0; i <= X30; i++)
			CHECK_EQ(c->r[i], 0x100 + i); /* the host set nothing */
		CHECK_EQ(c->r[PC], GUEST_PC);        /* the access is retried */
	}
}

static void test_s2fault(void)
{
	struct kcore_exit_hw hw = hw_abort(esr_of(ESR_ELx_EC_IABT_LOW, 0), RAM_IPA, 0x123);
	struct kcore_exit_info out;
	struct kcore_run_input in;
	struct shadow_ctxt *c;
	vmid_t vm;

	vm = exit_to_host(&hw, &out, KCORE_EXIT_S2FAULT);
	c = ctxt(vm, 0);
	CHECK_EQ(out.fault_ipa, RAM_IPA);
	CHECK_EQ(out.rd, 0);
	CHECK_EQ(c->r[DIRTY], 0); /* unchanged: the access is retried */
	CHECK_EQ(vcpu_state(vm, 0), READY);
	/* The host answers with a mapping request; PC stays. */
	in = map_input(RAM_IPA, MAP_PFN * PAGE_SIZE, 3);
	CHECK_EQ(run_again(vm, &in), 0);
	CHECK_EQ(c->r[PC], GUEST_PC);
	CHECK_EQ(s2page_get(MAP_PFN).owner, vm);
}

static void test_wfi(void)
{
	struct kcore_exit_hw hw = hw_trap(esr_of(ESR_ELx_EC_WFx, 0));
	struct kcore_exit_info out;
	struct kcore_run_input in;
	vmid_t vm;

	vm = exit_to_host(&hw, &out, KCORE_EXIT_WFX);
	CHECK_EQ(out.esr, hw.esr);
	CHECK_EQ(out.fault_ipa, 0);
	CHECK_EQ(ctxt(vm, 0)->r[DIRTY], DIRTY_PC_FLAG);
	CHECK_EQ(vcpu_state(vm, 0), READY);
	memset(&in, 0, sizeof(in));
	in.regs[0] = 0xBAD;
	CHECK_EQ(run_again(vm, &in), 0);
	CHECK_EQ(ctxt(vm, 0)->r[PC], GUEST_PC + 4);
	CHECK_EQ(ctxt(vm, 0)->r[0], 0x100);
}

static void test_sys64_resumes(void)
{
	struct kcore_exit_hw hw = hw_trap(esr_of(ESR_ELx_EC_SYS64, 0x1234));
	struct kcore_exit_info out;
	vmid_t vm = vm_running();

	memset(&out, 0xFF, sizeof(out));
	CHECK_EQ(kcore_vm_exit(vm, 0, &hw, &out), 0);
	CHECK(info_is_zero(&out)); /* reason NONE, nothing for the host */
	CHECK_EQ(ctxt(vm, 0)->r[PC], GUEST_PC + 4); /* D4 */
	CHECK_EQ(ctxt(vm, 0)->r[ESR_EL2], hw.esr);
	CHECK_EQ(ctxt(vm, 0)->r[DIRTY], 0);
	CHECK_EQ(vcpu_state(vm, 0), ACTIVE);
	CHECK(no_lock_held());
}

static void test_hvc_to_host(void)
{
	struct kcore_exit_hw hw = hw_trap(esr_of(ESR_ELx_EC_HVC64, 0));
	struct kcore_exit_info out;
	struct kcore_run_input in;
	struct shadow_ctxt *c;
	vmid_t vm;

	hw.regs[0] = PSCI_CPU_ON;
	hw.regs[1] = 1;
	hw.regs[2] = 0x40080000;
	hw.regs[3] = 0x55;
	vm = exit_to_host(&hw, &out, KCORE_EXIT_HVC);
	c = ctxt(vm, 0);
	CHECK_EQ(out.hvc_args[0], PSCI_CPU_ON);
	CHECK_EQ(out.hvc_args[1], 1);
	CHECK_EQ(out.hvc_args[2], 0x40080000);
	CHECK_EQ(out.hvc_args[3], 0x55);
	CHECK_EQ(out.mmio_data, 0);
	CHECK_EQ(c->r[DIRTY], VCPU_X0_X3); /* D70: the SMCCC results x0..x3, nothing else */
	CHECK_EQ(kc.vminfo[vm].state, VERIFIED);
	memset(&in, 0, sizeof(in));
	for (u32 i = 0; i < 31; i++)
		in.regs[i] = 0xBAD00 + i;
	in.regs[0] = 0;
	in.regs[1] = 0x1111;
	in.regs[2] = 0x2222;
	in.regs[3] = 0x3333;
	CHECK_EQ(run_again(vm, &in), 0);
	CHECK_EQ(c->r[0], 0);
	CHECK_EQ(c->r[1], 0x1111);
	CHECK_EQ(c->r[2], 0x2222);
	CHECK_EQ(c->r[3], 0x3333);
	for (u32 i = 4; i <= X30; i++)
		CHECK_EQ(c->r[i], 0x100 + i); /* the guest's own */
	CHECK_EQ(c->r[PC], GUEST_PC); /* the HVC's return address is already next */
	CHECK_EQ(c->r[DIRTY], 0);
}

/* D71: a write of a GICv3 SGI register goes to the host with the value
 * written; KCore has already moved the PC past the MSR and takes no
 * register from the host. Any other trapped system register, and a read of
 * these, is skipped as before (D4). */
static u64 sys64_iss(u64 reg, u32 rt)
{
	return reg | (u64)rt << ESR_SYS64_RT_SHIFT;
}

static void test_sgi_write_to_host(void)
{
	static const u64 sgi[3] = {ESR_SYS64_ICC_SGI1R_EL1, ESR_SYS64_ICC_ASGI1R_EL1,
				   ESR_SYS64_ICC_SGI0R_EL1};
	static const u64 other[] = {
		ESR_SYS64_ICC_SGI1R_EL1 | 1,        /* a read: not architected */
		ESR_SYS64_WRITE(3, 0, 12, 12, 5),  /* ICC_SRE_EL1 */
		ESR_SYS64_WRITE(3, 0, 12, 11, 4),  /* the encoding below SGI1R */
		ESR_SYS64_WRITE(3, 1, 12, 11, 5),  /* another op1 */
		ESR_SYS64_WRITE(3, 3, 9, 13, 0) | 1, /* PMCCNTR_EL0 read */
	};
	struct kcore_exit_info out;
	struct kcore_run_input in;

	/* the three SGI registers, from x5 */
	for (u32 k = 0; k < 3; k++) {
		struct kcore_exit_hw hw = hw_trap(esr_of(ESR_ELx_EC_SYS64, sys64_iss(sgi[k], 5)));
		struct shadow_ctxt *c;
		vmid_t vm;

		hw.regs[5] = 0x0000000105000002UL; /* aff1 1, SGI 5, target list 0b10 */
		vm = exit_to_host(&hw, &out, KCORE_EXIT_SYSREG);
		c = ctxt(vm, 0);
		CHECK_EQ(out.esr, hw.esr);
		CHECK_EQ(out.mmio_data, 0x0000000105000002UL);
		CHECK_EQ(out.rd, 0);
		CHECK_EQ(out.fault_ipa, 0);
		CHECK_EQ(out.hvc_args[0], 0);
		CHECK_EQ(c->r[PC], GUEST_PC + 4); /* past the MSR already */
		CHECK_EQ(c->r[DIRTY], 0);         /* no register is the host's */
		CHECK_EQ(vcpu_state(vm, 0), READY);
		memset(&in, 0, sizeof(in));
		for (u32 i = 0; i < 31; i++)
			in.regs[i] = 0xBAD00 + i;
		CHECK_EQ(run_again(vm, &in), 0);
		for (u32 i = X0; i <= X30; i++)
			CHECK_EQ(c->r[i], i == 5 ? 0x0000000105000002UL : 0x100 + i);
		CHECK_EQ(c->r[PC], GUEST_PC + 4); /* not advanced twice */
		CHECK(no_lock_held());
	}
	/* from xzr: the value is 0 */
	{
		struct kcore_exit_hw hw =
			hw_trap(esr_of(ESR_ELx_EC_SYS64, sys64_iss(ESR_SYS64_ICC_SGI0R_EL1, 31)));

		exit_to_host(&hw, &out, KCORE_EXIT_SYSREG);
		CHECK_EQ(out.mmio_data, 0);
	}
	/* an exception the host asks for after it is taken past the MSR */
	{
		struct kcore_exit_hw hw =
			hw_trap(esr_of(ESR_ELx_EC_SYS64, sys64_iss(ESR_SYS64_ICC_SGI1R_EL1, 1)));
		vmid_t vm = exit_to_host(&hw, &out, KCORE_EXIT_SYSREG);

		memset(&in, 0, sizeof(in));
		in.request = KCORE_RUN_INJECT;
		CHECK_EQ(run_again(vm, &in), 0);
		CHECK_EQ(ctxt(vm, 0)->r[ELR_EL1], GUEST_PC + 4);
		CHECK_EQ(ctxt(vm, 0)->r[PC], VBAR + 0x200);
	}
	/* everything else: skipped in KCore (D4), no exit to the host */
	for (u32 k = 0; k < sizeof(other) / sizeof(other[0]); k++) {
		struct kcore_exit_hw hw = hw_trap(esr_of(ESR_ELx_EC_SYS64, sys64_iss(other[k], 5)));
		vmid_t vm = vm_running();

		memset(&out, 0xFF, sizeof(out));
		CHECK_EQ(kcore_vm_exit(vm, 0, &hw, &out), 0);
		CHECK(info_is_zero(&out));
		CHECK_EQ(ctxt(vm, 0)->r[PC], GUEST_PC + 4);
		CHECK_EQ(vcpu_state(vm, 0), ACTIVE);
	}
}

static void test_system_off(void)
{
	struct kcore_exit_hw hw = hw_trap(esr_of(ESR_ELx_EC_HVC64, 0));
	struct kcore_exit_info out;
	struct kcore_run_input in;
	vmid_t vm;

	hw.regs[0] = 0xFFFFFFFF00000000UL | PSCI_0_2_FN_SYSTEM_OFF; /* w0 counts */
	vm = exit_to_host(&hw, &out, KCORE_EXIT_POWEROFF);
	CHECK_EQ(out.hvc_args[0], 0);
	CHECK_EQ(kc.vminfo[vm].state, POWEROFF);
	CHECK_EQ(vcpu_state(vm, 0), READY);
	CHECK_EQ(ctxt(vm, 0)->r[DIRTY], 0);
	memset(&in, 0, sizeof(in));
	CHECK_EQ(run_again(vm, &in), -KE_STATE);
	CHECK_EQ(kcore_vcpu_run(vm, 1, &in), -KE_STATE);
}

static void test_unknown_class_injects(void)
{
	struct kcore_exit_hw hw = hw_trap(esr_of(ESR_ELx_EC_SMC64, 0));
	struct kcore_exit_info out;
	struct shadow_ctxt *c;
	vmid_t vm = vm_running();

	c = ctxt(vm, 0);
	CHECK_EQ(kcore_vm_exit(vm, 0, &hw, &out), 0); /* D17: resume */
	CHECK_EQ(out.reason, KCORE_EXIT_NONE);
	CHECK_EQ(vcpu_state(vm, 0), ACTIVE);
	CHECK_EQ(c->r[PC], VBAR + 0x200);
	CHECK_EQ(c->r[ELR_EL1], GUEST_PC);
	CHECK_EQ(c->r[ESR_EL1], ESR_EL1_INJECTED);
	CHECK_EQ(c->r[SPSR_EL1], EL1H_DAIF);
	CHECK_EQ(c->r[SPSR_0], EL1H_DAIF);
	CHECK_EQ(c->r[PSTATE], PSTATE_FAULT_BITS_64);

	/* from EL0: the lower-EL vector; class 0 (unknown) too */
	hw = hw_trap(esr_of(ESR_ELx_EC_UNKNOWN, 0));
	hw.pstate = PSR_MODE_EL0t;
	hw.pc = 0x1000;
	CHECK_EQ(kcore_vm_exit(vm, 0, &hw, &out), 0);
	CHECK_EQ(c->r[PC], VBAR + 0x400);
	CHECK_EQ(c->r[ELR_EL1], 0x1000);
	CHECK_EQ(c->r[SPSR_EL1], PSR_MODE_EL0t);
}

static void test_irq_and_serror(void)
{
	struct kcore_exit_hw hw = hw_trap(esr_of(ESR_ELx_EC_HVC64, 0)); /* a stale ESR */
	struct kcore_exit_info out;
	struct kcore_run_input in;
	vmid_t vm;

	hw.ec = ARM_EXCEPTION_INTERRUPT;
	vm = exit_to_host(&hw, &out, KCORE_EXIT_IRQ);
	CHECK_EQ(out.esr, 0); /* only a trap's syndrome is reported */
	CHECK_EQ(out.hvc_args[0], 0);
	CHECK_EQ(vcpu_state(vm, 0), READY);
	CHECK_EQ(ctxt(vm, 0)->r[DIRTY], 0);
	memset(&in, 0, sizeof(in));
	CHECK_EQ(run_again(vm, &in), 0);
	CHECK_EQ(ctxt(vm, 0)->r[PC], GUEST_PC);

	hw.ec = ARM_EXCEPTION_EL1_SERROR;
	CHECK_EQ(kcore_vm_exit(vm, 0, &hw, &out), 1); /* D26: no halt */
	CHECK_EQ(out.reason, KCORE_EXIT_SERROR);
	CHECK_EQ(out.esr, 0);
	CHECK_EQ(vcpu_state(vm, 0), READY);
}

/* R5: an exit code the world switch cannot produce halts, before any change. */
static void test_bad_exit_code_halts(void)
{
	struct kcore_exit_hw hw = hw_trap(0);
	struct kcore_exit_info out;
	struct shadow_ctxt before;
	jmp_buf jb;
	vmid_t vm = vm_running();
	volatile int halted = 0;

	hw.ec = 3;
	before = *ctxt(vm, 0);
	fake_halt_jmp = &jb;
	if (setjmp(jb) == 0)
		kcore_vm_exit(vm, 0, &hw, &out);
	else
		halted = 1;
	fake_halt_jmp = NULL;
	CHECK(halted);
	CHECK(memcmp(&before, ctxt(vm, 0), sizeof(before)) == 0);
	fake_machine_reset(); /* the halt left locks taken */
}

static void test_guest_grant_revoke(void)
{
	struct kcore_exit_hw hw = hw_trap(esr_of(ESR_ELx_EC_HVC64, 0));
	struct kcore_exit_info out;
	struct kcore_run_input in;
	vmid_t vm = vm_running();

	/* give the VM one page at RAM_IPA */
	hw.ec = ARM_EXCEPTION_INTERRUPT;
	CHECK_EQ(kcore_vm_exit(vm, 0, &hw, &out), 1);
	in = map_input(RAM_IPA, MAP_PFN * PAGE_SIZE, 3);
	CHECK_EQ(run_again(vm, &in), 0);
	CHECK_EQ(s2page_get(MAP_PFN).count, 0);

	hw = hw_trap(esr_of(ESR_ELx_EC_HVC64, 0));
	hw.regs[0] = HVC_KVM_SET_DESC_PFN;
	hw.regs[2] = RAM_IPA;
	hw.regs[3] = PAGE_SIZE;
	CHECK_EQ(kcore_vm_exit(vm, 0, &hw, &out), 0);
	CHECK_EQ(out.reason, KCORE_EXIT_NONE);
	CHECK_EQ(ctxt(vm, 0)->r[X0], 0); /* D25 */
	CHECK_EQ(ctxt(vm, 0)->r[PC], GUEST_PC);
	CHECK_EQ(s2page_get(MAP_PFN).count, 1);
	CHECK_EQ(vcpu_state(vm, 0), ACTIVE);

	hw.regs[0] = HVC_KVM_UNSET_DESC_PFN;
	CHECK_EQ(kcore_vm_exit(vm, 0, &hw, &out), 0);
	CHECK_EQ(ctxt(vm, 0)->r[X0], 0);
	CHECK_EQ(s2page_get(MAP_PFN).count, 0);

	/* D25: outside the IPA space: x0 := -KE_RANGE, nothing shared */
	hw.regs[0] = HVC_KVM_SET_DESC_PFN;
	hw.regs[2] = RAM_IPA;
	hw.regs[3] = KVM_ADDR_SPACE;
	CHECK_EQ(kcore_vm_exit(vm, 0, &hw, &out), 0);
	CHECK_EQ(ctxt(vm, 0)->r[X0], (u64)-KE_RANGE);
	CHECK_EQ(s2page_get(MAP_PFN).count, 0);
	/* a function id with upper bits set is not a grant: to the host */
	hw.regs[0] = HVC_KVM_SET_DESC_PFN | (1UL << 32);
	hw.regs[3] = PAGE_SIZE;
	CHECK_EQ(kcore_vm_exit(vm, 0, &hw, &out), 1);
	CHECK_EQ(out.reason, KCORE_EXIT_HVC);
	CHECK_EQ(s2page_get(MAP_PFN).count, 0);
	CHECK(no_lock_held());
}

/* The EL2 fast path's core call (D37): the same grant and revoke, without
 * the shadow context, under S2PAGE and the NPT locks only. */
static void test_guest_share_fast(void)
{
	struct kcore_exit_hw hw = hw_trap(esr_of(ESR_ELx_EC_HVC64, 0));
	struct kcore_exit_info out;
	struct kcore_run_input in;
	vmid_t vm = vm_running();
	u64 x0;

	hw.ec = ARM_EXCEPTION_INTERRUPT;
	CHECK_EQ(kcore_vm_exit(vm, 0, &hw, &out), 1);
	in = map_input(RAM_IPA, MAP_PFN * PAGE_SIZE, 3);
	CHECK_EQ(run_again(vm, &in), 0);
	x0 = ctxt(vm, 0)->r[X0];

	CHECK_EQ(kcore_guest_share(vm, false, RAM_IPA, PAGE_SIZE), 0);
	CHECK_EQ(s2page_get(MAP_PFN).count, 1);
	CHECK_EQ(ctxt(vm, 0)->r[X0], x0); /* the shadow context is not written */
	CHECK_EQ(kcore_host_stage2_fault(MAP_PFN * PAGE_SIZE), 0); /* shared: the host maps it */
	CHECK(npt_lookup_locked(HOSTVISOR, MAP_PFN * PAGE_SIZE).pte != 0);
	CHECK_EQ(kcore_guest_share(vm, true, RAM_IPA, PAGE_SIZE), 0);
	CHECK_EQ(s2page_get(MAP_PFN).count, 0);
	CHECK_EQ(npt_lookup_locked(HOSTVISOR, MAP_PFN * PAGE_SIZE).pte, 0); /* last revoke */
	CHECK(has_event(FAKE_TLBI_S2_IPA, HOSTVISOR, MAP_PFN * PAGE_SIZE));
	CHECK_EQ(kcore_guest_share(vm, false, RAM_IPA, KVM_ADDR_SPACE), -KE_RANGE); /* D25 */
	CHECK_EQ(kcore_guest_share(HOSTVISOR, false, RAM_IPA, PAGE_SIZE), -KE_RANGE);
	CHECK_EQ(kcore_guest_share(COREVISOR, true, RAM_IPA, PAGE_SIZE), -KE_RANGE);
	CHECK_EQ(s2page_get(MAP_PFN).count, 0);
	CHECK(no_lock_held());
}

/* The EL2 world switch's run and exit (kcore_vcpu_run_fetch,
 * kcore_vm_exit_store): the fetch sees the registers the run takes, under
 * the run's locks; the store runs only for an exit to the host. */
static u64 fetch_regs_seen;
static u32 stores_seen;

static long fetch_answer(vmid_t vmid, u32 vcpuid, u64 regs, struct kcore_run_input *in)
{
	fetch_regs_seen = regs;
	CHECK(lock_held(INFO_ID + vmid) && lock_held(S2PAGE_ID));
	memset(in, 0, sizeof(*in));
	in->regs[3] = 0xABCD;
	in->regs[4] = 0xBAD;
	return 0;
}

static long fetch_refuse(vmid_t vmid, u32 vcpuid, u64 regs, struct kcore_run_input *in)
{
	return -KE_OWNER;
}

static u32 store_reason = KCORE_EXIT_MMIO;

static void store_count(vmid_t vmid, u32 vcpuid, const struct kcore_exit_info *out)
{
	CHECK(lock_held(INFO_ID + vmid) && lock_held(S2PAGE_ID));
	CHECK_EQ(out->reason, store_reason);
	stores_seen++;
}

static void test_run_fetch_exit_store(void)
{
	struct kcore_exit_hw hw = hw_abort(esr_of(ESR_ELx_EC_DABT_LOW, ESR_ELx_ISV | 3UL << 16),
					   MMIO_IPA, 0x10);
	struct kcore_exit_info out;
	vmid_t vm = vm_running();
	struct shadow_ctxt *c = ctxt(vm, 0);

	/* The GPRs are already in the shadow context: hw->regs is not read. */
	for (u32 i = X0; i <= X30; i++) {
		c->r[i] = 0x300 + i;
		hw.regs[i] = 0xDEAD;
	}
	stores_seen = 0;
	CHECK_EQ(kcore_vm_exit_store(vm, 0, &hw, &out, store_count), 1);
	CHECK_EQ(stores_seen, 1);
	CHECK_EQ(c->r[5], 0x305);
	CHECK_EQ(c->r[DIRTY], (1UL << 3) | DIRTY_PC_FLAG);
	CHECK_EQ(kcore_vcpu_run_fetch(vm, 0, fetch_refuse), -KE_OWNER); /* nothing changed */
	CHECK_EQ(vcpu_state(vm, 0), READY);
	CHECK_EQ(kcore_vcpu_run_fetch(vm, 0, fetch_answer), 0);
	CHECK_EQ(fetch_regs_seen, 1UL << 3); /* only x3 is the host's to set */
	CHECK_EQ(c->r[3], 0xABCD);
	CHECK_EQ(c->r[4], 0x304);
	CHECK_EQ(vcpu_state(vm, 0), ACTIVE);
	/* a trap KCore handles (SYS64): resumed, no store */
	hw = hw_trap(esr_of(ESR_ELx_EC_SYS64, 0));
	CHECK_EQ(kcore_vm_exit_store(vm, 0, &hw, &out, store_count), 0);
	CHECK_EQ(stores_seen, 1);
	/* after an HVC the host handled, the fetch copies x0..x3 (D70) */
	hw = hw_trap(esr_of(ESR_ELx_EC_HVC64, 0));
	c->r[X0] = 0xC6000201UL;
	c->r[3] = 0x303;
	store_reason = KCORE_EXIT_HVC;
	CHECK_EQ(kcore_vm_exit_store(vm, 0, &hw, &out, store_count), 1);
	CHECK_EQ(stores_seen, 2);
	CHECK_EQ(kcore_vcpu_run_fetch(vm, 0, fetch_answer), 0);
	CHECK_EQ(fetch_regs_seen, VCPU_X0_X3);
	CHECK_EQ(c->r[0], 0);
	CHECK_EQ(c->r[3], 0xABCD);
	CHECK_EQ(c->r[4], 0x304);
	CHECK(no_lock_held());
}

UT_MAIN(UT(test_exit_refusals), UT(test_exit_saves_registers), UT(test_mmio_read_then_run),
	UT(test_mmio_write), UT(test_mmio_no_syndrome), UT(test_s2fault), UT(test_wfi), UT(test_sys64_resumes),
	UT(test_hvc_to_host), UT(test_sgi_write_to_host), UT(test_system_off), UT(test_unknown_class_injects),
	UT(test_irq_and_serror), UT(test_bad_exit_code_halts), UT(test_guest_grant_revoke),
	UT(test_guest_share_fast), UT(test_run_fetch_exit_store))
