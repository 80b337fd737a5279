#!/bin/sh
# Makes pcaps/openssl_tls12_{conformant,certreq}.pcapng (the TLS hook of `imsec replay`):
# one TLS 1.2 handshake between `openssl s_server` and `openssl s_client` on loopback,
# captured by dumpcap; the certreq one runs the server with `-Verify 1` (CertificateRequest).
# Needs root (capture on lo), OpenSSL 3 and dumpcap. Run from the repository root.
set -eu
d=$(mktemp -d)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$d/key.pem" \
  -out "$d/cert.pem" -days 3650 -subj "/CN=pcscf.imsec.test" 2>/dev/null
cap() { # output port [server options]
  out=$1; port=$2; shift 2
  dumpcap -q -i lo -f "tcp port $port" -w "$d/cap.pcapng" 2>/dev/null & dp=$!
  sleep 2
  openssl s_server -accept 127.0.0.1:$port -cert "$d/cert.pem" -key "$d/key.pem" -tls1_2 \
    -naccept 1 -quiet "$@" >/dev/null 2>&1 & sp=$!
  sleep 1
  echo "REGISTER sip:x SIP/2.0" | timeout 5 openssl s_client -connect 127.0.0.1:$port -tls1_2 \
    -cert "$d/cert.pem" -key "$d/key.pem" -quiet >/dev/null 2>&1 || true
  sleep 1; kill $sp 2>/dev/null || true; sleep 1; kill $dp; wait $dp || true
  cp "$d/cap.pcapng" "$out"
}
cap pcaps/openssl_tls12_conformant.pcapng 15061
cap pcaps/openssl_tls12_certreq.pcapng 15062 -Verify 1
rm -rf "$d"
