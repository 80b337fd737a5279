#!/usr/bin/env bash
# Real strongSwan captures for the passive Za checks of `imsec replay --za` (issue #10):
#   pcaps/strongswan_za_{conformant,null}.pcapng   IKEv2 (UDP 500 -> 4500) + ESP-in-UDP pings
#   pcaps/strongswan_za_{conformant,null}.ikev2_decryption_table   IKE SA keys (Wireshark UAT)
#   pcaps/strongswan_za_{conformant,null}.esp_sa   the child SA's ESP keys (Wireshark UAT)
#
# Two strongSwan 5.9 charons (Debian's, kernel-libipsec: ESP in userspace over a TUN device, as
# in labs/strongswan/run.sh) in two network namespaces joined by a veth pair: the initiator at
# 10.77.0.1 (protected net 10.78.1.0/24) and the responder, the SEG under test, at 10.77.0.2
# (10.78.2.0/24). Both use the child's esp_proposals of the variant:
#   conformant  aes128gcm16, aes128-sha256
#   null        null-sha1   (integrity-only ESP: TS 33.210 Za forbids it)
# IKE SA: aes128-sha256-x25519, PSK, `encap = yes` (IKE moves to 4500, ESP in UDP 4500).
# dumpcap captures the veth in the responder's namespace while the initiator brings the child
# up and sends three UDP datagrams through the tunnel (python3).
#
# IKE keys: Debian's strongSwan has no save-keys plugin, so charon logs with `ike = 4`, which
# prints SKEYSEED and Sk_ai/Sk_ar/Sk_ei/Sk_er as hex dumps; this script converts the initiator's
# log into one ikev2_decryption_table line (SPIs from tshark's dissection of the IKE_SA_INIT
# request) with the algorithm names Wireshark's UAT uses (AES-CBC-128 [RFC3602],
# HMAC_SHA2_256_128 [RFC4868]). With `chd = 4` charon also logs the child SA's keys
# ("encryption/integrity initiator/responder key"; for AES-GCM the key is followed by its
# 4-octet salt, as RFC 4106 KEYMAT is taken): they become two esp_sa lines (initiator -> responder
# with the initiator's keys, the reverse with the responder's).
#
# Needs root, strongswan-charon strongswan-swanctl libcharon-extra-plugins, tshark (dumpcap), python3,
# iproute2, util-linux. Usage: tools/make_strongswan_pcaps.sh [OUTDIR]   (default: pcaps/)
# KEEP=1 keeps the work directory (charon logs, swanctl output) for inspection.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
out=${1:-$repo/pcaps}
die() { echo "make_strongswan_pcaps.sh: $*" >&2; exit 2; }

[ "$(id -u)" = 0 ] || die "needs root (network namespaces, TUN devices for kernel-libipsec)"
CHARON=/usr/lib/ipsec/charon
[ -x "$CHARON" ] || die "strongSwan not found: apt-get install -y strongswan-charon strongswan-swanctl libcharon-extra-plugins"
command -v swanctl >/dev/null || die "swanctl not found"
command -v dumpcap >/dev/null || die "dumpcap not found (apt-get install -y tshark)"
command -v tshark >/dev/null || die "tshark not found"

id=$$
ns_i=imsec-ssi-$id
ns_r=imsec-ssr-$id
work=$(mktemp -d /tmp/imsec-sspcap.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  ip netns del "$ns_i" 2>/dev/null || true
  ip netns del "$ns_r" 2>/dev/null || true
  [ "${KEEP:-0}" = 1 ] || rm -rf "$work"
}
trap cleanup EXIT

ip netns add "$ns_i"
ip netns add "$ns_r"
ip link add "ssi$id" type veth peer name "ssr$id"
ip link set "ssi$id" netns "$ns_i"
ip link set "ssr$id" netns "$ns_r"
ip -n "$ns_i" addr add 10.77.0.1/24 dev "ssi$id"
ip -n "$ns_r" addr add 10.77.0.2/24 dev "ssr$id"
for ns in "$ns_i" "$ns_r"; do ip -n "$ns" link set lo up; done
ip -n "$ns_i" link set "ssi$id" up
ip -n "$ns_r" link set "ssr$id" up
ip -n "$ns_i" addr add 10.78.1.1/24 dev lo
ip -n "$ns_r" addr add 10.78.2.1/24 dev lo

