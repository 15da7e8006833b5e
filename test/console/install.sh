#!/usr/bin/env bash
# Installs what test/console needs: Debian's Chromium (/usr/bin/chromium), which playwright-core
# drives headless; playwright-core itself downloads no browser. Does nothing when it is there.
# apt may be held by another install for a while: it is waited for, up to five minutes.
set -euo pipefail
[ -x /usr/bin/chromium ] && exit 0
[[ "$(id -u)" == 0 ]] || { echo "install.sh: installing chromium needs root" >&2; exit 1; }
echo "install.sh: installing chromium from Debian's packages" >&2
export DEBIAN_FRONTEND=noninteractive
apt_get() {
  for _ in $(seq 1 60); do
    if apt-get -o DPkg::Lock::Timeout=5 "$@"; then return 0; fi
    sleep 5
  done
  return 1
}
apt_get update -qq >/dev/null
apt_get install -y -qq --no-install-recommends chromium >/dev/null
