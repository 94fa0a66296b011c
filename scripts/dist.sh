#!/usr/bin/env bash
# npm run dist: build, then make build/release/binfleet-<version>.tar.gz (one file per program,
# man pages, shell completion, service files, example configurations) and update the overlay's Manifests.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules ]; then npm ci --no-audit --no-fund >&2; fi
npm run --silent build
exec node release/dist/main.js
