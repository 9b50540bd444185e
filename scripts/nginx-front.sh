#!/usr/bin/env bash
# An nginx front for a local app, with download offload (STREAM_OFFLOAD=nginx):
#   scripts/nginx-front.sh start <listen-port> <app-url>   e.g. start 8080 http://127.0.0.1:3000
#   scripts/nginx-front.sh stop [<listen-port>]             (every front started here without a port)
# Debian's nginx (scripts/setup.sh installs it), run as the current user from a directory of its
# own: .data/nginx-front-<port>/ unless TVN_NGINX_DIR names one. Run the app with
# STREAM_OFFLOAD=nginx and TRUST_PROXY=1 behind it (docs/deploy/nginx-offload.conf says why).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
nginx_bin="$(command -v nginx || echo /usr/sbin/nginx)"

usage() {
  echo "usage: $0 start <listen-port> <app-url> | stop [<listen-port>]" >&2
  exit 2
}

dir_for() { echo "${TVN_NGINX_DIR:-$root/.data/nginx-front-$1}"; }

start() {
  local port="$1" app="$2"
  [[ "$port" =~ ^[0-9]+$ ]] || usage
  [[ "$app" =~ ^http://([^/]+)/?$ ]] || { echo "app-url must look like http://host:port" >&2; exit 2; }
  local app_host="${BASH_REMATCH[1]}"
  local dir
  dir="$(dir_for "$port")"
  mkdir -p "$dir/tmp"
  cat >"$dir/nginx.conf" <<CONF
daemon on;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $dir/tmp/body;
    proxy_temp_path $dir/tmp/proxy;
    fastcgi_temp_path $dir/tmp/fastcgi;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
    sendfile on;
    tcp_nopush on;

    upstream tvn_app {
        server $app_host;
        keepalive 32;
    }
    map \$http_upgrade \$connection_upgrade {
        default upgrade;
        ''      '';
    }
    server {
        listen $port;
        client_max_body_size 1m;
        location / {
            proxy_pass http://tvn_app;
            proxy_http_version 1.1;
            proxy_set_header Host \$http_host;
            proxy_set_header X-Forwarded-For \$remote_addr;
            proxy_set_header X-Forwarded-Proto \$scheme;
            proxy_set_header Upgrade \$http_upgrade;
            proxy_set_header Connection \$connection_upgrade;
            # Tells the app this request came through a front that can take a download over.
            proxy_set_header X-Offload-Front nginx;
            proxy_buffering off;
            proxy_request_buffering off;
            proxy_read_timeout 1h;
            proxy_send_timeout 1h;
        }
        include $root/docs/deploy/nginx-offload.conf;
    }
}
CONF
  "$nginx_bin" -t -q -c "$dir/nginx.conf" -p "$dir" -e "$dir/error.log"
  "$nginx_bin" -c "$dir/nginx.conf" -p "$dir" -e "$dir/error.log"
  echo "nginx front on http://127.0.0.1:$port → $app (offload location /_tvn_offload)"
}

stop_dir() {
  local dir="$1"
  [[ -f "$dir/nginx.pid" ]] || return 0
  "$nginx_bin" -s quit -c "$dir/nginx.conf" -p "$dir" -e "$dir/error.log" || true
  for _ in $(seq 50); do [[ -f "$dir/nginx.pid" ]] || return 0; sleep 0.1; done
  echo "nginx in $dir did not stop" >&2
  return 1
}

case "${1:-}" in
  start) [[ $# -eq 3 ]] || usage; start "$2" "$3" ;;
  stop)
    if [[ $# -eq 2 ]]; then stop_dir "$(dir_for "$2")"
    else for d in "$root"/.data/nginx-front-*/; do [[ -d "$d" ]] && stop_dir "${d%/}"; done; fi
    ;;
  *) usage ;;
esac
