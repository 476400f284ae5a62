/* arch/arm64/vgic.c: virtual interrupts through the GICv3 virtual CPU
 * interface, list registers given by the host in its run page. */
#ifndef KCORE_ARM64_VGIC_H
#define KCORE_ARM64_VGIC_H

#include "kcore/abi.h"
#include "kcore/types.h"

#define VGIC_MAX_LR KCORE_RUN_VGIC_LRS

/* Boot, primary CPU: the interface's kind and size. */
void vgic_init(void);
/* Each CPU, as it sets up the host's EL2 context. */
void vgic_cpu_init(void);
/* 0 if the host's list-register values may be loaded; -KE_RANGE or
 * -KE_NOTSUPP (no GICv3 CPU interface) otherwise. Changes nothing. */
long vgic_check(const u64 lr[VGIC_MAX_LR]);
/* cpu: the calling CPU (arch_cpu_id). */
/* Entry of a VCPU_RUN (after vgic_check): the vCPU's interface state and
 * the host's list registers loaded, the interface enabled. */
void vgic_load(u32 cpu, vmid_t vmid, u32 vcpuid, const u64 lr[VGIC_MAX_LR]);
/* The list registers' current values (state 0: the guest is done). */
void vgic_lrs_read(u32 cpu, u64 lr[VGIC_MAX_LR]);
/* Back to the host: the vCPU's interface state kept, the interface
 * disabled and cleared. */
void vgic_save(u32 cpu, vmid_t vmid, u32 vcpuid);
/* D68: the saved interface state of every vCPU of vmid back to boot's (0):
 * a VM reusing the id starts with a clean interface. */
void vgic_vm_forget(vmid_t vmid);

#endif
