#!/usr/bin/python3
"""Sends malformed requests to our ExternalJWTSigner from outside the JVM and reports what came back.

An independent client (grpcio, stubs generated from our proto files with grpc_tools, as
kube_apiserver_conformance.py does). It judges nothing: BadRequestIT holds the expected answers.
Prints one JSON object per line:
  {"case": NAME, "code": "INVALID_ARGUMENT", "details": "...", "sent": "...", "bytes": N}
"code" is "OK" when the call succeeded; "sent" is a part of the request that must never reach the
service log (the claims, or a distinctive piece of them); "bytes" is the size of the request message.
Usage: bad_signer_requests.py --socket PATH --proto-dir DIR --issuer URL
(--issuer: the signer's own issuer, for claims that are right but for one thing)
"""
import argparse
import base64
import json
import time

import grpc
from externaljwt_stubs import b64url, generate_stubs


def report(case, call, sent, size):
    try:
        call()
        code, details = "OK", ""
    except grpc.RpcError as e:
        code, details = e.code().name, e.details() or ""
    print(json.dumps({"case": case, "code": code, "details": details, "sent": sent, "bytes": size}), flush=True)


def claims(**members):
    return b64url(json.dumps(members, sort_keys=True, separators=(",", ":")).encode())


def sign_cases(issuer):
    """Claims kube-apiserver would never send. Each carries a canary so the log check is meaningful."""
    now = int(time.time())
    over_limit = "A" * 70000  # valid characters, under the gRPC limit, over the claims limit
    return [
        ("sign: not base64url", "not base64! canary", "not base64! canary"),
        ("sign: padded base64url", b64url(b'{"sub":"canary-padded"}') + "=", "canary-padded"),
        # Standard base64 alphabet: '?>' encodes to '/' and '+', which base64url never contains.
        ("sign: standard base64 alphabet", base64.b64encode(b'{"s":"??>>"}').decode(), "eyJzIjoiPz8+Pi"),
        ("sign: line break inside", b64url(b'{"sub":"canary-newline"}')[:8] + "\n" + b64url(b'{"sub":"canary-newline"}')[8:],
         "canary-newline"),
        ("sign: non-ASCII character", b64url(b'{"sub":"canary-unicode"}') + "\u00e9", "canary-unicode"),
        # 24 bytes encode to 32 characters; one more makes a length no base64 has.
        ("sign: impossible length", b64url(b'{"sub":"canary-lengths"}') + "A", "canary-lengths"),
        # A whole token where only its claims belong: the first '.' follows the 19-character header.
        ("sign: a whole JWT", b64url(b'{"alg":"none"}') + "." + b64url(b'{"sub":"canary-jwt"}') + ".", "canary-jwt"),
        ("sign: not JSON", b64url(b"canary-not-json"), "canary-not-json"),
        ("sign: JSON array", b64url(b'["canary-array"]'), "canary-array"),
        ("sign: JSON number", b64url(b"4242424242"), "4242424242"),
        ("sign: JSON string", b64url(b'"canary-string"'), "canary-string"),
        ("sign: truncated JSON object", b64url(b'{"sub":"canary-truncated"'), "canary-truncated"),
        ("sign: malformed JSON object", b64url(b'{"sub" "canary-malformed"}'), "canary-malformed"),
        ("sign: invalid UTF-8", b64url(b'{"sub":"canary-utf8-\xff\xfe"}'), "canary-utf8"),
        ("sign: duplicate claim", b64url(b'{"sub":"a","sub":"canary-duplicate"}'), "canary-duplicate"),
        ("sign: nested 20000 deep", b64url(b'{"canary-deep":' + b"[" * 20000 + b"]" * 20000 + b"}"), "canary-deep"),
        ("sign: empty claims", "", ""),
        ("sign: claims over 64 KiB", over_limit, over_limit[:64]),
        # Well-formed claims that kube-apiserver would still never send: someone else is minting tokens.
        ("sign: foreign iss", claims(iss="https://evil.example/canary-iss", iat=now, exp=now + 600,
                                     sub="system:serviceaccount:kube-system:admin"), "evil.example/canary-iss"),
        ("sign: issuer with a trailing slash", claims(iss=issuer + "/", iat=now, exp=now + 600, sub="canary-slash"),
         "canary-slash"),
        ("sign: missing iss", claims(iat=now, exp=now + 600, sub="canary-no-iss"), "canary-no-iss"),
        ("sign: missing exp", claims(iss=issuer, iat=now, sub="canary-no-exp"), "canary-no-exp"),
        ("sign: missing iat", claims(iss=issuer, exp=now + 600, sub="canary-no-iat"), "canary-no-iat"),
        ("sign: exp as a string", claims(iss=issuer, iat=now, exp=str(now + 600), sub="canary-exp-string"),
         "canary-exp-string"),
        ("sign: exp before iat", claims(iss=issuer, iat=now, exp=now - 600, sub="canary-backwards"), "canary-backwards"),
        # The incident: a valid issuer and a ten-year lifetime.
        ("sign: ten-year lifetime", claims(iss=issuer, iat=now, exp=now + 10 * 365 * 86400, sub="canary-ten-years"),
         str(now + 10 * 365 * 86400)),
        # One second over the advertised max_token_expiration_seconds (24h by default).
        ("sign: one second over the maximum lifetime", claims(iss=issuer, iat=now, exp=now + 86401,
                                                              sub="canary-one-second"), "canary-one-second"),
    ]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--socket", required=True)
    ap.add_argument("--proto-dir", required=True)
    ap.add_argument("--issuer", required=True)
    args = ap.parse_args()
    generate_stubs(args.proto_dir)
    import v1.externaljwt_pb2 as v1
    import v1.externaljwt_pb2_grpc as v1_grpc
    import v1alpha1.externaljwt_pb2 as v1alpha1
    import v1alpha1.externaljwt_pb2_grpc as v1alpha1_grpc

    # As kube-apiserver dials it: authority "localhost", no TLS. The client may send more than the
    # server accepts, so the server's own limit is what answers.
    channel = grpc.insecure_channel("unix://" + args.socket, options=[
        ("grpc.default_authority", "localhost"), ("grpc.max_send_message_length", 8 * 1024 * 1024)])
    stub = v1_grpc.ExternalJWTSignerStub(channel)
    alpha = v1alpha1_grpc.ExternalJWTSignerStub(channel)

    def sign(case, api, pb2, claims, sent):
        request = pb2.SignJWTRequest(claims=claims)
        report(case, lambda: api.Sign(request, timeout=10), sent, request.ByteSize())

    for case, case_claims, sent in sign_cases(args.issuer):
        sign(case, stub, v1, case_claims, sent)
    sign("sign (v1alpha1): not JSON", alpha, v1alpha1, b64url(b"canary-alpha-not-json"), "canary-alpha-not-json")
    sign("sign: claims over the gRPC message limit", stub, v1,
         b64url(b'{"sub":"canary-huge","pad":"' + b"x" * 300000 + b'"}'), "canary-huge")

    # Raw bytes, bypassing the generated serializers.
    def raw(case, method, body):
        call = channel.unary_unary(method, request_serializer=lambda b: b, response_deserializer=lambda b: b)
        report(case, lambda: call(body, timeout=10), "", len(body))

    raw("unknown method", "/v1.ExternalJWTSigner/Nope", b"")
    raw("unknown service", "/v2.ExternalJWTSigner/Sign", b"")
    raw("unknown package", "/externaljwt.v1.ExternalJWTSigner/Sign", b"")
    raw("fetchkeys: garbage request body", "/v1.ExternalJWTSigner/FetchKeys", b"\xff\xff\xff\xff")
    raw("fetchkeys (v1alpha1): garbage request body", "/v1alpha1.ExternalJWTSigner/FetchKeys", b"\xff\xff\xff\xff")
    raw("metadata: garbage request body", "/v1.ExternalJWTSigner/Metadata", b"\x0a\xff")
    # Field 1 (claims) length-delimited, but its bytes are not UTF-8, which proto3 strings must be.
    raw("sign: claims field not UTF-8", "/v1.ExternalJWTSigner/Sign", b"\x0a\x03\xff\xfe\xfd")
    # Field 1 with the varint wire type: protobuf keeps it as an unknown field, so the claims are empty.
    raw("sign: claims field with the wrong wire type", "/v1.ExternalJWTSigner/Sign", b"\x08\x01")


if __name__ == "__main__":
    main()
