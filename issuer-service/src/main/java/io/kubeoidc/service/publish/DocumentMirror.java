package io.kubeoidc.service.publish;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import io.kubeoidc.documents.IssuerConfig;
import io.kubeoidc.documents.PublishedDocuments;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A public copy of both documents, and a rotation gate. Uploads go JWKS first (discovery must never
 * point at a JWKS without its keys), only when the stored copy differs, conditioned on the version that
 * was read, and each is read back and compared before it counts as written. Only what anonymous
 * readers get (GET of public-base-url + name: same bytes, JSON content type, the configured
 * Cache-Control) confirms the kids in it; without a public URL, the read-back copy does.
 */
public class DocumentMirror implements PublicationTarget {
    private static final Logger log = LoggerFactory.getLogger(DocumentMirror.class);
    static final String CONTENT_TYPE = "application/json";

    /** Health view of one mirror. */
    public record State(boolean verified, String lastError, Instant lastPublished, Instant lastVerified) {}

    /**
     * How long one check may take beyond the interval before health calls it overdue: the SDK's bounded retries
     * against a dead endpoint end well within it, a hung one (connections open, no answers) does not.
     */
    static final Duration CHECK_BUDGET = Duration.ofSeconds(20);

    private final String name;
    private final String issuer;
    private final MirrorStorage storage;
    private final String prefix;
    private final String publicBaseUrl;
    private final String cacheControl;
    private final MeterRegistry registry;
    private final HttpClient anonymous = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private volatile Set<String> confirmed = Set.of();
    private volatile String lastError;
    private volatile Instant lastPublished;
    private volatile Instant lastVerified;
    private volatile Instant lastChecked; // when the last check ended (the first check's start until it ends)
    private volatile Instant stepSince;
    private volatile String step; // what the check in progress is doing, for an overdue report

    /**
     * @param publicBaseUrl where anonymous readers fetch the copies, or null to trust the read-back
     * @param cacheControl  stored with each object (null where the storage keeps no headers)
     */
    public DocumentMirror(String name, MirrorStorage storage, String prefix, String publicBaseUrl, String cacheControl,
                          MeterRegistry registry) {
        this(name, null, storage, prefix, publicBaseUrl, cacheControl, registry);
    }

