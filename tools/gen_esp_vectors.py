#!/usr/bin/env python3
"""Generate independent ESP vectors and a test capture with scapy's SecurityAssociation.

Run from the repository root (needs `pip install scapy==2.6.1 cryptography`):

    python3 tools/gen_esp_vectors.py

Writes (all deterministic: fixed keys, IVs, timestamps):
  vectors/esp_scapy.yaml          one vector per alg x ealg x mode x IP version
  pcaps/scapy_esp_all.pcap        the same packets plus replay/ICV/no-SA/dummy cases
  pcaps/scapy_esp_all.esp_sa      Wireshark esp_sa UAT lines for every SA in the capture
  pcaps/scapy_esp_all.expect.json the outcome of every ESP packet, decided HERE (not by imsec)

Expected bytes come from scapy (and pyca/cryptography under it), never from imsec.
"""
import hashlib
import json
import os
import sys

import scapy
from scapy.all import IP, IPv6, UDP, Raw, Ether, Dot1Q, wrpcap
from scapy.layers.ipsec import ESP, SecurityAssociation, _ESPPlain

SCAPY_VERSION = scapy.__version__
WINDOW = 64  # replay window the expectations assume (imsec esp decrypt --window default)

# (sec-agree alg, sec-agree ealg) pairs TS 33.203 Annex H allows, and scapy's names.
PAIRS = [
    ("hmac-md5-96", "null"), ("hmac-md5-96", "des-ede3-cbc"), ("hmac-md5-96", "aes-cbc"),
    ("hmac-sha-1-96", "null"), ("hmac-sha-1-96", "des-ede3-cbc"), ("hmac-sha-1-96", "aes-cbc"),
    ("aes-gmac", "null"), ("null", "aes-gcm"),
]
SCAPY_AUTH = {"hmac-md5-96": "HMAC-MD5-96", "hmac-sha-1-96": "HMAC-SHA1-96",
              "aes-gmac": "NULL", "null": "NULL"}
SCAPY_CRYPT = {"null": "NULL", "des-ede3-cbc": "3DES", "aes-cbc": "AES-CBC", "aes-gcm": "AES-GCM"}
IKEY_LEN = {"hmac-md5-96": 16, "hmac-sha-1-96": 20, "aes-gmac": 16, "null": 0}
EKEY_LEN = {"null": 0, "des-ede3-cbc": 24, "aes-cbc": 16, "aes-gcm": 16}
IV_LEN = {"null": 0, "des-ede3-cbc": 8, "aes-cbc": 16, "aes-gcm": 8}

# Wireshark esp_sa UAT algorithm names (epan/dissectors/packet-ipsec.c value strings).
WS_ENC = {"null": "NULL", "des-ede3-cbc": "TripleDES-CBC [RFC2451]", "aes-cbc": "AES-CBC [RFC3602]",
          "aes-gcm": "AES-GCM with 16 octet ICV [RFC4106]"}
WS_AUTH = {"hmac-md5-96": "HMAC-MD5-96 [RFC2403]", "hmac-sha-1-96": "HMAC-SHA-1-96 [RFC2404]",
           "null": "NULL"}
# Wireshark has no ENCR_NULL_AUTH_AES_GMAC for ESP: imsec's esp_sa reader takes this name
# (see harness/src/mech/esp/uat.rs); tshark cannot check these SAs.
WS_GMAC_ENC = "NULL"
WS_GMAC_AUTH = "AES-GMAC [RFC4543]"

ADDR = {
    ("v4", "transport"): ("192.0.2.1", "192.0.2.2", None),
    ("v4", "tunnel"): ("198.51.100.1", "198.51.100.2", ("10.1.0.1", "10.2.0.1")),
    ("v6", "transport"): ("2001:db8::1", "2001:db8::2", None),
    ("v6", "tunnel"): ("2001:db8:1::1", "2001:db8:2::1", ("2001:db8:a::1", "2001:db8:b::1")),
}
T0 = 1700000000


