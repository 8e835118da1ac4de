package io.kubeoidc.service.publish;

import io.kubeoidc.documents.IssuerConfig;
import io.kubeoidc.service.config.InvalidConfigurationException;
import io.kubeoidc.service.config.IssuerProperties;
import io.kubeoidc.service.config.IssuerSettings;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The S3 target: its settings checked before anything is written, then a {@link DocumentMirror} over {@link S3Storage}. */
final class S3Mirror {
    private static final Logger log = LoggerFactory.getLogger(S3Mirror.class);
    static final String NAME = "s3";
    /** S3's general purpose bucket naming rules (the store may be laxer; AWS is not). */
    private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");
    private static final Pattern REGION = Pattern.compile("[a-z0-9]+(-[a-z0-9]+)*");

    private S3Mirror() {}

    static DocumentMirror create(IssuerProperties.S3 p, IssuerSettings settings, MeterRegistry registry) {
        String bucket = blank(p.bucket()) ? null : p.bucket().strip();
        if (bucket == null) {
            throw new InvalidConfigurationException("issuer.mirror.s3.bucket is not set, but other issuer.mirror.s3"
                    + " settings are: the S3 mirror needs a bucket", "Set issuer.mirror.s3.bucket, or remove the"
                    + " issuer.mirror.s3 settings.", null);
        }
        if (!BUCKET.matcher(bucket).matches() || bucket.contains("..")) {
            throw new InvalidConfigurationException("issuer.mirror.s3.bucket '" + bucket + "' is not a valid S3 bucket"
                    + " name", "Use 3 to 63 lowercase letters, digits, dots and hyphens, starting and ending with a"
                    + " letter or digit (the name only, not s3:// or a URL).", null);
        }
        if (blank(p.region())) {
            throw new InvalidConfigurationException("issuer.mirror.s3.region is not set: requests to bucket " + bucket
                    + " are signed for its region", "Set it to the bucket's region, e.g. us-east-1 (for MinIO or"
                    + " Ceph, the region the store is configured with).", null);
        }
        if (!REGION.matcher(p.region().strip()).matches()) {
            throw new InvalidConfigurationException("issuer.mirror.s3.region '" + p.region() + "' is not a region name",
                    "Use a region code such as us-east-1 or eu-west-2.", null);
        }
        String endpoint = blank(p.endpoint()) ? null : p.endpoint().strip();
        if (endpoint != null) {
            URI uri = parse(endpoint);
            if (uri == null || uri.getHost() == null || !("https".equals(uri.getScheme()) || "http".equals(uri.getScheme()))
                    || uri.getUserInfo() != null) {
                throw new InvalidConfigurationException("issuer.mirror.s3.endpoint '" + (uri != null
                        && uri.getUserInfo() != null ? "(URL with credentials)" : endpoint) + "' is not an http(s) URL"
                        + " without credentials", "Use the store's base URL, e.g. https://minio.example.com:9000;"
                        + " credentials come from the AWS SDK's default chain (AWS_ACCESS_KEY_ID, a profile, web"
                        + " identity or an instance role).", null);
            }
        }
        String prefix = MirrorConfig.prefix("issuer.mirror.s3.prefix", "object", p.prefix());
        if (blank(p.publicBaseUrl())) {
            throw new InvalidConfigurationException("issuer.mirror.s3.public-base-url is not set; the mirror must know"
                    + " where anonymous readers (AWS STS) fetch the documents to verify them", "Set it to"
                    + " https://" + bucket + ".s3." + p.region().strip() + ".amazonaws.com/ or the CloudFront"
                    + " distribution's URL (docs/aws.md).", null);
        }
        String base = MirrorConfig.url("issuer.mirror.s3.public-base-url", p.publicBaseUrl(), true);
        URI baseUri = URI.create(base);
        if (!"https".equals(baseUri.getScheme()) && !loopback(baseUri.getHost())) {
            throw new InvalidConfigurationException("issuer.mirror.s3.public-base-url '" + base + "' is not https: AWS"
                    + " STS fetches the documents over https only", "Use https://" + bucket + ".s3." + p.region().strip()
                    + ".amazonaws.com/ or a CloudFront URL (http is accepted only on a loopback address, for tests).",
                    null);
        }
        DocumentMirror mirror = new DocumentMirror(NAME, S3Storage.create(p), prefix, base, p.cacheControl(), registry);
        warnIfStsLooksElsewhere(settings, mirror);
        return mirror;
    }

    /** STS derives the discovery URL from the issuer; it must be where this mirror publishes, or STS reads something else. */
    private static void warnIfStsLooksElsewhere(IssuerSettings settings, DocumentMirror mirror) {
        IssuerConfig issuer = settings.issuer();
        String mirrored = mirror.publicUrl(IssuerConfig.DISCOVERY_PATH);
        if (!issuer.discoveryUrl().equals(mirrored)) {
            log.warn("AWS STS will fetch discovery from {} (the issuer + /.well-known/openid-configuration), but the S3"
                    + " mirror publishes it at {}. Unless CloudFront or a proxy maps one to the other, IRSA will fail"
                    + " (InvalidIdentityToken); check issuer.url, issuer.mirror.s3.public-base-url and prefix.",
                    issuer.discoveryUrl(), mirrored);
        }
        String jwksMirrored = mirror.publicUrl(IssuerConfig.JWKS_PATH);
        if (!issuer.jwksUri().equals(jwksMirrored)) {
            log.warn("jwks_uri is {} but the S3 mirror publishes the JWKS at {}", issuer.jwksUri(), jwksMirrored);
        }
    }

    private static boolean loopback(String host) {
        if (host == null) {
            return false;
        }
        if ("localhost".equalsIgnoreCase(host)) {
            return true;
        }
        try {
            // A literal address only: no name is resolved here.
            return host.matches("[0-9.]+|\\[[0-9a-fA-F:.]+\\]") && InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    private static URI parse(String value) {
        try {
            return new URI(value);
        } catch (java.net.URISyntaxException e) {
            return null;
        }
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
