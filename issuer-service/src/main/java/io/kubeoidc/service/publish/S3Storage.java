package io.kubeoidc.service.publish;

import io.kubeoidc.service.config.IssuerProperties;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.retry.RetryMode;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/**
 * An S3 bucket (or an S3-compatible store) through the AWS SDK v2; conditions use the object's ETag
 * ({@code If-Match}, {@code If-None-Match: *}). No ACL is ever sent: anonymous reads come from the bucket policy or
 * a CloudFront origin access control, as S3 requires of new buckets. Failures are reported with the object's
 * s3:// URL and a cause that stays the same from one attempt to the next (no request ids), so the mirror logs an
 * outage once; the SDK's own loggers are quiet (application.properties).
 */
final class S3Storage implements MirrorStorage {
    private final S3Client s3;
    private final String bucket;
    private final String where;

    private S3Storage(S3Client s3, String bucket, String where) {
        this.s3 = s3;
        this.bucket = bucket;
        this.where = where;
    }

    /** @param p validated by {@link S3MirrorSettings} */
    static S3Storage create(IssuerProperties.S3 p) {
        S3ClientBuilder builder = S3Client.builder()
                .region(Region.of(p.region().strip()))
                .credentialsProvider(DefaultCredentialsProvider.builder().build())
                .httpClientBuilder(UrlConnectionHttpClient.builder()
                        .connectionTimeout(Duration.ofSeconds(10)).socketTimeout(Duration.ofSeconds(15)))
                // Bounded retries and a deadline per call: an outage must show within seconds.
                .overrideConfiguration(c -> c.retryStrategy(RetryMode.STANDARD)
                        .apiCallTimeout(Duration.ofSeconds(30)).apiCallAttemptTimeout(Duration.ofSeconds(15)))
                // The read-back compares every byte; S3-compatible stores (Ceph, older MinIO) refuse the SDK's
                // default trailing checksums on plain-HTTP uploads.
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .forcePathStyle(p.pathStyleAccess());
        String endpoint = p.endpoint() == null || p.endpoint().isBlank() ? null : p.endpoint().strip();
        if (endpoint != null) {
            builder.endpointOverride(URI.create(endpoint));
        }
        return new S3Storage(builder.build(), p.bucket().strip(), "S3 bucket s3://" + p.bucket().strip()
                + (endpoint == null ? " (" + p.region().strip() + ")" : " at " + endpoint));
    }

    @Override
    public String describe() {
        return where;
    }

    @Override
    public String notPublic() {
        return "the bucket policy does not allow anonymous s3:GetObject on the prefix, or Block Public Access"
                + " overrides it (docs/aws.md)";
    }

    @Override
    public Optional<StoredObject> read(String name) {
        try {
            var object = s3.getObjectAsBytes(r -> r.bucket(bucket).key(name));
            GetObjectResponse head = object.response();
            return Optional.of(new StoredObject(object.asByteArray(), head.contentType(), head.cacheControl(),
                    head.eTag()));
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (SdkException e) {
            throw new IllegalStateException("reading " + url(name) + ": " + cause(e), e);
        }
    }

    @Override
    public void write(String name, byte[] bytes, String contentType, String cacheControl, String expectedVersion) {
        try {
            s3.putObject(r -> {
                r.bucket(bucket).key(name).contentType(contentType).cacheControl(cacheControl);
                if (expectedVersion == null) {
                    r.ifNoneMatch("*");
                } else {
                    r.ifMatch(expectedVersion);
                }
            }, RequestBody.fromBytes(bytes));
        } catch (AwsServiceException e) {
            // 412 PreconditionFailed; 409 ConditionalRequestConflict when another conditional write is in flight.
            if (e.statusCode() == 412 || e.statusCode() == 409) {
                throw new Conflict(name + " was changed by another writer (HTTP " + e.statusCode() + ")");
            }
            throw new IllegalStateException("writing " + url(name) + ": " + cause(e), e);
        } catch (SdkException e) {
            throw new IllegalStateException("writing " + url(name) + ": " + cause(e), e);
        }
    }

    private String url(String name) {
        return "s3://" + bucket + "/" + name + (where.contains(" at ") ? where.substring(where.indexOf(" at ")) : "");
    }

    /** The status and error code, or the innermost exception: stable across attempts, free of request ids. */
    static String cause(Throwable e) {
        if (e instanceof AwsServiceException a) {
            String code = a.awsErrorDetails() == null ? null : a.awsErrorDetails().errorCode();
            return "HTTP " + a.statusCode() + (code == null ? "" : " " + code);
        }
        return AzureBlobStorage.cause(e);
    }
}
