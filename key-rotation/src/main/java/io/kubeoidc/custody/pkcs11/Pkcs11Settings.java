package io.kubeoidc.custody.pkcs11;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Where the token is: the module (.so), the token by label or by slot id (exactly one), and the file
 * that holds the user PIN. The PIN itself is read only when logging in, never kept in settings.
 */
public record Pkcs11Settings(Path library, String tokenLabel, Long slot, Path pinFile) {
    public Pkcs11Settings {
        Objects.requireNonNull(library, "issuer.keys.pkcs11.library is required with custody pkcs11");
        Objects.requireNonNull(pinFile, "issuer.keys.pkcs11.pin-file is required with custody pkcs11");
        boolean byLabel = tokenLabel != null && !tokenLabel.isBlank();
        if (byLabel == (slot != null)) {
            throw new IllegalArgumentException(
                    "set exactly one of issuer.keys.pkcs11.token-label and issuer.keys.pkcs11.slot");
        }
    }

    /** How the token is named in messages, health and {@code keys list}: never the PIN. */
    public String tokenName() {
        return tokenLabel != null ? "token '" + tokenLabel + "'" : "slot " + slot;
    }
}
