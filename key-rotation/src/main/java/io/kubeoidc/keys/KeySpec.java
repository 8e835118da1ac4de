package io.kubeoidc.keys;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** What to generate. RSA of any size signs RS256; each curve has its own ES algorithm. */
public enum KeySpec {
    RSA_2048("RSA-2048", 2048, null),
    RSA_3072("RSA-3072", 3072, null),
    RSA_4096("RSA-4096", 4096, null),
    EC_P256("EC-P256", 0, EcCurve.P_256),
    EC_P384("EC-P384", 0, EcCurve.P_384),
    EC_P521("EC-P521", 0, EcCurve.P_521);

    /** Entra ID accepts only RS256, so this is the default everywhere. */
    public static final KeySpec DEFAULT = RSA_2048;

    private final String label;
    private final int rsaBits;
    private final EcCurve curve;

    KeySpec(String label, int rsaBits, EcCurve curve) {
        this.label = label;
        this.rsaBits = rsaBits;
        this.curve = curve;
    }

    public String label() { return label; }

    /** Modulus size of an RSA spec; 0 for a curve. */
    public int rsaBits() { return rsaBits; }

    public String jwsAlgorithm() { return curve == null ? "RS256" : curve.algorithm().getName(); }

    public KeyPair generate(SecureRandom random) {
        try {
            if (curve == null) {
                KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
                g.initialize(rsaBits, random);
                return g.generateKeyPair();
            }
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec(curve.secName()), random);
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot generate " + label, e);
        }
    }

    /**
     * Accepts "RSA-2048", "rsa2048", "EC-P256", "P-256", and the JWS names: "RS256" means RSA-2048,
     * "ES256"/"ES384"/"ES512" mean the matching curve.
     */
    public static KeySpec parse(String text) {
        String t = text == null ? "" : text.trim().toUpperCase(Locale.ROOT).replace("_", "-");
        String compact = t.replace("-", "");
        for (KeySpec s : values()) {
            if (s.label.replace("-", "").equals(compact)) {
                return s;
            }
        }
        switch (compact) {
            case "RS256": case "RSA": return RSA_2048;
            case "ES256": case "P256": case "EC": return EC_P256;
            case "ES384": case "P384": return EC_P384;
            case "ES512": case "P521": return EC_P521;
            default:
                throw new IllegalArgumentException("unknown key algorithm '" + text + "'; use one of "
                        + Arrays.stream(values()).map(KeySpec::label).collect(Collectors.joining(", "))
                        + " (or RS256, ES256, ES384, ES512)");
        }
    }
}
