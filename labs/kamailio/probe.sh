#!/usr/bin/env bash
# One SIP OPTIONS to <pcscf-ip>:5060 from <local-ip> (run inside the lab namespace);
# exit 0 when a 200 comes back within 1 s. Usage: probe.sh PCSCF_IP LOCAL_IP [N]
# The request carries `rport` (RFC 3581), so the answer comes back to the probe's own socket.
set -u
pcscf=$1 local=$2 n=${3:-1}
msg=$(printf 'OPTIONS sip:%s:5060 SIP/2.0\r\nVia: SIP/2.0/UDP %s:9;rport;branch=z9hG4bK-ready-%s-%s\r\nMax-Forwards: 70\r\nFrom: <sip:probe@%s>;tag=p%s\r\nTo: <sip:%s:5060>\r\nCall-ID: ready-%s-%s\r\nCSeq: %s OPTIONS\r\nContent-Length: 0\r\n\r\n' \
  "$pcscf" "$local" "$$" "$n" "$local" "$n" "$pcscf" "$$" "$n" "$n")
exec 3<>"/dev/udp/$pcscf/5060" || exit 1
# One write (one datagram), one read of one datagram.
printf '%s' "$msg" | cat >&3
line=$(timeout 1 dd bs=65536 count=1 status=none <&3 2>/dev/null) || true
exec 3<&- 3>&-
[[ "$line" == "SIP/2.0 200"* ]]
