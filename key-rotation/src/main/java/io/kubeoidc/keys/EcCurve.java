package io.kubeoidc.keys;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.util.Arrays;
import java.util.Optional;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.crypto.ec.CustomNamedCurves;

/** The three curves kube-apiserver signs and verifies with (jwt.go: "must be 256, 384, or 521"). */
public enum EcCurve {
    P_256("P-256", "secp256r1", X9ObjectIdentifiers.prime256v1, 32, JWSAlgorithm.ES256, Curve.P_256),
    P_384("P-384", "secp384r1", SECObjectIdentifiers.secp384r1, 48, JWSAlgorithm.ES384, Curve.P_384),
    P_521("P-521", "secp521r1", SECObjectIdentifiers.secp521r1, 66, JWSAlgorithm.ES512, Curve.P_521);

    private final String joseName;
    private final String secName;
    private final ASN1ObjectIdentifier oid;
    private final int coordinateBytes;
    private final JWSAlgorithm algorithm;
    private final Curve nimbusCurve;
    private volatile ECParameterSpec jcaSpec;

    EcCurve(String joseName, String secName, ASN1ObjectIdentifier oid, int coordinateBytes,
            JWSAlgorithm algorithm, Curve nimbusCurve) {
        this.joseName = joseName;
        this.secName = secName;
        this.oid = oid;
        this.coordinateBytes = coordinateBytes;
        this.algorithm = algorithm;
        this.nimbusCurve = nimbusCurve;
    }

    public String joseName() { return joseName; }
    public String secName() { return secName; }
    public ASN1ObjectIdentifier oid() { return oid; }
    /** Fixed coordinate length: go-jose pads x and y to this many bytes. */
    public int coordinateBytes() { return coordinateBytes; }
    public JWSAlgorithm algorithm() { return algorithm; }
    public Curve nimbusCurve() { return nimbusCurve; }
    public int fieldBits() { return jcaSpec().getCurve().getField().getFieldSize(); }

    /** BouncyCastle's curve, for point arithmetic the JDK does not expose (d·G, compressed points). */
    public X9ECParameters x9() { return CustomNamedCurves.getByOID(oid); }

    /** JDK parameters backed by the named curve, so encodings use the curve OID. */
    public ECParameterSpec jcaSpec() {
        ECParameterSpec spec = jcaSpec;
        if (spec == null) {
            try {
                AlgorithmParameters params = AlgorithmParameters.getInstance("EC");
                params.init(new ECGenParameterSpec(secName));
                spec = params.getParameterSpec(ECParameterSpec.class);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("JDK does not support " + secName, e);
            }
            jcaSpec = spec;
        }
        return spec;
    }

    public static Optional<EcCurve> byOid(ASN1ObjectIdentifier oid) {
        return Arrays.stream(values()).filter(c -> c.oid.equals(oid)).findFirst();
    }

    /** Matches JDK parameters by value, so explicit-parameter keys map to their named curve. */
    public static Optional<EcCurve> of(ECParameterSpec spec) {
        for (EcCurve c : values()) {
            ECParameterSpec named = c.jcaSpec();
            if (named.getOrder().equals(spec.getOrder())
                    && named.getCurve().equals(spec.getCurve())
                    && named.getGenerator().equals(spec.getGenerator())) {
                return Optional.of(c);
            }
        }
        return Optional.empty();
    }

    /** Matches BouncyCastle parameters by value (explicit ECParameters in an SPKI). */
    public static Optional<EcCurve> of(X9ECParameters explicit) {
        for (EcCurve c : values()) {
            X9ECParameters named = c.x9();
            if (named.getN().equals(explicit.getN())
                    && named.getCurve().equals(explicit.getCurve())
                    && Arrays.equals(named.getG().getEncoded(false), explicit.getG().getEncoded(false))) {
                return Optional.of(c);
            }
        }
        return Optional.empty();
    }
}
