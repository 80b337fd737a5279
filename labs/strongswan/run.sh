#!/usr/bin/env bash
# imsec's Za probe (testcases/za) against a real strongSwan security gateway.
#
# Two network namespaces joined by a veth pair: the SEG (strongSwan charon with the
# kernel-libipsec plugin: ESP in userspace, UDP-encapsulated, so no kernel ESP is needed)
# at 10.77.0.2, the harness at 10.77.0.1. Both are created here and deleted on exit.
# See README.md next to this file.
#
# Usage: run.sh [conformant|null|'<esp_proposals>'] [extra `imsec run` arguments]
#   conformant  esp_proposals = aes128gcm16, aes128-sha256   (the Za cases pass)
#   null        esp_proposals = null-sha1                    (integrity-only: the cases fail)
# Environment:
#   IMSEC   the imsec binary (default: imsec on PATH, else target/{release,debug}/imsec)
#   REPORT  report directory (default: reports/strongswan-<variant>-<time>)
#   ZA_LOG  1: print charon's log at the end (it is printed anyway when imsec exits 2)
# Exit code: imsec's (0 every case passed, 1 a case failed), 2 when the lab cannot run here
# (not root, strongSwan missing, charon did not come up).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
die() { echo "run.sh: $*" >&2; exit 2; }

variant=${1:-conformant}
[ $# -gt 0 ] && shift
case "$variant" in
  conformant) ESP="aes128gcm16, aes128-sha256" ;;
  null) ESP="null-sha1" ;;
  *) ESP="$variant"; variant=custom ;;
esac

[ "$(id -u)" = 0 ] || die "needs root (network namespaces, a TUN device for kernel-libipsec)"
CHARON=/usr/lib/ipsec/charon
[ -x "$CHARON" ] || die "strongSwan not found; install it with: apt-get install -y strongswan-charon strongswan-swanctl libcharon-extra-plugins"
command -v swanctl >/dev/null || die "swanctl not found; apt-get install -y strongswan-swanctl"
ls /usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so >/dev/null 2>&1 ||
  die "the kernel-libipsec plugin is missing; apt-get install -y libcharon-extra-plugins"
command -v ip >/dev/null || die "ip (iproute2) not found"
command -v unshare >/dev/null || die "unshare (util-linux) not found"

if [ -z "${IMSEC:-}" ]; then
  if command -v imsec >/dev/null; then IMSEC=$(command -v imsec)
  elif [ -x "${CARGO_TARGET_DIR:-$repo/target}/release/imsec" ]; then IMSEC="${CARGO_TARGET_DIR:-$repo/target}/release/imsec"
  elif [ -x "${CARGO_TARGET_DIR:-$repo/target}/debug/imsec" ]; then IMSEC="${CARGO_TARGET_DIR:-$repo/target}/debug/imsec"
  else die "imsec binary not found; build it (cargo build) or set IMSEC=/path/to/imsec"; fi
fi

id=$$
ns_seg=imsec-za-seg-$id
ns_h=imsec-za-h-$id
work=$(mktemp -d /tmp/imsec-za.XXXXXX)
charon_pid=""
cleanup() {
  if [ -n "$charon_pid" ]; then kill "$charon_pid" 2>/dev/null || true; wait "$charon_pid" 2>/dev/null || true; fi
  ip netns del "$ns_seg" 2>/dev/null || true
  ip netns del "$ns_h" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

ip netns add "$ns_seg"
ip netns add "$ns_h"
ip link add "izh$id" type veth peer name "izs$id"
ip link set "izh$id" netns "$ns_h"
ip link set "izs$id" netns "$ns_seg"
ip -n "$ns_h" addr add 10.77.0.1/24 dev "izh$id"
ip -n "$ns_seg" addr add 10.77.0.2/24 dev "izs$id"
for ns in "$ns_h" "$ns_seg"; do ip -n "$ns" link set lo up; done
ip -n "$ns_h" link set "izh$id" up
ip -n "$ns_seg" link set "izs$id" up
# The SEG's protected network (local_ts): kernel-libipsec routes the tunnel from an address in it.
ip -n "$ns_seg" addr add 10.78.2.1/24 dev lo

PSK=imsec-za-lab-psk
cat > "$work/strongswan.conf" <<CONF
charon {
  load_modular = no
  load = random nonce openssl pem pkcs1 x509 gmp aes sha1 sha2 hmac kdf gcm kernel-libipsec kernel-netlink socket-default vici
  filelog {
    za {
      path = $work/charon.log
      flush_line = yes
      default = 1
      ike = 2
      cfg = 2
      chd = 2
    }
  }
  plugins {
    vici {
      socket = unix://$work/charon.vici
    }
  }
}
CONF
cat > "$work/swanctl.conf" <<CONF
connections {
  za {
    version = 2
    local_addrs = 10.77.0.2
    remote_addrs = 10.77.0.1
    proposals = aes128-sha256-modp2048, aes128-sha256-x25519
    encap = yes
    local {
      auth = psk
      id = seg.za.test
    }
    remote {
      auth = psk
      id = harness.za.test
    }
    children {
      za {
        esp_proposals = $ESP
        mode = tunnel
        # The networks behind the two gateways (Za protects domain to domain).
        local_ts = 10.78.2.0/24
        remote_ts = 10.78.1.0/24
      }
    }
  }
}
secrets {
  ike-za {
    id-seg = seg.za.test
    id-harness = harness.za.test
    secret = "$PSK"
  }
}
CONF
# charon's pid file path is fixed under /run: give it a private /run.
STRONGSWAN_CONF="$work/strongswan.conf" ip netns exec "$ns_seg" \
  unshare -m sh -c "mount -t tmpfs tmpfs /run && exec $CHARON" >"$work/charon.out" 2>&1 &
charon_pid=$!
for _ in $(seq 1 100); do [ -S "$work/charon.vici" ] && break; sleep 0.1; done
[ -S "$work/charon.vici" ] || { cat "$work/charon.out" "$work/charon.log" 2>/dev/null >&2; die "charon did not come up"; }
swanctl --load-all --file "$work/swanctl.conf" --uri "unix://$work/charon.vici" >"$work/swanctl.out" 2>&1 ||
  { cat "$work/swanctl.out" >&2; die "swanctl --load-all failed"; }

cat > "$work/seg.yaml" <<CONF
kind: seg
name: "strongSwan ($variant: esp_proposals = $ESP)"
seg: 10.77.0.2
harness: 10.77.0.1
psk: $PSK
harness_id: harness.za.test
initiate_command: swanctl --terminate --ike za --force --uri unix://$work/charon.vici; swanctl --initiate --child za --timeout 6 --uri unix://$work/charon.vici
timeout_ms: 8000
CONF
REPORT=${REPORT:-$repo/reports/strongswan-$variant-$(date -u +%Y%m%dT%H%M%SZ)}
set +e
ip netns exec "$ns_h" "$IMSEC" run --sut "$work/seg.yaml" "$repo/testcases/za" --report "$REPORT" "$@"
rc=$?
set -e
if [ "${ZA_LOG:-0}" = 1 ] || [ "$rc" = 2 ]; then echo "--- charon log"; cat "$work/charon.log" 2>/dev/null; fi
exit $rc
