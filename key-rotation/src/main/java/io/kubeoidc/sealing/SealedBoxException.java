package io.kubeoidc.sealing;

/** A sealed value cannot be opened: wrong key-encryption key, wrong slot, or tampered bytes. */
public class SealedBoxException extends RuntimeException {
    public SealedBoxException(String message, Throwable cause) {
        super(message, cause);
    }
}
