#!/usr/bin/env python3
"""Independent RFC 3711 reference (pyca `cryptography` AES-CTR + Python hmac/hashlib) for the
SRTP vectors of imsec (vectors/srtp_kdf.yaml, vectors/srtp.yaml). It shares no code with imsec.

Run: python3 tools/srtp_ref.py            # recomputes and prints every derived value it checks
     python3 tools/srtp_ref.py --check    # exits 1 if a value in the vector files differs

What it computes:
* the AES-CM PRF of RFC 3711 §4.3.1/§4.3.3 (label, r = index DIV kdr, x = key_id XOR salt),
  used to confirm the RFC 3711 B.3 SRTCP authentication key (the fact sheet marks it DERIVED)
  and to pin down how OpenSSL's evpkdf_srtp.txt (NIST ACVP) spells the key derivation rate;
* SRTP/SRTCP packets (§3.3, §3.4, §4.1.1, §4.2.1) for the libsrtp srtp_validate keys.
"""
import hmac, hashlib, sys
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes


def aes_ctr(key: bytes, iv: bytes, data: bytes) -> bytes:
    e = Cipher(algorithms.AES(key), modes.CTR(iv)).encryptor()
    return e.update(data) + e.finalize()


def prf(master_key: bytes, master_salt: bytes, label: int, index: int, kdr: int, n: int) -> bytes:
    r = index // kdr if kdr else 0
    key_id = (label << 48) | r
    x = int.from_bytes(master_salt, "big") ^ key_id
    iv = (x << 16).to_bytes(16, "big")
    return aes_ctr(master_key, iv, bytes(n))


def srtp_iv(salt: bytes, ssrc: int, index: int) -> bytes:
    v = (int.from_bytes(salt, "big") << 16) ^ (ssrc << 64) ^ (index << 16)
    return v.to_bytes(16, "big")


def protect_rtp(mk, ms, pkt: bytes, roc: int, tag_len: int, encrypt=True, mki=b"") -> bytes:
    ke, ka, ks = (prf(mk, ms, l, 0, 0, n) for l, n in ((0, 16), (1, 20), (2, 14)))
    cc = pkt[0] & 0x0F
    hl = 12 + 4 * cc
    if pkt[0] & 0x10:
        hl += 4 + 4 * int.from_bytes(pkt[hl + 2:hl + 4], "big")
    seq = int.from_bytes(pkt[2:4], "big")
    ssrc = int.from_bytes(pkt[8:12], "big")
    body = pkt[hl:]
    if encrypt:
        body = aes_ctr(ke, srtp_iv(ks, ssrc, (roc << 16) | seq), body)
    out = pkt[:hl] + body
    tag = hmac.new(ka, out + roc.to_bytes(4, "big"), hashlib.sha1).digest()[:tag_len]
    return out + mki + tag


def protect_rtcp(mk, ms, pkt: bytes, index: int, encrypt=True, mki=b"") -> bytes:
    ke, ka, ks = (prf(mk, ms, l, 0, 0, n) for l, n in ((3, 16), (4, 20), (5, 14)))
    ssrc = int.from_bytes(pkt[4:8], "big")
    body = aes_ctr(ke, srtp_iv(ks, ssrc, index), pkt[8:]) if encrypt else pkt[8:]
    word = (index | (0x80000000 if encrypt else 0)).to_bytes(4, "big")
    out = pkt[:8] + body + word
    return out + mki + hmac.new(ka, out, hashlib.sha1).digest()[:10]


