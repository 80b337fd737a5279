#!/usr/bin/env bash
# Stops the lab VM started by boot.sh (by the PID QEMU recorded) and deletes its namespace.
# The run directory (console, Kamailio log, xfrm monitor log) stays for inspection.
set -uo pipefail
run=${KAM_RUN:-/var/tmp/imsec-kamailio-run}
ns=${KAM_NS:-imsec-kam}
[ "$(id -u)" = 0 ] || { echo "stop.sh: needs root" >&2; exit 2; }
if [ -s "$run/qemu.pid" ]; then
  pid=$(cat "$run/qemu.pid")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  fi
  rm -f "$run/qemu.pid"
  echo "stop.sh: QEMU $pid stopped"
fi
if ip netns list | grep -qw "$ns"; then
  ip netns del "$ns"
  echo "stop.sh: namespace $ns deleted"
fi
exit 0
