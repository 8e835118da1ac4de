package io.kubeoidc.sealing;

import com.nimbusds.jose.EncryptionMethod;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWEAlgorithm;
import com.nimbusds.jose.JWEHeader;
import com.nimbusds.jose.JWEObject;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.DirectDecrypter;
import com.nimbusds.jose.crypto.DirectEncrypter;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.MACVerifier;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;

/**
 * AES-256-GCM under the {@link KeyEncryptionKey}, as a compact JWE (alg dir, enc A256GCM) made by Nimbus:
 * a fresh 96-bit IV per seal, and a protected header (which GCM authenticates) naming the key-encryption
 * key and the slot the value belongs to. Opening checks both, so a value copied to another slot (another
 * kid's entry) or sealed under another key is refused rather than used.
 */
public final class SealedBox {
    static final String SLOT = "slot";

    private final KeyEncryptionKey kek;
    private final byte[] macKey;

    public SealedBox(KeyEncryptionKey kek) {
        this.kek = kek;
        this.macKey = kek.derive("kube-oidc-issuer metadata authentication");
    }

    /**
     * Authenticates public data that stays readable (the key-set metadata): a compact JWS, HS256 under a
     * key derived from the key-encryption key. Deterministic, so equal data gives equal bytes on every replica.
     * Without it, anyone with write access to etcd could add a public key of their own to the JWKS.
     */
    public byte[] authenticate(byte[] payload, String slot) {
        JWSObject jws = new JWSObject(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID(kek.id()).customParam(SLOT, slot).build(),
                new Payload(payload));
        try {
            jws.sign(new MACSigner(macKey));
        } catch (JOSEException e) {
            throw new IllegalStateException("HS256 failed: " + e.getMessage(), e);
        }
        return jws.serialize().getBytes(StandardCharsets.US_ASCII);
    }

    /** The payload of {@link #authenticate}, after checking key, slot and MAC. */
    public byte[] verify(byte[] authenticated, String slot) {
        JWSObject jws;
        try {
            jws = JWSObject.parse(new String(authenticated, StandardCharsets.US_ASCII));
        } catch (ParseException e) {
            throw new SealedBoxException(slot + " is not an authenticated value: " + e.getMessage(), e);
        }
        JWSHeader h = jws.getHeader();
        requireOurKey(h.getKeyID(), slot, "authenticated");
        try {
            if (!JWSAlgorithm.HS256.equals(h.getAlgorithm()) || !slot.equals(h.getCustomParam(SLOT))
                    || !jws.verify(new MACVerifier(macKey))) {
                throw new SealedBoxException(slot + " failed its integrity check: it was written or changed without"
                        + " the key-encryption key", null);
            }
        } catch (JOSEException e) {
            throw new SealedBoxException(slot + " cannot be verified: " + e.getMessage(), e);
        }
        return jws.getPayload().toBytes();
    }

    /** The payload of {@link #authenticate} without checking it: for read-only displays that hold no key. */
    public static byte[] unverifiedPayload(byte[] authenticated) {
        try {
            return JWSObject.parse(new String(authenticated, StandardCharsets.US_ASCII)).getPayload().toBytes();
        } catch (ParseException e) {
            throw new SealedBoxException("not an authenticated value: " + e.getMessage(), e);
        }
    }

    public String keyId() {
        return kek.id();
    }

    /** The id of the key-encryption key a sealed or authenticated value names (unverified), or null. */
    public static String keyIdOf(byte[] value) {
        String text = new String(value, StandardCharsets.US_ASCII);
        int dot = text.indexOf('.');
        try {
            return com.nimbusds.jose.Header.parse(new com.nimbusds.jose.util.Base64URL(dot < 0 ? text : text.substring(0, dot)))
                    .toJSONObject().getOrDefault("kid", "").toString();
        } catch (ParseException | RuntimeException e) {
            return null;
        }
    }

    public byte[] seal(byte[] plaintext, String slot) {
        JWEHeader header = new JWEHeader.Builder(JWEAlgorithm.DIR, EncryptionMethod.A256GCM)
                .keyID(kek.id()).customParam(SLOT, slot).build();
        JWEObject jwe = new JWEObject(header, new Payload(plaintext));
        try {
            jwe.encrypt(new DirectEncrypter(kek.secretKey()));
        } catch (JOSEException e) {
            throw new IllegalStateException("AES-GCM sealing failed: " + e.getMessage(), e);
        }
        return jwe.serialize().getBytes(StandardCharsets.US_ASCII);
    }

    public byte[] open(byte[] sealed, String slot) {
        JWEObject jwe;
        try {
            jwe = JWEObject.parse(new String(sealed, StandardCharsets.US_ASCII));
        } catch (ParseException e) {
            throw new SealedBoxException(slot + " is not a sealed value: " + e.getMessage(), e);
        }
        JWEHeader h = jwe.getHeader();
        if (!JWEAlgorithm.DIR.equals(h.getAlgorithm()) || !EncryptionMethod.A256GCM.equals(h.getEncryptionMethod())) {
            throw new SealedBoxException(slot + " is sealed with " + h.getAlgorithm() + "/" + h.getEncryptionMethod()
                    + "; expected dir/A256GCM", null);
        }
        requireOurKey(h.getKeyID(), slot, "sealed");
        if (!slot.equals(h.getCustomParam(SLOT))) {
            throw new SealedBoxException(slot + " holds a value sealed for " + h.getCustomParam(SLOT)
                    + "; refusing a value moved between slots", null);
        }
        try {
            jwe.decrypt(new DirectDecrypter(kek.secretKey()));
        } catch (JOSEException e) {
            throw new SealedBoxException(slot + " failed authentication (tampered, or truncated): " + e.getMessage(), e);
        }
        return jwe.getPayload().toBytes();
    }

    private void requireOurKey(String keyId, String slot, String how) {
        if (!kek.id().equals(keyId)) {
            throw new SealedBoxException(slot + " was " + how + " with key-encryption key " + keyId
                    + ", but the configured key is " + kek.id() + "; every replica needs the same"
                    + " issuer.keys.encryption-key-file", null);
        }
    }
}
