"""HighSpecs, SMMU part: device contexts (smmu_vmid), device page tables
(spts: local_spt_map_h), and the device access rules (dev_load_spec /
dev_store_spec). See spec_mem.py for the conventions."""

try:
    from .constants import *  # noqa: F401,F403
    from .spec_mem import is_vm, phys_page, pmd_index, stage2_pgd_index
except ImportError:
    from constants import *  # noqa: F401,F403
    from spec_mem import is_vm, phys_page, pmd_index, stage2_pgd_index

ZERO2 = (0, 0)  # ZMap.init (0, 0) of spt_pt


def smmu_id(index, cbndx):
    return index * KCORE_SMMU_MAX_CFG + cbndx


class SPT:
    """spec: SPT. The per-context maps are keyed by smmu_id (one SMMU_TTBR each):
    spt_pt[ttbr]: iova gfn -> (pfn, pte); spt_pgd_t[ttbr]: pgd indices with a pmd
    table; spt_pmd_t[ttbr]: (pgd, pmd) pairs with a pte table."""

    __slots__ = ('spt_pt', 'spt_pgd_t', 'spt_pmd_t', 'spt_pgd_next', 'spt_pmd_next')

    def __init__(self, spt_pool_start, spt_pmd_start):
        self.spt_pt = {sid: {} for sid in range(EL2_SMMU_CFG_SIZE)}
        self.spt_pgd_t = {sid: set() for sid in range(EL2_SMMU_CFG_SIZE)}
        self.spt_pmd_t = {sid: set() for sid in range(EL2_SMMU_CFG_SIZE)}
        self.spt_pgd_next = spt_pool_start
        self.spt_pmd_next = spt_pmd_start  # SMMU_PMD_START


