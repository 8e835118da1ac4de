#!/usr/bin/python3
"""Plays kube-apiserver against our ExternalJWTSigner, from outside the JVM.

Generates Python stubs from our proto files with grpc_tools (Debian python3-grpc-tools), then for
each API version (v1, v1alpha1):
  1. Metadata: max_token_expiration_seconds is at least 600 (kube-apiserver's MinTokenAgeSec);
  2. FetchKeys: every validation kube-apiserver's keycache applies (refresh hint > 0, keys non-empty,
     valid data_timestamp, 0 < len(key_id) <= 1024, non-empty key that parses as PKIX DER);
  3. Sign with a kube-style claims payload: the header rules of plugin.go (exactly alg, kid, typ;
     typ == "JWT"; alg in RS256/ES256/ES384/ES512; kid known and not excluded; non-empty signature);
  4. assembles the token and verifies it with PyJWT through the discovery document and JWKS over HTTP.
--issuer is the iss kube-apiserver sends (the signer signs no other); --base-url is where the
discovery document is fetched over HTTP, when that is not the issuer itself.
Usage: kube_apiserver_conformance.py --socket PATH --proto-dir DIR --issuer URL --vectors FILE
       [--base-url URL] [--expect-vector-signature]
Prints one line per check and a closing "conformance: N checks passed, M failed"; exits 1 on failure.
"""
import argparse
import base64
import hashlib
import json
import sys
import time
import urllib.request

import grpc
import jwt
from cryptography.hazmat.primitives.serialization import load_der_public_key
from externaljwt_stubs import b64url, generate_stubs

passed = 0
failed = 0


def check(ok, what):
    global passed, failed
    if ok:
        passed += 1
        print("ok   " + what)
    else:
        failed += 1
        print("FAIL " + what)
    return ok


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def kube_claims(issuer, lifetime=3600):
    """A payload the way kube-apiserver builds it: sorted keys at every level, aud always an array."""
    now = int(time.time())
    claims = {
        "aud": ["api://AzureADTokenExchange"], "exp": now + lifetime, "iat": now, "iss": issuer,
        "jti": "5ba1e2a5-6f4c-4d71-9a3b-0c3f2a1b7e10",
        "kubernetes.io": {"namespace": "myns", "node": {"name": "node-1", "uid": "node-1-uid"},
                          "pod": {"name": "mypod", "uid": "mypod-uid"},
                          "serviceaccount": {"name": "mysvcacct", "uid": "mysvcacct-uid"}},
        "nbf": now, "sub": "system:serviceaccount:myns:mysvcacct"}
    return b64url(json.dumps(claims, sort_keys=True, separators=(",", ":")).encode())


