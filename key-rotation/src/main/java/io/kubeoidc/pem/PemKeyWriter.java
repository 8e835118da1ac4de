package io.kubeoidc.pem;

import io.kubeoidc.keys.PublicKeys;
import io.kubeoidc.keys.SigningKey;
import io.kubeoidc.keys.VerificationKey;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.util.Base64;
import java.util.Collection;
import org.bouncycastle.asn1.DERBitString;
import org.bouncycastle.asn1.pkcs.RSAPrivateKey;

/**
 * Writes keys in the formats kube-apiserver reads everywhere: SPKI "PUBLIC KEY", PKCS#1 "RSA PRIVATE
 * KEY" and SEC1 "EC PRIVATE KEY" with the curve OID (not PKCS#8, which --service-account-key-file
 * does not accept for EC).
 */
public final class PemKeyWriter {
    private PemKeyWriter() {}

    public static byte[] publicKeys(Collection<VerificationKey> keys) {
        StringBuilder out = new StringBuilder();
        for (VerificationKey k : keys) {
            block(out, "PUBLIC KEY", k.spkiDer());
        }
        return out.toString().getBytes(StandardCharsets.US_ASCII);
    }

    public static byte[] privateKey(SigningKey key) {
        StringBuilder out = new StringBuilder();
        try {
            if (key.privateKey() instanceof RSAPrivateCrtKey k) {
                block(out, "RSA PRIVATE KEY", new RSAPrivateKey(k.getModulus(), k.getPublicExponent(),
                        k.getPrivateExponent(), k.getPrimeP(), k.getPrimeQ(), k.getPrimeExponentP(),
                        k.getPrimeExponentQ(), k.getCrtCoefficient()).getEncoded("DER"));
            } else if (key.privateKey() instanceof ECPrivateKey k) {
                ECPublicKey pub = (ECPublicKey) key.verificationKey().publicKey();
                var curve = PublicKeys.curveOf(pub);
                byte[] uncompressed = PublicKeys.uncompressedPoint(curve, pub.getW());
                block(out, "EC PRIVATE KEY", new org.bouncycastle.asn1.sec.ECPrivateKey(
                        curve.x9().getN().bitLength(), k.getS(), new DERBitString(uncompressed), curve.oid())
                        .getEncoded("DER"));
            } else {
                throw new IllegalArgumentException("unsupported private key " + key.privateKey().getAlgorithm());
            }
        } catch (IOException e) {
            throw new IllegalStateException("DER encoding failed", e);
        }
        return out.toString().getBytes(StandardCharsets.US_ASCII);
    }

    private static void block(StringBuilder out, String type, byte[] der) {
        out.append("-----BEGIN ").append(type).append("-----\n");
        out.append(Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)).append('\n');
        out.append("-----END ").append(type).append("-----\n");
    }
}
