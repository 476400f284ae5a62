"""Unit tests of the executable model on its own, with hand-computed expectations.

  cd /work/main && /usr/bin/python3 -m pytest -q tests/model/test_model.py
"""
import os
import random
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import constants as K  # noqa: E402
from constants import *  # noqa: E402,F401,F403
from export import Export
from spec import Model, sample_layout  # noqa: E402

RAM0 = KCORE_RAM_BASE // PAGE_SIZE      # 0x40000, first RAM pfn
CORE0 = 0x43800                         # sample_layout: KCore in the last 8 MB of 64 MB
KERNEL = 0x7FF                          # PAGE_S2_KERNEL
DEVICE_RW = 0x400000000004C7            # PAGE_S2_DEVICE | S2_RDWR
HYP = 0x40000000000743                  # PAGE_HYP (AP[1] set)
SMMU = 0xF43                            # PAGE_SMMU (stage-1, nG: D39)
IMG_IPA = 0x40000000                    # where the test VMs' image is loaded (guest IPA)
IMG_PFNS = (RAM0 + 3100, RAM0 + 3101)   # the host pages holding it (outside the tests blocks)
MASK = (1 << 64) - 1


def test_descriptor_constants():
    assert PAGE_S2_KERNEL == KERNEL
    assert PAGE_S2_DEVICE | S2_RDWR == DEVICE_RW
    assert PAGE_HYP == HYP
    assert PAGE_SMMU == SMMU
    assert NR_CTXT_REGS == 135 and SHADOW_SYS_REGS_SIZE == 23 and ESR_EL2 == 66


# ---- helpers ---------------------------------------------------------------------------------
def mk(**kw):
    L = sample_layout(**kw)
    m = Model(L)
    # D41: the model alone has no RAM bytes: a page is its first word, then zeros.
    m.export = Export(lambda pfn: (m.flatmem.get(pfn) or 0).to_bytes(8, 'little') + bytes(4088),
                      secret=bytes(range(32)))
    return L, m


def hc(m, name, *a):
    return m.host_call(getattr(K, 'KCORE_HC_' + name), *a)


def boot_vm(m, vcpus=1, verify=True):
    vmid = hc(m, 'GEN_VMID')
    assert hc(m, 'REGISTER_KVM', vmid) == 0
    for c in range(vcpus):
        assert hc(m, 'REGISTER_VCPU', vmid, c) == 0
    idx = hc(m, 'SET_BOOT_INFO', vmid, IMG_IPA, 2 * PAGE_SIZE)
    assert idx == 0
    for pfn in IMG_PFNS:   # VERIFY_VM takes the pages (D40): each VM its own
        assert hc(m, 'REMAP_VM_IMAGE', vmid, pfn + 2 * (vmid - 1), idx) == 0
    if verify:
        assert hc(m, 'VERIFY_VM', vmid) == 0
    return vmid


def runin(**kw):
    r = dict(regs=[0] * 31, entry_pc=IMG_IPA, entry_pstate=0x3C5, map_addr=0, map_pte=0,
             map_level=3, request=0)
    r.update(kw)
    return r


def hw(cls=ESR_ELx_EC_HVC64, ec=ARM_EXCEPTION_TRAP, iss=0, regs=None, pc=0x40000100,
       pstate=0x3C5, far=0, hpfar=0):
    return dict(ec=ec, regs=list(regs or [0] * 31), pc=pc, pstate=pstate,
                esr=(cls << 26) | ESR_ELx_IL | iss, far=far, hpfar=hpfar)


def irq():
    return hw(ec=ARM_EXCEPTION_INTERRUPT, cls=0)


def started_vm(m, vcpus=1):
    """A VERIFIED VM whose vCPU 0 has run once and exited to the host (READY)."""
    vmid = boot_vm(m, vcpus)
    assert m.vcpu_run(vmid, 0, runin()) == 0
    assert m.vm_exit(vmid, 0, irq())[0] == 1
    return vmid


def map_req(m, vmid, ipa, pfn, level=3, bits=0x3):
    return m.vcpu_run(vmid, 0, runin(map_addr=ipa, map_pte=(pfn * PAGE_SIZE) | bits,
                                     map_level=level))


def refused(m, fn, *a):
    """Run fn(*a); it must refuse (negative) and change nothing (R1). Returns the code."""
    before = m.snapshot()
    rc = fn(*a)
    assert rc < 0, rc
    assert m.snapshot() == before
    return rc


# ---- initial state -------------------------------------------------------------------------
def test_initial_state():
    L, m = mk()
    assert m.s2page(RAM0) == (HOSTVISOR, 0, RAM0)
    assert m.s2page(RAM0 + 16383) == (COREVISOR, 0, INVALID64)
    assert m.s2page(CORE0 - 1) == (HOSTVISOR, 0, CORE0 - 1)
    assert m.s2page(CORE0) == (COREVISOR, 0, INVALID64)
    # D44: outside RAM, only the MMIO allow-list reads INVALID; the rest is withheld.
    assert m.s2page(RAM0 + 16384) == (COREVISOR, 0, INVALID64)
    assert m.s2page(0x9050) == m.s2page(0x906F) == (COREVISOR, 0, INVALID64)
    assert m.s2page(0x9000) == m.s2page(0x9001) == (INVALID, 0, INVALID64)
    assert m.s2page(0x8FFF) == m.s2page(0x9002) == (COREVISOR, 0, INVALID64)
    assert m.s2page(0x9020) == m.s2page(0xA000) == (COREVISOR, 0, INVALID64)
    s, ps, ms, e = L.pools[HOSTVISOR]
    assert m.npt_ptrs(HOSTVISOR) == (s + 4096, ps, ms)
    assert m.core_data() == (1, L.remap_start, 0)
    assert m.smmu_vmid() == [INVALID] * 16 and m.smmu_nr_mapped() == [0] * 16
    assert m.spt_ptrs() == (L.spt_pool_start, L.spt_pmd_start)
    assert m.shadow(1, 0)[DIRTY] == INVALID64 and m.shadow(1, 0)[PC] == 0
    assert len(m.shadow(15, 7)) == NR_CTXT_REGS
    fm = m.flatmem_known()
    assert fm[RAM0] == 0 and CORE0 not in fm and len(fm) == 16384 - 2048
    assert m.vminfo(1) == (UNUSED, (0,) * 8, 0, (0,) * 5, (0,) * 5, (0,) * 5, (0,) * 5, 0)
    assert m.mappings(HOSTVISOR) == {}
    assert m.invariants() == []


def test_host_call_dispatch():
    L, m = mk()
    assert hc(m, 'NOP') == 0
    assert m.host_call(KCORE_HC_MAX) == -KE_NOFUNC
    assert m.host_call(0) == -KE_NOFUNC
    assert m.host_call(KCORE_HC_VCPU_RUN, 1, 0) == -KE_NOFUNC
    for v in range(1, 16):
        assert hc(m, 'GEN_VMID') == v
    assert hc(m, 'GEN_VMID') == -KE_FULL
    assert m.core_data()[0] == 16


# ---- local_mmap_h ------------------------------------------------------------------------------
def test_mmap_level3_bump_pointers():
    L, m = mk()
    s, ps, ms, e = L.pools[HOSTVISOR]
    assert m.host_stage2_fault(0x40000000) == 0
    assert m.npt_ptrs(0) == (s + 8192, ps + 4096, ms + 4096)
    assert m.lookup(0, 0x40000) == (0x40000, 3, 0x40000000 | KERNEL)
    assert m.host_stage2_fault(0x40001234) == 0        # same pte table
    assert m.npt_ptrs(0) == (s + 8192, ps + 4096, ms + 4096)
    assert m.lookup(0, 0x40001) == (0x40001, 3, 0x40001000 | KERNEL)
    assert m.host_stage2_fault(0x40200000) == 0        # next 2 MB: a new pte table
    assert m.npt_ptrs(0) == (s + 8192, ps + 4096, ms + 8192)
    assert m.host_stage2_fault(0x09000000) == 0        # MMIO, GB 0: new pmd and pte tables
    assert m.npt_ptrs(0) == (s + 8192, ps + 8192, ms + 12288)
    assert m.lookup(0, 0x9000) == (0x9000, 3, 0x09000000 | DEVICE_RW)
    assert m.mappings(0) == {0x40000: (0x40000, 3, 0x40000000 | KERNEL),
                             0x40001: (0x40001, 3, 0x40001000 | KERNEL),
                             0x40200: (0x40200, 3, 0x40200000 | KERNEL),
                             0x9000: (0x9000, 3, 0x09000000 | DEVICE_RW)}
    assert m.invariants() == []


def test_mmap_level3_exhaustion():
    L, m = mk(pools={HOSTVISOR: (2, 2, 2)})
    s, ps, ms, e = L.pools[HOSTVISOR]
    assert m.host_stage2_fault(0x40000000) == 0
    assert m.host_stage2_fault(0x40200000) == 0
    assert m.npt_ptrs(0) == (ps, ps + 4096, e)           # pmd pool now full
    assert refused(m, m.host_stage2_fault, 0x40400000) == -KE_NOMEM
    assert m.lookup(0, 0x40400) == (0, 0, 0)
    assert m.host_stage2_fault(0x40002000) == 0        # an existing pte table still works
    assert refused(m, m.host_stage2_fault, 0x09000000) == -KE_NOMEM   # needs a pmd page
    assert refused(m, m.host_stage2_fault, 1 << 39) == -KE_NOMEM      # needs a pud page
    assert refused(m, m.host_stage2_fault, 1 << 40) == -KE_RANGE
    assert m.npt_ptrs(0) == (ps, ps + 4096, e)


def test_mmap_level2_bump_pointers_and_exhaustion():
    L, m = mk()
    vmid = started_vm(m)
    s, ps, ms, e = L.pools[vmid]
    assert m.npt_ptrs(vmid) == (s + 8192, ps + 4096, ms + 4096)     # the image's (D40)
    blk = RAM0 + 512
    assert map_req(m, vmid, 0x40000000, blk, level=2) == 0            # pgd 0, pud 1
    assert m.npt_ptrs(vmid) == (s + 8192, ps + 4096, ms + 4096)      # no new table
    assert m.vm_exit(vmid, 0, irq())[0] == 1
    assert map_req(m, vmid, 0x40200000, blk + 512, level=2) == 0      # same pmd table
    assert m.npt_ptrs(vmid) == (s + 8192, ps + 4096, ms + 4096)
    assert m.vm_exit(vmid, 0, irq())[0] == 1
    assert map_req(m, vmid, 0x80000000, blk + 1024, level=2) == 0     # pud 2: last pmd page
    assert m.npt_ptrs(vmid) == (s + 8192, ps + 8192, ms + 4096)
    assert m.vm_exit(vmid, 0, irq())[0] == 1
    assert refused(m, map_req, m, vmid, 0xC0000000, blk + 1536, 2) == -KE_NOMEM
    assert m.s2page(blk + 1536) == (HOSTVISOR, 0, blk + 1536)
    assert m.vminfo(vmid)[1][0] == READY
    assert m.invariants() == []


