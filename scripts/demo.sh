#!/usr/bin/env bash
# npm run demo [-- --json] [-- --nodes N --platforms P] [-- --screenshot docs/dashboard.png]: the whole loop on a
# simulated fleet (it prints the dashboard URL and login tokens; --screenshot shoots the fleet page);
# npm run demo -- --real-portage: the loop with real Portage (../shared/portage) on a few nodes.
# State and logs stay in .state/demo (or $BINFLEET_DEMO_DIR); Ctrl-C stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
npm run --silent build
# As in test.sh: the demo's few hundred Node processes reach only loopback, and Node 20 would read
# NODE_EXTRA_CA_CERTS at each start.
unset NODE_EXTRA_CA_CERTS
# The programs the demo starts (the CLI, one agent per node), installed as the release installs them.
programs="$(pwd)/.state/programs"
rm -rf "$programs"
node test/dist/install-programs.js "$programs"
BINFLEET_PROGRAMS="$programs" exec node test/dist/demo.js "$@"
