#!/usr/bin/env bash
# npm test: install what is missing, build (protobuf generation + tsc -b), run every test with node --test.
# npm run test:unit: build, then only the unit tests (no processes started): a quick answer.
#
# Unit tests are packages' `*.test.ts` files (and the repository structure test). Integration
# tests start real processes: packages' `*.integration.test.ts` files and everything in test/.
# Those run several files at once, except files marked `// test: serial` (they depend on timing:
# leases running out, a server killed): they run after all the others, so that no CPU-heavy
# integration file runs beside them, two at a time. They leave about half the CPU idle while they
# wait for their leases: the unit files (no processes, no timing) run then, one at a time beside them.
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-all}"
if [ "$mode" = "all" ]; then bash scripts/ensure-deps.sh; fi
npm run --silent build
if [ ! -d ../shared/fixtures ] && [ -z "${BINFLEET_FIXTURES:-}" ]; then
  echo "note: ../shared/fixtures not found beside the clone: fixture conformance cases will be skipped" >&2
fi
# A compiled test whose source is gone (renamed, removed) is left over in dist: not run.
with_source() { while read -r f; do src="${f/\/dist\//\/src\/}"; [ -f "${src%.js}.ts" ] && echo "$f"; done; }
mapfile -t unit < <( { find packages/*/dist bench/dist -name '*.test.js' ! -name '*.integration.test.js'; echo test/dist/repository-structure.test.js; } | with_source | sort)
# Every test process loads test-runner-preload first: it keeps node:test's async hook from slowing
# every promise in the process (see the file).
preload=(--import ./test/dist/test-runner-preload.js)
if [ "$mode" = "unit" ]; then
  exec node "${preload[@]}" --test --test-reporter=spec --test-concurrency=4 "${unit[@]}"
fi
mapfile -t integration < <( { find packages/*/dist bench/dist -name '*.integration.test.js'; find test/dist -name '*.test.js' ! -name 'repository-structure.test.js'; } | with_source | sort)
# Files marked `// test: long SECONDS` (what one took in a full run) start first, longest first:
# started last, one of them would run on alone at the end, the cores it leaves idle with nothing to do.
serial=()
long=()
parallel=()
for f in "${integration[@]}"; do
  src="${f/\/dist\//\/src\/}"
  if grep -q '^// test: serial' "${src%.js}.ts" 2>/dev/null; then serial+=("$f")
  elif seconds="$(sed -n 's|^// test: long \([0-9]*\).*|\1|p' "${src%.js}.ts" 2>/dev/null | head -n 1)" && [ -n "$seconds" ]; then long+=("$seconds $f")
  else parallel+=("$f"); fi
done
if [ ${#long[@]} -gt 0 ]; then mapfile -t long < <(printf '%s\n' "${long[@]}" | sort -rn | cut -d' ' -f2-); fi
if [ $((${#unit[@]} + ${#integration[@]})) -eq 0 ]; then
  echo "no test files found under packages/*/dist or test/dist" >&2
  exit 1
fi
# Integration tests write many small files (generated fleets and trees, binhosts, JetStream stores,
# gpg homes). On a tmpfs that costs a fraction of a disk filesystem's system time (one generated
# fleet here: 0.5 s of system time on /dev/shm, 4 s on ext4), so TMPDIR is /dev/shm when that is a
# tmpfs with room that lets programs run (real Portage's, unpacked there). /dev/shm itself, not a
# directory in it: gpg-agent's socket paths (at most 106 bytes) under a test's builder root leave no
# room for a longer prefix. Tests remove what they make, as in /tmp.
# BINFLEET_TEST_TMPDIR=DIR chooses another directory; BINFLEET_TEST_TMPDIR=none keeps TMPDIR as it is.
if [ -n "${BINFLEET_TEST_TMPDIR:-}" ]; then
  if [ "$BINFLEET_TEST_TMPDIR" != none ]; then export TMPDIR="$BINFLEET_TEST_TMPDIR"; fi
elif [ -w /dev/shm ] && [ "$(stat -f -c %T /dev/shm)" = tmpfs ] \
  && ! awk '$2 == "/dev/shm" {print $4}' /proc/mounts | grep -qw noexec \
  && [ "$(df -Pk /dev/shm | awk 'NR==2 {print $4}')" -gt $((4 * 1024 * 1024)) ]; then
  export TMPDIR=/dev/shm
fi
# Node 20 reads and parses NODE_EXTRA_CA_CERTS at every start (a CA bundle: 40 ms of CPU a process
# here, where the environment sets it, and a run starts more than 800 Node processes); the tests reach
# nothing but loopback, and what was to download is downloaded above.
unset NODE_EXTRA_CA_CERTS
# The binfleet programs tests start as processes, installed as the release installs them (one bundle
# each): what ships, and quicker to start (see test/src/programs.ts).
programs="$(mktemp -d "${TMPDIR:-/tmp}/binfleet-programs-XXXXXX")"
trap 'rm -rf "$programs"' EXIT
node test/dist/install-programs.js "$programs"
export BINFLEET_PROGRAMS="$programs"
status=0
# In this order (test/src/run-tests.ts keeps it; node --test sorts by name): the long files, then the
# other integration files; after them, three at a time, the serial files (two: both at once) with the
# unit files taking the place left in turn.
if [ $((${#long[@]} + ${#parallel[@]})) -gt 0 ]; then
  node "${preload[@]}" test/dist/run-tests.js "${BINFLEET_TEST_CONCURRENCY:-3}" "${long[@]}" "${parallel[@]}" || status=$?
fi
if [ $((${#serial[@]} + ${#unit[@]})) -gt 0 ]; then
  node "${preload[@]}" test/dist/run-tests.js 3 "${serial[@]}" "${unit[@]}" || status=$?
fi
exit "$status"
