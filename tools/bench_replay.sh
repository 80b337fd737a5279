#!/usr/bin/env bash
# Benchmark of `imsec replay` against tshark on the same capture (issue #7, "Performance").
#
# Input: tools/gen_replay_bench.py (a lab capture of one IMS registration with protected SIP
# over ESP, replicated with a new UE address per copy; the keys come from each copy's 401 on
# the core leg). imsec derives the keys itself; tshark gets the four esp_sa lines (the same
# keys for every copy, addresses "*") that imsec exports for the seed capture, so both decrypt
# every ESP packet and dissect every SIP message in one run.
#
# Run from the repository root: tools/bench_replay.sh [SIZES_MB...]   (default: 50 200 1000)
# tshark runs on the sizes up to TSHARK_MAX_MB (default 200). Needs tshark and /usr/bin/time.
set -euo pipefail
SIZES=${*:-50 200 1000}
TSHARK_MAX_MB=${TSHARK_MAX_MB:-200}
IMSEC=${IMSEC:-target/release/imsec}
SEED=pcaps/replay/SA-SEQ-01.conformant.pcapng
tmp=${BENCH_DIR:-$(mktemp -d)}
[ -x "$IMSEC" ] || cargo build --release -q -p imsec
"$IMSEC" replay "$SEED" --export-esp-sa "$tmp/seed.esp_sa" >/dev/null || true
opts=(-o esp.enable_encryption_decode:TRUE)
while IFS= read -r l; do
  case "$l" in \#*|"") continue ;; esac
  # Same keys and SPIs in every copy: match any address.
  l=$(printf '%s' "$l" | awk -F'","' 'BEGIN{OFS="\",\""} {$2="*"; $3="*"; print}')
  opts+=(-o "uat:esp_sa:$l")
done <"$tmp/seed.esp_sa"
rss() { awk -F': ' '/Maximum resident set size/ {print $2}' "$1"; }
wall() { awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$1"; }
secs() { python3 -c "import sys; p=sys.argv[1].split(':'); print(sum(float(x)*60**i for i,x in enumerate(reversed(p))))" "$1"; }
printf '%-8s %-10s %10s %10s %12s %10s %s\n' size tool seconds MB/s max_rss_MB sip decrypted
for mb in $SIZES; do
  cap="$tmp/bench_${mb}.pcap"
  [ -f "$cap" ] || python3 tools/gen_replay_bench.py "$mb" "$cap" "$SEED" >/dev/null
  bytes=$(stat -c %s "$cap")
  /usr/bin/time -v "$IMSEC" replay "$cap" --json "$tmp/r.json" >/dev/null 2>"$tmp/time_imsec" || true
  s=$(secs "$(wall "$tmp/time_imsec")")
  read -r sip dec < <(python3 -c "import json;d=json.load(open('$tmp/r.json'))['stats'];print(d['sip_messages'],d['esp_decrypted'])")
  printf '%-8s %-10s %10.2f %10.1f %12.1f %10s %s\n' "${mb}MB" imsec "$s" "$(python3 -c "print($bytes/1e6/$s)")" "$(python3 -c "print($(rss "$tmp/time_imsec")/1024)")" "$sip" "$dec"
  if [ "${mb%.*}" -le "$TSHARK_MAX_MB" ]; then
    /usr/bin/time -v tshark -n "${opts[@]}" -r "$cap" -Y sip -T fields -e frame.number >"$tmp/ts.out" 2>"$tmp/time_tshark" || true
    s=$(secs "$(wall "$tmp/time_tshark")")
    printf '%-8s %-10s %10.2f %10.1f %12.1f %10s %s\n' "${mb}MB" tshark "$s" "$(python3 -c "print($bytes/1e6/$s)")" "$(python3 -c "print($(rss "$tmp/time_tshark")/1024)")" "$(wc -l <"$tmp/ts.out")" "-"
  fi
done
