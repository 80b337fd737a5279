#!/usr/bin/env bash
# The imsec catalogue against Kamailio 5.6 as P-CSCF with kernel IPsec, in a QEMU VM:
# build the VM image if needed -> boot it in a namespace -> `imsec run` in ESP transport mode
# over raw sockets inside the namespace -> stop the VM -> check the captures in tshark.
# See README.md next to this file.
#
# Usage: run.sh [extra `imsec run` arguments, e.g. case files or --filter 'SA-*']
# Environment:
#   IMSEC      the imsec binary (default: imsec on PATH, else target/{release,debug}/imsec)
#   REPORT     report directory (default: reports/kamailio under the repository)
#   KAM_KEEP   1: leave the VM running afterwards (stop it with stop.sh)
#   (and those of build-image.sh and boot.sh)
# Exit code: imsec's (0 every case passed or did not apply, 1 a case failed or was
# inconclusive, 2 error), or 2 when the lab cannot run here (not root, no VM).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
run=${KAM_RUN:-/var/tmp/imsec-kamailio-run}
ns=${KAM_NS:-imsec-kam}
export KAM_RUN="$run" KAM_NS="$ns"
die() { echo "run.sh: $*" >&2; exit 2; }

[ "$(id -u)" = 0 ] || die "needs root: the VM's network namespace and tap device, and imsec's raw ESP sockets (transport mode)"

if [ -z "${IMSEC:-}" ]; then
  tgt=${CARGO_TARGET_DIR:-$repo/target}
  if command -v imsec >/dev/null; then IMSEC=$(command -v imsec)
  elif [ -x "$tgt/release/imsec" ]; then IMSEC="$tgt/release/imsec"
  elif [ -x "$tgt/debug/imsec" ]; then IMSEC="$tgt/debug/imsec"
  else die "imsec binary not found; build it (cargo build --release) or set IMSEC=/path/to/imsec"; fi
fi
[ -x "$IMSEC" ] || die "IMSEC=$IMSEC is not executable"
report=${REPORT:-$repo/reports/kamailio}

t0=$(date +%s)
"$here/build-image.sh"
t1=$(date +%s)
if [ "${KAM_KEEP:-0}" != 1 ]; then trap '"$here/stop.sh"' EXIT; fi
"$here/boot.sh"
t2=$(date +%s)

set +e
(cd "$repo" && ip netns exec "$ns" "$IMSEC" run --sut "$here/sut.yaml" --mode trans \
  --report "$report" "$@")
rc=$?
set -e
t3=$(date +%s)

# Lab-side evidence next to the report: Kamailio's log, the SAs and policies it installed
# and removed (ip xfrm monitor in the guest, with keys: as secret as the esp_sa files), the
# guest console.
sleep 1
for f in share/kamailio.log share/xfrm-monitor.log console.log; do
  [ -f "$run/$f" ] && cp "$run/$f" "$report/lab-$(basename "$f")"
done
echo "run.sh: imsec exit code $rc; report in $report"
echo "run.sh: image $((t1 - t0)) s, boot $((t2 - t1)) s, catalogue $((t3 - t2)) s"
if command -v tshark >/dev/null; then
  "$here/check-captures.sh" "$report" || echo "run.sh: some captures did not open in tshark (above)"
else
  echo "run.sh: tshark not installed: the captures were not checked"
fi
exit "$rc"
