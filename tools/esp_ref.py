#!/usr/bin/env python3
"""Independent generator for vectors/esp.yaml (complete ESP packets, RFC 4303).

Expected values come from pyca/cryptography (AES, 3DES, AES-GCM) and Python hmac/hashlib,
never from imsec. Run from the repository root:

    python3 tools/esp_ref.py > vectors/esp.yaml

Needs `cryptography` (pip install cryptography; tested with 48.0).

Parts:
  * RFC 3602 §4 cases #5-#8: the ESP part (SPI .. end) of the RFC's listed packets, AES-128-CBC,
    no ICV. The script decrypts them, checks the RFC 4303 trailer (monotone padding, pad
    length, next header) and re-encrypts with the listed IV, which must give the same bytes.
  * The Linux xfrm 3DES-CBC tunnel packet quoted in scapy's test/scapy/layers/ipsec.uts
    (spi 0x222, key "threedifferent8byteskeys"): decrypted here.
  * Packets with integrity built here with pyca/hmac (fixed IVs), including ESN
    (RFC 4303 §2.2.1: seq-hi appended for the ICV; RFC 4106 §5 AAD SPI||seq-hi||seq;
    RFC 4543 §3.3 AAD SPI||seq-hi||seq||IV||...), and negative packets (flipped ICV bit,
    truncation, bad padding with a valid ICV, pad length too large with a valid ICV).
"""
import hashlib
import hmac
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

try:  # 3DES moved to the decrepit module in newer pyca releases
    from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
except ImportError:  # pragma: no cover
    TripleDES = algorithms.TripleDES

RFC3602 = [
    # (case, key, spi, seq, iv, esp packet (SPI..end) as listed in RFC 3602 §4)
    (5, "90d382b410eeba7ad938c46cec1a82bf", 0x4321, 1, "e96e8c08ab465763fd098d45dd3ff893",
     "0000432100000001e96e8c08ab465763fd098d45dd3ff893f663c25d325c18c6a9453e194e120849a4870b66cc6b9965330013b4898dc856a4699e523a55db080b59ec3a8e4b7e52775b07d1db34ed9c538ab50c551b874aa269add047ad2d5913ac19b7cfbad4a6"),
    (6, "90d382b410eeba7ad938c46cec1a82bf", 0x4321, 8, "69d08df7d203329db093fc4924e5bd80",
     "000043210000000869d08df7d203329db093fc4924e5bd80f51995881ec4e0c4488987ce742e8109689bb379d2d750c0d915dca346a89f75"),
    (7, "0123456789abcdef0123456789abcdef", 0x8765, 2, "f4e765244f6407adf13dc1380f673f37",
     "0000876500000002f4e765244f6407adf13dc1380f673f37773b5241a4c449225e4f3ce5ed611b0c237ca96cf74a93013c1b0ea1a0cf70f8e4ecaec78ac53aad7a0f022b859243c647752e94a859352b8a4d4d2decd136e5c177f132ad3fbfb2201ac9904c74ee0a109e0ca1e4dfe9d5a100b842f1c22f0d"),
    (8, "0123456789abcdef0123456789abcdef", 0x8765, 5, "85d47224b5f3dd5d2101d4ea8dffab22",
     "000087650000000585d47224b5f3dd5d2101d4ea8dffab2215b92683819596a8047232cc00f7048fe45318e11f8a0f62ede3c3fc61203bb50f980a08c9843fd3a1b06d5c07ff9639b7eb7dfb3512e5de435e7207ed971ef3d2726d9b5ef6affc6d17a0decbb13892"),
]

LINUX_3DES = ("7468726565646966666572656e743862797465736b657973", 0x222, 1,
              "0000022200000001365c9b4137c8591e3963e86bf70d97541384f6816619e7cb7594f10b8ea3f1a03e8851c450d0a91f1625c6bde90bdcaef81300a38c53ee1c96c0fe9970ab9477d7c4e8fd9f9628b89520867b19bc8ff596b07ecc0483ae4da3ba1d44f0ba2ecd")

