#!/usr/bin/env bash
# Regenerates the PEM test fixtures in this directory with the openssl CLI
# (an independent implementation, deliberately not Java) and writes
# expected.json with kids computed by openssl:
#
#   kid = base64url-no-padding( SHA-256( canonical DER SubjectPublicKeyInfo ) )
#
# "canonical" = named curve + uncompressed point for EC keys.
#
# Requires: bash, openssl (3.x), jq. Every run creates NEW random keys, so
# all fixture files and expected.json change together. Only the files listed
# below are (over)written; nothing else in this directory is touched.
# These are throwaway TEST keys only.
# bad-input/ holds files cut from these by generate-bad-input.sh: rerun it afterwards.
set -euo pipefail

DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$DIR"

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
CMDLOG="$TMP/commands.txt"
ENTRIES="$TMP/entries.jsonl"
: >"$CMDLOG"
: >"$ENTRIES"

# Run a generation command (a shell string, may contain redirects) and record it.
run() {
  printf '%s\n' "$1" >>"$CMDLOG"
  eval "$1"
}

# ---------------------------------------------------------------- generation
# RSA 2048 (the main key) and all of its encodings
run 'openssl genrsa -traditional -out rsa2048.pkcs1.pem 2048'
run 'openssl pkcs8 -topk8 -nocrypt -in rsa2048.pkcs1.pem -out rsa2048.pkcs8.pem'
run 'openssl rsa -in rsa2048.pkcs1.pem -pubout -out rsa2048.spki.pem'
run 'openssl rsa -in rsa2048.pkcs1.pem -RSAPublicKey_out -out rsa2048.pkcs1-public.pem'
run 'openssl req -x509 -new -key rsa2048.pkcs1.pem -sha256 -days 36500 -subj "/CN=key-rotation test fixture" -out rsa2048.cert.pem'
run 'openssl pkcs8 -topk8 -v2 aes-256-cbc -v2prf hmacWithSHA256 -iter 2048 -passout pass:test -in rsa2048.pkcs1.pem -out rsa2048.encrypted-pkcs8.pem'
run 'openssl rsa -traditional -aes128 -passout pass:test -in rsa2048.pkcs1.pem -out rsa2048.encrypted-legacy.pem'

# Other RSA sizes
run 'openssl genrsa -traditional -out rsa3072.pkcs1.pem 3072'
run 'openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:4096 -out rsa4096.pkcs8.pem'
run 'openssl genrsa -traditional -out rsa1024.pkcs1.pem 1024'

# EC P-256 (EC PARAMETERS block + SEC1 EC PRIVATE KEY) and its encodings
run 'openssl ecparam -name prime256v1 -genkey -param_enc named_curve -out ec-p256.sec1.pem'
run 'openssl pkcs8 -topk8 -nocrypt -in ec-p256.sec1.pem -out ec-p256.pkcs8.pem'
run 'openssl ec -in ec-p256.sec1.pem -pubout -out ec-p256.spki.pem'
run 'openssl ec -in ec-p256.sec1.pem -pubout -param_enc explicit -out ec-p256.explicit-params.spki.pem'
run 'openssl ec -in ec-p256.sec1.pem -pubout -conv_form compressed -out ec-p256.compressed.spki.pem'

# Other curves
run 'openssl ecparam -name secp384r1 -genkey -noout -param_enc named_curve -out ec-p384.sec1.pem'
run 'openssl ec -in ec-p384.sec1.pem -pubout -out ec-p384.spki.pem'
run 'openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-521 -pkeyopt ec_param_enc:named_curve -out ec-p521.pkcs8.pem'
run 'openssl pkey -in ec-p521.pkcs8.pem -pubout -out ec-p521.spki.pem'
run 'openssl ecparam -name secp256k1 -genkey -noout -param_enc named_curve -out ec-secp256k1.sec1.pem'

# Ed25519
run 'openssl genpkey -algorithm ed25519 -out ed25519.pkcs8.pem'
run 'openssl pkey -in ed25519.pkcs8.pem -pubout -out ed25519.spki.pem'

# kubeadm-style service-account pair: PKCS#1 private + SPKI public
run 'openssl genrsa -traditional -out kubeadm-sa.key 2048'
run 'openssl rsa -in kubeadm-sa.key -pubout -out kubeadm-sa.pub'

