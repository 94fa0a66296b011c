#!/usr/bin/env bash
# npm test: install what is missing, build (protobuf generation + tsc -b), run every test with node --test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
npm run --silent build
if [ ! -d ../shared/fixtures ] && [ -z "${BINFLEET_FIXTURES:-}" ]; then
  echo "note: ../shared/fixtures not found beside the clone: fixture conformance cases will be skipped" >&2
fi
mapfile -t files < <(find packages/*/dist test/dist bench/dist -name '*.test.js' 2>/dev/null | sort)
if [ ${#files[@]} -eq 0 ]; then
  echo "no test files found under packages/*/dist, test/dist or bench/dist" >&2
  exit 1
fi
exec node --test --test-reporter=spec "${files[@]}"