class SmmuSpec:
    """Mixin of Model: the SMMU half of the spec."""

    def _spt_set(self, ttbr, gfn, entry):
        pt = self.spts.spt_pt[ttbr]
        old = pt.get(gfn)
        if old is not None and old[1] != 0:
            s = self.dmap[old[0]]
            s.discard((ttbr, gfn))
            if not s:
                del self.dmap[old[0]]
        if entry[1] != 0:
            self.dmap.setdefault(entry[0], set()).add((ttbr, gfn))
        pt[gfn] = entry

    @staticmethod
    def _smmu_args_ok(cbndx, index):
        return cbndx < KCORE_SMMU_MAX_CFG and index < KCORE_SMMU_NUM

    # ---- local_spt_map_h ----------------------------------------------------------------
    def local_spt_map_h(self, cbndx, index, addr, pte, commit=True):
        spt = self.spts
        gfn = addr // PAGE_SIZE
        pfn = phys_page(pte) // PAGE_SIZE
        ttbr = smmu_id(index, cbndx)  # SMMU_TTBR index cbndx
        g, m = stage2_pgd_index(addr), pmd_index(addr)
        pgd_next_ = spt.spt_pgd_next if g in spt.spt_pgd_t[ttbr] else spt.spt_pgd_next + PAGE_SIZE
        pmd_next_ = (spt.spt_pmd_next if (g, m) in spt.spt_pmd_t[ttbr]
                     else spt.spt_pmd_next + PAGE_SIZE)
        if pgd_next_ <= self.layout.spt_pmd_start and pmd_next_ <= self.layout.spt_pool_end:
            if commit:
                self._spt_set(ttbr, gfn, (pfn, pte))
                spt.spt_pgd_t[ttbr].add(g)
                spt.spt_pmd_t[ttbr].add((g, m))
                spt.spt_pgd_next, spt.spt_pmd_next = pgd_next_, pmd_next_
            return 0
        return -KE_NOMEM

    # ---- local_free_smmu_pgd --------------------------------------------------------------
    def local_free_smmu_pgd(self, cbndx, index):
        if not self._smmu_args_ok(cbndx, index):
            return -KE_RANGE
        sid = smmu_id(index, cbndx)
        vmid = self.smmu_vmid[sid]
        if vmid == INVALID:
            return -KE_STATE  # R2
        if vmid == HOSTVISOR:
            # D30: a host context may be freed once it maps nothing.
            if self.smmu_nr_mapped[sid] != 0:
                return -KE_BUSY
        elif self.vminfos[vmid].state != POWEROFF:
            return -KE_STATE
        self.smmu_vmid[sid] = INVALID
        # D42: no device stays attached to a freed context.
        for key in [k for k, cb in self.streams.items() if k[0] == index and cb == cbndx]:
            del self.streams[key]
        return 0

    # ---- D42: SMMU_ATTACH / SMMU_DETACH (the spec traps SMMU register writes) -------------
    def _stream_pinned(self, index, stream):
        """A stream on a VERIFIED VM's context is that VM's: the host cannot move it."""
        cb = self.streams.get((index, stream))
        if cb is None:
            return False
        vmid = self.smmu_vmid[smmu_id(index, cb)]
        return is_vm(vmid) and self.vminfos[vmid].state == VERIFIED

    def local_smmu_attach(self, stream, cbndx, index):
        if not (stream < KCORE_SMMU_STREAMS and self._smmu_args_ok(cbndx, index)
                and cbndx < self.layout.smmu_cfg_num[index]):
            return -KE_RANGE
        vmid = self.smmu_vmid[smmu_id(index, cbndx)]
        if vmid == INVALID:
            return -KE_STATE
        if is_vm(vmid) and self.vminfos[vmid].state >= VERIFIED:
            return -KE_STATE
        if self._stream_pinned(index, stream):
            return -KE_BUSY
        self.streams[(index, stream)] = cbndx
        return 0

    def local_smmu_detach(self, stream, index):
        if not (stream < KCORE_SMMU_STREAMS and index < KCORE_SMMU_NUM):
            return -KE_RANGE
        if self._stream_pinned(index, stream):
            return -KE_BUSY
        self.streams.pop((index, stream), None)
        return 0

    def stream_table(self):
        """D42: [(index, stream, cbndx)] of the attached streams, sorted."""
        return sorted((i, s, cb) for (i, s), cb in self.streams.items())

    # ---- local_alloc_smmu_pgd -------------------------------------------------------------
    def local_alloc_smmu_pgd(self, cbndx, vmid, index):
        if not self._smmu_args_ok(cbndx, index):
            return -KE_RANGE
        num = self.layout.smmu_cfg_num[index]  # KCORE's platform value, never the host's
        if not cbndx < num:
            return -KE_RANGE
        sid = smmu_id(index, cbndx)
        target = self.smmu_vmid[sid]
        if target != INVALID:
            return -KE_BUSY  # R2
        if not (vmid == HOSTVISOR or is_vm(vmid)):
            return -KE_RANGE  # D32
        if is_vm(vmid) and self.vminfos[vmid].state == VERIFIED:
            return -KE_STATE
        self.smmu_vmid[sid] = vmid
        ttbr = sid
        for gfn in list(self.spts.spt_pt[ttbr]):  # spt_pt # ttbr == ZMap.init (0, 0)
            self._spt_set(ttbr, gfn, ZERO2)
        self.spts.spt_pt[ttbr] = {}
        self.spts.spt_pgd_t[ttbr] = set()
        self.spts.spt_pmd_t[ttbr] = set()
        self.smmu_nr_mapped[sid] = 0  # D30/D31: the emptied table maps nothing
        return 0

    # ---- local_smmu_assign_page -----------------------------------------------------------
    def local_smmu_assign_page(self, cbndx, index, pfn, gfn):
        if (not self._smmu_args_ok(cbndx, index) or not pfn < PFN_SPACE
                or not gfn < SMMU_GFN_SPACE):
            return -KE_RANGE
        vmid = self.smmu_vmid[smmu_id(index, cbndx)]
        if vmid == INVALID:
            return -KE_STATE  # R2
        if not is_vm(vmid):
            return 0  # a host context: nothing to do
        state = self.vminfos[vmid].state
        if state == VERIFIED:
            return -KE_STATE
        page = self.s2page(pfn)
        if page[0] == HOSTVISOR:
            if page[1] == 0:
                rc = self.host_unmap(pfn, commit=False)
                if rc:
                    return rc
                self._must(self.host_unmap(pfn))
                self._s2page_set(pfn, (vmid, INVALID, gfn))
                return 0
            return -KE_BUSY
        if page[0] == vmid:
            return 0
        return -KE_OWNER

    # ---- local_smmu_map_page --------------------------------------------------------------
    def local_smmu_map_page(self, cbndx, index, iova, pte):
        if not self._smmu_args_ok(cbndx, index) or not iova < SMMU_IOVA_SPACE:
            return -KE_RANGE
        sid = smmu_id(index, cbndx)
        vmid = self.smmu_vmid[sid]
        if vmid == INVALID:
            return -KE_STATE  # R2
        if is_vm(vmid) and self.vminfos[vmid].state == VERIFIED:
            return -KE_STATE
        pfn = phys_page(pte) // PAGE_SIZE
        gfn = iova // PAGE_SIZE
        page = self.s2page(pfn)
        if not (vmid == page[0] and gfn == page[2]):
            return -KE_OWNER
        if self.spts.spt_pt[sid].get(gfn, ZERO2)[1] != 0:
            return -KE_EXIST  # D31: no overwrite
        if page[0] == HOSTVISOR and not page[1] < EL2_SMMU_CFG_SIZE + self.layout.pin_slots:
            return -KE_FULL  # D31 (D60: pins count too): no silent stop of the count
        pte_ = (pfn * PAGE_SIZE) | PAGE_SMMU  # D31: KCore's descriptor, not the host's bits
        rc = self.local_spt_map_h(cbndx, index, iova, pte_)
        if rc:
            return rc
        if page[0] == HOSTVISOR:
            self._s2page_set(pfn, (page[0], page[1] + 1, page[2]))
        self.smmu_nr_mapped[sid] += 1
        return 0

    # ---- local_smmu_clear -----------------------------------------------------------------
    def local_smmu_clear(self, iova, cbndx, index):
        if not iova < SMMU_IOVA_SPACE or not self._smmu_args_ok(cbndx, index):
            return -KE_RANGE
        sid = smmu_id(index, cbndx)
        vmid = self.smmu_vmid[sid]
        if vmid == INVALID:
            return -KE_STATE  # R2
        if is_vm(vmid) and self.vminfos[vmid].state >= VERIFIED:
            return -KE_STATE
        ttbr = sid
        gfn = iova // PAGE_SIZE
        _pfn, pte = self.spts.spt_pt[ttbr].get(gfn, ZERO2)
        if pte == 0:
            return 0
        self._must(self.local_spt_map_h(cbndx, index, iova, 0))
        pfn0 = phys_page(pte) // PAGE_SIZE
        page = self.s2page(pfn0)
        if page[0] == HOSTVISOR and page[1] > 0:
            self._s2page_set(pfn0, (page[0], page[1] - 1, page[2]))
        self.smmu_nr_mapped[sid] -= 1
        return 0

    def smmu_iova_to_phys(self, iova, cbndx, index):
        if not iova < SMMU_IOVA_SPACE or not self._smmu_args_ok(cbndx, index):
            return -KE_RANGE
        sid = smmu_id(index, cbndx)
        if self.smmu_vmid[sid] == INVALID:
            return -KE_STATE  # R2
        _pfn, pte = self.spts.spt_pt[sid].get(iova // PAGE_SIZE, ZERO2)
        if pte == 0:
            return 0
        return phys_page(pte) | (iova & 0xFFF)

    # ---- dev_load_spec / dev_store_spec ---------------------------------------------------
    def _dev_lookup(self, index, cbndx, gfn):
        pfn, pte = self.spts.spt_pt[smmu_id(index, cbndx)].get(gfn, ZERO2)
        return None if pte == 0 else pfn

    def dev_load_spec(self, index, cbndx, gfn):
        """('fault', None) or ('value', v), v None when the oracle answers.
        rely: the context is allocated; a VM owner is VERIFIED."""
        vmid = self.smmu_vmid[smmu_id(index, cbndx)]
        pfn = self._dev_lookup(index, cbndx, gfn)
        if pfn is None:
            return 'fault', None
        page = self.s2page(pfn)
        ok = page[0] == HOSTVISOR if vmid == HOSTVISOR else page[1] == 0
        return 'value', (self.flatmem.get(pfn) if ok else None)

    def dev_store_spec(self, index, cbndx, gfn, val):
        """'stored', 'shared' (flatmem left to the oracle: unknown) or 'fault'."""
        vmid = self.smmu_vmid[smmu_id(index, cbndx)]
        pfn = self._dev_lookup(index, cbndx, gfn)
        if pfn is None:
            return 'fault'
        page = self.s2page(pfn)
        ok = page[0] == HOSTVISOR if vmid == HOSTVISOR else page[1] == 0
        if ok:
            self._flatmem_set(pfn, val & MASK64)  # (a frame that is not RAM has no flatmem)
            return 'stored'
        self._flatmem_set(pfn, None)
        return 'shared'
