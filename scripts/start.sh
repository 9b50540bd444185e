#!/usr/bin/env bash
# `npm start`: set up what is missing, build when a source is newer than the
# build, then run the compiled supervisor: web + worker (and the private
# Postgres/Redis when DATABASE_URL/REDIS_URL are unset). `--dev` runs the
# Remix dev server with rebuilds and restarts instead.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
node scripts/build.mjs --if-stale
exec node build/run.js "$@"
