"""Random operation sequences for the differential test.

Each operation is a plain tuple, so a failing sequence prints as Python and
replays as is. The generator looks at the model's state to make likely
requests (a VM that exists, an entry point inside its image, a page the host
owns) most of the time, and hostile ones the rest of the time: wrong owner,
wrong state, out-of-range indices, unaligned addresses, size 0, pages of
KCore, another VM's pages, repeated calls.
"""
import random

import constants as K
import images
from spec_pin import extent_pfns

PAGE = 4096
RAM_PFN0 = K.KCORE_RAM_BASE >> 12
GUEST_GFN0 = 0x40000          # guest RAM at 1 GB, like QEMU virt
GUEST_GFNS = 8 * 512          # eight 2 MB blocks of guest RAM: more than a VM pool holds
MMIO_GFNS = [0x09000, 0x09001, 0x0a000, 0x08010]
HOSTILE64 = [0, 1, 0xFFF, 1 << 40, (1 << 40) - 1, 1 << 47, 1 << 63, (1 << 64) - 1, 0xFFFFFFFF]
HC = dict(
    NOP=K.KCORE_HC_NOP, GEN_VMID=K.KCORE_HC_GEN_VMID, REGISTER_KVM=K.KCORE_HC_REGISTER_KVM,
    REGISTER_VCPU=K.KCORE_HC_REGISTER_VCPU, SET_BOOT_INFO=K.KCORE_HC_SET_BOOT_INFO,
    REMAP_VM_IMAGE=K.KCORE_HC_REMAP_VM_IMAGE, VERIFY_VM=K.KCORE_HC_VERIFY_VM,
    CLEAR_VM_PAGE=K.KCORE_HC_CLEAR_VM_PAGE, MAP_IO=K.KCORE_HC_MAP_IO,
    SMMU_ALLOC=K.KCORE_HC_SMMU_ALLOC, SMMU_FREE=K.KCORE_HC_SMMU_FREE,
    SMMU_ASSIGN=K.KCORE_HC_SMMU_ASSIGN, SMMU_MAP=K.KCORE_HC_SMMU_MAP,
    SMMU_CLEAR=K.KCORE_HC_SMMU_CLEAR, SMMU_IOVA_TO_PHYS=K.KCORE_HC_SMMU_IOVA_TO_PHYS,
    SAVE_ENCRYPT_BUF=K.KCORE_HC_SAVE_ENCRYPT_BUF, LOAD_DECRYPT_BUF=K.KCORE_HC_LOAD_DECRYPT_BUF,
    LOAD_ENCRYPTED_VCPU=K.KCORE_HC_LOAD_ENCRYPTED_VCPU, POWEROFF_VM=K.KCORE_HC_POWEROFF_VM,
    SAVE_ENCRYPTED_VCPU=K.KCORE_HC_SAVE_ENCRYPTED_VCPU,
    SMMU_ATTACH=K.KCORE_HC_SMMU_ATTACH, SMMU_DETACH=K.KCORE_HC_SMMU_DETACH,
    DESTROY_VM=K.KCORE_HC_DESTROY_VM)