def det(label, n):
    """Fixed pseudo-random octets (SHA-256 counter mode over a label): keys/IVs are inputs."""
    out = b""
    i = 0
    while len(out) < n:
        out += hashlib.sha256(f"{label}/{i}".encode()).digest()
        i += 1
    return out[:n]


class Sa:
    def __init__(self, spi, alg, ealg, ipv, mode, tag):
        self.spi, self.alg, self.ealg, self.ipv, self.mode = spi, alg, ealg, ipv, mode
        self.src, self.dst, self.inner = ADDR[(ipv, mode)]
        self.ikey = det(f"{tag}/integ", IKEY_LEN[alg])
        self.ekey = det(f"{tag}/enc", EKEY_LEN[ealg])
        self.salt = det(f"{tag}/salt", 4) if "gmac" in alg or ealg == "aes-gcm" else b""
        ip = IP if ipv == "v4" else IPv6
        tunnel = ip(src=self.src, dst=self.dst) if mode == "tunnel" else None
        nat_t = UDP(sport=4500, dport=4500) if mode == "tunnel" else None
        if alg == "aes-gmac":
            crypt, ckey, auth, akey = "AES-NULL-GMAC", self.ikey + self.salt, "NULL", None
        else:
            crypt = SCAPY_CRYPT[ealg]
            ckey = (self.ekey + self.salt) if self.ekey else None
            auth, akey = SCAPY_AUTH[alg], (self.ikey or None)
        self.sa = SecurityAssociation(ESP, spi=spi, crypt_algo=crypt, crypt_key=ckey,
                                      auth_algo=auth, auth_key=akey,
                                      tunnel_header=tunnel, nat_t_header=nat_t)
        self.iv_len = 8 if alg == "aes-gmac" else IV_LEN[ealg]

    def plain(self, text):
        ip = IP if self.ipv == "v4" else IPv6
        s, d = self.inner if self.inner else (self.src, self.dst)
        return ip(src=s, dst=d) / UDP(sport=5060, dport=5060) / Raw(text)

    def seal(self, pkt, seq, tag):
        iv = det(f"{tag}/iv", self.iv_len) if self.iv_len else None
        return self.sa.encrypt(pkt, seq_num=seq, iv=iv), iv

    def dummy(self, seq, tag):
        """An ESP packet with next header 59 and no payload (RFC 4303 §2.6), built from
        scapy's own ESP pieces the way SecurityAssociation._encrypt_esp does."""
        iv = det(f"{tag}/iv", self.iv_len) if self.iv_len else b""
        esp = _ESPPlain(spi=self.spi, seq=seq, iv=iv)
        esp.data = b""
        esp.nh = 59
        esp = self.sa.crypt_algo.pad(esp)
        esp = self.sa.crypt_algo.encrypt(self.sa, esp, self.sa.crypt_key, self.sa.crypt_icv_size)
        self.sa.auth_algo.sign(esp, self.sa.auth_key)
        ip = IP if self.ipv == "v4" else IPv6
        hdr = ip(src=self.src, dst=self.dst)
        if self.mode == "tunnel":
            hdr = hdr / UDP(sport=4500, dport=4500, chksum=0)
        return ip(bytes(hdr / esp))

    def uat(self):
        fam = "IPv4" if self.ipv == "v4" else "IPv6"
        if self.alg == "aes-gmac":
            enc, ekey, auth, akey = WS_GMAC_ENC, b"", WS_GMAC_AUTH, self.ikey + self.salt
        else:
            enc, ekey = WS_ENC[self.ealg], self.ekey + self.salt
            auth, akey = WS_AUTH[self.alg], self.ikey
        hx = lambda b: "0x" + b.hex() if b else ""
        return (f'"{fam}","{self.src}","{self.dst}","0x{self.spi:08x}","{enc}","{hx(ekey)}",'
                f'"{auth}","{hx(akey)}"')


def esp_bytes(pkt):
    """The ESP header onwards of a sealed packet (after IP and, for NAT-T, UDP)."""
    return bytes(pkt[ESP])


