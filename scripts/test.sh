#!/usr/bin/env bash
# `npm test`: set up what is missing, build the app (browser tests run it),
# then every test: unit, integration (private Postgres/Redis unless
# TEST_DATABASE_URL/TEST_REDIS_URL are set) and browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npx tsc
npx remix build
exec npx vitest run "$@"
