package io.kubeoidc.pem;

import io.kubeoidc.keys.EcCurve;
import io.kubeoidc.keys.PublicKeys;
import io.kubeoidc.keys.SigningKey;
import io.kubeoidc.keys.VerificationKey;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.spec.ECPrivateKeySpec;
import java.security.spec.RSAPrivateCrtKeySpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.bouncycastle.asn1.ASN1BitString;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.pkcs.RSAPrivateKey;
import org.bouncycastle.asn1.pkcs.RSAPublicKey;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.Certificate;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.ECNamedCurveTable;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.math.ec.ECPoint;

/**
 * Reads keys from PEM the way kube-apiserver does (client-go keyutil): the block type is ignored
 * and the DER is recognised by shape, in Go's order: PKCS#1 RSA private, PKCS#8 private, SPKI
 * public or X.509 certificate, SEC1 EC private. Unlike kube-apiserver, every block that yields no
 * key is reported with its reason instead of being skipped silently.
 */
public final class PemKeyReader {
    private PemKeyReader() {}

    static final String EC_PARAMETERS = "EC PARAMETERS";

    public static PemReadResult readFile(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new KeyFileException(file + ": cannot read: " + reason(e), e);
        }
        return read(file.toString(), bytes);
    }

    /** What went wrong, without repeating the path (NoSuchFileException's message is only the path). */
    public static String reason(IOException e) {
        if (e instanceof java.nio.file.NoSuchFileException) {
            return "no such file";
        }
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof java.nio.file.FileSystemException f && f.getReason() != null) {
            return f.getReason();
        }
        return e.getMessage();
    }

    public static PemReadResult read(String source, byte[] pem) {
        List<ParsedKey> keys = new ArrayList<>();
        List<SkippedBlock> skipped = new ArrayList<>();
        for (PemBlock block : PemBlock.decodeAll(new String(pem, StandardCharsets.ISO_8859_1))) {
            try {
                keys.add(parse(block));
            } catch (Skip s) {
                skipped.add(new SkippedBlock(block.index(), block.type(), s.getMessage()));
            }
        }
        return new PemReadResult(source, keys, skipped);
    }

    /** Thrown inside the reader for a block that yields no key; becomes a {@link SkippedBlock}. */
    private static final class Skip extends Exception {
        Skip(String reason) {
            super(reason, null, false, false);
        }
    }

    private static ParsedKey parse(PemBlock block) throws Skip {
        if (block.der() == null) {
            throw new Skip(block.problem());
        }
        if (block.encryptedHeader() || block.type().contains("ENCRYPTED")) {
            throw new Skip("encrypted key; decrypt it first (openssl pkey -in FILE -out PLAIN)");
        }
        if (block.type().startsWith("OPENSSH")) {
            throw new Skip("OpenSSH key format; convert it (ssh-keygen -p -m PEM -f FILE)");
        }
        ASN1Primitive der;
        try {
            der = ASN1Primitive.fromByteArray(block.der());
        } catch (IOException | RuntimeException e) {
            throw new Skip("not a DER key structure (garbage or truncated data)");
        }
        if (der instanceof ASN1ObjectIdentifier oid) {
            throw new Skip(EC_PARAMETERS + " (" + curveName(oid) + "), not a key");
        }
        if (!(der instanceof ASN1Sequence seq) || seq.size() < 2) {
            throw new Skip("not a DER key structure (garbage or truncated data)");
        }
        ASN1Encodable e0 = seq.getObjectAt(0);
        ASN1Encodable e1 = seq.getObjectAt(1);
        try {
            if (e0 instanceof ASN1Integer && seq.size() >= 9 && allIntegers(seq)) {
                return rsaPrivate(block, "PKCS#1", RSAPrivateKey.getInstance(seq));
            }
            if (e0 instanceof ASN1Integer && e1 instanceof ASN1Sequence && seq.size() >= 3
                    && seq.getObjectAt(2) instanceof ASN1OctetString) {
                return pkcs8(block, PrivateKeyInfo.getInstance(seq));
            }
            if (e0 instanceof ASN1Sequence && e1 instanceof ASN1BitString && seq.size() == 2) {
                return publicKey(block, "SPKI", SubjectPublicKeyInfo.getInstance(seq));
            }
            if (e0 instanceof ASN1Sequence && e1 instanceof ASN1Sequence && seq.size() == 3) {
                return publicKey(block, "X.509 certificate",
                        Certificate.getInstance(seq).getSubjectPublicKeyInfo());
            }
            if (e0 instanceof ASN1Integer && e1 instanceof ASN1OctetString) {
                return sec1(block, "SEC1", ECPrivateKey.getInstance(seq), null);
            }
            if (e0 instanceof ASN1Sequence && e1 instanceof ASN1OctetString && seq.size() == 2) {
                throw new Skip("encrypted PKCS#8 key; decrypt it first (openssl pkey -in FILE -out PLAIN)");
            }
            if (e0 instanceof ASN1Integer && seq.size() == 6 && allIntegers(seq)) {
                // version, p, q, g, y, x: what "openssl dsa" writes as DSA PRIVATE KEY
                throw new Skip("DSA key (OpenSSL's traditional format); " + ONLY_RSA_AND_ECDSA);
            }
            if (e0 instanceof ASN1Integer && e1 instanceof ASN1Integer && seq.size() == 2) {
                throw new Skip("PKCS#1 RSA PUBLIC KEY, which kube-apiserver does not read; convert it"
                        + " (openssl rsa -RSAPublicKey_in -in FILE -pubout)");
            }
        } catch (IllegalArgumentException | IllegalStateException | ClassCastException e) {
            throw new Skip("malformed key structure: " + e.getMessage());
        }
        throw new Skip("unrecognised DER structure; not a key kube-apiserver can read");
    }

    private static boolean allIntegers(ASN1Sequence seq) {
        for (ASN1Encodable e : seq) {
            if (!(e instanceof ASN1Integer)) {
                return false;
            }
        }
        return true;
    }

    private static ParsedKey pkcs8(PemBlock block, PrivateKeyInfo info) throws Skip {
        AlgorithmIdentifier alg = info.getPrivateKeyAlgorithm();
        ASN1ObjectIdentifier oid = alg.getAlgorithm();
        try {
            if (PKCSObjectIdentifiers.rsaEncryption.equals(oid)) {
                return rsaPrivate(block, "PKCS#8", RSAPrivateKey.getInstance(info.parsePrivateKey()));
            }
            if (X9ObjectIdentifiers.id_ecPublicKey.equals(oid)) {
                return sec1(block, "PKCS#8", ECPrivateKey.getInstance(info.parsePrivateKey()), alg.getParameters());
            }
        } catch (IOException e) {
            throw new Skip("malformed PKCS#8 key: " + e.getMessage());
        }
        throw new Skip(unsupportedAlgorithm(oid));
    }

    private static ParsedKey rsaPrivate(PemBlock block, String format, RSAPrivateKey k) throws Skip {
        checkRsaSize(k.getModulus());
        try {
            PrivateKey priv = KeyFactory.getInstance("RSA").generatePrivate(new RSAPrivateCrtKeySpec(
                    k.getModulus(), k.getPublicExponent(), k.getPrivateExponent(), k.getPrime1(), k.getPrime2(),
                    k.getExponent1(), k.getExponent2(), k.getCoefficient()));
            VerificationKey pub = VerificationKey.of(PublicKeys.rsa(k.getModulus(), k.getPublicExponent()));
            return privateKey(block, format + " RSA " + k.getModulus().bitLength(), new SigningKey(pub, priv));
        } catch (GeneralSecurityException e) {
            throw new Skip("invalid RSA private key: " + e.getMessage());
        }
    }

    private static ParsedKey sec1(PemBlock block, String format, ECPrivateKey k, ASN1Encodable outerParams)
            throws Skip {
        ASN1Encodable params = k.getParametersObject() != null ? k.getParametersObject() : outerParams;
        if (params == null) {
            throw new Skip("EC private key without curve parameters");
        }
        EcCurve curve = curve(params);
        BigInteger d = k.getKey();
        X9ECParameters x9 = curve.x9();
        if (d.signum() <= 0 || d.compareTo(x9.getN()) >= 0) {
            throw new Skip("EC private scalar out of range for " + curve.joseName());
        }
        // The public point is derived from d rather than trusted from the optional field.
        ECPoint q = x9.getG().multiply(d).normalize();
        try {
            PrivateKey priv = KeyFactory.getInstance("EC").generatePrivate(new ECPrivateKeySpec(d, curve.jcaSpec()));
            VerificationKey pub = VerificationKey.of(PublicKeys.ec(curve,
                    q.getAffineXCoord().toBigInteger(), q.getAffineYCoord().toBigInteger()));
            return privateKey(block, format + " EC " + curve.joseName(), new SigningKey(pub, priv));
        } catch (GeneralSecurityException e) {
            throw new Skip("invalid EC private key: " + e.getMessage());
        }
    }

    private static ParsedKey publicKey(PemBlock block, String format, SubjectPublicKeyInfo spki) throws Skip {
        ASN1ObjectIdentifier oid = spki.getAlgorithm().getAlgorithm();
        PublicKey key;
        String what;
        try {
            if (PKCSObjectIdentifiers.rsaEncryption.equals(oid)) {
                RSAPublicKey rsa = RSAPublicKey.getInstance(spki.parsePublicKey());
                checkRsaSize(rsa.getModulus());
                key = PublicKeys.rsa(rsa.getModulus(), rsa.getPublicExponent());
                what = "RSA " + rsa.getModulus().bitLength();
            } else if (X9ObjectIdentifiers.id_ecPublicKey.equals(oid)) {
                EcCurve curve = curve(spki.getAlgorithm().getParameters());
                ECPoint q = curve.x9().getCurve().decodePoint(spki.getPublicKeyData().getOctets()).normalize();
                key = PublicKeys.ec(curve, q.getAffineXCoord().toBigInteger(), q.getAffineYCoord().toBigInteger());
                what = "EC " + curve.joseName();
            } else {
                throw new Skip(unsupportedAlgorithm(oid));
            }
        } catch (IOException e) {
            throw new Skip("malformed public key: " + e.getMessage());
        }
        return new ParsedKey(block.index(), block.type(), format + " " + what, VerificationKey.of(key), Optional.empty());
    }

    private static ParsedKey privateKey(PemBlock block, String format, SigningKey key) {
        return new ParsedKey(block.index(), block.type(), format, key.verificationKey(), Optional.of(key));
    }

    private static void checkRsaSize(BigInteger modulus) throws Skip {
        if (modulus.bitLength() < PublicKeys.MIN_RSA_BITS) {
            throw new Skip("RSA key of " + modulus.bitLength() + " bits is below the "
                    + PublicKeys.MIN_RSA_BITS + "-bit minimum");
        }
    }

    /** Named-curve OID, or explicit parameters that equal one of the supported curves. */
    private static EcCurve curve(ASN1Encodable params) throws Skip {
        if (params instanceof ASN1ObjectIdentifier oid) {
            return EcCurve.byOid(oid).orElseThrow(() -> new Skip("unsupported curve " + curveName(oid)
                    + "; kube-apiserver accepts P-256, P-384 and P-521"));
        }
        try {
            X9ECParameters explicit = X9ECParameters.getInstance(params);
            return EcCurve.of(explicit).orElseThrow(() -> new Skip(
                    "unsupported curve (explicit parameters); kube-apiserver accepts P-256, P-384 and P-521"));
        } catch (IllegalArgumentException e) {
            throw new Skip("unreadable EC curve parameters");
        }
    }

    private static String curveName(ASN1ObjectIdentifier oid) {
        String name = ECNamedCurveTable.getName(oid);
        return name == null ? oid.getId() : name + " (" + oid.getId() + ")";
    }

    private static final String ONLY_RSA_AND_ECDSA = "kube-apiserver signs and verifies only RSA and ECDSA (P-256, P-384, P-521)";

    private static String unsupportedAlgorithm(ASN1ObjectIdentifier oid) {
        if (EdECObjectIdentifiers.id_Ed25519.equals(oid)) {
            return "Ed25519 key; " + ONLY_RSA_AND_ECDSA;
        }
        if (EdECObjectIdentifiers.id_Ed448.equals(oid)) {
            return "Ed448 key; " + ONLY_RSA_AND_ECDSA;
        }
        if (X9ObjectIdentifiers.id_dsa.equals(oid)) {
            return "DSA key; " + ONLY_RSA_AND_ECDSA;
        }
        if (PKCSObjectIdentifiers.id_RSASSA_PSS.equals(oid)) {
            // Go's x509 parses RSA keys only under the rsaEncryption OID.
            return "RSASSA-PSS key (OID " + oid.getId() + "); kube-apiserver reads RSA keys only with the rsaEncryption"
                    + " OID, as openssl genrsa writes them";
        }
        return "unsupported key algorithm " + oid.getId() + "; kube-apiserver accepts RSA and ECDSA";
    }
}
