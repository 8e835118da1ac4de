package io.kubeoidc.service.it;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.SSLContext;

/**
 * Microsoft Entra ID's token endpoint for workload identity federation, as far as it is documented, for tests:
 * there is no Entra emulator. It follows the documented rules and nothing looser (docs/azure.md §5, §6 and
 * shared/reference/azure.md §0, §3.4): a federated identity credential (FIC) is matched on the exact issuer string;
 * discovery is fetched anonymously over https from {@code iss}/.well-known/openid-configuration, whose
 * {@code issuer} must equal {@code iss}; only the first 100 keys of its https {@code jwks_uri} count; only RS256
 * verifies; {@code exp}, {@code nbf} and {@code iat} must hold (no clock-skew allowance); the audience must be the
 * FIC's ({@code api://AzureADTokenExchange}) and the subject a FIC's exactly. Failures answer with Entra's error
 * codes in Entra's JSON shape; success with an access token for the storage audience that Azurite's OAuth mode
 * accepts ({@code iss https://sts.windows.net/<tenant>/}, {@code aud https://storage.azure.com}).
 *
 * <p>It also answers MSAL4J's instance discovery ({@code /common/discovery/instance}), which MSAL sends to
 * {@code login.microsoftonline.com} for any authority host it does not know: a test therefore runs the client JVM
 * with a hosts file mapping that name to 127.0.0.1 and a trust store holding only the test certificate.
 */
final class EntraStandIn implements AutoCloseable {
    static final String EXCHANGE_AUDIENCE = "api://AzureADTokenExchange";
    static final String JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
    static final String STORAGE_SCOPE = "https://storage.azure.com/.default";
    /** The host MSAL4J sends instance discovery to for an authority host outside its trusted list. */
    static final String HOST = "login.microsoftonline.com";
    /** Entra stores only the first 100 keys of an issuer's JWKS. */
    static final int MAX_KEYS = 100;

    /** One federated identity credential of the app registration or managed identity. */
    record FederatedCredential(String issuer, String subject, String audience) {
        static FederatedCredential of(String issuer, String subject) {
            return new FederatedCredential(issuer, subject, EXCHANGE_AUDIENCE);
        }
    }

    /** An answer of the token endpoint: the HTTP status and the JSON body. */
    record Answer(int status, Map<String, Object> body) {
        String json() {
            return JSONObjectUtils.toJSONString(body);
        }

        /** The AADSTS code of an error answer (e.g. "AADSTS7000272"), or null for a token. */
        String code() {
            Object d = body.get("error_description");
            return d == null ? null : ((String) d).substring(0, ((String) d).indexOf(':'));
        }
    }

    /** One token request as the stand-in saw it: the assertion's kid and subject, and the outcome. */
    record Exchange(String kid, String subject, String outcome) {}

    private final String tenant;
    private final String clientId;
    private final List<FederatedCredential> credentials;
    private final HttpClient anonymous;
    private final Clock clock;
    private final RSAKey signingKey;
    private final List<Exchange> exchanges = new CopyOnWriteArrayList<>();
    private HttpsServer server;

    /**
     * @param anonymous the client discovery and JWKS are fetched with: no credentials, and trusting what an
     *                  internet client would (here: the test certificate)
     */
    EntraStandIn(String tenant, String clientId, List<FederatedCredential> credentials, HttpClient anonymous, Clock clock)
            throws Exception {
        this.tenant = tenant;
        this.clientId = clientId;
        this.credentials = List.copyOf(credentials);
        this.anonymous = anonymous;
        this.clock = clock;
        this.signingKey = new RSAKeyGenerator(2048).keyID("entra-stand-in").generate();
    }