SIP = b"REGISTER sip:ims.example.net SIP/2.0\r\nContent-Length: 0\r\n\r\n"


def cbc(alg, key, iv, data, enc):
    c = Cipher(alg(key), modes.CBC(iv))
    op = c.encryptor() if enc else c.decryptor()
    return op.update(data) + op.finalize()


def trailer_ok(plain):
    pad_len, nh = plain[-2], plain[-1]
    pad = plain[-2 - pad_len:-2]
    assert pad == bytes(range(1, pad_len + 1)), "padding not monotone"
    return plain[:-2 - pad_len], nh, pad_len


def pad_to(payload, nh, align, fill=None, extra_pad_len=None):
    n = (-(len(payload) + 2)) % align
    pad = bytes(range(1, n + 1)) if fill is None else bytes([fill]) * n
    pl = n if extra_pad_len is None else extra_pad_len
    return payload + pad + bytes([pl, nh])


def hmac96(alg, key, data):
    return hmac.new(key, data, alg).digest()[:12]


def q(s):
    return '"' + s + '"'


def emit(v):
    print(f"  - id: {v['id']}")
    print(f"    source: {q(v['source'])}")
    if v.get("comment"):
        print(f"    comment: {q(v['comment'])}")
    print(f"    result: {v.get('result', 'valid')}")
    print("    input:")
    for k, val in v["input"].items():
        print(f"      {k}: {q(val) if isinstance(val, str) else val}")
    if v.get("expected"):
        print("    expected:")
        for k, val in v["expected"].items():
            print(f"      {k}: {q(val) if isinstance(val, str) else val}")


