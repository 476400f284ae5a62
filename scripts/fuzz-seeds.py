#!/usr/bin/python3
"""Write the fuzzer's seed corpus (tests/fuzz/corpus/): byte strings in the
encoding of tests/fuzz/hvc_fuzz.c that take a VM through its life (create,
boot info, remap, verify, run with a mapping request, exits with grant,
MMIO, WFI, power-off, clear) and set up device contexts, so the fuzzer
starts from deep states instead of having to find them."""
import os
import sys

HC = 0xC6001000


def small(k):   # val(): selector 0 -> small value
    return bytes([0, k])


def host_page(i):  # selector 1 -> RAM_BASE + i pages
    return bytes([1, i])


def hot_pfn(i):  # selector 3
    return bytes([3, i])


def guest_ipa(page):  # selector 5
    return bytes([5, page & 0xFF, page >> 8])


def size(pages):  # selector 10
    return bytes([10, pages])


def call(n, *vals):
    vals = list(vals) + [small(0)] * (4 - len(vals))
    return bytes([0, n]) + b''.join(vals)


def run(vmid, vcpu, entry_page, map_page=None, pfn_page=None, level=3):
    b = bytes([3]) + bytes(31)
    b += guest_ipa(entry_page) + bytes([1])       # entry pc, pstate 0x3C5
    b += (guest_ipa(map_page) if map_page is not None else small(0))
    b += (host_page(pfn_page) if pfn_page is not None else small(0)) + bytes([3])
    b += bytes([level - 2, 0, vmid, vcpu])
    return b


def exit_(vmid, vcpu, cls_index, x0=None, x2_page=0, pages=1, hpfar_page=None, trap=True):
    sel = cls_index if trap else 0x80
    b = bytes([4, sel]) + bytes(31)
    if x0 is None:
        b += bytes([0])
    else:
        b += bytes([1, 1 if x0 == 'grant' else 0])
    b += guest_ipa(x2_page) + size(pages)
    b += bytes([0, 0, 0, 0]) + bytes([1]) + bytes([0, 0, 0x0A, 0]) + bytes([0, 0])
    b += (bytes([6, hpfar_page]) if hpfar_page is not None else guest_ipa(0x40))
    b += bytes([vmid, vcpu])
    return b


def lifecycle():
    s = call(1) + call(2, small(1)) + call(3, small(1), small(0))
    s += call(4, small(1), guest_ipa(0), size(2))
    s += call(5, small(1), hot_pfn(5), small(0)) + call(5, small(1), hot_pfn(6), small(0))
    s += call(6, small(1))
    s += run(1, 0, 0)
    s += exit_(1, 0, 2, hpfar_page=0)                      # data abort on RAM: S2FAULT
    s += run(1, 0, 0, map_page=0, pfn_page=9)             # map a page
    s += exit_(1, 0, 0, x0='grant', x2_page=0, pages=1)    # grant it
    s += exit_(1, 0, 0, x0='revoke', x2_page=0, pages=1)
    s += exit_(1, 0, 2, hpfar_page=0)                      # MMIO
    s += run(1, 0, 0)
    s += exit_(1, 0, 1)                                    # WFI
    s += run(1, 0, 0)
    s += call(19, small(1)) + call(7, small(1), hot_pfn(9))
    return s


def smmu():
    s = call(10, small(0), small(0), small(0))             # host context 0/0
    s += call(13, small(0), small(0), host_page(3), host_page(3))
    s += call(14, host_page(3), small(0), small(0))
    s += call(1) + call(2, small(1)) + call(10, small(1), small(1), small(0))
    s += call(12, small(1), small(0), hot_pfn(7), small(7))
    return s


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else 'tests/fuzz/corpus'
    os.makedirs(out, exist_ok=True)
    for name, data in [('lifecycle', lifecycle()), ('smmu', smmu()),
                       ('both', lifecycle() + smmu())]:
        with open(os.path.join(out, name + '.bin'), 'wb') as f:
            f.write(data)


if __name__ == '__main__':
    main()
