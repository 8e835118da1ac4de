#!/usr/bin/env bash
# JWKS serving: the service vs nginx serving the same bytes, same machine, same run (not part of CI).
# Usage: bench/http.sh [seconds=30] [connections=64]   Needs wrk and nginx (apt-get install wrk nginx-light).
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-30}
CONNS=${2:-64}
JAVA=${JAVA:-java}
command -v wrk >/dev/null && command -v nginx >/dev/null || { echo "needs wrk and nginx (apt-get install wrk nginx-light)" >&2; exit 1; }
[ -f issuer-service/target/issuer-service.jar ] || ./mvnw -q -B -DskipTests package
work=$(mktemp -d)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port); mgmt=$(free_port); nport=$(free_port)
( cd "$work" && exec "$JAVA" -jar "$OLDPWD/issuer-service/target/issuer-service.jar" --server.port="$port" \
    --management.server.port="$mgmt" --issuer.url=https://oidc.example.com --logging.level.root=warn ${EXTRA_ARGS:-} ) > "$work/service.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; nginx -c "$work/nginx.conf" -s stop 2>/dev/null || true; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$mgmt/actuator/health/readiness" >/dev/null 2>&1 && break; sleep 0.2; done

mkdir -p "$work/www/openid/v1" "$work/www/.well-known"
curl -s "http://127.0.0.1:$port/openid/v1/jwks" > "$work/www/openid/v1/jwks"
curl -s "http://127.0.0.1:$port/.well-known/openid-configuration" > "$work/www/.well-known/openid-configuration"
cat > "$work/nginx.conf" <<NGINX
worker_processes auto;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  server {
    listen 127.0.0.1:$nport;
    root $work/www;
    etag on;
    location = /openid/v1/jwks { default_type application/jwk-set+json; add_header Cache-Control "public, max-age=3600"; }
    location = /.well-known/openid-configuration { default_type application/json; add_header Cache-Control "public, max-age=3600"; }
  }
}
NGINX
chmod 755 "$work" && chmod -R a+rX "$work/www"
nginx -c "$work/nginx.conf"
cmp <(curl -s "http://127.0.0.1:$nport/openid/v1/jwks") "$work/www/openid/v1/jwks"

etag() { curl -sI "$1" | tr -d '\r' | awk -F': ' 'tolower($1)=="etag"{print $2}'; }
run() { # name url [header]
  local out
  if [ -n "${3:-}" ]; then out=$(wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency -H "$3" "$2"); else out=$(wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency "$2"); fi
  local rps p50 p99
  rps=$(awk '/Requests\/sec/{print $2}' <<<"$out")
  p50=$(awk '$1=="50%"{print $2}' <<<"$out")
  p99=$(awk '$1=="99%"{print $2}' <<<"$out")
  printf "%-34s %12s %10s %10s\n" "$1" "$rps" "$p50" "$p99"
  echo "$rps" > "$work/$(tr ' /' '__' <<<"$1").rps"
}
svc="http://127.0.0.1:$port/openid/v1/jwks"; ngx="http://127.0.0.1:$nport/openid/v1/jwks"
wrk -t2 -c"$CONNS" -d10s "$svc" >/dev/null   # JIT warm-up
echo "machine: $(nproc) cores; JDK: $("$JAVA" -version 2>&1 | head -1); nginx: $(nginx -v 2>&1); wrk -t2 -c$CONNS -d${DURATION}s"
printf "%-34s %12s %10s %10s\n" "" "req/s" "p50" "p99"
run "nginx JWKS 200" "$ngx"
run "service JWKS 200" "$svc"
run "nginx JWKS 304" "$ngx" "If-None-Match: $(etag "$ngx")"
run "service JWKS 304" "$svc" "If-None-Match: $(etag "$svc")"
python3 - "$work" <<'PY'
import sys, pathlib
w = pathlib.Path(sys.argv[1]); r = lambda n: float((w / n).read_text())
print("ratio 200: %.2f   ratio 304: %.2f   (service / nginx; goal >= 0.80)" % (
    r("service_JWKS_200.rps") / r("nginx_JWKS_200.rps"), r("service_JWKS_304.rps") / r("nginx_JWKS_304.rps")))
PY
