#!/usr/bin/env bash
# npm run bench [-- --json]: build, then run the benchmarks (figures and baselines from the same run).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
# nginx is the baseline of binhost.serve. Installed without starting its system service
# (policy-rc.d), since the bench runs its own instance on a loopback port.
if ! command -v nginx >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
  echo "binfleet: installing nginx for the binhost.serve baseline (apt-get)" >&2
  created_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && created_policy=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >&2 || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >&2 || echo "binfleet: nginx unavailable; binhost.serve runs without its baseline" >&2
  if [ "$created_policy" -eq 1 ]; then rm -f /usr/sbin/policy-rc.d; fi
fi
npm run --silent build
exec node bench/dist/run.js "$@"
