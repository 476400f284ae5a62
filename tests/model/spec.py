"""The executable model of HighSpecs (../shared/spec/HighSpecs.md) as amended by
docs/deviations.md, for differential testing of KCore's C.

The model is split by the spec's parts:
  spec_mem.py   local_mmap_h, s2page ownership, map_host/assign/clear/map_io,
                prot_and_map, grant/revoke, mem_load_spec/mem_store_spec
  spec_vm.py    VM/vCPU states, VM ids, boot images (set_boot_info, remap, verify)
  spec_smmu.py  device contexts and tables, dev_load_spec/dev_store_spec
  spec_vcpu.py  shadow contexts, vcpu_run_process, vm_exit_pre_process
  spec_pin.py   D60 (outside the spec): host pages pinned for mediated devices
This file holds the state (the spec's `sdt` plus the shadow contexts), the
host-call entry points, the accessors the differential driver reads, and
the security invariants.

Refusals (R1): every entry point makes all its checks first and changes
nothing when it refuses; it then returns -KE_* (errno.h). Success is >= 0.
"""

try:
    from .constants import *  # noqa: F401,F403
    from .spec_mem import MemSpec, ModelHalt, NPT, S2Page, ZERO3, is_vm
    from .spec_vm import VmSpec, VMInfo, CoreData
    from .spec_smmu import SmmuSpec, SPT, smmu_id
    from .spec_vcpu import VcpuSpec, new_ctxt
    from .spec_pin import PinSpec, extent_pfns
except ImportError:
    from constants import *  # noqa: F401,F403
    from spec_mem import MemSpec, ModelHalt, NPT, S2Page, ZERO3, is_vm
    from spec_vm import VmSpec, VMInfo, CoreData
    from spec_smmu import SmmuSpec, SPT, smmu_id
    from spec_vcpu import VcpuSpec, new_ctxt
    from spec_pin import PinSpec, extent_pfns

__all__ = ['Layout', 'Model', 'ModelHalt', 'sample_layout']


class Layout:
    """The placement KCore was built and booted with (the driver fills it from the C).
    Addresses are bytes; pools[p] = (start, pud_start, pmd_start, end) for every
    principal p in HOSTVISOR .. COREVISOR; host_mmio = [(start, size)...], the
    host's MMIO allow-list (D44); pin_slots and pin_max_pages, D60's bounds
    (KCORE_PIN_SLOTS, KCORE_PIN_MAX_PAGES)."""

    FIELDS = ('ram_base', 'ram_pages', 'core_start', 'core_end', 'pools', 'spt_pool_start',
              'spt_pmd_start', 'spt_pool_end', 'remap_start', 'remap_end', 'host_mmio',
              'smmu_cfg_num', 'actlr', 'max_share_count', 'vms_allowed', 'boot_salt',
              'pin_slots', 'pin_max_pages')

    def __init__(self, **kw):
        for f in self.FIELDS:
            setattr(self, f, kw.pop(f, None))
        if kw:
            raise TypeError('unknown Layout fields: %s' % sorted(kw))

    def __repr__(self):
        return 'Layout(%s)' % ', '.join('%s=%r' % (f, getattr(self, f)) for f in self.FIELDS)