def main():
    out = []
    for case, key, spi, seq, iv, pkt in RFC3602:
        k, p = bytes.fromhex(key), bytes.fromhex(pkt)
        assert p[:8] == struct.pack(">II", spi, seq) and p[8:24] == bytes.fromhex(iv)
        plain = cbc(algorithms.AES, k, p[8:24], p[24:], False)
        payload, nh, pl = trailer_ok(plain)
        assert cbc(algorithms.AES, k, p[8:24], plain, True) == p[24:]
        out.append(dict(
            id=f"rfc3602-case{case}",
            source=f"RFC 3602 §4 Case #{case} (ESP part, SPI..end); decrypted and re-encrypted with pyca/cryptography AES-128-CBC",
            comment="confidentiality-only SA (no ICV), as in the RFC",
            input=dict(alg="null", ealg="aes-cbc", integ_key="", enc_key=key, salt="",
                       iv=iv, packet=pkt),
            expected=dict(spi=spi, seq=seq, next_header=nh, pad_len=pl, payload=payload.hex())))
    key, spi, seq, pkt = LINUX_3DES
    k, p = bytes.fromhex(key), bytes.fromhex(pkt)
    plain = cbc(TripleDES, k, p[8:16], p[16:], False)
    payload, nh, pl = trailer_ok(plain)
    out.append(dict(
        id="linux-xfrm-3des-cbc-tunnel",
        source="Linux 4.4 xfrm packet quoted in secdev/scapy test/scapy/layers/ipsec.uts (cbc(des3_ede), digest_null, spi 0x222); decrypted with pyca/cryptography TripleDES-CBC",
        comment="tunnel mode, inner IPv4 ICMP echo",
        input=dict(alg="null", ealg="des-ede3-cbc", integ_key="", enc_key=key, salt="",
                   iv=p[8:16].hex(), packet=pkt),
        expected=dict(spi=spi, seq=seq, next_header=nh, pad_len=pl, payload=payload.hex())))

    # Integrity-protected packets built here.
    ik20 = bytes(range(0x20, 0x34))
    ik16 = bytes(range(0x20, 0x30))
    ek16 = bytes(range(0x40, 0x50))
    ek24 = bytes(range(0x40, 0x58))
    salt = bytes.fromhex("cafebabe")
    spi, seq = 0x0000d431, 1
    hdr = struct.pack(">II", spi, seq)

    def sha1_aes(seq_hi=None, fill=None, extra_pad_len=None, iv=bytes(range(16))):
        pt = pad_to(SIP, 17, 16, fill, extra_pad_len)
        ct = cbc(algorithms.AES, ek16, iv, pt, True)
        body = hdr + iv + ct
        icv = hmac96(hashlib.sha1, ik20, body + (struct.pack(">I", seq_hi) if seq_hi is not None else b""))
        return body + icv

    def common(ident, src, pkt, seq_hi=None, **kw):
        inp = dict(alg=kw.get("alg", "hmac-sha-1-96"), ealg=kw.get("ealg", "aes-cbc"),
                   integ_key=kw.get("ik", ik20).hex(), enc_key=kw.get("ek", ek16).hex(),
                   salt=kw.get("salt", b"").hex(), iv=kw["iv"].hex(), packet=pkt.hex())
        if seq_hi is not None:
            inp["seq_hi"] = seq_hi
        v = dict(id=ident, source=src, input=inp)
        if "error" in kw:
            v["result"] = "invalid"
            v["expected"] = dict(error=kw["error"])
            v["comment"] = kw.get("comment")
        else:
            v["expected"] = dict(spi=spi, seq=seq, next_header=17,
                                 pad_len=kw.get("pad_len"), payload=SIP.hex())
        return v

    iv16 = bytes(range(16))
    good = sha1_aes()
    pl16 = (-(len(SIP) + 2)) % 16
    out.append(common("hmac-sha1-96-aes-cbc-transport", "built with pyca/cryptography AES-128-CBC and Python hmac/hashlib HMAC-SHA1 (RFC 3602, RFC 2404, RFC 4303 §2)", good, iv=iv16, pad_len=pl16))
    out.append(common("hmac-sha1-96-aes-cbc-esn", "as hmac-sha1-96-aes-cbc-transport, ICV over packet || seq-hi (RFC 4303 §2.2.1/§3.3.2.1), pyca + hmac", sha1_aes(seq_hi=0x00000002), seq_hi=2, iv=iv16, pad_len=pl16))
    flipped = bytearray(good)
    flipped[-1] ^= 0x80
    out.append(common("hmac-sha1-96-aes-cbc-icv-bit-flipped", "hmac-sha1-96-aes-cbc-transport with the last ICV bit flipped: RFC 4303 §3.4.4.1 requires discarding", bytes(flipped), iv=iv16, error="icv", comment="flipped ICV bit"))
    wrong_esn = common("hmac-sha1-96-aes-cbc-esn-wrong-hi", "hmac-sha1-96-aes-cbc-esn verified with seq-hi 3 instead of 2: the ICV covers seq-hi (RFC 4303 §2.2.1)", sha1_aes(seq_hi=2), seq_hi=3, iv=iv16, error="icv", comment="wrong ESN high bits")
    out.append(wrong_esn)
    out.append(common("hmac-sha1-96-aes-cbc-truncated", "hmac-sha1-96-aes-cbc-transport cut to 30 octets (shorter than SPI+seq+IV+ICV): RFC 4303 §3.4", good[:30], iv=iv16, error="truncated", comment="truncated"))
    out.append(common("hmac-sha1-96-aes-cbc-body-cut", "hmac-sha1-96-aes-cbc-transport without its last 5 octets: ciphertext no longer block aligned (RFC 3602 §2.4) or ICV wrong", good[:-5], iv=iv16, error="any", comment="length not a block multiple"))
    out.append(common("hmac-sha1-96-aes-cbc-bad-padding", "built with pyca + hmac: valid ICV, padding octets 0x00 instead of 1,2,3,... (RFC 4303 §2.4 receiver check)", sha1_aes(fill=0), iv=iv16, error="padding", comment="non-monotone padding"))
    out.append(common("hmac-sha1-96-aes-cbc-pad-len-too-big", "built with pyca + hmac: valid ICV, Pad Length 255 larger than the decrypted data (RFC 4303 §2.5)", sha1_aes(extra_pad_len=255), iv=iv16, error="pad_length", comment="pad length beyond payload"))

    # HMAC-MD5-96 + 3DES (RFC 2403, RFC 2451).
    iv8 = bytes(range(8, 16))
    ct = cbc(TripleDES, ek24, iv8, pad_to(SIP, 17, 8), True)
    body = hdr + iv8 + ct
    out.append(common("hmac-md5-96-des-ede3-cbc", "built with pyca/cryptography TripleDES-CBC and Python hmac MD5 (RFC 2451, RFC 2403)", body + hmac96(hashlib.md5, ik16, body), alg="hmac-md5-96", ealg="des-ede3-cbc", ik=ik16, ek=ek24, iv=iv8, pad_len=(-(len(SIP) + 2)) % 8))

    # HMAC-SHA-1-96 + NULL (RFC 2410).
    body = hdr + pad_to(SIP, 17, 4)
    out.append(common("hmac-sha1-96-null", "built with Python hmac SHA1 (RFC 2404, RFC 2410: payload in clear)", body + hmac96(hashlib.sha1, ik20, body), ealg="null", ek=b"", iv=b"", pad_len=(-(len(SIP) + 2)) % 4))

    # AES-GCM (RFC 4106), with and without ESN.
    for hi in (None, 7):
        ivg = bytes.fromhex("0001020304050607")
        aad = hdr if hi is None else hdr[:4] + struct.pack(">I", hi) + hdr[4:]
        ctag = AESGCM(ek16).encrypt(salt + ivg, pad_to(SIP, 17, 4), aad)
        name = "aes-gcm" + ("-esn" if hi is not None else "")
        out.append(common(name, f"built with pyca/cryptography AESGCM: nonce salt||IV, AAD {'SPI||seq' if hi is None else 'SPI||seq-hi||seq'} (RFC 4106 §4, §5)", hdr + ivg + ctag, seq_hi=hi, alg="null", ealg="aes-gcm", ik=b"", ek=ek16, salt=salt, iv=ivg, pad_len=(-(len(SIP) + 2)) % 4))
        if hi is None:
            bad = bytearray(hdr + ivg + ctag)
            bad[3] ^= 1  # SPI is in the AAD
            out.append(common("aes-gcm-spi-modified", "aes-gcm packet with one SPI bit flipped: SPI is GCM AAD (RFC 4106 §5), so the tag fails", bytes(bad), alg="null", ealg="aes-gcm", ik=b"", ek=ek16, salt=salt, iv=ivg, error="icv", comment="AAD modified"))

    # AES-GMAC (RFC 4543): whole packet as AAD, empty plaintext.
    for hi in (None, 7):
        ivg = bytes.fromhex("08090a0b0c0d0e0f")
        body = hdr + ivg + pad_to(SIP, 17, 4)
        aad = body if hi is None else body[:4] + struct.pack(">I", hi) + body[4:]
        tag = AESGCM(ik16).encrypt(salt + ivg, b"", aad)
        name = "aes-gmac" + ("-esn" if hi is not None else "")
        out.append(common(name, f"built with pyca/cryptography AESGCM (empty plaintext): nonce salt||IV, AAD = {'SPI||seq' if hi is None else 'SPI||seq-hi||seq'}||IV||payload||padding||pad length||next header (RFC 4543 §3)", body + tag, seq_hi=hi, alg="aes-gmac", ealg="null", ik=ik16, ek=b"", salt=salt, iv=ivg, pad_len=(-(len(SIP) + 2)) % 4))

    print("family: esp")
    print("description: " + q("Complete ESP packets (RFC 4303) for the userspace ESP of imsec: open must give the payload, seal with the same IV must give the same bytes; invalid packets must be rejected"))
    print("source: \"tools/esp_ref.py (pyca/cryptography, Python hmac/hashlib); per-vector sources below\"")
    print("vectors:")
    for v in out:
        emit(v)


if __name__ == "__main__":
    main()
