#!/usr/bin/python3
"""SHA-512, HMAC-SHA512 and Ed25519 verification of crypto/ (through
build/host/libkcore_test.so) against independent implementations: Python's
hashlib and hmac, and python3-cryptography's Ed25519 (OpenSSL underneath),
on random keys, messages and lengths.

  tests/crypto/hash-sig-interop.py [--lib ...] [--cases N] [--seed S]

Ed25519: a signature made by the other side verifies; one with a flipped
bit (signature, key or message) is refused by both sides alike.
Prints FAIL lines and "hash/sig interop: N passed, M failed"."""
import argparse
import ctypes
import hashlib
import hmac
import os
import random
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--lib', default=os.path.join(os.path.dirname(__file__), '..', '..', 'build',
                                                  'host', 'libkcore_test.so'))
    ap.add_argument('--cases', type=int, default=200)
    ap.add_argument('--seed', type=int, default=None)
    a = ap.parse_args()
    seed = a.seed if a.seed is not None else int.from_bytes(os.urandom(4), 'little')
    rng = random.Random(seed)
    lib = ctypes.CDLL(a.lib)
    lib.ed25519_verify.restype = ctypes.c_int
    sz = ctypes.c_size_t
    rb = lambda n: bytes(rng.getrandbits(8) for _ in range(n))

    def sha512(m):
        out = ctypes.create_string_buffer(64)
        lib.sha512(m, sz(len(m)), out)
        return out.raw

    def hmac512(k, m):
        out = ctypes.create_string_buffer(64)
        lib.hmac_sha512(k, sz(len(k)), m, sz(len(m)), out)
        return out.raw

    def verify(sig, pk, m):
        return lib.ed25519_verify(sig, pk, m, sz(len(m)))

    def theirs_ok(sig, pk, m):
        try:
            Ed25519PublicKey.from_public_bytes(pk).verify(sig, m)
            return True
        except (InvalidSignature, ValueError):
            return False

    passed = failed = 0
    lens = [0, 1, 111, 112, 127, 128, 129, 239, 240, 255, 256, 1000, 4096, 100000]
    for i in range(a.cases):
        why = []
        n = lens[i] if i < len(lens) else rng.randrange(0, 3000)
        m = rb(n)
        if sha512(m) != hashlib.sha512(m).digest():
            why.append('sha512 of %d bytes differs' % n)
        k = rb(rng.choice([0, 1, 32, 64, 127, 128, 129, 200, rng.randrange(0, 300)]))
        if hmac512(k, m) != hmac.new(k, m, hashlib.sha512).digest():
            why.append('hmac (key %d, text %d bytes) differs' % (len(k), n))
        key = Ed25519PrivateKey.from_private_bytes(rb(32))
        pk = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        sig = key.sign(m)
        if verify(sig, pk, m) != 0:
            why.append('ed25519: their signature refused (%d bytes)' % n)
        for what in ('sig', 'pk', 'msg'):
            s2, p2, m2 = bytearray(sig), bytearray(pk), bytearray(m)
            t = {'sig': s2, 'pk': p2, 'msg': m2}[what]
            if not t:
                continue
            t[rng.randrange(len(t))] ^= 1 << rng.randrange(8)
            s2, p2, m2 = bytes(s2), bytes(p2), bytes(m2)
            mine = verify(s2, p2, m2) == 0
            if mine or mine != theirs_ok(s2, p2, m2):
                why.append('ed25519: flipped %s: ours %s, theirs %s' %
                           (what, 'accepts' if mine else 'refuses',
                            'accepts' if theirs_ok(s2, p2, m2) else 'refuses'))
        if why:
            failed += 1
            print('FAIL case %d: %s' % (i, '; '.join(why)))
        else:
            passed += 1
    print('hash/sig interop (seed %d): %d passed, %d failed' % (seed, passed, failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
