package io.kubeoidc.sealing;

import com.nimbusds.jose.EncryptionMethod;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWEAlgorithm;
import com.nimbusds.jose.JWEHeader;
import com.nimbusds.jose.JWEObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.DirectDecrypter;
import com.nimbusds.jose.crypto.DirectEncrypter;
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

    public SealedBox(KeyEncryptionKey kek) {
        this.kek = kek;
    }

    public String keyId() {
        return kek.id();
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
        if (!kek.id().equals(h.getKeyID())) {
            throw new SealedBoxException(slot + " was sealed with key-encryption key " + h.getKeyID()
                    + ", but the configured key is " + kek.id() + "; every replica needs the same"
                    + " issuer.keys.encryption-key-file", null);
        }
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
}
