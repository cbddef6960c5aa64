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
npx vitest run --coverage "$@"