# ---- local_map_host ----------------------------------------------------------------------------
def test_map_host_rules():
    L, m = mk()
    assert refused(m, m.host_stage2_fault, CORE0 * PAGE_SIZE) == -KE_OWNER
    assert refused(m, m.host_stage2_fault, 0x09050000) == -KE_OWNER   # KCore's SMMU
    assert refused(m, m.host_stage2_fault, 0x0906F000) == -KE_OWNER
    assert refused(m, m.host_stage2_fault, 0x09020000) == -KE_OWNER   # D44: fw_cfg (DMA)
    assert refused(m, m.host_stage2_fault, 0x0A000000) == -KE_OWNER   # D44: virtio-mmio
    assert m.lookup(0, 0x9020) == m.lookup(0, 0xA000) == (0, 0, 0)
    assert m.host_stage2_fault(0x09001000) == 0                       # on the allow-list
    assert m.lookup(0, 0x9001) == (0x9001, 3, 0x09001000 | DEVICE_RW)
    assert refused(m, m.host_stage2_fault, 1 << 40) == -KE_RANGE
    assert m.host_stage2_fault(0x401FFFFFFF) == 0                    # not RAM: a device page
    assert m.lookup(0, 0x401FFFF) == (0x401FFFF, 3, 0x401FFFF000 | DEVICE_RW)
    assert refused(m, m.host_stage2_fault, (1 << 40) - 1) == -KE_NOMEM   # pgd 1: no pud page
    # A VM page with count 0: refused; shared (count 1): allowed.
    vmid = started_vm(m)
    pfn = RAM0 + 100
    assert map_req(m, vmid, 0x80000000, pfn) == 0
    assert refused(m, m.host_stage2_fault, pfn * PAGE_SIZE) == -KE_OWNER
    grant = [0] * 31
    grant[0], grant[2], grant[3] = HVC_KVM_SET_DESC_PFN, 0x80000000, 1
    assert m.vm_exit(vmid, 0, hw(regs=grant)) == (0, {'reason': 0, 'rd': 0, 'esr': 0,
                                                      'fault_ipa': 0, 'mmio_data': 0,
                                                      'hvc_args': [0, 0, 0, 0]})
    assert m.s2page(pfn) == (vmid, 1, 0x80000)
    assert m.host_stage2_fault(pfn * PAGE_SIZE) == 0
    assert m.lookup(0, pfn) == (pfn, 3, pfn * PAGE_SIZE | KERNEL)
    assert m.invariants() == []


def test_map_host_smmu_assigned_page_d12():
    L, m = mk()
    vmid = boot_vm(m, verify=False)
    assert hc(m, 'SMMU_ALLOC', 0, vmid, 0) == 0
    pfn = RAM0 + 300
    assert m.host_stage2_fault(pfn * PAGE_SIZE) == 0
    assert hc(m, 'SMMU_ASSIGN', 0, 0, pfn, 0x1234) == 0
    assert m.s2page(pfn) == (vmid, INVALID, 0x1234)
    assert m.lookup(0, pfn) == (0, 0, 0)                              # host-unmapped
    assert refused(m, m.host_stage2_fault, pfn * PAGE_SIZE) == -KE_OWNER   # D12
    assert m.host_store(pfn * PAGE_SIZE, 5) == 'abort'
    assert m.invariants() == []


# ---- assign / clear ------------------------------------------------------------------------------
def test_assign_and_clear():
    L, m = mk()
    vmid = started_vm(m)
    pfn = RAM0 + 100
    assert m.host_store(pfn * PAGE_SIZE, 0x55) == 'stored'            # faults it in, then stores
    assert m.flatmem_known()[pfn] == 0x55
    assert m.lookup(0, pfn) == (pfn, 3, pfn * PAGE_SIZE | KERNEL)
    assert map_req(m, vmid, 0x80000123, pfn, bits=0xFFF) == 0
    assert m.s2page(pfn) == (vmid, 0, 0x80000)
    assert m.lookup(0, pfn) == (0, 0, 0)
    assert m.lookup(vmid, 0x80000) == (pfn, 3, pfn * PAGE_SIZE | KERNEL)
    assert pfn not in m.flatmem_known()                               # the oracle's value
    assert m.host_store(pfn * PAGE_SIZE, 1) == 'abort'
    assert m.vm_store(vmid, 0x80000, 0x77) == 'stored'
    assert m.flatmem_known()[pfn] == 0x77
    assert m.vm_store(vmid, 0x80001, 0x77) == 'fault'
    # the same page at the same gfn again: the D11 branch, nothing changes
    assert m.vm_exit(vmid, 0, irq())[0] == 1
    assert map_req(m, vmid, 0x80000000, pfn) == 0
    assert m.s2page(pfn) == (vmid, 0, 0x80000)
    assert m.vm_exit(vmid, 0, irq())[0] == 1
    # at another gfn: refused
    assert refused(m, map_req, m, vmid, 0x80001000, pfn) == -KE_OWNER
    # clear_vm_page (D16)
    assert refused(m, hc, m, 'CLEAR_VM_PAGE', vmid, pfn) == -KE_STATE
    assert refused(m, hc, m, 'CLEAR_VM_PAGE', 0, pfn) == -KE_RANGE
    assert refused(m, hc, m, 'CLEAR_VM_PAGE', vmid, PFN_SPACE) == -KE_RANGE
    assert m.vcpu_run(vmid, 0, runin()) == 0                          # ACTIVE again
    assert hc(m, 'POWEROFF_VM', vmid) == 0
    assert m.vm_store(vmid, 0x80000, 1) == 'skip'
    assert refused(m, hc, m, 'CLEAR_VM_PAGE', vmid, pfn) == -KE_BUSY  # an ACTIVE vCPU
    assert m.vm_exit(vmid, 0, irq())[0] == 1
    assert hc(m, 'SMMU_ALLOC', 1, vmid, 0) == 0                       # POWEROFF may own one
    assert refused(m, hc, m, 'CLEAR_VM_PAGE', vmid, pfn) == -KE_BUSY  # an SMMU context
    assert hc(m, 'SMMU_FREE', 1, 0) == 0
    assert refused(m, hc, m, 'CLEAR_VM_PAGE', vmid, RAM0 + 101) == -KE_OWNER
    assert hc(m, 'CLEAR_VM_PAGE', vmid, pfn) == 0
    assert m.s2page(pfn) == (HOSTVISOR, 0, pfn)
    assert m.flatmem_known()[pfn] == 0
    assert m.invariants() == []
    assert refused(m, hc, m, 'CLEAR_VM_PAGE', vmid, pfn) == -KE_OWNER
    assert m.host_stage2_fault(pfn * PAGE_SIZE) == 0
    assert m.invariants() == []


def test_clear_shared_page_unmaps_host():
    L, m = mk()
    vmid = started_vm(m)
    pfn = RAM0 + 100
    assert map_req(m, vmid, 0x80000000, pfn) == 0
    grant = [0] * 31
    grant[0], grant[2], grant[3] = HVC_KVM_SET_DESC_PFN, 0x80000000, 4096
    assert m.vm_exit(vmid, 0, hw(regs=grant))[0] == 0
    assert m.host_store(pfn * PAGE_SIZE, 9) == 'shared'
    assert pfn not in m.flatmem_known()
    assert hc(m, 'POWEROFF_VM', vmid) == 0
    assert m.vm_exit(vmid, 0, irq())[0] == 1
    assert hc(m, 'CLEAR_VM_PAGE', vmid, pfn) == 0
    assert m.lookup(0, pfn) == (0, 0, 0)
    assert m.s2page(pfn) == (0, 0, pfn) and m.flatmem_known()[pfn] == 0
    assert m.invariants() == []


def test_load_decrypt_save_encrypt_d36():
    L, m = mk()
    vmid = boot_vm(m, verify=False)
    assert refused(m, hc, m, 'LOAD_DECRYPT_BUF', vmid, CORE0 * PAGE_SIZE) == -KE_OWNER
    assert refused(m, hc, m, 'LOAD_DECRYPT_BUF', vmid, RAM0 * PAGE_SIZE) == -KE_AUTH  # no blob
    assert refused(m, hc, m, 'LOAD_DECRYPT_BUF', vmid, 1 << 40) == -KE_RANGE
    assert refused(m, hc, m, 'SAVE_ENCRYPT_BUF', vmid, RAM0 * PAGE_SIZE, RAM0 * PAGE_SIZE) \
        == -KE_OWNER
    assert refused(m, hc, m, 'LOAD_ENCRYPTED_VCPU', vmid, 0, RAM0 * PAGE_SIZE) == -KE_AUTH
    assert refused(m, hc, m, 'LOAD_ENCRYPTED_VCPU', vmid, 1, RAM0 * PAGE_SIZE) == -KE_STATE
    assert refused(m, hc, m, 'LOAD_ENCRYPTED_VCPU', vmid, 8, RAM0 * PAGE_SIZE) == -KE_RANGE
    assert refused(m, hc, m, 'LOAD_ENCRYPTED_VCPU', vmid, 0, CORE0 * PAGE_SIZE) == -KE_OWNER
    # a vCPU exported and imported back: the same registers, never run here (D41)
    out = RAM0 + 100
    m.shadow_ctxts[(vmid, 0)][5] = 0x1234
    assert hc(m, 'SAVE_ENCRYPTED_VCPU', vmid, 0, out * PAGE_SIZE) == 0
    assert m.flatmem[out] == 0x424C4245524F434B
    assert hc(m, 'VERIFY_VM', vmid) == 0
    assert refused(m, hc, m, 'LOAD_DECRYPT_BUF', vmid, RAM0 * PAGE_SIZE) == -KE_STATE
    # a page export of the VERIFIED VM: ciphertext and header in two host pages
    assert hc(m, 'SAVE_ENCRYPT_BUF', vmid, (IMG_PFNS[0]) * PAGE_SIZE, out * PAGE_SIZE) == 0
    assert m.flatmem[out + 1] == 0x424C4245524F434B
    assert m.vminfos[vmid].export_seq == 2


# ---- map_io ----------------------------------------------------------------------------------
def test_map_io():
    L, m = mk()
    vmid = boot_vm(m, verify=False)
    s, ps, ms, e = L.pools[vmid]
    assert hc(m, 'MAP_IO', vmid, 0x09000000, 0x09000abc) == 0
    assert m.lookup(vmid, 0x9000) == (0x9000, 3, 0x09000000 | DEVICE_RW)
    assert m.npt_ptrs(vmid) == (s + 8192, ps + 4096, ms + 4096)
    assert refused(m, hc, m, 'MAP_IO', vmid, 0x09001000, RAM0 * PAGE_SIZE) == -KE_OWNER
    assert refused(m, hc, m, 'MAP_IO', vmid, 0x09001000, 0x09050000) == -KE_OWNER
    assert refused(m, hc, m, 'MAP_IO', vmid, 0x09001000, 1 << 40) == -KE_RANGE   # D10
    assert refused(m, hc, m, 'MAP_IO', vmid, 1 << 40, 0x09000000) == -KE_RANGE
    assert refused(m, hc, m, 'MAP_IO', 16, 0x09001000, 0x09000000) == -KE_RANGE
    assert hc(m, 'VERIFY_VM', vmid) == 0
    assert refused(m, hc, m, 'MAP_IO', vmid, 0x09001000, 0x09000000) == -KE_STATE
    fm = m.flatmem_known()
    assert m.vm_store(vmid, 0x9000, 1) == 'stored'                   # count 0; not RAM
    assert m.flatmem_known() == fm
    assert m.invariants() == []


