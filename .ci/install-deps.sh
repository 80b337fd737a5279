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
if ! command -v kamailio >/dev/null || ! dpkg -s kamailio-ims-modules >/dev/null 2>&1; then
  apt_install kamailio kamailio-ims-modules
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

if ! command -v chromium >/dev/null; then
  apt_install chromium
fi
