#!/usr/bin/env bash
# `npm test`: set up what is missing, build the app (the tests run its
# compiled processes), then every test: unit, integration (private Postgres/Redis unless
# TEST_DATABASE_URL/TEST_REDIS_URL are set) and browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
node scripts/build.mjs
mkdir -p test-results
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=test-results/vitest.json "$@" || status=$?
node -e '
  const r = JSON.parse(require("fs").readFileSync("test-results/vitest.json", "utf8"));
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
' || true
exit "$status"
