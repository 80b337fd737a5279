#!/usr/bin/env bash
# imsec against a real Kamailio 5.6 P-CSCF on this host: the unprotected phase of IMS
# registration (REGISTER -> Kamailio -> imsec's S-CSCF -> 401 with ck/ik -> Kamailio -> 401
# with Security-Server at imsec's UE). See README.md next to this file.
#
# Usage: run.sh [extra `imsec cycle` arguments]
# Environment:
#   IMSEC      the imsec binary (default: imsec on PATH, else target/debug/imsec of the repo)
#   KAM_NETNS  1 (default): run everything in a private network namespace (own loopback, own
#              xfrm tables: no clash with a packaged kamailio service on 5060, and no xfrm
#              policy Kamailio installs outlives the run); 0: use the host's loopback.
#   KAM_LOG    1: always print Kamailio's log (it is printed anyway when imsec fails).
#   KAM_CFG    another Kamailio config to test instead of pcscf.cfg (same defines).
# Exit code: imsec's exit code (0 all steps passed, 1 a step failed), 2 when the lab
# cannot run here (missing package, not root, Kamailio did not come up).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

PCSCF_IP=127.0.0.71
SCSCF_ADDR=127.0.0.73:5060
UE_IP=127.0.0.74
REALM=imsec.test
READY_WAIT_S=10

die() { echo "run.sh: $*" >&2; exit 2; }

# --- prerequisites ---------------------------------------------------------------------
command -v kamailio >/dev/null ||
  die "kamailio not found; install it with: apt-get install -y kamailio kamailio-ims-modules"
have_ims=""
for m in /usr/lib/*/kamailio/modules/ims_ipsec_pcscf.so /usr/lib/kamailio/modules/ims_ipsec_pcscf.so \
  /usr/local/lib*/kamailio/modules/ims_ipsec_pcscf.so; do
  [ -e "$m" ] && have_ims=1
done
[ -n "$have_ims" ] ||
  die "Kamailio's IMS modules are missing; install them with: apt-get install -y kamailio-ims-modules"
[ "$(id -u)" = 0 ] ||
  die "needs root (ims_ipsec_pcscf opens an xfrm netlink socket: CAP_NET_ADMIN)"

if [ -z "${IMSEC:-}" ]; then
  if command -v imsec >/dev/null; then
    IMSEC=$(command -v imsec)
  elif [ -x "${CARGO_TARGET_DIR:-$repo/target}/debug/imsec" ]; then
    IMSEC="${CARGO_TARGET_DIR:-$repo/target}/debug/imsec"
  else
    die "imsec binary not found; build it (cd harness && cargo build) or set IMSEC=/path/to/imsec"
  fi
fi
[ -x "$IMSEC" ] || die "IMSEC=$IMSEC is not executable"
export IMSEC

# --- private network namespace -----------------------------------------------------------
if [ "${KAM_NETNS:-1}" = 1 ] && [ -z "${_KAM_IN_NETNS:-}" ]; then
  command -v unshare >/dev/null || die "unshare (util-linux) not found; or set KAM_NETNS=0"
  command -v ip >/dev/null || die "ip (iproute2) not found; or set KAM_NETNS=0"
  exec env _KAM_IN_NETNS=1 unshare --net -- "$0" "$@"
fi
if [ -n "${_KAM_IN_NETNS:-}" ]; then
  ip link set lo up
fi

# --- Kamailio ----------------------------------------------------------------------------
start=$(date +%s%N)
tmp=$(mktemp -d /tmp/imsec-kamailio.XXXXXX)
log="$tmp/kamailio.log"
mkdir -p "$tmp/run"
kpid=""
cleanup() {
  if [ -n "$kpid" ] && kill -0 "$kpid" 2>/dev/null; then
    kill -TERM "$kpid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$kpid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$kpid" 2>/dev/null && kill -KILL "$kpid" 2>/dev/null || true
    wait "$kpid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cfg=${KAM_CFG:-$here/pcscf.cfg}
[ -r "$cfg" ] || die "cannot read $cfg"
kamailio -DD -E -f "$cfg" -Y "$tmp/run" -m 64 -M 8 \
  -A "PCSCF_IP=$PCSCF_IP" -A "PCSCF_IP_STR=\"$PCSCF_IP\"" \
  -A "SCSCF_URI=\"sip:$SCSCF_ADDR\"" >"$log" 2>&1 &
kpid=$!

# Ready when an OPTIONS to the P-CSCF is answered (pcscf.cfg answers it with 200). The probe
# carries `rport`, so the answer comes back to the probe's own socket (RFC 3581). It is
# written with one `cat` (one write: one datagram) and read with one `dd`.
probe() {
  local n=$1 line=""
  printf 'OPTIONS sip:%s:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;rport;branch=z9hG4bK-ready-%s\r\nMax-Forwards: 70\r\nFrom: <sip:probe@%s>;tag=p%s\r\nTo: <sip:%s:5060>\r\nCall-ID: ready-%s-%s\r\nCSeq: %s OPTIONS\r\nContent-Length: 0\r\n\r\n' \
    "$PCSCF_IP" "$n" "$PCSCF_IP" "$n" "$PCSCF_IP" "$$" "$n" "$n" >"$tmp/probe"
  exec 3<>"/dev/udp/$PCSCF_IP/5060" || return 1
  cat "$tmp/probe" >&3
  # One read of one datagram (bash's `read` takes a socket one byte at a time, which
  # truncates a datagram to its first byte).
  line=$(timeout 0.2 dd bs=65536 count=1 status=none <&3 2>/dev/null) || true
  exec 3<&- 3>&-
  [[ "$line" == "SIP/2.0 200"* ]]
}
ready=""
deadline=$((start + READY_WAIT_S * 1000000000))
n=0
while [ "$(date +%s%N)" -lt "$deadline" ]; do
  n=$((n + 1))
  if ! kill -0 "$kpid" 2>/dev/null; then
    cat "$log" >&2
    die "kamailio exited during start-up (log above)"
  fi
  if probe "$n" 2>/dev/null; then ready=1; break; fi
  sleep 0.05
done
if [ -z "$ready" ]; then
  cat "$log" >&2
  die "kamailio did not answer OPTIONS on $PCSCF_IP:5060 within ${READY_WAIT_S}s (log above)"
fi
up=$(date +%s%N)
echo "P-CSCF: $(kamailio -v 2>/dev/null | sed -n '1s/^version: //p' | sed 's/ *$//'), ready on $PCSCF_IP:5060 after $(((up - start) / 1000000)) ms (pid $kpid)"

# --- imsec ---------------------------------------------------------------------------------
# The registration cycle against an external P-CSCF is `imsec cycle` (it was `imsec run`
# before the test-case engine took that name).
sub=run
"$IMSEC" cycle --help >/dev/null 2>&1 && sub=cycle
set +e
out=$("$IMSEC" "$sub" --pcscf "$PCSCF_IP:5060" --scscf-listen "$SCSCF_ADDR" --ue-addr "$UE_IP" \
  --realm "$REALM" --phase unprotected "$@" 2>&1)
rc=$?
set -e
echo "$out"
end=$(date +%s%N)
if [ "$rc" != 0 ] || [ "${KAM_LOG:-0}" = 1 ]; then
  echo "--- kamailio log ---"
  cat "$log"
fi
echo "imsec exit code $rc; whole run $(((end - start) / 1000000)) ms"
exit "$rc"
