#!/usr/bin/env bash
# Idempotent setup: installs what is missing and nothing else.
#   - Debian packages: yt-dlp, ffmpeg, postgresql, redis-server, chromium, nginx (the offload
#     front, scripts/nginx-front.sh),
#     and with --test also prometheus, docker-compose, aria2 and unzip (the tests check the
#     metrics output with promtool, the compose file with `docker-compose config`, downloads
#     with aria2c's parallel Range requests, and the playlist ZIPs with unzip -t)
#     (as root through apt-get; otherwise it prints the apt line and stops)
#   - npm packages from package-lock.json when node_modules is stale
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
have() { command -v "$1" >/dev/null 2>&1; }
have yt-dlp || missing+=(yt-dlp)
{ have ffmpeg && have ffprobe; } || missing+=(ffmpeg)
have redis-server || missing+=(redis-server)
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
have chromium || missing+=(chromium)
{ have nginx || [[ -x /usr/sbin/nginx ]]; } || missing+=(nginx)
have setpriv || missing+=(util-linux)
if [[ "${1:-}" == "--test" ]]; then
  have promtool || missing+=(prometheus)
  have docker-compose || missing+=(docker-compose)
  have aria2c || missing+=(aria2)
  have unzip || missing+=(unzip)
fi

if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]]; then
    echo "[setup] installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "[setup] missing Debian packages: ${missing[*]}" >&2
    echo "[setup] run as root:  apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

# Install exactly the locked versions when node_modules is absent or older than the lock.
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "[setup] installing npm packages from package-lock.json"
  npm ci --no-audit --no-fund
fi
