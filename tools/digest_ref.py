#!/usr/bin/env python3
"""Independent HTTP Digest AKA reference (hashlib / hmac / base64 only; no imsec code).

Generates vectors/digest_aka.yaml:
  * the two AKAv1-MD5 device traces (expected values from the traces themselves; recomputed
    here and checked before they are written),
  * AKAv1/AKAv2 examples, qop=auth-int and no-qop cases computed here from RFC 2617 / RFC 3310 /
    RFC 4169 rules, with RES/IK/CK taken from 3GPP TS 35.208 test set 1,
  * nonce / auts encodings and negative cases.

Run:  python3 tools/digest_ref.py SHARED_IMS_AKA_DIGEST_YAML OUT_DIR   (needs PyYAML)
"""

import base64
import hashlib
import hmac
import sys

import yaml

from aka_ref import Dumper, quote_values  # noqa: E402  (same directory)


def md5hex(b):
    return hashlib.md5(b).hexdigest()


def akav2_password(res, ik, ck):
    """RFC 4169 §3: base64(PRF(RES||IK||CK, "http-digest-akav2-password")), PRF = HMAC-MD5."""
    mac = hmac.new(res + ik + ck, b"http-digest-akav2-password", hashlib.md5).digest()
    return base64.b64encode(mac)


def digest(password, user, realm, nonce, method, uri, qop=None, nc=None, cnonce=None, body=b""):
    """RFC 2617 §3.2.2 (and the RFC 2069 form when qop is absent)."""
    ha1 = md5hex(user.encode() + b":" + realm.encode() + b":" + password)
    if qop == "auth-int":
        a2 = f"{method}:{uri}:{md5hex(body)}"
    else:
        a2 = f"{method}:{uri}"
    ha2 = md5hex(a2.encode())
    if qop:
        resp = md5hex(f"{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}".encode())
    else:
        resp = md5hex(f"{ha1}:{nonce}:{ha2}".encode())
    return ha1, ha2, resp


# 3GPP TS 35.208 test set 1
RAND = bytes.fromhex("23553cbe9637a89d218ae64dae47bf35")
AUTN = bytes.fromhex("55f328b43577b9b94a9ffac354dfafb3")  # SQN^AK || AMF || MAC-A of set 1
RES = bytes.fromhex("a54211d5e3ba50bf")
CK = bytes.fromhex("b40ba9a3c58b2a05bbf0d987b21bf8cb")
IK = bytes.fromhex("f769bcd751044604127672711c6d3441")
USER, REALM, URI = "user@ims.example.net", "ims.example.net", "sip:ims.example.net"
SRC = "computed by tools/digest_ref.py (Python hashlib/hmac) per {}; RES/IK/CK/RAND of TS 35.208 set 1"


