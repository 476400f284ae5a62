"""HighSpecs, VM part: VM and vCPU states (vminfos), VM ids (core_data), boot
images and their remapping into KCore's window. See spec_mem.py for the
conventions (R1 check-then-commit, 0 / -KE_*)."""

try:
    from .constants import *  # noqa: F401,F403
    from .spec_mem import NPT, ZERO3, is_vm, is_vcpu, pgd_index, pud_index, pmd_index
    from .spec_vcpu import new_ctxt
except ImportError:
    from constants import *  # noqa: F401,F403
    from spec_mem import NPT, ZERO3, is_vm, is_vcpu, pgd_index, pud_index, pmd_index
    from spec_vcpu import new_ctxt


class VMInfo:
    """spec: VMInfo = VS (vm_state, vm_vcpu_state) + VB (BootInfo)."""

    __slots__ = ('state', 'vcpu_state', 'next_load_info', 'load_addr', 'load_size',
                 'remap_addr', 'mapped_pages', 'inc_exe', 'export_seq')

    def __init__(self):
        self.state = UNUSED
        self.vcpu_state = [UNUSED] * KCORE_MAX_VCPUS
        self.next_load_info = 0
        self.load_addr = [0] * MAX_LOAD_INFO_NUM
        self.load_size = [0] * MAX_LOAD_INFO_NUM
        self.remap_addr = [0] * MAX_LOAD_INFO_NUM
        self.mapped_pages = [0] * MAX_LOAD_INFO_NUM
        self.inc_exe = 0
        self.export_seq = 0  # D41: the VM's nonce counter (not in the compared tuple)

    def as_tuple(self):
        return (self.state, tuple(self.vcpu_state), self.next_load_info, tuple(self.load_addr),
                tuple(self.load_size), tuple(self.remap_addr), tuple(self.mapped_pages),
                self.inc_exe)


class CoreData:
    """spec: core_data. Calling it gives (next_vmid, next_remap_ptr, vmid_used) (the accessor).
    D68: vmid_used has bit v set for an id GEN_VMID handed out and no DESTROY_VM freed;
    next_vmid is the lowest free id (COREVISOR if none), next_remap_ptr the end of the
    highest window range a VM holds (remap_start if none)."""

    __slots__ = ('next_vmid', 'next_remap_ptr', 'vmid_used')

    def __init__(self, next_remap_ptr):
        self.next_vmid = 1
        self.next_remap_ptr = next_remap_ptr
        self.vmid_used = 0

    def __call__(self):
        return (self.next_vmid, self.next_remap_ptr, self.vmid_used)

    def lowest_free(self):
        for v in range(1, COREVISOR):
            if not self.vmid_used >> v & 1:
                return v
        return COREVISOR