class Gen:
    def __init__(self, rng, model, layout):
        self.r = rng
        self.m = model
        self.L = layout
        self.vm_pages = []     # pfns recently given to VMs (to aim at them)
        self.pending = []      # operations queued by a guided step (the image loads)
        self.downhill = {}     # gfn -> its share count is being revoked down to 0
        self.images = {}       # (vmid, slot, load, size) -> the signed image bytes
        self.key = images.load_signing_key()
        # D42: device (stream) operations draw from their own generator, so that
        # the other operations' random sequence stays what it was without them.
        self.d = random.Random(rng.getstate()[1][1])
        self.deferred = []  # a main operation put back behind a device one (D42)
        self.assigned = []  # pfns the host asked to give through the SMMU
        self.core_pfn0 = layout.core_start >> 12
        self.core_pages = (layout.core_end - layout.core_start) >> 12
        # D60: pins too draw from a generator of their own (the others stay as they were).
        self.p = random.Random(rng.getstate()[1][2])
        # D68: blobs saved so far, (kind, vmid, vcpu, host pfn, generation), for
        # replays into a later VM on the same id.
        self.blobs = []

    def top(self):
        """D68: one past the highest id in use (handed out, or a VM that exists): with
        reuse, next_vmid is the lowest free id, not a bound of the live ones."""
        used, top = self.m.core_data()[2], 1
        for v in range(1, K.COREVISOR):
            if used >> v & 1 or self.m.vminfos[v].state != K.UNUSED:
                top = v + 1
        return top

    def n_used(self):
        return bin(self.m.core_data()[2]).count('1')

    # ---- value choosers ---------------------------------------------------
    def chance(self, p):
        return self.r.random() < p

    def vmid(self):
        nxt = self.top()
        if self.chance(0.75) and nxt > 1:
            return self.r.randrange(1, nxt)
        if self.chance(0.6):
            return self.r.randrange(1, K.COREVISOR)
        return self.r.choice([0, K.COREVISOR, K.COREVISOR + 1, 0xFFFFFFFF, (1 << 64) - 1])

    def vcpuid(self):
        if self.chance(0.85):
            return self.r.randrange(0, 3)
        if self.chance(0.5):
            return self.r.randrange(0, K.KCORE_MAX_VCPUS)
        return self.r.choice([K.KCORE_MAX_VCPUS, 255, (1 << 64) - 1])

    def pfn(self):
        x = self.r.random()
        if x < 0.45:
            return RAM_PFN0 + self.r.randrange(0, 64)          # a small hot set of host pages
        if x < 0.60:
            return RAM_PFN0 + self.r.randrange(0, self.L.ram_pages)
        if x < 0.75 and self.vm_pages:
            return self.r.choice(self.vm_pages)
        if x < 0.82:
            return self.core_pfn0 + self.r.randrange(0, self.core_pages)
        if x < 0.90:
            # D44: frames on the MMIO allow-list (UART, GICD, flash, a redistributor's
            # plain page, ECAM, the 64-bit window) and withheld ones (the SMMU, fw_cfg,
            # virtio-mmio, a mediated redistributor page).
            return self.r.choice([0x09000, 0x09050, 0x09051, 0x08000, 0, 0x080a1, 0x4010000,
                                  0x8000000, 0x09020, 0x0a000, 0x080a0])
        if x < 0.95:
            return RAM_PFN0 + 512 * self.r.randrange(0, self.L.ram_pages // 512)
        return self.r.choice(HOSTILE64)

    def guest_gfn(self):
        x = self.r.random()
        if x < 0.8:
            return GUEST_GFN0 + self.r.randrange(0, GUEST_GFNS)
        if x < 0.9:
            return self.r.choice(MMIO_GFNS)
        return self.r.choice([0, 1, (1 << 28) - 1, 1 << 28, (1 << 52) - 1])

    def addr_of_gfn(self, gfn):
        a = gfn * PAGE
        if self.chance(0.1):
            a += self.r.randrange(1, PAGE)          # unaligned
        return a & ((1 << 64) - 1)

    def live_vcpus(self, want_state):
        out = []
        for v in range(1, self.top()):
            info = self.m.vminfo(v)
            for c in range(3):
                if info[1][c] == want_state:
                    out.append((v, c))
        return out

    # ---- operations ----------------------------------------------------------
    def op(self):
        """The next operation. D42's device operations and D60's pins are interleaved:
        the other operations are generated exactly as without them (same random draws),
        and a pin, then a device operation, when there is one, go first (a pin only when
        no guided sequence is queued, which it would split)."""
        if self.pending:
            return self.pending.pop(0)
        if self.deferred:
            return self.deferred.pop()
        main = self.main_op()
        if main[0] == 'call' and main[1] == HC['SMMU_ASSIGN'] and len(main) > 4:
            self.assigned = (self.assigned + [main[4]])[-32:]
        dev = self.dev_extra()
        pins = self.pin_extra() if not self.pending else []
        queue = pins + ([dev] if dev else []) + [main]
        self.deferred += queue[:0:-1]  # a stack: the rest of the queue, last first
        return queue[0]

    def dev_extra(self):
        d, m = self.d, self.m
        # A powered-off VM's contexts go at once (CLEAR_VM_PAGE waits for it, D16).
        for ctx, o in enumerate(m.smmu_vmid()):
            if 0 < o < K.COREVISOR and m.vminfo(o)[0] == K.POWEROFF and d.random() < 0.5:
                return self._ctx_call('SMMU_FREE', ctx)
        x = d.random()
        if x < 0.03:
            return self.dev_random()
        if x < 0.05:
            return self.grant_extra()
        if x < 0.06:
            return self.smmu_page_extra()
        nxt = self.top()
        if x < 0.10 and nxt > 1:
            return self.dev_op(d.randrange(0, nxt))
        return None

    def main_op(self):
        if self.chance(0.4):
            g = self.guided()
            if g:
                return g
        x = self.r.random()
        if x < 0.30:
            return self.host_op()
        if x < 0.45:
            return self.run_op()
        if x < 0.62:
            return self.exit_op()
        if x < 0.72:
            return ('fault', self.fault_addr())
        if x < 0.80:
            return ('host_store', self.fault_addr(), self.r.getrandbits(64))
        if x < 0.86:
            return ('vm_store', self.vmid(), self.guest_gfn(), self.r.getrandbits(64))
        if x < 0.90:
            return ('dev_store', self.r.randrange(0, 2), self.r.randrange(0, 8), self.iova_gfn(),
                    self.r.getrandbits(64))
        return self.smmu_op()

    # ---- the usual life of a VM, one step at a time ------------------------
    def host_pfn(self, lo=64, hi=None):
        """A page the host owns with count 0 (a few tries), else any RAM page."""
        hi = hi or (self.core_pfn0 - RAM_PFN0)
        for _ in range(8):
            pfn = RAM_PFN0 + self.r.randrange(lo, hi)
            if tuple(self.m.s2page(pfn))[:2] == (K.HOSTVISOR, 0):
                return pfn
        return pfn

    # ---- D42: devices (streams) attached to contexts ----------------------------
    def _owned(self, v):
        return [i for i, o in enumerate(self.m.smmu_vmid()) if o == v]

    def _ctx_call(self, name, ctx, *pre):
        return ('call', HC[name]) + pre + (ctx % K.KCORE_SMMU_MAX_CFG, ctx // K.KCORE_SMMU_MAX_CFG)

    def dev_op(self, v):
        """A device operation for principal v (0: the host) or None: a VM being built
        gets a context and a device; the host attaches, detaches, frees its empty
        contexts, and tries to take a verified VM's device; a powered-off VM's
        contexts are freed (D16 waits for it; its devices are detached)."""
        d, m = self.d, self.m
        owned = self._owned(v)
        streams = m.streams
        if v == 0:
            if not owned:
                return None
            ctx = d.choice(owned)
            x = d.random()
            if x < 0.7:
                return self._ctx_call('SMMU_ATTACH', ctx, d.randrange(0, 8))
            if x < 0.9:
                return ('call', HC['SMMU_DETACH'], d.randrange(0, 8), ctx // K.KCORE_SMMU_MAX_CFG)
            if not m.spt_mappings(ctx // K.KCORE_SMMU_MAX_CFG, ctx % K.KCORE_SMMU_MAX_CFG):
                return self._ctx_call('SMMU_FREE', ctx)
            return None
        state = m.vminfo(v)[0]
        if state == K.READY:
            if not owned and v % 4 != 3:
                return None  # the other VMs keep the contexts the other operations give them
            if not owned:
                free = [i for i, o in enumerate(m.smmu_vmid())
                        if o == K.INVALID and i % K.KCORE_SMMU_MAX_CFG < 4]
                return self._ctx_call('SMMU_ALLOC', d.choice(free), v) if free else None
            ctx = d.choice(owned)
            if d.random() < 0.5:  # a page for the VM through its context (D12's pages)
                pfn = RAM_PFN0 + d.randrange(0, 64)
                self.assigned = (self.assigned + [pfn])[-32:]
                return ('call', HC['SMMU_ASSIGN'], ctx % K.KCORE_SMMU_MAX_CFG,
                        ctx // K.KCORE_SMMU_MAX_CFG, pfn, GUEST_GFN0 + d.randrange(0, 64))
            return self._ctx_call('SMMU_ATTACH', ctx, d.randrange(0, 8))
        mine = [k for k, cb in streams.items() if k[0] * K.KCORE_SMMU_MAX_CFG + cb in owned]
        if state == K.VERIFIED and mine:  # the host tries to take the VM's device
            index, stream = d.choice(mine)
            if d.random() < 0.5:
                return ('call', HC['SMMU_DETACH'], stream, index)
            return ('call', HC['SMMU_ATTACH'], stream, d.randrange(0, 4), index)
        return None

    def grant_extra(self):
        """Sharing, interleaved from the device generator so that it stays as frequent
        as before the device operations were interleaved: a running vCPU grants or
        revokes one of its VM's first pages, or the host touches a page shared with it
        (and so maps it: a revoke to 0 must unmap it); share counts reach
        MAX_SHARE_COUNT and go back to 0."""
        d, m = self.d, self.m
        active = self.live_vcpus(K.ACTIVE)
        if not active:
            return None
        v, c = d.choice(active)
        maps = m.mappings(v)
        gfns = sorted(maps)
        if not gfns:
            return None
        gfn = d.choice(gfns[:2])
        pfn = maps[gfn][0]
        if 0 < m.s2page(pfn)[1] < K.INVALID and d.random() < 0.3:
            return ('fault', pfn * PAGE)
        regs = [0] * 31
        regs[0] = K.HVC_KVM_SET_DESC_PFN if d.random() < 0.6 else K.HVC_KVM_UNSET_DESC_PFN
        regs[2], regs[3] = gfn * PAGE, PAGE
        hw = dict(ec=K.ARM_EXCEPTION_TRAP, regs=regs, pc=0x40080000, pstate=0x3C5,
                  esr=(K.ESR_ELx_EC_HVC64 << 26) | (1 << 25), far=0, hpfar=0)
        return ('exit', v, c, hw)

    def smmu_page_extra(self):
        """The host touches a page it gave a VM through the SMMU (count INVALID,
        D12: refused), interleaved like the device operations, which hand such pages
        back sooner (they free powered-off VMs' contexts)."""
        d, m = self.d, self.m
        pages = [p for p in self.assigned if m.s2page(p)[1] == K.INVALID]
        if not pages:
            return None
        pfn = d.choice(pages)
        if d.random() < 0.5:
            return ('fault', pfn * PAGE)
        return ('host_store', pfn * PAGE, d.getrandbits(64))

    # ---- D60: host pages pinned for the devices KCore mediates ----------------------
    def pin_extra(self):
        """A few pins in a hundred steps, as a list of operations (empty: none): pin or
        move a slot's extent, release one, or pin and then try to take a pinned page
        (each path that takes a host page must refuse it, -KE_BUSY). The pins aim
        mostly at the hot host pages the other operations use, so that those meet
        them too, and share a few slots, so that extents move and overlap."""
        p, m = self.p, self.m
        if p.random() >= 0.05:
            return []
        pinned = [s for s, e in enumerate(m.pin) if e[1]]
        x = p.random()
        if pinned and x < 0.25:  # release (the base of an empty extent does not matter)
            return [('pin', p.choice(pinned), 0 if p.random() < 0.8 else self.pin_base(), 0)]
        if pinned and x < 0.5:
            pfns = [pfn for e in m.pin for pfn in extent_pfns(*e)]
            take = self.pin_take(p.choice(pfns))
            return [take] if take else []
        op = ('pin', self.pin_slot(), self.pin_base(), self.pin_size())
        if p.random() < 0.3 and 0 < op[3] <= PAGE:
            take = self.pin_take(op[2] >> 12)
            return [op, take] if take else [op]
        return [op]

    def pin_slot(self):
        p, n = self.p, self.L.pin_slots
        x = p.random()
        if x < 0.7:
            return p.randrange(0, 6)  # a few slots: their extents move and overlap
        if x < 0.9:
            return p.randrange(0, n)
        # out of range, or past 32 bits (kcore_host_pin's slot is a u32: 1 << 32 is slot 0)
        return p.choice([n, n + 1, 255, 0xFFFFFFFF, 1 << 32, (1 << 32) + n, (1 << 64) - 1])

    def pin_base(self):
        p = self.p
        x = p.random()
        if x < 0.45:
            pfn = RAM_PFN0 + p.randrange(0, 64)  # the hot host pages
        elif x < 0.6:
            pfn = RAM_PFN0 + p.randrange(64, self.core_pfn0 - RAM_PFN0)
        elif x < 0.7 and self.vm_pages:
            pfn = p.choice(self.vm_pages)  # a VM's, or a host page an image was loaded into
        elif x < 0.75 and self.assigned:
            pfn = p.choice(self.assigned)  # given (or to be given) through the SMMU
        elif x < 0.82:
            pfn = self.core_pfn0 + p.choice([-1, 0, p.randrange(0, self.core_pages)])  # KCore's
        elif x < 0.88:
            pfn = p.choice([0x09000, 0x080a1, 0x09020, 0x4010000, 0, RAM_PFN0 - 1])  # not RAM
        elif x < 0.94:  # at or past the end of the address space
            return p.choice([K.KVM_ADDR_SPACE - PAGE, K.KVM_ADDR_SPACE - 1, K.KVM_ADDR_SPACE,
                             1 << 52, (1 << 64) - PAGE])
        else:
            pfn = RAM_PFN0 + 512 * p.randrange(1, (self.core_pfn0 - RAM_PFN0) // 512) - 1  # 2 MB edge
        return pfn * PAGE + (p.randrange(1, PAGE) if p.random() < 0.15 else 0)

    def pin_size(self):
        p, mx = self.p, self.L.pin_max_pages
        x = p.random()
        if x < 0.08:
            return 0
        if x < 0.45:
            return PAGE * p.randrange(1, 4)
        if x < 0.6:
            return p.randrange(1, 3 * PAGE)  # partial pages: the extent covers each one
        if x < 0.75:
            return PAGE * p.randrange(4, mx // 2 + 1)  # a few reach KCORE_PIN_MAX_PAGES
        if x < 0.88:  # at the bound (unaligned, one page more), or one byte past it
            return p.choice([mx * PAGE, mx * PAGE - 1, (mx - 1) * PAGE + 1, mx * PAGE + 1])
        return p.choice([K.KVM_ADDR_SPACE, K.KVM_ADDR_SPACE + 1, 1 << 63, (1 << 64) - 1])

    def pin_take(self, pfn):
        """An operation that tries to take (or device-map) host page pfn, pinned or about
        to be, through one of the paths that take host pages, or None."""
        p, m = self.p, self.m
        nxt = self.top()
        owners = m.smmu_vmid()
        vms = [(v, m.vminfo(v)) for v in range(1, nxt)]
        ready = [v for v, i in vms if i[0] == K.READY]
        x = p.random()
        # (a first run does not look at the mapping request)
        runnable = [(v, c) for v, i in vms if i[0] == K.VERIFIED for c in range(2)
                    if i[1][c] == K.READY and m.shadow(v, c)[K.DIRTY] != K.INVALID64]
        if x < 0.3 and runnable:  # a mapping request: assign, of the page or of its 2 MB block
            v, c = p.choice(runnable)
            info = m.vminfo(v)
            run = dict(regs=[0] * 31, entry_pc=info[3][0] if info[2] else 0, entry_pstate=0x3C5,
                       map_level=3, request=0,
                       map_addr=(GUEST_GFN0 + p.randrange(0, 2048)) * PAGE, map_pte=pfn * PAGE | 3)
            if p.random() < 0.2:
                run['map_level'], run['map_pte'] = 2, (pfn & ~511) * PAGE | 3
                run['map_addr'] = (GUEST_GFN0 + 512 * p.randrange(0, 4)) * PAGE
            return ('run', v, c, run)
        vm_ctx = [i for i, o in enumerate(owners) if o in ready]
        if x < 0.5 and vm_ctx:
            ctx = p.choice(vm_ctx)
            return ('call', HC['SMMU_ASSIGN'], ctx % K.KCORE_SMMU_MAX_CFG, ctx // K.KCORE_SMMU_MAX_CFG,
                    pfn, GUEST_GFN0 + p.randrange(0, 64))
        if x < 0.65 and ready:
            return ('call', HC['LOAD_DECRYPT_BUF'], p.choice(ready), pfn * PAGE)
        if x < 0.8 and ready:  # an image page: VERIFY_VM must not take it while pinned
            v = p.choice(ready)
            info = m.vminfo(v)
            slots = [i for i in range(info[2]) if info[6][i] < (info[4][i] + PAGE - 1) // PAGE]
            if slots:
                return ('call', HC['REMAP_VM_IMAGE'], v, pfn, p.choice(slots))
            return ('call', HC['VERIFY_VM'], v)
        host_ctx = [i for i, o in enumerate(owners) if o == K.HOSTVISOR]
        if x < 0.9 and host_ctx:  # a device mapping counts on top of the pins
            ctx = p.choice(host_ctx)
            return ('call', HC['SMMU_MAP'], ctx % K.KCORE_SMMU_MAX_CFG, ctx // K.KCORE_SMMU_MAX_CFG,
                    pfn * PAGE, pfn * PAGE | 3)
        return ('host_store', pfn * PAGE, p.getrandbits(64))  # still the host's to use

    def dev_random(self):
        """A hostile device operation: any stream (some out of range), any context."""
        d = self.d
        stream = d.choice([0, 1, 2, 3, 5, 7, K.KCORE_SMMU_STREAMS - 1, K.KCORE_SMMU_STREAMS])
        index, cb = d.choice([0, 0, 1, 2]), d.choice([0, 1, 2, 3, 5, 8])
        if d.random() < 0.75:
            return ('call', HC['SMMU_ATTACH'], stream, cb, index)
        return ('call', HC['SMMU_DETACH'], stream, index)

    def guided(self):
        r = self.r
        free = self.m.core_data()[0]
        if (self.n_used() < 3 and free < K.COREVISOR) or (free < K.COREVISOR and self.chance(0.02)):
            return ('call', HC['GEN_VMID'])
        nxt = self.top()
        v = r.randrange(1, nxt)
        if self.chance(0.12):
            g = self.smmu_guided(0)
            if g:
                return g
        info = self.m.vminfo(v)
        state, vcpus, nload = info[0], info[1], info[2]
        if state == K.UNUSED:
            return ('call', HC['REGISTER_KVM'], v)
        if state in (K.READY, K.VERIFIED) and self.chance(0.2 if state == K.READY else 0.06):
            g = self.export_flow(v, state)
            if g:
                return g
        if state == K.READY:
            for c in range(2):
                if vcpus[c] == K.UNUSED:
                    return ('call', HC['REGISTER_VCPU'], v, c)
            if nload == 0 or (nload < 2 and self.chance(0.1)):
                addr = (GUEST_GFN0 + 8 * nload) * PAGE
                size = r.randrange(1, 4 * PAGE) if self.chance(0.05) else r.randrange(200, 4 * PAGE)
                if self.chance(0.15):  # D51: a last page with 1..7 bytes of the image
                    size = r.randrange(1, 4) * PAGE + r.randrange(1, 8)
                return ('call', HC['SET_BOOT_INFO'], v, addr, size)
            for i in range(nload):
                pg = (info[4][i] + PAGE - 1) // PAGE
                if info[6][i] < pg:
                    # Mostly: the host loads its page of the signed image first.
                    remap = ('call', HC['REMAP_VM_IMAGE'], v, self.host_pfn(), i)
                    # once verified it is the VM's: aim host accesses at it too
                    self.vm_pages.append(remap[3])
                    if len(self.vm_pages) > 64:
                        self.vm_pages.pop(0)
                    if self.chance(0.02):
                        return remap
                    k = info[6][i]
                    img = self.image(v, i, info[3][i], info[4][i])
                    self.pending.append(remap)
                    data = img[k * PAGE:(k + 1) * PAGE]
                    if len(data) < PAGE and self.chance(0.7):
                        # D51: the host's own bytes after the file, which the VM must
                        # not get (zeroed once verified)
                        data += bytes(r.getrandbits(8) for _ in range(PAGE - len(data)))
                    return ('host_page', remap[3] * PAGE, data)
            if self.chance(0.1):
                return ('call', HC['MAP_IO'], v, self.r.choice(MMIO_GFNS) * PAGE, 0x09000000)
            return ('call', HC['VERIFY_VM'], v)
        if state == K.READY and self.chance(0.3):
            return self.smmu_guided(v)
        if state == K.VERIFIED:
            if self.chance(0.03):  # D68: the host stops it, to take it apart and reuse its id
                return ('call', HC['POWEROFF_VM'], v)
            maps = self.m.mappings(v)
            if maps and self.chance(0.15):
                return ('vm_store', v, r.choice(list(maps)), r.getrandbits(64))
            c = r.randrange(0, 2)
            if vcpus[c] == K.ACTIVE:
                return self.exit_op_for(v, c, maps)
            op = self.run_op_for(v, c)
            return op
        if state == K.POWEROFF:
            maps = self.m.mappings(v)
            owned = self.m.vm_pages[v]
            mine = [e[0] for e in maps.values() if self.m.s2page(e[0])[0] == v]
            if mine and self.chance(0.9):
                return ('call', HC['CLEAR_VM_PAGE'], v, r.choice(mine))
            if owned and not mine and self.chance(0.8):
                # D68: pages it owns but does not map (SMMU-assigned, taken back
                # mapped elsewhere): found in the owner table
                for pfn in range(RAM_PFN0, RAM_PFN0 + self.L.ram_pages):
                    if self.m.s2page(pfn)[0] == v:
                        return ('call', HC['CLEAR_VM_PAGE'], v, pfn)
            if not owned or self.chance(0.1):
                # D68: taken apart (refused while a page, a context or a run is left)
                return ('call', HC['DESTROY_VM'], v)
            if self.vm_pages:
                return ('call', HC['CLEAR_VM_PAGE'], v, r.choice(self.vm_pages))
        return self.smmu_guided(0)

    def blob_pages(self):
        """A host page whose next page is the host's too (a page blob's two pages)."""
        for _ in range(8):
            pfn = self.host_pfn()
            if self.m.s2page(pfn + 1)[0] == K.HOSTVISOR:
                return pfn
        return pfn

    def export_flow(self, v, state):
        """D41: export a page or a vCPU of VM v, then (queued) maybe tamper with the blob,
        then import it into v, or replay it into another VM, vCPU or slot. D68: or replay
        a blob of an earlier VM on v's id (another generation) into v."""
        r = self.r
        gen = self.m.vm_generation[v]
        stale = [b for b in self.blobs if b[1] == v and b[4] != gen]
        if stale and state == K.READY and self.chance(0.3):
            kind, _v, c, out, _g = r.choice(stale)
            if kind == 'page':
                return ('call', HC['LOAD_DECRYPT_BUF'], v, out * PAGE)
            return ('call', HC['LOAD_ENCRYPTED_VCPU'], v, c, out * PAGE)
        nxt = self.top()
        ready = [u for u in range(1, nxt) if self.m.vminfo(u)[0] == K.READY]
        # the import goes to v, or to another VM (a READY one: the replay must fail
        # on the blob, not on the state)
        other = r.choice(ready) if ready else v
        if self.chance(0.6):
            mine = [p for p in self.vm_pages if self.m.s2page(p)[0] == v]
            mine += [e[0] for e in list(self.m.mappings(v).values())[:8]
                     if self.m.s2page(e[0])[0] == v]
            if not mine:
                return self.smmu_guided(v) if state == K.READY else None
            out = self.blob_pages()
            save = ('call', HC['SAVE_ENCRYPT_BUF'], v, r.choice(mine) * PAGE, out * PAGE)
            self.blobs = (self.blobs + [('page', v, 0, out, gen)])[-16:]
            if self.chance(0.15):
                self.pending.append(('host_store', (out + r.randrange(0, 2)) * PAGE + 8 * r.randrange(0, 6),
                                     r.getrandbits(64)))
            self.pending.append(('call', HC['LOAD_DECRYPT_BUF'], v if self.chance(0.8) else other,
                                 out * PAGE))
            return save
        c = r.randrange(0, 2)
        out = self.host_pfn()
        save = ('call', HC['SAVE_ENCRYPTED_VCPU'], v, c, out * PAGE)
        self.blobs = (self.blobs + [('vcpu', v, c, out, gen)])[-16:]
        if self.chance(0.15):
            self.pending.append(('host_store', out * PAGE + 8 * r.randrange(0, 20), r.getrandbits(64)))
        self.pending.append(('call', HC['LOAD_ENCRYPTED_VCPU'], v if self.chance(0.8) else other,
                             c if self.chance(0.8) else 1 - c, out * PAGE))
        return save

    def image(self, v, i, load, size):
        """The signed image for slot i of VM v (cached per slot): a random payload of
        size - 128 bytes signed for `load`; one in twenty has a bit flipped, three in a
        hundred are signed for another load address."""
        key = (v, i, load, size)
        if key not in self.images:
            r = self.r
            if size < 128:
                img = bytes(r.getrandbits(8) for _ in range(size))
            else:
                payload = bytes(r.getrandbits(8) for _ in range(size - 128))
                img = images.sign(self.key, payload, load + (PAGE if self.chance(0.03) else 0))
                if self.chance(0.05):
                    bit = r.randrange(0, 8 * size)
                    img = bytearray(img)
                    img[bit // 8] ^= 1 << (bit % 8)
                    img = bytes(img)
            self.images[key] = img
        return self.images[key]

    def smmu_guided(self, v):
        """Device contexts of the host (v = 0) or of a VM being built."""
        r = self.r
        owners = self.m.smmu_vmid()
        mine = [i for i, o in enumerate(owners) if o == v]
        free = [i for i, o in enumerate(owners) if o == K.INVALID and i % K.KCORE_SMMU_MAX_CFG < 4]
        if not mine or (free and self.chance(0.05)):
            if not free:
                return None
            ctx = r.choice(free)
            return ('call', HC['SMMU_ALLOC'], ctx % K.KCORE_SMMU_MAX_CFG, v, ctx // K.KCORE_SMMU_MAX_CFG)
        ctx = r.choice(mine)
        index, cb = ctx // K.KCORE_SMMU_MAX_CFG, ctx % K.KCORE_SMMU_MAX_CFG
        maps = self.m.spt_mappings(index, cb)
        x = r.random()
        if maps and x < 0.25:
            return ('dev_store', index, cb, r.choice(list(maps)), r.getrandbits(64))
        if maps and x < 0.4:
            return ('call', HC['SMMU_CLEAR'], r.choice(list(maps)) * PAGE, cb, index)
        if v == 0:
            pfn = self.host_pfn(0, 64) if self.chance(0.5) else self.host_pfn()
            return ('call', HC['SMMU_MAP'], cb, index, pfn * PAGE, pfn * PAGE | 3)
        gfn = GUEST_GFN0 + r.randrange(0, 64)
        if x < 0.7:
            pfn = self.host_pfn()
            self.vm_pages.append(pfn)
            return ('call', HC['SMMU_ASSIGN'], cb, index, pfn, gfn)
        mine_pages = [p for p in self.vm_pages[-16:] if self.m.s2page(p)[0] == v]
        if mine_pages:
            pfn = r.choice(mine_pages)
            return ('call', HC['SMMU_MAP'], cb, index, self.m.s2page(pfn)[2] * PAGE, pfn * PAGE)
        return None

    def run_op_for(self, v, c):
        op = self.run_op()
        run = op[3]
        if run['map_addr'] and self.chance(0.7):
            if run['map_level'] == 2 or self.chance(0.05):
                blk = RAM_PFN0 + 512 * self.r.randrange(1, (self.core_pfn0 - RAM_PFN0) // 512)
                run['map_level'], run['map_pte'] = 2, blk * PAGE | 3
                run['map_addr'] = (GUEST_GFN0 + 512 * self.r.randrange(0, 4)) * PAGE
            else:
                pfn = self.host_pfn()
                run['map_pte'] = pfn * PAGE | 3
                run['map_addr'] = (GUEST_GFN0 + self.r.randrange(0, 2048)) * PAGE
                self.vm_pages.append(pfn)
                if len(self.vm_pages) > 64:
                    self.vm_pages.pop(0)
        return ('run', v, c, run)

    def exit_op_for(self, v, c, maps):
        op = self.exit_op()
        hw = op[3]
        if maps and self.chance(0.35):
            # a guest grant or revoke of one page (the loop below picks which)
            hw['ec'] = K.ARM_EXCEPTION_TRAP
            hw['esr'] = (K.ESR_ELx_EC_HVC64 << 26) | (1 << 25)
            hw['regs'][0] = K.HVC_KVM_SET_DESC_PFN
            hw['regs'][3] = PAGE
        if maps and hw['regs'][0] in (K.HVC_KVM_SET_DESC_PFN, K.HVC_KVM_UNSET_DESC_PFN):
            gfns = sorted(maps)
            # Mostly the same few pages, granted more often than revoked,
            # so that share counts reach MAX_SHARE_COUNT.
            if self.chance(0.6):
                g = self.r.choice(gfns[:3])
                # Up to the limit (a grant there must be refused), then down to 0 again
                # (the last revoke must take the host's mapping away).
                full = self.m.s2page(maps[g][0])[1] >= self.L.max_share_count
                grant = self.chance(0.3 if full or self.downhill.get(g) else 0.7)
                if full:
                    self.downhill[g] = True
                elif self.m.s2page(maps[g][0])[1] == 0:
                    self.downhill[g] = False
                hw['regs'][0] = K.HVC_KVM_SET_DESC_PFN if grant else K.HVC_KVM_UNSET_DESC_PFN
                hw['regs'][2] = g * PAGE
            else:
                hw['regs'][2] = self.r.choice(gfns) * PAGE
            # The host then touches the page it was (maybe) given, so that the
            # last revoke has a host mapping to take away; sometimes the guest then
            # revokes it right down to 0 (it stays ACTIVE: KCore handles both).
            pfn = maps.get(hw['regs'][2] // PAGE, (0,))[0]
            if pfn and self.chance(0.3):
                self.pending.append(('host_store', pfn * PAGE, self.r.getrandbits(64)))
                if hw['regs'][0] == K.HVC_KVM_SET_DESC_PFN and hw['ec'] == K.ARM_EXCEPTION_TRAP \
                        and (hw['esr'] >> 26) == K.ESR_ELx_EC_HVC64 and self.chance(0.5):
                    down = dict(hw, regs=list(hw['regs']))
                    down['regs'][0] = K.HVC_KVM_UNSET_DESC_PFN
                    down['regs'][3] = PAGE
                    for _ in range(self.L.max_share_count + 1):
                        self.pending.append(('exit', v, c, down))
        return ('exit', v, c, hw)

    def fault_addr(self):
        if self.chance(0.1):    # anywhere in RAM or MMIO: the host's pte-table pool runs out
            return self.r.choice([RAM_PFN0 + self.r.randrange(0, self.L.ram_pages),
                                  self.r.randrange(0, 1 << 18)]) * PAGE
        return self.addr_of_gfn(self.pfn())

    def host_op(self):
        r, v = self.r, self.vmid()
        x = r.random()
        if x < 0.06:
            return ('call', HC['GEN_VMID'])
        if x < 0.12:
            return ('call', HC['REGISTER_KVM'], v)
        if x < 0.20:
            return ('call', HC['REGISTER_VCPU'], v, self.vcpuid())
        if x < 0.32:
            size = r.choice([PAGE, 2 * PAGE, 3 * PAGE + 17, 1, 0, 5 * PAGE, 1 << 20, (1 << 64) - 1])
            addr = (GUEST_GFN0 + r.randrange(0, 64)) * PAGE
            if self.chance(0.1):
                addr = r.choice([addr + 8, (1 << 40) - PAGE, 1 << 40, 0])
            return ('call', HC['SET_BOOT_INFO'], v, addr, size)
        if x < 0.50:
            info = self.m.vminfo(v) if 0 < v < K.COREVISOR else None
            idx = r.randrange(0, 6)
            if info and info[2] and self.chance(0.8):
                idx = r.randrange(0, info[2])
            return ('call', HC['REMAP_VM_IMAGE'], v, self.pfn(), idx)
        if x < 0.58:
            return ('call', HC['VERIFY_VM'], v)
        if x < 0.61:
            return ('call', HC['POWEROFF_VM'], v)
        if x < 0.625:
            return ('call', HC['DESTROY_VM'], v)  # D68: any state, any id
        if x < 0.74:
            pfn = r.choice(self.vm_pages) if self.vm_pages and self.chance(0.7) else self.pfn()
            return ('call', HC['CLEAR_VM_PAGE'], v, pfn)
        if x < 0.82:
            pa = r.choice([0x09000000, 0x09001000, 0x0a000000, 0x08010000, 0x09050000,
                           0x09020000, 0x4010000000]) \
                if self.chance(0.7) else self.fault_addr()
            return ('call', HC['MAP_IO'], v, self.addr_of_gfn(self.guest_gfn()), pa)
        if x < 0.88:
            return ('call', HC['SAVE_ENCRYPT_BUF'], v, self.fault_addr(), self.fault_addr())
        if x < 0.92:
            return ('call', HC['LOAD_DECRYPT_BUF'], v, self.fault_addr())
        if x < 0.95:
            if self.chance(0.5):
                return ('call', HC['SAVE_ENCRYPTED_VCPU'], v, self.vcpuid(), self.fault_addr())
            return ('call', HC['LOAD_ENCRYPTED_VCPU'], v, self.vcpuid(), self.fault_addr())
        if x < 0.97:
            return ('call', HC['NOP'])
        return ('call', r.choice([K.KCORE_HC_VCPU_RUN, K.KCORE_HC_MAX, 0, 0x84000000,
                                  K.KCORE_HC_BASE + 0xFFFF]), v, 1, 2, 3, 4)

    def iova_gfn(self):
        if self.chance(0.7):
            return self.r.choice([RAM_PFN0 + self.r.randrange(0, 64), GUEST_GFN0 + self.r.randrange(0, 64)])
        return self.r.choice([0, 1, (1 << 27) - 1, 1 << 27, self.pfn()])

    def smmu_op(self):
        r = self.r
        index = r.choice([0, 0, 0, 1, 1, 2])
        cb = r.choice([0, 1, 2, 3, 5, 7, 8])
        x = r.random()
        if x < 0.15:
            owner = 0 if self.chance(0.5) else self.vmid()
            return ('call', HC['SMMU_ALLOC'], cb, owner, index)
        if x < 0.22:
            return ('call', HC['SMMU_FREE'], cb, index)
        if x < 0.45:
            return ('call', HC['SMMU_ASSIGN'], cb, index, self.pfn(), self.iova_gfn())
        if x < 0.75:
            gfn = self.iova_gfn()
            pfn = gfn if self.chance(0.5) else self.pfn()
            return ('call', HC['SMMU_MAP'], cb, index, gfn * PAGE, (pfn * PAGE) | r.choice([0, 3, 0x7FF]))
        if x < 0.92:
            return ('call', HC['SMMU_CLEAR'], self.iova_gfn() * PAGE, cb, index)
        return ('call', HC['SMMU_IOVA_TO_PHYS'], self.iova_gfn() * PAGE + r.randrange(0, PAGE), cb, index)

    def run_op(self):
        r = self.r
        ready = self.live_vcpus(K.READY)
        if ready and self.chance(0.85):
            v, c = r.choice(ready)
        else:
            v, c = self.vmid(), self.vcpuid()
        entry = r.getrandbits(40) & ~3
        info = self.m.vminfo(v) if 0 < v < K.COREVISOR else None
        if info and info[2] and self.chance(0.85):
            i = r.randrange(0, info[2])
            entry = info[3][i] + (r.randrange(0, max(1, info[4][i])) & ~3)
        pstate = 0x3C5 if self.chance(0.9) else r.choice([0x3C4, 0x0, 0x3C9, 0x10, 0x3C5 | (1 << 21)])
        run = dict(regs=[r.getrandbits(64) for _ in range(31)], entry_pc=entry, entry_pstate=pstate,
                   map_addr=0, map_pte=0, map_level=3, request=1 if self.chance(0.05) else 0)
        if self.chance(0.7):
            level = 3 if self.chance(0.8) else r.choice([2, 2, 2, 0, 1, 4])
            gfn = self.guest_gfn()
            if level == 2:
                pfn = RAM_PFN0 + 512 * r.randrange(0, self.L.ram_pages // 512)
                if self.chance(0.1):
                    pfn += r.randrange(1, 512)
            else:
                pfn = r.choice(self.vm_pages) if self.vm_pages and self.chance(0.2) else self.pfn()
            run['map_addr'] = self.addr_of_gfn(gfn)
            run['map_pte'] = ((pfn * PAGE) | r.choice([0, 0x3, 0x7FF])) & ((1 << 64) - 1)
            run['map_level'] = level
            if pfn not in self.vm_pages and RAM_PFN0 <= pfn < RAM_PFN0 + self.L.ram_pages:
                self.vm_pages.append(pfn)
                if len(self.vm_pages) > 64:
                    self.vm_pages.pop(0)
        return ('run', v, c, run)

    def exit_op(self):
        r = self.r
        active = self.live_vcpus(K.ACTIVE)
        if active and self.chance(0.95):
            v, c = r.choice(active)
        else:
            v, c = self.vmid(), self.vcpuid()
        regs = [r.getrandbits(64) if self.chance(0.5) else r.randrange(0, 8) for _ in range(31)]
        ec = K.ARM_EXCEPTION_TRAP
        x = r.random()
        if x < 0.08:
            ec = K.ARM_EXCEPTION_INTERRUPT
        elif x < 0.11:
            ec = K.ARM_EXCEPTION_EL1_SERROR
        cls, iss = K.ESR_ELx_EC_HVC64, 0
        hpfar, far = 0, r.randrange(0, PAGE)
        y = r.random()
        if y < 0.30:
            regs[0] = r.choice([K.HVC_KVM_SET_DESC_PFN, K.HVC_KVM_UNSET_DESC_PFN])
            regs[2] = self.addr_of_gfn(GUEST_GFN0 + r.randrange(0, GUEST_GFNS))
            regs[3] = r.choice([0, 1, PAGE, 2 * PAGE, 3 * PAGE, 600 * PAGE, (1 << 40), (1 << 64) - 1,
                                 # D53: the bound, and one byte past it
                                 K.KCORE_SHARE_MAX_PAGES * PAGE, K.KCORE_SHARE_MAX_PAGES * PAGE + 1])
        elif y < 0.38:
            regs[0] = r.choice([K.PSCI_0_2_FN_SYSTEM_OFF] + [0x84000000, 0xC4000003] * 4)
        elif y < 0.48:
            cls = K.ESR_ELx_EC_WFx
        elif y < 0.78:
            cls = r.choice([K.ESR_ELx_EC_DABT_LOW] * 4 + [K.ESR_ELx_EC_IABT_LOW])
            gfn = r.choice(MMIO_GFNS) if self.chance(0.6) else self.guest_gfn()
            hpfar = ((gfn << 4) & ((1 << 64) - 1)) | r.choice([0, 0, 0xF])
            iss = (r.randrange(0, 32) << 16) | (0 if self.chance(0.15) else K.ESR_ELx_ISV)  # D56
            if self.chance(0.5):
                iss |= K.ESR_ELx_WNR
            if self.chance(0.05):
                iss |= K.ESR_ELx_S1PTW
        elif y < 0.88:
            cls = K.ESR_ELx_EC_SYS64
            iss = self.sysreg_iss()
        else:
            cls = r.choice([K.ESR_ELx_EC_UNKNOWN, 0x07, K.ESR_ELx_EC_SMC64, 0x3F])
        hw = dict(ec=ec, regs=regs, pc=r.getrandbits(40) & ~3,
                  pstate=r.choice([0x3C5, 0x3C4, 0x0, 0x5]),
                  esr=(cls << 26) | (1 << 25) | iss, far=far, hpfar=hpfar)
        return ('exit', v, c, hw)

    def sysreg_iss(self):
        """A trapped MSR/MRS's ISS: mostly the GICv3 SGI registers (D71: a write goes to
        the host, any Rt, xzr included), their reads (not architected: skipped as D4
        says), registers the guest traps on (PMCCNTR_EL0, ACTLR_EL1: skipped), a register
        next to the SGI ones (ICC_SRE_EL1), or any ISS."""
        r = self.r
        x = r.random()
        rt = r.choice([0, 1, 3, 17, 30, 31]) if self.chance(0.8) else r.randrange(0, 32)
        sgi = r.choice([K.ESR_SYS64_ICC_SGI1R_EL1, K.ESR_SYS64_ICC_ASGI1R_EL1,
                        K.ESR_SYS64_ICC_SGI0R_EL1])
        if x < 0.5:
            return sgi | (rt << K.ESR_SYS64_RT_SHIFT)
        if x < 0.6:
            return sgi | (rt << K.ESR_SYS64_RT_SHIFT) | 1  # a read
        if x < 0.8:
            return r.choice([K.ESR_SYS64_WRITE(3, 3, 9, 13, 0) | 1, K.ESR_SYS64_WRITE(3, 0, 1, 0, 1),
                             K.ESR_SYS64_WRITE(3, 0, 12, 12, 5), K.ESR_SYS64_WRITE(3, 0, 12, 11, 4),
                             0]) | (rt << K.ESR_SYS64_RT_SHIFT)
        return r.getrandbits(25)
