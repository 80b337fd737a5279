#!/usr/bin/env python3
"""Generates vectors/tls_handshake.yaml: TLS record streams with the fields tshark dissects
from them (tshark is the independent parser; imsec's mech::tls must find the same fields).

Two sources:
  1. ../shared/captures/wireshark-notes_tls-null.pcapng (Lekensteyn/wireshark-notes,
     tls/tls-null.pcapng @ b166e14c): curl <-> OpenSSL with TLS_RSA_WITH_NULL_SHA256.
  2. Live OpenSSL sessions on loopback (openssl s_server / s_client), captured with
     `tshark -i lo`: a TLS 1.2 server that requests a client certificate (-Verify 1), a
     TLS 1.3 ServerHello, an OpenSSL TLS 1.3 ClientHello, and a server refusing a null-only offer.

Run as root (capturing on lo) from the repository root:
    python3 tools/gen_tls_vectors.py > vectors/tls_handshake.yaml
Needs: tshark, openssl (Debian), PyYAML.
"""
import os
import socket
import subprocess
import sys
import tempfile
import time

import yaml

CAPTURE = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "captures",
                       "wireshark-notes_tls-null.pcapng")
FIELDS = [
    "tcp.payload", "tls.record.content_type", "tls.record.version", "tls.handshake.type",
    "tls.handshake.version", "tls.handshake.random", "tls.handshake.session_id",
    "tls.handshake.ciphersuite", "tls.handshake.extension.type",
    "tls.handshake.extensions.supported_version", "tls.handshake.extensions_server_name",
    "tls.handshake.certificate_length", "tls.handshake.cert_type",
    "tls.alert_message.level", "tls.alert_message.desc", "tls.record.opaque_type",
]


def tshark_frames(pcap, display_filter):
    cmd = ["tshark", "-r", pcap, "-Y", display_filter, "-T", "fields", "-E", "separator=|",
           "-E", "aggregator=,"]
    for f in FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    rows = []
    for line in out.splitlines():
        vals = line.split("|")
        rows.append(dict(zip(FIELDS, vals)))
    return rows


def hex16(v):
    """'0x0303' -> '0303' (a list keeps its commas)."""
    return ",".join(x[2:] if x.startswith("0x") else x for x in v.split(",")) if v else ""


def expected(row):
    types = [t for t in row["tls.record.content_type"].split(",") if t]
    # TLS 1.3 encrypted records carry their type as opaque_type (always 23); they follow
    # every record in clear, so appending keeps the wire order.
    types += [t for t in row["tls.record.opaque_type"].split(",") if t]
    assert len(types) == len(row["tls.record.version"].split(",")), row
    e = {
        "record_types": ",".join(types),
        "record_versions": hex16(row["tls.record.version"]),
    }
    if row["tls.handshake.type"]:
        e["handshake_types"] = row["tls.handshake.type"]
    types = row["tls.handshake.type"].split(",")
    if "1" in types or "2" in types:
        e["hello_version"] = hex16(row["tls.handshake.version"])
        e["random"] = row["tls.handshake.random"]
        e["session_id"] = row["tls.handshake.session_id"]
        e["cipher_suites"] = hex16(row["tls.handshake.ciphersuite"])
        e["extension_types"] = row["tls.handshake.extension.type"]
        if row["tls.handshake.extensions.supported_version"]:
            e["supported_versions"] = hex16(row["tls.handshake.extensions.supported_version"])
        if row["tls.handshake.extensions_server_name"]:
            e["server_name"] = row["tls.handshake.extensions_server_name"]
    if row["tls.handshake.certificate_length"]:
        e["certificate_lengths"] = row["tls.handshake.certificate_length"]
    if "13" in types:
        e["certificate_request_types"] = row["tls.handshake.cert_type"]
    if row["tls.alert_message.level"]:
        e["alert"] = row["tls.alert_message.level"] + "," + row["tls.alert_message.desc"]
    return e


