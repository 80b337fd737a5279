#!/usr/bin/env bash
# Builds the Kamailio P-CSCF VM for the imsec interop lab from Debian packages only:
# a debootstrap (minbase) of bookworm with the stock kernel (which has ESP: esp4), netbase
# (/etc/protocols: Kamailio looks up "tcp" there), Kamailio 5.6
# and its IMS modules, our own PID-1 init script (guest-init.sh), an ext4 image made with
# `mkfs.ext4 -d`, and the kernel + a reduced initramfs next to it. See README.md.
#
# Output (outside the repository; reused when present and built from the same scripts):
#   $KAM_VM_CACHE (default /var/tmp/imsec-kamailio-vm)/{vmlinuz,initrd.img,rootfs.ext4,stamp}
# Usage: build-image.sh [--force]
# Needs root (debootstrap, chroot). Installs its prerequisites with apt-get: debootstrap,
# e2fsprogs, and qemu-system-x86 from bookworm-backports (the bookworm one conflicts with a
# newer qemu-utils; an apt source for backports is added when missing).
# Exit code: 0 image ready, 2 cannot build here.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${KAM_VM_CACHE:-/var/tmp/imsec-kamailio-vm}
mirror=${KAM_DEBIAN_MIRROR:-http://deb.debian.org/debian}
die() { echo "build-image.sh: $*" >&2; exit 2; }

[ "$(id -u)" = 0 ] || die "needs root (debootstrap and chroot)"

# The image depends on this script and on the guest init: a change in either rebuilds it.
want=$(cat "$here/build-image.sh" "$here/guest-init.sh" | sha256sum | cut -c1-16)
if [ "${1:-}" != "--force" ] && [ -f "$cache/stamp" ] && [ "$(cat "$cache/stamp")" = "$want" ] &&
  [ -s "$cache/vmlinuz" ] && [ -s "$cache/initrd.img" ] && [ -s "$cache/rootfs.ext4" ]; then
  echo "build-image.sh: VM image up to date in $cache"
  exit 0
fi

# --- host prerequisites ----------------------------------------------------------------------
need=()
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v mkfs.ext4 >/dev/null || need+=(e2fsprogs)
if [ ${#need[@]} -gt 0 ]; then
  echo "build-image.sh: installing ${need[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}" ||
    die "apt-get install ${need[*]} failed"
fi
if ! command -v qemu-system-x86_64 >/dev/null; then
  if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    echo "build-image.sh: adding /etc/apt/sources.list.d/imsec-bookworm-backports.sources"
    cat >/etc/apt/sources.list.d/imsec-bookworm-backports.sources <<EOF
Types: deb
URIs: $mirror
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    apt-get update -q || die "apt-get update failed"
  fi
  echo "build-image.sh: installing qemu-system-x86 from bookworm-backports"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
    -t bookworm-backports qemu-system-x86 || die "apt-get install qemu-system-x86 failed"
fi

# --- root file system ---------------------------------------------------------------------------
t0=$(date +%s)
mkdir -p "$cache"
root="$cache/rootfs"
rm -rf "$root" "$cache/rootfs.ext4" "$cache/stamp"
echo "build-image.sh: debootstrap bookworm into $root"
debootstrap --variant=minbase \
  --include=linux-image-amd64,initramfs-tools,kmod,iproute2,netbase,kamailio,kamailio-ims-modules \
  bookworm "$root" "$mirror" >"$cache/debootstrap.log" 2>&1 ||
  { tail -30 "$cache/debootstrap.log" >&2; die "debootstrap failed (log: $cache/debootstrap.log)"; }
t1=$(date +%s)

# A reduced initramfs: only what finds and mounts the root disk (virtio block, ext4). The
# init script loads everything else from the root file system (no udev in the guest).
printf 'virtio_pci\nvirtio_blk\next4\n' >"$root/etc/initramfs-tools/modules"
sed -i 's/^MODULES=.*/MODULES=list/' "$root/etc/initramfs-tools/initramfs.conf"
kver=$(basename "$(ls -d "$root"/lib/modules/* | sort -V | tail -1)")
chroot "$root" update-initramfs -u -k "$kver" >"$cache/initramfs.log" 2>&1 ||
  { cat "$cache/initramfs.log" >&2; die "update-initramfs failed"; }

install -m 0755 "$here/guest-init.sh" "$root/sbin/imsec-init"
mkdir -p "$root/mnt/lab"
echo imsec-pcscf >"$root/etc/hostname"
cp "$root/boot/vmlinuz-$kver" "$cache/vmlinuz"
cp "$root/boot/initrd.img-$kver" "$cache/initrd.img"

# Things the guest never needs (keeps the image small and mkfs quick).
rm -rf "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/locale/* \
  "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/boot/*

size_mb=$(($(du -sm "$root" | cut -f1) + 200))
mkfs.ext4 -q -F -L imsec-root -d "$root" "$cache/rootfs.ext4" "${size_mb}M" ||
  die "mkfs.ext4 -d failed"
kam=$(chroot "$root" dpkg-query -W -f='${Version}' kamailio-ims-modules 2>/dev/null || echo '?')
rm -rf "$root"
echo "$want" >"$cache/stamp"
t2=$(date +%s)
echo "build-image.sh: kernel $kver, kamailio-ims-modules $kam; debootstrap $((t1 - t0)) s," \
  "image $((t2 - t1)) s, total $((t2 - t0)) s; image in $cache"
