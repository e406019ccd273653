"""test_mac_kind.py - the cheap request MAC (Envelope.mac_kind 1,
proto/theseus.proto section 2a) against a QEMU guest, spoken by the tests'
independent Python client (endpoint_util.py with the pure-Python
ChaCha20-Poly1305 of chacha_poly.py) and by theseusctl.

  vectors        chacha_poly.py against RFC 8439 (2.5.2 Poly1305, 2.8.2
                 AEAD), against python3-cryptography when it is installed,
                 and the kind-1 known answer of the C unit test
                 (tests/unit/wire_mac_poly_test.c): no guest
  push_swap      one keyed guest: a kind-1 client learns the epoch (sealed
                 ESTALE naming kinds 0 and 1), pushes hello_v2 and swaps
                 hello 1.0 -> 2.0; a kind-1 chunk with one body byte
                 changed, a kind-1 tag of 32 bytes and an unknown kind are
                 refused (EAUTH, unsealed, counted, nothing staged); a
                 kind-0 (HMAC) client pushes hello back and swaps 2.0 ->
                 1.0; theseusctl pushes with kind 1 after its first
                 request (seen on the wire through a capturing relay) and
                 with --mac hmac never; theseusctl info names both kinds
"""
import hashlib
import json
import os
import re
import struct
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import chacha_poly  # noqa: E402
import endpoint_util as eu  # noqa: E402
import harness  # noqa: E402
from harness import expect  # noqa: E402

MODULES = ["checksum", "kv", "logfmt", "hello"]
HELLO_V1 = harness.module_path("hello")
HELLO_V2 = harness.module_path("hello_v2")


def test_mac_kind_vectors():
    # RFC 8439 2.5.2: Poly1305
    otk = bytes.fromhex("85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b")
    tag = chacha_poly.poly1305(otk, b"Cryptographic Forum Research Group")
    expect(tag.hex() == "a8061dc1305136c6c22b8baf0c0127a9", "RFC 8439 2.5.2: %s" % tag.hex())
    # RFC 8439 2.8.2: the AEAD
    key = bytes(range(0x80, 0xA0))
    nonce = bytes.fromhex("070000004041424344454647")
    aad = bytes.fromhex("50515253c0c1c2c3c4c5c6c7")
    pt = (b"Ladies and Gentlemen of the class of '99: If I could offer you only one tip "
          b"for the future, sunscreen would be it.")
    ct, tag = chacha_poly.aead_encrypt(key, nonce, aad, pt)
    expect(tag.hex() == "1ae10b594f09e26a7e902ecbd0600691", "RFC 8439 2.8.2 tag: %s" % tag.hex())
    expect(ct[:16].hex() == "d31a8d34648e60db7b86afbc53ef7ec2" and ct[-2:].hex() == "6116",
           "RFC 8439 2.8.2 ciphertext: %s" % ct.hex())
    # the kind-1 known answer of tests/unit/wire_mac_poly_test.c
    k = bytes(range(1, 33))
    body = bytes((i * 7 + 3) & 0xFF for i in range(300))
    mac = eu.request_mac(k, 2, 42, 1001, 0x1122334455667788, body, eu.MAC_POLY)
    expect(mac.hex() == "c595614deb0a2c8a9f1cde0ea20bf272", "kind-1 known answer: %s" % mac.hex())
    checked = "RFC 8439 2.5.2, 2.8.2, kind-1 known answer"
    try:
        from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
    except ImportError:
        return checked + " (python3-cryptography not installed)"
    for n in (0, 1, 15, 16, 17, 300, 1400):
        a = os.urandom(n)
        want = ChaCha20Poly1305(key).encrypt(nonce, b"", a)
        expect(chacha_poly.aead_tag(key, nonce, a) == want, "differs from OpenSSL at %d" % n)
    return checked + ", 7 random AADs against python3-cryptography"


def _auth_failures(raw):
    r = raw.call(eu.req_info())
    return eu.one(eu.decode(eu.one(r.payload[11], 8, b"")), 3, 0)


def _push(raw, data):
    r = raw.push(data)
    expect(r is not None and r.status == 0 and r.sealed, "push: %r" % r)
    ack = eu.decode(eu.one(r.msg, 13, b""))
    expect(eu.one(ack, 4, 0) == 1, "the last chunk did not complete the object: %r" % ack)


