"""The C core, seen through the test kit (tests/harness/tk.h) with ctypes.

It offers the same interface as the model (tests/model/spec.py), so the
driver can run one operation on both and compare their answers. Everything
it reports is read back from the C state: mappings come from walking the real
descriptors in the fake RAM, not from any bookkeeping of the core.
"""
import ctypes as C

import constants as K

U64 = C.c_uint64
U64P = C.POINTER(U64)

STORE_RESULT = {0: 'stored', 1: 'shared', 2: 'abort', 3: 'skip'}
VM_STORE_RESULT = {0: 'stored', 1: 'shared', 2: 'fault', 3: 'skip'}

TK_RUN_WORDS = 37
TK_HW_WORDS = 37
TK_INFO_WORDS = 9
TK_VMINFO_WORDS = 1 + 8 + 1 + 4 * 5 + 1
TK_LAYOUT_WORDS = 256
MSG_LEN = 1 << 16


def _arr(n):
    return (U64 * n)()


class Layout:
    """The values the model needs from the C build (see spec.Layout)."""


class CSide:
    def __init__(self, path):
        lib = C.CDLL(path)
        self.lib = lib
        for name, res, args in [
            ('tk_reset', None, []),
            ('tk_host_call', C.c_long, [U64] * 6),
            ('tk_host_fault', C.c_long, [U64]),
            ('tk_vcpu_run', C.c_long, [C.c_uint32, C.c_uint32, U64P]),
            ('tk_vm_exit', C.c_long, [C.c_uint32, C.c_uint32, U64P, U64P]),
            ('tk_host_pin', C.c_long, [C.c_uint32, U64, U64]),
            ('tk_host_store', C.c_int, [U64, U64]),
            ('tk_host_page', C.c_int, [U64, C.c_char_p]),
            ('tk_page_read', None, [U64, C.c_char_p]),
            ('tk_vm_store', C.c_int, [C.c_uint32, U64, U64]),
            ('tk_dev_store', C.c_int, [C.c_uint32, C.c_uint32, U64, U64]),
            ('tk_layout', None, [U64P]),
            ('tk_s2page', None, [U64, U64P]),
            ('tk_s2page_dump', None, [U64P]),
            ('tk_lookup', None, [C.c_uint32, U64, U64P]),
            ('tk_mappings', U64, [C.c_uint32, U64P, U64]),
            ('tk_npt_ptrs', None, [C.c_uint32, U64P]),
            ('tk_vminfo', None, [C.c_uint32, U64P]),
            ('tk_core_data', None, [U64P]),
            ('tk_vm_counts', None, [U64P, U64P]),
            ('tk_smmu', None, [U64P, U64P]),
            ('tk_spt_ptrs', None, [U64P]),
            ('tk_pins', U64, [U64P, U64]),
            ('tk_streams', U64, [U64P, U64]),
            ('tk_spt_lookup', None, [C.c_uint32, C.c_uint32, U64, U64P]),
            ('tk_spt_mappings', U64, [C.c_uint32, C.c_uint32, U64P, U64]),
            ('tk_shadow', None, [C.c_uint32, C.c_uint32, U64P]),
            ('tk_page_word', U64, [U64]),
            ('tk_page_is_zero', C.c_int, [U64]),
            ('tk_step_end', U64, [C.c_char_p, U64]),
            ('tk_check_all', U64, [C.c_char_p, U64]),
        ]:
            fn = getattr(lib, name)
            fn.restype = res
            fn.argtypes = args
        self.msg = C.create_string_buffer(MSG_LEN)
        self.page_buf = C.create_string_buffer(4096)
        self.b3 = _arr(3)
        self.b2 = _arr(2)
        self.run_buf = _arr(TK_RUN_WORDS)
        self.hw_buf = _arr(TK_HW_WORDS)
        self.info_buf = _arr(TK_INFO_WORDS)
        self.vminfo_buf = _arr(TK_VMINFO_WORDS)
        self.reset()
        self.layout = self._layout()
        self.shadow_buf = _arr(self.layout.nr_ctxt_regs)
        self.pin_buf = _arr(2 * self.layout.pin_slots)
        self.map_buf = _arr(4 * 4096 * 4)
        n = K.EL2_SMMU_CFG_SIZE
        self.smmu_a, self.smmu_b = _arr(n), _arr(n)

    # ---- set-up --------------------------------------------------------
    def reset(self):
        self.lib.tk_reset()

    def _layout(self):
        o = _arr(TK_LAYOUT_WORDS)
        self.lib.tk_layout(o)
        v = list(o)
        L = Layout()
        (L.ram_base, L.ram_pages, L.core_start, L.core_end, L.spt_pool_start,
         L.spt_pmd_start, L.spt_pool_end, L.remap_start, L.remap_end) = v[0:9]
        mmio_num = v[9]
        L.actlr = v[10]
        L.corevisor, L.max_vcpus, L.nr_ctxt_regs, smmu_num, max_cfg = v[11:16]
        L.smmu_cfg_num = v[16:16 + smmu_num]
        n = 16 + smmu_num
        L.max_share_count = v[n]
        n += 1
        L.pools = {}
        for p in range(L.corevisor + 1):
            L.pools[p] = tuple(v[n:n + 4])
            n += 4
        L.host_mmio = [(v[n + 2 * i], v[n + 2 * i + 1]) for i in range(mmio_num)]
        L.vms_allowed = bool(v[n + 2 * mmio_num])
        L.boot_salt = bool(v[n + 2 * mmio_num + 1])
        L.pin_slots, L.pin_max_pages = v[n + 2 * mmio_num + 2:n + 2 * mmio_num + 4]  # D60
        return L

    # ---- operations ------------------------------------------------------
    def host_call(self, fn, a1=0, a2=0, a3=0, a4=0, a5=0):
        return self.lib.tk_host_call(fn, a1, a2, a3, a4, a5)

    def host_stage2_fault(self, addr):
        return self.lib.tk_host_fault(addr)

    def host_pin(self, slot, base, size):
        # slot is kcore_host_pin's u32: ctypes keeps its low 32 bits, as the model does
        return self.lib.tk_host_pin(slot & 0xFFFFFFFF, base, size)

    def vcpu_run(self, vmid, vcpuid, run):
        b = self.run_buf
        for i, r in enumerate(run['regs']):
            b[i] = r
        b[31], b[32] = run['entry_pc'], run['entry_pstate']
        b[33], b[34], b[35] = run['map_addr'], run['map_pte'], run['map_level']
        b[36] = run['request']
        return self.lib.tk_vcpu_run(vmid, vcpuid, b)

    def vm_exit(self, vmid, vcpuid, hw):
        b = self.hw_buf
        b[0] = hw['ec']
        for i, r in enumerate(hw['regs']):
            b[1 + i] = r
        b[32], b[33], b[34], b[35], b[36] = hw['pc'], hw['pstate'], hw['esr'], hw['far'], hw['hpfar']
        ret = self.lib.tk_vm_exit(vmid, vcpuid, b, self.info_buf)
        i = list(self.info_buf)
        info = dict(reason=i[0], rd=i[1], esr=i[2], fault_ipa=i[3], mmio_data=i[4], hvc_args=i[5:9])
        return ret, info

    def host_store(self, addr, val):
        return STORE_RESULT[self.lib.tk_host_store(addr, val)]

    def host_page(self, addr, data):
        return STORE_RESULT[self.lib.tk_host_page(addr, bytes(data).ljust(4096, b'\0')[:4096])]

    def page_bytes(self, pfn):
        """The page's bytes as they are in the fake RAM (zeros if not RAM)."""
        self.lib.tk_page_read(pfn, self.page_buf)
        return self.page_buf.raw

    def vm_store(self, vmid, gfn, val):
        return VM_STORE_RESULT[self.lib.tk_vm_store(vmid, gfn, val)]

    def dev_store(self, index, cbndx, gfn, val):
        return VM_STORE_RESULT[self.lib.tk_dev_store(index, cbndx, gfn, val)]

    # ---- state -------------------------------------------------------------
    def s2page(self, pfn):
        self.lib.tk_s2page(pfn, self.b3)
        return tuple(self.b3)

    def s2page_all(self):
        n = self.layout.ram_pages
        o = _arr(3 * n)
        self.lib.tk_s2page_dump(o)
        v = list(o)
        return [tuple(v[3 * i:3 * i + 3]) for i in range(n)]

    def lookup(self, p, gfn):
        self.lib.tk_lookup(p, gfn, self.b3)
        return tuple(self.b3)

    def mappings(self, p):
        n = self.lib.tk_mappings(p, self.map_buf, len(self.map_buf) // 4)
        if n > len(self.map_buf) // 4:
            self.map_buf = _arr(4 * n)
            n = self.lib.tk_mappings(p, self.map_buf, n)
        v = list(self.map_buf[:4 * n])
        return {v[4 * i]: (v[4 * i + 1], v[4 * i + 2], v[4 * i + 3]) for i in range(n)}

    def npt_ptrs(self, p):
        self.lib.tk_npt_ptrs(p, self.b3)
        return tuple(self.b3)

    def vminfo(self, vmid):
        self.lib.tk_vminfo(vmid, self.vminfo_buf)
        v = list(self.vminfo_buf)
        return (v[0], tuple(v[1:9]), v[9], tuple(v[10:15]), tuple(v[15:20]), tuple(v[20:25]),
                tuple(v[25:30]), v[30])

    def core_data(self):
        self.lib.tk_core_data(self.b3)
        return tuple(self.b3)

    def vm_counts(self):
        """D68: (kc.vm_pages, kc.vm_generation)."""
        a, b = _arr(K.COREVISOR), _arr(K.COREVISOR)
        self.lib.tk_vm_counts(a, b)
        return (tuple(a), tuple(b))

    def smmu_vmid(self):
        self.lib.tk_smmu(self.smmu_a, self.smmu_b)
        return list(self.smmu_a)

    def smmu_nr_mapped(self):
        self.lib.tk_smmu(self.smmu_a, self.smmu_b)
        return list(self.smmu_b)

    def stream_table(self):
        """D42: [(index, stream, cbndx)] of the fake SMMU's attached streams."""
        n = K.KCORE_SMMU_NUM * K.KCORE_SMMU_STREAMS
        buf = _arr(3 * n)
        cnt = self.lib.tk_streams(buf, n)
        return sorted(tuple(buf[3 * i:3 * i + 3]) for i in range(cnt))

    def pin_table(self):
        """D60: as the model's: ((base, size) per slot, pinned_pages)."""
        total = self.lib.tk_pins(self.pin_buf, self.layout.pin_slots)
        v = list(self.pin_buf)
        return tuple((v[2 * i], v[2 * i + 1]) for i in range(self.layout.pin_slots)), total

    def spt_ptrs(self):
        self.lib.tk_spt_ptrs(self.b2)
        return tuple(self.b2)

    def spt_lookup(self, index, cbndx, gfn):
        self.lib.tk_spt_lookup(index, cbndx, gfn, self.b2)
        return tuple(self.b2)

    def spt_mappings(self, index, cbndx):
        n = self.lib.tk_spt_mappings(index, cbndx, self.map_buf, len(self.map_buf) // 3)
        v = list(self.map_buf[:3 * n])
        return {v[3 * i]: (v[3 * i + 1], v[3 * i + 2]) for i in range(n)}

    def shadow(self, vmid, vcpuid):
        self.lib.tk_shadow(vmid, vcpuid, self.shadow_buf)
        return list(self.shadow_buf)

    def page_word(self, pfn):
        return self.lib.tk_page_word(pfn)

    def page_is_zero(self, pfn):
        return bool(self.lib.tk_page_is_zero(pfn))

    # ---- checkers ------------------------------------------------------------
    def step_end(self):
        n = self.lib.tk_step_end(self.msg, MSG_LEN)
        return self.msg.value.decode().splitlines() if n else []

    def check_all(self):
        n = self.lib.tk_check_all(self.msg, MSG_LEN)
        return self.msg.value.decode().splitlines() if n else []
