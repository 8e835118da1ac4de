package io.kubeoidc.examples.workload;

import com.azure.core.credential.TokenCredential;
import com.azure.core.util.BinaryData;
import com.azure.identity.DefaultAzureCredentialBuilder;
import com.azure.storage.blob.BlobClient;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * A pod that reaches Azure Blob Storage without a secret: {@link DefaultAzureCredentialBuilder} picks
 * WorkloadIdentityCredential from the environment the azure-workload-identity webhook injects
 * (AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_FEDERATED_TOKEN_FILE, AZURE_AUTHORITY_HOST), exchanges the projected
 * service account token for an Entra access token, and the Blob client presents that token.
 *
 * <p>Each round writes a blob and reads it back. Without CHECK_INTERVAL_SECONDS it runs one round and exits
 * (0 when the round succeeded, 1 when it failed); with it, it runs a round every that many seconds until stopped,
 * as a long-running pod does: the credential re-reads the token file that kubelet refreshes.
 */
public final class BlobCheck {
    private BlobCheck() {}

    public static void main(String[] args) throws InterruptedException {
        Map<String, String> env = System.getenv();
        String accountUrl = required(env, "STORAGE_ACCOUNT_URL");
        String container = required(env, "CONTAINER");
        String blobName = env.getOrDefault("BLOB_NAME", "workload-identity-check/" + env.getOrDefault("HOSTNAME", "local"));
        Duration interval = interval(env.get("CHECK_INTERVAL_SECONDS"));

        TokenCredential credential = new DefaultAzureCredentialBuilder().build();
        BlobContainerClient containerClient = new BlobServiceClientBuilder().endpoint(accountUrl).credential(credential)
                .buildClient().getBlobContainerClient(container);
        BlobClient blob = containerClient.getBlobClient(blobName);

        for (long round = 1; ; round++) {
            boolean ok = round(blob, round);
            if (interval == null) {
                System.exit(ok ? 0 : 1);
            }
            Thread.sleep(interval.toMillis());
        }
    }

    /** Writes a fresh text to the blob and reads it back; prints one line either way. */
    static boolean round(BlobClient blob, long round) {
        String text = "round " + round + " at " + Instant.now();
        try {
            blob.upload(BinaryData.fromString(text), true);
            String read = blob.downloadContent().toString();
            if (!read.equals(text)) {
                System.out.println("round " + round + " FAILED: read back '" + read + "' instead of '" + text + "'");
                return false;
            }
            System.out.println("round " + round + " ok: wrote and read back " + blob.getAccountUrl() + "/"
                    + blob.getContainerName() + "/" + blob.getBlobName());
            return true;
        } catch (RuntimeException e) {
            // The credential's message carries Entra's error (AADSTSnnnnnn: ...), which is what an operator needs.
            System.out.println("round " + round + " FAILED: " + e.getClass().getSimpleName() + ": " + e.getMessage());
            return false;
        } finally {
            System.out.flush();
        }
    }

    /** CHECK_INTERVAL_SECONDS as a duration, null when unset (one round); exits 2 when it is not a positive number. */
    private static Duration interval(String seconds) {
        if (seconds == null || seconds.isBlank()) {
            return null;
        }
        try {
            long s = Long.parseLong(seconds.strip());
            if (s > 0) {
                return Duration.ofSeconds(s);
            }
        } catch (NumberFormatException notANumber) {
            // reported below
        }
        System.err.println("CHECK_INTERVAL_SECONDS is '" + seconds + "': give a whole number of seconds above 0,"
                + " or leave it unset for one round");
        System.exit(2);
        return null;
    }

    private static String required(Map<String, String> env, String name) {
        String value = env.get(name);
        if (value == null || value.isBlank()) {
            System.err.println(name + " is not set (see examples/workload/README.md)");
            System.exit(2);
        }
        return value;
    }
}
