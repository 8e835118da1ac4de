package io.kubeoidc.custody.pkcs11;

import io.kubeoidc.custody.KeyCustodyException;

/**
 * The token cannot do what was asked; the message names the module, the token and the cause (a
 * PKCS#11 return value such as CKR_PIN_INCORRECT), never the PIN.
 */
public class Pkcs11TokenException extends KeyCustodyException {
    /** Why, so the service can tell a start error from a token that went away while running. */
    public enum Reason {
        PIN_FILE, WRONG_PIN, MISSING_MODULE, UNKNOWN_TOKEN, TOKEN_FULL, UNREACHABLE, REFUSED, NO_SUCH_KEY, FAILED
    }

    private final Reason reason;

    public Pkcs11TokenException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
