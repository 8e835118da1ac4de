#!/usr/bin/env bash
# Sign throughput over the Unix socket vs raw JCA signing, same machine, same run (not part of CI).
# Usage: bench/sign.sh [seconds=10] [callers=16]   Optional: JAVA=/path/to/java to pick the JDK.
set -euo pipefail
cd "$(dirname "$0")/.."
JAVA=${JAVA:-java}
SECONDS_PER_RUN=${1:-10}
CALLERS=${2:-16}

./mvnw -q -B -DskipTests package dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench.cp \
    -pl issuer-service -am
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mgmt=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
( cd "$work" && exec "$JAVA" -jar "$OLDPWD/issuer-service/target/issuer-service.jar" --server.port="$port" \
    --management.server.port="$mgmt" --issuer.url=https://oidc.example.com --issuer.signer.socket="$work/signer.sock" \
    --logging.level.root=warn ) > "$work/service.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$mgmt/actuator/health/readiness" >/dev/null 2>&1 && break
  sleep 0.2
done
echo "machine: $(nproc) cores, $(uname -m); JDK: $("$JAVA" -version 2>&1 | head -1)"
"$JAVA" -cp "issuer-service/target/test-classes:issuer-service/target/classes:$(cat issuer-service/target/bench.cp)" \
    io.kubeoidc.service.bench.SignBenchmark "$work/signer.sock" "$SECONDS_PER_RUN" "$CALLERS"
