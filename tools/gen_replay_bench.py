#!/usr/bin/env python3
"""Benchmark input for `imsec replay` (tools/bench_replay.sh): a large capture of IMS
registrations and protected SIP over ESP with known keys.

It replicates one lab capture (pcaps/replay/SA-SEQ-01.conformant.pcapng: initial REGISTER,
401 with ck/ik on the core leg, protected REGISTER, 200, protected OPTIONS over ESP in
UDP-encapsulated tunnel mode) many times, giving each copy its own UE address (10.a.b.c) and
moving its time forward, so every copy is a new registration of a new UE with its own SA set.
The ESP packets stay valid: the ICV does not cover the outer IP header (RFC 4303 §3.1.2) and
the keys come from the copy's own 401. IPv4 header checksums are recomputed, UDP checksums set
to 0 (allowed for IPv4, RFC 768).

Run:  python3 tools/gen_replay_bench.py SIZE_MB OUT.pcap [SEED.pcapng]
Needs only the Python standard library.
"""

import struct
import sys


def blocks(data):
    off = 0
    le = True
    while off + 12 <= len(data):
        btype, blen = struct.unpack_from("<II" if le else ">II", data, off)
        if btype == 0x0A0D0D0A:
            magic = struct.unpack_from("<I", data, off + 8)[0]
            le = magic == 0x1A2B3C4D
            blen = struct.unpack_from("<I" if le else ">I", data, off + 4)[0]
        if blen < 12:
            break
        yield btype, data[off + 8 : off + blen - 4], le
        off += blen


def read_pcapng(path):
    data = open(path, "rb").read()
    linktype = None
    frames = []
    for btype, body, le in blocks(data):
        e = "<" if le else ">"
        if btype == 1 and linktype is None:
            linktype = struct.unpack_from(e + "H", body, 0)[0]
        elif btype == 6:
            _, hi, lo, cap, _ = struct.unpack_from(e + "IIIII", body, 0)
            ts = (hi << 32) | lo  # imsec writes nanosecond resolution
            frames.append((ts, body[20 : 20 + cap]))
    return linktype, frames


def ip_offset(linktype):
    return {101: 0, 228: 0, 1: 14, 0: 4, 108: 4, 113: 16, 276: 20}[linktype]


def checksum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def main():
    size_mb = float(sys.argv[1])
    out = sys.argv[2]
    seed = sys.argv[3] if len(sys.argv) > 3 else "pcaps/replay/SA-SEQ-01.conformant.pcapng"
    linktype, frames = read_pcapng(seed)
    off = ip_offset(linktype)
    first = frames[0][1][off:]
    ue = first[12:16]  # the first frame is the UE's REGISTER
    t0 = frames[0][0]
    span = frames[-1][0] - t0 + 1_000_000
    target = int(size_mb * 1_000_000)
    written = 0
    k = 0
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 262144, linktype))  # ns pcap
        while written < target:
            k += 1
            new = bytes([10, (k >> 16) & 255, (k >> 8) & 255, k & 255])
            base = 1_700_000_000_000_000_000 + k * span
            for ts, pkt in frames:
                p = bytearray(pkt)
                ip = off
                if p[ip] >> 4 == 4:
                    hl = (p[ip] & 15) * 4
                    if p[ip + 12 : ip + 16] == ue:
                        p[ip + 12 : ip + 16] = new
                    if p[ip + 16 : ip + 20] == ue:
                        p[ip + 16 : ip + 20] = new
                    p[ip + 10 : ip + 12] = b"\0\0"
                    p[ip + 10 : ip + 12] = struct.pack("!H", checksum(bytes(p[ip : ip + hl])))
                    if p[ip + 9] == 17:
                        p[ip + hl + 6 : ip + hl + 8] = b"\0\0"
                t = base + (ts - t0)
                f.write(struct.pack("<IIII", t // 1_000_000_000, t % 1_000_000_000, len(p), len(p)))
                f.write(p)
                written += 16 + len(p)
    print(f"{out}: {k} registrations, {k * len(frames)} frames, {written} octets")


if __name__ == "__main__":
    main()
