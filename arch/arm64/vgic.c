/* Virtual interrupts for VMs through the GICv3 virtual CPU interface
 * (ICH_*_EL2).
 *
 * The host decides which virtual interrupts a vCPU gets, as Linux KVM's
 * vgic does: before each VCPU_RUN it writes up to VGIC_MAX_LR list-register
 * values into its run page (vgic_lr); KCore checks them, loads them into
 * ICH_LR<n>_EL2 and enables the interface (ICH_HCR_EL2.En) for the run; at
 * the exit it gives their state back (exit_vgic_lr: still pending, active,
 * or 0 once the guest completed the interrupt), so the host can carry them
 * to the next run. The guest's own interface state (ICH_VMCR_EL2: its
 * priority mask and group enables; the active priorities ICH_AP0R0/AP1R0)
 * stays in KCore, per vCPU: the host neither reads nor sets it.
 *
 * A list register value the host may give: a purely virtual interrupt
 * (HW = 0: the host cannot make a VM deactivate a physical interrupt), no
 * maintenance interrupt on EOI (KCore does not take those), vINTID below
 * 1020, any priority, group and state; nothing else (-KE_RANGE). On a GIC
 * without the system-register CPU interface (GICv2, the Raspberry Pi 4) the
 * values must all be 0 (-KE_NOTSUPP): virtual interrupts there need the
 * GICH/GICV frames, not supported yet. */
#include "kcore/errno.h"
#include "kcore/state.h"

#include "sysreg.h"
#include "vgic.h"

#define LR_VINTID_MASK 0xFFFFFFFFUL
#define LR_PRIORITY_MASK (0xFFUL << 48)
#define LR_GROUP1 (1UL << 60)
#define LR_HW (1UL << 61)
#define LR_STATE_MASK (3UL << 62)
#define LR_HOST_BITS (LR_VINTID_MASK | LR_PRIORITY_MASK | LR_GROUP1 | LR_STATE_MASK)
#define VINTID_LIMIT 1020UL /* SGIs, PPIs and SPIs */
#define ICH_HCR_EN 1UL

struct vgic_vcpu {
	u64 vmcr, ap0r0, ap1r0;
};

static struct vgic_vcpu vgic_state[COREVISOR][KCORE_MAX_VCPUS];

static bool vgic_present(void)
{
	return ((read_sysreg(id_aa64pfr0_el1) >> 24) & 0xF) != 0;
}

static u32 vgic_nr_lr(void)
{
	u32 n = (u32)(read_sysreg(ich_vtr_el2) & 0x1F) + 1;

	return n < VGIC_MAX_LR ? n : VGIC_MAX_LR;
}

/* The host's values, refused as a whole if one is not allowed. */
long vgic_check(const u64 lr[VGIC_MAX_LR])
{
	u32 n = 0;

	if (!vgic_present()) {
		for (u32 i = 0; i < VGIC_MAX_LR; i++)
			if (lr[i] != 0)
				return -KE_NOTSUPP;
		return 0;
	}
	n = vgic_nr_lr();
	for (u32 i = 0; i < VGIC_MAX_LR; i++) {
		if (lr[i] == 0)
			continue;
		if (i >= n || (lr[i] & ~LR_HOST_BITS) != 0 || (lr[i] & LR_VINTID_MASK) >= VINTID_LIMIT)
			return -KE_RANGE;
	}
	return 0;
}

static void lr_write(u32 i, u64 v)
{
	switch (i) {
	case 0: write_sysreg(v, ich_lr0_el2); break;
	case 1: write_sysreg(v, ich_lr1_el2); break;
	case 2: write_sysreg(v, ich_lr2_el2); break;
	default: write_sysreg(v, ich_lr3_el2); break;
	}
}

static u64 lr_read(u32 i)
{
	switch (i) {
	case 0: return read_sysreg(ich_lr0_el2);
	case 1: return read_sysreg(ich_lr1_el2);
	case 2: return read_sysreg(ich_lr2_el2);
	default: return read_sysreg(ich_lr3_el2);
	}
}

/* At VCPU_RUN, after vgic_check: the vCPU's interface state and the host's
 * list registers, interface on. */
void vgic_load(vmid_t vmid, u32 vcpuid, const u64 lr[VGIC_MAX_LR])
{
	const struct vgic_vcpu *s = &vgic_state[vmid][vcpuid];
	u32 n;

	if (!vgic_present())
		return;
	n = vgic_nr_lr();
	write_sysreg(1, icc_sre_el1); /* the guest's CPU interface: system registers */
	write_sysreg(s->vmcr, ich_vmcr_el2);
	write_sysreg(s->ap0r0, ich_ap0r0_el2);
	write_sysreg(s->ap1r0, ich_ap1r0_el2);
	for (u32 i = 0; i < n; i++)
		lr_write(i, lr[i]);
	write_sysreg(ICH_HCR_EN, ich_hcr_el2);
	isb();
}

/* At the exit to the host: the list registers' state for the host, the
 * interface state kept, the interface off and the list cleared (nothing of
 * the VM's is left in the CPU for the host's next VM on it). */
void vgic_save(vmid_t vmid, u32 vcpuid, u64 lr[VGIC_MAX_LR])
{
	struct vgic_vcpu *s = &vgic_state[vmid][vcpuid];
	u32 n;

	for (u32 i = 0; i < VGIC_MAX_LR; i++)
		lr[i] = 0;
	if (!vgic_present())
		return;
	n = vgic_nr_lr();
	for (u32 i = 0; i < n; i++) {
		lr[i] = lr_read(i);
		lr_write(i, 0);
	}
	s->vmcr = read_sysreg(ich_vmcr_el2);
	s->ap0r0 = read_sysreg(ich_ap0r0_el2);
	s->ap1r0 = read_sysreg(ich_ap1r0_el2);
	write_sysreg(0, ich_ap0r0_el2);
	write_sysreg(0, ich_ap1r0_el2);
	write_sysreg(0, ich_hcr_el2);
	isb();
}
