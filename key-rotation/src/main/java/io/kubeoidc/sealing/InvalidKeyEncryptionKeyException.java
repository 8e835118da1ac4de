package io.kubeoidc.sealing;

/** The key-encryption key file is missing, unreadable, too open or of the wrong size. */
public class InvalidKeyEncryptionKeyException extends RuntimeException {
    public InvalidKeyEncryptionKeyException(String message) {
        super(message);
    }
}
