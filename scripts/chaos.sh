#!/usr/bin/env bash
# npm run chaos [-- --json]: hostile input, forged bus traffic and a broker restart; the last line is one JSON summary.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
npm run --silent build
exec node test/dist/chaos.js "$@"
