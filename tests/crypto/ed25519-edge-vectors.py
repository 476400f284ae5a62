#!/usr/bin/python3
"""Derives the Ed25519 edge-case vectors of tests/unit/test_crypto_ed25519.c
from RFC 8032 (an independent model in Python integers, affine coordinates;
it is only used to produce and check test data, never built into KCore).

Prints: the eight small-order points (canonical encodings), and for the RFC
TEST 1 key, "signatures" whose cofactorless equation holds although R (or A)
is of small order, so that only the small-order check can refuse them."""
import hashlib

p = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
d = -121665 * pow(121666, p - 2, p) % p
SQRTM1 = pow(2, (p - 1) // 4, p)


def add(P, Q):
    (x1, y1), (x2, y2) = P, Q
    t = d * x1 * x2 * y1 * y2 % p
    return ((x1 * y2 + x2 * y1) * pow(1 + t, p - 2, p) % p,
            (y1 * y2 + x1 * x2) * pow(1 - t, p - 2, p) % p)


def mul(k, P):
    R = (0, 1)
    while k:
        if k & 1:
            R = add(R, P)
        P = add(P, P)
        k >>= 1
    return R


def recover_x(y, sign):
    if y >= p:
        return None
    x2 = (y * y - 1) * pow(d * y * y + 1, p - 2, p) % p
    x = pow(x2, (p + 3) // 8, p)
    if (x * x - x2) % p:
        x = x * SQRTM1 % p
    if (x * x - x2) % p:
        return None
    if x == 0 and sign:
        return None
    return p - x if x & 1 != sign else x


def enc(P):
    x, y = P
    return (y | (x & 1) << 255).to_bytes(32, 'little')


def dec(s):
    v = int.from_bytes(s, 'little')
    y, sign = v & (2**255 - 1), v >> 255
    x = recover_x(y, sign)
    return None if x is None else (x, y)


B = dec(bytes([0x58] + [0x66] * 31))


def small_order_points():
    """The eight points T with [8]T = identity: [L]P over points P of the
    whole curve group (of order 8 L) until eight distinct ones are seen."""
    pts = set()
    y = 2
    while len(pts) < 8:
        P = dec(y.to_bytes(32, 'little'))
        if P is not None:
            pts.add(mul(L, P))
        y += 1
    pts = sorted(pts)
    for T in pts:
        assert mul(8, T) == (0, 1)
    return pts


def secret_scalar(seed):
    h = hashlib.sha512(seed).digest()
    a = bytearray(h[:32])
    a[0] &= 248
    a[31] &= 127
    a[31] |= 64
    return int.from_bytes(a, 'little')


def main():
    small = small_order_points()
    print('small-order points:')
    for T in small:
        print('  ' + enc(T).hex())
    seed = bytes.fromhex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60')
    a = secret_scalar(seed)
    A = enc(mul(a, B))
    assert A.hex() == 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a'
    msg = b'KCore small-order R'
    # R = identity: [S]B = [k]A holds with S = k a mod L.
    Renc = enc((0, 1))
    k = int.from_bytes(hashlib.sha512(Renc + A + msg).digest(), 'little') % L
    S = k * a % L
    assert enc(add(mul(S, B), mul(L - k, mul(a, B)))) == Renc
    print('forged R=identity over %r: %s' % (msg, (Renc + S.to_bytes(32, 'little')).hex()))


if __name__ == '__main__':
    main()
