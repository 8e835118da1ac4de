package io.kubeoidc.service.cli;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.factories.DefaultJWSVerifierFactory;
import com.nimbusds.jose.jwk.AsymmetricJWK;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.kubeoidc.documents.InvalidIssuerException;
import io.kubeoidc.documents.IssuerConfig;
import io.kubeoidc.keyset.KeySet;
import io.kubeoidc.keyset.KeyState;
import io.kubeoidc.keyset.ManagedKey;
import io.kubeoidc.store.KeyStoreException;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import static io.kubeoidc.documents.IssuerConfig.withoutTrailingSlash;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * Checks an issuer the way Entra ID (or, with --for aws, AWS STS) does, and says which error each failure would
 * cause. Whatever is published, doctor reports it as a FAIL line with the consequence and a fix, never as a stack
 * trace.
 */
@Command(name = "doctor", mixinStandardHelpOptions = true,
        description = {"Check the issuer as Entra ID (or AWS STS, --for aws) would: fetch discovery from the issuer",
                "URL, compare the issuer exactly, fetch jwks_uri anonymously, check keys (and optionally a projected",
                "token). During an issuer URL move, repeat --issuer to check each issuer the same way.",
                "Exits 0 only when every check passes, 1 when one fails, 2 on a usage error."})
final class DoctorCommand implements Callable<Integer> {
    private static final String PUBLISH_UNCHANGED = "publish the service's documents unchanged (the mirror does);"
            + " do not edit them by hand";

    @Option(names = "--issuer", required = true, paramLabel = "URL",
            description = {"The issuer exactly as in --service-account-issuer and the federated credential.",
                    "Repeat it to check every issuer of an issuer URL move (docs/issuer-migration.md)."})
    List<String> issuers;

    /** The issuer being checked. */
    private String issuer;

    @Option(names = "--keys-dir", paramLabel = "DIR",
            description = "Also check that the ACTIVE key and every key with live tokens are published.")
    Path keysDir;

    @Option(names = "--token", paramLabel = "FILE", description = "A projected service-account token to check.")
    Path token;

    @Option(names = "--for", paramLabel = "entra|aws", defaultValue = "entra",
            description = "Whose rules and errors: entra (Entra ID workload identity federation) or aws (AWS STS"
                    + " AssumeRoleWithWebIdentity, IRSA). Default: ${DEFAULT-VALUE}.")
    String relyingParty;

    @Option(names = "--audience", paramLabel = "AUD",
            description = "The token audience to expect (default: api://AzureADTokenExchange for entra,"
                    + " sts.amazonaws.com for aws).")
    String audience;

