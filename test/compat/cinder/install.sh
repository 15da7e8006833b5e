#!/usr/bin/env bash
# Installs what test/compat/cinder needs: Debian's python3-cinder (the Hitachi driver, its unit-test
# fakes and its dependencies, for /usr/bin/python3) and openssl. Does nothing when both are there.
# On a fresh machine it adds about 200 packages (275 MiB on disk, 41 MiB to download; about 3
# minutes, mostly byte-compiling) — recommended packages are left out.
set -euo pipefail
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
missing=()
for pkg in python3-cinder openssl; do installed "$pkg" || missing+=("$pkg"); done
[ ${#missing[@]} -eq 0 ] && exit 0
[[ "$(id -u)" == 0 ]] || { echo "install.sh: installing ${missing[*]} needs root" >&2; exit 1; }
echo "install.sh: installing ${missing[*]} from Debian's packages" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
