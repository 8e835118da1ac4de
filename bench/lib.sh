# shellcheck shell=bash
# Shared by bench/run, bench/http.sh, bench/sign.sh and bench/startup.sh: source it after `set -euo pipefail`.
#
# Environment understood by every script:
#   JAVA           the JVM for the service (default: java on PATH)
#   MODE           image (default): start the service the way the container image does: the jar extracted and
#                  trained by issuer-service/src/main/docker/app-cds.sh (class data sharing archive or AOT
#                  cache for this JVM), with the image's JAVA_TOOL_OPTIONS from the Dockerfile.
#                  plain: java -jar issuer-service.jar, no options.
#   JVM_FLAGS      replaces the image's JVM options (to compare flags; MODE=image only)
#   BENCH_RESULTS  a file the scripts append "key<TAB>value" lines to (bench/run renders them)
#   BENCH_SKIP_BUILD=1  use the jar and test classes already built (bench/run builds once for all steps)
#   BENCH_RETRAIN=1     train the archive again even if one for this jar, JVM and options exists

BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PATH=$PATH:/usr/sbin # nginx, for users without sbin on their PATH
JAVA=${JAVA:-java}
MODE=${MODE:-image}
JAR=$BENCH_ROOT/issuer-service/target/issuer-service.jar
APP_CDS=$BENCH_ROOT/issuer-service/src/main/docker/app-cds.sh
TEST_KEY=$BENCH_ROOT/key-rotation/src/test/resources/pem/rsa2048.pkcs1.pem

die() { echo "error: $*" >&2; exit 1; }

