#!/usr/bin/env bash
# `npm start`: set up what is missing, build, then run web + worker (and the
# private Postgres/Redis when DATABASE_URL/REDIS_URL are unset). `--dev` skips
# the production build and runs the Remix dev server with rebuilds instead.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [[ "${1:-}" != "--dev" ]]; then
  npx remix build
fi
exec node --import tsx scripts/run.ts "$@"
