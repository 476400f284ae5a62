"""HighSpecs, memory part: page tables (local_mmap_h), page ownership
(s2page), the host and VM mapping paths, grant/revoke, and the memory access
rules (mem_load_spec / mem_store_spec).

Each function is the spec's function of the same name, with its variable
names and its order of tests, amended by docs/deviations.md (D-ids cited
where they apply) and made refusal-safe by R1: a function that may refuse
takes `commit`; with commit=False it only runs the checks and returns the
refusal code (0 if it would succeed) without changing anything. The spec's
`(sdt', halt, ...)` becomes `0 / -KE_*`.
"""

try:
    from .constants import *  # noqa: F401,F403
except ImportError:  # run as a script from tests/model
    from constants import *  # noqa: F401,F403

ZERO3 = (0, 0, 0)  # ZMap.init of pt: "not mapped"
NO_PAGE = (INVALID, 0, INVALID64)  # s2page of a frame that is not RAM


class ModelHalt(Exception):
    """R5: a broken internal invariant (the C would arch_halt)."""


# ---- spec helpers --------------------------------------------------------------------------
def phys_page(x):
    return x & PHYS_MASK


def pgd_index(addr):  # npt: IPA bits 47:39
    return (addr >> 39) & 511


def pud_index(addr):  # npt: IPA bits 38:30
    return (addr >> 30) & 511


def pmd_index(addr):  # npt and spt: bits 29:21
    return (addr >> 21) & 511


def stage2_pgd_index(addr):  # spt (three levels): iova bits 38:30
    return (addr >> 30) & 511


def is_vm(vmid):
    return 1 <= vmid < COREVISOR


def is_vcpu(vcpuid):
    return 0 <= vcpuid < KCORE_MAX_VCPUS


WITHHELD = (COREVISOR, 0, INVALID64)  # D44: a frame outside RAM and the allow-list


