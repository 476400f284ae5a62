/* Virtual interrupts for VMs: the GICv3 virtual CPU interface (ICH_*_EL2
 * system registers) or a GICv2's (the GICH frame, on QEMU virt with
 * gic-version=2 and on the Raspberry Pi 4).
 *
 * The host decides which virtual interrupts a vCPU gets, as Linux KVM's
 * vgic does: before each VCPU_RUN it writes up to VGIC_MAX_LR list-register
 * values into its run page (vgic_lr); KCore checks them, loads them into
 * ICH_LR<n>_EL2 and enables the interface (ICH_HCR_EL2.En) for the run; at
 * the exit it gives their state back (exit_vgic_lr: still pending, active,
 * or 0 once the guest completed the interrupt), so the host can carry them
 * to the next run. The guest's own interface state (ICH_VMCR_EL2: its
 * priority mask and group enables; the active priorities ICH_AP0R<n>/
 * AP1R<n>, as many as ICH_VTR_EL2 says; a GICv2's GICH_VMCR and GICH_APR)
 * stays in KCore, per vCPU: the host neither reads nor sets it.
 *
 * A list register value the host may give: a purely virtual interrupt
 * (HW = 0: the host cannot make a VM deactivate a physical interrupt), no
 * maintenance interrupt on EOI (KCore does not take those), vINTID below
 * 1020, any priority, group and state; nothing else (-KE_RANGE).
 *
 * The host always writes GICv3 list-register values; on a GICv2 KCore
 * converts them to GICH_LR values and back (a GICv2 keeps the top 5 bits
 * of the priority). There the host maps the GICV frame into its VMs at
 * their GICC address itself (MAP_IO); GICH stays KCore's business: it is
 * fully reloaded at every entry and cleared at every exit, so whatever the
 * host may write there in between is never seen by a VM. */
#include "kcore/errno.h"
#include "kcore/state.h"

#include "home.h"
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

/* GICv2 GICH registers (offsets) and list-register fields. */
#define GICH_HCR 0x000
#define GICH_VTR 0x004
#define GICH_VMCR 0x008
#define GICH_APR 0x0F0
#define GICH_LR(n) (0x100 + 4 * (n))
#define V2_LR_PRIORITY_SHIFT 23 /* 5 bits: the priority's top 5 */
#define V2_LR_STATE_SHIFT 28
#define V2_LR_GROUP1 (1U << 30)

#define VGIC_MAX_APR 4 /* ICH_AP0R<n>/AP1R<n>: 1, 2 or 4 of them (ICH_VTR_EL2.PRIbits) */

struct vgic_vcpu {
	u64 vmcr;
	u64 ap0r[VGIC_MAX_APR], ap1r[VGIC_MAX_APR]; /* GICv2: ap1r[0] is GICH_APR */
};

static struct vgic_vcpu vgic_state[COREVISOR][KCORE_MAX_VCPUS];

/* Which interface and how many list registers (vgic_init, once, at boot):
 * every CPU's are the same. */
static bool gic_v3;
static u32 nr_lr;
static u32 nr_apr; /* GICv3: active-priority registers per group */
/* Per CPU: the list registers loaded with a value for the current run (a
 * bit each). Only those are read back and cleared, so a run without
 * virtual interrupts costs no list-register access. */
static u32 lr_used[KCORE_MAX_CPUS];

/* GICv2: GICH through the home's device mapping (vgic_init). */
static uintptr_t gich_va;

static volatile u32 *gich(u32 off)
{
	return (volatile u32 *)(gich_va + off);
}

void vgic_init(void)
{
	u32 n;

	gic_v3 = cpu_has_gicv3_sysregs();
	if (!gic_v3)
		gich_va = home_device_va(home.gich_base);
	n = gic_v3 ? (u32)(read_sysreg(ich_vtr_el2) & 0x1F) + 1 : (*gich(GICH_VTR) & 0x3F) + 1;
	nr_lr = n < VGIC_MAX_LR ? n : VGIC_MAX_LR;
	if (gic_v3) { /* PRIbits + 1 = 5, 6 or 7 priority bits: 1, 2 or 4 registers */
		u32 pribits = (u32)(read_sysreg(ich_vtr_el2) >> 29 & 7) + 1;

		nr_apr = pribits >= 7 ? 4 : pribits == 6 ? 2 : 1;
	}
}

