#!/usr/bin/env bash
# Opens every per-case capture of an imsec report in tshark with the case's emitted esp_sa
# lines (Wireshark's own ESP decryption and ICV check, independent of imsec) and counts, per
# case: ESP packets, packets whose ICV tshark found good, and those with SIP inside. TIPC is
# turned off: Kamailio's server ports (6100+) include 6118, which tshark would dissect as TIPC.
# Usage: check-captures.sh REPORT_DIR
# Exit code: 0 when every ESP packet of every case decrypts with a good ICV, except in the
# cases that send corrupted ESP on purpose (listed in DELIBERATE below: their bad packets are
# counted and shown, not failed); 1 otherwise; 2 when tshark is missing.
set -uo pipefail
report=${1:?usage: check-captures.sh REPORT_DIR}
command -v tshark >/dev/null || { echo "check-captures.sh: tshark missing (apt-get install tshark)" >&2; exit 2; }
# Cases whose steps send ESP with a wrong ICV, a dummy packet, or reflect a packet back (no SA
# of the case opens it in that direction).
DELIBERATE=" ESP-ICV-01 SA-DUMMY-01 ESP-REFLECT-01 "
cfg=$(mktemp -d /tmp/imsec-wsconfig.XXXXXX)
trap 'rm -rf "$cfg"' EXIT
tot_esp=0 tot_good=0 tot_sip=0 bad_cases=0 cases=0
printf '%-28s %5s %5s %5s %s\n' case esp icv+ sip note
for sa in "$report"/*.esp_sa; do
  [ -e "$sa" ] || continue
  id=$(basename "$sa" .esp_sa)
  pcap="$report/$id.pcapng"
  [ -f "$pcap" ] || continue
  cp "$sa" "$cfg/esp_sa"
  out=$(WIRESHARK_CONFIG_DIR="$cfg" tshark -r "$pcap" \
    -o esp.enable_encryption_decode:TRUE -o esp.enable_authentication_check:TRUE --disable-protocol tipc \
    -Y esp -T fields -e esp.icv_good -e sip.Method -e sip.Status-Code 2>"$cfg/err") || {
    echo "$id: tshark failed: $(cat "$cfg/err")"; bad_cases=$((bad_cases + 1)); continue; }
  esp=$(printf '%s\n' "$out" | grep -c . || true)
  good=$(printf '%s\n' "$out" | awk -F'\t' '$1=="1"' | grep -c . || true)
  sip=$(printf '%s\n' "$out" | awk -F'\t' '$2!="" || $3!=""' | grep -c . || true)
  note=""
  if [ "$good" != "$esp" ]; then
    if [[ "$DELIBERATE" == *" $id "* ]]; then note="(corrupted ESP sent on purpose)"
    else note="FAIL: $((esp - good)) packet(s) do not open"; bad_cases=$((bad_cases + 1)); fi
  fi
  printf '%-28s %5s %5s %5s %s\n' "$id" "$esp" "$good" "$sip" "$note"
  cases=$((cases + 1)); tot_esp=$((tot_esp + esp)); tot_good=$((tot_good + good)); tot_sip=$((tot_sip + sip))
done
echo "check-captures.sh: $cases cases with SAs, $tot_esp ESP packets, $tot_good with a good ICV in tshark, $tot_sip with SIP inside; $bad_cases case(s) failed"
[ "$bad_cases" = 0 ]
