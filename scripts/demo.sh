#!/usr/bin/env bash
# npm run demo: the whole loop on a simulated fleet. Not there yet; see README "Status".
set -euo pipefail
echo "binfleet demo: not there yet. The demo needs portage-sim, the agent, the coordinator and the CLI (issues 4-8)." >&2
echo "What works today: npm test, npm run bench, and npx binfleet-portage (see README)." >&2