def sample_layout(ram_pages=LAYOUT_TEST['KCORE_RAM_MAX_PAGES'], core_pages=2048, pools=None):
    """A Layout like the C's KCORE_PROFILE_TEST on the fake machine (64 MB of RAM at
    KCORE_RAM_BASE, KCore in the last 8 MB, pools from 1 MB into it), for unit tests.
    The pool order (host, VMs, core, SMMU roots, SMMU pmd, SMMU pte) is this
    function's choice; the driver reads the real one from the C. `pools` may give
    (pgd, pud, pmd) page counts per principal to override the profile's."""
    T = LAYOUT_TEST
    ram_base = KCORE_RAM_BASE
    core_end = ram_base + ram_pages * PAGE_SIZE
    core_start = core_end - core_pages * PAGE_SIZE
    cur = core_start + (1 << 20)
    sizes = {}
    for p in range(COREVISOR + 1):
        if p == HOSTVISOR:
            sizes[p] = (T['KCORE_POOL_HOST_PGD'], T['KCORE_POOL_HOST_PUD'], T['KCORE_POOL_HOST_PMD'])
        elif p == COREVISOR:
            sizes[p] = (T['KCORE_POOL_CORE_PGD'], T['KCORE_POOL_CORE_PUD'], T['KCORE_POOL_CORE_PMD'])
        else:
            sizes[p] = (T['KCORE_POOL_VM_PGD'], T['KCORE_POOL_VM_PUD'], T['KCORE_POOL_VM_PMD'])
    if pools:
        sizes.update(pools)
    pl = {}
    for p in range(COREVISOR + 1):
        a, b, c = sizes[p]
        start = cur
        pud_start = start + a * PAGE_SIZE
        pmd_start = pud_start + b * PAGE_SIZE
        end = pmd_start + c * PAGE_SIZE
        pl[p] = (start, pud_start, pmd_start, end)
        cur = end
    cur += EL2_SMMU_CFG_SIZE * PAGE_SIZE  # one root page per context
    spt_pool_start = cur
    spt_pmd_start = spt_pool_start + T['KCORE_SPT_PMD_POOL'] * PAGE_SIZE
    spt_pool_end = spt_pmd_start + T['KCORE_SPT_PTE_POOL'] * PAGE_SIZE
    assert spt_pool_end <= core_end
    return Layout(ram_base=ram_base, ram_pages=ram_pages, core_start=core_start,
                  core_end=core_end, pools=pl, spt_pool_start=spt_pool_start,
                  spt_pmd_start=spt_pmd_start, spt_pool_end=spt_pool_end,
                  remap_start=T['KCORE_REMAP_START'],
                  remap_end=T['KCORE_REMAP_START'] + T['KCORE_REMAP_SIZE'],
                  host_mmio=list(FAKE_HOST_MMIO),
                  smmu_cfg_num=[T['KCORE_SMMU_CFG_NUM_0'], T['KCORE_SMMU_CFG_NUM_1']],
                  actlr=0x7, max_share_count=T['KCORE_MAX_SHARE_COUNT'], vms_allowed=True,
                  boot_salt=True, pin_slots=KCORE_PIN_SLOTS,
                  pin_max_pages=T['KCORE_PIN_MAX_PAGES'])


def _u64(x):
    return x & MASK64


class _Table(list):
    """A list of the state (smmu_vmid, smmu_nr_mapped); calling it returns a copy
    (the accessor of the same name)."""

    def __call__(self):
        return list(self)


