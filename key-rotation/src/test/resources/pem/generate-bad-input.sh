#!/usr/bin/env bash
# Writes the unusable-key fixtures of the bad-input catalogue (issuer-service BadInputIT) into the
# bad-input/ subdirectory, with openssl, ssh-keygen and coreutils. Truncated and relabelled files are
# cut from the fixtures generate.sh made, which this script only reads; rerun it after generate.sh.
# New DSA, RSASSA-PSS and OpenSSH keys are random on every run. Throwaway TEST keys only.
set -euo pipefail

DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$DIR"
OUT=bad-input
mkdir -p "$OUT"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

body() { grep -v -- '-----' "$1"; }  # the base64 lines of a one-block PEM file

# Nothing at all.
: >"$OUT/empty.pem"

# Valid base64 cut after 10 of its 64-character lines: the DER ends mid-structure.
{ echo '-----BEGIN PRIVATE KEY-----'; body rsa2048.pkcs8.pem | head -n 10; echo '-----END PRIVATE KEY-----'; } \
  >"$OUT/truncated-der.pem"

# A line cut to 33 characters: not base64 any more (length not a multiple of 4).
{ echo '-----BEGIN PRIVATE KEY-----'; body rsa2048.pkcs8.pem | head -n 10
  body rsa2048.pkcs8.pem | sed -n 11p | cut -c1-33; echo '-----END PRIVATE KEY-----'; } >"$OUT/truncated-base64.pem"

# The END line is missing (a copy-paste cut short).
head -n 12 rsa2048.pkcs8.pem >"$OUT/no-end-line.pem"

# BEGIN and END labels that do not match.
sed 's/-----END PRIVATE KEY-----/-----END RSA PRIVATE KEY-----/' rsa2048.pkcs8.pem >"$OUT/mismatched-end-label.pem"

# A usable public key, then a broken block: the broken one must not be dropped silently.
cat kubeadm-sa.pub "$OUT/truncated-der.pem" >"$OUT/key-then-truncated-block.pem"

# An unsupported key, with CRLF line ends and text after the END line: the reason still shows through.
{ sed 's/$/\r/' ed25519.spki.pem; printf 'trailing notes\r\n\x01\x02 not pem\r\n'; } >"$OUT/ed25519.crlf-trailing.pem"

# A certificate whose key kube-apiserver cannot use.
openssl req -x509 -new -key ed25519.pkcs8.pem -days 36500 -subj "/CN=bad-input fixture" -out "$OUT/ed25519.cert.pem" 2>/dev/null

# A private key as binary DER, not PEM.
openssl pkey -in rsa2048.pkcs8.pem -outform DER -out "$OUT/rsa2048.pkcs8.der"

# EC PARAMETERS alone, as "openssl ecparam -name prime256v1" prints without -genkey.
openssl ecparam -name prime256v1 -out "$OUT/ec-parameters-only.pem"

# DSA in PKCS#8 and in OpenSSL's traditional "DSA PRIVATE KEY" form.
openssl genpkey -genparam -algorithm DSA -pkeyopt dsa_paramgen_bits:2048 -out "$TMP/dsa.params" 2>/dev/null
openssl genpkey -paramfile "$TMP/dsa.params" -out "$OUT/dsa2048.pkcs8.pem" 2>/dev/null
openssl pkey -in "$OUT/dsa2048.pkcs8.pem" -traditional -out "$OUT/dsa2048.traditional.pem"

# RSA under the id-RSASSA-PSS OID, which Go's x509 (and so kube-apiserver) does not read.
openssl genpkey -algorithm RSA-PSS -pkeyopt rsa_keygen_bits:2048 -out "$OUT/rsa-pss2048.pkcs8.pem" 2>/dev/null

# An OpenSSH private key (ssh-keygen's default format) of a usable kind: converting it would help.
ssh-keygen -q -t ecdsa -b 256 -N "" -C "bad-input fixture" -f "$TMP/id_ecdsa"
cp "$TMP/id_ecdsa" "$OUT/openssh-ecdsa-p256.key"

# Self-checks: openssl agrees these are what their names say.
grep -q 'BEGIN DSA PRIVATE KEY' "$OUT/dsa2048.traditional.pem"
openssl pkey -in "$OUT/dsa2048.pkcs8.pem" -noout -text | grep -q 'Private-Key: (2048 bit)'
openssl asn1parse -in "$OUT/rsa-pss2048.pkcs8.pem" | grep -q ':rsassaPss'
openssl x509 -in "$OUT/ed25519.cert.pem" -noout -text | grep -q 'ED25519'
! openssl pkey -in "$OUT/truncated-der.pem" -noout 2>/dev/null
! openssl pkey -in "$OUT/truncated-base64.pem" -noout 2>/dev/null
openssl pkey -inform DER -in "$OUT/rsa2048.pkcs8.der" -noout
grep -q 'BEGIN OPENSSH PRIVATE KEY' "$OUT/openssh-ecdsa-p256.key"
chmod 644 "$OUT"/*
echo "OK: bad-input fixtures written in $DIR/$OUT"
