#!/usr/bin/env bash
# Installs what `npm test`, `npm run demo` and `npm run bench` need on a fresh Debian machine
# (run as root): node modules, nats-server, gnupg, rsync, zstd (portage-sim compresses gpkgs as Portage does), openssl (test certificates for HTTPS and TLS on the bus),
# and what real Portage (../shared/portage, run by @binfleet/real-portage) calls on Debian: pax-utils (scanelf), wget (its FETCHCOMMAND),
# bubblewrap (build roots), python3, and chromium (the dashboard's browser test drives it headless
# through playwright-core). Does nothing when all is present.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "binfleet: installing node modules (npm ci)" >&2
  npm ci --no-audit --no-fund >&2
fi

missing=()
command -v nats-server >/dev/null 2>&1 || missing+=(nats-server)
command -v gpg >/dev/null 2>&1 || missing+=(gnupg)
command -v rsync >/dev/null 2>&1 || missing+=(rsync)
command -v zstd >/dev/null 2>&1 || missing+=(zstd)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
# promtool (Debian ships it with prometheus) checks the coordinator's /metrics in the tests.
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
# logrotate -d checks the installed logrotate files in the tests.
command -v logrotate >/dev/null 2>&1 || missing+=(logrotate)
# man -l renders the generated man pages in the tests.
command -v man >/dev/null 2>&1 || missing+=(man-db)
command -v scanelf >/dev/null 2>&1 || missing+=(pax-utils)
command -v wget >/dev/null 2>&1 || missing+=(wget)
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
[ -x /usr/bin/python3 ] || missing+=(python3)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "binfleet: missing ${missing[*]}; run as root or install them: apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "binfleet: installing ${missing[*]} (apt-get)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq "${missing[@]}" >&2
fi
