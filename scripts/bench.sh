#!/usr/bin/env bash
# npm run bench [-- --json]: build, then run the benchmarks (figures and baselines from the same run).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
npm run --silent build
exec node bench/dist/run.js "$@"
