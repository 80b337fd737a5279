#!/bin/sh
# Makes pcaps/openssl_keylog_<name>.{pcapng,keylog} for `imsec replay --tls-keylog`:
# one SIP registration (REGISTER, 401, REGISTER with Authorization, 200) carried as TLS
# application data between `openssl s_server` (the "P-CSCF", 127.0.0.1:<port>) and
# `openssl s_client -keylogfile` (the "UE"), captured by dumpcap on lo. The expected
# plaintext is read back by tshark with the key log (harness/tests/replay_tls.rs), not by imsec.
# Sec-agree mechanism `tls` (RFC 3329, TS 33.203 Annex O / TS 24.229 §7.2A.7).
# Needs root (capture on lo), OpenSSL 3 and dumpcap. Run from the repository root.
set -eu
d=$(mktemp -d)
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/key.pem" -out "$d/cert.pem" -days 3650 \
  -subj "/CN=pcscf.imsec.test" 2>/dev/null
crlf() { sed 's/$/\r/'; }
body() { # sip message text without Content-Length; prints with CRLF and Content-Length: 0
  crlf; printf 'Content-Length: 0\r\n\r\n'
}
reg1=$(cat <<'EOF' | body
REGISTER sip:ims.imsec.test SIP/2.0
Via: SIP/2.0/TLS 127.0.0.1:5061;branch=z9hG4bKtls1
Max-Forwards: 70
From: <sip:ue@ims.imsec.test>;tag=ue1
To: <sip:ue@ims.imsec.test>
Call-ID: tls-keylog-reg@127.0.0.1
CSeq: 1 REGISTER
Contact: <sips:ue@127.0.0.1:5061>
Require: sec-agree
Proxy-Require: sec-agree
Security-Client: tls;q=0.1
Authorization: Digest username="ue@ims.imsec.test",realm="ims.imsec.test",uri="sip:ims.imsec.test",nonce="",response=""
Expires: 600
EOF
)
reg2=$(cat <<'EOF' | body
REGISTER sip:ims.imsec.test SIP/2.0
Via: SIP/2.0/TLS 127.0.0.1:5061;branch=z9hG4bKtls2
Max-Forwards: 70
From: <sip:ue@ims.imsec.test>;tag=ue1
To: <sip:ue@ims.imsec.test>
Call-ID: tls-keylog-reg@127.0.0.1
CSeq: 2 REGISTER
Contact: <sips:ue@127.0.0.1:5061>
Require: sec-agree
Proxy-Require: sec-agree
Security-Client: tls;q=0.1
Security-Verify: tls;q=0.1
Authorization: Digest username="ue@ims.imsec.test",realm="ims.imsec.test",uri="sip:ims.imsec.test",nonce="MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTI=",response="6629fae49393a05397450978507c4ef1",algorithm=AKAv1-MD5
Expires: 600
EOF
)
r401=$(cat <<'EOF' | body
SIP/2.0 401 Unauthorized
Via: SIP/2.0/TLS 127.0.0.1:5061;branch=z9hG4bKtls1
From: <sip:ue@ims.imsec.test>;tag=ue1
To: <sip:ue@ims.imsec.test>;tag=pc1
Call-ID: tls-keylog-reg@127.0.0.1
CSeq: 1 REGISTER
Security-Server: tls;q=0.1
WWW-Authenticate: Digest realm="ims.imsec.test",nonce="MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTI=",algorithm=AKAv1-MD5,qop="auth"
EOF
)
r200=$(cat <<'EOF' | body
SIP/2.0 200 OK
Via: SIP/2.0/TLS 127.0.0.1:5061;branch=z9hG4bKtls2
From: <sip:ue@ims.imsec.test>;tag=ue1
To: <sip:ue@ims.imsec.test>;tag=pc1
Call-ID: tls-keylog-reg@127.0.0.1
CSeq: 2 REGISTER
Contact: <sips:ue@127.0.0.1:5061>;expires=600
EOF
)
cap() { # name port version-option cipher-options...
  name=$1; port=$2; ver=$3; shift 3
  rm -f "$d/kl" "$d/cap.pcapng"
  dumpcap -q -i lo -f "tcp port $port" -w "$d/cap.pcapng" 2>/dev/null & dp=$!
  sleep 2
  # Server ("P-CSCF"): answers 401 after the first REGISTER, 200 after the second.
  { sleep 2; printf '%s\n' "$r401"; sleep 3; printf '%s\n' "$r200"; sleep 2; } |
    openssl s_server -accept 127.0.0.1:$port -cert "$d/cert.pem" -key "$d/key.pem" "$ver" \
      -naccept 1 -quiet "$@" >/dev/null 2>&1 & sp=$!
  sleep 1
  { printf '%s\n' "$reg1"; sleep 2; printf '%s\n' "$reg2"; sleep 3; } |
    timeout 8 openssl s_client -connect 127.0.0.1:$port "$ver" -keylogfile "$d/kl" -quiet \
      "$@" >/dev/null 2>&1 || true
  sleep 1; kill $sp 2>/dev/null || true; sleep 1; kill $dp; wait $dp || true
  cp "$d/cap.pcapng" "pcaps/openssl_keylog_$name.pcapng"
  cp "$d/kl" "pcaps/openssl_keylog_$name.keylog"
}
cap tls12_aes128gcm 15071 -tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256
cap tls12_aes256cbc_sha 15072 -tls1_2 -cipher ECDHE-RSA-AES256-SHA
cap tls12_aes128cbc_sha_noetm 15073 -tls1_2 -cipher ECDHE-RSA-AES128-SHA -no_etm
cap tls12_null_sha256 15074 -tls1_2 -cipher NULL-SHA256@SECLEVEL=0
cap tls13_aes128gcm 15075 -tls1_3 -ciphersuites TLS_AES_128_GCM_SHA256
cap tls13_chacha20 15076 -tls1_3 -ciphersuites TLS_CHACHA20_POLY1305_SHA256
rm -rf "$d"
