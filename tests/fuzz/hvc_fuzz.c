/* libFuzzer target over KCore's host-facing entry points (host hypercalls,
 * host stage-2 faults, vCPU runs with their run input, VM exits) in the host
 * build, with ASan and UBSan. The input is decoded into a sequence of
 * operations; after each one the security invariants and the TLB checker of
 * tests/harness run, and after the input every invariant over the whole
 * state. A violation, a KCore halt or a sanitizer report is a crash. */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake.h"
#include "kcore/abi.h"
#include "kcore/constants.h"
#include "tk.h"

struct in {
	const u8 *p;
	size_t n;
};

static u64 take(struct in *in, unsigned bytes)
{
	u64 v = 0;

	for (unsigned i = 0; i < bytes; i++) {
		v |= (u64)(in->n ? *in->p : 0) << (8 * i);
		if (in->n) {
			in->p++;
			in->n--;
		}
	}
	return v;
}

/* A value that is often one KCore cares about. */
static u64 val(struct in *in)
{
	u64 sel = take(in, 1), x;

	switch (sel % 12) {
	case 0: return take(in, 1) % 18;                             /* small: ids, indices */
	case 1: return KCORE_RAM_BASE + (take(in, 1) << 12);            /* a hot host page */
	case 2: return KCORE_RAM_BASE + ((take(in, 2) % 16384) << 12);  /* anywhere in RAM */
	case 3: return (KCORE_RAM_BASE >> 12) + take(in, 1);            /* a hot pfn */
	case 4: return (KCORE_RAM_BASE >> 12) + take(in, 2) % 16384;    /* any RAM pfn */
	case 5: return 0x40000000UL + ((take(in, 2) % 2048) << 12);     /* guest RAM IPA */
	case 6: return 0x09000000UL + ((take(in, 1) % 0x60) << 12);     /* MMIO, incl. the SMMU */
	case 7: return (KCORE_RAM_BASE >> 12) + 512 * (take(in, 1) % 32); /* 2 MB aligned pfn */
	case 8: x = take(in, 1); return x < 128 ? x << 12 : (x << 56) | 0xFFF;
	case 9: return ~(u64)0 - take(in, 1);
	case 10: return take(in, 1) * PAGE_SIZE;                        /* a size */
	default: return take(in, 8);
	}
}

static void check_step(void)
{
	static char buf[1 << 14];

	if (tk_step_end(buf, sizeof(buf))) {
		fprintf(stderr, "invariant violated:\n%s", buf);
		abort();
	}
}

static void op_run(struct in *in)
{
	u64 run[TK_RUN_WORDS];

	for (int i = 0; i < 31; i++)
		run[i] = take(in, 1);
	run[31] = val(in);                               /* entry pc */
	run[32] = (take(in, 1) & 1) ? 0x3C5 : val(in);   /* entry pstate */
	run[33] = val(in);                               /* map addr */
	run[34] = val(in) | (take(in, 1) & 3);           /* map pte */
	run[35] = 2 + (take(in, 1) % 3);                 /* level 2, 3, or a bad 4 */
	run[36] = take(in, 1) & 1;
	tk_vcpu_run((u32)take(in, 1) % 17, (u32)take(in, 1) % 9, run);
}

static void op_exit(struct in *in)
{
	static const u8 classes[] = { ESR_ELx_EC_HVC64, ESR_ELx_EC_WFx, ESR_ELx_EC_DABT_LOW,
				      ESR_ELx_EC_IABT_LOW, ESR_ELx_EC_SYS64, ESR_ELx_EC_UNKNOWN,
				      ESR_ELx_EC_SMC64, 0x3F };
	u64 hw[TK_HW_WORDS], info[TK_INFO_WORDS];
	u64 sel = take(in, 1);

	hw[0] = (sel & 0x80) ? (sel & 1) : ARM_EXCEPTION_TRAP; /* INTERRUPT, SERROR or TRAP */
	for (int i = 1; i < 32; i++)
		hw[i] = take(in, 1);
	if (take(in, 1) & 1)
		hw[1] = (take(in, 1) & 1) ? HVC_KVM_SET_DESC_PFN : HVC_KVM_UNSET_DESC_PFN;
	hw[3] = val(in);                    /* x2: range start */
	hw[4] = val(in);                    /* x3: size */
	hw[32] = take(in, 4) & ~3UL;        /* pc */
	hw[33] = take(in, 1) & 1 ? 0x3C5 : 0;
	hw[34] = ((u64)classes[sel % 8] << ESR_ELx_EC_SHIFT) | (take(in, 4) & 0x1FFFFFF);
	hw[35] = take(in, 2);
	hw[36] = (val(in) >> 12) << 4;      /* hpfar */
	tk_vm_exit((u32)take(in, 1) % 17, (u32)take(in, 1) % 9, hw, info);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	static char buf[1 << 14];
	struct in in = { data, size };

	tk_reset();
	while (in.n) {
		u64 kind = take(&in, 1) % 8;

		switch (kind) {
		case 0:
		case 1: {
			/* every id up to KCORE_HC_MAX (DESTROY_VM, D68, and one unknown) */
			u64 fn = KCORE_HC_BASE + take(&in, 1) % (KCORE_HC_MAX - KCORE_HC_BASE + 1);
			u64 a1 = val(&in), a2 = val(&in), a3 = val(&in), a4 = val(&in);

			tk_host_call(fn, a1, a2, a3, a4, 0);
			break;
		}
		case 2: tk_host_fault(val(&in)); break;
		case 3: op_run(&in); break;
		case 4: op_exit(&in); break;
		case 5: tk_host_store(val(&in), take(&in, 8)); break;
		case 6: tk_vm_store((u32)take(&in, 1) % 17, val(&in) >> 12, take(&in, 8)); break;
		default: tk_dev_store((u32)take(&in, 1) % 3, (u32)take(&in, 1) % 9, val(&in) >> 12, take(&in, 8)); break;
		}
		check_step();
	}
	if (tk_check_all(buf, sizeof(buf))) {
		fprintf(stderr, "invariant violated at the end:\n%s", buf);
		abort();
	}
	return 0;
}