class Model(MemSpec, VmSpec, SmmuSpec, VcpuSpec, PinSpec):
    """The spec's shared state `sdt` and the shadow contexts, with KCore's entry points.

    The state keeps the spec's names; the parts the driver reads whole are callable
    and so double as the accessors of the interface: s2page(pfn), core_data(),
    smmu_vmid(), smmu_nr_mapped()."""

    def __init__(self, layout):
        L = self.L = self.layout = layout
        self.ram_first = L.ram_base // PAGE_SIZE
        self.ram_end = self.ram_first + L.ram_pages
        core_first, core_end = L.core_start // PAGE_SIZE, -(-L.core_end // PAGE_SIZE)
        # s2page: pfn -> (owner, count, gfn). Initial state (deviations.md): RAM is the
        # host's (count 0, gfn pfn); KCore's memory is COREVISOR's (gfn INVALID64);
        # frames outside RAM are not stored: those of the host's MMIO allow-list read
        # as INVALID, every other one as COREVISOR's (D44; see S2Page).
        self.s2page = S2Page(L.host_mmio)
        # flatmem: pfn -> first word of the page, None when the spec's oracle chose it.
        # RAM starts zeroed; KCore's own pages are not modelled (absent).
        self.flatmem = {}
        for pfn in range(self.ram_first, self.ram_end):
            if core_first <= pfn < core_end:
                self.s2page[pfn] = (COREVISOR, 0, INVALID64)
            else:
                self.s2page[pfn] = (HOSTVISOR, 0, pfn)
                self.flatmem[pfn] = 0
        self.npts = {p: NPT(p, L.pools[p]) for p in range(COREVISOR + 1)}
        self.vminfos = {vmid: VMInfo() for vmid in range(COREVISOR + 1)}
        self.core_data = CoreData(L.remap_start)
        # D68: pages each VM owns (kept by _s2page_set) and each id's generation.
        self.vm_pages = [0] * COREVISOR
        self.vm_generation = [0] * COREVISOR
        self.smmu_vmid = _Table([INVALID] * EL2_SMMU_CFG_SIZE)
        # D30/D31: live mappings per context (reset when a context is allocated).
        self.smmu_nr_mapped = _Table([0] * EL2_SMMU_CFG_SIZE)
        self.spts = SPT(L.spt_pool_start, L.spt_pmd_start)
        # D42: the context each device stream is attached to, (index, stream) -> cbndx;
        # absent = detached (every transaction aborts).
        self.streams = {}
        self.shadow_ctxts = {(vmid, vcpuid): new_ctxt(is_vm(vmid))
                             for vmid in range(COREVISOR) for vcpuid in range(KCORE_MAX_VCPUS)}
        # D60: one pinned extent (base, size) per slot, none at first; their pages.
        self.pin = [(0, 0)] * L.pin_slots
        self.pinned_pages = 0
        # Bookkeeping for invariants() only: reverse maps pfn -> {(principal, gfn)} of the
        # npts and pfn -> {(smmu_id, iova gfn)} of the spts (mapped entries), and the pages
        # a clear_vm_page gave back that nobody has written since.
        self.rmap = {}
        self.dmap = {}
        self.cleared = set()
        # spec: verify_img, a Parameter. (vmid, info) -> bool, called once the image pages
        # are the VM's. The model's own tests accept every image; the differential driver
        # installs a real check (images.py: Ed25519 over the bytes of the C's pages).
        self.verify_img = lambda vmid, info: True
        # D41: the ciphers (export.py). The differential driver gives it the C's page
        # bytes; the model's own tests give it bytes made from flatmem's first words.
        self.export = None

    # ================================================================================
    # Entry points
    # ================================================================================
    def host_call(self, fn, a1=0, a2=0, a3=0, a4=0, a5=0):
        fn, a1, a2, a3, a4, a5 = map(_u64, (fn, a1, a2, a3, a4, a5))
        if fn == KCORE_HC_NOP:
            return 0
        if fn == KCORE_HC_GEN_VMID:
            return self.local_gen_vmid()
        if fn == KCORE_HC_REGISTER_KVM:
            return self.local_register_kvm(a1)
        if fn == KCORE_HC_REGISTER_VCPU:
            return self.local_register_vcpu(a1, a2)
        if fn == KCORE_HC_SET_BOOT_INFO:
            return self.local_set_boot_info(a1, a2, a3)
        if fn == KCORE_HC_REMAP_VM_IMAGE:
            return self.local_remap_vm_image(a1, a2, a3)
        if fn == KCORE_HC_VERIFY_VM:
            return self.local_verify_vm(a1)
        if fn == KCORE_HC_CLEAR_VM_PAGE:
            return self.local_clear_vm_page(a1, a2)
        if fn == KCORE_HC_MAP_IO:
            return self.local_map_io(a1, a2, a3)
        if fn == KCORE_HC_SMMU_ALLOC:
            return self.local_alloc_smmu_pgd(a1, a2, a3)
        if fn == KCORE_HC_SMMU_FREE:
            return self.local_free_smmu_pgd(a1, a2)
        if fn == KCORE_HC_SMMU_ASSIGN:
            return self.local_smmu_assign_page(a1, a2, a3, a4)
        if fn == KCORE_HC_SMMU_MAP:
            return self.local_smmu_map_page(a1, a2, a3, a4)
        if fn == KCORE_HC_SMMU_CLEAR:
            return self.local_smmu_clear(a1, a2, a3)
        if fn == KCORE_HC_SMMU_IOVA_TO_PHYS:
            return self.smmu_iova_to_phys(a1, a2, a3)
        if fn == KCORE_HC_SMMU_ATTACH:
            return self.local_smmu_attach(a1, a2, a3)
        if fn == KCORE_HC_SMMU_DETACH:
            return self.local_smmu_detach(a1, a2)
        if fn == KCORE_HC_SAVE_ENCRYPT_BUF:
            return self.local_save_encrypt_buf(a1, a2, a3)
        if fn == KCORE_HC_LOAD_DECRYPT_BUF:
            return self.local_load_decrypt_buf(a1, a2)
        if fn == KCORE_HC_LOAD_ENCRYPTED_VCPU:
            return self.local_load_encryted_vcpu(a1, a2, a3)
        if fn == KCORE_HC_SAVE_ENCRYPTED_VCPU:
            return self.local_save_encrypted_vcpu(a1, a2, a3)
        if fn == KCORE_HC_POWEROFF_VM:
            return self.local_poweroff_vm(a1)
        if fn == KCORE_HC_DESTROY_VM:
            return self.local_destroy_vm(a1)  # D68
        # Unknown ids, and VCPU_RUN, which needs the run page (use vcpu_run()).
        return -KE_NOFUNC

    def host_stage2_fault(self, addr):
        return self.local_map_host(_u64(addr))

    # host_pin(slot, base, size): D60's kcore_host_pin (spec_pin.py).

    def vcpu_run(self, vmid, vcpuid, run):
        return self.vcpu_run_process(_u64(vmid), _u64(vcpuid), run)

    def vm_exit(self, vmid, vcpuid, hw):
        return self.vm_exit_pre_process(_u64(vmid), _u64(vcpuid), hw)

    # ---- memory and DMA accesses (mem_store_spec / dev_store_spec) -----------------------
    def host_store(self, addr, val):
        gfn = _u64(addr) // PAGE_SIZE
        r = self.mem_store_spec(HOSTVISOR, gfn, val)
        if r != 'fault':
            return r
        if self.host_stage2_fault(gfn * PAGE_SIZE) < 0:
            return 'abort'
        r = self.mem_store_spec(HOSTVISOR, gfn, val)
        if r == 'fault':
            raise ModelHalt('host_store: mapped page still faults')
        return r

    def host_page(self, addr, data):
        """The host writes a whole page (data: its bytes): as host_store, with the page's
        first word as the value (flatmem keeps first words)."""
        word = int.from_bytes(bytes(data[:8]).ljust(8, b'\0'), 'little')
        return self.host_store(addr, word)

    def vm_store(self, vmid, gfn, val):
        if not is_vm(vmid) or self.vminfos[vmid].state != VERIFIED:
            return 'skip'  # rely (vm_state ... =? VERIFIED)
        return self.mem_store_spec(vmid, gfn, val)

    def dev_store(self, index, cbndx, iova_gfn, val):
        if not (index < KCORE_SMMU_NUM and cbndx < KCORE_SMMU_MAX_CFG):
            return 'skip'  # rely is_smmu index; rely is_smmu_cfg cbndx
        vmid = self.smmu_vmid[smmu_id(index, cbndx)]
        if vmid == INVALID:
            return 'skip'
        if vmid != HOSTVISOR and self.vminfos[vmid].state != VERIFIED:
            return 'skip'
        return self.dev_store_spec(index, cbndx, iova_gfn, val)

    # ================================================================================
    # Accessors (what the driver compares with the C)
    # ================================================================================
    # s2page(pfn), core_data(), smmu_vmid(), smmu_nr_mapped(): the state itself (callable).

    def mappings(self, p):
        return {gfn: e for gfn, e in self.npts[p].pt.items() if e[2] != 0}

    def lookup(self, p, gfn):
        e = self.npts[p].pt.get(gfn, ZERO3)
        return e if e[2] != 0 else ZERO3

    def npt_ptrs(self, p):
        n = self.npts[p]
        return (n.pt_pgd_next, n.pt_pud_next, n.pt_pmd_next)

    def vminfo(self, vmid):
        if not is_vm(vmid):
            return VMInfo().as_tuple()
        return self.vminfos[vmid].as_tuple()

    def spt_ptrs(self):
        return (self.spts.spt_pgd_next, self.spts.spt_pmd_next)

    def spt_mappings(self, index, cbndx):
        pt = self.spts.spt_pt[smmu_id(index, cbndx)]
        return {gfn: e for gfn, e in pt.items() if e[1] != 0}

    def shadow(self, vmid, vcpuid):
        return list(self.shadow_ctxts.get((vmid, vcpuid), [0] * NR_CTXT_REGS))

    def vm_counts(self):
        """D68: (pages each VM owns, each id's generation), COREVISOR entries each."""
        return (tuple(self.vm_pages), tuple(self.vm_generation))

    def flatmem_known(self):
        return {pfn: v for pfn, v in self.flatmem.items() if v is not None}

    def snapshot(self):
        """A comparable copy of the whole state (for R1 checks in tests)."""
        return (
            dict(self.s2page), dict(self.flatmem),
            {p: (dict(n.pt), frozenset(n.pgd_t), frozenset(n.pud_t), frozenset(n.pmd_t),
                 n.pt_pgd_next, n.pt_pud_next, n.pt_pmd_next) for p, n in self.npts.items()},
            {v: i.as_tuple() for v, i in self.vminfos.items()},
            self.core_data(), tuple(self.smmu_vmid), tuple(self.smmu_nr_mapped),
            ({t: dict(m) for t, m in self.spts.spt_pt.items()},
             {t: frozenset(s) for t, s in self.spts.spt_pgd_t.items()},
             {t: frozenset(s) for t, s in self.spts.spt_pmd_t.items()},
             self.spts.spt_pgd_next, self.spts.spt_pmd_next),
            {k: tuple(c) for k, c in self.shadow_ctxts.items()},
            dict(self.streams),  # D42
            self.pin_table(),  # D60
            self.vm_counts(),  # D68
        )

    # ================================================================================
    # Security invariants
    # ================================================================================
    def _check_npt_entry(self, p, gfn, e, out):
        pfn, level, pte = e
        if pte == 0 or p == COREVISOR:
            return
        owner, count, pgfn = self.s2page(pfn)
        if owner == COREVISOR:
            out.append('principal %d maps COREVISOR page %#x at gfn %#x' % (p, pfn, gfn))
        if p == HOSTVISOR:
            if pfn != gfn:
                out.append('host maps gfn %#x to pfn %#x' % (gfn, pfn))
            if not (owner == INVALID or owner == HOSTVISOR
                    or (is_vm(owner) and 0 < count < INVALID)):
                out.append('host maps pfn %#x of owner %d count %#x' % (pfn, owner, count))
        elif self.vminfos[p].state != POWEROFF:
            if owner != INVALID and not (owner == p and pgfn == gfn):
                out.append('VM %d maps gfn %#x to pfn %#x (owner %d, gfn %#x)'
                           % (p, gfn, pfn, owner, pgfn))

    def _check_dev_entry(self, sid, gfn, e, out):
        pfn, pte = e
        vmid = self.smmu_vmid[sid]
        if pte == 0 or vmid == INVALID:
            return
        owner, _count, pgfn = self.s2page(pfn)
        if owner == COREVISOR:
            out.append('device context %d maps COREVISOR page %#x' % (sid, pfn))
        if not (owner == vmid and pgfn == gfn):
            out.append('device context %d (of %d) maps iova gfn %#x to pfn %#x (owner %d, gfn %#x)'
                       % (sid, vmid, gfn, pfn, owner, pgfn))

    def _check_page(self, pfn, out, cover):
        owner, count, _gfn = self.s2page(pfn)
        pins = cover.get(pfn, 0)
        if pins and owner != HOSTVISOR:
            out.append('pinned page %#x is owned by %d (D60)' % (pfn, owner))
        if pfn in self.cleared and not (owner == HOSTVISOR and self.flatmem.get(pfn) == 0):
            out.append('page %#x given back by clear_vm_page is not known-zero' % pfn)
        if owner == HOSTVISOR and pfn in self.flatmem and self.flatmem[pfn] is None:
            out.append('host page %#x holds a value the model does not know' % pfn)
        if owner == HOSTVISOR:
            n = sum(1 for sid, _g in self.dmap.get(pfn, ()) if self.smmu_vmid[sid] != INVALID)
            if count != n + pins:
                out.append('host page %#x: count %d, device mappings %d, pin extents %d (D31, D60)'
                           % (pfn, count, n, pins))

    def invariants(self, pages=None):
        """Violations of the security invariants, as strings:
          - the host maps (identity, gfn == pfn) only pages it owns, shared VM pages
            (0 < count < INVALID, D12) or non-RAM frames (owner INVALID);
          - a VM that is not POWEROFF maps only its own pages at the gfn recorded for
            them, or owner-INVALID (MMIO) frames;
          - no COREVISOR page is mapped by the host, a VM, or an allocated device context;
          - an allocated device context maps only pages of its owner at gfn == iova gfn;
          - a page a clear_vm_page gave back to the host (and nobody wrote since) is
            known-zero, and no host-owned page holds a value the model does not know
            (no VM data reaches the host without a clear);
          - every host page's count equals its number of device mappings in allocated
            contexts (D31) plus the number of pinned extents covering it, and every
            pinned page is the host's (D60); (full check) every context's nr_mapped
            equals its entries, and pinned_pages the pages of the extents.
        `pages`: an iterable of numbers, each checked as a pfn (its s2page and every
        mapping of it) and as a gfn / iova gfn (every principal's and allocated
        context's entry there): the cheap per-step check. None: everything."""
        out = []
        cover = self.pin_cover()
        allocated = [sid for sid in range(EL2_SMMU_CFG_SIZE) if self.smmu_vmid[sid] != INVALID]
        # D42: a device is attached only to an allocated context (a freed context
        # keeps its table until the next alloc: a device left on it would reach
        # pages handed on since).
        for (index, stream), cb in self.streams.items():
            if self.smmu_vmid[smmu_id(index, cb)] == INVALID:
                out.append('stream %d of SMMU %d attached to free context %d' % (stream, index, cb))
        if pages is not None:
            for x in pages:
                for p in range(COREVISOR):
                    e = self.npts[p].pt.get(x)
                    if e is not None:
                        self._check_npt_entry(p, x, e, out)
                for sid in allocated:
                    e = self.spts.spt_pt[sid].get(x)
                    if e is not None:
                        self._check_dev_entry(sid, x, e, out)
                for p, gfn in self.rmap.get(x, ()):
                    self._check_npt_entry(p, gfn, self.npts[p].pt[gfn], out)
                for sid, gfn in self.dmap.get(x, ()):
                    self._check_dev_entry(sid, gfn, self.spts.spt_pt[sid][gfn], out)
                self._check_page(x, out, cover)
            return out
        # Everything, from the tables themselves (the reverse maps are checked too).
        rmap, dmap = {}, {}
        for p in range(COREVISOR + 1):
            for gfn, e in self.npts[p].pt.items():
                if e[2] != 0:
                    rmap.setdefault(e[0], set()).add((p, gfn))
                    self._check_npt_entry(p, gfn, e, out)
        for sid in range(EL2_SMMU_CFG_SIZE):
            n = 0
            for gfn, e in self.spts.spt_pt[sid].items():
                if e[1] != 0:
                    n += 1
                    dmap.setdefault(e[0], set()).add((sid, gfn))
                    self._check_dev_entry(sid, gfn, e, out)
            if n != self.smmu_nr_mapped[sid]:
                out.append('context %d: %d mappings, nr_mapped %d' % (sid, n, self.smmu_nr_mapped[sid]))
        if rmap != self.rmap or dmap != self.dmap:
            out.append('model bookkeeping: reverse maps differ from the tables')
        for pfn in set(self.s2page) | self.cleared | set(cover):
            self._check_page(pfn, out, cover)
        owned = [0] * COREVISOR
        for pfn in range(self.ram_first, self.ram_end):
            o = self.s2page(pfn)[0]
            if is_vm(o):
                owned[o] += 1
        if owned[1:] != self.vm_pages[1:] or self.vm_pages[0] != 0:
            out.append('VM page counts %r, the owners say %r (D68)' % (self.vm_pages, owned))
        pages = sum(len(extent_pfns(*e)) for e in self.pin)
        if pages != self.pinned_pages:
            out.append('pinned_pages %d, the extents have %d (D60)' % (self.pinned_pages, pages))
        return out
