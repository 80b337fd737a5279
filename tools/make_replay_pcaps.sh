#!/usr/bin/env bash
# Makes the lab captures of pcaps/replay/ (see pcaps/README.md, section "replay/"): one case of
# the catalogue against the conformant built-in P-CSCF and against the flawed variant that the
# case is proven by, with the per-case pcapng `imsec run` writes (UE and core legs, ESP as on
# the wire, udp-enc-tun mode on loopback). Keys are random per run, so the bytes differ from
# run to run; the verdicts do not.
#
# Run from the repository root: tools/make_replay_pcaps.sh [path/to/imsec]
set -euo pipefail
IMSEC=${1:-target/release/imsec}
OUT=pcaps/replay
mkdir -p "$OUT"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# case id : flaw whose capture must fail the matching replay check
while IFS=: read -r case flaw; do
  for sut in builtin "builtin:$flaw"; do
    name=$case.${sut#builtin:}
    [ "$sut" = builtin ] && name=$case.conformant
    "$IMSEC" run testcases --filter "$case" --sut "$sut" --report "$tmp/$name" -q >/dev/null || true
    cp "$tmp/$name/$case.pcapng" "$OUT/$name.pcapng"
  done
done <<'LIST'
SA-DUMMY-01:send-dummy
AKA-CKIK-01:leak-ck-ik
SEC-AGREE-ALG-01:choose-null
HYGIENE-CORE-HEADERS-01:forward-sec-agree
HYGIENE-INTEGRITY-01:wrong-integrity-protected
ESP-SPI-01:reuse-ue-spi
SA-SEQ-01:seq-starts-at-2
SA-RESPONSE-01:wrong-sa-reply
SEC-AGREE-BIDDOWN-01:accept-modified-verify
LIST
ls -l "$OUT"