    /** Serves the token endpoint and instance discovery over https on 127.0.0.1 (a free port). */
    EntraStandIn serve(SSLContext tls) throws IOException {
        server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), TestData.freePort()), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(tls));
        server.createContext("/", this::handle);
        server.start();
        return this;
    }

    /** AZURE_AUTHORITY_HOST for a client that resolves {@link #HOST} to 127.0.0.1. */
    String authorityHost() {
        return "https://" + HOST + ":" + server.getAddress().getPort() + "/";
    }

    List<Exchange> exchanges() {
        return List.copyOf(exchanges);
    }

    private void handle(HttpExchange http) throws IOException {
        try (http) {
            String path = http.getRequestURI().getPath();
            Answer answer;
            if (http.getRequestMethod().equals("GET") && path.equals("/common/discovery/instance")) {
                answer = new Answer(200, instanceDiscovery());
            } else if (http.getRequestMethod().equals("POST") && path.equals("/" + tenant + "/oauth2/v2.0/token")) {
                answer = exchange(form(new String(http.getRequestBody().readAllBytes(), StandardCharsets.UTF_8)));
            } else {
                answer = error(404, "invalid_request", 90002, "Tenant '" + path + "' not found.");
            }
            byte[] body = answer.json().getBytes(StandardCharsets.UTF_8);
            http.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
            http.sendResponseHeaders(answer.status(), body.length);
            try (OutputStream out = http.getResponseBody()) {
                out.write(body);
            }
        }
    }

    private Map<String, Object> instanceDiscovery() {
        String host = HOST + ":" + server.getAddress().getPort();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("tenant_discovery_endpoint", "https://" + host + "/" + tenant + "/v2.0/.well-known/openid-configuration");
        body.put("api-version", "1.1");
        body.put("metadata", List.of(Map.of("preferred_network", host, "preferred_cache", host, "aliases", List.of(host))));
        return body;
    }

    static Map<String, String> form(String body) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String pair : body.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                out.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                        URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    /** The client-credentials grant with a federated client assertion, as MSAL sends it. */
    Answer exchange(Map<String, String> form) {
        Answer answer = decide(form);
        String kid = null;
        String subject = null;
        try {
            SignedJWT jwt = SignedJWT.parse(form.getOrDefault("client_assertion", ""));
            kid = jwt.getHeader().getKeyID();
            subject = jwt.getJWTClaimsSet().getSubject();
        } catch (java.text.ParseException notAJwt) {
            // recorded without kid and subject
        }
        exchanges.add(new Exchange(kid, subject, answer.code() == null ? "granted" : answer.code()));
        return answer;
    }

    private Answer decide(Map<String, String> form) {
        if (!"client_credentials".equals(form.get("grant_type"))) {
            return error(400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type '"
                    + form.get("grant_type") + "'.");
        }
        for (String required : List.of("client_id", "client_assertion", "client_assertion_type", "scope")) {
            if (form.get(required) == null || form.get(required).isBlank()) {
                return error(400, "invalid_request", 900144, "The request body must contain the following parameter: '"
                        + required + "'.");
            }
        }
        if (!form.get("client_id").equals(clientId)) {
            return error(400, "unauthorized_client", 700016, "Application with identifier '" + form.get("client_id")
                    + "' was not found in the directory '" + tenant + "'.");
        }
        if (!form.get("client_assertion_type").equals(JWT_BEARER)) {
            return error(400, "invalid_request", 70002, "The client_assertion_type must be '" + JWT_BEARER + "'.");
        }
        if (!List.of(form.get("scope").split(" ")).contains(STORAGE_SCOPE)) {
            return error(400, "invalid_scope", 70011, "The provided value for the input parameter 'scope' is not valid."
                    + " The scope " + form.get("scope") + " is not valid.");
        }
        SignedJWT assertion;
        JWTClaimsSet claims;
        try {
            assertion = SignedJWT.parse(form.get("client_assertion"));
            claims = assertion.getJWTClaimsSet();
        } catch (java.text.ParseException e) {
            return error(401, "invalid_client", 50027, "JWT token is invalid or malformed.");
        }
        String iss = claims.getIssuer();
        List<FederatedCredential> forIssuer = credentials.stream().filter(c -> c.issuer().equals(iss)).toList();
        if (forIssuer.isEmpty()) {
            return error(400, "invalid_request", 700211, "No matching federated identity record found for presented"
                    + " assertion issuer '" + iss + "'. Please check your federated identity credential Subject,"
                    + " Audience and Issuer against the presented assertion.");
        }
        List<JWK> keys;
        try {
            keys = publishedKeys(iss);
        } catch (MetadataException e) {
            return error(400, "invalid_request", 90061, "Request to External OIDC endpoint failed. " + e.getMessage());
        }
        String kid = assertion.getHeader().getKeyID();
        JWK key = keys.stream().filter(k -> k.getKeyID() != null && k.getKeyID().equals(kid)).findFirst().orElse(null);
        if (key == null) {
            return error(401, "invalid_client", 7000272, "The certificate with identifier '" + kid + "' used to sign the"
                    + " federated credential could not be found in the metadata of identity provider '" + iss
                    + "'. Please validate that your Identity Provider's metadata exposes the key used to sign the"
                    + " incoming token.");
        }
        try {
            if (!JWSAlgorithm.RS256.equals(assertion.getHeader().getAlgorithm()) || !(key instanceof RSAKey rsa)
                    || !assertion.verify(new RSASSAVerifier(rsa))) {
                return error(401, "invalid_client", 700027, "Client assertion failed signature validation.");
            }
        } catch (com.nimbusds.jose.JOSEException e) {
            return error(401, "invalid_client", 700027, "Client assertion failed signature validation.");
        }
        Instant now = clock.instant();
        Date exp = claims.getExpirationTime();
        Date nbf = claims.getNotBeforeTime();
        Date iat = claims.getIssueTime();
        if (exp == null || iat == null || !now.isBefore(exp.toInstant()) || (nbf != null && now.isBefore(nbf.toInstant()))
                || now.isBefore(iat.toInstant())) {
            return error(401, "invalid_client", 700024, "Client assertion is not within its valid time range. Current"
                    + " time: " + now + ", assertion valid from " + (nbf == null ? iat : nbf) + ", expiry time of"
                    + " assertion " + exp + ".");
        }
        List<String> audiences = claims.getAudience();
        List<FederatedCredential> forAudience = forIssuer.stream().filter(c -> audiences.contains(c.audience())).toList();
        if (forAudience.isEmpty()) {
            return error(400, "invalid_request", 700212, "No matching federated identity record found for presented"
                    + " assertion audience '" + String.join(",", audiences) + "'. Please note that the matching is done"
                    + " using a case-sensitive comparison.");
        }
        String sub = claims.getSubject();
        if (forAudience.stream().noneMatch(c -> c.subject().equals(sub))
                && forAudience.stream().anyMatch(c -> c.subject().equalsIgnoreCase(sub))) {
            // Matching is case-sensitive since 2024; Entra names the case-only miss apart.
            return error(400, "invalid_request", 7002138, "The federated identity credential subject matches with"
                    + " case-insensitive comparison, but not with case-sensitive comparison: '" + sub + "'.");
        }
        if (forAudience.stream().noneMatch(c -> c.subject().equals(sub))) {
            return error(400, "invalid_request", 700213, "No matching federated identity record found for presented"
                    + " assertion subject '" + sub + "'. Please note that the matching is done using a case-sensitive"
                    + " comparison.");
        }
        return new Answer(200, accessToken(now));
    }

    /** The first {@value #MAX_KEYS} keys of the JWKS that discovery at {@code iss} names, fetched anonymously. */
    private List<JWK> publishedKeys(String iss) throws MetadataException {
        URI discoveryUrl = httpsUri((iss.endsWith("/") ? iss.substring(0, iss.length() - 1) : iss)
                + "/.well-known/openid-configuration");
        Map<String, Object> discovery;
        try {
            discovery = JSONObjectUtils.parse(fetch(discoveryUrl));
        } catch (java.text.ParseException e) {
            throw new MetadataException(discoveryUrl + " is not a JSON object");
        }
        if (!iss.equals(discovery.get("issuer"))) {
            throw new MetadataException("The issuer in " + discoveryUrl + " is '" + discovery.get("issuer")
                    + "', not '" + iss + "'");
        }
        if (!(discovery.get("jwks_uri") instanceof String jwksUri)) {
            throw new MetadataException(discoveryUrl + " has no jwks_uri");
        }
        try {
            List<JWK> keys = JWKSet.parse(fetch(httpsUri(jwksUri))).getKeys();
            return keys.subList(0, Math.min(MAX_KEYS, keys.size()));
        } catch (java.text.ParseException e) {
            throw new MetadataException(jwksUri + " is not a JWK set: " + e.getMessage());
        }
    }

    private static URI httpsUri(String url) throws MetadataException {
        URI uri = URI.create(url);
        if (!"https".equals(uri.getScheme())) {
            throw new MetadataException(url + " is not https");
        }
        return uri;
    }

    private String fetch(URI uri) throws MetadataException {
        try {
            HttpResponse<String> r = anonymous.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new MetadataException(uri + " answered " + r.statusCode());
            }
            return r.body();
        } catch (IOException e) {
            throw new MetadataException(uri + ": " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MetadataException(uri + ": interrupted");
        }
    }

    private static final class MetadataException extends Exception {
        MetadataException(String message) {
            super(message);
        }
    }

    /** An access token for Azure Storage, valid for a minute, as Azure Storage (and Azurite) reads it. */
    private Map<String, Object> accessToken(Instant now) {
        Duration lifetime = Duration.ofMinutes(1);
        JWTClaimsSet claims = new JWTClaimsSet.Builder().audience("https://storage.azure.com")
                .issuer("https://sts.windows.net/" + tenant + "/").issueTime(Date.from(now)).notBeforeTime(Date.from(now))
                .expirationTime(Date.from(now.plus(lifetime))).claim("appid", clientId).claim("tid", tenant)
                .claim("oid", UUID.nameUUIDFromBytes(clientId.getBytes(StandardCharsets.UTF_8)).toString())
                .subject(clientId).claim("ver", "1.0").build();
        SignedJWT token = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(signingKey.getKeyID()).build(),
                claims);
        try {
            token.sign(new RSASSASigner(signingKey));
        } catch (com.nimbusds.jose.JOSEException e) {
            throw new IllegalStateException(e);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("token_type", "Bearer");
        body.put("expires_in", lifetime.toSeconds());
        body.put("ext_expires_in", lifetime.toSeconds());
        body.put("access_token", token.serialize());
        return body;
    }

    /** Entra's error shape: OAuth error, AADSTS code and text with trace and correlation ids, the codes again. */
    private Answer error(int status, String error, int code, String text) {
        String trace = UUID.randomUUID().toString();
        String correlation = UUID.randomUUID().toString();
        String timestamp = clock.instant().toString();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", error);
        body.put("error_description", "AADSTS" + code + ": " + text + " Trace ID: " + trace + " Correlation ID: "
                + correlation + " Timestamp: " + timestamp);
        body.put("error_codes", new ArrayList<>(List.of(code)));
        body.put("timestamp", timestamp);
        body.put("trace_id", trace);
        body.put("correlation_id", correlation);
        body.put("error_uri", "https://" + HOST + "/error?code=" + code);
        return new Answer(status, body);
    }

    @Override
    public void close() {
        if (server != null) {
            server.stop(0);
        }
    }
}
