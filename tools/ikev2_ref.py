#!/usr/bin/env python3
"""Independent IKEv2 reference (pyca `cryptography` + Python hmac/hashlib; no imsec code).

Generates vectors/ikev2.yaml:
- ikev2-keys: SKEYSEED, the seven SA keys, child KEYMAT (RFC 7296 s2.13, s2.14, s2.17) and the
  shared-key AUTH value (s2.15), computed here from the RFC formulas with hmac/hashlib. The
  first case uses the inputs of shared/reference/vectors/ikev2.yaml (DERIVED there); this script
  recomputes them and stops if the DERIVED values differ.
- ikev2-dh: public values and shared secrets of D-H groups 14 (RFC 3526 prime, pyca DH),
  19 (pyca EC P-256, RFC 5903 x|y encoding) and 31 (pyca X25519), from fixed private values.
- ikev2-sk: the IKE_AUTH request of tcpdump's tests/ikev2pI2.pcap (BSD-3-Clause, the
  tcpdump group) decrypted with its published SK_ei (pyca AES-CBC); its ICV does not verify
  with the published SK_ai (tcpdump only tests decryption), so it doubles as an integrity
  failure vector. Plus a message sealed here (AES-CBC-256 + HMAC-SHA2-256-128) with a fixed IV.

Run:  python3 tools/ikev2_ref.py ../shared/captures/tcpdump_ikev2pI2.pcap > vectors/ikev2.yaml
      (needs PyYAML and cryptography)
"""

import hashlib
import hmac
import struct
import sys

import yaml
from cryptography.hazmat.primitives.asymmetric import dh, ec, x25519
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives import serialization

H = {"sha1": hashlib.sha1, "sha256": hashlib.sha256}


def prf(alg, k, d):
    return hmac.new(k, d, H[alg]).digest()


def prf_plus(alg, k, s, n):
    out, t, i = b"", b"", 1
    while len(out) < n:
        t = prf(alg, k, t + s + bytes([i]))
        out += t
        i += 1
    return out[:n]


def keys(alg, ekl, akl, ni, nr, gir, spii, spir):
    plen = H[alg]().digest_size
    seed = prf(alg, ni + nr, gir)
    km = prf_plus(alg, seed, ni + nr + spii + spir, 3 * plen + 2 * akl + 2 * ekl)
    names = [("sk_d", plen), ("sk_ai", akl), ("sk_ar", akl), ("sk_ei", ekl), ("sk_er", ekl),
             ("sk_pi", plen), ("sk_pr", plen)]
    out, at = {"skeyseed": seed.hex()}, 0
    for n, l in names:
        out[n] = km[at:at + l].hex()
        at += l
    return out


def key_cases():
    ref = {
        "ni": "00112233445566778899aabbccddeeff", "nr": "ffeeddccbbaa99887766554433221100",
        "g_ir": "0f" * 32, "spi_i": "0102030405060708", "spi_r": "1112131415161718",
    }
    derived = {"skeyseed": "8ff0f1818f9a77203586b9e446ac77b954663d55",
               "sk_d": "a8ae2d6f20527263b311798fa4a4e71c68ea7a5a",
               "sk_ei": "d537bd6215a9d6a5c15cae2b87f80379",
               "sk_pr": "69ad5a411805d1648f99bbf28b55c689c7d1a1e2"}
    cases = []
    for cid, alg, encr, ekl, integ, akl, inp in [
        ("keys-prf-sha1-aes128-sha1-96", "sha1", "aes-cbc-128", 16, "hmac-sha1-96", 20, ref),
        ("keys-prf-sha256-aes256-sha256-128", "sha256", "aes-cbc-256", 32, "hmac-sha2-256-128", 32,
         {"ni": bytes(range(32)).hex(), "nr": bytes(range(100, 132)).hex(),
          "g_ir": bytes((i * 7) & 0xff for i in range(256)).hex(),
          "spi_i": "a1a2a3a4a5a6a7a8", "spi_r": "b1b2b3b4b5b6b7b8"}),
    ]:
        b = {k: bytes.fromhex(v) for k, v in inp.items()}
        exp = keys(alg, ekl, akl, b["ni"], b["nr"], b["g_ir"], b["spi_i"], b["spi_r"])
        if cid.startswith("keys-prf-sha1"):
            for k, v in derived.items():
                if exp[k] != v:
                    sys.exit(f"DERIVED value {k} of the shared reference differs: {exp[k]} != {v}")
        # child SA: ESP AES-CBC-128 + HMAC-SHA1-96 without PFS: 2 * (16 + 20) octets.
        exp["child_keymat_72"] = prf_plus(alg, bytes.fromhex(exp["sk_d"]), b["ni"] + b["nr"], 72).hex()
        # Shared-key AUTH of the initiator over a stand-in first message.
        msg = b"IKE_SA_INIT request stand-in " + b["spi_i"]
        idb = bytes([2, 0, 0, 0]) + b"seg-a.example.net"
        psk = b"za-test-psk"
        exp["auth_i"] = prf(alg, prf(alg, psk, b"Key Pad for IKEv2"),
                            msg + b["nr"] + prf(alg, bytes.fromhex(exp["sk_pi"]), idb)).hex()
        src = ("shared/reference/vectors/ikev2.yaml inputs (its DERIVED values recomputed and equal)"
               if cid.startswith("keys-prf-sha1") else "inputs chosen here")
        cases.append({
            "id": cid,
            "source": f"RFC 7296 s2.13/2.14/2.15/2.17 formulas computed by tools/ikev2_ref.py "
                      f"(Python hmac/hashlib); {src}",
            "input": dict(inp, prf=alg, encr=encr, integ=integ, psk=psk.hex(), auth_message=msg.hex(),
                          id_body=idb.hex()),
            "expected": exp,
        })
    return cases


