package io.kubeoidc.service.config;

import io.kubeoidc.documents.InvalidIssuerException;
import io.kubeoidc.documents.IssuerConfig;
import io.kubeoidc.documents.Issuers;
import io.kubeoidc.keys.KeySpec;
import io.kubeoidc.rotation.RotationPolicy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The validated form of {@link IssuerProperties}: built once at start, so a bad value stops the
 * service with one clear message before anything is written.
 *
 * @param developmentIssuer true when issuer.url was unset and the http://localhost default is used
 * @param keyFilesDirectory null when kube-apiserver key files are not written
 * @param issuers           issuer (the signing one, first) and the additional accepted ones of an issuer URL move
 * @param keyCustody        who holds the private keys (issuer.keys.custody): one of {@link #KEY_CUSTODIES}
 */
public record IssuerSettings(IssuerConfig issuer, boolean developmentIssuer, RotationPolicy policy, long maxAgeSeconds,
                             String jwksContentType, Duration checkInterval, Path keyFilesDirectory,
                             String restartCommand, SignerSettings signer, Path publisherKeysFile,
                             HttpLimits httpLimits, Issuers issuers, String keyCustody) {

    static final List<String> JWKS_CONTENT_TYPES = List.of("application/jwk-set+json", "application/json");
    static final List<String> KEY_STORES = List.of("directory", "etcd");
    static final List<String> KEY_CUSTODIES = List.of(io.kubeoidc.custody.FilesCustody.NAME, "pkcs11");

    /** The mirrors publish a change within about a second of its commit (writes take a few more). */
    static final Duration MIRROR_CONFIRMATION = Duration.ofSeconds(5);

    /**
     * How long the targets normally take to confirm a new NEXT key, as the planner sees it: the mirrors publish
     * and read it back, and the next check (or the one after, if the read-back ends just after a check) sees it.
     * NEXT is published this much earlier, so a healthy rotation is never reported overdue.
     */
    static Duration confirmationAllowance(Duration checkInterval) {
        return checkInterval.multipliedBy(2).plus(MIRROR_CONFIRMATION);
    }

    public static IssuerSettings from(IssuerProperties p, int serverPort) {
        boolean development = p.url() == null || p.url().isBlank();
        String url = development ? "http://localhost:" + serverPort : p.url().strip();
        IssuerConfig issuer;
        try {
            issuer = IssuerConfig.of(url, p.jwksUri() == null ? null : p.jwksUri().strip(),
                    development || p.allowInsecureHttp());
        } catch (InvalidIssuerException e) {
            throw new InvalidConfigurationException(e.getMessage(), "Set issuer.url (ISSUER_URL) to the https URL"
                    + " that Entra ID will fetch, for example https://oidc.example.com/cluster-a, and leave"
                    + " issuer.jwks-uri empty unless the JWKS lives elsewhere.", e);
        }
        Issuers issuers = issuers(issuer, p.additionalUrls(), development || p.allowInsecureHttp());
        checkMirrorIssuers(p.mirror(), issuers);
        HttpLimits httpLimits = HttpLimits.from(p.http());
        Duration maxAge = p.http().maxAge();
        if (maxAge.isNegative()) {
            throw new InvalidConfigurationException("issuer.http.max-age must not be negative (got " + maxAge + ")",
                    "Use a duration such as 3600s or 1h.", null);
        }
        String ct = p.http().jwksContentType().strip();
        if (!JWKS_CONTENT_TYPES.contains(ct)) {
            throw new InvalidConfigurationException("issuer.http.jwks-content-type must be one of " + JWKS_CONTENT_TYPES
                    + " (got '" + ct + "')", "application/jwk-set+json is what kube-apiserver sends.", null);
        }
        var r = p.rotation();
        KeySpec spec;
        try {
            spec = KeySpec.parse(r.algorithm());
        } catch (IllegalArgumentException e) {
            throw new InvalidConfigurationException("issuer.rotation.algorithm: " + e.getMessage(),
                    "Use RSA-2048 unless you know every relying party accepts more (Entra ID accepts only RS256).", e);
        }
        RotationPolicy policy = new RotationPolicy(r.period(), r.publishAhead(),
                r.retention() != null ? r.retention() : p.tokens().maxLifetime().plus(RotationPolicy.RETENTION_SLACK),
                p.tokens().maxLifetime(), maxAge, spec, r.maxKeys());
        List<String> problems = policy.problems();
        if (!problems.isEmpty()) {
            throw new InvalidConfigurationException(String.join("; ", problems),
                    "Fix the rotation policy; docs/rotation.md explains each default and rule.", null);
        }
        if (r.checkInterval().isNegative() || r.checkInterval().isZero()) {
            throw new InvalidConfigurationException("issuer.rotation.check-interval must be positive (got "
                    + r.checkInterval() + ")", "Use a duration such as 5s.", null);
        }
        policy = policy.withConfirmationAllowance(confirmationAllowance(r.checkInterval()));
        // Each pass reads every public copy back; under a second it would poll the storage account continuously.
        Duration mirrorInterval = p.mirror().interval();
        if (mirrorInterval.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new InvalidConfigurationException("issuer.mirror.interval must be at least 1s (got " + mirrorInterval
                    + ")", "It is how often the public copies are read back and repaired; the default is 60s.", null);
        }
        String store = p.keys().store() == null ? "" : p.keys().store().strip().toLowerCase(java.util.Locale.ROOT);
        if (!KEY_STORES.contains(store)) {
            throw new InvalidConfigurationException("issuer.keys.store must be one of " + KEY_STORES + " (got '"
                    + p.keys().store() + "')", "Use directory on a single node, etcd for several control-plane"
                    + " replicas (docs/ha.md).", null);
        }
        String custody = p.keys().custody() == null ? "" : p.keys().custody().strip().toLowerCase(java.util.Locale.ROOT);
        if (!KEY_CUSTODIES.contains(custody)) {
            throw new InvalidConfigurationException("issuer.keys.custody must be one of " + KEY_CUSTODIES + " (got '"
                    + p.keys().custody() + "')", "Use files: private keys kept in the key store (docs/keys.md, Key"
                    + " custody).", null);
        }
        if (custody.equals("pkcs11")) {
            pkcs11Settings(p, store);
        }
        String command = p.keyFiles().restartCommand();
        SignerSettings signer = SignerSettings.from(p.signer(), policy);
        if (signer != null && p.keyFiles().directory() != null) {
            throw new InvalidConfigurationException("issuer.signer.socket and issuer.key-files.directory are both set;"
                    + " kube-apiserver accepts either --service-account-signing-endpoint or the key-file flags, never both",
                    "Use the external signer on Kubernetes 1.32+ and drop the key files (docs/kube-apiserver.md).", null);
        }
        Path publisher = p.publisher().keysFile();
        if (publisher != null && (signer != null || p.keyFiles().directory() != null)) {
            throw new InvalidConfigurationException("issuer.publisher.keys-file (publisher mode: keys are managed"
                    + " elsewhere) cannot be combined with " + (signer != null ? "issuer.signer.socket" : "issuer.key-files.directory"),
                    "Run the signer or the key files on the control-plane nodes, and a separate publisher if needed.", null);
        }
        return new IssuerSettings(issuer, development, policy, maxAge.toSeconds(), ct, r.checkInterval(),
                p.keyFiles().directory(), command == null || command.isBlank() ? null : command, signer, publisher,
                httpLimits, issuers, custody);
    }

    /** Before anything is written: each mirror's issuer is a configured one, each added container has credentials. */
    private static void checkMirrorIssuers(IssuerProperties.Mirror mirror, Issuers issuers) {
        Map<String, String> configured = new java.util.LinkedHashMap<>();
        configured.put("issuer.mirror.filesystem.issuer", mirror.filesystem().issuer());
        configured.put("issuer.mirror.azure.issuer", mirror.azure().issuer());
        for (int i = 0; i < mirror.additionalAzure().size(); i++) {
            IssuerProperties.Azure azure = mirror.additionalAzure().get(i);
            String property = "issuer.mirror.additional-azure[" + i + "]";
            if (blank(azure.connectionString()) && blank(azure.endpoint())) {
                throw new InvalidConfigurationException(property + " has neither connection-string nor endpoint",
                        "Set one of them, as for issuer.mirror.azure.", null);
            }
            configured.put(property + ".issuer", azure.issuer());
        }
        configured.forEach((property, value) -> {
            if (!blank(value) && issuers.find(value.strip()).isEmpty()) {
                throw new InvalidConfigurationException(property + " '" + value.strip() + "' is neither issuer.url nor one"
                        + " of issuer.additional-urls " + issuers.urls(), "Use one of them exactly (a trailing slash"
                        + " matters), or leave it empty to publish for the issuer the mirror's public URL serves.", null);
            }
        });
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    private static Issuers issuers(IssuerConfig signing, List<String> additional, boolean allowHttp) {
        try {
            return Issuers.of(signing, additional.stream().map(u -> u == null ? "" : u.strip()).toList(), allowHttp);
        } catch (InvalidIssuerException e) {
            throw new InvalidConfigurationException("issuer.additional-urls: " + e.getMessage(), "List there only the"
                    + " issuers kube-apiserver accepts besides issuer.url (its second and later --service-account-issuer"
                    + " flags) while the issuer URL moves; docs/issuer-migration.md gives the steps.", e);
        }
    }

    /**
     * The token of custody pkcs11, or a start error for a combination that cannot work: key files (sa.key would
     * need the private key) and the etcd store with a token each replica has alone.
     */
    public static io.kubeoidc.custody.pkcs11.Pkcs11Settings pkcs11Settings(IssuerProperties p, String store) {
        var t = p.keys().pkcs11();
        String docs = "See docs/keys.md, PKCS#11 custody.";
        if (t.library() == null) {
            throw new InvalidConfigurationException("issuer.keys.custody=pkcs11 needs issuer.keys.pkcs11.library (the"
                    + " token's PKCS#11 module, e.g. /usr/lib/softhsm/libsofthsm2.so)", docs, null);
        }
        if (t.pinFile() == null) {
            throw new InvalidConfigurationException("issuer.keys.custody=pkcs11 needs issuer.keys.pkcs11.pin-file (a 0600"
                    + " or 0400 file holding the token's user PIN)", docs, null);
        }
        if (p.keyFiles().directory() != null) {
            throw new InvalidConfigurationException("issuer.keys.custody=pkcs11 cannot be combined with"
                    + " issuer.key-files.directory: kube-apiserver would need the private key in sa.key, and it never"
                    + " leaves the token. Let kube-apiserver sign through issuer.signer.socket instead", docs, null);
        }
        if ("etcd".equals(store) && !t.sharedToken()) {
            throw new InvalidConfigurationException("issuer.keys.custody=pkcs11 with issuer.keys.store=etcd needs one token"
                    + " every replica reaches (a network or cloud HSM); replicas with a local token each cannot share a"
                    + " signing key. If yours is shared, set issuer.keys.pkcs11.shared-token=true",
                    "See docs/ha.md, PKCS#11 custody: one token for every replica.", null);
        }
        try {
            return new io.kubeoidc.custody.pkcs11.Pkcs11Settings(t.library(), t.tokenLabel(), t.slot(), t.pinFile());
        } catch (IllegalArgumentException e) {
            throw new InvalidConfigurationException(e.getMessage(), docs, e);
        }
    }
}