PSK=imsec-za-lab-psk
# start_charon NAME NS LOCAL REMOTE LOCAL_TS REMOTE_TS LOCAL_ID REMOTE_ID ESP
start_charon() {
  local name=$1 ns=$2 local=$3 remote=$4 lts=$5 rts=$6 lid=$7 rid=$8 esp=$9 d="$work/$1"
  mkdir -p "$d"
  cat > "$d/strongswan.conf" <<CONF
charon {
  load_modular = no
  load = random nonce openssl pem pkcs1 x509 gmp aes sha1 sha2 hmac kdf gcm kernel-libipsec kernel-netlink socket-default vici
  filelog {
    za {
      path = $d/charon.log
      flush_line = yes
      default = 1
      ike = 4
      cfg = 2
      chd = 4
    }
  }
  plugins {
    vici {
      socket = unix://$d/charon.vici
    }
  }
}
CONF
  cat > "$d/swanctl.conf" <<CONF
connections {
  za {
    version = 2
    local_addrs = $local
    remote_addrs = $remote
    proposals = aes128-sha256-x25519
    encap = yes
    local {
      auth = psk
      id = $lid
    }
    remote {
      auth = psk
      id = $rid
    }
    children {
      za {
        esp_proposals = $esp
        mode = tunnel
        local_ts = $lts
        remote_ts = $rts
      }
    }
  }
}
secrets {
  ike-za {
    id-a = seg-a.za.test
    id-b = seg-b.za.test
    secret = "$PSK"
  }
}
CONF
  STRONGSWAN_CONF="$d/strongswan.conf" ip netns exec "$ns" \
    unshare -m sh -c "mount -t tmpfs tmpfs /run && exec $CHARON" >"$d/charon.out" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do [ -S "$d/charon.vici" ] && break; sleep 0.1; done
  [ -S "$d/charon.vici" ] || { cat "$d/charon.out" "$d/charon.log" >&2 2>/dev/null; die "charon $name did not come up"; }
  swanctl --load-all --file "$d/swanctl.conf" --uri "unix://$d/charon.vici" >"$d/swanctl.out" 2>&1 ||
    { cat "$d/swanctl.out" >&2; die "swanctl --load-all ($name) failed"; }
}

# Hex dump lines of charon's %B (`08[IKE]    0: 8F 1A ...  ascii`) after the line naming `what`.
log_key() {
  awk -v what="$1" '
    index($0, "] " what " =>") { on = 1; next }
    on && $0 ~ /^[0-9]*\[[A-Z]+\] +[0-9]+: / {
      sub(/^[0-9]*\[[A-Z]+\] +[0-9]+: /, "")
      n = split($0, f, " ")
      for (i = 1; i <= n && i <= 16; i++) if (f[i] ~ /^[0-9A-F][0-9A-F]$/) printf "%s", tolower(f[i]); else break
      next
    }
    on { exit }' "$2"
}