def main():
    shared = yaml.safe_load(open(sys.argv[1]))
    out = sys.argv[2]
    vs = []

    # Device traces.
    for t in shared["vectors"][:2]:
        res = bytes.fromhex(t["res"])
        ha1, ha2, resp = digest(res, t["username"], t["realm"], t["nonce_b64"], t["method"],
                                t["uri"], t["qop"], t["nc"], t["cnonce"])
        assert (ha1, ha2, resp) == (t["ha1"], t["ha2"], t["response"]), t["id"]
        raw = base64.b64decode(t["nonce_b64"])
        assert raw[:16].hex() == t["rand"] and raw[16:32].hex() == t["autn"]
        vs.append({
            "id": t["id"],
            "source": t["source"].split(" (expected")[0] + ": response, HA1, HA2 from the capture's "
                      "comment; re-checked by tools/digest_ref.py",
            "comment": "AKA ran with the TS 34.108 test algorithm, so RES is given directly",
            "input": {"operation": "response", "algorithm": "AKAv1-MD5", "res": t["res"],
                      "username": t["username"], "realm": t["realm"], "nonce": t["nonce_b64"],
                      "method": t["method"], "uri": t["uri"], "qop": t["qop"], "nc": t["nc"],
                      "cnonce": t["cnonce"]},
            "expected": {"ha1": ha1, "ha2": ha2, "response": resp,
                         "rand": t["rand"], "autn": t["autn"]},
        })

    nonce = base64.b64encode(RAND + AUTN).decode()
    common = {"username": USER, "realm": REALM, "nonce": nonce, "method": "REGISTER", "uri": URI}

    def resp_vec(vid, alg, src, qop=None, body=b"", password=None, comment=None, extra=None):
        nc, cn = ("00000001", "0a4f113b") if qop else (None, None)
        if password is None:
            password = RES if alg == "AKAv1-MD5" else akav2_password(RES, IK, CK)
        ha1, ha2, resp = digest(password, USER, REALM, nonce, "REGISTER", URI, qop, nc, cn, body)
        inp = {"operation": "response", "algorithm": alg, "res": RES.hex()}
        if alg == "AKAv2-MD5":
            inp.update(ik=IK.hex(), ck=CK.hex())
        inp.update(common)
        if qop:
            inp.update(qop=qop, nc=nc, cnonce=cn)
        if qop == "auth-int":
            inp["body"] = body.decode()
        if extra:
            inp.update(extra)
        exp = {"ha1": ha1, "ha2": ha2, "response": resp}
        if alg == "AKAv2-MD5" and not (extra or {}).get("resync"):
            exp["password"] = password.decode()
        v = {"id": vid, "source": SRC.format(src), "input": inp, "expected": exp}
        if comment:
            v["comment"] = comment
        return v

    vs.append(resp_vec("akav1-md5-set1-auth", "AKAv1-MD5", "RFC 3310 §3.3 + RFC 2617", "auth",
                       comment="cross-check: equals the fact sheet's independently derived value"))
    assert vs[-1]["expected"]["response"] == "19e0447acb4e853e08f9f4c35a035b14"
    vs.append(resp_vec("akav2-md5-set1-auth", "AKAv2-MD5", "RFC 4169 §3 + RFC 2617", "auth"))
    assert vs[-1]["expected"]["password"] == "shzt3q8CWaZnCAWqs3WmEQ=="
    assert vs[-1]["expected"]["response"] == "9a89dae9bdca1ff0744f0c30eafb2dc9"
    sdp = b"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\n"
    vs.append(resp_vec("akav1-md5-set1-auth-int", "AKAv1-MD5", "RFC 2617 §3.2.2.3 (auth-int)",
                       "auth-int", sdp))
    vs.append(resp_vec("akav1-md5-set1-auth-int-empty-body", "AKAv1-MD5",
                       "RFC 2617 §3.2.2.3 (auth-int, empty entity body)", "auth-int", b""))
    vs.append(resp_vec("akav2-md5-set1-auth-int", "AKAv2-MD5", "RFC 4169 §3 + RFC 2617 auth-int",
                       "auth-int", sdp))
    vs.append(resp_vec("akav1-md5-set1-no-qop", "AKAv1-MD5",
                       "RFC 2617 §3.2.2.1 (no qop: RFC 2069 compatible form)"))
    vs.append(resp_vec("akav2-md5-set1-no-qop", "AKAv2-MD5", "RFC 4169 §3 + RFC 2617 no qop"))
    vs.append(resp_vec("akav1-md5-resync-empty-password", "AKAv1-MD5",
                       "RFC 3310 §3.4 (synchronisation failure: response with empty password)",
                       "auth", password=b"", extra={"resync": True},
                       comment="RES is ignored: the password is the empty string"))

    # Nonce parsing.
    vs.append({
        "id": "nonce-set1", "source": SRC.format("RFC 3310 §3.2 (nonce = base64(RAND || AUTN || server data))"),
        "input": {"operation": "nonce", "nonce": nonce},
        "expected": {"rand": RAND.hex(), "autn": AUTN.hex(), "server_data": ""},
    })
    sd = bytes.fromhex("0102030405")
    vs.append({
        "id": "nonce-with-server-data", "source": SRC.format("RFC 3310 §3.2 (optional server-specific data)"),
        "input": {"operation": "nonce", "nonce": base64.b64encode(RAND + AUTN + sd).decode()},
        "expected": {"rand": RAND.hex(), "autn": AUTN.hex(), "server_data": sd.hex()},
    })
    vs.append({
        "id": "nonce-truncated", "result": "invalid",
        "source": "RFC 3310 §3.2: nonce must hold RAND (16) and AUTN (16); this one has 31 octets",
        "input": {"operation": "nonce", "nonce": base64.b64encode((RAND + AUTN)[:31]).decode()},
        "expected": {"error": "too-short"},
    })
    vs.append({
        "id": "nonce-empty", "result": "invalid",
        "source": "RFC 3310 §3.2: empty nonce carries no RAND/AUTN",
        "input": {"operation": "nonce", "nonce": ""},
        "expected": {"error": "too-short"},
    })
    vs.append({
        "id": "nonce-bad-base64", "result": "invalid",
        "source": "RFC 3310 §3.2 (base64, RFC 2045 alphabet): '*' and '!' are not base64",
        "input": {"operation": "nonce", "nonce": "I1U8vpY3qJ0h*uZNrke!NVXzKLQ1d7m5Sp/6w1Tfr7M="},
        "expected": {"error": "base64"},
    })

    # auts parameter.
    auts = bytes.fromhex("4f2039392ddd4bb4316ed4a14688")
    vs.append({
        "id": "auts-hostap-set20", "source": "RFC 3310 §3.4 (auts = base64 of the 14-octet AUTS); "
        "AUTS from hostap tests/test-milenage.c; base64 by tools/digest_ref.py",
        "input": {"operation": "auts", "auts": auts.hex()},
        "expected": {"auts_b64": base64.b64encode(auts).decode()},
    })
    vs.append({
        "id": "auts-wrong-length", "result": "invalid",
        "source": "RFC 3310 §3.4 / TS 33.102 §6.3.3: AUTS is 112 bits; this decodes to 13 octets",
        "input": {"operation": "auts-parse", "auts_b64": base64.b64encode(auts[:13]).decode()},
        "expected": {"error": "length"},
    })
    vs.append({
        "id": "auts-too-long", "result": "invalid",
        "source": "RFC 3310 §3.4 / TS 33.102 §6.3.3: AUTS is 112 bits; this decodes to 15 octets",
        "input": {"operation": "auts-parse", "auts_b64": base64.b64encode(auts + b"\x00").decode()},
        "expected": {"error": "length"},
    })
    vs.append({
        "id": "auts-bad-base64", "result": "invalid",
        "source": "RFC 3310 §3.4 (base64): '#' is not base64",
        "input": {"operation": "auts-parse", "auts_b64": "TyA5OS3dS7Qxbt#hRog="},
        "expected": {"error": "base64"},
    })

    data = {
        "family": "digest-aka",
        "description": "HTTP Digest AKA: RFC 3310 AKAv1-MD5, RFC 4169 AKAv2-MD5, RFC 2617 responses, "
                       "nonce and auts encodings",
        "source": "see per vector",
        "vectors": vs,
    }
    with open(f"{out}/digest_aka.yaml", "w") as f:
        f.write("# Generated by tools/digest_ref.py (independent Python hashlib/hmac). "
                "Do not edit by hand.\n")
        yaml.dump(quote_values(data), f, Dumper=Dumper, sort_keys=False, width=100,
                  allow_unicode=True)
    print("ok: device traces re-checked, cross-checks matched")


if __name__ == "__main__":
    main()
