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

# The custody row: the same Sign load with the key on a SoftHSM2 token (issuer.keys.custody=pkcs11), against raw
# SunPKCS11 signing on that token in the same run. Skipped (with a note) where SoftHSM2 is not installed.
SOFTHSM_MODULE=${SOFTHSM_MODULE:-/usr/lib/softhsm/libsofthsm2.so}
if [ "${CUSTODY_ROW:-1}" = 1 ]; then
  if [ ! -f "$SOFTHSM_MODULE" ] || ! command -v softhsm2-util > /dev/null; then
    echo "custody row skipped: install softhsm2 for it" >&2
  else
    stop_service "$SERVICE_PID"
    work_dir hsm
    mkdir -p "$hsm/tokens"
    printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' "$hsm/tokens" > "$hsm/softhsm2.conf"
    export SOFTHSM2_CONF=$hsm/softhsm2.conf
    # SunPKCS11 names a token by slot, not label: softhsm2-util says which slot the new token got.
    slot=$(softhsm2-util --init-token --free --label bench --so-pin 0000-so --pin 1111-user | sed -n 's/.*reassigned to slot \([0-9]*\).*/\1/p')
    [ -n "$slot" ] || die "softhsm2-util did not report the new token's slot"
    (umask 077 && echo 1111-user > "$hsm/token.pin")
    printf 'name = bench\nlibrary = %s\nslot = %s\nattributes(generate, CKO_PRIVATE_KEY, CKK_RSA) = {\n  CKA_SENSITIVE = true\n  CKA_EXTRACTABLE = false\n}\n' \
      "$SOFTHSM_MODULE" "$slot" > "$hsm/sunpkcs11.cfg"
    start_service "$hsm" --issuer.keys.custody=pkcs11 --issuer.keys.pkcs11.library="$SOFTHSM_MODULE" \
      --issuer.keys.pkcs11.token-label=bench --issuer.keys.pkcs11.pin-file="$hsm/token.pin"
    wait_ready
    echo "sign, pkcs11 custody (SoftHSM2 $(dpkg-query -W -f '${Version}' softhsm2 2> /dev/null || echo '?')): Sign vs raw SunPKCS11 on the same token"
    rc=0
    "$JAVA" -Dbench.pkcs11.config="$hsm/sunpkcs11.cfg" -Dbench.pkcs11.pin-file="$hsm/token.pin" -Dbench.prefix=sign.pkcs11 \
      -cp "$BENCH_ROOT/issuer-service/target/test-classes:$client/issuer-service.jar:$client/lib/*" \
      io.kubeoidc.service.bench.SignBenchmark "$SOCKET" "$SECONDS_PER_RUN" "$CALLERS" "$WARMUP" > "$hsm/sign.out" || rc=$?
    grep -v '^result ' "$hsm/sign.out" || true
    [ "$rc" = 0 ] || die "SignBenchmark (pkcs11 custody) failed (exit $rc)"
    service_alive "under the Sign load with pkcs11 custody"
    while read -r _ key value; do result "$key" "$value"; done < <(grep '^result ' "$hsm/sign.out")
  fi
fi