P2048 = int("ffffffffffffffffc90fdaa22168c234c4c6628b80dc1cd129024e088a67cc74020bbea63b139b22514a08798e3404ddef9519b3cd3a431b302b0a6df25f14374fe1356d6d51c245e485b576625e7ec6f44c42e9a637ed6b0bff5cb6f406b7edee386bfb5a899fa5ae9f24117c4b1fe649286651ece45b3dc2007cb8a163bf0598da48361c55d39a69163fa8fd24cf5f83655d23dca3ad961c62f356208552bb9ed529077096966d670c354e4abc9804f1746c08ca18217c32905e462e36ce3be39e772c180e86039b2783a2ec07a28fb5c55df06f4c52c9de2bcbf6955817183995497cea956ae515d2261898fa051015728e5a8aacaa68ffffffffffffffff", 16)


def dh_cases():
    a = bytes.fromhex("3c" * 31 + "01")
    b = bytes.fromhex("5a" * 31 + "02")
    out = []
    # group 14: pyca (OpenSSL) DH with the RFC 3526 prime
    params = dh.DHParameterNumbers(P2048, 2).parameters()
    pa = dh.DHPrivateNumbers(int.from_bytes(a, "big"),
                             dh.DHPublicNumbers(pow(2, int.from_bytes(a, "big"), P2048),
                                                dh.DHParameterNumbers(P2048, 2))).private_key()
    pb = dh.DHPrivateNumbers(int.from_bytes(b, "big"),
                             dh.DHPublicNumbers(pow(2, int.from_bytes(b, "big"), P2048),
                                                dh.DHParameterNumbers(P2048, 2))).private_key()
    shared = pa.exchange(pb.public_key())
    shared = shared.rjust(256, b"\0")
    pub_a = pa.public_key().public_numbers().y.to_bytes(256, "big")
    pub_b = pb.public_key().public_numbers().y.to_bytes(256, "big")
    out.append(("dh-group14", 14, a, b, pub_a, pub_b, shared, "pyca cryptography DH (OpenSSL) with the RFC 3526 s3 prime"))
    # group 19
    ka = ec.derive_private_key(int.from_bytes(a, "big"), ec.SECP256R1())
    kb = ec.derive_private_key(int.from_bytes(b, "big"), ec.SECP256R1())
    enc = lambda k: k.public_key().public_bytes(serialization.Encoding.X962,
                                                serialization.PublicFormat.UncompressedPoint)[1:]
    out.append(("dh-group19", 19, a, b, enc(ka), enc(kb), ka.exchange(ec.ECDH(), kb.public_key()),
                "pyca cryptography ECDH P-256; KE data x|y and shared x per RFC 5903 s7"))
    # group 31
    xa = x25519.X25519PrivateKey.from_private_bytes(a)
    xb = x25519.X25519PrivateKey.from_private_bytes(b)
    raw = lambda k: k.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    out.append(("dh-group31", 31, a, b, raw(xa), raw(xb), xa.exchange(xb.public_key()),
                "pyca cryptography X25519 (RFC 8031 s2: 32-octet values)"))
    return [{"id": i, "source": f"{s}, by tools/ikev2_ref.py",
             "input": {"group": g, "private_a": pa_.hex(), "private_b": pb_.hex()},
             "expected": {"public_a": A.hex(), "public_b": B.hex(), "shared": S.hex()}}
            for i, g, pa_, pb_, A, B, S, s in out]


