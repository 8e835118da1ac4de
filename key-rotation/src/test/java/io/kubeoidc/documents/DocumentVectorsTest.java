package io.kubeoidc.documents;

import static io.kubeoidc.Vectors.bytes;
import static io.kubeoidc.Vectors.key;
import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import io.kubeoidc.Vectors;
import io.kubeoidc.keys.VerificationKey;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Byte-for-byte comparison with what kube-apiserver produces (TestNewOpenIDMetadata) and derived vectors. */
class DocumentVectorsTest {
    private static final String UPSTREAM = "vectors/k8s-openidmetadata-expected/";
    private static final String KEYS = "vectors/k8s-serviceaccount-testkeys/";
    private static final String DERIVED = "vectors/derived/";

    private static final List<VerificationKey> UPSTREAM_KEYS =
            List.of(key(KEYS + "rsa-2048-public.pem"), key(KEYS + "ecdsa-p256-public.pem"));

    @Test
    void upstreamJwks() throws Exception {
        byte[] rendered = JwksDocument.render(UPSTREAM_KEYS);
        assertThat(rendered).isEqualTo(bytes(UPSTREAM + "valid-inputs.jwks.json"));
        assertParsesWithKids(rendered, UPSTREAM_KEYS);
    }

    @Test
    void upstreamJwksFromPrivateKeysPublishesOnlyThePublicHalf() throws Exception {
        List<VerificationKey> fromPrivate =
                List.of(key(KEYS + "rsa-2048-private.pkcs1.pem"), key(KEYS + "ecdsa-p256-private.sec1.pem"));
        byte[] rendered = JwksDocument.render(fromPrivate);
        assertThat(rendered).isEqualTo(bytes(UPSTREAM + "valid-inputs.jwks.json"));
        assertThat(JWKSet.parse(new String(rendered, StandardCharsets.UTF_8)).getKeys())
                .noneMatch(JWK::isPrivate);
    }

    @Test
    void upstreamDiscoveryWithExplicitJwksUri() {
        var config = IssuerConfig.of("https://issuer.example.com", "https://issuer.example.com/openid/v1/jwks", false);
        assertThat(DiscoveryDocument.render(config, UPSTREAM_KEYS))
                .isEqualTo(bytes(UPSTREAM + "valid-inputs.openid-configuration.json"));
    }

    @Test
    void upstreamDiscoveryWithDefaultJwksUri() {
        var config = IssuerConfig.of("https://issuer.example.com", null, false);
        assertThat(DiscoveryDocument.render(config, UPSTREAM_KEYS))
                .isEqualTo(bytes(UPSTREAM + "valid-inputs.openid-configuration.json"));
    }

    @Test
    void upstreamDiscoveryWithIpIssuer() {
        var config = IssuerConfig.of("https://192.0.2.1:80", null, false);
        assertThat(DiscoveryDocument.render(config, UPSTREAM_KEYS))
                .isEqualTo(bytes(UPSTREAM + "ip-issuer.openid-configuration.json"));
    }

    @Test
    void upstreamDiscoveryWithJwksUriOnAnotherHost() {
        // kube-apiserver's default from --external-address; we get the same bytes by setting jwks_uri.
        var config = IssuerConfig.of("https://issuer.example.com", "https://192.0.2.1:80/openid/v1/jwks", false);
        assertThat(DiscoveryDocument.render(config, UPSTREAM_KEYS))
                .isEqualTo(bytes(UPSTREAM + "default-jwks-uri-from-external-address.openid-configuration.json"));
    }

    @Test
    void mixedFourKeysInInputOrderWithSortedAlgs() throws Exception {
        List<VerificationKey> keys = List.of(key(KEYS + "rsa-2048-public.pem"),
                key(DERIVED + "p256-x-leading-zero.public.pem"), key(DERIVED + "p384.public.pem"),
                key(DERIVED + "p521-x-short.public.pem"));
        byte[] jwks = JwksDocument.render(keys);
        assertThat(jwks).isEqualTo(bytes(DERIVED + "mixed-4key.jwks.json"));
        assertParsesWithKids(jwks, keys);
        var config = IssuerConfig.of("https://oidc.example.com/cluster-a", null, false);
        assertThat(DiscoveryDocument.render(config, keys)).isEqualTo(bytes(DERIVED + "mixed-4key.openid-configuration.json"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"p256-x-leading-zero", "p384", "p521-x-short"})
    void ecCoordinatesArePaddedToTheCurveSize(String name) throws Exception {
        @SuppressWarnings("unchecked")
        Map<String, Object> expected = (Map<String, Object>) Vectors.json(DERIVED + "ec-padding-jwks.expected.json").get(name);
        String wantJwks = "{\"keys\":[" + expected.get("jwk_compact") + "]}";
        for (String file : List.of(name + ".public.pem", name + ".sec1.pem")) {
            VerificationKey k = key(DERIVED + file);
            assertThat(k.kid()).isEqualTo(expected.get("kid"));
            byte[] rendered = JwksDocument.render(List.of(k));
            assertThat(new String(rendered, StandardCharsets.UTF_8)).isEqualTo(wantJwks);
            assertParsesWithKids(rendered, List.of(k));
        }
    }

    @Test
    void duplicateAlgorithmsAppearOnce() {
        var config = IssuerConfig.of("https://issuer.example.com", null, false);
        List<VerificationKey> keys = List.of(key(KEYS + "rsa-2048-public.pem"), key(KEYS + "other-rsa-2048-public.pem"));
        assertThat(new String(DiscoveryDocument.render(config, keys), StandardCharsets.UTF_8))
                .endsWith("\"id_token_signing_alg_values_supported\":[\"RS256\"]}");
    }

    @Test
    void htmlSensitiveCharactersAreEscapedAsGoDoes() {
        // encoding/json docs: "<", ">", "&", U+2028 and U+2029 become \u003c, \u003e, \u0026, \u2028, \u2029.
        var config = IssuerConfig.of("https://oidc.example.com/a&b", null, false);
        String doc = new String(DiscoveryDocument.render(config, UPSTREAM_KEYS), StandardCharsets.UTF_8);
        assertThat(doc).startsWith("{\"issuer\":\"https://oidc.example.com/a\\u0026b\","
                + "\"jwks_uri\":\"https://oidc.example.com/a\\u0026b/openid/v1/jwks\",");
        assertThat(doc).doesNotEndWith("\n");
    }

    private static void assertParsesWithKids(byte[] jwks, List<VerificationKey> keys) throws Exception {
        JWKSet set = JWKSet.parse(new String(jwks, StandardCharsets.UTF_8));
        assertThat(set.getKeys()).extracting(JWK::getKeyID).containsExactlyElementsOf(keys.stream().map(VerificationKey::kid).toList());
        for (int i = 0; i < keys.size(); i++) {
            assertThat(set.getKeys().get(i).getAlgorithm()).isEqualTo(keys.get(i).algorithm());
            assertThat(set.getKeys().get(i).getKeyUse().getValue()).isEqualTo("sig");
            // The parsed JWK must describe the same public key (Nimbus thumbprint comparison).
            assertThat(set.getKeys().get(i).computeThumbprint()).isEqualTo(keys.get(i).toJwk().computeThumbprint());
        }
    }
}
