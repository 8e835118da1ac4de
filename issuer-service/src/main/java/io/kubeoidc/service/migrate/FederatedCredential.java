package io.kubeoidc.service.migrate;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** A federated identity credential that lets one service account's tokens stand in for one identity. */
record FederatedCredential(AzureIdentity identity, String namespace, String serviceAccount, String issuer) {
    /** The only audience the azure-workload-identity webhook projects by default, and the one Entra recommends. */
    static final String AUDIENCE = "api://AzureADTokenExchange";
    private static final int MAX_NAME = 120;

    String subject() {
        return "system:serviceaccount:" + namespace + ":" + serviceAccount;
    }

    /**
     * Unique per identity and within Entra's rules (3 to 120 of letters, digits, '-' and '_', starting with a letter
     * or digit). A namespace holds no '_' or '.', so the first '_' separates it from the service account, whose dots
     * become '_': distinct service accounts never share a name. Past 120 characters a hash keeps it distinct.
     */
    String name() {
        String name = namespace + "_" + serviceAccount.replace('.', '_');
        if (name.length() <= MAX_NAME) {
            return name;
        }
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(subject().getBytes(StandardCharsets.UTF_8));
            return name.substring(0, MAX_NAME - 17) + "-" + HexFormat.of().formatHex(hash, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    String description() {
        return "Kubernetes service account " + namespace + "/" + serviceAccount + " (migrated from AAD Pod Identity "
                + identity.ref() + ")";
    }
}
