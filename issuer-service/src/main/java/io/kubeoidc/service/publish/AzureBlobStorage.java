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
import io.kubeoidc.service.config.IssuerProperties;
import java.time.Duration;
import java.util.Optional;

/** An Azure Blob container through the Azure SDK; conditions use the blob's ETag. */
class AzureBlobStorage implements MirrorStorage {
    private final BlobContainerClient container;

    AzureBlobStorage(IssuerProperties.Azure p) {
        // Bounded retries with backoff: an outage must show within seconds, not after the SDK's default minute.
        var builder = new BlobServiceClientBuilder().retryOptions(new RequestRetryOptions(RetryPolicyType.EXPONENTIAL,
                3, Duration.ofSeconds(10), Duration.ofMillis(500), Duration.ofSeconds(4), null));
        if (p.connectionString() != null && !p.connectionString().isBlank()) {
            builder.connectionString(p.connectionString());
        } else {
            builder.endpoint(p.endpoint());
            if (p.sasToken() != null && !p.sasToken().isBlank()) {
                builder.sasToken(p.sasToken());
            } else {
                builder.credential(new DefaultAzureCredentialBuilder().build());
            }
        }
        this.container = builder.buildClient().getBlobContainerClient(p.container());
    }

    @Override
    public String describe() {
        return "Azure blob container " + container.getBlobContainerName();
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
            throw e;
        }
    }

    @Override
    public void write(String name, byte[] bytes, String contentType, String cacheControl, String expectedVersion) {
        var conditions = expectedVersion == null ? new BlobRequestConditions().setIfNoneMatch("*")
                : new BlobRequestConditions().setIfMatch(expectedVersion);
        try {
            container.getBlobClient(name).uploadWithResponse(new BlobParallelUploadOptions(BinaryData.fromBytes(bytes))
                    .setHeaders(new BlobHttpHeaders().setContentType(contentType).setCacheControl(cacheControl))
                    .setRequestConditions(conditions), Duration.ofSeconds(30), null);
        } catch (BlobStorageException e) {
            if (e.getStatusCode() == 412 || e.getStatusCode() == 409) {
                throw new Conflict(name + " was changed by another writer (HTTP " + e.getStatusCode() + ")");
            }
            throw e;
        }
    }
}
