#!/usr/bin/python3
"""Differential test: the executable model of HighSpecs against the C core.

Random operation sequences run on both. After every step the driver compares
the return values and everything the step could have changed (the page
owners, the mappings read back from the real descriptors, the VM and vCPU
states, the shadow context, the SMMU state, the pool pointers), and both
sides check the security invariants; the C side also checks that every
removed or changed mapping was invalidated in the TLB before its page
changed owner. Every CHECK_EVERY steps, and at the end of every episode, the
whole state is compared and checked. A failure is shrunk to a minimal
sequence, which is printed as Python and can be replayed with --replay.

  driver.py --lib build/host/libkcore_test.so --steps 1000000
"""
import argparse
import ast
import multiprocessing
import os
import random
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import constants as K  # noqa: E402
from cside import CSide  # noqa: E402
from gen import Gen, RAM_PFN0, GUEST_GFN0  # noqa: E402
import export  # noqa: E402
import images  # noqa: E402
import spec  # noqa: E402
from spec_pin import extent_pfns  # noqa: E402

EPISODE = 2000
SECRET = None  # the device secret file (--secret), default build/keys/device-secret.bin
NO_SHRINK = False
CHECK_EVERY = 1000
PAGE = 4096


class Divergence(Exception):
    pass


def ram_pfn(layout, pfn):
    return RAM_PFN0 <= pfn < RAM_PFN0 + layout.ram_pages


# ---- applying one operation to a side --------------------------------------

def apply(side, op):
    kind = op[0]
    if kind == 'call':
        return side.host_call(*op[1:])
    if kind == 'fault':
        return side.host_stage2_fault(op[1])
    if kind == 'run':
        return side.vcpu_run(op[1], op[2], op[3])
    if kind == 'exit':
        ret, info = side.vm_exit(op[1], op[2], op[3])
        return (ret, tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in info.items())))
    if kind == 'host_store':
        return side.host_store(op[1], op[2])
    if kind == 'host_page':
        return side.host_page(op[1], op[2])
    if kind == 'vm_store':
        return side.vm_store(op[1], op[2], op[3])
    if kind == 'dev_store':
        return side.dev_store(op[1], op[2], op[3], op[4])
    if kind == 'pin':
        return side.host_pin(op[1], op[2], op[3])  # D60
    raise ValueError(op)


# ---- what a step may touch ---------------------------------------------------

