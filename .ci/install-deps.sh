#!/usr/bin/env bash
# Installs what the tests need besides Rust: tshark (independent ESP decryption/ICV checks),
# Kamailio (a real P-CSCF), scapy + cryptography + PyYAML (independent vectors and UE),
# iproute2 (namespaces) and chromium (headless rendering of report.html).
# Idempotent: does nothing for a tool already installed; apt-get update runs at most once.
set -euo pipefail

SCAPY_VERSION=2.6.1
SUDO=""
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null; then SUDO="sudo"; fi

apt_updated=""
apt_install() {
  if [ -z "$apt_updated" ]; then
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    apt_updated=1
  fi
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
}

if ! command -v tshark >/dev/null; then
  # Do not ask whether non-root users may capture (the only interactive question).
  echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
  apt_install tshark
fi

# Kamailio with its IMS modules: a real P-CSCF for harness/tests/kamailio_unprotected.rs
# (labs/kamailio-host). The lab starts its own instance in a network namespace of its own, so
# the packaged service is never needed: stop and disable it where systemd started it (the
# SysV script does not start it: RUN_KAMAILIO=no in /etc/default/kamailio).
# kamailio-tls-modules: a real TLS peer for harness/tests/tls_peers.rs (labs/kamailio-tls).
if ! command -v kamailio >/dev/null || ! dpkg -s kamailio-ims-modules >/dev/null 2>&1 \
  || ! dpkg -s kamailio-tls-modules >/dev/null 2>&1; then
  apt_install kamailio kamailio-ims-modules kamailio-tls-modules
  if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
    $SUDO systemctl disable --now kamailio.service >/dev/null 2>&1 || true
  fi
fi

# scapy (independent ESP packets), pyca cryptography and PyYAML (tools/*.py references, and the
# independent UE tools/scapy_ue.py in harness/tests/independent_ue.rs).
if ! python3 -c "import scapy, cryptography, yaml, sys; sys.exit(scapy.__version__ != '$SCAPY_VERSION')" 2>/dev/null; then
  python3 -m pip install -q "scapy==$SCAPY_VERSION" cryptography pyyaml
fi

# ip (network namespaces for transport-mode runs) and setpriv (the unprivileged-user test).
if ! command -v ip >/dev/null; then
  apt_install iproute2
fi
if ! command -v setpriv >/dev/null; then
  apt_install util-linux
fi

# openssl: s_server as a TLS peer and certificate maker (harness/tests/tls_peers.rs).
if ! command -v openssl >/dev/null; then
  apt_install openssl
fi

# libsrtp2 (an independent SRTP peer: tools/srtp_peer.c in harness/tests/srtp_libsrtp.rs,
# tests/srtp_decrypt.rs and benches/srtp.rs), built with cc and pkg-config.
if ! pkg-config --exists libsrtp2 2>/dev/null || ! command -v cc >/dev/null; then
  apt_install libsrtp2-dev pkg-config gcc libc6-dev
fi

if ! command -v chromium >/dev/null; then
  apt_install chromium
fi

# strongSwan: a real security gateway for the Za probe (harness/tests/za_strongswan.rs,
# labs/strongswan/run.sh): charon with kernel-libipsec (userspace ESP), swanctl/vici, and the
# openssl/gcm plugins. The lab starts its own charon in network namespaces of its own: stop
# the packaged service where systemd started it.
if [ ! -x /usr/lib/ipsec/charon ] || ! command -v swanctl >/dev/null \
  || ! dpkg -s libcharon-extra-plugins >/dev/null 2>&1 \
  || ! dpkg -s libstrongswan-standard-plugins >/dev/null 2>&1; then
  apt_install strongswan-charon strongswan-swanctl libcharon-extra-plugins libstrongswan-standard-plugins
  if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
    $SUDO systemctl disable --now strongswan.service strongswan-starter.service >/dev/null 2>&1 || true
  fi
fi
