package io.kubeoidc.service.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jwt.SignedJWT;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Entra stand-in's rules one by one, with assertions signed by PyJWT (not by our signer) with the upstream
 * Kubernetes test keys, against discovery and JWKS served over https by the JDK's server.
 */
class EntraStandInTest {
    static final String TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    static final String CLIENT = "0b3a4bd4-5b45-4e0a-9c38-6f2b8c4f1c11";
    static final String SUBJECT = "system:serviceaccount:shop:orders";
    static final long NOW = 1_800_000_000L;
    static final String RSA_KID = "JHJehTTTZlsspKHT-GaJxK7Kd1NQgZJu3fyK6K_QDYU";
    static final String EC_KID = "SoABiieYuNx4UdqYvZRVeuC6SihxgLrhLy9peHMHpTc";

    @TempDir
    static Path work;
    static DocumentSite site;
    static EntraStandIn entra;
    static String issuer;

    @BeforeAll
    static void publish() throws Exception {
        SelfSignedTls tls = new SelfSignedTls(work.resolve("tls"), "IP:127.0.0.1");
        site = new DocumentSite(tls.serverContext());
        issuer = site.url() + "/cluster-a";
        JWK rsa = JWK.parseFromPEMEncodedObjects(read("rsa-2048-public.pem")).toRSAKey();
        JWK ec = JWK.parseFromPEMEncodedObjects(read("ecdsa-p256-public.pem")).toECKey();
        List<JWK> keys = List.of(new RSAKey.Builder(rsa.toRSAKey()).keyID(RSA_KID).keyUse(KeyUse.SIGNATURE).build(),
                new ECKey.Builder(ec.toECKey()).keyID(EC_KID).keyUse(KeyUse.SIGNATURE).build());
        publishIssuer("/cluster-a", issuer, new JWKSet(keys));
        // The same key, but after 100 others: Entra never sees it.
        List<JWK> crowded = new ArrayList<>();
        RSAKey decoy = new RSAKeyGenerator(2048).generate().toPublicJWK();
        for (int i = 0; i < 100; i++) {
            crowded.add(new RSAKey.Builder(decoy).keyID("decoy-" + i).build());
        }
        crowded.add(keys.get(0));
        publishIssuer("/crowded", site.url() + "/crowded", new JWKSet(crowded));
        // Discovery that names another issuer than the one it is served for (a trailing slash added).
        publishIssuer("/mismatch", site.url() + "/mismatch/", new JWKSet(keys));
        HttpClient anonymous = HttpClient.newBuilder().sslContext(tls.clientContext()).build();
        List<EntraStandIn.FederatedCredential> fics = new ArrayList<>();
        for (String path : List.of("/cluster-a", "/crowded", "/mismatch")) {
            fics.add(EntraStandIn.FederatedCredential.of(site.url() + path, SUBJECT));
        }
        fics.add(EntraStandIn.FederatedCredential.of("http://127.0.0.1:1/plain", SUBJECT));
        entra = new EntraStandIn(TENANT, CLIENT, fics, anonymous, Clock.fixed(Instant.ofEpochSecond(NOW), ZoneOffset.UTC));
    }

    private static void publishIssuer(String path, String issuerInDocument, JWKSet keys) {
        site.publish(path + "/.well-known/openid-configuration", "application/json", JSONObjectUtils.toJSONString(Map.of(
                "issuer", issuerInDocument, "jwks_uri", site.url() + path + "/openid/v1/jwks",
                "response_types_supported", List.of("id_token"), "subject_types_supported", List.of("public"),
                "id_token_signing_alg_values_supported", List.of("RS256"))));
        site.publish(path + "/openid/v1/jwks", "application/json", keys.toString(true));
    }

    @AfterAll
    static void stop() {
        site.close();
    }

    private static String read(String name) throws Exception {
        return Files.readString(TestData.vector("k8s-serviceaccount-testkeys/" + name));
    }