# ---- prot_and_map level 2 --------------------------------------------------------------------
def test_prot_and_map_level2_alignment_and_all_or_nothing():
    L, m = mk()
    vmid = started_vm(m)
    other = started_vm(m)
    blk = RAM0 + 1024
    # D8: the block must be 2 MB aligned
    assert refused(m, map_req, m, vmid, 0x40000000, blk + 1, 2) == -KE_ALIGN
    # D24: level 2 or 3
    assert refused(m, map_req, m, vmid, 0x40000000, blk, 4) == -KE_RANGE
    assert refused(m, map_req, m, vmid, 0x40000000, blk, 0) == -KE_RANGE
    # one page of the block device-mapped by the host: count 1, -KE_BUSY, nothing changes
    assert hc(m, 'SMMU_ALLOC', 0, HOSTVISOR, 0) == 0
    assert hc(m, 'SMMU_MAP', 0, 0, (blk + 7) * PAGE_SIZE, (blk + 7) * PAGE_SIZE) == 0
    assert refused(m, map_req, m, vmid, 0x40000000, blk, 2) == -KE_BUSY
    assert hc(m, 'SMMU_CLEAR', (blk + 7) * PAGE_SIZE, 0, 0) == 0
    # one page owned by the other VM: -KE_OWNER
    assert map_req(m, other, 0x80000000, blk + 300) == 0
    assert refused(m, map_req, m, vmid, 0x40000000, blk, 2) == -KE_OWNER
    # a block over KCore's memory: -KE_OWNER
    assert refused(m, map_req, m, vmid, 0x40000000, CORE0, 2) == -KE_OWNER
    # success: the host's mappings in the block go, all 512 pages are the VM's
    b2 = RAM0 + 1536
    for i in (0, 5, 511):
        assert m.host_stage2_fault((b2 + i) * PAGE_SIZE) == 0
    assert map_req(m, vmid, 0x40000000 + 0x1234, b2, 2, bits=0x3) == 0
    blkpte = (b2 * PAGE_SIZE | KERNEL) & ~PTE_TABLE
    assert blkpte == b2 * PAGE_SIZE | 0x7FD
    for i in (0, 5, 511):
        assert m.s2page(b2 + i) == (vmid, 0, 0x40000 + i)
        assert m.lookup(vmid, 0x40000 + i) == (b2 + i, 2, blkpte)
        assert m.lookup(0, b2 + i) == (0, 0, 0)
        assert b2 + i not in m.flatmem_known()
    assert len(m.mappings(vmid)) == 512
    assert m.shadow(vmid, 0)[DIRTY] == 0 and m.vminfo(vmid)[1][0] == ACTIVE
    assert m.vm_exit(vmid, 0, irq())[0] == 1
    # a 4 KB map inside the block: -KE_BLOCK
    assert refused(m, map_req, m, vmid, 0x40003000, RAM0 + 3000) == -KE_BLOCK
    # the same block again: every page is already the VM's at that gfn (D11 branch)
    assert map_req(m, vmid, 0x40000000, b2, 2) == 0
    assert m.vm_store(vmid, 0x40005, 3) == 'stored' and m.flatmem_known()[b2 + 5] == 3
    assert m.invariants() == []


# ---- grant / revoke ----------------------------------------------------------------------------
def _hvc(fn, addr, size):
    r = [0] * 31
    r[0], r[2], r[3] = fn, addr, size
    return hw(regs=r)


def test_grant_revoke_d9_d12_d13():
    L, m = mk()
    vmid = started_vm(m)
    blk = RAM0 + 2048
    gpa = 0x40000000
    assert map_req(m, vmid, gpa, blk, 2) == 0
    # D9: the pages the gfns really map, blk+5 and blk+6
    ret, info = m.vm_exit(vmid, 0, _hvc(HVC_KVM_SET_DESC_PFN, gpa + 5 * 4096 + 8, 4096))
    assert ret == 0 and info['reason'] == KCORE_EXIT_NONE
    assert m.shadow(vmid, 0)[X0] == 0
    assert m.s2page(blk + 5) == (vmid, 1, 0x40005)
    assert m.s2page(blk + 6) == (vmid, 0, 0x40006)
    assert m.s2page(blk) == (vmid, 0, 0x40000)
    assert m.vm_exit(vmid, 0, _hvc(HVC_KVM_SET_DESC_PFN, gpa + 5 * 4096, 2 * 4096 - 1))[0] == 0
    assert m.s2page(blk + 5)[1] == 2 and m.s2page(blk + 6)[1] == 1
    # D12: the host may map a shared page
    assert m.host_stage2_fault((blk + 6) * PAGE_SIZE) == 0
    assert m.host_store((blk + 6) * PAGE_SIZE, 42) == 'shared'
    assert m.vm_store(vmid, 0x40006, 1) == 'shared'
    # revoke: blk+6 drops to 0: the host loses it, its content is the oracle's
    assert m.vm_exit(vmid, 0, _hvc(HVC_KVM_UNSET_DESC_PFN, gpa + 5 * 4096, 2 * 4096))[0] == 0
    assert m.s2page(blk + 5)[1] == 1 and m.s2page(blk + 6)[1] == 0
    assert m.lookup(0, blk + 6) == (0, 0, 0)
    assert m.vm_store(vmid, 0x40006, 1) == 'stored'
    # revoke at count 0: nothing
    snap = m.snapshot()
    assert m.vm_exit(vmid, 0, _hvc(HVC_KVM_UNSET_DESC_PFN, gpa + 6 * 4096, 4096))[0] == 0
    after = m.snapshot()
    assert after[0] == snap[0] and after[2] == snap[2]
    # unmapped gfns are skipped
    assert m.vm_exit(vmid, 0, _hvc(HVC_KVM_SET_DESC_PFN, 0x90000000, 64 * 4096))[0] == 0
    # m.L.max_share_count caps the count
    for _ in range(m.L.max_share_count + 3):
        assert m.vm_exit(vmid, 0, _hvc(HVC_KVM_SET_DESC_PFN, gpa + 9 * 4096, 1))[0] == 0
    assert m.s2page(blk + 9)[1] == m.L.max_share_count
    # D25: out of KVM_ADDR_SPACE: x0 := -KE_RANGE, nothing else
    s2 = dict(m.s2page)
    assert m.vm_exit(vmid, 0, _hvc(HVC_KVM_SET_DESC_PFN, 1 << 40, 1))[0] == 0
    assert m.shadow(vmid, 0)[X0] == (-KE_RANGE) & MASK
    assert m.vm_exit(vmid, 0, _hvc(HVC_KVM_SET_DESC_PFN, gpa, (1 << 40) - gpa + 1))[0] == 0
    assert m.shadow(vmid, 0)[X0] == (-KE_RANGE) & MASK
    assert dict(m.s2page) == s2
    # D53: more than KCORE_SHARE_MAX_PAGES pages (2 MB) is refused, nothing changed
    assert m.vm_exit(vmid, 0, _hvc(HVC_KVM_SET_DESC_PFN, 0, 1 << 40))[0] == 0
    assert m.shadow(vmid, 0)[X0] == (-KE_RANGE) & MASK
    assert m.vm_exit(vmid, 0, _hvc(HVC_KVM_SET_DESC_PFN, gpa, 512 * 4096 + 1))[0] == 0
    assert m.shadow(vmid, 0)[X0] == (-KE_RANGE) & MASK
    assert dict(m.s2page) == s2
    # exactly 2 MB (the whole block) works
    assert m.vm_exit(vmid, 0, _hvc(HVC_KVM_SET_DESC_PFN, gpa, 512 * 4096))[0] == 0
    assert m.shadow(vmid, 0)[X0] == 0
    assert m.s2page(blk)[1] == 1 and m.s2page(blk + 9)[1] == m.L.max_share_count
    assert m.s2page(blk + 511)[1] == 1
    assert m.invariants() == []


def test_revoke_invalid_count_d13():
    L, m = mk()
    vmid = boot_vm(m, verify=False)
    assert hc(m, 'SMMU_ALLOC', 0, vmid, 0) == 0
    pfn = RAM0 + 400
    assert hc(m, 'SMMU_ASSIGN', 0, 0, pfn, 0x40000) == 0
    before = m.snapshot()
    m.local_revoke_vm_page(vmid, pfn)
    assert m.snapshot() == before
    m.local_grant_vm_page(vmid, pfn)             # count INVALID is not < m.L.max_share_count
    assert m.snapshot() == before
    # mapping it into the VM normalises the count (D11)
    assert hc(m, 'VERIFY_VM', vmid) == 0
    assert m.vcpu_run(vmid, 0, runin()) == 0 and m.vm_exit(vmid, 0, irq())[0] == 1
    assert map_req(m, vmid, 0x40000000, pfn) == 0
    assert m.s2page(pfn) == (vmid, 0, 0x40000)
    assert m.invariants() == []


