#!/usr/bin/env bash
# Start-up time (JVM start to ready: readiness answers 200, the signer socket exists and the JWKS answers) and
# resident memory at that moment, per JDK: plain `java -jar` against the image's defaults (the extracted jar,
# the class data sharing archive or AOT cache trained by app-cds.sh, the Dockerfile's JVM options).
# Each start is a restart: the key store already exists.
# Usage: bench/startup.sh [runs=5] [java ...]   Defaults to the java on PATH and Temurin 25 if installed.
# MODES="plain image" picks the configurations; JVM_FLAGS replaces the image's options (bench/lib.sh).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
RUNS=${1:-5}
shift || true
JAVAS=("$@")
[ ${#JAVAS[@]} -gt 0 ] || read -r -a JAVAS <<< "$(default_jdks)"
read -r -a CONFIGS <<< "${MODES:-plain image}"

build
work_dir keys
import_key "$keys"
echo "startup: $(machine_line)"
for JAVA in "${JAVAS[@]}"; do
  echo "JVM: $(java_label "$JAVA")"
  for MODE in "${CONFIGS[@]}"; do
    prepare_app
    echo "  $MODE: ${APP_DIR:+extracted jar + $(head -n 1 "$APP_DIR/jvm.args" | sed 's/=.*//') + }options [$(service_jvm_flags)]"
    times=()
    rsss=()
    cpus=()
    for run in $(seq 1 "$RUNS"); do
      work_dir work
      cp -r "$keys/keys" "$work/keys"
      start=$(now_ms)
      start_service "$work"
      wait_ready
      ready=$(($(now_ms) - start))
      rss=$(rss_mib)
      cpu=$(cpu_ms)
      stop_service
      times+=("$ready")
      rsss+=("$rss")
      cpus+=("$cpu")
      printf "    run %d: ready in %5d ms (CPU %5d ms), RSS %4d MiB\n" "$run" "$ready" "$cpu" "$rss"
    done
    median() { printf '%s\n' "$@" | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
    t=$(median "${times[@]}")
    r=$(median "${rsss[@]}")
    c=$(median "${cpus[@]}")
    echo "    median: $t ms (CPU $c ms), RSS $r MiB (goal: under 3000 ms)"
    result "startup.$MODE.cpu_ms" "$c"
    result "startup.$MODE.ms" "$t"
    result "startup.$MODE.rss_mib" "$r"
  done
done
