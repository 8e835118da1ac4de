package io.kubeoidc.service.cli;

import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.factories.DefaultJWSVerifierFactory;
import com.nimbusds.jose.jwk.AsymmetricJWK;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jwt.SignedJWT;
import io.kubeoidc.documents.IssuerConfig;
import io.kubeoidc.keyset.KeyState;
import io.kubeoidc.keyset.ManagedKey;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
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
import picocli.CommandLine.Spec;

/** Checks an issuer the way Entra ID does, and says which AADSTS error each failure would cause. */
@Command(name = "doctor", mixinStandardHelpOptions = true,
        description = {"Check the issuer as Entra ID would: fetch discovery from the issuer URL, compare the issuer",
                "exactly, fetch jwks_uri anonymously, check keys (and optionally a projected token).",
                "Exits 0 only when every check passes."})
final class DoctorCommand implements Callable<Integer> {
    static final String AUDIENCE = "api://AzureADTokenExchange";

    @Option(names = "--issuer", required = true, paramLabel = "URL",
            description = "The issuer exactly as in --service-account-issuer and the federated credential.")
    String issuer;

    @Option(names = "--keys-dir", paramLabel = "DIR",
            description = "Also check that the ACTIVE key and every key with live tokens are published.")
    Path keysDir;

    @Option(names = "--token", paramLabel = "FILE", description = "A projected service-account token to check.")
    Path token;

    @Option(names = "--allow-http", description = "Local trials only: report an http issuer as a warning, not a failure.")
    boolean allowHttp;

    @Spec
    CommandSpec spec;