def footprint(model, op):
    """(pfns, {principal: gfns}, vmids, vcpus, contexts+iova gfns) the op may change."""
    pfns, gfns, vcpus, spt = set(), {}, set(), set()

    def add_gfn(p, g):
        gfns.setdefault(p, set()).add(g)

    def add_pfn(pfn):
        pfns.add(pfn)
        add_gfn(K.HOSTVISOR, pfn)

    kind = op[0]
    if kind == 'call':
        fn, a = op[1], list(op[2:]) + [0] * 5
        if fn == K.KCORE_HC_CLEAR_VM_PAGE:
            add_pfn(a[1])
        elif fn == K.KCORE_HC_MAP_IO:
            add_gfn(a[0], a[1] >> 12)
        elif fn == K.KCORE_HC_REMAP_VM_IMAGE:
            add_pfn(a[1])
            nr = model.core_data()[1]
            for g in range((model.L.remap_start >> 12), (nr >> 12) + 1):
                add_gfn(K.COREVISOR, g)
        elif fn in (K.KCORE_HC_SAVE_ENCRYPT_BUF, K.KCORE_HC_LOAD_DECRYPT_BUF):
            add_pfn(a[1] >> 12)
            add_pfn(a[2] >> 12)
            add_pfn((a[2] >> 12) + 1)  # D41: the blob's header page
        elif fn in (K.KCORE_HC_SAVE_ENCRYPTED_VCPU, K.KCORE_HC_LOAD_ENCRYPTED_VCPU):
            add_pfn(a[2] >> 12)
            vcpus.add((a[0], a[1]))
        elif fn == K.KCORE_HC_SMMU_ASSIGN:
            add_pfn(a[2])
        elif fn == K.KCORE_HC_SMMU_MAP:
            add_pfn((a[3] & K.PHYS_MASK) >> 12)
            spt.add((a[1], a[0], a[2] >> 12))
        elif fn == K.KCORE_HC_SMMU_CLEAR:
            spt.add((a[2], a[1], a[0] >> 12))
            if a[2] < K.KCORE_SMMU_NUM and a[1] < K.KCORE_SMMU_MAX_CFG:
                pfn, pte = model.spt_mappings(a[2], a[1]).get(a[0] >> 12, (0, 0))
                add_pfn(pfn)
        elif fn == K.KCORE_HC_REGISTER_VCPU:
            vcpus.add((a[0], a[1]))
        elif fn == K.KCORE_HC_DESTROY_VM and 0 < a[0] < K.COREVISOR:
            # D68: the VM's whole table, its window pages, its vCPUs' contexts
            for g in model.mappings(a[0]):
                add_gfn(a[0], g)
            info = model.vminfos[a[0]]
            for i in range(info.next_load_info):
                for k in range(info.mapped_pages[i]):
                    add_gfn(K.COREVISOR, (info.remap_addr[i] >> 12) + k)
            for c in range(K.KCORE_MAX_VCPUS):
                vcpus.add((a[0], c))
        elif fn == K.KCORE_HC_VERIFY_VM and 0 < a[0] < K.COREVISOR:
            # D40: every image page (taken, then mapped or scrubbed) and its gfn
            info = model.vminfos[a[0]]
            for i in range(info.next_load_info):
                for k in range(info.mapped_pages[i]):
                    add_pfn(model.lookup(K.COREVISOR, (info.remap_addr[i] >> 12) + k)[0])
                    add_gfn(a[0], (info.load_addr[i] >> 12) + k)
    elif kind in ('fault', 'host_store', 'host_page'):
        add_pfn(op[1] >> 12)
    elif kind == 'run':
        v, c, run = op[1], op[2], op[3]
        vcpus.add((v, c))
        addr, pte, level = run['map_addr'], run['map_pte'], run['map_level']
        pfn = (pte & K.PHYS_MASK) >> 12
        if level == 2:
            g0 = (addr >> 12) & ~511
            for i in range(512):
                add_pfn(pfn + i)
                add_gfn(v, g0 + i)
        else:
            add_pfn(pfn)
            add_gfn(v, addr >> 12)
    elif kind == 'exit':
        v, c, hw = op[1], op[2], op[3]
        vcpus.add((v, c))
        x2, x3 = hw['regs'][2], hw['regs'][3]
        n = min((x3 + 4095) // 4096, 600)
        if 0 < v < K.COREVISOR:
            for i in range(n):
                g = (x2 >> 12) + i
                add_gfn(v, g)
                pfn, level, _ = model.lookup(v, g)
                if pfn:
                    add_pfn(pfn)
    elif kind == 'vm_store':
        if 0 < op[1] < K.COREVISOR:
            pfn = model.lookup(op[1], op[2])[0]
            if pfn:
                pfns.add(pfn)
    elif kind == 'dev_store':
        if op[1] < K.KCORE_SMMU_NUM and op[2] < K.KCORE_SMMU_MAX_CFG:
            pfn = model.spt_mappings(op[1], op[2]).get(op[3], (0, 0))[0]
            if pfn:
                pfns.add(pfn)
    elif kind == 'pin':
        # D60: the slot's old extent and the new one (only counts change). A new one
        # longer than the bound is refused before any page is looked at.
        slot, base, size = op[1] & 0xFFFFFFFF, op[2], op[3]
        if slot < model.L.pin_slots:
            pfns.update(extent_pfns(*model.pin[slot]))
        if 0 < size <= model.L.pin_max_pages * PAGE:
            pfns.update(extent_pfns(base, size))
    return pfns, gfns, vcpus, spt


# ---- comparisons ---------------------------------------------------------------

def step_vmids(op):
    """The VMs whose info a step may change: the one it names, if any."""
    if op[0] in ('run', 'exit', 'vm_store'):
        v = op[1]
    elif op[0] == 'call' and op[1] in VM_CALLS and len(op) > 2:
        v = op[2]
    elif op[0] == 'call' and op[1] == K.KCORE_HC_SMMU_ALLOC and len(op) > 3:
        v = op[3]
    else:
        return ()
    return (v,) if 0 < v < K.COREVISOR else ()


VM_CALLS = {K.KCORE_HC_REGISTER_KVM, K.KCORE_HC_REGISTER_VCPU, K.KCORE_HC_SET_BOOT_INFO,
            K.KCORE_HC_REMAP_VM_IMAGE, K.KCORE_HC_VERIFY_VM, K.KCORE_HC_CLEAR_VM_PAGE,
            K.KCORE_HC_MAP_IO, K.KCORE_HC_SAVE_ENCRYPT_BUF, K.KCORE_HC_LOAD_DECRYPT_BUF,
            K.KCORE_HC_LOAD_ENCRYPTED_VCPU, K.KCORE_HC_POWEROFF_VM, K.KCORE_HC_SAVE_ENCRYPTED_VCPU,
            K.KCORE_HC_DESTROY_VM}


def expect(what, m, c):
    if m != c:
        raise Divergence('%s: model %r, C %r' % (what, m, c))


ALL_VMS = range(1, K.COREVISOR)


def compare_small(model, cside, vmids=ALL_VMS):
    """The small state: the core data, the SMMU owners and counts, the pinned
    extents, the pool pointers, and the VM infos (all, or those of the VMs a step
    names)."""
    expect('core_data', model.core_data(), cside.core_data())
    expect('vm_counts', model.vm_counts(), cside.vm_counts())  # D68
    expect('smmu_vmid', list(model.smmu_vmid()), cside.smmu_vmid())
    expect('smmu_nr_mapped', list(model.smmu_nr_mapped()), cside.smmu_nr_mapped())
    expect('spt_ptrs', tuple(model.spt_ptrs()), cside.spt_ptrs())
    expect('streams', model.stream_table(), cside.stream_table())  # D42
    expect('pins', model.pin_table(), cside.pin_table())  # D60
    for p in set([K.HOSTVISOR, K.COREVISOR]) | set(vmids):
        expect('npt_ptrs(%d)' % p, tuple(model.npt_ptrs(p)), cside.npt_ptrs(p))
    for v in vmids:
        expect('vminfo(%d)' % v, tuple(model.vminfo(v)), cside.vminfo(v))


def compare_footprint(model, cside, fp, layout):
    pfns, gfns, vcpus, spt = fp
    known = model.flatmem  # pfn -> first word, None where the spec's oracle chose it
    for pfn in pfns:
        if pfn >= (1 << 52):
            continue
        expect('s2page(0x%x)' % pfn, tuple(model.s2page(pfn)), cside.s2page(pfn))
        if ram_pfn(layout, pfn) and known.get(pfn) is not None:
            expect('page word(0x%x)' % pfn, known[pfn], cside.page_word(pfn))
    for p, gs in gfns.items():
        if not (0 <= p <= K.COREVISOR):
            continue
        for g in gs:
            if g >= (1 << 36):
                continue
            expect('lookup(%d, 0x%x)' % (p, g), tuple(model.lookup(p, g)), cside.lookup(p, g))
    for v, c in vcpus:
        if 0 < v < K.COREVISOR and c < K.KCORE_MAX_VCPUS:
            expect('shadow(%d,%d)' % (v, c), list(model.shadow(v, c)), cside.shadow(v, c))
    for index, cb, g in spt:
        if index < K.KCORE_SMMU_NUM and cb < K.KCORE_SMMU_MAX_CFG and g < (1 << 27):
            m = model.spt_mappings(index, cb).get(g, (0, 0))
            expect('spt(%d,%d,0x%x)' % (index, cb, g), tuple(m), cside.spt_lookup(index, cb, g))


def compare_all(model, cside, layout):
    compare_small(model, cside)
    s2 = cside.s2page_all()
    for i, c in enumerate(s2):
        m = tuple(model.s2page(RAM_PFN0 + i))
        if m != c:
            raise Divergence('s2page(0x%x): model %r, C %r' % (RAM_PFN0 + i, m, c))
    for p in range(K.COREVISOR + 1):
        m = {g: tuple(e) for g, e in model.mappings(p).items()}
        c = cside.mappings(p)
        if m != c:
            diff = sorted(set(m.items()) ^ set(c.items()))[:6]
            raise Divergence('mappings(%d) differ, e.g. %r' % (p, diff))
    for v in range(1, K.COREVISOR):
        for c in range(K.KCORE_MAX_VCPUS):
            expect('shadow(%d,%d)' % (v, c), list(model.shadow(v, c)), cside.shadow(v, c))
    for index in range(K.KCORE_SMMU_NUM):
        for cb in range(K.KCORE_SMMU_MAX_CFG):
            m = {g: tuple(e) for g, e in model.spt_mappings(index, cb).items()}
            expect('spt_mappings(%d,%d)' % (index, cb), m, cside.spt_mappings(index, cb))
    for pfn, val in model.flatmem_known().items():
        if ram_pfn(layout, pfn):
            expect('page word(0x%x)' % pfn, val, cside.page_word(pfn))


def check_invariants(model, cside, fp=None):
    cv = cside.step_end() if fp is not None else cside.check_all()
    if cv:
        raise Divergence('C invariant: ' + '; '.join(cv[:4]))
    mv = model.invariants(fp[0]) if fp is not None else model.invariants()
    if mv:
        raise Divergence('model invariant: ' + '; '.join(mv[:4]))


# ---- running sequences -------------------------------------------------------

class Runner:
    def __init__(self, lib):
        self.cside = CSide(lib)
        self.layout = self.cside.layout
        self.keys = images.load_public_keys()
        self.secret = open(SECRET or export.DEFAULT_SECRET, 'rb').read()
        self.stats = dict(steps=0, full=0, refused=0, destroyed=0)

    def fresh(self):
        self.cside.reset()
        m = spec.Model(self.layout)
        m.verify_img = images.Oracle(m, self.cside.page_bytes, self.keys)
        m.export = export.Export(self.cside.page_bytes, self.secret)
        return m

    def step(self, model, op, full):
        fp = footprint(model, op)
        try:
            rm = apply(model, op)
        except Divergence:
            raise
        except Exception:
            raise Divergence('model raised: ' + traceback.format_exc(limit=3))
        rc = apply(self.cside, op)
        expect('result of %s' % op[0], rm, rc)
        if isinstance(rm, int) and rm < 0:
            self.stats['refused'] += 1
        elif op[0] == 'call' and op[1] == K.KCORE_HC_DESTROY_VM:
            self.stats['destroyed'] += 1  # D68: its id and window ranges reused next
        compare_small(model, self.cside, step_vmids(op))
        compare_footprint(model, self.cside, fp, self.layout)
        check_invariants(model, self.cside, fp)
        if full:
            compare_all(model, self.cside, self.layout)
            check_invariants(model, self.cside)
            self.stats['full'] += 1
        self.stats['steps'] += 1

    def replay(self, ops, check_every=CHECK_EVERY):
        """Run ops from a fresh start; return the failure message or None."""
        model = self.fresh()
        try:
            for i, op in enumerate(ops):
                self.step(model, op, full=(i + 1) % check_every == 0 or i + 1 == len(ops))
        except Divergence as e:
            return '%s (step %d)' % (e, i)
        return None

    def shrink(self, ops, deadline):
        """Delta debugging: drop chunks, then single operations, while it still fails."""
        n = 2
        while len(ops) >= 2 and time.time() < deadline:
            chunk = max(1, len(ops) // n)
            reduced = False
            for start in range(0, len(ops), chunk):
                cand = ops[:start] + ops[start + chunk:]
                if cand and self.replay(cand):
                    ops, n, reduced = cand, max(n - 1, 2), True
                    break
            if not reduced:
                if chunk == 1:
                    break
                n = min(len(ops), n * 2)
        return ops


def run_worker(args):
    lib, seed, steps, label = args
    runner = Runner(lib)
    rng = random.Random(seed)
    done = 0
    t0 = time.time()
    while done < steps:
        model = runner.fresh()
        gen = Gen(rng, model, runner.layout)
        ops = []
        n = min(EPISODE, steps - done)
        for i in range(n):
            op = gen.op()
            ops.append(op)
            try:
                runner.step(model, op, full=(i + 1) % CHECK_EVERY == 0 or i + 1 == n)
            except Divergence as e:
                msg = str(e)
                small = runner.shrink(ops, time.time() + (0 if NO_SHRINK else 300))
                why = runner.replay(small) or msg
                return dict(label=label, seed=seed, steps=done + i + 1, failed=True, msg=why,
                            seq=small, stats=runner.stats, secs=time.time() - t0)
        done += n
    return dict(label=label, seed=seed, steps=done, failed=False, stats=runner.stats,
                secs=time.time() - t0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--lib', required=True)
    ap.add_argument('--steps', type=int, default=1000000)
    ap.add_argument('--seed', type=int, default=1, help='the fixed seed')
    ap.add_argument('--fresh-seed', type=int, default=None, help='default: from os.urandom')
    ap.add_argument('--jobs', type=int, default=2)
    ap.add_argument('--replay', help='a file with a printed failing sequence')
    ap.add_argument('--no-shrink', action='store_true', help='report the first failure as found')
    ap.add_argument('--secret', help='the device secret the C was built with (D41)')
    a = ap.parse_args()
    global SECRET
    SECRET = a.secret

    if a.replay:
        ops = [ast.literal_eval(l) for l in open(a.replay) if l.strip().startswith('(')]
        why = Runner(a.lib).replay(ops)
        print(why or 'replay: no failure')
        return 1 if why else 0

    global NO_SHRINK
    NO_SHRINK = a.no_shrink
    fresh = a.fresh_seed if a.fresh_seed is not None else int.from_bytes(os.urandom(4), 'little')
    print('differential: fixed seed %d, fresh seed %d, %d steps' % (a.seed, fresh, a.steps))
    sys.stdout.flush()
    half = a.steps // 2
    work = [(a.lib, a.seed, a.steps - half, 'fixed'), (a.lib, fresh, half, 'fresh')]
    if a.jobs > 1:
        with multiprocessing.Pool(min(a.jobs, len(work))) as pool:
            results = pool.map(run_worker, work)
    else:
        results = [run_worker(w) for w in work]
    total = sum(r['steps'] for r in results)
    bad = [r for r in results if r['failed']]
    for r in results:
        s = r['stats']
        print('  %s seed %d: %d steps (%d refused, %d full comparisons, %d VMs destroyed) in %.0f s%s' % (
            r['label'], r['seed'], r['steps'], s['refused'], s['full'], s['destroyed'], r['secs'],
            ' FAILED' if r['failed'] else ''))
    for r in bad:
        print('\nFAILURE (seed %d): %s\nminimal sequence (%d operations):' % (r['seed'], r['msg'], len(r['seq'])))
        for op in r['seq']:
            print('  ' + repr(op))
    print('differential: %d steps, %d divergences or invariant violations' % (total, len(bad)))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