class VmSpec:
    """Mixin of Model: the VM half of the spec."""

    # ---- vCPU states --------------------------------------------------------------------
    def local_set_vcpu_active(self, vmid, vcpuid, commit=True):
        info = self.vminfos[vmid]
        vms, vcpus = info.state, info.vcpu_state[vcpuid]
        if vms == VERIFIED and vcpus == READY:
            if commit:
                info.vcpu_state[vcpuid] = ACTIVE
            return 0
        return -KE_STATE

    def local_set_vcpu_inactive(self, vmid, vcpuid):
        info = self.vminfos[vmid]
        vcpus = info.vcpu_state[vcpuid]
        if vcpus == ACTIVE:
            info.vcpu_state[vcpuid] = READY
            return 0
        return -KE_STATE

    def local_set_vm_poweroff(self, vmid):
        self.vminfos[vmid].state = POWEROFF

    def local_poweroff_vm(self, vmid):
        """D33: KCORE_HC_POWEROFF_VM, the host stops a VM."""
        if not is_vm(vmid):
            return -KE_RANGE
        if self.vminfos[vmid].state not in (READY, VERIFIED):
            return -KE_STATE
        self.local_set_vm_poweroff(vmid)
        return 0

    def local_register_vcpu(self, vmid, vcpuid):
        if not is_vm(vmid) or not is_vcpu(vcpuid):
            return -KE_RANGE
        info = self.vminfos[vmid]
        vms, vcpus = info.state, info.vcpu_state[vcpuid]
        if vms == READY and vcpus == UNUSED:
            info.vcpu_state[vcpuid] = READY  # (shared_vcpu is not modelled)
            return 0
        return -KE_STATE

    # ---- VM ids and states ----------------------------------------------------------------
    def local_gen_vmid(self):
        """D68: the lowest id not handed out, not a bump pointer."""
        core = self.core_data
        vmid = core.next_vmid
        if vmid < COREVISOR:
            core.vmid_used |= 1 << vmid
            core.next_vmid = core.lowest_free()
            return vmid
        return -KE_FULL

    def _window_ranges(self):
        """D68: [lo, hi) of every load slot of every VM (what the window holds)."""
        out = []
        for v in range(1, COREVISOR):
            info = self.vminfos[v]
            for i in range(info.next_load_info):
                lo = info.remap_addr[i]
                out.append((lo, lo + (info.load_size[i] + 4095) // PAGE_SIZE * PAGE_SIZE))
        return out

    def _window_first_fit(self, nbytes):
        """D68: the lowest address from remap_start whose nbytes meet no held range."""
        cand = self.layout.remap_start
        ranges = sorted(self._window_ranges())
        for lo, hi in ranges:
            if cand < hi and lo < cand + nbytes:
                cand = hi
        return cand

    def local_destroy_vm(self, vmid):
        """D68: KCORE_HC_DESTROY_VM. D16's tests (POWEROFF, no ACTIVE vCPU, no SMMU
        context), then no page the VM's (-KE_BUSY), then the generation's bound; the
        VM's pool emptied, its window ranges unmapped, its info and contexts as at
        boot, its id free, its generation + 1."""
        if not is_vm(vmid):
            return -KE_RANGE
        info = self.vminfos[vmid]
        ret = self.vm_check_stopped(vmid)  # D16: POWEROFF, no ACTIVE vCPU, no SMMU context
        if ret:
            return ret
        if self.vm_pages[vmid] != 0:
            return -KE_BUSY
        if self.vm_generation[vmid] == 0xFFFFFFFF:
            return -KE_FULL
        npt = self.npts[vmid]
        for gfn in list(npt.pt):
            self._pt_set(npt, gfn, ZERO3)
        self.npts[vmid] = NPT(vmid, self.layout.pools[vmid])
        core_npt = self.npts[COREVISOR]
        for i in range(info.next_load_info):
            for k in range(info.mapped_pages[i]):
                g = info.remap_addr[i] // PAGE_SIZE + k
                if core_npt.pt.get(g, ZERO3)[2] != 0:
                    self._pt_set(core_npt, g, ZERO3)
        self.vminfos[vmid] = VMInfo()
        for c in range(KCORE_MAX_VCPUS):
            self.shadow_ctxts[(vmid, c)] = new_ctxt(True)
        self.vm_generation[vmid] += 1
        core = self.core_data
        core.vmid_used &= ~(1 << vmid)
        core.next_vmid = core.lowest_free()
        core.next_remap_ptr = max([hi for _lo, hi in self._window_ranges()],
                                  default=self.layout.remap_start)
        return 0

    def local_register_kvm(self, vmid):
        if not is_vm(vmid):
            return -KE_RANGE
        info = self.vminfos[vmid]
        vms = info.state
        if vms == UNUSED:
            info.state = READY  # (shared_kvm is not modelled)
            return 0
        return -KE_STATE

    # ---- boot images ------------------------------------------------------------------------
    def local_set_boot_info(self, vmid, load_addr, size):
        if not is_vm(vmid):
            return -KE_RANGE
        info = self.vminfos[vmid]
        core = self.core_data
        vms = info.state
        if vms != READY:
            return -KE_STATE
        # D28: aligned, inside KVM_ADDR_SPACE, size not 0.
        if load_addr % PAGE_SIZE != 0:
            return -KE_ALIGN
        if load_addr + size > KVM_ADDR_SPACE:
            return -KE_RANGE
        if size == 0:
            return -KE_RANGE
        load_idx = info.next_load_info
        if not load_idx < MAX_LOAD_INFO_NUM:
            return -KE_FULL  # D14 (spec: silently dropped)
        pgnum = (size + 4095) // PAGE_SIZE
        remap = self._window_first_fit(pgnum * PAGE_SIZE)  # D68 (spec: core.next_remap_ptr)
        if 0 < pgnum and remap + pgnum * PAGE_SIZE < self.layout.remap_end:
            core.next_remap_ptr = max(core.next_remap_ptr, remap + pgnum * PAGE_SIZE)
            info.next_load_info = load_idx + 1
            info.load_addr[load_idx] = load_addr
            info.load_size[load_idx] = size
            info.remap_addr[load_idx] = remap
            info.mapped_pages[load_idx] = 0
            return load_idx
        return -KE_FULL  # D28: window overflow

    def local_remap_vm_image(self, vmid, pfn, load_idx):
        if not is_vm(vmid) or not pfn < PFN_SPACE:
            return -KE_RANGE
        info = self.vminfos[vmid]
        vms = info.state
        if vms != READY:
            return -KE_STATE
        load_cnt = info.next_load_info
        if not load_idx < load_cnt:
            return -KE_RANGE  # R2
        size, remap, mapped = (info.load_size[load_idx], info.remap_addr[load_idx],
                               info.mapped_pages[load_idx])
        pgnum = (size + 4095) // PAGE_SIZE
        target = remap + mapped * PAGE_SIZE
        if not mapped < pgnum:
            return -KE_FULL  # R2
        if self.s2page(pfn)[0] != HOSTVISOR:
            return -KE_OWNER  # D27
        rc = self.local_mmap_h(COREVISOR, target, 3, (pfn * PAGE_SIZE) | PAGE_HYP)
        if rc:
            return rc
        info.mapped_pages[load_idx] = mapped + 1
        return 0

    def local_verify_vm(self, vmid):
        """D29 + D40 (+ D50, D51): check everything, take the pages from the host, authenticate the
        images (the spec's Parameter verify_img: self.verify_img, which the differential
        driver makes a real Ed25519 check over the bytes), then map them (VERIFIED) or
        scrub them back to the host (POWEROFF, -KE_AUTH)."""
        if not is_vm(vmid):
            return -KE_RANGE
        if not self.L.vms_allowed:
            return -KE_NOTSUPP  # D45: no DMA isolation and no KCORE_INSECURE_DMA opt-in
        info = self.vminfos[vmid]
        state = info.state
        if state != READY:
            return -KE_STATE
        n = info.next_load_info
        pgnum = [(info.load_size[i] + 4095) // PAGE_SIZE for i in range(n)]
        # D29: every load slot completely remapped.
        for idx in range(n):
            if info.mapped_pages[idx] != pgnum[idx]:
                return -KE_STATE
        # D40: no two slots overlap in the IPA space.
        starts = [info.load_addr[i] // PAGE_SIZE for i in range(n)]
        for i in range(n):
            for j in range(i):
                if starts[i] < starts[j] + pgnum[j] and starts[j] < starts[i] + pgnum[i]:
                    return -KE_RANGE
        # D40: every page the host's, count 0, and in the images once, in slot order.
        pages, seen = [], set()
        for i in range(n):
            for k in range(pgnum[i]):
                pfn = self.lookup(COREVISOR, info.remap_addr[i] // PAGE_SIZE + k)[0]
                owner, count, _gfn = self.s2page(pfn)
                if owner != HOSTVISOR or pfn in seen:
                    return -KE_OWNER
                if count != 0:
                    return -KE_BUSY
                seen.add(pfn)
                pages.append((pfn, starts[i] + k))
        rc = self._verify_map_check(vmid, [g for _p, g in pages])
        if rc:
            return rc
        # Take the pages: host-unmap (TLB), then owner vmid at the image's gfn.
        for pfn, gfn in pages:
            self._must(self.host_unmap(pfn))
            self._s2page_set(pfn, (vmid, 0, gfn))
        if not self.verify_img(vmid, info):
            for pfn, _gfn in pages:
                self._s2page_set(pfn, (HOSTVISOR, 0, pfn + SMMU_HOST_OFFSET))
                self._flatmem_set(pfn, 0)  # scrubbed
                self.cleared.add(pfn)
            info.state = POWEROFF
            return -KE_AUTH
        # D51: the bytes of each image's last page after the file are zeroed (flatmem
        # keeps first words: only a file ending in the first 8 bytes of its last page
        # shows it there).
        for i in range(n):
            used = info.load_size[i] % PAGE_SIZE
            if used:
                pfn = self.lookup(COREVISOR, info.remap_addr[i] // PAGE_SIZE + pgnum[i] - 1)[0]
                word = self.flatmem.get(pfn)
                if word is not None and used < 8:
                    self._flatmem_set(pfn, word & ((1 << (8 * used)) - 1))
        # D50: the clean+invalidate after the take and the I-cache invalidate after the
        # map change no state the model keeps (the unit tests check them).
        for pfn, gfn in pages:
            self._must(self.local_map_pfn_vm(vmid, gfn * PAGE_SIZE, pfn * PAGE_SIZE, 3))
        info.state = VERIFIED
        return 0

    def _verify_map_check(self, vmid, gfns):
        """D40: the level-3 maps of all gfns, as one plan: -KE_BLOCK, else -KE_NOMEM if
        the new tables they need (each counted once) do not fit the pool."""
        npt = self.npts[vmid]
        _start, pud_start, pmd_start, pool_end = self.layout.pools[vmid]
        for g in gfns:
            if npt.pt.get(g, (0, 0, 0))[1] == 2:
                return -KE_BLOCK
        need = [set(), set(), set()]
        for g in gfns:
            a = g * PAGE_SIZE
            k = (pgd_index(a), pud_index(a), pmd_index(a))
            if k[0] not in npt.pgd_t:
                need[0].add(k[0])
            if k[:2] not in npt.pud_t:
                need[1].add(k[:2])
            if k not in npt.pmd_t:
                need[2].add(k)
        if (npt.pt_pgd_next + len(need[0]) * PAGE_SIZE <= pud_start
                and npt.pt_pud_next + len(need[1]) * PAGE_SIZE <= pmd_start
                and npt.pt_pmd_next + len(need[2]) * PAGE_SIZE <= pool_end):
            return 0
        return -KE_NOMEM

    def local_load_encryted_vcpu(self, vmid, vcpuid, inbuf):
        if not is_vm(vmid) or not is_vcpu(vcpuid) or not inbuf < KVM_ADDR_SPACE:
            return -KE_RANGE
        info = self.vminfos[vmid]
        vms, vcpus = info.state, info.vcpu_state[vcpuid]
        if not (vms == READY and vcpus == READY):
            return -KE_STATE
        pfn = inbuf // PAGE_SIZE
        if self.s2page(pfn)[0] != HOSTVISOR:
            return -KE_OWNER  # D41: the blob is a host page
        nbytes = 8 * NR_CTXT_REGS
        blob = self.export.page_bytes(pfn)
        gen = self.vm_generation[vmid]  # D68
        if not self.export.header_ok(self.export.header(pfn), 2, vmid, vcpuid, nbytes, gen):
            return -KE_AUTH
        pt = self.export.open(vmid, blob[:64], blob[64:64 + nbytes], gen)
        if pt is None:
            return -KE_AUTH
        regs = [int.from_bytes(pt[8 * i:8 * i + 8], 'little') for i in range(NR_CTXT_REGS)]
        regs[DIRTY] = INVALID64  # D41: never run here; the first run keeps the registers
        self.shadow_ctxts[(vmid, vcpuid)] = regs
        info.inc_exe = 1
        return 0

    def local_save_encrypted_vcpu(self, vmid, vcpuid, outbuf):
        """D41 (a hypercall the spec does not have)."""
        if not is_vm(vmid) or not is_vcpu(vcpuid) or not outbuf < KVM_ADDR_SPACE:
            return -KE_RANGE
        if not self.L.boot_salt:  # D52: no boot salt, no keystream of its own
            return -KE_NOTSUPP
        info = self.vminfos[vmid]
        if info.vcpu_state[vcpuid] != READY:
            return -KE_STATE
        pfn = outbuf // PAGE_SIZE
        if self.s2page(pfn)[0] != HOSTVISOR:
            return -KE_OWNER
        pt = b''.join(v.to_bytes(8, 'little') for v in self.shadow(vmid, vcpuid))
        hdr, _ct = self.export.seal(vmid, 2, vcpuid, info.export_seq, pt,
                                    self.vm_generation[vmid])
        info.export_seq += 1
        self._flatmem_set(pfn, int.from_bytes(hdr[:8], 'little'))
        return 0

    # ---- search_load_info_loop_h ------------------------------------------------------------
    @staticmethod
    def search_load_info_loop_h(n, idx, addr, ret, info):
        for _ in range(n):
            base, size, remap = info.load_addr[idx], info.load_size[idx], info.remap_addr[idx]
            if addr >= base and addr < base + size:
                ret = (addr - base) + remap
            idx += 1
        return idx, ret
