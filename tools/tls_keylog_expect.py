#!/usr/bin/env python3
"""Writes pcaps/openssl_keylog.expect.json: what tshark (Wireshark's TLS dissector with the
OpenSSL key log, no imsec code) reads in each pcaps/openssl_keylog_<name>.pcapng made by
tools/make_tls_keylog_pcaps.sh: the version and suite of the ServerHello, and per SIP message
carried as TLS application data its frame, direction, start line, and the decrypted octets
("Decrypted TLS" of `tshark -x`) as length and SHA-256.

Run from the repository root: python3 tools/tls_keylog_expect.py
"""
import glob
import hashlib
import json
import os
import re
import subprocess


def tshark(*args):
    return subprocess.run(["tshark", *args], check=True, capture_output=True, text=True).stdout


def decrypted_blocks(pcap, keylog, frame):
    """The `Decrypted TLS (N bytes)` hex blocks tshark prints for one frame."""
    out = tshark("-r", pcap, "-o", f"tls.keylog_file:{keylog}", "-Y", f"frame.number=={frame}", "-x")
    blocks, cur = [], None
    for line in out.splitlines():
        if line.startswith("Decrypted TLS"):
            cur = bytearray()
            blocks.append(cur)
            continue
        if cur is None:
            continue
        m = re.match(r"^[0-9a-f]{4}  ((?:[0-9a-f]{2} ?)+)", line)
        if not m:
            cur = None
            continue
        cur.extend(bytes.fromhex(m.group(1).replace(" ", "")))
    return [bytes(b) for b in blocks]


def main():
    caps = {}
    for pcap in sorted(glob.glob("pcaps/openssl_keylog_*.pcapng")):
        name = os.path.basename(pcap)[len("openssl_keylog_"):-len(".pcapng")]
        keylog = pcap[: -len(".pcapng")] + ".keylog"
        port = tshark("-r", pcap, "-Y", "tls.handshake.type == 1", "-T", "fields", "-e", "tcp.dstport").split()[0]
        sh = tshark("-r", pcap, "-o", f"tls.keylog_file:{keylog}", "-Y", "tls.handshake.type == 2",
                    "-T", "fields", "-e", "tls.handshake.ciphersuite",
                    "-e", "tls.handshake.extensions.supported_version", "-e", "tls.handshake.version").split()
        suite = int(sh[0], 16)
        version = "TLSv1.3" if "0x0304" in sh[1:] else "TLSv1.2"
        rows = tshark("-r", pcap, "-o", f"tls.keylog_file:{keylog}", "-d", f"tls.port=={port},sip",
                      "-Y", "sip", "-T", "fields", "-E", "separator=|",
                      "-e", "frame.number", "-e", "tcp.srcport", "-e", "sip.Request-Line", "-e", "sip.Status-Line")
        msgs = []
        for r in rows.splitlines():
            frame, sport, req, status = r.split("|")
            blocks = decrypted_blocks(pcap, keylog, frame)
            # The SIP message is the decrypted block that starts with its start line.
            line = req or status
            data = next(b for b in blocks if b.startswith(line.encode()))
            msgs.append({
                "frame": int(frame),
                "from": "server" if sport == port else "client",
                "start_line": line,
                "octets": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
            })
        caps[name] = {"pcap": os.path.basename(pcap), "keylog": os.path.basename(keylog),
                      "version": version, "suite": suite, "sip": msgs}
    doc = {
        "source": "tshark " + tshark("-v").splitlines()[0].split()[-1].rstrip(".")
                  + " (Wireshark TLS dissector, -o tls.keylog_file) on captures of OpenSSL "
                  + "s_server/s_client with -keylogfile (tools/make_tls_keylog_pcaps.sh); "
                  + "written by tools/tls_keylog_expect.py",
        "captures": caps,
    }
    with open("pcaps/openssl_keylog.expect.json", "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
