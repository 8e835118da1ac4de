#!/usr/bin/env bash
# Sign throughput over the Unix socket vs raw JCA signing, same machine, same run, and the service's peak RSS
# under that load. The client is SignBenchmark (issuer-service test sources), on the same JVM as the service.
# Usage: bench/sign.sh [seconds=10] [callers=16] [warm-up seconds=3]
# Environment (JAVA, MODE, JVM_FLAGS, ...): bench/lib.sh.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
SECONDS_PER_RUN=${1:-10}
CALLERS=${2:-16}
WARMUP=${3:-3}

build
prepare_app
[ -d "$BENCH_ROOT/issuer-service/target/test-classes/io/kubeoidc/service/bench" ] \
  || die "SignBenchmark is not compiled: ./mvnw -DskipTests package (compiles the test classes)"
# The client's class path: the extracted jar (the image's one, or a plain extract for MODE=plain).
client=${APP_DIR:-$BENCH_ROOT/issuer-service/target/bench/client}
if [ -z "${APP_DIR:-}" ] && [ "$(cat "$client/.stamp" 2> /dev/null)" != "$(stat -c '%Y %s' "$JAR")" ]; then
  rm -rf "$client"
  JAVA=$JAVA "$APP_CDS" install "$JAR" "$client"
  stat -c '%Y %s' "$JAR" > "$client/.stamp"
fi

work_dir work
start_service "$work"
wait_ready
echo "sign: $(machine_line); JVM: $(java_label "$JAVA") (MODE=$MODE [$(service_jvm_flags)]); $CALLERS callers, ${SECONDS_PER_RUN}s per run, RS256 2048"
rc=0
"$JAVA" -cp "$BENCH_ROOT/issuer-service/target/test-classes:$client/issuer-service.jar:$client/lib/*" \
  io.kubeoidc.service.bench.SignBenchmark "$SOCKET" "$SECONDS_PER_RUN" "$CALLERS" "$WARMUP" > "$work/sign.out" || rc=$?
grep -v '^result ' "$work/sign.out" || true
[ "$rc" = 0 ] || die "SignBenchmark failed (exit $rc)"
service_alive "under the Sign load"
while read -r _ key value; do result "$key" "$value"; done < <(grep '^result ' "$work/sign.out")
grep -q '^result sign.inflight.ratio ' "$work/sign.out" || die "SignBenchmark printed no ratio"
peak=$(peak_rss_mib)
result sign.peak_rss_mib "$peak"
echo "service peak RSS (VmHWM) after start-up and this load: $peak MiB (goal < 256 MiB)"