/* A CPU's own set-up (host_stage2_init, every CPU), GICv3 only: EL1 may use
 * the system-register CPU interface (ICC_SRE_EL2.Enable), and uses it
 * (ICC_SRE_EL1.SRE): a guest's interface is the virtual one behind those
 * registers, and the host's Linux uses them too. */
void vgic_cpu_init(void)
{
	if (!gic_v3)
		return;
	write_sysreg(0xF, SYS_ICC_SRE_EL2); /* Enable, DIB, DFB, SRE */
	isb();
	write_sysreg(7, icc_sre_el1); /* SRE, DFB, DIB */
	isb();
}

/* GICv3 list-register value (the ABI's) <-> GICv2 GICH_LR. */
static u32 lr_to_v2(u64 v)
{
	return (u32)(v & 0x3FF) | (u32)((v >> 51) & 0x1F) << V2_LR_PRIORITY_SHIFT |
	       (u32)(v >> 62) << V2_LR_STATE_SHIFT | ((v & LR_GROUP1) ? V2_LR_GROUP1 : 0);
}

static u64 lr_from_v2(u32 v)
{
	return (u64)(v & 0x3FF) | (u64)((v >> V2_LR_PRIORITY_SHIFT) & 0x1F) << 51 |
	       (u64)((v >> V2_LR_STATE_SHIFT) & 3) << 62 | ((v & V2_LR_GROUP1) ? LR_GROUP1 : 0);
}

/* The host's values, refused as a whole if one is not allowed. */
long vgic_check(const u64 lr[VGIC_MAX_LR])
{
	u32 n = nr_lr;

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
	if (!gic_v3) {
		*gich(GICH_LR(i)) = lr_to_v2(v);
		return;
	}
	switch (i) {
	case 0: write_sysreg(v, ich_lr0_el2); break;
	case 1: write_sysreg(v, ich_lr1_el2); break;
	case 2: write_sysreg(v, ich_lr2_el2); break;
	default: write_sysreg(v, ich_lr3_el2); break;
	}
}

/* Every list register the CPU has (up to VGIC_MAX_LR), straight-line. */
static void lrs_write_v3(const u64 lr[VGIC_MAX_LR])
{
	switch (nr_lr) {
	default:
		write_sysreg(lr[3], ich_lr3_el2);
		__attribute__((fallthrough));
	case 3:
		write_sysreg(lr[2], ich_lr2_el2);
		__attribute__((fallthrough));
	case 2:
		write_sysreg(lr[1], ich_lr1_el2);
		__attribute__((fallthrough));
	case 1:
		write_sysreg(lr[0], ich_lr0_el2);
	}
}

static u64 lr_read(u32 i)
{
	if (!gic_v3)
		return lr_from_v2(*gich(GICH_LR(i)));
	switch (i) {
	case 0: return read_sysreg(ich_lr0_el2);
	case 1: return read_sysreg(ich_lr1_el2);
	case 2: return read_sysreg(ich_lr2_el2);
	default: return read_sysreg(ich_lr3_el2);
	}
}

/* The active-priority registers: as many as the CPU has, straight-line
 * (this runs at every VCPU_RUN). */
static void aprs_write(const u64 ap0[VGIC_MAX_APR], const u64 ap1[VGIC_MAX_APR])
{
	switch (nr_apr) {
	case 4:
		write_sysreg(ap0[3], ich_ap0r3_el2);
		write_sysreg(ap1[3], ich_ap1r3_el2);
		write_sysreg(ap0[2], ich_ap0r2_el2);
		write_sysreg(ap1[2], ich_ap1r2_el2);
		__attribute__((fallthrough));
	case 2:
		write_sysreg(ap0[1], ich_ap0r1_el2);
		write_sysreg(ap1[1], ich_ap1r1_el2);
		__attribute__((fallthrough));
	default:
		write_sysreg(ap0[0], ich_ap0r0_el2);
		write_sysreg(ap1[0], ich_ap1r0_el2);
	}
}