def vec(vid, source, comment, row, direction):
    return {
        "id": vid,
        "source": source,
        "comment": comment,
        "result": "valid",
        "input": {"direction": direction, "stream": row["tcp.payload"]},
        "expected": expected(row),
    }


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def live(tmp, server_args, client_args, name):
    """One s_server/s_client exchange captured on lo; returns the pcap path."""
    port = free_port()
    pcap = os.path.join(tmp, name + ".pcap")
    cap = subprocess.Popen(["tshark", "-q", "-i", "lo", "-f", f"tcp port {port}", "-w", pcap],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(2)
    srv = subprocess.Popen(["openssl", "s_server", "-accept", f"127.0.0.1:{port}",
                            "-cert", os.path.join(tmp, "cert.pem"),
                            "-key", os.path.join(tmp, "key.pem"), "-naccept", "1", "-quiet"]
                           + server_args, stdin=subprocess.PIPE,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}",
                    "-servername", "pcscf.ims.example"] + client_args,
                   input=b"", capture_output=True, timeout=10)
    time.sleep(0.5)
    srv.kill()
    srv.wait()
    time.sleep(1)
    cap.terminate()
    cap.wait()
    return pcap, port


def main():
    out = {
        "family": "tls-handshake",
        "description": "TLS record streams (one TCP segment each) and the fields tshark "
                       "dissects from them: record and handshake types, hello versions, "
                       "random, session id, cipher suites, extensions, certificates, "
                       "CertificateRequest, alerts (RFC 5246 s6.2.1/s7.4, RFC 8446 s4).",
        "source": "tshark dissection, by tools/gen_tls_vectors.py",
        "vectors": [],
    }
    vs = out["vectors"]
    cap_src = ("Lekensteyn/wireshark-notes tls/tls-null.pcapng @ b166e14c (../shared/captures/"
               "wireshark-notes_tls-null.pcapng) frame {}; fields by tshark")
    rows = {int(f): r for f, r in zip(
        ["4", "6", "14"],
        tshark_frames(CAPTURE, "frame.number == 4 or frame.number == 6 or frame.number == 14"))}
    vs.append(vec("capture-null-sha256-client-hello", cap_src.format(4),
                  "curl ClientHello offering only TLS_RSA_WITH_NULL_SHA256 and the SCSV, "
                  "record version 0x0301", rows[4], "client"))
    vs.append(vec("capture-null-sha256-server-flight", cap_src.format(6),
                  "OpenSSL ServerHello choosing 0x003b, Certificate (one 767-octet cert), "
                  "ServerHelloDone in three records of one segment", rows[6], "server"))
    vs.append(vec("capture-null-sha256-close-notify", cap_src.format(14),
                  "close_notify under the NULL cipher: the alert octets are in clear, "
                  "followed by the HMAC-SHA256", rows[14], "client"))

    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                        os.path.join(tmp, "key.pem"), "-out", os.path.join(tmp, "cert.pem"),
                        "-days", "2", "-subj", "/CN=pcscf.ims.example"],
                       check=True, capture_output=True)
        ver = subprocess.run(["openssl", "version"], capture_output=True, text=True).stdout.strip()
        src = f"live {ver} s_server/s_client on loopback, captured by tshark -i lo; fields by tshark"

        pcap, port = live(tmp, ["-tls1_2", "-Verify", "1",
                                "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"], ["-tls1_2"], "cr")
        r = tshark_frames(pcap, f"tcp.srcport == {port} and tls.handshake.type == 2")
        vs.append(vec("openssl-tls12-certificate-request", src,
                      "s_server -Verify 1: ServerHello, Certificate, ServerKeyExchange, "
                      "CertificateRequest, ServerHelloDone (what Annex O forbids a P-CSCF to send)",
                      r[0], "server"))

        pcap, port = live(tmp, [], ["-tls1_3"], "t13")
        r = tshark_frames(pcap, f"tcp.dstport == {port} and tls.handshake.type == 1")
        vs.append(vec("openssl-tls13-client-hello", src,
                      "s_client -tls1_3: supported_versions, key_share, server_name",
                      r[0], "client"))
        r = tshark_frames(pcap, f"tcp.srcport == {port} and tls.handshake.type == 2")
        vs.append(vec("openssl-tls13-server-hello", src,
                      "TLS 1.3 ServerHello (legacy_version 0x0303, supported_versions 0x0304), "
                      "then ChangeCipherSpec and encrypted records",
                      r[0], "server"))

        pcap, port = live(tmp, [], ["-tls1_2", "-cipher", "NULL-SHA256:@SECLEVEL=0"], "null")
        r = tshark_frames(pcap, f"tcp.srcport == {port} and tls.alert_message")
        vs.append(vec("openssl-refuses-null-only", src,
                      "default s_server answers a NULL-SHA256-only ClientHello with a fatal "
                      "handshake_failure alert", r[0], "server"))

    yaml.safe_dump(out, sys.stdout, sort_keys=False, width=100)


if __name__ == "__main__":
    main()