def conform(version, channel, args, vectors):
    pb2 = __import__(version + ".externaljwt_pb2", fromlist=["x"])
    grpc_pb2 = __import__(version + ".externaljwt_pb2_grpc", fromlist=["x"])
    stub = grpc_pb2.ExternalJWTSignerStub(channel)
    p = "[" + version + "] "

    md = stub.Metadata(pb2.MetadataRequest(), timeout=10)
    check(md.max_token_expiration_seconds >= 600, p + "Metadata max_token_expiration_seconds %d >= 600"
          % md.max_token_expiration_seconds)

    keys = stub.FetchKeys(pb2.FetchKeysRequest(), timeout=10)
    check(keys.refresh_hint_seconds > 0, p + "FetchKeys refresh_hint_seconds %d > 0" % keys.refresh_hint_seconds)
    check(len(keys.keys) > 0, p + "FetchKeys returns %d keys (not empty)" % len(keys.keys))
    ts = keys.data_timestamp
    # timestamppb CheckValid: seconds within [0001-01-01, 9999-12-31], nanos in [0, 1e9), and set.
    check(keys.HasField("data_timestamp") and -62135596800 <= ts.seconds <= 253402300799 and 0 <= ts.nanos < 10**9
          and ts.seconds > 0, p + "FetchKeys data_timestamp valid (%d.%09d)" % (ts.seconds, ts.nanos))
    known = {}
    for k in keys.keys:
        ok = 0 < len(k.key_id) <= 1024 and len(k.key) > 0
        try:
            load_der_public_key(k.key)
            parsed = True
        except Exception as e:  # noqa: BLE001 - any parse failure is a violation
            parsed = False
        check(ok and parsed, p + "key %s: id length ok, PKIX DER parses" % k.key_id)
        check(k.key_id == b64url(hashlib.sha256(k.key).digest()),
              p + "key %s: kid is base64url(SHA-256(SPKI DER)), as kube-apiserver computes it" % k.key_id)
        known[k.key_id] = k.exclude_from_oidc_discovery

    def sign_and_check(claims, label):
        resp = stub.Sign(pb2.SignJWTRequest(claims=claims), timeout=10)
        header = json.loads(b64url_decode(resp.header))
        check(set(header) == {"alg", "kid", "typ"}, p + label + ": header members are exactly alg, kid, typ")
        check(header.get("typ") == "JWT", p + label + ": typ is JWT")
        check(header.get("alg") in ("RS256", "ES256", "ES384", "ES512"), p + label + ": alg %s allowed" % header.get("alg"))
        kid = header.get("kid", "")
        check(0 < len(kid) <= 1024 and kid in known, p + label + ": kid %s is in FetchKeys" % kid)
        check(known.get(kid) is False, p + label + ": kid is not excluded from discovery")
        check(len(resp.signature) > 0, p + label + ": signature is not empty")
        return resp, resp.header + "." + claims + "." + resp.signature

    vector = vectors["external_signer_rs256"]
    resp, vector_token = sign_and_check(vector["SignJWTRequest.claims"], "vector claims")
    if args.expect_vector_signature:
        check(resp.header == vector["SignJWTResponse.header"] and resp.signature == vector["SignJWTResponse.signature"],
              p + "vector claims: header and RS256 signature byte-identical to the vector")

    # A relying party: discovery document, then its jwks_uri, both over HTTP.
    with urllib.request.urlopen((args.base_url or args.issuer).rstrip("/") + "/.well-known/openid-configuration") as r:
        discovery = json.load(r)
    check(discovery["issuer"] == args.issuer, p + "discovery issuer matches")
    jwks_client = jwt.PyJWKClient(discovery["jwks_uri"])

    _, fresh = sign_and_check(kube_claims(args.issuer), "fresh claims")
    key = jwks_client.get_signing_key_from_jwt(fresh)
    decoded = jwt.decode(fresh, key.key, algorithms=discovery["id_token_signing_alg_values_supported"],
                         audience="api://AzureADTokenExchange", issuer=args.issuer)
    check(decoded["sub"] == "system:serviceaccount:myns:mysvcacct", p + "PyJWT verifies the fresh token via discovery")

    key = jwks_client.get_signing_key_from_jwt(vector_token)
    jwt.decode(vector_token, key.key, algorithms=["RS256", "ES256", "ES384", "ES512"],
               options={"verify_exp": False, "verify_aud": False, "verify_iss": False, "verify_nbf": False,
                        "verify_iat": False})
    check(True, p + "PyJWT verifies the vector token's signature via the JWKS")

    # The advertised maximum is the signer's own bound: kube-apiserver caps every token (its extended
    # one-year tokens too) at it, so a token of exactly that lifetime is signed and one second more is not.
    longest = md.max_token_expiration_seconds
    sign_and_check(kube_claims(args.issuer, longest), "claims valid for max_token_expiration_seconds")
    for bad, label in (("not base64!", "non-base64url"), (b64url(b"not json"), "non-JSON"),
                       (b64url(b"[1,2]"), "a JSON array"),
                       (kube_claims("https://evil.example"), "a foreign iss"),
                       (kube_claims(args.issuer, longest + 1), "a lifetime over max_token_expiration_seconds")):
        try:
            stub.Sign(pb2.SignJWTRequest(claims=bad), timeout=10)
            check(False, p + "Sign refuses " + label)
        except grpc.RpcError as e:
            check(e.code() == grpc.StatusCode.INVALID_ARGUMENT, p + "Sign refuses %s with %s" % (label, e.code().name))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--socket", required=True)
    ap.add_argument("--proto-dir", required=True)
    ap.add_argument("--issuer", required=True)
    ap.add_argument("--vectors", required=True)
    ap.add_argument("--base-url")
    ap.add_argument("--expect-vector-signature", action="store_true")
    args = ap.parse_args()
    generate_stubs(args.proto_dir)
    with open(args.vectors) as f:
        vectors = json.load(f)
    # kube-apiserver dials the socket with authority "localhost" and no TLS.
    channel = grpc.insecure_channel("unix://" + args.socket, options=[("grpc.default_authority", "localhost")])
    for version in ("v1", "v1alpha1"):
        try:
            conform(version, channel, args, vectors)
        except Exception as e:  # noqa: BLE001 - report, then fail
            check(False, "[%s] unexpected error: %r" % (version, e))
    print("conformance: %d checks passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
