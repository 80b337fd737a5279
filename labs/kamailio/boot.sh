#!/usr/bin/env bash
# Boots the Kamailio P-CSCF VM (built by build-image.sh) on a tap device in a network
# namespace this script creates, and waits (bounded) until the P-CSCF answers SIP OPTIONS.
# stop.sh stops it (by the QEMU PID recorded here) and deletes the namespace.
#
#   namespace $KAM_NS (default imsec-kam), tap device kam0 in it:
#     10.99.0.1/24  the harness UE          10.99.0.3/24  the harness S-CSCF
#     10.99.0.2     the P-CSCF (the guest: SIP 5060 UDP+TCP, core side 6060, IPsec ports)
#
# Usage: boot.sh            (then: ip netns exec imsec-kam <harness>; stop.sh)
# Environment:
#   KAM_VM_CACHE   the image (default /var/tmp/imsec-kamailio-vm)
#   KAM_RUN        run directory: lab share, console and Kamailio logs, qemu.pid
#                  (default /var/tmp/imsec-kamailio-run)
#   KAM_CFG        Kamailio config (default pcscf.cfg next to this script)
#   KAM_BOOT_WAIT  seconds to wait for the P-CSCF (default 300: TCG on a busy host is slow)
#   KAM_MEM        guest memory in MiB (default 1536)
# Exit code: 0 the P-CSCF answers; 2 it cannot run here or did not come up (console and
# Kamailio log printed).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${KAM_VM_CACHE:-/var/tmp/imsec-kamailio-vm}
run=${KAM_RUN:-/var/tmp/imsec-kamailio-run}
ns=${KAM_NS:-imsec-kam}
cfg=${KAM_CFG:-$here/pcscf.cfg}
wait_s=${KAM_BOOT_WAIT:-300}
mem=${KAM_MEM:-1536}
UE_IP=10.99.0.1
GUEST_IP=10.99.0.2
SCSCF_IP=10.99.0.3
die() { echo "boot.sh: $*" >&2; exit 2; }

[ "$(id -u)" = 0 ] || die "needs root (network namespace, tap device)"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing: run build-image.sh first"
for f in vmlinuz initrd.img rootfs.ext4; do
  [ -s "$cache/$f" ] || die "$cache/$f missing: run build-image.sh first"
done
[ -r "$cfg" ] || die "cannot read $cfg"
if ip netns list | grep -qw "$ns"; then
  die "namespace $ns exists (a VM still running?): run stop.sh first"
fi

rm -rf "$run"
mkdir -p "$run/share"
cp "$cfg" "$run/share/pcscf.cfg"
cat >"$run/share/vm.env" <<EOF
GUEST_IP=$GUEST_IP
GUEST_PREFIX=24
KAM_DEFINES='-A PCSCF_IP=$GUEST_IP -A PCSCF_IP_STR="$GUEST_IP" -A SCSCF_URI="sip:$SCSCF_IP:5060" -A CORE_SOCKET="udp:$GUEST_IP:6060"'
EOF

t0=$(date +%s%N)
ip netns add "$ns"
ip -n "$ns" link set lo up
ip -n "$ns" tuntap add dev kam0 mode tap
ip -n "$ns" addr add "$UE_IP/24" dev kam0
ip -n "$ns" addr add "$SCSCF_IP/24" dev kam0
ip -n "$ns" link set kam0 up

# TCG, not KVM: /dev/kvm here is PVM, under which a stock Debian kernel does not boot.
# The root disk is opened with snapshot=on: the cached image is never written.
ip netns exec "$ns" qemu-system-x86_64 \
  -accel tcg,thread=multi -cpu max -smp 2 -m "$mem" \
  -nodefaults -no-user-config -display none -no-reboot \
  -serial "file:$run/console.log" \
  -kernel "$cache/vmlinuz" -initrd "$cache/initrd.img" \
  -append "root=/dev/vda rw console=ttyS0 init=/sbin/imsec-init panic=-1 quiet" \
  -drive "file=$cache/rootfs.ext4,if=virtio,format=raw,snapshot=on" \
  -netdev tap,id=n0,ifname=kam0,script=no,downscript=no \
  -device virtio-net-pci,netdev=n0,mac=52:54:00:99:00:02 \
  -virtfs "local,path=$run/share,mount_tag=lab,security_model=none,id=lab" \
  -pidfile "$run/qemu.pid" -daemonize ||
  { ip netns del "$ns"; die "qemu did not start"; }
echo "boot.sh: QEMU pid $(cat "$run/qemu.pid"), namespace $ns, run dir $run"

fail() {
  echo "--- console ($run/console.log) ---" >&2
  tail -40 "$run/console.log" >&2 || true
  echo "--- kamailio log ($run/share/kamailio.log) ---" >&2
  tail -40 "$run/share/kamailio.log" >&2 || true
  die "$*; stop it with stop.sh"
}
deadline=$((t0 + wait_s * 1000000000))
up_ms=""
n=0
while :; do
  now=$(date +%s%N)
  [ "$now" -lt "$deadline" ] || fail "the P-CSCF did not answer OPTIONS within ${wait_s}s"
  kill -0 "$(cat "$run/qemu.pid")" 2>/dev/null || fail "QEMU exited"
  if [ -z "$up_ms" ] && grep -q IMSEC-GUEST-UP "$run/console.log" 2>/dev/null; then
    up_ms=$(((now - t0) / 1000000))
    echo "boot.sh: guest up after $up_ms ms: $(grep -a IMSEC-GUEST-UP "$run/console.log" | tr -d '\r')"
  fi
  grep -q IMSEC-GUEST-ERROR "$run/console.log" 2>/dev/null && fail "the guest init failed"
  grep -q IMSEC-KAMAILIO-EXITED "$run/console.log" 2>/dev/null && fail "Kamailio exited"
  n=$((n + 1))
  if [ -n "$up_ms" ] && ip netns exec "$ns" "$here/probe.sh" "$GUEST_IP" "$UE_IP" "$n"; then
    break
  fi
  sleep 1
done
t1=$(date +%s%N)
echo "boot.sh: P-CSCF answers OPTIONS on $GUEST_IP:5060 after $(((t1 - t0) / 1000000)) ms"
