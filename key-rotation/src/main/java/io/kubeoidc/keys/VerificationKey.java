package io.kubeoidc.keys;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.util.Objects;

/** A public key as it is published: kid and alg follow kube-apiserver's rules. */
public record VerificationKey(String kid, JWSAlgorithm algorithm, PublicKey publicKey) {

    public VerificationKey {
        Objects.requireNonNull(kid, "kid");
        Objects.requireNonNull(algorithm, "algorithm");
        Objects.requireNonNull(publicKey, "publicKey");
    }

    /** Canonicalises the key (named curve) and derives kid and alg from it. */
    public static VerificationKey of(PublicKey key) {
        PublicKey canonical;
        JWSAlgorithm alg;
        if (key instanceof RSAPublicKey rsa) {
            if (rsa.getModulus().bitLength() < PublicKeys.MIN_RSA_BITS) {
                throw new IllegalArgumentException("RSA key of " + rsa.getModulus().bitLength()
                        + " bits is below the " + PublicKeys.MIN_RSA_BITS + "-bit minimum");
            }
            canonical = PublicKeys.rsa(rsa.getModulus(), rsa.getPublicExponent());
            alg = JWSAlgorithm.RS256; // kube-apiserver: "Today we only support RS256"
        } else if (key instanceof ECPublicKey ec) {
            EcCurve curve = PublicKeys.curveOf(ec);
            canonical = PublicKeys.ec(curve, ec.getW().getAffineX(), ec.getW().getAffineY());
            alg = curve.algorithm();
        } else {
            throw new IllegalArgumentException("unsupported key type " + key.getAlgorithm()
                    + "; kube-apiserver accepts RSA and ECDSA keys");
        }
        return new VerificationKey(Kid.of(canonical), alg, canonical);
    }

    public byte[] spkiDer() {
        return PublicKeys.canonicalSpki(publicKey);
    }

    /** "RSA", "EC". */
    public String keyType() {
        return publicKey instanceof RSAPublicKey ? "RSA" : "EC";
    }

    /** "2048" for RSA, "P-256" for EC. */
    public String size() {
        if (publicKey instanceof RSAPublicKey rsa) {
            return Integer.toString(rsa.getModulus().bitLength());
        }
        return PublicKeys.curveOf((ECPublicKey) publicKey).joseName();
    }

    /** The Nimbus JWK with use=sig, kid and alg, as kube-apiserver publishes it. */
    public JWK toJwk() {
        if (publicKey instanceof RSAPublicKey rsa) {
            return new RSAKey.Builder(rsa).keyUse(KeyUse.SIGNATURE).keyID(kid).algorithm(algorithm).build();
        }
        ECPublicKey ec = (ECPublicKey) publicKey;
        return new ECKey.Builder(PublicKeys.curveOf(ec).nimbusCurve(), ec)
                .keyUse(KeyUse.SIGNATURE).keyID(kid).algorithm(algorithm).build();
    }

    @Override
    public String toString() {
        return "VerificationKey[kid=" + kid + ", alg=" + algorithm + ", " + keyType() + " " + size() + "]";
    }
}
