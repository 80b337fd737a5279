#!/bin/sh
# PID 1 of the imsec Kamailio VM (installed as /sbin/imsec-init by build-image.sh; the kernel
# command line from boot.sh says init=/sbin/imsec-init). No systemd, no udev: it mounts the
# kernel file systems, loads the modules the lab needs, mounts the lab share (9p, tag `lab`,
# written by boot.sh: vm.env and pcscf.cfg), configures the NIC, starts Kamailio as root
# (ims_ipsec_pcscf needs CAP_NET_ADMIN for xfrm) and prints markers on the serial console.
# When Kamailio exits, the VM powers off.
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH

mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
mount -o remount,rw / 2>/dev/null

# NIC and lab share, then ESP (RFC 4303, esp4) with the xfrm netlink interface Kamailio uses
# (xfrm_user), and the algorithms TS 33.203 Annex H allows: HMAC-SHA-1-96 / HMAC-MD5-96
# (hmac, sha1, md5), AES-CBC / DES-EDE3-CBC (cbc, aes, des3_ede), AES-GCM / AES-GMAC
# (gcm, ghash, ctr, rfc4106/4543 templates come with gcm), IV generators (echainiv, seqiv),
# and authenc which glues encryption and integrity together. Each is loaded on its own so a
# module that is built in or absent does not stop the others.
for m in virtio_net 9p 9pnet_virtio esp4 xfrm_user xfrm_algo authenc authencesn cryptomgr \
  hmac sha1_generic sha256_generic md5 cbc aes_generic aesni_intel des_generic des3_ede \
  gcm ghash_generic ctr echainiv seqiv; do
  modprobe -q "$m" 2>/dev/null
done

mkdir -p /mnt/lab
if ! mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 lab /mnt/lab; then
  echo "IMSEC-GUEST-ERROR: cannot mount the 9p lab share"
  echo o >/proc/sysrq-trigger
fi
# vm.env: GUEST_IP, GUEST_PREFIX, KAM_DEFINES (kamailio -A arguments, one per word)
. /mnt/lab/vm.env

ip link set lo up
ip addr add "$GUEST_IP/$GUEST_PREFIX" dev eth0
ip link set eth0 up

# Every SA and policy Kamailio installs or removes, with keys: evidence for FINDINGS.md and
# an independent record of the keys the captures can be opened with.
ip xfrm monitor all >/mnt/lab/xfrm-monitor.log 2>&1 &

mkdir -p /run/kamailio
echo "IMSEC-GUEST-UP kernel=$(uname -r) ip=$GUEST_IP modules=$(grep -c -E '^(esp4|xfrm_user|authenc) ' /proc/modules)/3"
# shellcheck disable=SC2086 # KAM_DEFINES is a list of -A arguments
kamailio -DD -E -f /mnt/lab/pcscf.cfg -Y /run/kamailio -m 64 -M 16 $KAM_DEFINES \
  >/mnt/lab/kamailio.log 2>&1 &
kpid=$!
echo "IMSEC-KAMAILIO-STARTED pid=$kpid"
wait "$kpid"
echo "IMSEC-KAMAILIO-EXITED rc=$?"
sync
echo o >/proc/sysrq-trigger
sleep 10