class S2Page(dict):
    """spec: s2page. pfn -> (owner, count, gfn) for RAM; calling it is the spec's
    `pfn @ (s2page sdt)`, which reads a frame that is not RAM as (INVALID, 0, INVALID64).
    D44: only a frame of the host's MMIO allow-list (`host_mmio`, [(base, size)...])
    reads so; every other frame outside RAM reads as COREVISOR's."""

    def __init__(self, host_mmio=()):
        super().__init__()
        self.host_mmio = [(b // PAGE_SIZE, s // PAGE_SIZE) for b, s in host_mmio]

    def __call__(self, pfn):
        page = self.get(pfn)
        if page is not None:
            return page
        if any(0 <= pfn - first < n for first, n in self.host_mmio):
            return NO_PAGE
        return WITHHELD


class NPT:
    """spec: NPT. pt: gfn -> (pfn, level, pte); pgd_t: pgd indices that have a
    pud table; pud_t: (pgd, pud) pairs that have a pmd table; pmd_t: (pgd, pud,
    pmd) triples that have a pte table (the spec's ZMap bools, True = member)."""

    __slots__ = ('vmid', 'pt', 'pgd_t', 'pud_t', 'pmd_t', 'pt_pgd_next', 'pt_pud_next',
                 'pt_pmd_next')

    def __init__(self, vmid, pool):
        start, pud_start, pmd_start, _end = pool
        self.vmid = vmid
        self.pt = {}
        self.pgd_t = set()
        self.pud_t = set()
        self.pmd_t = set()
        # The root is the first page of the pool (deviations.md, "Constants").
        self.pt_pgd_next = start + PAGE_SIZE
        self.pt_pud_next = pud_start
        self.pt_pmd_next = pmd_start


class MemSpec:
    """Mixin of Model: the memory half of the spec."""

    # ---- state helpers (not spec functions) -------------------------------------------------
    def _s2page_set(self, pfn, page):
        if pfn not in self.s2page:
            raise ModelHalt('s2page_set outside RAM: %#x' % pfn)  # R5, as s2page_set in C
        old = self.s2page[pfn]
        if old[0] != page[0]:
            self.cleared.discard(pfn)
            # D68: each VM's page count (kc.vm_pages).
            if is_vm(old[0]):
                self.vm_pages[old[0]] -= 1
            if is_vm(page[0]):
                self.vm_pages[page[0]] += 1
        self.s2page[pfn] = page

    def _flatmem_set(self, pfn, val):
        """val None = the spec's oracle value (unknown to the model)."""
        if pfn in self.flatmem:
            self.flatmem[pfn] = val
            self.cleared.discard(pfn)

    def _pt_set(self, npt, gfn, entry):
        """ZMap.set gfn entry (pt npt), keeping the reverse map used by invariants()."""
        old = npt.pt.get(gfn)
        if old is not None and old[2] != 0:
            s = self.rmap.get(old[0])
            s.discard((npt.vmid, gfn))
            if not s:
                del self.rmap[old[0]]
        if entry[2] != 0:
            self.rmap.setdefault(entry[0], set()).add((npt.vmid, gfn))
        npt.pt[gfn] = entry

    @staticmethod
    def _must(rc):
        if rc != 0:
            raise ModelHalt('a checked change failed: %d' % rc)  # R5

    # ---- local_mmap_loop_h / local_mmap_h -----------------------------------------------
    def local_mmap_loop_h(self, n, gfn, pfn, level, pte, npt):
        # Fixpoint: after n steps, gfn+i -> (pfn+i, level, pte) for i < n.
        for _ in range(n):
            self._pt_set(npt, gfn, (pfn, level, pte))
            gfn, pfn = gfn + 1, pfn + 1
        return gfn, pfn

    def local_mmap_h(self, vmid, addr, level, pte, commit=True):
        """0, -KE_NOMEM (pool bound) or -KE_BLOCK (level 3 inside a block)."""
        npt = self.npts[vmid]
        _start, pud_start, pmd_start, pool_end = self.layout.pools[vmid]
        g, u, m = pgd_index(addr), pud_index(addr), pmd_index(addr)
        if level == 2:
            gfn = addr // PAGE_SIZE // PTRS_PER_PMD * PTRS_PER_PMD
            pfn = phys_page(pte) // PAGE_SIZE
            pgd_next_ = npt.pt_pgd_next if g in npt.pgd_t else npt.pt_pgd_next + PAGE_SIZE
            pud_next_ = npt.pt_pud_next if (g, u) in npt.pud_t else npt.pt_pud_next + PAGE_SIZE
            if pgd_next_ <= pud_start and pud_next_ <= pmd_start:
                if commit:
                    self.local_mmap_loop_h(PTRS_PER_PMD, gfn, pfn, 2, pte, npt)
                    npt.pgd_t.add(g)
                    npt.pud_t.add((g, u))
                    npt.pmd_t.discard((g, u, m))  # pmd_t ... # (pmd_index addr) == false
                    npt.pt_pgd_next, npt.pt_pud_next = pgd_next_, pud_next_
                return 0
            return -KE_NOMEM
        gfn = addr // PAGE_SIZE
        pfn = phys_page(pte) // PAGE_SIZE
        pfn0, level0, pte0 = npt.pt.get(gfn, ZERO3)
        if level0 == 2:
            return -KE_BLOCK
        pgd_next_ = npt.pt_pgd_next if g in npt.pgd_t else npt.pt_pgd_next + PAGE_SIZE
        pud_next_ = npt.pt_pud_next if (g, u) in npt.pud_t else npt.pt_pud_next + PAGE_SIZE
        pmd_next_ = npt.pt_pmd_next if (g, u, m) in npt.pmd_t else npt.pt_pmd_next + PAGE_SIZE
        if pgd_next_ <= pud_start and pud_next_ <= pmd_start and pmd_next_ <= pool_end:
            if commit:
                self.local_mmap_loop_h(1, gfn, pfn, 3, pte, npt)
                npt.pgd_t.add(g)
                npt.pud_t.add((g, u))
                npt.pmd_t.add((g, u, m))
                npt.pt_pgd_next, npt.pt_pud_next, npt.pt_pmd_next = pgd_next_, pud_next_, pmd_next_
            return 0
        return -KE_NOMEM

    def host_unmap(self, pfn, commit=True):
        """The spec's recurring
             match pfn @ (pt npt) with (pfn', level, pte) =>
             if pte =? 0 then (false, npt) else local_mmap_h HOSTVISOR (pfn * PAGE_SIZE) 3 PAGE_GUEST npt
        (deviations.md "host-unmap(pfn)"; never needs a pool page, D15)."""
        _pfn, _level, pte = self.npts[HOSTVISOR].pt.get(pfn, ZERO3)
        if pte == 0:
            return 0
        return self.local_mmap_h(HOSTVISOR, pfn * PAGE_SIZE, 3, PAGE_GUEST, commit)

    # ---- local_map_host ------------------------------------------------------------------
    def local_map_host(self, addr):
        if not addr < KVM_ADDR_SPACE:  # R3
            return -KE_RANGE
        pfn = addr // PAGE_SIZE
        page = self.s2page(pfn)
        owner, count, _gfn = page
        # D12: a VM page only if 0 < count < INVALID (not an SMMU-assigned page).
        if owner == INVALID or owner == HOSTVISOR or 0 < count < INVALID:
            pte = ((pfn * PAGE_SIZE) | (PAGE_S2_DEVICE | S2_RDWR) if owner == INVALID
                   else (pfn * PAGE_SIZE) | PAGE_S2_KERNEL)
            return self.local_mmap_h(HOSTVISOR, addr, 3, pte)
        return -KE_OWNER

    def vm_check_stopped(self, vmid):
        """D16 (kcore/mem_host.c vm_check_stopped): POWEROFF, no ACTIVE vCPU, no SMMU
        context of the VM; 0 or the refusal. CLEAR_VM_PAGE and DESTROY_VM (D68)."""
        info = self.vminfos[vmid]
        if info.state != POWEROFF:
            return -KE_STATE
        if ACTIVE in info.vcpu_state:
            return -KE_BUSY
        if vmid in self.smmu_vmid:
            return -KE_BUSY
        return 0

    # ---- local_clear_vm_page -------------------------------------------------------------
    def local_clear_vm_page(self, vmid, pfn):
        if not is_vm(vmid) or not pfn < PFN_SPACE:  # R3
            return -KE_RANGE
        ret = self.vm_check_stopped(vmid)
        if ret:
            return ret
        page = self.s2page(pfn)
        if page[0] == vmid:
            rc = self.host_unmap(pfn, commit=False)
            if rc:
                return rc
            self._must(self.host_unmap(pfn))
            page_ = (HOSTVISOR, 0, pfn + SMMU_HOST_OFFSET)
            self._s2page_set(pfn, page_)
            self._flatmem_set(pfn, 0)  # zeroed and cleaned
            self.cleared.add(pfn)
            return 0
        return -KE_OWNER  # R2 (spec: silent no-op)

    # ---- local_assign_pfn_to_vm ----------------------------------------------------------
    def local_assign_pfn_to_vm(self, vmid, gfn, pfn, commit=True):
        page = self.s2page(pfn)
        owner, count, gfn0 = page
        if owner == HOSTVISOR:
            if count == 0:
                rc = self.host_unmap(pfn, commit=False)
                if rc:
                    return rc
                if commit:
                    self._must(self.host_unmap(pfn))
                    self._s2page_set(pfn, (vmid, 0, gfn))
                    self._flatmem_set(pfn, None)  # fmem # pfn == dorc logn
                return 0
            return -KE_BUSY
        if owner == vmid and (gfn0 == INVALID64 or gfn == gfn0):
            if commit:
                # D11: store page', not page.
                page_ = (owner, 0 if count == INVALID else count, gfn if gfn0 == INVALID64 else gfn0)
                self._s2page_set(pfn, page_)
            return 0
        return -KE_OWNER

    # ---- local_map_pfn_vm ----------------------------------------------------------------
    def local_map_pfn_vm(self, vmid, addr, pte, level, commit=True):
        paddr = phys_page(pte)
        perm = PAGE_S2_KERNEL
        pte_ = (paddr | perm) & NOT_PMD_TABLE_BIT if level == 2 else paddr | perm
        level_ = 2 if level == 2 else 3
        return self.local_mmap_h(vmid, addr, level_, pte_, commit)

    # ---- prot_and_map_vm_s2pt_spec_h (+ prot_and_map_vm_loop_h) -------------------------
    def prot_and_map_vm_loop_h(self, n, vmid, gfn, pfn, commit=True):
        # D6: assign (gfn+i, pfn+i), i = 0..n-1 (the spec assigns (gfn, pfn) n times).
        for i in range(n):
            rc = self.local_assign_pfn_to_vm(vmid, gfn + i, pfn + i, commit)
            if rc:
                return rc
        return 0

    def prot_and_map_vm_s2pt_spec_h(self, vmid, addr, pte, level, commit=True):
        """With commit=False: every check of the whole operation, in order (R1)."""
        if level not in (2, 3):  # D24
            return -KE_RANGE
        target = phys_page(pte)
        pfn = target // PAGE_SIZE
        gfn = addr // PAGE_SIZE
        if level == 2:
            if pfn % PTRS_PER_PMD != 0:  # D8
                return -KE_ALIGN
            gfn_ = gfn // PTRS_PER_PMD * PTRS_PER_PMD
            num = PMD_PAGE_NUM
            rc = self.prot_and_map_vm_loop_h(num, vmid, gfn_, pfn, commit=False)
            if rc:
                return rc
            rc = self.local_map_pfn_vm(vmid, addr, pte, 2, commit=False)
            if rc:
                return rc
            if commit:
                self._must(self.prot_and_map_vm_loop_h(num, vmid, gfn_, pfn))
                self._must(self.local_map_pfn_vm(vmid, addr, pte, 2))
            return 0
        # D7: no map without a successful assign; with R1 neither happens.
        rc = self.local_assign_pfn_to_vm(vmid, gfn, pfn, commit=False)
        if rc:
            return rc
        rc = self.local_map_pfn_vm(vmid, addr, pte, 3, commit=False)
        if rc:
            return rc
        if commit:
            self._must(self.local_assign_pfn_to_vm(vmid, gfn, pfn))
            self._must(self.local_map_pfn_vm(vmid, addr, pte, 3))
        return 0

    # ---- local_map_io --------------------------------------------------------------------
    def local_map_io(self, vmid, gpa, pa):
        # D10: gpa and pa bounded (R3), so the frame checked is the frame mapped.
        if not is_vm(vmid) or not gpa < KVM_ADDR_SPACE or not pa < KVM_ADDR_SPACE:
            return -KE_RANGE
        info = self.vminfos[vmid]
        state = info.state
        if state == READY:
            gfn = gpa // PAGE_SIZE  # noqa: F841 (the spec's name; local_mmap_h recomputes it)
            pfn = pa // PAGE_SIZE
            pte = phys_page(pa) | (PAGE_S2_DEVICE | S2_RDWR)
            page = self.s2page(pfn)
            if page[0] == INVALID:
                return self.local_mmap_h(vmid, gpa, 3, pte)
            return -KE_OWNER  # R2
        return -KE_STATE

    # ---- local_grant_vm_page / local_revoke_vm_page -------------------------------------
    def local_grant_vm_page(self, vmid, pfn):
        owner, count, gfn = self.s2page(pfn)
        if owner == vmid and count < self.L.max_share_count:  # MAX_SHARE_COUNT (layout.h)
            self._s2page_set(pfn, (owner, count + 1, gfn))

    def local_revoke_vm_page(self, vmid, pfn):
        owner, count, gfn = self.s2page(pfn)
        # D13: a count of INVALID (SMMU-assigned page) is not revoked.
        if owner == vmid and count > 0 and count != INVALID:
            page_ = (owner, count - 1, gfn)
            if count == 1:
                self._must(self.host_unmap(pfn))  # D15: cannot fail (R5 if it did)
                self._flatmem_set(pfn, None)  # fmem # pfn == dorc logn
            self._s2page_set(pfn, page_)

    # ---- grant_stage2_loop / revoke_stage2_loop -----------------------------------------
    def _vm_entries(self, vmid, gfn0, n):
        """(gfn, entry) for gfn = gfn0 .. gfn0+n-1 that have an entry, ascending. Equivalent
        to walking the range one gfn at a time (every other gfn is skipped by the loop)."""
        pt = self.npts[vmid].pt
        if n <= len(pt):
            return [(g, pt[g]) for g in range(gfn0, gfn0 + n) if g in pt]
        return sorted((g, e) for g, e in pt.items() if gfn0 <= g < gfn0 + n)

    def grant_stage2_loop(self, n, vmid, addr):
        for gfn_, (_pfn, level, pte) in self._vm_entries(vmid, addr // PAGE_SIZE, n):
            pfn = phys_page(pte) // PAGE_SIZE
            if pfn == 0:
                continue
            pfn_ = pfn + (gfn_ & 511) if level == 2 else pfn
            self.local_grant_vm_page(vmid, pfn_)  # D9: pfn', not pfn

    def revoke_stage2_loop(self, n, vmid, addr):
        for gfn_, (_pfn, level, pte) in self._vm_entries(vmid, addr // PAGE_SIZE, n):
            pfn = phys_page(pte) // PAGE_SIZE
            if pfn == 0:
                continue
            pfn_ = pfn + (gfn_ & 511) if level == 2 else pfn
            self.local_revoke_vm_page(vmid, pfn_)  # D9; D15: no halt to overwrite

    # ---- ciphers (D34) -------------------------------------------------------------------
    def local_save_encrypt_buf(self, vmid, inbuf, outbuf):
        if not is_vm(vmid) or not inbuf < KVM_ADDR_SPACE or not outbuf < KVM_ADDR_SPACE:
            return -KE_RANGE
        if not self.L.boot_salt:  # D52: no boot salt, no keystream of its own
            return -KE_NOTSUPP
        inpfn = inbuf // PAGE_SIZE
        outpfn = outbuf // PAGE_SIZE
        inpage = self.s2page(inpfn)
        outpage = self.s2page(outpfn)
        # D41: the blob's header goes to the next page, which must be the host's too.
        if inpage[0] == vmid and outpage[0] == HOSTVISOR and \
                self.s2page(outpfn + 1)[0] == HOSTVISOR:
            info = self.vminfos[vmid]
            hdr, ct = self.export.seal(vmid, 1, inpage[2], info.export_seq,
                                       self.export.page_bytes(inpfn), self.vm_generation[vmid])
            info.export_seq += 1
            self._flatmem_set(outpfn, int.from_bytes(ct[:8], 'little'))
            self._flatmem_set(outpfn + 1, int.from_bytes(hdr[:8], 'little'))
            return 0
        return -KE_OWNER

    def local_load_decrypt_buf(self, vmid, inbuf):
        if not is_vm(vmid) or not inbuf < KVM_ADDR_SPACE:
            return -KE_RANGE
        pfn = inbuf // PAGE_SIZE
        info = self.vminfos[vmid]
        page = self.s2page(pfn)
        if info.state == READY:
            if page[0] != HOSTVISOR:
                return -KE_OWNER
            if page[1] != 0:
                return -KE_BUSY
            if self.s2page(pfn + 1)[0] != HOSTVISOR:
                return -KE_OWNER  # D41: the header page
            h = self.export.header(pfn + 1)
            if not self.export.header_ok(h, 1, vmid, None, PAGE_SIZE, self.vm_generation[vmid]):
                return -KE_AUTH
            pt = self.export.open(vmid, self.export.page_bytes(pfn + 1)[:64],
                                  self.export.page_bytes(pfn), self.vm_generation[vmid])
            if pt is None:
                return -KE_AUTH
            rc = self.host_unmap(pfn, commit=False)
            if rc:
                return rc
            self._must(self.host_unmap(pfn))
            self._s2page_set(pfn, (vmid, 0, h[5]))  # D41: at the gfn it was sealed for
            self._flatmem_set(pfn, int.from_bytes(pt[:8], 'little'))
            return 0
        return -KE_STATE

    # ---- mem_load_spec / mem_store_spec --------------------------------------------------
    def _mem_lookup(self, vmid, gfn):
        """gfn @ (pt (vmid @ npts)) -> pfn, or None when not mapped. The spec tests
        `pfn =? 0`; an unmapped entry here has pte 0 (PAGE_GUEST) and pfn 0, and
        pfn 0 is never RAM, so "pte == 0" is the same test for every RAM page."""
        pfn, _level, pte = self.npts[vmid].pt.get(gfn, ZERO3)
        return None if pte == 0 else pfn

    def mem_load_spec(self, vmid, gfn):
        """('fault', None) or ('value', v) with v None when the spec's oracle answers."""
        pfn = self._mem_lookup(vmid, gfn)
        if pfn is None:
            return 'fault', None
        page = self.s2page(pfn)
        if vmid == HOSTVISOR:
            ok = page[0] == HOSTVISOR
        else:
            ok = page[1] == 0  # rely: the VM is VERIFIED
        return 'value', (self.flatmem.get(pfn) if ok else None)

    def mem_store_spec(self, vmid, gfn, val):
        """'stored', 'shared' (the spec leaves flatmem to the oracle: unknown here) or 'fault'.
        A frame that is not RAM (a VM's MMIO page, count 0) is 'stored' as the spec says,
        but has no flatmem to record it in."""
        pfn = self._mem_lookup(vmid, gfn)
        if pfn is None:
            return 'fault'
        page = self.s2page(pfn)
        ok = page[0] == HOSTVISOR if vmid == HOSTVISOR else page[1] == 0
        if ok:
            self._flatmem_set(pfn, val & MASK64)  # (a frame that is not RAM has no flatmem)
            return 'stored'
        self._flatmem_set(pfn, None)
        return 'shared'
