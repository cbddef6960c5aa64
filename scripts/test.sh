#!/usr/bin/env bash
# The one test command (README, .ci/run): tools first, then types and the build, the dependency
# check, then every test with coverage.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-tools.sh
# Two compilers on two cores: the whole tree (tests included) is type-checked while the service is
# built into dist/ (npm run build), which the tests of the compiled server and the units use.
npx tsc --noEmit -p tsconfig.json & check=$!
npm run --silent build & build=$!
failed=0
wait "$check" || failed=1
wait "$build" || failed=1
[ "$failed" = 0 ] || { echo "test: type-check or build failed" >&2; exit 1; }
# The browser client is plain JavaScript; its JSDoc types are checked against the DOM.
npx tsc --noEmit -p repo-server/web/ui/tsconfig.json
# Every dependency is used, every used package is listed (knip.json names the entries it cannot see).
npx knip --dependencies
# The 300 MiB pushes (embedded and cluster) run after the rest, one at a time: beside the fault
# tests, whose shards hold two-second etcd leases, they would measure the box, not the service.
HEAVY='test/**/*large-push*.test.ts'
npx vitest run --coverage --exclude "$HEAVY" "$@"
if [ "$#" = 0 ]; then npx vitest run --maxWorkers=1 large-push; fi
