"""chacha_poly.py - ChaCha20-Poly1305 (RFC 8439) in pure Python, written
from the RFC for the tests' independent protocol client (endpoint_util.py):
the kind-1 request MAC of proto/theseus.proto section 2a is the AEAD's tag
with an empty plaintext.  Slow (pure Python) but plenty for test traffic;
checked against the RFC's vectors by tests/qemu/test_mac_kind.py.
"""
import struct

_MASK = 0xFFFFFFFF
_SIGMA = (0x61707865, 0x3320646E, 0x79622D32, 0x6B206574)   # "expand 32-byte k"
_P1305 = (1 << 130) - 5


def _rotl(v, n):
    return ((v << n) & _MASK) | (v >> (32 - n))


def _quarter(s, a, b, c, d):
    s[a] = (s[a] + s[b]) & _MASK
    s[d] = _rotl(s[d] ^ s[a], 16)
    s[c] = (s[c] + s[d]) & _MASK
    s[b] = _rotl(s[b] ^ s[c], 12)
    s[a] = (s[a] + s[b]) & _MASK
    s[d] = _rotl(s[d] ^ s[a], 8)
    s[c] = (s[c] + s[d]) & _MASK
    s[b] = _rotl(s[b] ^ s[c], 7)


def chacha20_block(key, counter, nonce):
    """RFC 8439 2.3: 64 bytes of key stream for a 32-byte key, a 32-bit
    block counter and a 12-byte nonce."""
    if len(key) != 32 or len(nonce) != 12:
        raise ValueError("ChaCha20 wants a 32-byte key and a 12-byte nonce")
    init = list(_SIGMA) + list(struct.unpack("<8I", key)) + [counter & _MASK] + \
        list(struct.unpack("<3I", nonce))
    s = list(init)
    for _ in range(10):
        _quarter(s, 0, 4, 8, 12)
        _quarter(s, 1, 5, 9, 13)
        _quarter(s, 2, 6, 10, 14)
        _quarter(s, 3, 7, 11, 15)
        _quarter(s, 0, 5, 10, 15)
        _quarter(s, 1, 6, 11, 12)
        _quarter(s, 2, 7, 8, 13)
        _quarter(s, 3, 4, 9, 14)
    return struct.pack("<16I", *[(x + y) & _MASK for x, y in zip(s, init)])


def chacha20_xor(key, counter, nonce, data):
    """RFC 8439 2.4: data XOR the key stream from block `counter` on."""
    out = bytearray()
    for i in range(0, len(data), 64):
        ks = chacha20_block(key, counter + i // 64, nonce)
        out += bytes(a ^ b for a, b in zip(data[i:i + 64], ks))
    return bytes(out)


def poly1305(key, msg):
    """RFC 8439 2.5: the 16-byte one-time authenticator of msg."""
    if len(key) != 32:
        raise ValueError("Poly1305 wants a 32-byte one-time key")
    r = int.from_bytes(key[:16], "little") & 0x0FFFFFFC0FFFFFFC0FFFFFFC0FFFFFFF
    s = int.from_bytes(key[16:], "little")
    acc = 0
    for i in range(0, len(msg), 16):
        block = msg[i:i + 16] + b"\x01"
        acc = (acc + int.from_bytes(block, "little")) * r % _P1305
    return ((acc + s) & ((1 << 128) - 1)).to_bytes(16, "little")


def _pad16(b):
    return b"\x00" * (-len(b) % 16)


def aead_encrypt(key, nonce, aad, plaintext=b""):
    """RFC 8439 2.8: (ciphertext, tag)."""
    otk = chacha20_block(key, 0, nonce)[:32]
    ct = chacha20_xor(key, 1, nonce, plaintext)
    mac_data = aad + _pad16(aad) + ct + _pad16(ct) + struct.pack("<QQ", len(aad), len(ct))
    return ct, poly1305(otk, mac_data)


def aead_tag(key, nonce, aad):
    """The tag with an empty plaintext: what the kind-1 MAC is."""
    return aead_encrypt(key, nonce, aad, b"")[1]