# garbage.pem: PUBLIC KEY block whose body is random bytes that are not valid DER.
# Loop until openssl itself refuses to parse the bytes as DER (first byte != 0x30).
while :; do
  openssl rand -out "$TMP/garbage.bin" 128
  first="$(od -An -tx1 -N1 "$TMP/garbage.bin" | tr -d ' \n')"
  if [ "$first" != "30" ] && ! openssl asn1parse -inform DER -in "$TMP/garbage.bin" >/dev/null 2>&1; then
    break
  fi
done
printf '%s\n' 'openssl rand -out garbage.bin 128  # repeated until first byte != 0x30 and "openssl asn1parse -inform DER" fails' >>"$CMDLOG"
run '{ echo "-----BEGIN PUBLIC KEY-----"; openssl base64 -in "$TMP/garbage.bin"; echo "-----END PUBLIC KEY-----"; } > garbage.pem'

run 'printf "%s\n" "This file intentionally contains no PEM block." "It is plain text used to check that the PEM reader rejects" "input that has no BEGIN/END armour lines at all." > not-pem.txt'

run 'cat garbage.pem ed25519.spki.pem rsa2048.spki.pem rsa1024.pkcs1.pem ec-p256.sec1.pem rsa2048.encrypted-pkcs8.pem > mixed.pem'

# ---------------------------------------------------------------- kid helpers
b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '=\n'; }

# SPKI DER of a public key PEM on stdin, canonicalised for EC.
canon_spki_der() {
  local pem
  pem="$(cat)"
  if printf '%s\n' "$pem" | openssl asn1parse 2>/dev/null | grep -q ':id-ecPublicKey'; then
    printf '%s\n' "$pem" | openssl ec -pubin -param_enc named_curve -conv_form uncompressed -pubout -outform DER 2>/dev/null
  else
    printf '%s\n' "$pem" | openssl pkey -pubin -pubout -outform DER
  fi
}

# kid of a public-key-bearing PEM (private key, public key, certificate).
#   $1 = file, $2 = kind (priv|pub|cert), $3 = optional passphrase
kid_of() {
  local f="$1" kind="$2" pass="${3:-}" pem
  case "$kind" in
    priv) if [ -n "$pass" ]; then pem="$(openssl pkey -in "$f" -passin "pass:$pass" -pubout)"; else pem="$(openssl pkey -in "$f" -passin pass: -pubout)"; fi ;;
    pub)
      # PKCS#1 "RSA PUBLIC KEY" needs openssl rsa -RSAPublicKey_in
      if grep -q 'BEGIN RSA PUBLIC KEY' "$f"; then pem="$(openssl rsa -RSAPublicKey_in -in "$f" -pubout 2>/dev/null)"; else pem="$(cat "$f")"; fi ;;
    cert) pem="$(openssl x509 -in "$f" -noout -pubkey)" ;;
  esac
  printf '%s\n' "$pem" | canon_spki_der | openssl dgst -sha256 -binary | b64url
}

# Check key parameters against openssl's own text dump (public part).
#   $1 = file, $2 = kind, $3 = type, $4 = bits or curve, $5 = passphrase
check_params() {
  local f="$1" kind="$2" type="$3" want="$4" pass="${5:-}" txt
  case "$kind" in
    priv) txt="$(openssl pkey -in "$f" -passin "pass:$pass" -pubout | openssl pkey -pubin -text_pub -noout)" ;;
    pub)  if grep -q 'BEGIN RSA PUBLIC KEY' "$f"; then txt="$(openssl rsa -RSAPublicKey_in -in "$f" -text -noout)"; else txt="$(canon_spki_der <"$f" | openssl pkey -pubin -inform DER -text_pub -noout)"; fi ;;
    cert) txt="$(openssl x509 -in "$f" -noout -pubkey | openssl pkey -pubin -text_pub -noout)" ;;
  esac
  case "$type" in
    RSA) printf '%s\n' "$txt" | grep -q -E "^(RSA )?Public-Key: \\($want bit\\)" || { echo "param check failed: $f RSA $want" >&2; printf '%s\n' "$txt" | head -3 >&2; exit 1; } ;;
    EC)  printf '%s\n' "$txt" | grep -q -E "^(NIST CURVE|ASN1 OID): ${want}\$" || { echo "param check failed: $f EC $want" >&2; printf '%s\n' "$txt" | head -3 >&2; exit 1; } ;;
    OKP) printf '%s\n' "$txt" | grep -qi "^${want} Public-Key" || { echo "param check failed: $f OKP $want" >&2; exit 1; } ;;
  esac
}