run_variant() {
  local variant=$1 esp=$2
  rm -rf "$work/i" "$work/r"
  start_charon r "$ns_r" 10.77.0.2 10.77.0.1 10.78.2.0/24 10.78.1.0/24 seg-b.za.test seg-a.za.test "$esp"
  start_charon i "$ns_i" 10.77.0.1 10.77.0.2 10.78.1.0/24 10.78.2.0/24 seg-a.za.test seg-b.za.test "$esp"
  local pcap="$work/$variant.pcapng"
  ip netns exec "$ns_r" dumpcap -q -i "ssr$id" -f "udp port 500 or udp port 4500 or esp" -w "$pcap" 2>"$work/dumpcap.err" &
  local cap=$!
  sleep 1
  swanctl --initiate --child za --timeout 8 --uri "unix://$work/i/charon.vici" >"$work/initiate.out" 2>&1 ||
    { cat "$work/initiate.out" "$work/i/charon.log" >&2; die "$variant: initiation failed"; }
  sleep 0.5
  # Three UDP datagrams through the tunnel (10.78.1.1 -> 10.78.2.1:9), each ESP in UDP 4500.
  ip netns exec "$ns_i" python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.78.1.1", 0))
for i in range(3):
    s.sendto(b"imsec za lab datagram %d" % i, ("10.78.2.1", 9))
    time.sleep(0.3)
' >"$work/udp.out" 2>&1 || { cat "$work/udp.out" >&2; die "$variant: could not send through the tunnel"; }
  swanctl --list-sas --uri "unix://$work/i/charon.vici" >"$work/$variant.sas"
  sleep 0.5
  kill -INT "$cap"; wait "$cap" 2>/dev/null || true
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  pids=()
  # Keys of the IKE SA: SPIs as tshark reads them, SK_* from the initiator's log.
  local spis
  spis=$(tshark -r "$pcap" -Y "isakmp.exchangetype == 34 && isakmp.rspi != 00:00:00:00:00:00:00:00" \
    -T fields -e isakmp.ispi -e isakmp.rspi 2>/dev/null | head -1)
  local si sr
  si=$(echo "$spis" | cut -f1 | tr -d ':')
  sr=$(echo "$spis" | cut -f2 | tr -d ':')
  local ei er ai ar log="$work/i/charon.log"
  ei=$(log_key "Sk_ei secret" "$log"); er=$(log_key "Sk_er secret" "$log")
  ai=$(log_key "Sk_ai secret" "$log"); ar=$(log_key "Sk_ar secret" "$log")
  [ ${#si} = 16 ] && [ ${#sr} = 16 ] && [ ${#ei} = 32 ] && [ ${#er} = 32 ] && [ ${#ai} = 64 ] && [ ${#ar} = 64 ] ||
    die "$variant: keys not found (SPIs '$si' '$sr', Sk_ei '$ei', Sk_ai '$ai'); log in $log"
  cp "$pcap" "$out/strongswan_za_$variant.pcapng"; chmod 644 "$out/strongswan_za_$variant.pcapng"
  echo "$si,$sr,$ei,$er,\"AES-CBC-128 [RFC3602]\",$ai,$ar,\"HMAC_SHA2_256_128 [RFC4868]\"" \
    > "$out/strongswan_za_$variant.ikev2_decryption_table"
  # ESP keys of the child SA (charon logs them at chd = 4): Wireshark esp_sa lines.
  local spi_in spi_out ek_i ek_r ak_i ak_r
  spi_in=$(sed -n 's/.*established with SPIs \([0-9a-f]*\)_i \([0-9a-f]*\)_o.*/\1/p' "$log" | head -1)
  spi_out=$(sed -n 's/.*established with SPIs \([0-9a-f]*\)_i \([0-9a-f]*\)_o.*/\2/p' "$log" | head -1)
  ek_i=$(log_key "encryption initiator key" "$log"); ek_r=$(log_key "encryption responder key" "$log")
  ak_i=$(log_key "integrity initiator key" "$log"); ak_r=$(log_key "integrity responder key" "$log")
  [ ${#spi_in} = 8 ] && [ ${#spi_out} = 8 ] || die "$variant: child SPIs not found in $log"
  # esp_line SRC DST SPI ENCR_KEY INTEG_KEY
  esp_line() {
    if [ "$variant" = null ]; then
      [ ${#5} = 40 ] || die "$variant: HMAC-SHA1 key not found in $log"
      echo "\"IPv4\",\"$1\",\"$2\",\"0x$3\",\"NULL\",\"\",\"HMAC-SHA-1-96 [RFC2404]\",\"0x$5\""
    else
      [ ${#4} = 40 ] || die "$variant: AES-GCM-128 key and salt not found in $log"
      echo "\"IPv4\",\"$1\",\"$2\",\"0x$3\",\"AES-GCM with 16 octet ICV [RFC4106]\",\"0x$4\",\"NULL\",\"\""
    fi
  }
  {
    esp_line 10.77.0.1 10.77.0.2 "$spi_out" "$ek_i" "$ak_i"
    esp_line 10.77.0.2 10.77.0.1 "$spi_in" "$ek_r" "$ak_r"
  } > "$out/strongswan_za_$variant.esp_sa"
  echo "$variant: $(tshark -r "$out/strongswan_za_$variant.pcapng" | wc -l) frames, $(stat -c %s "$out/strongswan_za_$variant.pcapng") bytes"
  cat "$work/$variant.sas"
}

mkdir -p "$out"
run_variant conformant "aes128gcm16, aes128-sha256"
run_variant null "null-sha1"
