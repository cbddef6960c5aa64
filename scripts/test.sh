#!/usr/bin/env bash
# The one test command (README, .ci/run): tools first, then types, then every test with coverage.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-tools.sh
npx tsc --noEmit -p tsconfig.json
# The browser client is plain JavaScript; its JSDoc types are checked against the DOM.
npx tsc --noEmit -p repo-server/web/ui/tsconfig.json
npx vitest run --coverage "$@"