# ---- runs and exits ------------------------------------------------------------------------------
def test_first_run():
    L, m = mk()
    vmid = boot_vm(m, vcpus=2)
    assert refused(m, m.vcpu_run, vmid, 0, runin(entry_pc=IMG_IPA + 2 * 4096)) == -KE_ENTRY
    assert refused(m, m.vcpu_run, vmid, 0, runin(entry_pc=IMG_IPA - 4)) == -KE_ENTRY
    for bad in (0x3C6, 0x10, 0x3C5 | (1 << 21), 0x1000, 0x3C8, 0x3C9):
        assert refused(m, m.vcpu_run, vmid, 0, runin(entry_pstate=bad)) == -KE_RANGE   # D21
    assert refused(m, m.vcpu_run, vmid, 8, runin()) == -KE_RANGE
    assert refused(m, m.vcpu_run, 16, 0, runin()) == -KE_RANGE
    assert refused(m, m.vcpu_run, vmid, 2, runin()) == -KE_STATE      # not registered
    regs = list(range(100, 131))
    assert m.vcpu_run(vmid, 1, runin(entry_pc=IMG_IPA + 0x1ffc, entry_pstate=0x3C4, regs=regs,
                                     map_addr=0x80000000, map_pte=(RAM0 + 5) * 4096,
                                     map_level=3)) == 0
    c = m.shadow(vmid, 1)
    assert c[PC] == IMG_IPA + 0x1ffc and c[PSTATE] == 0x3C4
    assert c[MPIDR_EL1] == 0x80000001 and c[SCTLR_EL1] == SCTLR_EL1_RESET
    assert c[ACTLR_EL1] == L.actlr == 7 and c[DIRTY] == 0
    assert c[X0:X30 + 1] == [100, 101, 102, 103] + [0] * 27   # D69: x0..x3 are the host's
    assert m.vminfo(vmid)[1][:2] == (READY, ACTIVE)
    assert set(m.mappings(vmid)) == {IMG_IPA // 4096, IMG_IPA // 4096 + 1}   # the image only (D40)
    assert m.s2page(RAM0 + 5) == (HOSTVISOR, 0, RAM0 + 5)
    assert refused(m, m.vcpu_run, vmid, 1, runin()) == -KE_STATE      # already ACTIVE
    assert m.vcpu_run(vmid, 0, runin(entry_pstate=0)) == 0
    assert m.shadow(vmid, 0)[MPIDR_EL1] == 0x80000000
    # a VM that is not VERIFIED cannot run
    v2 = boot_vm(m, verify=False)
    assert refused(m, m.vcpu_run, v2, 0, runin()) == -KE_STATE


def test_mmio_read_dirty_sync_and_pc_advance():
    L, m = mk()
    vmid = boot_vm(m)
    assert m.vcpu_run(vmid, 0, runin()) == 0
    regs = [0x1000 + i for i in range(31)]
    esr = (ESR_ELx_EC_DABT_LOW << 26) | ESR_ELx_IL | ESR_ELx_ISV | (3 << 16)
    ret, info = m.vm_exit(vmid, 0, hw(cls=ESR_ELx_EC_DABT_LOW, iss=ESR_ELx_ISV | (3 << 16),
                                      regs=regs, pc=0x40000800, far=0x12345010,
                                      hpfar=(0x9000 << 4) | 0xF))
    assert ret == 1
    assert info == {'reason': KCORE_EXIT_MMIO, 'rd': 3, 'esr': esr, 'fault_ipa': 0x09000010,
                    'mmio_data': 0, 'hvc_args': [0, 0, 0, 0]}
    c = m.shadow(vmid, 0)
    assert c[DIRTY] == (1 << 3) | DIRTY_PC_FLAG                           # D3
    assert c[PC] == 0x40000800 and c[X0:X30 + 1] == regs                  # D18
    assert c[ESR_EL2] == esr and c[FAR_EL2] == 0x12345010 and c[EC] == ARM_EXCEPTION_TRAP
    assert m.vminfo(vmid)[1][0] == READY
    host = [0xdead0000 + i for i in range(31)]
    host[3] = 0x1234
    assert m.vcpu_run(vmid, 0, runin(regs=host)) == 0
    c = m.shadow(vmid, 0)
    assert c[3] == 0x1234 and c[4] == 0x1004 and c[0] == 0x1000           # D5: only x3
    assert c[PC] == 0x40000804 and c[DIRTY] == 0 and c[FAR_EL2] == 0
    # an MMIO write: the host sees x[rd]; the next run only advances the PC
    ret, info = m.vm_exit(vmid, 0, hw(cls=ESR_ELx_EC_DABT_LOW,
                                      iss=ESR_ELx_ISV | ESR_ELx_WNR | (5 << 16), regs=regs,
                                      pc=0x40000900, hpfar=0x9001 << 4))
    assert (ret, info['reason'], info['rd'], info['mmio_data'], info['fault_ipa']) == \
        (1, KCORE_EXIT_MMIO, 5, 0x1005, 0x09001000)
    assert m.shadow(vmid, 0)[DIRTY] == DIRTY_PC_FLAG
    assert m.vcpu_run(vmid, 0, runin(regs=host)) == 0
    assert m.shadow(vmid, 0)[5] == 0x1005 and m.shadow(vmid, 0)[PC] == 0x40000904
    # a write from xzr reports 0; a read into xzr syncs nothing
    ret, info = m.vm_exit(vmid, 0, hw(cls=ESR_ELx_EC_DABT_LOW,
                                      iss=ESR_ELx_ISV | ESR_ELx_WNR | (31 << 16),
                                      regs=regs, pc=0x100, hpfar=0x9001 << 4))
    assert info['reason'] == KCORE_EXIT_MMIO and info['rd'] == 31 and info['mmio_data'] == 0
    assert m.vcpu_run(vmid, 0, runin()) == 0
    ret, info = m.vm_exit(vmid, 0, hw(cls=ESR_ELx_EC_DABT_LOW, iss=ESR_ELx_ISV | (31 << 16),
                                      regs=regs, pc=0x200, hpfar=0x9001 << 4))
    assert m.shadow(vmid, 0)[DIRTY] == (1 << 31) | DIRTY_PC_FLAG
    assert m.vcpu_run(vmid, 0, runin(regs=host)) == 0
    assert m.shadow(vmid, 0)[X0:X30 + 1] == regs and m.shadow(vmid, 0)[PC] == 0x204


def test_mmio_no_syndrome():
    """D56: no ISV, a stage-1 walk or a fetch: the host learns the IPA, no register."""
    L, m = mk()
    vmid = boot_vm(m)
    assert m.vcpu_run(vmid, 0, runin()) == 0
    regs = [0x1000 + i for i in range(31)]
    host = [0xdead0000 + i for i in range(31)]
    for cls, iss in [(ESR_ELx_EC_DABT_LOW, ESR_ELx_WNR),
                     (ESR_ELx_EC_DABT_LOW, 0),
                     (ESR_ELx_EC_DABT_LOW, ESR_ELx_ISV | ESR_ELx_S1PTW | (5 << 16)),
                     (ESR_ELx_EC_DABT_LOW, ESR_ELx_ISV | ESR_ELx_S1PTW | ESR_ELx_WNR | (5 << 16)),
                     (ESR_ELx_EC_IABT_LOW, ESR_ELx_ISV | (5 << 16))]:
        ret, info = m.vm_exit(vmid, 0, hw(cls=cls, iss=iss, regs=regs, pc=0x300,
                                          far=0x18, hpfar=0x9001 << 4))
        assert ret == 1
        assert (info['reason'], info['rd'], info['mmio_data'], info['fault_ipa']) == \
            (KCORE_EXIT_MMIO_NISV, 0, 0, 0x09001018)
        assert m.shadow(vmid, 0)[DIRTY] == 0
        assert m.vcpu_run(vmid, 0, runin(regs=host)) == 0
        assert m.shadow(vmid, 0)[X0:X30 + 1] == regs and m.shadow(vmid, 0)[PC] == 0x300
    # a stage-2 fault on RAM: reported, dirty unchanged, the PC stays
    ret, info = m.vm_exit(vmid, 0, hw(cls=ESR_ELx_EC_DABT_LOW, iss=7 << 16, regs=regs,
                                      pc=0x300, far=0x123, hpfar=0x80000 << 4))
    assert info['reason'] == KCORE_EXIT_S2FAULT and info['fault_ipa'] == 0x80000000
    assert info['rd'] == 0 and m.shadow(vmid, 0)[DIRTY] == 0
    assert m.vcpu_run(vmid, 0, runin(regs=host)) == 0
    assert m.shadow(vmid, 0)[PC] == 0x300 and m.shadow(vmid, 0)[X0:X30 + 1] == regs


def test_exits_wfx_sys64_hvc_poweroff_irq():
    L, m = mk()
    vmid = boot_vm(m)
    assert m.vcpu_run(vmid, 0, runin()) == 0
    regs = list(range(1, 32))
    zero = {'reason': 0, 'rd': 0, 'esr': 0, 'fault_ipa': 0, 'mmio_data': 0,
            'hvc_args': [0, 0, 0, 0]}
    # SYS64: handled in KCore, PC + 4 (D4), still ACTIVE
    assert m.vm_exit(vmid, 0, hw(cls=ESR_ELx_EC_SYS64, regs=regs, pc=0x1000)) == (0, zero)
    assert m.shadow(vmid, 0)[PC] == 0x1004 and m.vminfo(vmid)[1][0] == ACTIVE
    # WFx: to the host, PC advance on the next run
    ret, info = m.vm_exit(vmid, 0, hw(cls=ESR_ELx_EC_WFx, regs=regs, pc=0x2000))
    assert ret == 1 and info['reason'] == KCORE_EXIT_WFX
    assert info['esr'] == (ESR_ELx_EC_WFx << 26) | ESR_ELx_IL
    assert m.shadow(vmid, 0)[DIRTY] == DIRTY_PC_FLAG
    assert m.vcpu_run(vmid, 0, runin(regs=[7] * 31)) == 0
    assert m.shadow(vmid, 0)[PC] == 0x2004 and m.shadow(vmid, 0)[X0:X30 + 1] == regs
    # other HVC: x0..x3 to the host, it may set x0..x3 (D23, D70)
    r = list(regs)
    r[0] = 0xC4000003
    ret, info = m.vm_exit(vmid, 0, hw(regs=r, pc=0x3000))
    assert ret == 1 and info['reason'] == KCORE_EXIT_HVC and info['hvc_args'] == r[:4]
    assert m.shadow(vmid, 0)[DIRTY] == 0xF
    assert m.vcpu_run(vmid, 0, runin(regs=[9] * 31)) == 0
    assert m.shadow(vmid, 0)[X0:6] == [9, 9, 9, 9, 5, 6] and m.shadow(vmid, 0)[PC] == 0x3000
    # IRQ and SError (D26)
    ret, info = m.vm_exit(vmid, 0, irq())
    assert (ret, info) == (1, dict(zero, reason=KCORE_EXIT_IRQ))
    assert m.vcpu_run(vmid, 0, runin()) == 0
    ret, info = m.vm_exit(vmid, 0, hw(ec=ARM_EXCEPTION_EL1_SERROR, cls=0))
    assert (ret, info) == (1, dict(zero, reason=KCORE_EXIT_SERROR))
    # an exit of a vCPU that is not ACTIVE, or out of range
    assert refused(m, lambda: m.vm_exit(vmid, 0, irq())[0]) == -KE_STATE
    assert refused(m, lambda: m.vm_exit(vmid, 8, irq())[0]) == -KE_RANGE
    assert refused(m, lambda: m.vm_exit(0, 0, irq())[0]) == -KE_RANGE
    # PSCI SYSTEM_OFF (x0 compared on its low 32 bits)
    assert m.vcpu_run(vmid, 0, runin()) == 0
    r[0] = (0xABCD << 32) | PSCI_0_2_FN_SYSTEM_OFF
    ret, info = m.vm_exit(vmid, 0, hw(regs=r))
    assert ret == 1 and info['reason'] == KCORE_EXIT_POWEROFF and info['hvc_args'] == [0] * 4
    assert m.vminfo(vmid)[0] == POWEROFF and m.vminfo(vmid)[1][0] == READY
    assert m.shadow(vmid, 0)[DIRTY] == 0
    assert refused(m, m.vcpu_run, vmid, 0, runin()) == -KE_STATE


def test_first_run_boot_registers_d69():
    """D69: a first run takes x0..x3 from the host (the DTB's IPA, a CPU_ON context id),
    clears x4..x30; a refused first run takes nothing; after an encrypted vCPU was loaded
    (inc_exe) the context is kept, x0..x3 included; a later run takes only dirty registers."""
    L, m = mk()
    vmid = boot_vm(m, vcpus=2)
    host = [0x4F000000 + i for i in range(31)]
    assert refused(m, m.vcpu_run, vmid, 0, runin(regs=host, entry_pc=0)) == -KE_ENTRY
    assert m.shadow(vmid, 0)[DIRTY] == INVALID64
    assert m.vcpu_run(vmid, 0, runin(regs=host)) == 0
    assert m.shadow(vmid, 0)[X0:X30 + 1] == host[:4] + [0] * 27
    assert m.vm_exit(vmid, 0, irq())[0] == 1
    assert m.vcpu_run(vmid, 0, runin(regs=[7] * 31)) == 0         # EC not TRAP: nothing taken
    assert m.shadow(vmid, 0)[X0:X30 + 1] == [0] * 31              # the exit's (irq(): zeros)
    # after LOAD_ENCRYPTED_VCPU (inc_exe) the first run keeps the restored registers
    m.vminfos[vmid].inc_exe = 1
    m.shadow_ctxts[(vmid, 1)][X0:X30 + 1] = list(range(1, 32))
    assert m.vcpu_run(vmid, 1, runin(regs=host)) == 0
    assert m.shadow(vmid, 1)[X0:X30 + 1] == list(range(1, 32))


def test_hvc_results_x0_x3_d70():
    """D70: after a guest HVC the host handled it sets x0..x3 (the SMCCC 1.1 results),
    nothing else; the guest's x4..x30 are kept."""
    L, m = mk()
    vmid = boot_vm(m)
    assert m.vcpu_run(vmid, 0, runin()) == 0
    regs = [0xC6000201] + [0x500 + i for i in range(1, 31)]
    ret, info = m.vm_exit(vmid, 0, hw(regs=regs, pc=0x7000))
    assert (ret, info['reason'], info['hvc_args']) == (1, KCORE_EXIT_HVC, regs[:4])
    assert m.shadow(vmid, 0)[DIRTY] == 0xF
    host = [0xA0 + i for i in range(31)]
    assert m.vcpu_run(vmid, 0, runin(regs=host)) == 0
    assert m.shadow(vmid, 0)[X0:X30 + 1] == host[:4] + regs[4:]
    assert m.shadow(vmid, 0)[PC] == 0x7000 and m.shadow(vmid, 0)[DIRTY] == 0
    # SYSTEM_OFF is not answered: the VM is off, nothing to set
    ret, info = m.vm_exit(vmid, 0, hw(regs=[PSCI_0_2_FN_SYSTEM_OFF] + [0] * 30))
    assert info['reason'] == KCORE_EXIT_POWEROFF and m.shadow(vmid, 0)[DIRTY] == 0


def test_sgi_register_writes_d71():
    """D71: an MSR to ICC_SGI1R_EL1 / ICC_ASGI1R_EL1 / ICC_SGI0R_EL1 exits to the host
    (reason SYSREG, the ESR, the value written in mmio_data, 0 from xzr) with the PC
    already past it and no register for the host to set; reads of them and every other
    trapped system register are skipped in KCore (D4)."""
    L, m = mk()
    vmid = boot_vm(m)
    assert m.vcpu_run(vmid, 0, runin()) == 0
    regs = [0x600 + i for i in range(31)]
    host = [0xBAD0 + i for i in range(31)]
    for reg in (ESR_SYS64_ICC_SGI1R_EL1, ESR_SYS64_ICC_ASGI1R_EL1, ESR_SYS64_ICC_SGI0R_EL1):
        for rt in (0, 7, 30, 31):
            iss = reg | (rt << ESR_SYS64_RT_SHIFT)
            ret, info = m.vm_exit(vmid, 0, hw(cls=ESR_ELx_EC_SYS64, iss=iss, regs=regs,
                                              pc=0x8000))
            assert ret == 1
            assert info == {'reason': KCORE_EXIT_SYSREG, 'rd': 0,
                            'esr': (ESR_ELx_EC_SYS64 << 26) | ESR_ELx_IL | iss, 'fault_ipa': 0,
                            'mmio_data': regs[rt] if rt < 31 else 0, 'hvc_args': [0, 0, 0, 0]}
            c = m.shadow(vmid, 0)
            assert c[PC] == 0x8004 and c[DIRTY] == 0 and m.vminfo(vmid)[1][0] == READY
            assert m.vcpu_run(vmid, 0, runin(regs=host)) == 0
            assert m.shadow(vmid, 0)[X0:X30 + 1] == regs and m.shadow(vmid, 0)[PC] == 0x8004
    zero = {'reason': 0, 'rd': 0, 'esr': 0, 'fault_ipa': 0, 'mmio_data': 0,
            'hvc_args': [0, 0, 0, 0]}
    for iss in (ESR_SYS64_ICC_SGI1R_EL1 | 1, ESR_SYS64_ICC_SGI0R_EL1 | (5 << 5) | 1,
                ESR_SYS64_WRITE(3, 0, 12, 12, 5), ESR_SYS64_WRITE(3, 0, 12, 11, 4),
                ESR_SYS64_WRITE(3, 1, 12, 11, 5), ESR_SYS64_WRITE(3, 3, 9, 13, 0) | 1, 0):
        assert m.vm_exit(vmid, 0, hw(cls=ESR_ELx_EC_SYS64, iss=iss, pc=0x9000)) == (0, zero)
        assert m.shadow(vmid, 0)[PC] == 0x9004 and m.vminfo(vmid)[1][0] == ACTIVE


def test_injection_d1_d2_d17_d20():
    L, m = mk()
    vmid = boot_vm(m)
    assert m.vcpu_run(vmid, 0, runin()) == 0
    # an unknown class is injected at once and the guest resumes (D17)
    ret, info = m.vm_exit(vmid, 0, hw(cls=0x07, pc=0x5000, pstate=0x3C5))
    assert ret == 0 and info['reason'] == 0
    c = m.shadow(vmid, 0)
    assert c[ELR_EL1] == 0x5000 and c[SPSR_EL1] == c[SPSR_0] == 0x3C5
    assert c[ESR_EL1] == ESR_EL1_INJECTED == 1 << 25
    assert c[PSTATE] == PSTATE_FAULT_BITS_64 == 0x3C5 and c[PC] == 0x200   # VBAR 0 + EL1h
    # injection requested by the host on a run: replaces the pending PC advance (D1, D20)
    ret, info = m.vm_exit(vmid, 0, hw(cls=ESR_ELx_EC_WFx, pc=0x6000, pstate=0x0))
    assert ret == 1 and m.shadow(vmid, 0)[DIRTY] == DIRTY_PC_FLAG
    m.shadow_ctxts[(vmid, 0)][VBAR_EL1] = 0xFFFF0000   # (as if the guest had set it)
    assert m.vcpu_run(vmid, 0, runin(request=KCORE_RUN_INJECT)) == 0
    c = m.shadow(vmid, 0)
    assert c[PC] == 0xFFFF0400 and c[ELR_EL1] == 0x6000 and c[SPSR_EL1] == 0   # from EL0t
    assert c[DIRTY] == 0 and c[PSTATE] == PSTATE_FAULT_BITS_64
    ret, info = m.vm_exit(vmid, 0, hw(cls=ESR_ELx_EC_SMC64, pc=0x7000, pstate=0x3C4))
    assert ret == 0 and m.shadow(vmid, 0)[PC] == 0xFFFF0000                     # from EL1t
    for pstate, off in ((0x3C9, 0x600), (0x3D5, 0x600), (0x10, 0x600), (0x3C5, 0x200)):
        assert m.vm_exit(vmid, 0, hw(cls=0x3F, pstate=pstate))[0] == 0          # D20
        assert m.shadow(vmid, 0)[PC] == 0xFFFF0000 + off


def test_run_with_refused_mapping_changes_nothing():
    L, m = mk()
    vmid = started_vm(m)
    # after a WFx exit a run would advance the PC; a refused mapping must stop all of it
    assert m.vcpu_run(vmid, 0, runin()) == 0
    assert m.vm_exit(vmid, 0, hw(cls=ESR_ELx_EC_WFx, pc=0x2000))[0] == 1
    assert refused(m, map_req, m, vmid, 0x80000000, CORE0) == -KE_OWNER
    assert m.shadow(vmid, 0)[PC] == 0x2000 and m.vminfo(vmid)[1][0] == READY
    # map_addr outside [4K, 2^40): no mapping request at all
    assert m.vcpu_run(vmid, 0, runin(map_addr=0xFFF, map_pte=CORE0 * 4096)) == 0
    assert m.shadow(vmid, 0)[PC] == 0x2004


# ---- boot images -------------------------------------------------------------------------------
def test_boot_info_and_remap():
    L, m = mk()
    vmid = hc(m, 'GEN_VMID')
    assert refused(m, hc, m, 'SET_BOOT_INFO', vmid, 0, 4096) == -KE_STATE
    assert hc(m, 'REGISTER_KVM', vmid) == 0
    assert refused(m, hc, m, 'REGISTER_KVM', vmid) == -KE_STATE
    assert refused(m, hc, m, 'SET_BOOT_INFO', vmid, 0x1001, 4096) == -KE_ALIGN
    assert refused(m, hc, m, 'SET_BOOT_INFO', vmid, (1 << 40) - 4096, 4097) == -KE_RANGE
    assert refused(m, hc, m, 'SET_BOOT_INFO', vmid, 0, 0) == -KE_RANGE
    assert refused(m, hc, m, 'SET_BOOT_INFO', vmid, 0, 128 * 4096) == -KE_FULL  # window: 127
    assert hc(m, 'SET_BOOT_INFO', vmid, 0x40000000, 62 * 4096 + 1) == 0        # 63 pages
    assert m.core_data() == (2, L.remap_start + 63 * 4096, 1 << 1)  # D68: id 1 handed out
    assert hc(m, 'SET_BOOT_INFO', vmid, 0x50000000, 1) == 1
    for i in range(2, 5):
        assert hc(m, 'SET_BOOT_INFO', vmid, 0x60000000, 4096) == i
    assert refused(m, hc, m, 'SET_BOOT_INFO', vmid, 0x60000000, 4096) == -KE_FULL  # D14
    info = m.vminfo(vmid)
    assert info[2] == 5 and info[3][:2] == (0x40000000, 0x50000000)
    assert info[4][:2] == (62 * 4096 + 1, 1)
    assert info[5] == tuple(L.remap_start + 4096 * k for k in (0, 63, 64, 65, 66))
    # remap
    cs, cps, cms, ce = L.pools[COREVISOR]
    assert refused(m, hc, m, 'REMAP_VM_IMAGE', vmid, CORE0, 0) == -KE_OWNER   # D27
    assert refused(m, hc, m, 'REMAP_VM_IMAGE', vmid, RAM0, 5) == -KE_RANGE
    assert refused(m, hc, m, 'REMAP_VM_IMAGE', vmid, PFN_SPACE, 0) == -KE_RANGE
    assert hc(m, 'REMAP_VM_IMAGE', vmid, RAM0 + 7, 0) == 0
    assert m.lookup(COREVISOR, L.remap_start >> 12) == (RAM0 + 7, 3, (RAM0 + 7) * 4096 | HYP)
    assert m.npt_ptrs(COREVISOR) == (cs + 8192, cps + 4096, cms + 4096)
    assert m.s2page(RAM0 + 7) == (HOSTVISOR, 0, RAM0 + 7)            # still the host's
    assert hc(m, 'REMAP_VM_IMAGE', vmid, RAM0 + 8, 1) == 0
    assert refused(m, hc, m, 'REMAP_VM_IMAGE', vmid, RAM0 + 8, 1) == -KE_FULL
    assert refused(m, hc, m, 'VERIFY_VM', vmid) == -KE_STATE          # D29: slot 0 incomplete
    for k in range(1, 63):
        assert hc(m, 'REMAP_VM_IMAGE', vmid, RAM0 + 7, 0) == 0
    assert refused(m, hc, m, 'REMAP_VM_IMAGE', vmid, RAM0 + 7, 0) == -KE_FULL
    # slot 1 is the last page below 512 GB (0x8000000000 - 0x40000 + 63*4K); slot 2 starts
    # at 512 GB: a new pgd entry, and the core pool has no page left for it
    assert m.lookup(COREVISOR, (1 << 27) - 1) == (RAM0 + 8, 3, (RAM0 + 8) * 4096 | HYP)
    assert refused(m, hc, m, 'REMAP_VM_IMAGE', vmid, RAM0 + 7, 2) == -KE_NOMEM
    assert refused(m, hc, m, 'VERIFY_VM', vmid) == -KE_STATE
    assert m.vminfo(vmid)[6] == (63, 1, 0, 0, 0)
    assert m.npt_ptrs(COREVISOR) == (cs + 8192, cps + 4096, cms + 4096)


def test_register_vcpu_and_poweroff():
    L, m = mk()
    assert refused(m, hc, m, 'REGISTER_VCPU', 1, 0) == -KE_STATE
    assert hc(m, 'REGISTER_KVM', 3) == 0                               # need not be generated
    assert hc(m, 'REGISTER_VCPU', 3, 7) == 0
    assert refused(m, hc, m, 'REGISTER_VCPU', 3, 7) == -KE_STATE
    assert refused(m, hc, m, 'REGISTER_VCPU', 3, 8) == -KE_RANGE
    assert refused(m, hc, m, 'POWEROFF_VM', 4) == -KE_STATE
    assert refused(m, hc, m, 'POWEROFF_VM', 0) == -KE_RANGE
    assert hc(m, 'VERIFY_VM', 3) == 0                                  # no images: complete
    assert hc(m, 'POWEROFF_VM', 3) == 0
    assert refused(m, hc, m, 'POWEROFF_VM', 3) == -KE_STATE
    assert refused(m, hc, m, 'REGISTER_VCPU', 3, 0) == -KE_STATE
    assert m.vminfo(3)[:2] == (POWEROFF, (0,) * 7 + (READY,))


# ---- SMMU --------------------------------------------------------------------------------------
def test_smmu_alloc_free_rules():
    L, m = mk()
    assert refused(m, hc, m, 'SMMU_ALLOC', 8, 0, 0) == -KE_RANGE
    assert refused(m, hc, m, 'SMMU_ALLOC', 0, 0, 2) == -KE_RANGE
    assert refused(m, hc, m, 'SMMU_ALLOC', 4, 0, 1) == -KE_RANGE      # SMMU 1 has 4 contexts
    assert hc(m, 'SMMU_ALLOC', 3, 0, 1) == 0
    assert m.smmu_vmid()[11] == HOSTVISOR
    assert refused(m, hc, m, 'SMMU_ALLOC', 3, 2, 1) == -KE_BUSY
    assert refused(m, hc, m, 'SMMU_ALLOC', 0, COREVISOR, 0) == -KE_RANGE   # D32
    assert refused(m, hc, m, 'SMMU_ALLOC', 0, INVALID, 0) == -KE_RANGE
    vmid = boot_vm(m)
    assert refused(m, hc, m, 'SMMU_ALLOC', 0, vmid, 0) == -KE_STATE   # VERIFIED
    assert hc(m, 'SMMU_ALLOC', 0, 5, 0) == 0                          # UNUSED VM: allowed
    assert refused(m, hc, m, 'SMMU_FREE', 0, 0) == -KE_STATE          # VM 5 not POWEROFF
    assert refused(m, hc, m, 'SMMU_FREE', 1, 0) == -KE_STATE          # not allocated
    assert refused(m, hc, m, 'SMMU_FREE', 8, 0) == -KE_RANGE
    assert hc(m, 'SMMU_FREE', 3, 1) == 0
    assert m.smmu_vmid()[11] == INVALID
    assert m.invariants() == []


def test_smmu_host_context_map_clear():
    L, m = mk()
    assert hc(m, 'SMMU_ALLOC', 2, HOSTVISOR, 0) == 0
    pfn = RAM0 + 20
    pa = pfn * PAGE_SIZE
    assert m.host_stage2_fault(pa) == 0
    assert hc(m, 'SMMU_MAP', 2, 0, pa, pa | 0xFFF) == 0
    assert m.spt_mappings(0, 2) == {pfn: (pfn, pa | SMMU)}
    assert m.spt_ptrs() == (L.spt_pool_start + 4096, L.spt_pmd_start + 4096)
    assert m.s2page(pfn) == (HOSTVISOR, 1, pfn) and m.smmu_nr_mapped()[2] == 1
    assert hc(m, 'SMMU_IOVA_TO_PHYS', pa + 0x123, 2, 0) == pa + 0x123
    assert hc(m, 'SMMU_IOVA_TO_PHYS', pa + 4096, 2, 0) == 0
    assert refused(m, hc, m, 'SMMU_MAP', 2, 0, pa, pa) == -KE_EXIST          # D31
    assert refused(m, hc, m, 'SMMU_MAP', 2, 0, pa + 4096, pa) == -KE_OWNER   # iova != pa
    assert refused(m, hc, m, 'SMMU_MAP', 2, 0, CORE0 * 4096, CORE0 * 4096) == -KE_OWNER
    assert refused(m, hc, m, 'SMMU_MAP', 2, 0, 1 << 39, 0) == -KE_RANGE
    assert refused(m, hc, m, 'SMMU_MAP', 3, 0, pa, pa) == -KE_STATE          # not allocated
    # a device-mapped host page cannot go to a VM
    vmid = started_vm(m)
    assert refused(m, map_req, m, vmid, 0x80000000, pfn) == -KE_BUSY
    # the host writes through the device
    assert m.dev_store(0, 2, pfn, 0xAB) == 'stored' and m.flatmem_known()[pfn] == 0xAB
    assert m.dev_store(0, 2, pfn + 1, 0xAB) == 'fault'
    assert m.dev_store(0, 3, pfn, 0xAB) == 'skip'
    assert refused(m, hc, m, 'SMMU_FREE', 2, 0) == -KE_BUSY                 # D30
    assert hc(m, 'SMMU_CLEAR', pa, 2, 0) == 0
    assert m.s2page(pfn) == (HOSTVISOR, 0, pfn) and m.smmu_nr_mapped()[2] == 0
    assert m.spt_mappings(0, 2) == {}
    assert hc(m, 'SMMU_CLEAR', pa, 2, 0) == 0                               # nothing mapped
    assert hc(m, 'SMMU_FREE', 2, 0) == 0
    assert refused(m, hc, m, 'SMMU_IOVA_TO_PHYS', pa, 2, 0) == -KE_STATE
    assert refused(m, hc, m, 'SMMU_CLEAR', pa, 2, 0) == -KE_STATE
    assert m.invariants() == []


def test_smmu_vm_context():
    L, m = mk()
    vmid = boot_vm(m, verify=False)
    assert hc(m, 'SMMU_ALLOC', 1, vmid, 0) == 0
    pfn = RAM0 + 30
    assert refused(m, hc, m, 'SMMU_ASSIGN', 1, 0, pfn, SMMU_GFN_SPACE) == -KE_RANGE
    assert refused(m, hc, m, 'SMMU_ASSIGN', 1, 0, CORE0, 5) == -KE_OWNER
    assert refused(m, hc, m, 'SMMU_ASSIGN', 2, 0, pfn, 5) == -KE_STATE
    assert hc(m, 'SMMU_ASSIGN', 1, 0, pfn, 0x40010) == 0
    assert m.s2page(pfn) == (vmid, INVALID, 0x40010)
    assert hc(m, 'SMMU_ASSIGN', 1, 0, pfn, 0x99) == 0          # already the VM's: nothing
    assert m.s2page(pfn) == (vmid, INVALID, 0x40010)
    assert refused(m, hc, m, 'SMMU_MAP', 1, 0, 0x40011000, pfn * 4096) == -KE_OWNER
    assert hc(m, 'SMMU_MAP', 1, 0, 0x40010000, pfn * 4096) == 0
    assert m.s2page(pfn) == (vmid, INVALID, 0x40010)           # VM pages are not counted
    assert m.smmu_nr_mapped()[1] == 1
    # a host context's assign does nothing
    assert hc(m, 'SMMU_ALLOC', 0, HOSTVISOR, 1) == 0
    assert hc(m, 'SMMU_ASSIGN', 0, 1, RAM0 + 31, 7) == 0
    assert m.s2page(RAM0 + 31) == (HOSTVISOR, 0, RAM0 + 31)
    # a device-mapped host page cannot be assigned
    assert hc(m, 'SMMU_MAP', 0, 1, (RAM0 + 31) * 4096, (RAM0 + 31) * 4096) == 0
    assert refused(m, hc, m, 'SMMU_ASSIGN', 1, 0, RAM0 + 31, 7) == -KE_BUSY
    assert m.dev_store(0, 1, 0x40010, 1) == 'skip'             # VM not VERIFIED
    assert hc(m, 'VERIFY_VM', vmid) == 0
    for args in (('SMMU_ASSIGN', 1, 0, RAM0 + 40, 1), ('SMMU_MAP', 1, 0, 0x40010000, 0),
                 ('SMMU_CLEAR', 0x40010000, 1, 0), ('SMMU_FREE', 1, 0)):
        assert refused(m, hc, m, *args) == -KE_STATE
    assert m.dev_store(0, 1, 0x40010, 1) == 'shared'           # count INVALID: not 0
    assert m.dev_store(0, 1, 0x40011, 1) == 'fault'
    assert hc(m, 'POWEROFF_VM', vmid) == 0
    assert refused(m, hc, m, 'SMMU_CLEAR', 0x40010000, 1, 0) == -KE_STATE   # >= VERIFIED
    assert hc(m, 'SMMU_FREE', 1, 0) == 0
    assert m.smmu_nr_mapped()[1] == 1                          # until the context is reused
    assert m.spt_mappings(0, 1) == {0x40010: (pfn, pfn * 4096 | SMMU)}
    assert hc(m, 'CLEAR_VM_PAGE', vmid, pfn) == 0
    assert hc(m, 'SMMU_ALLOC', 1, HOSTVISOR, 0) == 0
    assert m.spt_mappings(0, 1) == {} and m.smmu_nr_mapped()[1] == 0
    assert m.invariants() == []


def test_smmu_pool_exhaustion():
    L, m = mk()
    assert hc(m, 'SMMU_ALLOC', 0, HOSTVISOR, 0) == 0
    for i in range(8):                                          # 8 pte tables in the pool
        pa = (RAM0 + 512 * i) * PAGE_SIZE
        assert hc(m, 'SMMU_MAP', 0, 0, pa, pa) == 0
    assert m.spt_ptrs() == (L.spt_pool_start + 4096, L.spt_pool_end)
    pa = (RAM0 + 512 * 8) * PAGE_SIZE
    assert refused(m, hc, m, 'SMMU_MAP', 0, 0, pa, pa) == -KE_NOMEM
    assert hc(m, 'SMMU_MAP', 0, 0, pa - 4096, pa - 4096) == 0   # an existing pte table
    assert m.invariants() == []


# ---- D60: pinned host pages ------------------------------------------------------------------
def test_host_pin_d60():
    """kcore_host_pin: the refusals in the C's order, changing nothing (R1); an extent's
    pages (partial ones too) get one count per extent covering them, released when the
    slot's extent moves or goes; the bound on all pinned pages; a pinned page stays the
    host's to use, but no path takes it (-KE_BUSY)."""
    L, m = mk()
    mx, n = L.pin_max_pages, L.pin_slots
    P = PAGE_SIZE
    H = RAM0 + 200                                                   # some host pages
    assert refused(m, m.host_pin, n, H * P, P) == -KE_RANGE             # no such slot
    assert refused(m, m.host_pin, n, 0, 0) == -KE_RANGE
    assert refused(m, m.host_pin, 0, KVM_ADDR_SPACE, 1) == -KE_RANGE
    assert refused(m, m.host_pin, 0, KVM_ADDR_SPACE - P, P + 1) == -KE_RANGE   # past the end
    assert refused(m, m.host_pin, 0, H * P, MASK) == -KE_RANGE          # wraps
    assert refused(m, m.host_pin, 0, 1 << 52, (mx + 1) * P) == -KE_RANGE       # range first,
    assert refused(m, m.host_pin, 0, CORE0 * P, (mx + 1) * P) == -KE_FULL      # then length,
    assert refused(m, m.host_pin, 0, 0, KVM_ADDR_SPACE) == -KE_FULL
    assert refused(m, m.host_pin, 0, CORE0 * P, P) == -KE_OWNER                # then owners
    assert refused(m, m.host_pin, 0, (CORE0 - 1) * P + 8, P) == -KE_OWNER      # into KCore's
    assert refused(m, m.host_pin, 0, 0x9000 * P, P) == -KE_OWNER               # not RAM
    vmid = boot_vm(m, verify=False)                                   # READY, image remapped
    img = IMG_PFNS[0] + 2 * (vmid - 1)
    other = IMG_PFNS[0] + 2 * boot_vm(m) - 2                          # a VERIFIED VM's page
    assert refused(m, m.host_pin, 0, (other - 1) * P, 2 * P) == -KE_OWNER
    # an unaligned extent covers its partial pages: H and H + 1
    assert m.host_pin(0, H * P + 0x800, P) == 0
    assert [m.s2page(H + i) for i in range(3)] == [(HOSTVISOR, 1, H), (HOSTVISOR, 1, H + 1),
                                                   (HOSTVISOR, 0, H + 2)]
    assert m.pin_table() == (((H * P + 0x800, P),) + ((0, 0),) * (n - 1), 2)
    # another slot over H + 1: counted twice
    assert m.host_pin(1, (H + 1) * P, 2 * P) == 0
    assert [m.s2page(H + i)[1] for i in range(4)] == [1, 2, 1, 0] and m.pinned_pages == 4
    assert m.invariants() == []
    # the host still uses its pinned pages (and maps them for its devices: one count more)...
    assert m.host_store((H + 1) * P, 0x77) == 'stored'
    assert hc(m, 'SMMU_ALLOC', 0, HOSTVISOR, 0) == 0
    assert hc(m, 'SMMU_MAP', 0, 0, (H + 1) * P, (H + 1) * P) == 0
    assert m.s2page(H + 1)[1] == 3 and m.invariants() == []
    # ...but no path takes one: a mapping request, an SMMU assign, an import, VERIFY_VM
    running = started_vm(m)
    assert refused(m, map_req, m, running, 0x80000000, H + 1) == -KE_BUSY
    assert refused(m, map_req, m, running, 0x80000000, H & ~511, 2) == -KE_BUSY
    assert hc(m, 'SMMU_ALLOC', 1, vmid, 0) == 0
    assert refused(m, hc, m, 'SMMU_ASSIGN', 1, 0, H, 0x40010) == -KE_BUSY
    assert refused(m, hc, m, 'LOAD_DECRYPT_BUF', vmid, H * P) == -KE_BUSY
    assert m.host_pin(2, img * P, P) == 0                             # an image page
    assert refused(m, hc, m, 'VERIFY_VM', vmid) == -KE_BUSY
    # moving a slot: the new extent is counted, the old one released
    assert m.host_pin(0, (H + 1) * P, 1) == 0
    assert [m.s2page(H + i)[1] for i in range(4)] == [0, 3, 1, 0] and m.pinned_pages == 4
    assert m.host_pin(1 << 32, H * P, P) == 0                         # slot is a u32: slot 0
    assert m.pin[0] == (H * P, P)
    assert [m.s2page(H + i)[1] for i in range(4)] == [1, 2, 1, 0]
    # release: size 0 (its base does not matter)
    assert m.host_pin(2, MASK, 0) == 0
    assert m.pin[2] == (0, 0) and m.s2page(img)[1] == 0 and m.pinned_pages == 3
    assert m.host_pin(2, 0, 0) == 0                                   # nothing to release
    assert hc(m, 'VERIFY_VM', vmid) == 0
    # the bound: all slots together; a moved extent's own pages are given back first
    B = RAM0 + 400
    assert m.host_pin(3, B * P, (mx - 3) * P) == 0                    # 3 + 21 = 24
    assert m.pinned_pages == mx
    assert refused(m, m.host_pin, 4, (B + 100) * P, 1) == -KE_FULL
    assert refused(m, m.host_pin, 3, B * P + 1, (mx - 3) * P) == -KE_FULL     # one page more
    assert refused(m, m.host_pin, 0, H * P, 2 * P) == -KE_FULL
    assert m.host_pin(0, (B + 100) * P, P) == 0                       # 1 for 1
    assert m.host_pin(0, 0, 0) == 0 and m.pinned_pages == mx - 1
    assert m.host_pin(3, B * P, (mx - 2) * P) == 0                    # 21 for 22
    assert m.host_pin(1, 0, 0) == 0
    assert m.host_pin(3, B * P + 1, mx * P - 1) == 0                  # mx pages, unaligned
    assert m.pinned_pages == mx and m.invariants() == []
    assert refused(m, m.host_pin, 3, B * P + 1, mx * P) == -KE_FULL   # mx + 1 pages
    for slot in range(n):
        assert m.host_pin(slot, 0, 0) == 0
    assert m.pin_table() == (((0, 0),) * n, 0)
    assert m.s2page(H + 1)[1] == 1 and m.s2page(B)[1] == 0           # the device mapping
    assert m.invariants() == []
    # the invariants see a count or a total that is off
    assert m.host_pin(5, H * P, P) == 0
    m.s2page[H] = (HOSTVISOR, 0, H)
    assert any('pin' in v for v in m.invariants([H]))
    m.s2page[H] = (HOSTVISOR, 1, H)
    m.pinned_pages += 1
    assert any('pinned_pages' in v for v in m.invariants())


# ---- invariants ---------------------------------------------------------------------------------
def test_smmu_attach_detach_d36():
    L, m = mk()
    S = K.KCORE_SMMU_STREAMS
    assert refused(m, hc, m, 'SMMU_ATTACH', S, 0, 0) == -KE_RANGE
    assert refused(m, hc, m, 'SMMU_ATTACH', 8, 8, 0) == -KE_RANGE
    assert refused(m, hc, m, 'SMMU_ATTACH', 8, 0, 2) == -KE_RANGE
    assert refused(m, hc, m, 'SMMU_ATTACH', 8, 4, 1) == -KE_RANGE      # SMMU 1 has 4 contexts
    assert refused(m, hc, m, 'SMMU_ATTACH', 8, 0, 0) == -KE_STATE      # not allocated
    assert refused(m, hc, m, 'SMMU_DETACH', S, 0) == -KE_RANGE
    assert refused(m, hc, m, 'SMMU_DETACH', 8, 2) == -KE_RANGE
    assert hc(m, 'SMMU_ALLOC', 0, HOSTVISOR, 0) == 0
    assert hc(m, 'SMMU_ATTACH', 8, 0, 0) == 0
    vmid = boot_vm(m, verify=False)
    assert hc(m, 'SMMU_ALLOC', 1, vmid, 0) == 0
    assert hc(m, 'SMMU_ATTACH', 16, 1, 0) == 0
    assert m.stream_table() == [(0, 8, 0), (0, 16, 1)]
    assert hc(m, 'VERIFY_VM', vmid) == 0
    assert refused(m, hc, m, 'SMMU_ATTACH', 8, 1, 0) == -KE_STATE      # verified VM
    assert refused(m, hc, m, 'SMMU_ATTACH', 16, 0, 0) == -KE_BUSY      # the VM's device
    assert refused(m, hc, m, 'SMMU_DETACH', 16, 0) == -KE_BUSY
    assert hc(m, 'SMMU_DETACH', 8, 0) == 0 and hc(m, 'SMMU_DETACH', 8, 0) == 0
    assert hc(m, 'POWEROFF_VM', vmid) == 0
    assert refused(m, hc, m, 'SMMU_ATTACH', 9, 1, 0) == -KE_STATE      # powered off
    assert hc(m, 'SMMU_FREE', 1, 0) == 0
    assert m.stream_table() == []                                       # freed: detached
    assert m.invariants() == []
    m.streams[(0, 3)] = 1                                               # on a free context
    assert any('free context' in s for s in m.invariants())


def test_invariants_detect_violations():
    L, m = mk()
    host = m.npts[HOSTVISOR]
    m._pt_set(host, CORE0, (CORE0, 3, CORE0 * 4096 | KERNEL))         # a KCore page
    v = m.invariants()
    assert any('COREVISOR' in s for s in v)
    assert m.invariants([CORE0]) and not m.invariants([RAM0])
    L, m = mk()
    vmid = started_vm(m)
    assert map_req(m, vmid, 0x80000000, RAM0 + 5) == 0
    m.s2page[RAM0 + 5] = (HOSTVISOR, 0, RAM0 + 5)                       # page taken back
    assert m.invariants([RAM0 + 5]) and m.invariants()
    L, m = mk()
    m.s2page[RAM0 + 6] = (HOSTVISOR, 1, RAM0 + 6)                       # count without device
    assert m.invariants([RAM0 + 6])
    L, m = mk()
    m.flatmem[RAM0 + 7] = None                                           # unknown host data
    assert m.invariants([RAM0 + 7])


# ---- R1 over random sequences -------------------------------------------------------------------
def _random_op(r, m):
    """Mostly sensible requests for two VMs (so that runs, maps, grants and clears happen),
    some hostile ones."""
    vcpus = [(v, c) for v in (1, 2, 3) for c in (0, 1)]
    active = [vc for vc in vcpus if m.vminfo(vc[0])[1][vc[1]] == ACTIVE]
    ready = [vc for vc in vcpus if m.vminfo(vc[0])[1][vc[1]] == READY]
    vm = r.choice([1, 1, 2, 2, 3, 0, 16])
    pfn = r.choice([RAM0 + r.randrange(64), RAM0 + 512 * r.randrange(28), CORE0, 0x9000,
                    RAM0 + 2000, 1 << 28, RAM0 + 512 * r.randrange(28) + r.randrange(512)])
    x = r.random()
    if x < 0.3:
        name = r.choice(['GEN_VMID', 'REGISTER_KVM', 'REGISTER_VCPU', 'SET_BOOT_INFO',
                         'REMAP_VM_IMAGE', 'VERIFY_VM', 'CLEAR_VM_PAGE', 'CLEAR_VM_PAGE', 'MAP_IO',
                         'SMMU_ALLOC', 'SMMU_FREE', 'SMMU_ASSIGN', 'SMMU_MAP', 'SMMU_CLEAR',
                         'SMMU_IOVA_TO_PHYS', 'LOAD_DECRYPT_BUF', 'POWEROFF_VM'])
        if name == 'POWEROFF_VM' and r.random() < 0.9:
            name = 'NOP'
        cb, idx = r.choice([0, 1, 4, 8]), r.choice([0, 1, 2])
        args = {'REGISTER_KVM': (vm,), 'REGISTER_VCPU': (vm, r.choice([0, 1, 8])),
                'SET_BOOT_INFO': (vm, IMG_IPA, r.choice([4096, 8192, 0, 1 << 20])),
                'REMAP_VM_IMAGE': (vm, pfn, r.choice([0, 1])), 'VERIFY_VM': (vm,),
                'CLEAR_VM_PAGE': (vm, pfn), 'MAP_IO': (vm, 0x9000000, pfn * 4096),
                'POWEROFF_VM': (vm,), 'SMMU_ALLOC': (cb, r.choice([0, vm]), idx),
                'SMMU_FREE': (cb, idx), 'SMMU_ASSIGN': (cb, idx, pfn, r.choice([pfn, 0x40001])),
                'SMMU_MAP': (cb, idx, r.choice([pfn, 0x40001]) * 4096, pfn * 4096),
                'SMMU_CLEAR': (pfn * 4096, cb, idx), 'SMMU_IOVA_TO_PHYS': (pfn * 4096, cb, idx),
                'LOAD_DECRYPT_BUF': (vm, pfn * 4096)}.get(name, ())
        return ('call', name, args)
    if x < 0.55:
        vm, c = r.choice(ready) if ready and r.random() < 0.9 else (vm, r.choice([0, 1]))
        lvl = r.choice([3, 3, 3, 2])
        return ('run', vm, c,
                runin(regs=[r.getrandbits(64) for _ in range(31)],
                      entry_pstate=r.choice([0x3C5] * 9 + [7]),
                      map_addr=r.choice([0, 0x40000000 + 4096 * r.randrange(2048)]),
                      map_pte=pfn * 4096, map_level=lvl, request=r.choice([0] * 9 + [1])))
    if x < 0.8:
        vm, c = r.choice(active) if active and r.random() < 0.9 else (vm, r.choice([0, 1]))
        regs = [r.randrange(8) for _ in range(31)]
        cls = r.choice([ESR_ELx_EC_HVC64] * 3 + [ESR_ELx_EC_WFx, ESR_ELx_EC_DABT_LOW,
                                                 ESR_ELx_EC_SYS64, 7])
        if cls == ESR_ELx_EC_HVC64:
            regs[0] = r.choice([HVC_KVM_SET_DESC_PFN] * 3 + [HVC_KVM_UNSET_DESC_PFN] * 3
                               + [0xC4000003])
            if r.random() < 0.01:
                regs[0] = PSCI_0_2_FN_SYSTEM_OFF
            regs[2], regs[3] = 0x40000000 + 4096 * r.randrange(2048), r.choice([1, 8192, 1 << 21])
        return ('exit', vm, c,
                hw(cls=cls, ec=r.choice([2, 2, 2, 2, 0, 1]), iss=(r.randrange(32) << 16)
                   | r.choice([0, ESR_ELx_WNR]), regs=regs,
                   hpfar=r.choice([0x9000, 0x40000 + r.randrange(1024)]) << 4))
    if x < 0.88:
        return ('fault', pfn * 4096)
    if x < 0.94:
        return ('host_store', pfn * 4096, r.getrandbits(64))
    if x < 0.97:
        return ('vm_store', vm, 0x40000 + r.randrange(2048), r.getrandbits(64))
    return ('dev_store', r.choice([0, 1]), r.choice([0, 1]), r.choice([pfn, 0x40001]),
            r.getrandbits(64))


def _apply(m, op):
    k = op[0]
    if k == 'call':
        return hc(m, op[1], *op[2])
    if k == 'run':
        return m.vcpu_run(op[1], op[2], op[3])
    if k == 'exit':
        return m.vm_exit(op[1], op[2], op[3])[0]
    if k == 'fault':
        return m.host_stage2_fault(op[1])
    if k == 'host_store':
        return m.host_store(op[1], op[2])
    if k == 'vm_store':
        return m.vm_store(op[1], op[2], op[3])
    return m.dev_store(op[1], op[2], op[3], op[4])


@pytest.mark.parametrize('seed', [1, 2, 3])
def test_random_sequences_r1_and_invariants(seed):
    r = random.Random(seed)
    L, m = mk()
    for v in (1, 2):
        boot_vm(m, vcpus=2)
    hc(m, 'GEN_VMID')
    ok = bad = 0
    for step in range(1500):
        op = _random_op(r, m)
        before = m.snapshot()
        rc = _apply(m, op)
        if isinstance(rc, int) and rc < 0:
            assert m.snapshot() == before, op
            bad += 1
        else:
            ok += 1
        pages = {RAM0 + i for i in range(64)} | {CORE0, 0x9000, RAM0 + 2000}
        assert m.invariants(pages) == [], (step, op)
        if step % 100 == 99:
            assert m.invariants() == [], (step, op)
    assert ok > 300 and bad > 100


def test_save_without_boot_salt():
    """D52: without a boot salt both SAVE_* calls are -KE_NOTSUPP after R3, changing
    nothing (no nonce used); with one they go on to their own checks."""
    L, m = mk()
    L.boot_salt = False
    vmid = hc(m, 'GEN_VMID')
    assert hc(m, 'REGISTER_KVM', vmid) == 0
    assert hc(m, 'REGISTER_VCPU', vmid, 0) == 0
    assert refused(m, hc, m, 'SAVE_ENCRYPTED_VCPU', vmid, 0, 0x100000) == -KE_NOTSUPP
    assert refused(m, hc, m, 'SAVE_ENCRYPT_BUF', vmid, 0x100000, 0x200000) == -KE_NOTSUPP
    assert refused(m, hc, m, 'SAVE_ENCRYPT_BUF', 99, 0, 0) == -KE_RANGE
    assert m.vminfos[vmid].export_seq == 0
    L.boot_salt = True
    assert hc(m, 'SAVE_ENCRYPT_BUF', vmid, 0x100000, 0x200000) == -KE_OWNER


def test_verify_without_dma_isolation():
    """D45: with no SMMU under KCore's control and no KCORE_INSECURE_DMA opt-in, VERIFY_VM
    of a complete VM is -KE_NOTSUPP and changes nothing (R3's -KE_RANGE still comes first)."""
    L, m = mk()
    L.vms_allowed = False
    vmid = hc(m, 'GEN_VMID')
    assert hc(m, 'REGISTER_KVM', vmid) == 0
    assert refused(m, hc, m, 'VERIFY_VM', vmid) == -KE_NOTSUPP
    assert refused(m, hc, m, 'VERIFY_VM', 99) == -KE_RANGE
    assert m.vminfos[vmid].state == READY
    L.vms_allowed = True
    assert hc(m, 'VERIFY_VM', vmid) == 0                              # no images: complete


# ---- D68: DESTROY_VM, VM id and window reuse --------------------------------------------------
def _vm_pfns(m, vmid):
    return [p for p in range(m.ram_first, m.ram_end) if m.s2page(p)[0] == vmid]


def test_destroy_vm_d68():
    L, m = mk()
    start = m.snapshot()
    a = started_vm(m)
    b = boot_vm(m)
    assert (a, b) == (1, 2)
    pfn = RAM0 + 100
    assert map_req(m, a, 0x80000000, pfn) == 0
    assert m.vm_counts()[0][a] == 3                                    # 2 image pages + 1
    assert refused(m, hc, m, 'DESTROY_VM', 0) == -KE_RANGE
    assert refused(m, hc, m, 'DESTROY_VM', COREVISOR) == -KE_RANGE
    assert refused(m, hc, m, 'DESTROY_VM', 5) == -KE_STATE             # UNUSED
    assert refused(m, hc, m, 'DESTROY_VM', a) == -KE_STATE             # VERIFIED, ACTIVE
    assert hc(m, 'POWEROFF_VM', a) == 0
    assert refused(m, hc, m, 'DESTROY_VM', a) == -KE_BUSY              # vCPU 0 ACTIVE
    assert m.vm_exit(a, 0, irq())[0] == 1
    assert hc(m, 'SMMU_ALLOC', 1, a, 0) == 0
    assert refused(m, hc, m, 'DESTROY_VM', a) == -KE_BUSY              # an SMMU context
    assert hc(m, 'SMMU_FREE', 1, 0) == 0
    assert refused(m, hc, m, 'DESTROY_VM', a) == -KE_BUSY              # pages still the VM's
    for p in _vm_pfns(m, a)[:-1]:
        assert hc(m, 'CLEAR_VM_PAGE', a, p) == 0
    assert refused(m, hc, m, 'DESTROY_VM', a) == -KE_BUSY              # one left
    assert hc(m, 'CLEAR_VM_PAGE', a, _vm_pfns(m, a)[0]) == 0
    assert hc(m, 'DESTROY_VM', a) == 0
    assert m.vminfo(a) == m.vminfo(COREVISOR + 1)                    # as at boot
    assert m.npt_ptrs(a) == (L.pools[a][0] + 4096, L.pools[a][1], L.pools[a][2])
    assert m.mappings(a) == {}
    assert m.shadow(a, 0)[DIRTY] == INVALID64
    assert m.vm_counts() == (tuple([0, 0, 2] + [0] * 13), tuple([0, 1] + [0] * 14))
    assert m.core_data() == (1, L.remap_start + 4 * 4096, 1 << 2)
    assert refused(m, hc, m, 'DESTROY_VM', a) == -KE_STATE             # UNUSED now
    assert m.invariants() == []
    # the lowest id again, and the window's first range that fits
    assert hc(m, 'GEN_VMID') == 1
    assert hc(m, 'GEN_VMID') == 3
    assert hc(m, 'REGISTER_KVM', 1) == 0
    assert hc(m, 'SET_BOOT_INFO', 1, IMG_IPA, 3 * 4096) == 0           # no fit below b's
    assert m.vminfos[1].remap_addr[0] == L.remap_start + 4 * 4096
    assert hc(m, 'SET_BOOT_INFO', 1, IMG_IPA + 0x100000, 2 * 4096) == 1  # a's old range
    assert m.vminfos[1].remap_addr[1] == L.remap_start
    assert m.core_data() == (4, L.remap_start + 7 * 4096, 0b1110)
    assert m.invariants() == []
    # b and the new 1 gone too: everything as at boot but the generations and ids 3
    for v in (1, b):
        if m.vminfos[v].state != POWEROFF:
            assert hc(m, 'POWEROFF_VM', v) == 0
        for p in _vm_pfns(m, v):
            assert hc(m, 'CLEAR_VM_PAGE', v, p) == 0
        assert hc(m, 'DESTROY_VM', v) == 0
    assert m.core_data() == (1, L.remap_start, 1 << 3)
    assert m.vm_counts()[1][:3] == (0, 2, 1)
    snap = m.snapshot()
    assert snap[0] == start[0] and snap[3] == start[3] and snap[8] == start[8]
    assert {p: n for p, n in snap[2].items() if p != COREVISOR} == \
        {p: n for p, n in start[2].items() if p != COREVISOR}


def test_export_generation_d68():
    """A blob of an earlier VM on the same id (another generation) is -KE_AUTH."""
    L, m = mk()
    vmid = boot_vm(m)
    out = RAM0 + 200
    assert hc(m, 'SAVE_ENCRYPTED_VCPU', vmid, 0, out * PAGE_SIZE) == 0
    assert hc(m, 'POWEROFF_VM', vmid) == 0
    for p in _vm_pfns(m, vmid):
        assert hc(m, 'CLEAR_VM_PAGE', vmid, p) == 0
    assert hc(m, 'DESTROY_VM', vmid) == 0
    assert hc(m, 'GEN_VMID') == vmid
    assert hc(m, 'REGISTER_KVM', vmid) == 0
    assert hc(m, 'REGISTER_VCPU', vmid, 0) == 0
    # (the model alone keeps first words: the blobs' bytes are the differential test's)
    assert m.vm_generation[vmid] == 1
    assert m.export.key(vmid, 0) != m.export.key(vmid, 1)
    h0, _ = m.export.seal(vmid, 2, 0, 0, bytes(16), 0)
    h1, _ = m.export.seal(vmid, 2, 0, 0, bytes(16), 1)
    assert h0[20:24] == bytes(4) and h1[20:24] == (1).to_bytes(4, 'little')
    assert m.export.open(vmid, h0, bytes(16), 1) is None