    /**
     * @param issuer whose documents this target publishes (one of the configured issuers), or null for the one
     *               whose discovery URL is this target's public URL, else the signing issuer ({@link MirrorService})
     */
    public DocumentMirror(String name, String issuer, MirrorStorage storage, String prefix, String publicBaseUrl,
                          String cacheControl, MeterRegistry registry) {
        this.name = name;
        this.issuer = issuer == null || issuer.isBlank() ? null : issuer.strip();
        this.storage = storage;
        this.prefix = prefix == null ? "" : prefix;
        this.publicBaseUrl = publicBaseUrl == null ? null : publicBaseUrl.endsWith("/") ? publicBaseUrl : publicBaseUrl + "/";
        this.cacheControl = cacheControl;
        this.registry = registry;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Set<String> confirmedKids() {
        return confirmed;
    }

    /** The issuer configured for this target, or null when its public URL decides. */
    public String configuredIssuer() {
        return issuer;
    }

    @Override
    public boolean checked() {
        return lastVerified != null || lastError != null;
    }

    public State state() {
        return new State(lastError == null && lastVerified != null, lastError, lastPublished, lastVerified);
    }

    /**
     * As {@link #state()}, but unverified when no check has ended for the interval plus {@link #CHECK_BUDGET},
     * whatever the reason (a hung endpoint answers nothing, so no error would ever be recorded).
     */
    public State state(Instant now, Duration interval) {
        State s = state();
        Instant checked = lastChecked;
        if (checked == null) {
            return s; // never checked: unverified anyway
        }
        Duration since = Duration.between(checked, now);
        if (since.compareTo(interval.plus(CHECK_BUDGET)) <= 0) {
            return s;
        }
        String doing = step;
        Instant doingSince = stepSince;
        String why = "check overdue: none has completed for " + since.toSeconds() + "s (every " + interval.toSeconds()
                + "s expected)" + (doing == null ? "" : "; " + doing + " has not answered for "
                + Duration.between(doingSince, now).toSeconds() + "s");
        return new State(false, why, s.lastPublished(), s.lastVerified());
    }

    private void step(String what) {
        stepSince = Instant.now();
        step = what;
    }

    public String storage() {
        return storage.describe();
    }

    /** Public URL of a document, or null when the mirror has none. */
    public String publicUrl(String documentPath) {
        return publicBaseUrl == null ? null : publicBaseUrl + prefix + documentPath.substring(1);
    }

    /** Object names, JWKS first: the upload order. */
    Map<String, PublishedDocuments.Document> objects(PublishedDocuments docs) {
        Map<String, PublishedDocuments.Document> m = new LinkedHashMap<>();
        m.put(prefix + IssuerConfig.JWKS_PATH.substring(1), docs.jwks());
        m.put(prefix + IssuerConfig.DISCOVERY_PATH.substring(1), docs.discovery());
        return m;
    }

    /** Writes what differs, then verifies; returns how many objects were (re)written. */
    public int reconcile(PublishedDocuments docs) {
        return reconcile(docs, false);
    }

    /**
     * @param driftCheck true when the key set did not change since the last pass: whatever is rewritten
     *                   then drifted (deleted, edited, wrong headers), and the log says what was found
     */
    public int reconcile(PublishedDocuments docs, boolean driftCheck) {
        if (lastChecked == null) {
            lastChecked = Instant.now();
        }
        try {
            return check(docs, driftCheck);
        } finally {
            step = null;
            lastChecked = Instant.now();
        }
    }

    private int check(PublishedDocuments docs, boolean driftCheck) {
        int written = 0;
        try {
            for (var e : objects(docs).entrySet()) {
                if (upload(e.getKey(), e.getValue().bytes(), driftCheck)) {
                    written++;
                }
            }
        } catch (RuntimeException e) {
            fail("upload", "publishing to " + storage.describe() + " failed: " + e.getMessage());
            return written;
        }
        if (written > 0) {
            lastPublished = Instant.now();
        }
        verify(docs);
        return written;
    }

    private boolean upload(String object, byte[] bytes, boolean driftCheck) {
        String found = null;
        for (int attempt = 1; ; attempt++) {
            step("reading " + object + " from " + storage.describe());
            Optional<MirrorStorage.StoredObject> current = storage.read(object);
            if (current.isPresent() && matches(current.get(), bytes)) {
                return false;
            }
            if (found == null) {
                found = difference(current.orElse(null), bytes);
            }
            step("writing " + object + " to " + storage.describe());
            try {
                storage.write(object, bytes, CONTENT_TYPE, cacheControl, current.map(MirrorStorage.StoredObject::version)
                        .orElse(null));
            } catch (MirrorStorage.Conflict c) {
                if (attempt < 3) {
                    continue; // read again, decide again: safe after an unknown outcome too
                }
                throw c;
            }
            step("reading " + object + " back from " + storage.describe());
            var back = storage.read(object);
            if (back.isEmpty() || !Arrays.equals(back.get().bytes(), bytes)) {
                if (attempt < 3) {
                    continue;
                }
                throw new IllegalStateException(object + " reads back different bytes after the write");
            }
            if (driftCheck) {
                log.warn("{} mirror drifted: {} {}; rewrote it ({} bytes) and read it back", name, object, found, bytes.length);
            } else {
                log.info("Mirrored {} ({} bytes) to {}", object, bytes.length, storage.describe());
            }
            return true;
        }
    }

    /** What the stored copy got wrong, for the drift log. */
    private String difference(MirrorStorage.StoredObject o, byte[] bytes) {
        if (o == null) {
            return "was missing";
        }
        List<String> wrong = new ArrayList<>();
        if (!Arrays.equals(o.bytes(), bytes)) {
            wrong.add("different bytes (" + o.bytes().length + " stored, " + bytes.length + " served)");
        }
        if (o.contentType() != null && !CONTENT_TYPE.equals(o.contentType())) {
            wrong.add("Content-Type '" + o.contentType() + "' instead of '" + CONTENT_TYPE + "'");
        }
        if (cacheControl != null && o.cacheControl() != null && !cacheControl.equals(o.cacheControl())) {
            wrong.add("Cache-Control '" + o.cacheControl() + "' instead of '" + cacheControl + "'");
        }
        return "had " + String.join(", ", wrong);
    }

    private boolean matches(MirrorStorage.StoredObject o, byte[] bytes) {
        return Arrays.equals(o.bytes(), bytes)
                && (o.contentType() == null || CONTENT_TYPE.equals(o.contentType()))
                && (cacheControl == null || o.cacheControl() == null || cacheControl.equals(o.cacheControl()));
    }

    void verify(PublishedDocuments docs) {
        Set<String> kids = null;
        for (var e : objects(docs).entrySet()) {
            byte[] got;
            String where;
            if (publicBaseUrl == null) {
                where = storage.describe() + " " + e.getKey();
                step("reading " + e.getKey() + " from " + storage.describe());
                got = storage.read(e.getKey()).map(MirrorStorage.StoredObject::bytes).orElse(null);
                if (got == null) {
                    fail("missing", where + " is missing");
                    return;
                }
            } else {
                where = publicBaseUrl + e.getKey();
                Optional<byte[]> fetched = fetch(where);
                if (fetched.isEmpty()) {
                    return;
                }
                got = fetched.get();
            }
            if (!Arrays.equals(got, e.getValue().bytes())) {
                fail("bytes_differ", where + " returned bytes that differ from what the service serves");
                return;
            }
            if (e.getValue() == docs.jwks()) {
                try {
                    kids = JWKSet.parse(new String(got, StandardCharsets.UTF_8)).getKeys().stream()
                            .map(JWK::getKeyID).collect(Collectors.toUnmodifiableSet());
                } catch (java.text.ParseException ex) {
                    fail("unparsable", where + " returned an unparsable JWKS");
                    return;
                }
            }
        }
        confirmed = kids == null ? Set.of() : kids;
        if (lastError != null) {
            log.info("{} mirror verified again", name);
        }
        lastError = null;
        lastVerified = Instant.now();
    }

    private Optional<byte[]> fetch(String url) {
        HttpResponse<byte[]> r;
        step("anonymous GET " + url);
        try {
            r = anonymous.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(15)).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException ex) {
            fail("unreachable", "anonymous GET " + url + " failed: " + ex.getMessage());
            return Optional.empty();
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
        if (r.statusCode() != 200) {
            fail("http_" + r.statusCode(), "anonymous GET " + url + " returned HTTP " + r.statusCode()
                    + (r.statusCode() == 401 || r.statusCode() == 403 || r.statusCode() == 409
                    ? ": " + storage.notPublic() : ""));
            return Optional.empty();
        }
        String type = r.headers().firstValue("Content-Type").orElse("");
        if (!type.startsWith(CONTENT_TYPE)) {
            fail("content_type", "anonymous GET " + url + " returned Content-Type '" + type + "', not application/json");
            return Optional.empty();
        }
        String cache = r.headers().firstValue("Cache-Control").orElse(null);
        if (cacheControl != null && !cacheControl.equals(cache)) {
            fail("cache_control", "anonymous GET " + url + " returned Cache-Control '" + cache + "', not '" + cacheControl + "'");
            return Optional.empty();
        }
        return Optional.of(r.body());
    }

    private void fail(String reason, String why) {
        confirmed = Set.of();
        Counter.builder("issuer.mirror.failures").tag("mirror", name).tag("reason", reason)
                .description("Publication and verification failures, by reason").register(registry).increment();
        if (!why.equals(lastError)) {
            log.warn("{} mirror not confirmed, rotation waits: {}", name, why);
        }
        lastError = why;
    }
}