def test_mac_kind_push_swap():
    tmp = tempfile.mkdtemp(prefix="theseus-mac-")
    key_file = os.path.join(tmp, "key")
    key = bytes.fromhex(eu.keygen(key_file))
    port = harness.free_port()
    g = harness.Guest(cmdline="key=%s" % key.hex(), modules=MODULES, nic="e1000",
                      hostfwd=[("udp", port, 7700)], label="mac_kind").start()
    g.wait_for(r"theseus: ready:[^\r\n]*(?=\r?\n)", 60)
    g.wait_for(r"net: address 10\.0\.2\.15", 60)

    # A kind-1 client: its first request (epoch 0) gets a sealed ESTALE that
    # names the kinds; then push and swap with kind 1 only.
    raw = eu.RawClient(port, key=key, mac_kind=eu.MAC_POLY)
    c = raw.next_counter()
    r = raw.raw(eu.envelope(eu.req_ping(), key=key, client_id=raw.client_id, counter=c,
                            epoch=0, mac_kind=eu.MAC_POLY),
                want_counter=c, bind=(key, raw.client_id, c, 0))
    expect(r is not None and r.status == eu.ESTALE and r.sealed and r.epoch,
           "kind-1 first request: %r" % r)
    expect(r.mac_kinds == 3, "the kernel names kinds %d, want 3 (HMAC and kind 1)" % r.mac_kinds)
    raw.epoch = r.epoch
    v2 = open(HELLO_V2, "rb").read()
    sha2 = hashlib.sha256(v2).digest()
    _push(raw, v2)
    r = raw.call(eu.req_swap([("hello", "1.0", sha2)]))
    expect(r.status == 0 and r.sealed, "kind-1 swap: %r" % r)
    expect(eu.ls_versions(port, key_file)["hello"] == "2.0", "hello did not become 2.0")

    # Refusals: one body byte changed after MACing, a 32-byte kind-1 tag, kind 2.
    fails0 = _auth_failures(raw)
    v1 = open(HELLO_V1, "rb").read()
    sha1 = hashlib.sha256(v1).digest()
    body = eu.req_chunk(sha1, len(v1), 0, v1[:eu.CHUNK])
    bad = []
    for what in ("body", "long tag", "kind 2"):
        c = raw.next_counter()
        if what == "body":
            mac = eu.request_mac(key, 2, raw.client_id, c, raw.epoch, body, eu.MAC_POLY)
            tampered = bytearray(body)
            tampered[len(body) // 2] ^= 1
            d = eu.envelope(bytes(tampered), key=key, client_id=raw.client_id, counter=c,
                            epoch=raw.epoch, mac=mac, mac_kind=eu.MAC_POLY)
        elif what == "long tag":
            mac = eu.request_mac(key, 2, raw.client_id, c, raw.epoch, body, eu.MAC_POLY)
            d = eu.envelope(body, key=key, client_id=raw.client_id, counter=c,
                            epoch=raw.epoch, mac=mac + bytes(16), mac_kind=eu.MAC_POLY)
        else:
            d = eu.envelope(body, key=key, client_id=raw.client_id, counter=c,
                            epoch=raw.epoch, mac_kind=2)
        r = raw.raw(d, retries=1, bind=(key, raw.client_id, c, raw.epoch))
        expect(r is not None and r.status == eu.EAUTH and not r.sealed and not r.mac_kinds,
               "%s: %r" % (what, r))
        expect(len(r.raw) <= len(d), "%s: a refusal longer than the datagram" % what)
        bad.append(what)
    fails1 = _auth_failures(raw)
    expect(fails1 - fails0 == 3, "auth_failures went %d -> %d, want +3" % (fails0, fails1))
    r = raw.call(eu.req_object_status(sha1))
    ost = eu.decode(eu.one(r.msg, 14, b""))
    expect(r.status == 0 and eu.one(ost, 4, 0) == 0,
           "a refused chunk was stored: %r %r" % (r, ost))
    raw.close()

    # Kind 0 (HMAC) still works: push hello 1.0 back and swap to it.
    old = eu.RawClient(port, key=key)
    old.learn_epoch()
    _push(old, v1)
    r = old.call(eu.req_swap([("hello", "2.0", sha1)]))
    expect(r.status == 0 and r.sealed, "HMAC swap: %r" % r)
    expect(eu.ls_versions(port, key_file)["hello"] == "1.0", "hello did not go back to 1.0")
    old.close()

    # theseusctl: kind 1 after its first request by default, never with --mac hmac.
    seen = {}
    for mode in ("auto", "hmac"):
        proxy = eu.UdpProxy(port)
        try:
            obj = os.path.join(tmp, "obj-%s.bin" % mode)
            with open(obj, "wb") as f:
                f.write(os.urandom(40 * 1024))
            p = eu.ctl(proxy.port, "--mac", mode, "push", obj, key_file=key_file, check_rc=0)
            kinds = []
            for d in proxy.captured:
                env = eu.decode(d)
                req = eu.decode(eu.one(env, 5, b""))
                kinds.append((eu.REQ_CHUNK in req, eu.one(env, 7, 0), len(eu.one(env, 4, b""))))
        finally:
            proxy.close()
        chunks = [k for k in kinds if k[0]]
        expect(chunks, "%s: no chunks on the wire: %s" % (mode, p.stderr))
        if mode == "auto":
            expect(kinds[0][1:] == (0, 32), "the first request is not HMAC'd: %r" % (kinds[0],))
            expect(all(k[1:] == (1, 16) for k in chunks),
                   "a chunk without the kind-1 tag: %r" % [k for k in chunks if k[1] != 1][:3])
        else:
            expect(all(k[1:] == (0, 32) for k in kinds), "--mac hmac sent another kind")
        seen[mode] = len(chunks)
    # theseusctl info names the kinds the kernel takes
    p = eu.ctl(port, "--json", "info", key_file=key_file, check_rc=0)
    info = json.loads(p.stdout.splitlines()[0])
    expect(info.get("mac_kinds") == 3, "info --json: mac_kinds %r" % info.get("mac_kinds"))
    p = eu.ctl(port, "info", key_file=key_file, check_rc=0)
    expect("request MACs hmac-sha256 and chacha20-poly1305" in p.stdout, "info: %s" % p.stdout)
    g.kill()
    return ("kind-1 push + swap, %s refused, HMAC swap back; theseusctl chunks: %d kind 1, "
            "%d HMAC with --mac hmac" % (", ".join(bad), seen["auto"], seen["hmac"]))