    /** Claims as kube-apiserver puts them in a projected token for Entra. */
    static Map<String, Object> claims() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("aud", List.of(EntraStandIn.EXCHANGE_AUDIENCE));
        c.put("exp", NOW + 3600);
        c.put("iat", NOW - 60);
        c.put("iss", issuer);
        c.put("nbf", NOW - 60);
        c.put("sub", SUBJECT);
        return c;
    }

    /** A JWT signed by PyJWT with the PEM private key {@code key} (or a fresh RSA key when null). */
    static String pyjwt(String key, String alg, String kid, Map<String, Object> claims) throws Exception {
        String script = """
                import json, sys, jwt
                from cryptography.hazmat.primitives.asymmetric import rsa
                key_file, alg, kid, claims = sys.argv[1:5]
                key = open(key_file).read() if key_file else rsa.generate_private_key(public_exponent=65537, key_size=2048)
                print(jwt.encode(json.loads(claims), key, algorithm=alg, headers={"kid": kid}))
                """;
        Process p = new ProcessBuilder("/usr/bin/python3", "-c", script,
                key == null ? "" : TestData.vector("k8s-serviceaccount-testkeys/" + key).toString(), alg, kid,
                JSONObjectUtils.toJSONString(claims)).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes()).strip();
        assertThat(p.waitFor()).as(out).isZero();
        return out;
    }

    static String rs256(Map<String, Object> claims) throws Exception {
        return pyjwt("rsa-2048-private.pkcs1.pem", "RS256", RSA_KID, claims);
    }

    static Map<String, String> form(String assertion) {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("client_id", CLIENT);
        f.put("client_assertion", assertion);
        f.put("client_assertion_type", EntraStandIn.JWT_BEARER);
        f.put("grant_type", "client_credentials");
        f.put("scope", EntraStandIn.STORAGE_SCOPE);
        return f;
    }

    static EntraStandIn.Answer exchange(Map<String, String> form) {
        return entra.exchange(form);
    }

    static void assertRefused(EntraStandIn.Answer answer, int status, String code, String text) {
        assertThat(answer.status()).as(answer.json()).isEqualTo(status);
        assertThat(answer.code()).as(answer.json()).isEqualTo(code);
        assertThat((String) answer.body().get("error_description")).contains(text).contains("Trace ID: ")
                .contains("Correlation ID: ");
        assertThat(answer.body().get("error_codes")).isEqualTo(List.of(Integer.parseInt(code.substring(6))));
        assertThat(answer.body()).containsKeys("error", "timestamp", "trace_id", "correlation_id");
    }

    @Test
    void aValidAssertionGetsAStorageTokenThatAzuriteReads() throws Exception {
        var answer = exchange(form(rs256(claims())));
        assertThat(answer.status()).as(answer.json()).isEqualTo(200);
        assertThat(answer.body()).containsEntry("token_type", "Bearer").containsEntry("expires_in", 60L);
        var token = SignedJWT.parse((String) answer.body().get("access_token")).getJWTClaimsSet();
        assertThat(token.getAudience()).containsExactly("https://storage.azure.com");
        assertThat(token.getIssuer()).isEqualTo("https://sts.windows.net/" + TENANT + "/");
        assertThat(token.getExpirationTime().toInstant()).isEqualTo(Instant.ofEpochSecond(NOW + 60));
        assertThat(token.getNotBeforeTime()).isNotNull();
        assertThat(token.getIssueTime()).isNotNull();
    }

    @Test
    void aKidMissingFromTheJwksIs7000272() throws Exception {
        assertRefused(exchange(form(pyjwt(null, "RS256", "never-published", claims()))), 401, "AADSTS7000272",
                "The certificate with identifier 'never-published' used to sign the federated credential could not be"
                        + " found in the metadata of identity provider '" + issuer + "'");
    }

    @Test
    void onlyTheFirstHundredKeysCount() throws Exception {
        Map<String, Object> c = claims();
        c.put("iss", site.url() + "/crowded");
        assertRefused(exchange(form(rs256(c))), 401, "AADSTS7000272", "'" + RSA_KID + "'");
    }

    @Test
    void theIssuerMustMatchAFederatedCredentialExactly() throws Exception {
        for (String other : List.of(issuer + "/", issuer.replace("cluster-a", "Cluster-A"), issuer + "x")) {
            Map<String, Object> c = claims();
            c.put("iss", other);
            assertRefused(exchange(form(rs256(c))), 400, "AADSTS700211", "assertion issuer '" + other + "'");
        }
    }

    @Test
    void discoveryMustNameTheSameIssuerAndBeHttps() throws Exception {
        Map<String, Object> c = claims();
        c.put("iss", site.url() + "/mismatch");
        assertRefused(exchange(form(rs256(c))), 400, "AADSTS90061", "is '" + site.url() + "/mismatch/', not '"
                + site.url() + "/mismatch'");
        c.put("iss", "http://127.0.0.1:1/plain");
        assertRefused(exchange(form(rs256(c))), 400, "AADSTS90061",
                "http://127.0.0.1:1/plain/.well-known/openid-configuration is not https");
    }

    @Test
    void onlyRs256Verifies() throws Exception {
        // The EC key is published with its kid, so only the algorithm is wrong.
        assertRefused(exchange(form(pyjwt("ecdsa-p256-private.sec1.pem", "ES256", EC_KID, claims()))), 401,
                "AADSTS700027", "Client assertion failed signature validation.");
        // PS256 with the published RSA key: a valid signature, not RS256.
        assertRefused(exchange(form(pyjwt("rsa-2048-private.pkcs1.pem", "PS256", RSA_KID, claims()))), 401,
                "AADSTS700027", "Client assertion failed signature validation.");
        // RS256 claiming the published kid, signed by another key.
        assertRefused(exchange(form(pyjwt(null, "RS256", RSA_KID, claims()))), 401, "AADSTS700027",
                "failed signature validation");
    }

    @Test
    void theTimeClaimsMustHold() throws Exception {
        for (var change : List.<Map<String, Object>>of(Map.of("exp", NOW), Map.of("exp", NOW - 1),
                Map.of("nbf", NOW + 1), Map.of("iat", NOW + 1))) {
            Map<String, Object> c = claims();
            c.putAll(change);
            assertRefused(exchange(form(rs256(c))), 401, "AADSTS700024",
                    "Client assertion is not within its valid time range.");
        }
        Map<String, Object> noExp = claims();
        noExp.remove("exp");
        assertRefused(exchange(form(rs256(noExp))), 401, "AADSTS700024", "not within its valid time range");
    }

    @Test
    void theAudienceMustBeTheTokenExchangeOne() throws Exception {
        for (Object aud : List.of(List.of("https://kubernetes.default.svc"), "api://azureadtokenexchange")) {
            Map<String, Object> c = claims();
            c.put("aud", aud);
            assertRefused(exchange(form(rs256(c))), 400, "AADSTS700212", "assertion audience");
        }
    }

    @Test
    void theSubjectMustBeAFederatedCredentialsExactly() throws Exception {
        for (String sub : List.of("system:serviceaccount:shop:default", "system:serviceaccount:shop:orders ")) {
            Map<String, Object> c = claims();
            c.put("sub", sub);
            assertRefused(exchange(form(rs256(c))), 400, "AADSTS700213", "assertion subject '" + sub + "'");
        }
        Map<String, Object> c = claims();
        c.put("sub", "system:serviceaccount:shop:Orders");
        assertRefused(exchange(form(rs256(c))), 400, "AADSTS7002138", "matches with case-insensitive comparison, but"
                + " not with case-sensitive comparison: 'system:serviceaccount:shop:Orders'");
    }

    @Test
    void theRequestItselfIsChecked() throws Exception {
        String good = rs256(claims());
        Map<String, String> f = form(good);
        f.put("grant_type", "password");
        assertRefused(exchange(f), 400, "AADSTS70003", "unsupported grant type 'password'");
        f = form(good);
        f.remove("client_assertion");
        assertRefused(exchange(f), 400, "AADSTS900144", "'client_assertion'");
        f = form(good);
        f.put("client_id", "someone-else");
        assertRefused(exchange(f), 400, "AADSTS700016", "'someone-else' was not found");
        f = form(good);
        f.put("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:saml2-bearer");
        assertRefused(exchange(f), 400, "AADSTS70002", "client_assertion_type");
        f = form(good);
        f.put("scope", "https://vault.azure.net/.default");
        assertRefused(exchange(f), 400, "AADSTS70011", "scope");
        assertRefused(exchange(form("not.a.jwt")), 401, "AADSTS50027", "JWT token is invalid or malformed.");
    }
}