def pcap_packets(path):
    d = open(path, "rb").read()
    off, out = 24, []
    while off < len(d):
        _, _, cl, _ = struct.unpack("<IIII", d[off:off + 16])
        out.append(d[off + 16:off + 16 + cl])
        off += 16 + cl
    return out


def cbc(key, iv, data, enc):
    c = Cipher(algorithms.AES(key), modes.CBC(iv))
    o = c.encryptor() if enc else c.decryptor()
    return o.update(data) + o.finalize()


def sk_cases(pcap):
    out = []
    pk = pcap_packets(pcap)
    msg = pk[1][4 + 20 + 8:]  # BSD loopback (4) + IPv4 (20) + UDP (8)
    ek = bytes.fromhex("3f44bf47cafd8150591deb088199fcbf")
    ak = bytes.fromhex("4ea8e662b07cdd430f6944c6723e4b82d5722418")
    body = msg[32:]
    iv, ct, icv = body[:16], body[16:-12], body[-12:]
    plain = cbc(ek, iv, ct, False)
    pad = plain[-1]
    inner = plain[:len(plain) - pad - 1]
    icv_ok = hmac.new(ak, msg[:-12], hashlib.sha1).digest()[:12] == icv
    assert not icv_ok
    out.append({
        "id": "sk-open-tcpdump-ikev2pI2-ike-auth",
        "source": "tcpdump tests/ikev2pI2.pcap frame 2 and tests/ikev2pI2-secrets.txt (BSD-3-Clause, "
                  "the tcpdump group; ../shared/captures), decrypted by tools/ikev2_ref.py with pyca AES-CBC",
        "comment": "The published SK_ai does not verify this ICV (tcpdump only tests decryption): open "
                   "must refuse it when checking and decrypt it when told not to check.",
        "input": {"message": msg.hex(), "encr": "aes-cbc-128", "integ": "hmac-sha1-96",
                  "sk_e": ek.hex(), "sk_a": ak.hex()},
        "expected": {"icv_ok": False, "inner": inner.hex(), "inner_types": "35,39",
                     "id_data": b"west".hex()},
    })
    # A message sealed here: AES-CBC-256 + HMAC-SHA2-256-128, fixed IV, zero padding.
    ek2 = bytes(range(32))
    ak2 = bytes(range(32, 64))
    iv2 = bytes(range(0xa0, 0xb0))
    # inner: N(NO_PROPOSAL_CHOSEN) only
    inner2 = bytes([0, 0, 0, 8, 0, 0, 0, 14])
    padn = (16 - (len(inner2) + 1) % 16) % 16
    plain2 = inner2 + bytes(padn) + bytes([padn])
    ct2 = cbc(ek2, iv2, plain2, True)
    sk_len = 4 + 16 + len(ct2) + 16
    hdr = bytes.fromhex("0102030405060708" "1112131415161718") + bytes([46, 0x20, 35, 0x20]) + \
        struct.pack(">II", 1, 28 + sk_len)
    m2 = hdr + bytes([41, 0]) + struct.pack(">H", sk_len) + iv2 + ct2
    m2 += hmac.new(ak2, m2, hashlib.sha256).digest()[:16]
    out.append({
        "id": "sk-seal-aes256-sha256-no-proposal-chosen",
        "source": "built by tools/ikev2_ref.py per RFC 7296 s3.14 (pyca AES-CBC, Python hmac SHA-256 "
                  "truncated to 128 bits per RFC 4868)",
        "input": {"encr": "aes-cbc-256", "integ": "hmac-sha2-256-128", "sk_e": ek2.hex(), "sk_a": ak2.hex(),
                  "iv": iv2.hex(), "spi_i": "0102030405060708", "spi_r": "1112131415161718",
                  "exchange": 35, "flags": 0x20, "message_id": 1, "inner": inner2.hex()},
        "expected": {"message": m2.hex(), "icv_ok": True, "inner": inner2.hex(), "inner_types": "41"},
    })
    return out


def main():
    doc = {"family": "ikev2", "description": "IKEv2 (RFC 7296) key schedule, D-H groups 14/19/31, SK payload",
           "source": "see per vector", "vectors": []}
    for v in key_cases():
        v["input"]["operation"] = "keys"
        doc["vectors"].append(v)
    for v in dh_cases():
        v["input"]["operation"] = "dh"
        doc["vectors"].append(v)
    for v in sk_cases(sys.argv[1]):
        v["input"]["operation"] = "sk"
        doc["vectors"].append(v)
    print("# Generated by tools/ikev2_ref.py (independent Python: hmac/hashlib, pyca cryptography). Do not edit by hand.")
    print(yaml.safe_dump(doc, sort_keys=False, width=100), end="")


if __name__ == "__main__":
    main()