def frame(pkt, n):
    """Link layer for the capture: IPv4 in Ethernet, IPv6 in Ethernet + 802.1Q."""
    f = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
    if IPv6 in pkt and IP not in pkt:
        f = f / Dot1Q(vlan=10)
    f = f / pkt
    f.time = T0 + n
    return f


def yaml_str(s):
    return json.dumps(s)


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    vectors, frames, expect, sas = [], [], [], []

    def add(pkt, outcome, sa, note):
        frames.append(frame(pkt, len(frames)))
        expect.append({"frame": len(frames), "spi": f"0x{sa.spi:08x}" if sa else None,
                       "outcome": outcome, "note": note})

    spi = 0x1000
    for ipv in ("v4", "v6"):
        for mode in ("transport", "tunnel"):
            for alg, ealg in PAIRS:
                spi += 1
                tag = f"{alg}/{ealg}/{mode}/{ipv}"
                sa = Sa(spi, alg, ealg, ipv, mode, tag)
                sas.append(sa)
                inner = sa.plain(f"imsec scapy vector {tag}".encode())
                sealed, iv = sa.seal(inner, 1, tag)
                vectors.append({
                    "id": f"scapy-{alg}-{ealg}-{mode}-{ipv}",
                    "input": {
                        "alg": alg, "ealg": ealg, "mode": mode,
                        "encap": "udp-4500" if mode == "tunnel" else "none",
                        "spi": f"0x{spi:08x}", "seq": 1,
                        "integ_key": sa.ikey.hex(), "enc_key": sa.ekey.hex(),
                        "salt": sa.salt.hex(), "iv": (iv or b"").hex(),
                        "inner_packet": bytes(inner).hex(),
                    },
                    "expected": {"esp": esp_bytes(sealed).hex(), "packet": bytes(sealed).hex()},
                })
                add(sealed, "accepted", sa, f"vector {tag} seq 1")

    # Event SA: replay window, ICV and dummy cases (hmac-sha-1-96 + aes-cbc, IPv4 transport).
    ev = Sa(0x2001, "hmac-sha-1-96", "aes-cbc", "v4", "transport", "events")
    sas.append(ev)
    seal = lambda seq: ev.seal(ev.plain(f"event seq {seq}".encode()), seq, f"events/{seq}")[0]
    add(seal(1), "accepted", ev, "seq 1")
    add(seal(2), "accepted", ev, "seq 2")
    add(seal(2), "replayed", ev, "seq 2 again: duplicate")
    add(seal(100), "accepted", ev, "seq 100 moves the window right edge")
    add(seal(3), "replayed", ev, "seq 3 < 100-64+1: left of the window")
    add(seal(40), "accepted", ev, "seq 40 inside the window, first time")
    bad = bytearray(bytes(seal(101)))
    bad[-1] ^= 0x01
    add(IP(bytes(bad)), "icv_bad", ev, "seq 101 with the last ICV octet flipped")
    add(seal(101), "accepted", ev, "seq 101 genuine: the bad ICV did not update the window")
    bad2 = bytearray(bytes(seal(2)))
    bad2[-1] ^= 0x80
    add(IP(bytes(bad2)), "replayed", ev,
        "seq 2 again with a bad ICV: the replay check comes first (RFC 4303 3.4.3)")
    add(ev.dummy(102, "events/dummy"), "accepted", ev, "dummy packet: next header 59")
    # Event SA over UDP-encapsulated IPv6 tunnel with GCM: dummy too.
    ev6 = Sa(0x2002, "null", "aes-gcm", "v6", "tunnel", "events6")
    sas.append(ev6)
    add(ev6.dummy(1, "events6/dummy"), "accepted", ev6, "dummy over NAT-T IPv6, aes-gcm")
    add(ev6.seal(ev6.plain(b"after dummy"), 2, "events6/2")[0], "accepted", ev6, "seq 2")
    # No SA: SPIs that are not in the esp_sa file, plain and UDP-encapsulated.
    stranger = Sa(0x3001, "hmac-sha-1-96", "null", "v4", "transport", "nosa")
    add(stranger.seal(stranger.plain(b"no sa"), 1, "nosa/1")[0], "no_sa", None, "unknown SPI")
    stranger6 = Sa(0x3002, "hmac-md5-96", "aes-cbc", "v6", "tunnel", "nosa6")
    add(stranger6.seal(stranger6.plain(b"no sa"), 1, "nosa6/1")[0], "no_sa", None,
        "unknown SPI over NAT-T")
    # Not ESP at all: must not be counted (NAT keepalive, IKE with non-ESP marker, plain UDP).
    frames.append(frame(IP(src="198.51.100.1", dst="198.51.100.2") / UDP(sport=4500, dport=4500)
                        / Raw(b"\xff"), len(frames)))
    frames.append(frame(IP(src="198.51.100.1", dst="198.51.100.2") / UDP(sport=4500, dport=4500)
                        / Raw(b"\x00\x00\x00\x00" + b"\x11" * 28), len(frames)))
    frames.append(frame(IP(src="192.0.2.1", dst="192.0.2.2") / UDP(sport=5060, dport=5060)
                        / Raw(b"OPTIONS sip:x SIP/2.0\r\n\r\n"), len(frames)))

    totals = []
    for sa in sas:
        mine = [e for e in expect if e["spi"] == f"0x{sa.spi:08x}"]
        dummies = [e for e in mine if e["outcome"] == "accepted" and "dummy" in e["note"]]
        totals.append({"spi": f"0x{sa.spi:08x}", "src": sa.src, "dst": sa.dst,
                       "packets": len(mine),
                       "accepted": sum(e["outcome"] == "accepted" for e in mine),
                       "replayed": sum(e["outcome"] == "replayed" for e in mine),
                       "icv_bad": sum(e["outcome"] == "icv_bad" for e in mine),
                       "dummy": len(dummies)})
    summary = {"window": WINDOW, "sas": totals,
               "no_sa": sum(e["outcome"] == "no_sa" for e in expect), "frames": expect,
               "source": f"scapy {SCAPY_VERSION}, generated by tools/gen_esp_vectors.py"}

    os.makedirs(os.path.join(root, "pcaps"), exist_ok=True)
    wrpcap(os.path.join(root, "pcaps/scapy_esp_all.pcap"), frames)
    with open(os.path.join(root, "pcaps/scapy_esp_all.esp_sa"), "w") as f:
        f.write("# Wireshark esp_sa UAT for pcaps/scapy_esp_all.pcap "
                "(generated by tools/gen_esp_vectors.py)\n")
        for sa in sas:
            f.write(sa.uat() + "\n")
    with open(os.path.join(root, "pcaps/scapy_esp_all.expect.json"), "w") as f:
        json.dump(summary, f, indent=1)
        f.write("\n")
    with open(os.path.join(root, "vectors/esp_scapy.yaml"), "w") as f:
        f.write("family: esp_scapy\n")
        f.write("description: >\n  ESP transforms (RFC 4303 with RFC 2403/2404/2451/3602/4106/4543),"
                " transport mode and\n  UDP-encapsulated (RFC 3948) tunnel mode, IPv4 and IPv6,"
                " sealed by scapy with fixed keys and IVs.\n")
        f.write(f"source: scapy {SCAPY_VERSION} SecurityAssociation, generated by "
                "tools/gen_esp_vectors.py\n")
        f.write("vectors:\n")
        for v in vectors:
            f.write(f"  - id: {v['id']}\n    result: valid\n    input:\n")
            for k, val in v["input"].items():
                f.write(f"      {k}: {val if isinstance(val, int) else yaml_str(val)}\n")
            f.write("    expected:\n")
            for k, val in v["expected"].items():
                f.write(f"      {k}: {yaml_str(val)}\n")
    print(f"{len(vectors)} vectors, {len(frames)} frames, {len(sas)} SAs (scapy {SCAPY_VERSION})",
          file=sys.stderr)


if __name__ == "__main__":
    main()