# JSON object describing one key block.
#   $1 file $2 kind $3 label $4 format $5 type $6 bits|curve $7 private(true|false) [$8 passphrase]
key_json() {
  local f="$1" kind="$2" label="$3" format="$4" type="$5" size="$6" priv="$7" pass="${8:-}" kid
  kid="$(kid_of "$f" "$kind" "$pass")"
  case "$type" in
    RSA) check_params "$f" "$kind" RSA "$size" "$pass"
         jq -cn --arg lbl "$label" --arg format "$format" --arg kid "$kid" --argjson bits "$size" --argjson private "$priv" \
           '{"label":$lbl, format:$format, type:"RSA", bits:$bits, private:$private, kid:$kid}' ;;
    EC)  local ossl curve bits
         case "$size" in
           P-256) ossl=P-256; bits=256 ;; P-384) ossl=P-384; bits=384 ;; P-521) ossl=P-521; bits=521 ;;
           secp256k1) ossl=secp256k1; bits=256 ;;
         esac
         check_params "$f" "$kind" EC "$ossl" "$pass"
         jq -cn --arg lbl "$label" --arg format "$format" --arg kid "$kid" --arg curve "$size" --argjson bits "$bits" --argjson private "$priv" \
           '{"label":$lbl, format:$format, type:"EC", curve:$curve, bits:$bits, private:$private, kid:$kid}' ;;
    OKP) check_params "$f" "$kind" OKP "$size" "$pass"
         jq -cn --arg lbl "$label" --arg format "$format" --arg kid "$kid" --arg curve "$size" --argjson private "$priv" \
           '{"label":$lbl, format:$format, type:"OKP", curve:$curve, private:$private, kid:$kid}' ;;
  esac
}

# Add a single-key file: key fields at top level, plus optional extra JSON to merge.
add_single() { # $1 file, rest = key_json args after file, last optional arg handled by caller via EXTRA
  local f="$1"; shift
  local obj
  obj="$(key_json "$f" "$@")"
  jq -cn --arg file "$f" --argjson o "$obj" --argjson extra "$EXTRA" '{($file): ($o + $extra)}' >>"$ENTRIES"
  EXTRA='{}'
}

EXTRA='{}'
# ---------------------------------------------------------------- expected entries
add_single rsa2048.pkcs1.pem          priv "RSA PRIVATE KEY" PKCS1 RSA 2048 true
add_single rsa2048.pkcs8.pem          priv "PRIVATE KEY"     PKCS8 RSA 2048 true
add_single rsa2048.spki.pem           pub  "PUBLIC KEY"      SPKI  RSA 2048 false
add_single rsa2048.pkcs1-public.pem   pub  "RSA PUBLIC KEY"  PKCS1 RSA 2048 false
add_single rsa2048.cert.pem           cert "CERTIFICATE"     X509  RSA 2048 false
EXTRA='{"encrypted":true,"password":"test","encryption":"PBES2 PBKDF2-hmacWithSHA256 (2048 iterations) AES-256-CBC"}'
add_single rsa2048.encrypted-pkcs8.pem  priv "ENCRYPTED PRIVATE KEY" PKCS8-ENCRYPTED RSA 2048 true test
EXTRA='{"encrypted":true,"password":"test","encryption":"legacy OpenSSL PEM encryption, Proc-Type: 4,ENCRYPTED / DEK-Info: AES-128-CBC"}'
add_single rsa2048.encrypted-legacy.pem priv "RSA PRIVATE KEY" PKCS1-LEGACY-ENCRYPTED RSA 2048 true test
add_single rsa3072.pkcs1.pem          priv "RSA PRIVATE KEY" PKCS1 RSA 3072 true
add_single rsa4096.pkcs8.pem          priv "PRIVATE KEY"     PKCS8 RSA 4096 true
EXTRA='{"note":"RSA 1024 - below minimum size, expected to be rejected by policy"}'
add_single rsa1024.pkcs1.pem          priv "RSA PRIVATE KEY" PKCS1 RSA 1024 true

