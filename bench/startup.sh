#!/usr/bin/env bash
# Start-up time (JVM start to ready: the HTTP port and the signer socket answer) and resident memory, per JDK.
# Usage: bench/startup.sh [runs=5] [java ...]   Defaults to the java on PATH and Temurin 25 if installed.
# Not part of CI. Prints one line per run and the median per JDK.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
shift || true
JAVAS=("$@")
if [ ${#JAVAS[@]} -eq 0 ]; then
  JAVAS=(java)
  [ -x /usr/lib/jvm/temurin-25-jdk-amd64/bin/java ] && JAVAS+=(/usr/lib/jvm/temurin-25-jdk-amd64/bin/java)
fi
[ -f issuer-service/target/issuer-service.jar ] || ./mvnw -q -B -DskipTests package
jar=${JAR:-$PWD/issuer-service/target/issuer-service.jar}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now_ms() { date +%s%3N; }
echo "machine: $(nproc) cores, $(uname -m)"
keys=$(mktemp -d)/keys
java -jar "$jar" keys import --keys-dir "$keys" key-rotation/src/test/resources/pem/rsa2048.pkcs1.pem >/dev/null
for JAVA in "${JAVAS[@]}"; do
  echo "JDK: $("$JAVA" -version 2>&1 | head -1)"
  times=()
  for run in $(seq 1 "$RUNS"); do
    work=$(mktemp -d)
    port=$(free_port); mgmt=$(free_port)
    # A key store that already exists, as on every start but the first: this measures a restart.
    cp -r "$keys" "$work/keys"
    start=$(now_ms)
    ( cd "$work" && exec "$JAVA" ${JAVA_OPTS:-} -jar "$jar" --server.port="$port" --management.server.port="$mgmt" \
        --issuer.url=https://oidc.example.com --issuer.keys.directory="$work/keys" \
        --issuer.signer.socket="$work/signer.sock" --logging.level.root=warn ) > "$work/log" 2>&1 &
    pid=$!
    until curl -sf "http://127.0.0.1:$mgmt/actuator/health/readiness" >/dev/null 2>&1 \
        && [ -S "$work/signer.sock" ] && curl -sf "http://127.0.0.1:$port/openid/v1/jwks" >/dev/null 2>&1; do
      kill -0 "$pid" 2>/dev/null || { echo "service exited:"; cat "$work/log"; exit 1; }
      sleep 0.02
    done
    ready=$(( $(now_ms) - start ))
    rss=$(awk '/VmRSS/{print $2}' "/proc/$pid/status")
    kill "$pid"; wait "$pid" 2>/dev/null || true
    rm -rf "$work"
    times+=("$ready")
    printf "  run %d: ready in %5d ms, RSS %4d MiB\n" "$run" "$ready" $((rss / 1024))
  done
  median=$(printf "%s\n" "${times[@]}" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')
  echo "  median: $median ms (goal: under 3000 ms)"
done
rm -rf "$(dirname "$keys")"
