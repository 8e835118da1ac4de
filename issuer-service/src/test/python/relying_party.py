#!/usr/bin/env python3
"""A relying party (as Entra ID or AWS IAM): verifies each token through its issuer's published documents only.

For every token file: take iss from the token, fetch iss (trailing slash removed) + /.well-known/openid-configuration,
require the document's issuer to equal iss exactly, fetch its jwks_uri with PyJWT's PyJWKClient, and verify the
signature, iss and aud with PyJWT. Prints one line per token; exits 1 if any token does not verify.
"""
import argparse
import json
import sys
import urllib.request

import jwt


def verify(token, audience):
    iss = jwt.decode(token, options={"verify_signature": False})["iss"]
    with urllib.request.urlopen(iss.rstrip("/") + "/.well-known/openid-configuration", timeout=30) as r:
        discovery = json.load(r)
    if discovery["issuer"] != iss:
        raise ValueError("discovery issuer %r is not the token's iss %r" % (discovery["issuer"], iss))
    key = jwt.PyJWKClient(discovery["jwks_uri"], cache_keys=False).get_signing_key_from_jwt(token)
    jwt.decode(token, key.key, algorithms=discovery["id_token_signing_alg_values_supported"], audience=audience,
               issuer=iss)
    return iss, discovery["jwks_uri"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--audience", default="api://AzureADTokenExchange")
    ap.add_argument("tokens", nargs="+")
    args = ap.parse_args()
    failed = 0
    for path in args.tokens:
        with open(path) as f:
            token = f.read().strip()
        try:
            iss, jwks_uri = verify(token, args.audience)
            print("VERIFIED %s iss=%s jwks_uri=%s" % (path, iss, jwks_uri))
        except Exception as e:  # any failure is a finding for this token
            failed += 1
            print("REFUSED %s: %s: %s" % (path, type(e).__name__, e))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
