#!/usr/bin/env python3
"""An IMS UE that is not imsec: registers against `imsec serve pcscf` in ESP transport mode.

Everything on the UE side comes from outside imsec's Rust code: Milenage and RES/CK/IK from
tools/aka_ref.py (pyca `cryptography` AES), the Digest response from tools/digest_ref.py
(hashlib), the TS 33.203 Annex I keys written out here (IK || 32 zero bits for HMAC-SHA-1-96,
CK for AES-CBC), and ESP by scapy's SecurityAssociation. Packets travel over Linux raw sockets.

Usage (as root, e.g. inside a network namespace with lo up):
    python3 tools/scapy_ue.py --ue 127.0.0.5 --pcscf 127.0.0.1 --k HEX --opc HEX
Prints one line per step and exits 0 only when the protected REGISTER got its 200 over ESP.
"""

import argparse
import base64
import os
import random
import re
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from aka_ref import milenage  # noqa: E402
from digest_ref import digest  # noqa: E402

from scapy.all import IP, UDP, Raw  # noqa: E402
from scapy.layers.ipsec import ESP, SecurityAssociation  # noqa: E402

TIMEOUT = 5.0


def sip_register(a, cseq, extra, port_uc):
    lines = [
        f"REGISTER sip:{a.realm} SIP/2.0",
        f"Via: SIP/2.0/UDP {a.ue}:{port_uc};branch=z9hG4bKpy{cseq}{random.randrange(1 << 30)}",
        "Max-Forwards: 70",
        f"From: <sip:{a.impi}>;tag=py{cseq}",
        f"To: <sip:{a.impi}>",
        "Call-ID: scapy-ue-1",
        f"CSeq: {cseq} REGISTER",
        f"Contact: <sip:ue@{a.ue}:{port_uc + 1}>;expires=600",
        "Require: sec-agree",
        "Proxy-Require: sec-agree",
        "Supported: path, sec-agree",
    ] + extra + ["Content-Length: 0", "", ""]
    return "\r\n".join(lines).encode()


def header(msg, name):
    m = re.search(rf"^{name}:\s*(.*?)\r$", msg, re.M | re.I)
    return m.group(1) if m else None


def param(value, name):
    m = re.search(rf'{name}="?([^",;]*)"?', value)
    return m.group(1) if m else None


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--ue", required=True)
    p.add_argument("--pcscf", required=True)
    p.add_argument("--k", required=True)
    p.add_argument("--opc", required=True)
    p.add_argument("--impi", default="user@imsec.test")
    p.add_argument("--realm", default="imsec.test")
    a = p.parse_args()
    k, opc = bytes.fromhex(a.k), bytes.fromhex(a.opc)
    spi_uc, spi_us = random.randrange(0x1000, 1 << 31), random.randrange(0x1000, 1 << 31)
    port_uc = random.randrange(30000, 40000, 2)
    port_us = port_uc + 1
    offer = (f"ipsec-3gpp;prot=esp;mod=trans;spi-c={spi_uc};spi-s={spi_us};"
             f"port-c={port_uc};port-s={port_us};ealg=aes-cbc;alg=hmac-sha-1-96")

    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind((a.ue, 5060))
    udp.settimeout(TIMEOUT)
    first = sip_register(a, 1, [
        f'Authorization: Digest username="{a.impi}", realm="{a.realm}", nonce="", '
        f'uri="sip:{a.realm}", response=""',
        f"Security-Client: {offer}"], port_uc)
    udp.sendto(first, (a.pcscf, 5060))
    resp, _ = udp.recvfrom(65535)
    resp = resp.decode(errors="replace")
    status = resp.split("\r\n", 1)[0]
    print("initial REGISTER ->", status)
    if " 401 " not in status:
        return 1
    www = header(resp, "WWW-Authenticate")
    server = header(resp, "Security-Server")
    if "ck=" in www or "ik=" in www:
        print("FAIL: ck/ik reached the UE")
        return 1
    nonce = param(www, "nonce")
    raw = base64.b64decode(nonce)
    rand, autn = raw[:16], raw[16:32]
    m0 = milenage(k, opc, rand, bytes(6), bytes(2))
    sqn = bytes(x ^ y for x, y in zip(autn[:6], m0["f5"]))
    m = milenage(k, opc, rand, sqn, autn[6:8])
    if m["f1"] != autn[8:16]:
        print("FAIL: AUTN MAC does not verify")
        return 1
    res, ck, ik = m["f2"], m["f3"], m["f4"]
    spi_pc = int(param(server, "spi-c"))
    spi_ps = int(param(server, "spi-s"))
    port_ps = int(param(server, "port-s"))
    print(f"401: SQN={sqn.hex()} P-CSCF spi-c={spi_pc} spi-s={spi_ps} port-s={port_ps}")

    # TS 33.203 Annex I: IK_ESP = IK || 0^32 for HMAC-SHA-1-96; CK_ESP = CK for AES-CBC.
    out_sa = SecurityAssociation(ESP, spi=spi_ps, crypt_algo="AES-CBC", crypt_key=ck,
                                 auth_algo="HMAC-SHA1-96", auth_key=ik + bytes(4))
    in_sa = SecurityAssociation(ESP, spi=spi_uc, crypt_algo="AES-CBC", crypt_key=ck,
                                auth_algo="HMAC-SHA1-96", auth_key=ik + bytes(4))

    realm = param(www, "realm") or a.realm
    uri = f"sip:{a.realm}"
    cnonce = "0a4f113b"
    _, _, response = digest(res, a.impi, realm, nonce, "REGISTER", uri, "auth", "00000001", cnonce)
    second = sip_register(a, 2, [
        f'Authorization: Digest username="{a.impi}", realm="{realm}", nonce="{nonce}", '
        f'uri="{uri}", response="{response}", algorithm=AKAv1-MD5, qop=auth, '
        f'nc=00000001, cnonce="{cnonce}"',
        f"Security-Client: {offer}",
        f"Security-Verify: {server}"], port_uc)
    pkt = IP(src=a.ue, dst=a.pcscf) / UDP(sport=port_uc, dport=port_ps) / Raw(second)
    pkt = IP(bytes(pkt))
    enc = out_sa.encrypt(pkt, seq_num=1)

    rx = socket.socket(socket.AF_INET, socket.SOCK_RAW, 50)
    rx.bind((a.ue, 0))
    rx.settimeout(TIMEOUT)
    tx = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    tx.sendto(bytes(enc), (a.pcscf, 0))
    print("protected REGISTER sent (scapy ESP, SPI", spi_ps, ")")
    data, _ = rx.recvfrom(65535)
    got = IP(data)
    if got[ESP].spi != spi_uc:
        print("FAIL: answer on SPI", got[ESP].spi, "not the UE's spi-c", spi_uc)
        return 1
    dec = in_sa.decrypt(got)
    body = bytes(dec[UDP].payload).decode(errors="replace")
    status = body.split("\r\n", 1)[0]
    print(f"answer over ESP SPI {spi_uc} from port {dec[UDP].sport} ->", status)
    if " 200 " not in status:
        return 1
    print("REGISTERED")
    return 0


if __name__ == "__main__":
    sys.exit(main())
