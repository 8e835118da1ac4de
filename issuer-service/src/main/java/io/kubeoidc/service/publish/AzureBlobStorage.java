package io.kubeoidc.service.publish;

import com.azure.core.util.BinaryData;
import com.azure.identity.DefaultAzureCredentialBuilder;
import com.azure.storage.blob.BlobClient;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.blob.models.BlobErrorCode;
import com.azure.storage.blob.models.BlobHttpHeaders;
import com.azure.storage.blob.models.BlobProperties;
import com.azure.storage.blob.models.BlobRequestConditions;
import com.azure.storage.blob.models.BlobStorageException;
import com.azure.storage.blob.options.BlobParallelUploadOptions;
import com.azure.storage.common.policy.RequestRetryOptions;
import com.azure.storage.common.policy.RetryPolicyType;
import io.kubeoidc.service.config.InvalidConfigurationException;
import io.kubeoidc.service.config.IssuerProperties;
import java.time.Duration;
import java.util.Optional;

/**
 * An Azure Blob container through the Azure SDK; conditions use the blob's ETag. Failures are reported with the
 * blob's URL and a cause that stays the same from one attempt to the next (no request ids), so the mirror logs
 * an outage once; the SDK's own loggers are quiet (application.properties).
 */
class AzureBlobStorage implements MirrorStorage {
    private final BlobContainerClient container;

    private AzureBlobStorage(BlobContainerClient container) {
        this.container = container;
    }

    static AzureBlobStorage create(IssuerProperties.Azure p) {
        // Bounded retries with backoff: an outage must show within seconds, not after the SDK's default minute.
        var builder = new BlobServiceClientBuilder().retryOptions(new RequestRetryOptions(RetryPolicyType.EXPONENTIAL,
                3, Duration.ofSeconds(10), Duration.ofMillis(500), Duration.ofSeconds(4), null));
        if (p.connectionString() != null && !p.connectionString().isBlank()) {
            try {
                builder.connectionString(p.connectionString().strip());
            } catch (RuntimeException e) {
                // The SDK's message may quote the string, which holds the account key: not repeated here.
                throw new InvalidConfigurationException("issuer.mirror.azure.connection-string is not a valid Azure"
                        + " Storage connection string", "Copy it from the storage account's Access keys page:"
                        + " DefaultEndpointsProtocol=https;AccountName=...;AccountKey=...;EndpointSuffix=core.windows.net"
                        + " (or use issuer.mirror.azure.endpoint with a managed or workload identity).", null);
            }
        } else {
            try {
                builder.endpoint(p.endpoint().strip());
            } catch (RuntimeException e) {
                throw new InvalidConfigurationException("issuer.mirror.azure.endpoint '" + p.endpoint()
                        + "' is not a blob service URL", "Use https://ACCOUNT.blob.core.windows.net/.", null);
            }
            if (p.sasToken() != null && !p.sasToken().isBlank()) {
                builder.sasToken(p.sasToken());
            } else {
                builder.credential(new DefaultAzureCredentialBuilder().build());
            }
        }
        try {
            return new AzureBlobStorage(builder.buildClient().getBlobContainerClient(p.container()));
        } catch (RuntimeException e) {
            throw new InvalidConfigurationException("issuer.mirror.azure: cannot set up the blob client: " + cause(e),
                    "Check issuer.mirror.azure.connection-string or endpoint, and container.", null);
        }
    }

    @Override
    public String describe() {
        return "Azure blob container " + container.getBlobContainerUrl();
    }

    @Override
    public String notPublic() {
        return "the container is not public (use $web, or blob-level public access)";
    }

    @Override
    public Optional<StoredObject> read(String name) {
        BlobClient blob = container.getBlobClient(name);
        try {
            BlobProperties props = blob.getProperties();
            byte[] bytes = blob.downloadContentWithResponse(null, new BlobRequestConditions().setIfMatch(props.getETag()),
                    Duration.ofSeconds(30), null).getValue().toBytes();
            return Optional.of(new StoredObject(bytes, props.getContentType(), props.getCacheControl(), props.getETag()));
        } catch (BlobStorageException e) {
            if (e.getErrorCode() == BlobErrorCode.BLOB_NOT_FOUND) {
                return Optional.empty();
            }
            if (e.getStatusCode() == 412) {
                throw new Conflict(name + " changed while it was read");
            }
            throw new IllegalStateException("reading " + url(name) + ": " + cause(e), e);
        } catch (RuntimeException e) {
            throw new IllegalStateException("reading " + url(name) + ": " + cause(e), e);
        }
    }

    @Override
    public void write(String name, byte[] bytes, String contentType, String cacheControl, String expectedVersion) {
        var conditions = expectedVersion == null ? new BlobRequestConditions().setIfNoneMatch("*")
                : new BlobRequestConditions().setIfMatch(expectedVersion);
        BlobClient blob = container.getBlobClient(name);
        try {
            blob.uploadWithResponse(new BlobParallelUploadOptions(BinaryData.fromBytes(bytes))
                    .setHeaders(new BlobHttpHeaders().setContentType(contentType).setCacheControl(cacheControl))
                    .setRequestConditions(conditions), Duration.ofSeconds(30), null);
        } catch (BlobStorageException e) {
            if (e.getStatusCode() == 412 || e.getStatusCode() == 409) {
                throw new Conflict(name + " was changed by another writer (HTTP " + e.getStatusCode() + ")");
            }
            throw new IllegalStateException("writing " + url(name) + ": " + cause(e), e);
        } catch (RuntimeException e) {
            throw new IllegalStateException("writing " + url(name) + ": " + cause(e), e);
        }
    }

    /** The blob's URL as readers write it (the SDK's own form percent-encodes the slashes of the name). */
    private String url(String name) {
        return container.getBlobContainerUrl() + "/" + name;
    }

    /** The status and error code, or the innermost exception: stable across attempts, free of request ids. */
    static String cause(Throwable e) {
        if (e instanceof BlobStorageException b) {
            return "HTTP " + b.getStatusCode() + (b.getErrorCode() == null ? "" : " " + b.getErrorCode());
        }
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage();
        return root.getClass().getSimpleName() + (message == null || message.isBlank() ? "" : ": " + message);
    }
}
