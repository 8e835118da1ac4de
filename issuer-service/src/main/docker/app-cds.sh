#!/usr/bin/env bash
# Class data sharing for the issuer: the extracted jar plus an archive of the classes a start loads, written
# by one training start. The container image runs exactly these steps (see the Dockerfile), and bench/run
# runs them outside Docker.
#
#   app-cds.sh extract JAR LAYERS    layered extract: LAYERS/{dependencies,spring-boot-loader,snapshot-dependencies,application}
#   app-cds.sh install JAR APP       the same, with the layers merged into APP as the image's COPY lines do
#   app-cds.sh train APP             one training start, then `verify`; writes the archive and APP/jvm.args
#   app-cds.sh verify APP            one more start that must use the archive (it fails if the JVM rejects it)
#
# Then start the service with: java @APP/jvm.args -jar APP/issuer-service.jar --issuer.url=...
#
# JAVA (default: java on PATH) is the JVM. An archive only fits the JVM that wrote it, so train with the
# JRE that runs the service. JDK 17 to 24: a dynamic AppCDS archive (-XX:ArchiveClassesAtExit). JDK 25+: the
# AOT cache (JEP 514, -XX:AOTCacheOutput). JAVA_TOOL_OPTIONS (the image's JVM options) applies to the training
# as it does to the service.
#
# The training start needs no network and leaves nothing behind: it runs on a throwaway key store and
# configuration in a temporary directory (deleted on exit), with every ISSUER_/SPRING_/SERVER_/MANAGEMENT_
# variable unset, and stops once the application context is refreshed (-Dspring.context.exit=onRefresh),
# before any port or socket is opened.
set -euo pipefail

JAVA=${JAVA:-java}
MIN_SHARED_PERCENT=80

die() { echo "app-cds.sh: $*" >&2; exit 1; }

