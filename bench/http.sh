#!/usr/bin/env bash
# Discovery and JWKS serving: the service vs nginx serving the same bytes as static files, same machine, same
# run, 200s and 304s, and the service's peak RSS under that load.
# Usage: bench/http.sh [seconds=30] [connections=64] [warm-up seconds=10]
# Needs wrk and nginx (apt-get install wrk nginx-light). Environment (JAVA, MODE, JVM_FLAGS, ...): bench/lib.sh.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
DURATION=${1:-30}
CONNS=${2:-64}
WARMUP=${3:-10}
command -v wrk > /dev/null && command -v nginx > /dev/null || die "needs wrk and nginx (apt-get install wrk nginx-light)"

build
prepare_app
work_dir work
start_service "$work"
wait_ready

# nginx serves the service's bytes with the same Content-Type and Cache-Control, ETags on.
declare -A URL_PATH=([discovery]=/.well-known/openid-configuration [jwks]=/openid/v1/jwks)
header() { curl -sf -D - -o /dev/null "$1" | tr -d '\r' | awk -F': ' -v h="$2" 'tolower($1) == h {print $2}'; }
mkdir -p "$work/www/.well-known" "$work/www/openid/v1"
for doc in discovery jwks; do
  curl -sf -o "$work/www${URL_PATH[$doc]}" "http://127.0.0.1:$PORT${URL_PATH[$doc]}" || die "the service did not serve ${URL_PATH[$doc]}"
done
svc_type_discovery=$(header "http://127.0.0.1:$PORT${URL_PATH[discovery]}" content-type)
svc_type_jwks=$(header "http://127.0.0.1:$PORT${URL_PATH[jwks]}" content-type)
svc_cache=$(header "http://127.0.0.1:$PORT${URL_PATH[jwks]}" cache-control)
nport=$(free_port)
cat > "$work/nginx.conf" << NGINX
worker_processes auto;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/nginx-tmp;
  proxy_temp_path $work/nginx-tmp;
  fastcgi_temp_path $work/nginx-tmp;
  uwsgi_temp_path $work/nginx-tmp;
  scgi_temp_path $work/nginx-tmp;
  keepalive_requests 100000000;
  server {
    listen 127.0.0.1:$nport;
    root $work/www;
    etag on;
    location = ${URL_PATH[jwks]} { default_type "$svc_type_jwks"; add_header Cache-Control "$svc_cache"; }
    location = ${URL_PATH[discovery]} { default_type "$svc_type_discovery"; add_header Cache-Control "$svc_cache"; }
  }
}
NGINX
chmod -R a+rX "$work/www"
nginx -e "$work/nginx-error.log" -c "$work/nginx.conf" || die "nginx did not start: $(cat "$work/nginx-error.log" 2> /dev/null)"
on_exit "nginx -e '$work/nginx-error.log' -c '$work/nginx.conf' -s stop 2>/dev/null"

declare -A BASE=([service]="http://127.0.0.1:$PORT" [nginx]="http://127.0.0.1:$nport")
declare -A ETAG
for doc in discovery jwks; do
  cmp -s <(curl -sf "${BASE[nginx]}${URL_PATH[$doc]}") "$work/www${URL_PATH[$doc]}" || die "nginx does not serve the service's ${URL_PATH[$doc]}"
  for server in service nginx; do
    url=${BASE[$server]}${URL_PATH[$doc]}
    ETAG[$server.$doc]=$(header "$url" etag)
    [ -n "${ETAG[$server.$doc]}" ] || die "$server sends no ETag for ${URL_PATH[$doc]}"
    code=$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: ${ETAG[$server.$doc]}" "$url")
    [ "$code" = 304 ] || die "$server answers $code, not 304, to If-None-Match on ${URL_PATH[$doc]}"
  done
done

# wrk output -> "req/s p50_ms p99_ms non_2xx_3xx connect_errors other_socket_errors"
parse_wrk() {
  /usr/bin/python3 -c '
import re, sys
out = sys.stdin.read()
ms = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}
def lat(p):
    m = re.search(r"^\s*%s%%\s+([\d.]+)(us|ms|s|m)\s*$" % p, out, re.M)
    return "%.3f" % (float(m.group(1)) * ms[m.group(2)]) if m else ""
rps = re.search(r"^Requests/sec:\s+([\d.]+)", out, re.M)
bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
errs = [int(x) for x in sock.groups()] if sock else [0, 0, 0, 0]
print(rps.group(1) if rps else "", lat(50), lat(99), bad.group(1) if bad else 0, errs[0], sum(errs[1:]))
'
}

svc_load() { # the service under load, for the warm-up
  local doc
  for doc in discovery jwks; do wrk -t2 -c"$CONNS" -d"${1}s" "${BASE[service]}${URL_PATH[$doc]}" > /dev/null; done
}

echo "http: $(machine_line); JVM: $(java_label "$JAVA") (MODE=$MODE [$(service_jvm_flags)]); $(nginx -v 2>&1 | sed 's/^nginx version: //'); wrk -t2 -c$CONNS -d${DURATION}s, keep-alive"
if [ "$WARMUP" -gt 0 ]; then svc_load "$(((WARMUP + 1) / 2))"; fi # JIT warm-up, both documents
service_alive "during the warm-up"
printf '%-30s %12s %9s %9s %12s\n' "" "req/s" "p50 ms" "p99 ms" "socket errs"
declare -A RPS
for doc in discovery jwks; do
  for status in 200 304; do
    for server in nginx service; do
      url=${BASE[$server]}${URL_PATH[$doc]}
      hdr=()
      [ "$status" = 200 ] || hdr=(-H "If-None-Match: ${ETAG[$server.$doc]}")
      read -r rps p50 p99 bad conn_errs errs < <(wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency "${hdr[@]}" "$url" | tee "$work/wrk-$server-$doc-$status.txt" | parse_wrk)
      [ -n "$rps" ] && [ -n "$p50" ] && [ -n "$p99" ] || { cat "$work/wrk-$server-$doc-$status.txt" >&2; die "wrk gave no numbers for $server $doc $status"; }
      [ "$bad" = 0 ] || die "$server answered $bad requests for $doc with neither 2xx nor 3xx"
      [ "$conn_errs" = 0 ] || die "$conn_errs connections to $server failed"
      [ "$server" = nginx ] || service_alive "under load"
      # wrk counts 304s as successes too: check the answer is still the expected one.
      code=$(curl -s -o /dev/null -w '%{http_code}' "${hdr[@]}" "$url")
      [ "$code" = "$status" ] || die "$server answers $code for $doc, expected $status"
      printf '%-30s %12.0f %9.2f %9.2f %12s\n' "$server $doc $status" "$rps" "$p50" "$p99" "$errs"
      RPS[$server.$doc.$status]=$rps
      result "http.$doc.$status.$server.rps" "$rps"
      result "http.$doc.$status.$server.p50_ms" "$p50"
      result "http.$doc.$status.$server.p99_ms" "$p99"
      result "http.$doc.$status.$server.socket_errors" "$errs"
    done
    ratio=$(/usr/bin/python3 -c 'import sys; print("%.2f" % (float(sys.argv[1]) / float(sys.argv[2])))' \
      "${RPS[service.$doc.$status]}" "${RPS[nginx.$doc.$status]}")
    result "http.$doc.$status.ratio" "$ratio"
    echo "  ratio service / nginx, $doc $status: $ratio (goal >= 0.80)"
  done
done
peak=$(peak_rss_mib)
result http.peak_rss_mib "$peak"
echo "service peak RSS (VmHWM) after start-up and this load: $peak MiB (goal < 256 MiB)"
