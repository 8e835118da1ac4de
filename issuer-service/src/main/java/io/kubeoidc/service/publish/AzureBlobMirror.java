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
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import io.kubeoidc.documents.IssuerConfig;
import io.kubeoidc.documents.PublishedDocuments;
import io.kubeoidc.service.config.IssuerProperties;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Mirrors both documents to an Azure Blob container and confirms only what anonymous readers get.
 * Uploads go JWKS first (a discovery document must never point at a JWKS without its keys), only
 * when the blob differs, conditioned on the ETag that was read (If-Match, or If-None-Match: * for a
 * new blob) so two writers never overwrite each other blindly, and each blob is read back and
 * compared before it counts as written.
 */
public class AzureBlobMirror implements PublicationTarget {
    private static final Logger log = LoggerFactory.getLogger(AzureBlobMirror.class);
    static final String CONTENT_TYPE = "application/json";

    private final BlobContainerClient container;
    private final String prefix;
    private final String publicBaseUrl;
    private final String cacheControl;
    private final HttpClient anonymous = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private volatile Set<String> confirmed = Set.of();
    private volatile String lastError;

    public AzureBlobMirror(IssuerProperties.Azure p) {
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
        this.prefix = p.prefix() == null ? "" : p.prefix();
        String base = p.publicBaseUrl();
        this.publicBaseUrl = base.endsWith("/") ? base : base + "/";
        this.cacheControl = p.cacheControl();
    }

    @Override
    public String name() {
        return "azure-blob";
    }

    @Override
    public Set<String> confirmedKids() {
        return confirmed;
    }

    public String lastError() {
        return lastError;
    }

    /** The blob names, JWKS first: the upload order. */
    Map<String, PublishedDocuments.Document> blobs(PublishedDocuments docs) {
        Map<String, PublishedDocuments.Document> m = new LinkedHashMap<>();
        m.put(prefix + IssuerConfig.JWKS_PATH.substring(1), docs.jwks());
        m.put(prefix + IssuerConfig.DISCOVERY_PATH.substring(1), docs.discovery());
        return m;
    }

    /** Repairs drift and then verifies the public copy; returns the number of blobs (re)written. */
    public int reconcile(PublishedDocuments docs) {
        int written = 0;
        try {
            for (var e : blobs(docs).entrySet()) {
                if (upload(container.getBlobClient(e.getKey()), e.getValue().bytes())) {
                    written++;
                }
            }
        } catch (RuntimeException e) {
            fail("upload failed: " + e.getMessage());
            return written;
        }
        verify(docs);
        return written;
    }

    private boolean upload(BlobClient blob, byte[] bytes) {
        for (int attempt = 1; ; attempt++) {
            BlobProperties props = null;
            byte[] current = null;
            try {
                props = blob.getProperties();
                current = blob.downloadContent().toBytes();
            } catch (BlobStorageException e) {
                if (e.getErrorCode() != BlobErrorCode.BLOB_NOT_FOUND) {
                    throw e;
                }
            }
            if (props != null && Arrays.equals(current, bytes) && CONTENT_TYPE.equals(props.getContentType())
                    && cacheControl.equals(props.getCacheControl())) {
                return false; // unchanged: no write
            }
            var conditions = props == null ? new BlobRequestConditions().setIfNoneMatch("*")
                    : new BlobRequestConditions().setIfMatch(props.getETag());
            try {
                blob.uploadWithResponse(new BlobParallelUploadOptions(BinaryData.fromBytes(bytes))
                        .setHeaders(new BlobHttpHeaders().setContentType(CONTENT_TYPE).setCacheControl(cacheControl))
                        .setRequestConditions(conditions), Duration.ofSeconds(30), null);
            } catch (BlobStorageException e) {
                // 409/412: another writer changed the blob since we read it; read again and decide again.
                if ((e.getStatusCode() == 412 || e.getStatusCode() == 409) && attempt < 3) {
                    continue;
                }
                throw e;
            }
            if (!Arrays.equals(blob.downloadContent().toBytes(), bytes)) {
                if (attempt < 3) {
                    continue;
                }
                throw new IllegalStateException(blob.getBlobName() + " reads back different bytes after upload");
            }
            log.info("Mirrored {} to Azure blob {}/{}", bytes.length + " bytes", container.getBlobContainerName(),
                    blob.getBlobName());
            return true;
        }
    }

    /** Anonymous GET of each public URL: same bytes and a JSON content type, or the gate stays shut. */
    void verify(PublishedDocuments docs) {
        Set<String> kids = null;
        for (var e : blobs(docs).entrySet()) {
            String url = publicBaseUrl + e.getKey();
            HttpResponse<byte[]> r;
            try {
                r = anonymous.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(15)).build(),
                        HttpResponse.BodyHandlers.ofByteArray());
            } catch (IOException ex) {
                fail("anonymous GET " + url + " failed: " + ex.getMessage());
                return;
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                return;
            }
            String type = r.headers().firstValue("Content-Type").orElse("");
            if (r.statusCode() != 200) {
                fail("anonymous GET " + url + " returned HTTP " + r.statusCode()
                        + (r.statusCode() == 403 || r.statusCode() == 401 || r.statusCode() == 409
                        ? " (is the container public? $web or blob-level access)" : ""));
                return;
            }
            if (!type.startsWith(CONTENT_TYPE)) {
                fail("anonymous GET " + url + " returned Content-Type '" + type + "', not application/json");
                return;
            }
            if (!Arrays.equals(r.body(), e.getValue().bytes())) {
                fail("anonymous GET " + url + " returned bytes that differ from what the service serves");
                return;
            }
            if (e.getValue() == docs.jwks()) {
                try {
                    kids = JWKSet.parse(new String(r.body(), StandardCharsets.UTF_8)).getKeys().stream()
                            .map(JWK::getKeyID).collect(Collectors.toUnmodifiableSet());
                } catch (java.text.ParseException ex) {
                    fail("anonymous GET " + url + " returned an unparsable JWKS");
                    return;
                }
            }
        }
        confirmed = kids == null ? Set.of() : kids;
        if (lastError != null) {
            log.info("Azure mirror verified again at {}", publicBaseUrl);
        }
        lastError = null;
    }

    private void fail(String why) {
        confirmed = Set.of();
        if (!why.equals(lastError)) {
            log.warn("Azure mirror not confirmed, rotation waits: {}", why);
        }
        lastError = why;
    }
}