# Cleanup actions, run in reverse order on exit (also on failure and Ctrl-C).
_BENCH_CLEANUPS=()
on_exit() { _BENCH_CLEANUPS+=("$1"); }
_bench_cleanup() {
  local i
  for ((i = ${#_BENCH_CLEANUPS[@]} - 1; i >= 0; i--)); do eval "${_BENCH_CLEANUPS[i]}" || true; done
}
trap _bench_cleanup EXIT
trap 'exit 130' INT TERM

# A temporary directory removed on exit: work_dir VAR
work_dir() {
  local -n _dir=$1
  _dir=$(mktemp -d "${TMPDIR:-/tmp}/bench.XXXXXX")
  chmod 755 "$_dir" # nginx workers (user nobody when started as root) read files below it
  on_exit "rm -rf '$_dir'"
}

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now_ms() { date +%s%3N; }

# Appends one result for bench/run: result KEY VALUE
result() {
  [ -n "$2" ] || die "no value for $1"
  [ -z "${BENCH_RESULTS:-}" ] || printf '%s\t%s\n' "$1" "$2" >> "$BENCH_RESULTS"
}

java_major() { # JAVA
  local v
  v=$("$1" -XshowSettings:properties -version 2>&1 | awk -F' = ' '$1 ~ /^ *java\.specification\.version$/ {print $2}')
  [ -n "$v" ] || die "cannot run $1"
  echo "${v#1.}"
}

java_label() { # JAVA: e.g. "Eclipse Adoptium 25.0.3+9-LTS"
  "$1" -XshowSettings:properties -version 2>&1 | awk -F' = ' '
    $1 ~ /^ *java\.vendor$/ {v=$2} $1 ~ /^ *java\.runtime\.version$/ {r=$2} END {print v " " r}'
}

# The JDKs to compare: BENCH_JDKS (space-separated), else java on PATH and Temurin 25 when installed.
default_jdks() {
  if [ -n "${BENCH_JDKS:-}" ]; then
    echo "$BENCH_JDKS"
  elif [ -x /usr/lib/jvm/temurin-25-jdk-amd64/bin/java ]; then
    echo "java /usr/lib/jvm/temurin-25-jdk-amd64/bin/java"
  else
    echo java
  fi
}

# Builds the jar and the test classes (SignBenchmark) unless BENCH_SKIP_BUILD=1.
build() {
  if [ "${BENCH_SKIP_BUILD:-}" != 1 ]; then
    echo "building: ./mvnw -q -B -DskipTests package -pl issuer-service -am" >&2
    (cd "$BENCH_ROOT" && ./mvnw -q -B -DskipTests package -pl issuer-service -am)
  fi
  [ -f "$JAR" ] || die "$JAR missing: build with ./mvnw -DskipTests package"
}

# The JVM options of the container image: JAVA_TOOL_OPTIONS in the Dockerfile, without the image's tmpdir.
image_jvm_flags() {
  local flags
  flags=$(sed -n 's/.*JAVA_TOOL_OPTIONS="\([^"]*\)".*/\1/p' "$BENCH_ROOT/Dockerfile" | head -n 1)
  [ -n "$flags" ] || die "no JAVA_TOOL_OPTIONS=\"...\" line in the Dockerfile"
  tr ' ' '\n' <<< "$flags" | grep -v -e '^-Djava.io.tmpdir=' -e '^$' | paste -sd' ' -
}

service_jvm_flags() {
  if [ "$MODE" = image ]; then echo "${JVM_FLAGS-$(image_jvm_flags)}"; else echo ""; fi
}

# MODE=image: extract and train (app-cds.sh install + train, which verifies the archive is used) once per JVM,
# JVM options and jar; later calls reuse it, unless BENCH_RETRAIN=1 (then only the first call trains). Sets APP_DIR.
prepare_app() {
  APP_DIR=
  [ "$MODE" = image ] || { [ "$MODE" = plain ] || die "MODE must be image or plain, not $MODE"; return 0; }
  local flags stamp key
  flags=$(service_jvm_flags)
  stamp="$(stat -c '%Y %s' "$JAR") $(readlink -f "$(command -v "$JAVA")") [$flags] $(sha1sum < "$APP_CDS")"
  key=$(sha1sum <<< "$stamp" | cut -c1-10)
  APP_DIR=$BENCH_ROOT/issuer-service/target/bench/app-jdk$(java_major "$JAVA")-$key
  if [ "${BENCH_RETRAIN:-}" = 1 ] || [ "$(cat "$APP_DIR/.stamp" 2> /dev/null)" != "$stamp" ]; then
    BENCH_RETRAIN=0
    echo "training the image's archive for $(java_label "$JAVA") with [$flags] in $APP_DIR" >&2
    rm -rf "$APP_DIR"
    JAVA=$JAVA "$APP_CDS" install "$JAR" "$APP_DIR" >&2
    JAVA=$JAVA JAVA_TOOL_OPTIONS="$flags" "$APP_CDS" train "$APP_DIR" | tee "$APP_DIR/.train.log" >&2
    echo "$stamp" > "$APP_DIR/.stamp"
  fi
  # For bench/run: what the training wrote and how much of the start-up the verification saw come from it.
  local line
  line=$(grep 'app-cds.sh: trained ' "$APP_DIR/.train.log") || die "no training summary in $APP_DIR/.train.log"
  result cds.archive "$(awk '{print $3}' <<< "$line")"
  result cds.archive_mib "$(sed -E 's/.*\(([0-9]+) MiB\).*/\1/' <<< "$line")"
  result cds.train_ms "$(sed -E 's/.* in ([0-9]+) ms.*/\1/' <<< "$line")"
  line=$(grep 'app-cds.sh: verified: ' "$APP_DIR/.train.log") || die "no verification in $APP_DIR/.train.log"
  result cds.shared_classes "$(awk '{print $3}' <<< "$line")"
  result cds.total_classes "$(awk '{print $5}' <<< "$line")"
}

# A key store that already exists, as on every start but the first: start_service WORK then uses it.
import_key() { # WORK
  "$JAVA" -jar "$JAR" keys import --keys-dir "$1/keys" "$TEST_KEY" > /dev/null
}

# start_service WORK [extra service args]: starts the service in WORK (keys in WORK/keys, socket WORK/signer.sock)
# on free ports. Sets SERVICE_PID, PORT, MGMT, SOCKET, SERVICE_LOG. Call prepare_app first.
start_service() {
  local work=$1
  shift
  PORT=$(free_port)
  MGMT=$(free_port)
  SOCKET=$work/signer.sock
  SERVICE_LOG=$work/service.log
  local cmd
  if [ "$MODE" = image ]; then
    [ -n "${APP_DIR:-}" ] || die "prepare_app first"
    cmd=(env JAVA_TOOL_OPTIONS="$(service_jvm_flags)" "$JAVA" "@$APP_DIR/jvm.args" -jar "$APP_DIR/issuer-service.jar")
  else
    cmd=("$JAVA" -jar "$JAR")
  fi
  (cd "$work" && exec "${cmd[@]}" --server.port="$PORT" --management.server.port="$MGMT" \
    --issuer.url=https://oidc.example.com --issuer.keys.directory="$work/keys" --issuer.signer.socket="$SOCKET" \
    --logging.level.root=warn "$@") > "$SERVICE_LOG" 2>&1 &
  SERVICE_PID=$!
  on_exit "stop_service $SERVICE_PID"
}

# Ready: readiness answers 200, the signer socket exists and the JWKS answers 200. wait_ready [timeout s=120]
wait_ready() {
  local deadline=$(($(date +%s) + ${1:-120}))
  until curl -sf -o /dev/null "http://127.0.0.1:$MGMT/actuator/health/readiness" && [ -S "$SOCKET" ] \
    && curl -sf -o /dev/null "http://127.0.0.1:$PORT/openid/v1/jwks"; do
    service_alive "before it was ready"
    [ "$(date +%s)" -lt "$deadline" ] || { tail -n 40 "$SERVICE_LOG" >&2; die "the service was not ready after ${1:-120} s"; }
    sleep 0.02
  done
}

service_alive() { # [when]
  kill -0 "$SERVICE_PID" 2> /dev/null || {
    tail -n 40 "$SERVICE_LOG" >&2
    die "the service (pid $SERVICE_PID) exited ${1:-}; log above"
  }
}

# Peak resident memory (VmHWM) and resident memory now, in MiB.
peak_rss_mib() { awk '/^VmHWM:/ {printf "%d\n", $2 / 1024}' "/proc/${1:-$SERVICE_PID}/status"; }
rss_mib() { awk '/^VmRSS:/ {printf "%d\n", $2 / 1024}' "/proc/${1:-$SERVICE_PID}/status"; }
# CPU time (user + system, all threads) the process has used so far, in ms: less sensitive to a busy machine.
cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{printf "%d\n", ($14 + $15) * 1000 / hz}' "/proc/${1:-$SERVICE_PID}/stat"; }

stop_service() { # [pid]
  local pid=${1:-$SERVICE_PID} i
  kill -0 "$pid" 2> /dev/null || return 0
  kill "$pid" 2> /dev/null || true
  for i in $(seq 1 100); do
    kill -0 "$pid" 2> /dev/null || break
    sleep 0.1
  done
  kill -9 "$pid" 2> /dev/null || true
  wait "$pid" 2> /dev/null || true
}

machine_line() {
  echo "$(nproc) cores ($(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)), kernel $(uname -r)"
}