    private int passed;
    private int failed;
    private PrintWriter out;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10))
            .followRedirects(HttpClient.Redirect.NORMAL).build();

    @Override
    public Integer call() throws Exception {
        out = spec.commandLine().getOut();
        URI uri = URI.create(issuer);
        boolean https = "https".equals(uri.getScheme());
        if (https || !allowHttp) {
            check(https, "issuer uses https", "the issuer is " + uri.getScheme() + "://",
                    "AADSTS50166 (Entra cannot fetch the issuer's metadata)",
                    "serve the documents over https with a publicly trusted certificate, e.g. the storage static website");
        } else {
            out.println("WARN  issuer uses http (--allow-http): Entra ID and kube-apiserver will refuse it");
        }
        String discoveryUrl = IssuerConfig.discoveryUrlOf(issuer);
        Map<String, Object> discovery = fetchJson("discovery document", discoveryUrl);
        JWKSet jwks = null;
        if (discovery != null) {
            String published = (String) discovery.get("issuer");
            String how = published == null ? "it has no issuer" : issuer.equalsIgnoreCase(published)
                    ? "'" + published + "' differs only in case" : withoutTrailingSlash(issuer).equals(withoutTrailingSlash(published))
                    ? "'" + published + "' differs in the trailing slash" : "it says '" + published + "'";
            check(issuer.equals(published), "discovery issuer equals '" + issuer + "' exactly", how,
                    "AADSTS700211 / AADSTS70021 (no federated credential matches the token's issuer)",
                    "make issuer.url, kube-apiserver --service-account-issuer and the credential's issuer identical");
            Object jwksUri = discovery.get("jwks_uri");
            if (check(jwksUri instanceof String, "discovery has a jwks_uri", "it has none",
                    "AADSTS50166", "publish the service's discovery document unchanged")) {
                Map<String, Object> raw = fetchJson("JWKS", (String) jwksUri);
                if (raw != null) {
                    jwks = JWKSet.parse(raw);
                }
            }
        }
        if (jwks != null) {
            checkKeys(jwks);
        }
        if (token != null) {
            checkToken(jwks);
        }
        int total = passed + failed;
        out.println(failed == 0 ? "doctor: all " + total + " checks passed"
                : "doctor: " + failed + " of " + total + " checks failed");
        return failed == 0 ? 0 : 1;
    }

    private void checkKeys(JWKSet jwks) {
        List<JWK> keys = jwks.getKeys();
        check(!keys.isEmpty() && keys.size() <= 100, "JWKS has 1 to 100 keys (has " + keys.size() + ")",
                "Entra reads only the first 100 keys", "AADSTS7000272 for any kid past the first 100",
                "lower issuer.rotation.max-keys and remove verify-only keys");
        List<String> notRs256 = keys.stream().filter(k -> k.getAlgorithm() == null || !"RS256".equals(k.getAlgorithm().getName()))
                .map(JWK::getKeyID).toList();
        check(notRs256.isEmpty(), "every key is RS256", "not RS256: " + notRs256,
                "AADSTS700027 (Entra supports only RS256 signatures)", "use issuer.rotation.algorithm=RSA-2048");
        if (keysDir != null) {
            Set<String> published = keys.stream().map(JWK::getKeyID).collect(Collectors.toSet());
            var set = new io.kubeoidc.store.DirectoryKeyStore(keysDir).load().keySet();
            List<String> missing = set.keys().stream()
                    .filter(k -> k.state() == KeyState.ACTIVE || k.state() == KeyState.RETIRED || k.state() == KeyState.VERIFY_ONLY)
                    .map(ManagedKey::kid).filter(kid -> !published.contains(kid)).toList();
            check(set.active().isPresent() && missing.isEmpty(),
                    "the ACTIVE key and every key with live tokens are in the public JWKS",
                    set.active().isEmpty() ? "the store has no ACTIVE key" : "missing: " + missing,
                    "AADSTS7000272 (the token's kid is not in the issuer's metadata)",
                    "check /actuator/health (mirror, rotation): the public copy is stale or not written");
        }
    }

    private void checkToken(JWKSet jwks) throws Exception {
        SignedJWT jwt;
        try {
            jwt = SignedJWT.parse(Files.readString(token).strip());
        } catch (java.text.ParseException e) {
            check(false, "token file is a JWT", e.getMessage(), "AADSTS50027 (invalid JWT)", "pass the projected token file");
            return;
        }
        var claims = jwt.getJWTClaimsSet();
        check(issuer.equals(claims.getIssuer()), "token iss equals the issuer", "iss is '" + claims.getIssuer() + "'",
                "AADSTS700211", "kube-apiserver's --service-account-issuer must equal issuer.url");
        String kid = jwt.getHeader().getKeyID();
        JWK key = jwks == null || kid == null ? null : jwks.getKeyByKeyId(kid);
        if (check(key != null, "token kid " + kid + " is in the public JWKS", "it is not",
                "AADSTS7000272", "the signing key was not published: check the mirror and rotation health")) {
            JWSVerifier verifier = new DefaultJWSVerifierFactory().createJWSVerifier(jwt.getHeader(),
                    ((AsymmetricJWK) key).toPublicKey());
            check(jwt.verify(verifier), "token signature verifies with the published key", "it does not",
                    "AADSTS700027", "the published key does not match the signer's key");
        }
        check(claims.getAudience().contains(AUDIENCE), "token aud contains " + AUDIENCE, "aud is " + claims.getAudience(),
                "AADSTS700212", "use the projected token the workload-identity webhook mounts (audience " + AUDIENCE + ")");
        Date exp = claims.getExpirationTime();
        check(exp != null && exp.after(new Date()), "token has not expired", "it expired at " + exp,
                "AADSTS700024", "re-read the token file: kubelet refreshes it at 80% of its lifetime");
    }

    private Map<String, Object> fetchJson(String what, String url) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(15)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (!check(r.statusCode() == 200, what + " is reachable anonymously at " + url,
                    "HTTP " + r.statusCode() + (r.statusCode() == 403 || r.statusCode() == 401 || r.statusCode() == 409
                            ? " (a private container: use the static website or blob-level public access)" : ""),
                    "AADSTS50166 / AADSTS90061 (request to the external OIDC endpoint failed)",
                    "make it public: static website ($web) or a public container, no firewall in front")) {
                return null;
            }
            String type = r.headers().firstValue("Content-Type").orElse("");
            check(type.startsWith("application/json") || type.startsWith("application/jwk-set+json"),
                    what + " is served as JSON", "Content-Type is '" + type + "'", "AADSTS50166",
                    "store the blob with Content-Type application/json (the mirror does)");
            return JSONObjectUtils.parse(r.body());
        } catch (java.text.ParseException e) {
            check(false, what + " parses as a JSON object", e.getMessage(), "AADSTS50166", "publish the service's document");
            return null;
        } catch (Exception e) {
            check(false, what + " is reachable anonymously at " + url, e.getClass().getSimpleName() + ": " + e.getMessage(),
                    "AADSTS50166 / AADSTS90061", "check DNS, TLS and that the URL is public");
            return null;
        }
    }

    private boolean check(boolean ok, String what, String problem, String aadsts, String fix) {
        if (ok) {
            passed++;
            out.println("PASS  " + what);
        } else {
            failed++;
            out.println("FAIL  " + what);
            out.println("      " + problem);
            out.println("      Entra ID would answer: " + aadsts);
            out.println("      Fix: " + fix);
        }
        return ok;
    }
}