static void aprs_read(u64 ap0[VGIC_MAX_APR], u64 ap1[VGIC_MAX_APR])
{
	switch (nr_apr) {
	case 4:
		ap0[3] = read_sysreg(ich_ap0r3_el2);
		ap1[3] = read_sysreg(ich_ap1r3_el2);
		ap0[2] = read_sysreg(ich_ap0r2_el2);
		ap1[2] = read_sysreg(ich_ap1r2_el2);
		__attribute__((fallthrough));
	case 2:
		ap0[1] = read_sysreg(ich_ap0r1_el2);
		ap1[1] = read_sysreg(ich_ap1r1_el2);
		__attribute__((fallthrough));
	default:
		ap0[0] = read_sysreg(ich_ap0r0_el2);
		ap1[0] = read_sysreg(ich_ap1r0_el2);
	}
}

/* The guest's interface state in (load: VMCR and every active-priority
 * register the CPU has, D59) and out (save; a GICv2's then cleared). */
static void iface_load(const struct vgic_vcpu *s)
{
	if (!gic_v3) {
		*gich(GICH_VMCR) = (u32)s->vmcr;
		*gich(GICH_APR) = (u32)s->ap1r[0];
		return;
	}
	write_sysreg(s->vmcr, ich_vmcr_el2);
	aprs_write(s->ap0r, s->ap1r);
}

static void iface_save(struct vgic_vcpu *s)
{
	if (!gic_v3) {
		s->vmcr = *gich(GICH_VMCR);
		s->ap1r[0] = *gich(GICH_APR);
		*gich(GICH_APR) = 0;
		*gich(GICH_VMCR) = 0;
		return;
	}
	s->vmcr = read_sysreg(ich_vmcr_el2);
	aprs_read(s->ap0r, s->ap1r);
	/* Left as they are: only EL2 reads ICH_*_EL2 (the host cannot), and
	 * the next load overwrites every one of them. */
}

static void iface_enable(bool on)
{
	if (!gic_v3) {
		*gich(GICH_HCR) = on ? 1U : 0U;
		dsb(sy);
		return;
	}
	write_sysreg(on ? ICH_HCR_EN : 0, ich_hcr_el2);
	isb();
}

/* At VCPU_RUN, after vgic_check: the vCPU's interface state and the host's
 * list registers, interface on. Every list register is written, 0 where the
 * host gave none (D59): what the guest sees is exactly what vgic_check
 * passed, whatever was in the CPU's list registers before. */
void vgic_load(u32 cpu, vmid_t vmid, u32 vcpuid, const u64 lr[VGIC_MAX_LR])
{
	u32 used;

	iface_load(&vgic_state[vmid][vcpuid]);
	if (gic_v3) {
		lrs_write_v3(lr);
	} else {
		for (u32 i = 0; i < nr_lr; i++)
			*gich(GICH_LR(i)) = lr_to_v2(lr[i]);
	}
	/* vgic_check refused a value beyond nr_lr */
	_Static_assert(VGIC_MAX_LR == 4, "the used-list-register mask below");
	used = (u32)(lr[0] != 0) | (u32)(lr[1] != 0) << 1 | (u32)(lr[2] != 0) << 2 |
	       (u32)(lr[3] != 0) << 3;
	lr_used[cpu] = used;
	iface_enable(true);
}

/* The list registers as they are now (for the exit record, written while
 * the VM's interface is still loaded). */
void vgic_lrs_read(u32 cpu, u64 lr[VGIC_MAX_LR])
{
	u32 used = lr_used[cpu];

	for (u32 i = 0; i < VGIC_MAX_LR; i++)
		lr[i] = 0;
	for (; used; used &= used - 1) {
		u32 i = (u32)__builtin_ctz(used);

		lr[i] = lr_read(i);
	}
}

/* At the switch back to the host: the interface state kept, the interface
 * off and the list cleared (nothing of the VM's is left in the CPU for the
 * host or the next VM on it). */
void vgic_save(u32 cpu, vmid_t vmid, u32 vcpuid)
{
	iface_enable(false);
	for (u32 used = lr_used[cpu]; used; used &= used - 1)
		lr_write((u32)__builtin_ctz(used), 0);
	lr_used[cpu] = 0;
	iface_save(&vgic_state[vmid][vcpuid]);
}

void vgic_vm_forget(vmid_t vmid)
{
	if (vmid >= COREVISOR)
		return;
	for (u32 v = 0; v < KCORE_MAX_VCPUS; v++)
		vgic_state[vmid][v] = (struct vgic_vcpu){ 0 };
}
