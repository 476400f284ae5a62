"""The ciphers of exported VM state for the model (D41).

The spec leaves the ciphertext to an oracle. The model computes it itself,
independently of the C, from docs/abi.md ("Encrypted export") with
python3-cryptography's ChaCha20-Poly1305 and HMAC-SHA512: the per-VM key from
the device secret the build provisioned, the nonce from the model's own
per-VM counter, the header as associated data. The plaintext pages' bytes
come from `page_bytes` (the differential driver: the C side's RAM before the
step, whose pages the model compares). So the C's ciphertext must equal the
model's byte for byte (the driver compares the first word of every page), and
every blob the C accepts or refuses the model must accept or refuse too.
"""
import hashlib
import hmac
import os
import struct

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

PAGE = 4096
MAGIC = 0x424C4245524F434B
KIND_PAGE, KIND_VCPU = 1, 2
HDR = struct.Struct('<QIIIIQ12sI16s')   # magic version kind vmid generation index nonce length tag
AD_SIZE = 48
LABEL = b'KCORE export key v2'
VERSION = 2  # D68: the header carries the VM id's generation
HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SECRET = os.path.join(HERE, '..', '..', 'build', 'keys', 'device-secret.bin')


class Export:
    def __init__(self, page_bytes, secret=None, boot_salt=bytes(32)):
        if secret is None:
            secret = open(os.environ.get('KCORE_DEVICE_SECRET') or DEFAULT_SECRET, 'rb').read()
        self.secret, self.salt, self.page_bytes = secret, boot_salt, page_bytes

    def key(self, vmid, gen=0):
        # D68: the VM id's generation (DESTROY_VMs of it so far) after the id.
        msg = LABEL + struct.pack('<II', vmid, gen) + self.salt
        return hmac.new(self.secret, msg, hashlib.sha512).digest()[:32]

    def seal(self, vmid, kind, index, seq, pt, gen=0):
        """(header bytes, ciphertext) of a new blob."""
        nonce = struct.pack('<Q', seq) + bytes(4)
        ad = HDR.pack(MAGIC, VERSION, kind, vmid, gen, index, nonce, len(pt), bytes(16))[:AD_SIZE]
        out = ChaCha20Poly1305(self.key(vmid, gen)).encrypt(nonce, bytes(pt), ad)
        return ad + out[-16:], out[:-16]

    def header(self, pfn, off=0):
        return HDR.unpack(self.page_bytes(pfn)[off:off + HDR.size])

    def header_ok(self, h, kind, vmid, index, length, gen=0):
        magic, ver, k, v, g, idx, _nonce, ln, _tag = h
        if (magic, ver, k, v, g, ln) != (MAGIC, VERSION, kind, vmid, gen, length):
            return False
        return idx < (1 << 28) if index is None else idx == index

    def open(self, vmid, hbytes, ct, gen=0):
        """The plaintext, or None if the tag does not verify."""
        h = HDR.unpack(hbytes)
        try:
            return ChaCha20Poly1305(self.key(vmid, gen)).decrypt(h[6], bytes(ct) + h[8],
                                                              hbytes[:AD_SIZE])
        except InvalidTag:
            return None
