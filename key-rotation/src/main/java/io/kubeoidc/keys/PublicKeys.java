package io.kubeoidc.keys;

import java.io.IOException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.RSAPublicKeySpec;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;

/**
 * Canonical public keys. Go re-encodes an SPKI from the parsed key before hashing it into the kid
 * (named curve, uncompressed point), so we never hash the bytes a file happened to contain.
 */
public final class PublicKeys {
    private PublicKeys() {}

    /** Minimum RSA modulus we accept; below it a key is refused with a message. */
    public static final int MIN_RSA_BITS = 2048;

    public static RSAPublicKey rsa(BigInteger modulus, BigInteger exponent) {
        try {
            return (RSAPublicKey) KeyFactory.getInstance("RSA").generatePublic(new RSAPublicKeySpec(modulus, exponent));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("invalid RSA public key: " + e.getMessage(), e);
        }
    }

    public static ECPublicKey ec(EcCurve curve, BigInteger x, BigInteger y) {
        try {
            return (ECPublicKey) KeyFactory.getInstance("EC")
                    .generatePublic(new ECPublicKeySpec(new ECPoint(x, y), curve.jcaSpec()));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("invalid EC public key: " + e.getMessage(), e);
        }
    }

    public static EcCurve curveOf(ECPublicKey key) {
        return EcCurve.of(key.getParams()).orElseThrow(() ->
                new IllegalArgumentException("unsupported EC curve; kube-apiserver accepts P-256, P-384 and P-521"));
    }

    /** DER SubjectPublicKeyInfo exactly as Go's x509.MarshalPKIXPublicKey writes it. */
    public static byte[] canonicalSpki(PublicKey key) {
        try {
            if (key instanceof RSAPublicKey rsa) {
                var rsaKey = new org.bouncycastle.asn1.pkcs.RSAPublicKey(rsa.getModulus(), rsa.getPublicExponent());
                var alg = new AlgorithmIdentifier(PKCSObjectIdentifiers.rsaEncryption, DERNull.INSTANCE);
                return new SubjectPublicKeyInfo(alg, rsaKey).getEncoded("DER");
            }
            if (key instanceof ECPublicKey ec) {
                EcCurve curve = curveOf(ec);
                var alg = new AlgorithmIdentifier(X9ObjectIdentifiers.id_ecPublicKey, curve.oid());
                return new SubjectPublicKeyInfo(alg, uncompressedPoint(curve, ec.getW())).getEncoded("DER");
            }
        } catch (IOException e) {
            throw new IllegalStateException("DER encoding failed", e);
        }
        throw new IllegalArgumentException("unsupported key type " + key.getAlgorithm()
                + "; kube-apiserver accepts RSA and ECDSA keys");
    }

    /** SEC1 uncompressed point 0x04||X||Y, coordinates padded to the curve size. */
    public static byte[] uncompressedPoint(EcCurve curve, ECPoint w) {
        int n = curve.coordinateBytes();
        byte[] out = new byte[1 + 2 * n];
        out[0] = 0x04;
        copyFixed(w.getAffineX(), out, 1, n);
        copyFixed(w.getAffineY(), out, 1 + n, n);
        return out;
    }

    private static void copyFixed(BigInteger value, byte[] out, int offset, int len) {
        byte[] raw = value.toByteArray();
        int start = raw.length > len ? raw.length - len : 0; // drop sign byte
        int count = raw.length - start;
        if (count > len) {
            throw new IllegalArgumentException("coordinate longer than " + len + " bytes");
        }
        System.arraycopy(raw, start, out, offset + len - count, count);
    }
}
