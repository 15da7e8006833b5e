#!/usr/bin/env bash
# Installs what test/dataplane needs: Debian's tgt (tgtd and tgtadm, a user-space iSCSI target) and
# libiscsi-bin (iscsi-ls, iscsi-inq, iscsi-test-cu and libiscsi, which scripts/iscsi-io.py calls).
# The volumes' I/O latency shim is compiled at start by the system's C compiler: gcc is added where
# no cc is found. Does nothing when all are there; on a fresh machine it adds a handful of packages (a few MiB).
set -euo pipefail
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
missing=()
for pkg in tgt libiscsi-bin; do installed "$pkg" || missing+=("$pkg"); done
command -v cc >/dev/null || missing+=(gcc)
[ ${#missing[@]} -eq 0 ] && exit 0
[[ "$(id -u)" == 0 ]] || { echo "install.sh: installing ${missing[*]} needs root" >&2; exit 1; }
echo "install.sh: installing ${missing[*]} from Debian's packages" >&2
export DEBIAN_FRONTEND=noninteractive
# Another install may hold the package lock for a while: wait for it rather than fail.
for attempt in $(seq 1 30); do
  if apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
    exit 0
  fi
  echo "install.sh: apt-get failed (attempt $attempt), trying again in 10 s" >&2
  sleep 10
done
exit 1
