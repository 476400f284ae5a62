#!/usr/bin/python3
"""Our ChaCha20-Poly1305 (crypto/aead.c, through build/host/libkcore_test.so)
against an independent one: python3-cryptography's ChaCha20Poly1305
(OpenSSL underneath), on random keys, nonces, associated data and lengths.

  tests/crypto/aead-interop.py [--lib build/host/libkcore_test.so] [--cases N] [--seed S]

Each case: our seal equals theirs (ciphertext and tag), our open accepts
theirs and gives the plaintext back, their decrypt accepts ours, and our open
refuses a one-bit change of tag, ciphertext or AD with the output untouched.
Prints PASS/FAIL lines and "aead interop: N passed, M failed"."""
import argparse
import ctypes
import os
import random
import sys

from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.exceptions import InvalidTag


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--lib', default=os.path.join(os.path.dirname(__file__), '..', '..', 'build',
                                                  'host', 'libkcore_test.so'))
    ap.add_argument('--cases', type=int, default=300)
    ap.add_argument('--seed', type=int, default=None)
    a = ap.parse_args()
    seed = a.seed if a.seed is not None else int.from_bytes(os.urandom(4), 'little')
    rng = random.Random(seed)
    lib = ctypes.CDLL(a.lib)
    lib.aead_seal.restype = None
    lib.aead_open.restype = ctypes.c_int
    sz = ctypes.c_size_t

    def ours_seal(key, nonce, ad, pt):
        ct = ctypes.create_string_buffer(max(len(pt), 1))
        tag = ctypes.create_string_buffer(16)
        lib.aead_seal(key, nonce, ad, sz(len(ad)), pt, sz(len(pt)), ct, tag)
        return ct.raw[:len(pt)] + tag.raw

    def ours_open(key, nonce, ad, ct_tag, canary):
        ct, tag = ct_tag[:-16], ct_tag[-16:]
        out = ctypes.create_string_buffer(canary, max(len(canary), 1))
        r = lib.aead_open(key, nonce, ad, sz(len(ad)), ct, sz(len(ct)), tag, out)
        return r, out.raw[:len(ct)]

    lens = [0, 1, 15, 16, 17, 63, 64, 65, 127, 128, 129, 255, 256, 1000, 4096, 4097, 65536]
    passed = failed = 0
    for i in range(a.cases):
        key = bytes(rng.getrandbits(8) for _ in range(32))
        nonce = bytes(rng.getrandbits(8) for _ in range(12))
        adlen = rng.choice([0, 1, 12, 16, 17, rng.randrange(0, 300)])
        ptlen = lens[i] if i < len(lens) else rng.choice(lens + [rng.randrange(0, 10000)])
        ad = bytes(rng.getrandbits(8) for _ in range(adlen))
        pt = bytes(rng.getrandbits(8) for _ in range(ptlen))
        why = []
        theirs = ChaCha20Poly1305(key).encrypt(nonce, pt, ad)
        mine = ours_seal(key, nonce, ad, pt)
        if mine != theirs:
            why.append('seal differs')
        canary = bytes((0xa5 ^ j) & 0xff for j in range(ptlen))
        r, out = ours_open(key, nonce, ad, theirs, canary)
        if r != 0 or out != pt:
            why.append('our open of their seal: %d' % r)
        try:
            if ChaCha20Poly1305(key).decrypt(nonce, mine, ad) != pt:
                why.append('their open of ours: wrong text')
        except InvalidTag:
            why.append('their open of ours: refused')
        # one flipped bit: in the tag, the ciphertext (if any) or the AD (if any)
        targets = ['tag'] + (['ct'] if ptlen else []) + (['ad'] if adlen else [])
        for t in targets:
            bad_ct, bad_ad = bytearray(theirs), bytearray(ad)
            if t == 'tag':
                bad_ct[ptlen + rng.randrange(16)] ^= 1 << rng.randrange(8)
            elif t == 'ct':
                bad_ct[rng.randrange(ptlen)] ^= 1 << rng.randrange(8)
            else:
                bad_ad[rng.randrange(adlen)] ^= 1 << rng.randrange(8)
            r, out = ours_open(key, nonce, bytes(bad_ad), bytes(bad_ct), canary)
            if r != -1 or out != canary:
                why.append('flipped %s: open returned %d%s' % (t, r, '' if out == canary else ', output written'))
        name = 'aead case %d (ad %d, text %d bytes)' % (i, adlen, ptlen)
        if why:
            failed += 1
            print('FAIL %s: %s' % (name, '; '.join(why)))
        else:
            passed += 1
    print('aead interop (seed %d): %d passed, %d failed' % (seed, passed, failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