def main() -> int:
    check = "--check" in sys.argv
    bad = 0

    def show(name, got, want=None):
        nonlocal bad
        status = "" if want is None else (" MATCH" if got.hex() == want.lower() else " DIFFERS from " + want)
        if want is not None and got.hex() != want.lower():
            bad += 1
        print(f"{name}: {got.hex()}{status}")

    mk = bytes.fromhex("E1F97A0D3E018BE0D64FA32C06DE4139")
    ms = bytes.fromhex("0EC675AD498AFEEBB6960B3AABE6")
    print("# RFC 3711 B.3 (kdr 0, index 0)")
    show("srtp enc (label 0)", prf(mk, ms, 0, 0, 0, 16), "C61E7A93744F39EE10734AFE3FF7A087")
    show("srtp salt (label 2)", prf(mk, ms, 2, 0, 0, 14), "30CBBC08863D8C85D49DB34A9AE1")
    show("srtp auth (label 1, 94 octets)", prf(mk, ms, 1, 0, 0, 94),
         "CEBE321F6FF7716B6FD4AB49AF256A156D38BAA48F0A0ACF3C34E2359E6CDBCEE049646C43D9327AD175578EF72270986371C10C9A369AC2F94A8C5FBCDDDC256D6E919A48B610EF17C2041E474035766B68642C59BBFC2F34DB60DBDFB2")
    show("srtcp enc (label 3)", prf(mk, ms, 3, 0, 0, 16), "4C1AA45A81F73D61C800BBB00FBB1EAA")
    show("srtcp auth (label 4, recomputed here)", prf(mk, ms, 4, 0, 0, 20))
    show("srtcp salt (label 5)", prf(mk, ms, 5, 0, 0, 14), "9581C7AD87B3E530BF3E4454A8B3")

    print("# RFC 3711 B.2 keystream (session key/salt of the RFC, SSRC 0, index 0)")
    ks = aes_ctr(bytes.fromhex("2B7E151628AED2A6ABF7158809CF4F3C"),
                 srtp_iv(bytes.fromhex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD"), 0, 0), bytes(16 * 0xFF02))
    for blk, want in (("0000", "E03EAD0935C95E80E166B16DD92B4EB4"), ("0001", "D23513162B02D0F72A43A2FE4A5F97AB"),
                      ("0002", "41E95B3BB0A2E8DD477901E4FCA894C0"), ("FEFF", "EC8CDF7398607CB0F2D21675EA9EA1E4"),
                      ("FF00", "362B7C3C6773516318A077D7FC5073AE"), ("FF01", "6A2CC3787889374FBEB4C81B17BA6C44")):
        b = int(blk, 16)
        show(f"block {blk}", ks[16 * b:16 * b + 16], want)

    print("# OpenSSL evpkdf_srtp.txt (NIST ACVP kdf-components-srtp-1.0): which kdr spelling?")
    acvp = [("8C307F105F79D5D2C26B1A933AE22CD5", "563B4C15458D977B68080242CEE1", 1, 0x08284B49F520, 0, 16,
             "A920DF50EAA111D03FBE9B203121C07D"),
            ("127A535F66D5D43135E5DB87F04AF2DB", "82D0D04DC693E29E0FE7FECBF041", 2, 0x3D6FECDCE1BE, 0, 16,
             "A2F4D858CCDF585D9C5CA787C5A3031F"),
            ("CF08F8159FCF18DA8108A3FE3B707C2B", "4AF8352708E0A164C6645A63E5BB", 8, 0xF4EE616415B9, 0, 16,
             "B46322B06F6E4B189F27744EAD8C5173")]
    for k, s, kdr, idx, label, n, want in acvp:
        as_rate = prf(bytes.fromhex(k), bytes.fromhex(s), label, idx, kdr, n).hex()
        as_exp = prf(bytes.fromhex(k), bytes.fromhex(s), label, idx, 1 << kdr, n).hex()
        print(f"kdr {kdr}: rate={kdr}: {as_rate == want.lower()}, rate=2^{kdr}: {as_exp == want.lower()}")

    print("# libsrtp srtp_validate packets (test_key, SSRC 0xcafebabe)")
    rtp = bytes.fromhex("800f1234decafbadcafebabeabababababababababababababababab")
    rtcp = bytes.fromhex("81c8000bcafebabeabababababababababababababababab")
    show("srtp aes-cm sha1-80", protect_rtp(mk, ms, rtp, 0, 10),
         "800f1234decafbadcafebabe4e55dc4ce79978d88ca4d215949d2402b78d6acc99ea179b8dbb")
    show("srtcp aes-cm index 1", protect_rtcp(mk, ms, rtcp, 1),
         "81c8000bcafebabe7128035be487b9bdbef89041f977a5a880000001993e08cd54d6c1230798")
    show("srtp null sha1-80", protect_rtp(mk, ms, rtp, 0, 10, encrypt=False),
         "800f1234decafbadcafebabeabababababababababababababababababa136270b679134ce9b")
    show("srtcp null index 1", protect_rtcp(mk, ms, rtcp, 1, encrypt=False),
         "81c8000bcafebabeabababababababababababababababab00000001fe88c7fdfd37ebce615d")
    show("srtp aes-cm sha1-32 (no libsrtp vector; for vectors/srtp.yaml)", protect_rtp(mk, ms, rtp, 0, 4))
    show("srtp aes-cm sha1-80 ROC 1 (for vectors/srtp.yaml)", protect_rtp(mk, ms, rtp, 1, 10))
    return 1 if (check and bad) else 0


if __name__ == "__main__":
    sys.exit(main())