# ec-p256.sec1.pem: EC PARAMETERS block + EC PRIVATE KEY block
P256_KEY="$(key_json ec-p256.sec1.pem priv "EC PRIVATE KEY" SEC1 EC P-256 true)"
jq -cn --argjson k "$P256_KEY" \
  '{"ec-p256.sec1.pem": ($k + {blocks: [
      {"label":"EC PARAMETERS", format:"ECParameters", curve:"P-256", note:"named curve OID 1.2.840.10045.3.1.7 only, no key"},
      $k ]})}' >>"$ENTRIES"
add_single ec-p256.pkcs8.pem          priv "PRIVATE KEY"     PKCS8 EC P-256 true
add_single ec-p256.spki.pem           pub  "PUBLIC KEY"      SPKI  EC P-256 false
EXTRA='{"note":"explicit curve parameters (specifiedCurve) instead of the named-curve OID; kid is of the canonical named-curve/uncompressed SPKI, equal to ec-p256 kid"}'
add_single ec-p256.explicit-params.spki.pem pub "PUBLIC KEY" SPKI-EXPLICIT-PARAMS EC P-256 false
EXTRA='{"note":"compressed EC point (0x02/0x03 prefix); kid is of the canonical named-curve/uncompressed SPKI, equal to ec-p256 kid"}'
add_single ec-p256.compressed.spki.pem      pub "PUBLIC KEY" SPKI-COMPRESSED-POINT EC P-256 false
EXTRA='{"note":"SEC1 without EC PARAMETERS block (generated with -noout)"}'
add_single ec-p384.sec1.pem           priv "EC PRIVATE KEY"  SEC1  EC P-384 true
add_single ec-p384.spki.pem           pub  "PUBLIC KEY"      SPKI  EC P-384 false
add_single ec-p521.pkcs8.pem          priv "PRIVATE KEY"     PKCS8 EC P-521 true
add_single ec-p521.spki.pem           pub  "PUBLIC KEY"      SPKI  EC P-521 false
EXTRA='{"note":"secp256k1 - unsupported curve, expected to be rejected"}'
add_single ec-secp256k1.sec1.pem      priv "EC PRIVATE KEY"  SEC1  EC secp256k1 true
add_single ed25519.pkcs8.pem          priv "PRIVATE KEY"     PKCS8 OKP Ed25519 true
add_single ed25519.spki.pem           pub  "PUBLIC KEY"      SPKI  OKP Ed25519 false
EXTRA='{"note":"kubeadm-style service-account signing key (PKCS#1 private)"}'
add_single kubeadm-sa.key             priv "RSA PRIVATE KEY" PKCS1 RSA 2048 true
EXTRA='{"note":"kubeadm-style service-account public key (SPKI)"}'
add_single kubeadm-sa.pub             pub  "PUBLIC KEY"      SPKI  RSA 2048 false

# Non-key files (no kid)
jq -cn '{"garbage.pem": {"label":"PUBLIC KEY", kid:null, invalid:true, note:"valid PEM armour, body is base64 of 128 random bytes that are not valid DER"}}' >>"$ENTRIES"
jq -cn '{"not-pem.txt": {"kid":null, invalid:true, note:"plain text, no PEM block at all"}}' >>"$ENTRIES"

# mixed.pem: blocks in order
GARB='{"label":"PUBLIC KEY","kid":null,"invalid":true,"source":"garbage.pem","note":"random bytes, not valid DER"}'
ED="$(key_json ed25519.spki.pem pub "PUBLIC KEY" SPKI OKP Ed25519 false)"
RSAPUB="$(key_json rsa2048.spki.pem pub "PUBLIC KEY" SPKI RSA 2048 false)"
R1024="$(key_json rsa1024.pkcs1.pem priv "RSA PRIVATE KEY" PKCS1 RSA 1024 true)"
ECPARAMS='{"label":"EC PARAMETERS","format":"ECParameters","curve":"P-256","source":"ec-p256.sec1.pem","note":"named curve OID only, no key"}'
ECK="$(key_json ec-p256.sec1.pem priv "EC PRIVATE KEY" SEC1 EC P-256 true)"
ENC="$(key_json rsa2048.encrypted-pkcs8.pem priv "ENCRYPTED PRIVATE KEY" PKCS8-ENCRYPTED RSA 2048 true test)"
jq -cn --argjson g "$GARB" --argjson ed "$ED" --argjson rp "$RSAPUB" --argjson r1 "$R1024" \
       --argjson ep "$ECPARAMS" --argjson ek "$ECK" --argjson en "$ENC" \
  '{"mixed.pem": {blocks: [
      $g,
      ($ed + {source:"ed25519.spki.pem"}),
      ($rp + {source:"rsa2048.spki.pem"}),
      ($r1 + {source:"rsa1024.pkcs1.pem"}),
      $ep,
      ($ek + {source:"ec-p256.sec1.pem"}),
      ($en + {source:"rsa2048.encrypted-pkcs8.pem", encrypted:true, password:"test"})
    ]}}' >>"$ENTRIES"