    @Option(names = "--allow-http", description = "Local trials only: report an http issuer as a warning, not a failure.")
    boolean allowHttp;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "10s",
            description = "How long each fetch may take to connect and to answer (default: ${DEFAULT-VALUE}).")
    String timeout;

    @Spec
    CommandSpec spec;

    private int passed;
    private int failed;
    private PrintWriter out;
    private RelyingPartyFetch fetch;
    private RelyingParty rp;

    @Override
    public Integer call() {
        out = spec.commandLine().getOut();
        usage();
        try {
            Map<String, PublishedJwks> published = new java.util.LinkedHashMap<>();
            for (String each : issuers) {
                issuer = each;
                if (issuers.size() > 1) {
                    out.println("Issuer " + issuer + ":");
                }
                published.put(issuer, checkAll());
            }
            if (token != null) {
                checkToken(published);
            }
        } catch (RuntimeException e) {
            // A safety net: every expected problem has its own check; this one still ends in a FAIL line.
            check(false, "doctor completes its checks", String.valueOf(e.getMessage()), null,
                    "report this as a bug in doctor, with the published documents");
        }
        int total = passed + failed;
        out.println(failed == 0 ? "doctor: all " + total + " checks passed"
                : "doctor: " + failed + " of " + total + " checks failed");
        out.flush();
        return failed == 0 ? 0 : 1;
    }

    /** An issuer that is not a URL or a timeout that is not a duration is a usage error (exit 2), not a finding. */
    private void usage() {
        for (String each : issuers) {
            try {
                IssuerConfig.of(each, null, true);
            } catch (InvalidIssuerException e) {
                throw new ParameterException(spec.commandLine(), "--issuer: " + e.getMessage());
            }
            if (issuers.indexOf(each) != issuers.lastIndexOf(each)) {
                throw new ParameterException(spec.commandLine(), "--issuer " + each + " is given twice");
            }
        }
        try {
            rp = RelyingParty.named(relyingParty);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        if (audience == null || audience.isBlank()) {
            audience = rp.audience();
        }
        try {
            fetch = new RelyingPartyFetch(DurationText.parse(timeout));
        } catch (picocli.CommandLine.TypeConversionException e) {
            throw new ParameterException(spec.commandLine(), "--timeout " + e.getMessage());
        }
        // A typo in --keys-dir would otherwise read as an empty store and report every published kid as missing.
        if (keysDir != null) {
            try {
                StoreOptions.requireDirectory(keysDir, "--keys-dir");
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), e.getMessage());
            }
        }
    }

    /** One issuer's checks; returns its JWKS, or null when none could be read. */
    private PublishedJwks checkAll() {
        boolean https = "https".equals(URI.create(issuer).getScheme());
        if (https || !allowHttp) {
            check(https, "issuer uses https", "the issuer is " + URI.create(issuer).getScheme() + "://",
                    rp.notHttps(), "serve the documents over https with a publicly trusted certificate, e.g. "
                            + rp.hosting());
        } else {
            out.println("WARN  issuer uses http (--allow-http): " + rp.answers() + " and kube-apiserver will refuse it");
        }
        Map<String, Object> discovery = fetchJson("discovery document", IssuerConfig.discoveryUrlOf(issuer));
        PublishedJwks jwks = null;
        if (discovery != null) {
            checkIssuer(discovery.get("issuer"));
            String jwksUri = jwksUri(discovery.get("jwks_uri"));
            if (jwksUri != null) {
                Map<String, Object> raw = fetchJson("JWKS", jwksUri);
                if (raw != null) {
                    jwks = PublishedJwks.read(raw);
                    checkKeys(jwks);
                }
            }
        }
        return jwks;
    }

    private void checkIssuer(Object published) {
        String how = published == null ? "it has no issuer"
                : !(published instanceof String p) ? "its issuer is " + PublishedJwks.jsonType(published) + ", not a string"
                : issuer.equalsIgnoreCase(p) ? "'" + p + "' differs only in case"
                : withoutTrailingSlash(issuer).equals(withoutTrailingSlash(p)) ? "'" + p + "' differs in the trailing slash"
                : "it says '" + p + "'";
        check(issuer.equals(published), "discovery issuer equals '" + issuer + "' exactly", how,
                rp.issuerMismatch(),
                "make issuer.url, kube-apiserver --service-account-issuer and the credential's issuer identical");
    }

    /** The jwks_uri if it is one a relying party fetches, else null after a FAIL line. */
    private String jwksUri(Object value) {
        String problem;
        if (value == null) {
            problem = "it has none";
        } else if (!(value instanceof String s)) {
            problem = "jwks_uri is " + PublishedJwks.jsonType(value) + ", not a string";
        } else {
            try {
                IssuerConfig.of(issuer, s, true);
                problem = allowHttp || s.startsWith("https:") ? null
                        : "jwks_uri '" + s + "' uses http; " + rp.answers() + " fetches keys over https only";
            } catch (InvalidIssuerException e) {
                problem = e.getMessage();
            }
        }
        return check(problem == null, "discovery has an https jwks_uri", problem, rp.unreachable(), PUBLISH_UNCHANGED)
                ? (String) value : null;
    }

    private void checkKeys(PublishedJwks jwks) {
        if (!check(jwks.shapeProblem() == null, "JWKS has a 'keys' array", jwks.shapeProblem(),
                rp.noKey() + " for every token", PUBLISH_UNCHANGED + ": {\"keys\": [ ... ]}")) {
            return;
        }
        int n = jwks.entries();
        if (n == 0) {
            check(false, "JWKS has at least one key", "'keys' is empty", rp.noKey() + " for every token",
                    "check /actuator/health (mirror, rotation): the service publishes its ACTIVE key; an empty set"
                            + " was published by something else, or before the first key existed");
            return;
        }
        if (rp.maxKeys() > 0) {
            check(n <= rp.maxKeys(), "JWKS has at most " + rp.maxKeys() + " keys (has " + n + ")", rp.answers()
                    + " reads only the first " + rp.maxKeys() + " keys", rp.noKey() + " for any kid past the first "
                    + rp.maxKeys(), "lower issuer.rotation.max-keys and remove verify-only keys");
        }
        check(jwks.unreadable().isEmpty(), "every key has kty, kid and its public members",
                String.join("; ", jwks.unreadable()), rp.noKey() + " for tokens signed with an unreadable key",
                PUBLISH_UNCHANGED);
        List<JWK> keys = jwks.keys();
        if (!keys.isEmpty()) {
            List<String> notRs256 = keys.stream().filter(k -> !JWSAlgorithm.RS256.equals(k.getAlgorithm()))
                    .map(k -> k.getKeyID() + " (" + (k.getAlgorithm() == null ? "no alg" : k.getAlgorithm()) + ")").toList();
            check(notRs256.isEmpty(), "every key is RS256", "not RS256: " + String.join(", ", notRs256),
                    rp.notRs256() + ", for tokens they sign",
                    "use issuer.rotation.algorithm=RSA-2048 and rotate; import RSA keys only");
        }
        if (keysDir != null) {
            checkStorePublished(keys);
        }
    }

    private void checkStorePublished(List<JWK> keys) {
        KeySet set;
        try {
            set = new io.kubeoidc.store.DirectoryKeyStore(keysDir).load().keySet();
        } catch (KeyStoreException e) {
            check(false, "the key store " + keysDir + " can be read", e.getMessage(), null,
                    "pass the service's issuer.keys.directory as --keys-dir");
            return;
        }
        Set<String> published = keys.stream().map(JWK::getKeyID).collect(Collectors.toSet());
        List<String> missing = set.keys().stream()
                .filter(k -> k.state() == KeyState.ACTIVE || k.state() == KeyState.RETIRED || k.state() == KeyState.VERIFY_ONLY)
                .map(ManagedKey::kid).filter(kid -> !published.contains(kid)).toList();
        check(set.active().isPresent() && missing.isEmpty(),
                "the ACTIVE key and every key with live tokens are in the public JWKS",
                set.active().isEmpty() ? "the store has no ACTIVE key" : "missing: " + missing, rp.noKey(),
                "check /actuator/health (mirror, rotation): the public copy is stale or not written");
    }

    /** @param published each issuer's JWKS (null where it could not be read) */
    private void checkToken(Map<String, PublishedJwks> published) {
        String invalid = rp.badToken();
        String pass = "pass the projected token file, e.g. " + rp.tokenFile() + " in the pod";
        SignedJWT jwt;
        JWTClaimsSet claims;
        try {
            jwt = SignedJWT.parse(Files.readString(token).strip());
            claims = jwt.getJWTClaimsSet();
        } catch (NoSuchFileException e) {
            check(false, "token file " + token + " can be read", "no such file", invalid, pass);
            return;
        } catch (AccessDeniedException e) {
            check(false, "token file " + token + " can be read", "permission denied", invalid, pass);
            return;
        } catch (IOException e) {
            check(false, "token file " + token + " can be read", Files.isDirectory(token) ? "it is a directory"
                    : String.valueOf(e.getMessage()), invalid, pass);
            return;
        } catch (java.text.ParseException e) {
            check(false, "token file is a JWT", "it is not a signed JWT (" + e.getMessage() + ")", invalid, pass);
            return;
        }
        JWSAlgorithm alg = jwt.getHeader().getAlgorithm();
        check(JWSAlgorithm.RS256.equals(alg), "token is signed with RS256", "it is signed with " + alg,
                rp.notRs256(), "sign with an RSA key: issuer.rotation.algorithm=RSA-2048");
        String iss = claims.getIssuer();
        check(issuers.contains(iss), issuers.size() == 1 ? "token iss equals the issuer" : "token iss is one of the issuers",
                "iss is '" + iss + "'", rp.tokenIssuer(), "kube-apiserver's --service-account-issuer must equal issuer.url");
        // The token's key must be in its own issuer's JWKS: that is the one a relying party fetches for it.
        PublishedJwks jwks = published.get(issuers.contains(iss) ? iss : issuers.get(0));
        String kid = jwt.getHeader().getKeyID();
        JWK key = jwks == null || kid == null ? null
                : jwks.keys().stream().filter(k -> kid.equals(k.getKeyID())).findFirst().orElse(null);
        if (check(key != null, "token kid " + kid + " is in the public JWKS", jwks == null ? "no JWKS could be read" : "it is not",
                rp.noKey(), "the signing key was not published: check the mirror and rotation health")) {
            String problem;
            try {
                JWSVerifier verifier = new DefaultJWSVerifierFactory().createJWSVerifier(jwt.getHeader(),
                        ((AsymmetricJWK) key).toPublicKey());
                problem = jwt.verify(verifier) ? null : "it does not";
            } catch (JOSEException | ClassCastException e) {
                problem = "the published key cannot verify a " + alg + " signature (" + e.getMessage() + ")";
            }
            check(problem == null, "token signature verifies with the published key", problem,
                    rp.badToken(), "the published key does not match the signer's key");
        }
        List<String> aud = claims.getAudience();
        check(aud.contains(audience), "token aud contains " + audience, "aud is " + aud, rp.audienceError(),
                "use the projected token the " + rp.webhook() + " mounts (audience " + audience + ")");
        if (rp.subjectError() != null) {
            String sub = claims.getSubject();
            String[] parts = sub == null ? new String[0] : sub.split(":", -1);
            boolean serviceAccount = parts.length == 4 && "system".equals(parts[0]) && "serviceaccount".equals(parts[1])
                    && !parts[2].isEmpty() && !parts[3].isEmpty();
            if (check(serviceAccount, "token sub names a service account (system:serviceaccount:NAMESPACE:NAME)",
                    "sub is " + (sub == null ? "missing" : "'" + sub + "'"), rp.subjectError(),
                    "use a service-account token projected by kubelet")) {
                out.println("      the role's trust policy must allow " + withoutTrailingSlash(issuers.contains(iss) ? iss : issuers.get(0)).replaceFirst("^https?://", "")
                        + ":sub = " + sub + " and :aud = " + audience);
            }
        }
        Date exp = claims.getExpirationTime();
        check(exp != null && exp.after(new Date()), "token has not expired", exp == null ? "it has no exp" : "it expired at " + exp,
                rp.expired(), "re-read the token file: kubelet refreshes it at 80% of its lifetime");
    }

    private Map<String, Object> fetchJson(String what, String url) {
        RelyingPartyFetch.Fetched r = fetch.get(url);
        int status = r.status();
        String problem = !r.answered() ? r.failure()
                : "HTTP " + status + (status == 403 || status == 401 || status == 409
                ? " (" + rp.notPublic() + ")" : "");
        if (!check(r.answered() && status == 200, what + " is reachable anonymously at " + url, problem, rp.unreachable(),
                !r.answered() ? fixFor(r.failure())
                        : "make it public: " + rp.makePublic() + ", no firewall in front")) {
            return null;
        }
        String type = r.contentType();
        if (rp.wrongType() != null) {
            check(type.startsWith("application/json") || type.startsWith("application/jwk-set+json"),
                    what + " is served as JSON", "Content-Type is '" + type + "'", rp.wrongType(),
                    "store the blob with Content-Type application/json (the mirror does)");
        }
        Object parsed;
        String why;
        try {
            parsed = JSONObjectUtils.parse(r.body());
            why = null;
        } catch (java.text.ParseException e) {
            parsed = null;
            why = "it is not a JSON object (" + e.getMessage() + ")";
        }
        if (!check(why == null, what + " parses as a JSON object", why, rp.unreachable(), PUBLISH_UNCHANGED)) {
            return null;
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> map = (Map<String, Object>) parsed;
        return map;
    }

    private static String fixFor(String failure) {
        if (failure.startsWith("DNS")) {
            return "publish a public DNS record for the host, or fix the host name in the issuer";
        }
        if (failure.startsWith("TLS")) {
            return "serve https with a publicly trusted certificate (the storage static website has one)";
        }
        if (failure.startsWith("refused") || failure.startsWith("timeout")) {
            return "make the endpoint reachable from the internet: the server is up, the port is open, no firewall in front";
        }
        return "check that the URL is public and answers an anonymous GET";
    }

    /** @param answer what the relying party would answer, or null for a local problem it never sees */
    private boolean check(boolean ok, String what, String problem, String answer, String fix) {
        if (ok) {
            passed++;
            out.println("PASS  " + what);
        } else {
            failed++;
            out.println("FAIL  " + what);
            out.println("      " + problem);
            if (answer != null) {
                out.println("      " + rp.answers() + " would answer: " + answer);
            }
            out.println("      Fix: " + fix);
        }
        return ok;
    }
}
