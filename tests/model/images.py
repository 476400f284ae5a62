"""Signed VM images for the differential test (docs/image-format.md).

verify_img is a Parameter of the spec (an oracle), so the model may take its
answer from anywhere. Here it is an independent implementation of KCore's
check, written from docs/image-format.md with python3-cryptography's Ed25519:
it reads the image through the model's own view of KCore's remap window
(the frames the model's COREVISOR table maps), taking each page's bytes from
the C side's RAM as they are before the step, and checks the trailer and the
signature with the public keys the build provisioned (build/keys/
image-keys.pem). The generator signs its images with the build's private key
(build/keys/dev-ed25519.pem, or KCORE_SIGN_KEY) and sometimes breaks them.
"""
import hashlib
import os
import struct

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

import constants as K

PAGE = 4096
TRAILER = 128
HERE = os.path.dirname(os.path.abspath(__file__))
BUILD_KEYS = os.path.join(HERE, '..', '..', 'build', 'keys')


def raw_public(key):
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(raw):
    return hashlib.sha512(raw).digest()[:8]


def load_public_keys(path=None):
    """{key id: raw key} of every PEM public key in the file the build used."""
    path = path or os.path.join(BUILD_KEYS, 'image-keys.pem')
    text = open(path, 'rb').read()
    out = {}
    end = b'-----END PUBLIC KEY-----'
    for chunk in text.split(end)[:-1]:
        k = serialization.load_pem_public_key(chunk + end + b'\n')
        out[key_id(raw_public(k))] = raw_public(k)
    return out


def load_signing_key(path=None):
    path = path or os.environ.get('KCORE_SIGN_KEY') or os.path.join(BUILD_KEYS, 'dev-ed25519.pem')
    return serialization.load_pem_private_key(open(path, 'rb').read(), password=None)


def sign(key, payload, load_addr):
    head = b'KCORESIG' + struct.pack('<IIQQ', 1, TRAILER, len(payload), load_addr) \
        + key_id(raw_public(key.public_key())) + bytes(24)
    return payload + head + key.sign(payload + head)


class Oracle:
    """model.verify_img: True iff every image of the VM passes KCore's check."""

    def __init__(self, model, page_bytes, keys):
        self.m, self.page_bytes, self.keys = model, page_bytes, keys

    def image(self, info, i):
        size = info.load_size[i]
        base = info.remap_addr[i] // PAGE
        n = (size + PAGE - 1) // PAGE
        return b''.join(self.page_bytes(self.m.lookup(K.COREVISOR, base + k)[0])
                        for k in range(n))[:size]

    def slot_ok(self, info, i):
        size = info.load_size[i]
        if size < TRAILER:
            return False
        img = self.image(info, i)
        t = img[size - TRAILER:]
        magic, ver, tsize, psize, load = struct.unpack('<8sIIQQ', t[:32])
        if (magic, ver, tsize, psize, load) != (b'KCORESIG', 1, TRAILER, size - TRAILER,
                                                info.load_addr[i]):
            return False
        if any(t[40:64]):
            return False
        pk = self.keys.get(t[32:40])
        if pk is None:
            return False
        try:
            Ed25519PublicKey.from_public_bytes(pk).verify(t[64:], img[:size - 64])
        except InvalidSignature:
            return False
        return True

    def __call__(self, vmid, info):
        return all(self.slot_ok(info, i) for i in range(info.next_load_info))
