package io.kubeoidc.documents;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import io.kubeoidc.keys.VerificationKey;
import java.util.List;

/**
 * The JWKS exactly as kube-apiserver serves it: {"keys":[...]} in input order, each key with the
 * members go-jose writes, in go-jose's order (use, kty, kid, crv, alg, x, y, n, e). The member
 * values come from Nimbus, which pads EC coordinates to the curve size as go-jose does.
 */
public final class JwksDocument {
    private JwksDocument() {}

    public static byte[] render(List<VerificationKey> keys) {
        GoJson json = new GoJson().beginObject().name("keys").beginArray();
        for (VerificationKey key : keys) {
            JWK jwk = key.toJwk();
            json.beginObject()
                    .member("use", jwk.getKeyUse().getValue())
                    .member("kty", jwk.getKeyType().getValue())
                    .member("kid", jwk.getKeyID());
            if (jwk instanceof ECKey ec) {
                json.member("crv", ec.getCurve().getName())
                        .member("alg", jwk.getAlgorithm().getName())
                        .member("x", ec.getX().toString())
                        .member("y", ec.getY().toString());
            } else {
                RSAKey rsa = (RSAKey) jwk;
                json.member("alg", jwk.getAlgorithm().getName())
                        .member("n", rsa.getModulus().toString())
                        .member("e", rsa.getPublicExponent().toString());
            }
            json.endObject();
        }
        return json.endArray().endObject().toBytes();
    }
}