# ---------------------------------------------------------------- assemble
OSSL_VERSION="$(openssl version)"
jq -s --arg ver "$OSSL_VERSION" --rawfile cmds "$CMDLOG" '
  add as $files
  | {
      _generated_by: {
        tool: $ver,
        script: "generate.sh (rerun to regenerate every fixture and this file; keys are random each run)",
        kid_definition: "base64url-without-padding(SHA-256(DER SubjectPublicKeyInfo)), EC canonicalised to named curve + uncompressed point",
        kid_commands: [
          "private key:  openssl pkey -in FILE [-passin pass:test] -pubout | <public pipeline>",
          "certificate:  openssl x509 -in FILE -noout -pubkey | <public pipeline>",
          "RSA PUBLIC KEY (PKCS#1): openssl rsa -RSAPublicKey_in -in FILE -pubout | <public pipeline>",
          "public pipeline, RSA/Ed25519: openssl pkey -pubin -pubout -outform DER | openssl dgst -sha256 -binary | openssl base64 -A | tr \"+/\" \"-_\" | tr -d \"=\\n\"",
          "public pipeline, EC: openssl ec -pubin -param_enc named_curve -conv_form uncompressed -pubout -outform DER | openssl dgst -sha256 -binary | openssl base64 -A | tr \"+/\" \"-_\" | tr -d \"=\\n\""
        ],
        generation_commands: ($cmds | rtrimstr("\n") | split("\n")),
        schema: "per file: label (PEM type), format, type (RSA|EC|OKP), bits (RSA modulus / EC field size), curve (EC: P-256|P-384|P-521|secp256k1; OKP: Ed25519), private, kid; files with several PEM blocks also have blocks[] in file order; kid null = no usable key"
      }
    } + $files
' "$ENTRIES" >expected.json

# ---------------------------------------------------------------- self-checks
kid() { jq -r --arg f "$1" '.[$f].kid' expected.json; }
assert_eq() { [ "$(kid "$1")" = "$(kid "$2")" ] || { echo "kid mismatch: $1 vs $2" >&2; exit 1; }; }
for f in rsa2048.pkcs8.pem rsa2048.spki.pem rsa2048.pkcs1-public.pem rsa2048.cert.pem rsa2048.encrypted-pkcs8.pem rsa2048.encrypted-legacy.pem; do
  assert_eq rsa2048.pkcs1.pem "$f"
done
for f in ec-p256.pkcs8.pem ec-p256.spki.pem ec-p256.explicit-params.spki.pem ec-p256.compressed.spki.pem; do
  assert_eq ec-p256.sec1.pem "$f"
done
assert_eq ec-p384.sec1.pem ec-p384.spki.pem
assert_eq ec-p521.pkcs8.pem ec-p521.spki.pem
assert_eq ed25519.pkcs8.pem ed25519.spki.pem
assert_eq kubeadm-sa.key kubeadm-sa.pub
# the explicit/compressed files really are non-canonical encodings
openssl pkey -pubin -in ec-p256.explicit-params.spki.pem -text_pub -noout | grep -q 'Field Type' || { echo "explicit params missing" >&2; exit 1; }
[ "$(openssl pkey -pubin -in ec-p256.compressed.spki.pem -outform DER | wc -c)" -lt "$(openssl pkey -pubin -in ec-p256.spki.pem -outform DER | wc -c)" ] || { echo "compressed point not compressed" >&2; exit 1; }
grep -q '^Proc-Type: 4,ENCRYPTED' rsa2048.encrypted-legacy.pem || { echo "legacy headers missing" >&2; exit 1; }
chmod 644 ./*.pem ./*.key ./*.pub not-pem.txt expected.json  # test keys; keep them readable by the build
echo "OK: fixtures and expected.json regenerated in $DIR"