TEMPS=()
cleanup() { [ ${#TEMPS[@]} -eq 0 ] || rm -rf "${TEMPS[@]}"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
temp() { # VAR [-d] NAME: VAR := a new temporary file (-d: directory), removed on exit
  local -n out=$1
  if [ "$2" = -d ]; then out=$(mktemp -d "${TMPDIR:-/tmp}/app-cds-$3.XXXXXX"); else out=$(mktemp "${TMPDIR:-/tmp}/app-cds-$2.XXXXXX"); fi
  TEMPS+=("$out")
}

java_major() {
  local v
  v=$("$JAVA" -XshowSettings:properties -version 2>&1 | awk -F' = ' '$1 ~ /^ *java\.specification\.version$/ {print $2}')
  [ -n "$v" ] || die "cannot run $JAVA"
  echo "${v#1.}"
}

# The archive's file name and the options that write, use, or require it, by JDK version.
archive_options() { # APP -> sets ARCHIVE, WRITE_OPTS, USE_OPTS, REQUIRE_OPTS
  local app=$1
  if [ "$(java_major)" -ge 25 ]; then
    ARCHIVE=$app/issuer-service.aot
    WRITE_OPTS=(-XX:AOTCacheOutput="$ARCHIVE")
    USE_OPTS=(-XX:AOTCache="$ARCHIVE")
    REQUIRE_OPTS=(-XX:AOTMode=on)
  else
    ARCHIVE=$app/issuer-service.jsa
    WRITE_OPTS=(-XX:ArchiveClassesAtExit="$ARCHIVE")
    USE_OPTS=(-XX:SharedArchiveFile="$ARCHIVE")
    REQUIRE_OPTS=(-Xshare:on)
  fi
}

# Starts the application once in a throwaway directory until its context is refreshed, then it exits.
# Usage: start_once APP LOG [jvm options...]
start_once() {
  local app=$1 log=$2
  shift 2
  local tmp rc=0
  temp tmp -d run
  (
    cd "$tmp"
    for v in $(compgen -e); do
      case $v in ISSUER_* | SPRING_* | SERVER_* | MANAGEMENT_* | LOGGING_* | AZURE_*) unset "$v" ;; esac
    done
    export HOME=$tmp
    exec "$JAVA" "$@" -Djava.io.tmpdir="$tmp" -Dspring.context.exit=onRefresh \
      -jar "$app/issuer-service.jar" \
      --issuer.url=https://issuer.example.invalid/training \
      --issuer.keys.directory="$tmp/keys" \
      --issuer.signer.socket="$tmp/signer.sock" \
      --server.port=0 --management.server.port=0 --logging.level.root=warn
  ) > "$log" 2>&1 || rc=$?
  rm -rf "$tmp"
  # The archive's own warnings (signed jars, old class files: left out) would hide the cause.
  [ "$rc" -eq 0 ] || { grep -v '\]\[cds' "$log" | tail -n 40 >&2; die "the start with $* exited with $rc (log above)"; }
}

cmd_extract() {
  [ $# -eq 2 ] || die "usage: app-cds.sh extract JAR LAYERS"
  local jar=$1 dest=$2
  [ -f "$jar" ] || die "no such jar: $jar"
  [ ! -e "$dest" ] || [ -z "$(ls -A "$dest")" ] || die "$dest is not empty"
  "$JAVA" -Djarmode=tools -jar "$jar" extract --layers --destination "$dest" --application-filename issuer-service.jar
  for layer in dependencies spring-boot-loader snapshot-dependencies application; do
    [ -d "$dest/$layer" ] || die "layer $layer missing in $dest"
  done
}

cmd_install() {
  [ $# -eq 2 ] || die "usage: app-cds.sh install JAR APP"
  local jar=$1 app=$2 layers
  temp layers -d layers
  cmd_extract "$jar" "$layers/x"
  mkdir -p "$app"
  for layer in dependencies spring-boot-loader snapshot-dependencies application; do
    cp -a "$layers/x/$layer/." "$app/"
  done
  rm -rf "$layers"
}

cmd_train() {
  [ $# -eq 1 ] || die "usage: app-cds.sh train APP"
  local app
  app=$(cd "$1" && pwd)
  [ -f "$app/issuer-service.jar" ] || die "$app/issuer-service.jar missing (app-cds.sh install first)"
  archive_options "$app"
  if [ "$(java_major)" -lt 25 ] && ! "$JAVA" -Xshare:on -version > /dev/null 2>&1; then
    # A dynamic archive sits on top of the JDK's default one; some JRE builds ship without it.
    echo "app-cds.sh: $JAVA has no default CDS archive; writing it (-Xshare:dump)"
    "$JAVA" -Xshare:dump > /dev/null
  fi
  rm -f "$ARCHIVE" "$app/jvm.args"
  local log start
  temp log train-log
  start=$(date +%s%3N)
  start_once "$app" "$log" "${WRITE_OPTS[@]}"
  [ -s "$ARCHIVE" ] || { tail -n 40 "$log" >&2; die "the training start wrote no $ARCHIVE"; }
  chmod 644 "$ARCHIVE"
  printf '%s\n' "${USE_OPTS[@]}" > "$app/jvm.args"
  chmod 644 "$app/jvm.args"
  echo "app-cds.sh: trained $(basename "$ARCHIVE") ($(($(stat -c %s "$ARCHIVE") / 1048576)) MiB) in $(($(date +%s%3N) - start)) ms with $("$JAVA" -version 2>&1 | grep -v '^Picked up' | head -n 1)"
  rm -f "$log"
  cmd_verify "$app"
}

cmd_verify() {
  [ $# -eq 1 ] || die "usage: app-cds.sh verify APP"
  local app
  app=$(cd "$1" && pwd)
  archive_options "$app"
  [ -s "$ARCHIVE" ] || die "no archive $ARCHIVE (app-cds.sh train first)"
  [ "$(cat "$app/jvm.args")" = "$(printf '%s\n' "${USE_OPTS[@]}")" ] || die "$app/jvm.args does not name $ARCHIVE"
  local log classes
  temp log verify-log
  temp classes -d classes
  classes=$classes/classes.log
  # REQUIRE_OPTS makes the JVM exit when it cannot map the archive (wrong JVM, class path or options).
  start_once "$app" "$log" "@$app/jvm.args" "${REQUIRE_OPTS[@]}" -Xlog:class+load=info:file="$classes"
  local total shared main
  total=$(grep -c 'source:' "$classes" || true)
  shared=$(grep -c 'source: shared objects file' "$classes" || true)
  main=$(grep -c 'io\.kubeoidc\.service\.IssuerApplication source: shared objects file' "$classes" || true)
  rm -f "$log"
  [ "$total" -gt 0 ] || die "verify: no classes were logged"
  local pct=$((100 * shared / total))
  echo "app-cds.sh: verified: $shared of $total classes ($pct%) came from $(basename "$ARCHIVE")"
  [ "$main" -ge 1 ] || die "verify: the application's own classes did not come from the archive"
  [ "$pct" -ge "$MIN_SHARED_PERCENT" ] || die "verify: only $pct% of the classes came from the archive (want >= $MIN_SHARED_PERCENT%)"
}

case ${1:-} in
  extract | install | train | verify)
    c=$1
    shift
    "cmd_$c" "$@"
    ;;
  *)
    sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
