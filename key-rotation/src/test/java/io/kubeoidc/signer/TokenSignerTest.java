package io.kubeoidc.signer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.util.Base64URL;
import io.kubeoidc.Vectors;
import io.kubeoidc.keys.KeySpec;
import io.kubeoidc.keys.SigningKey;
import io.kubeoidc.pem.PemKeyReader;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.security.interfaces.ECPublicKey;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

class TokenSignerTest {
    @SuppressWarnings("unchecked")
    private static final Map<String, Object> EXTERNAL = (Map<String, Object>)
            Vectors.json("vectors/derived/sa-token-examples.json").get("external_signer_rs256");

    /** The vector's issuer, and kube-apiserver's default --service-account-max-token-expiration cap of a day. */
    private static final ClaimsPolicy POLICY = ClaimsPolicy.of("https://oidc.example.com/cluster-a", 86_400);

    private static String claims(String json) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }

    private static SigningKey upstreamRsa() {
        return PemKeyReader.readFile(Vectors.path("vectors/k8s-serviceaccount-testkeys/rsa-2048-private.pkcs1.pem"))
                .requireKeys().get(0).signingKey().orElseThrow();
    }

    @Test
    void rs256HeaderAndSignatureAreByteExactWithTheVector() {
        SignedParts parts = new TokenSigner(upstreamRsa(), POLICY).sign((String) EXTERNAL.get("SignJWTRequest.claims"));
        assertThat(parts.header()).isEqualTo(EXTERNAL.get("SignJWTResponse.header"));
        assertThat(new String(Base64.getUrlDecoder().decode(parts.header()), StandardCharsets.US_ASCII))
                .isEqualTo(EXTERNAL.get("header_json"));
        assertThat(parts.signature()).isEqualTo(EXTERNAL.get("SignJWTResponse.signature"));
    }

    @ParameterizedTest
    @EnumSource(value = KeySpec.class, names = {"EC_P256", "EC_P384", "EC_P521"})
    void ecSignaturesAreFixedLengthRAndS(KeySpec spec) throws Exception {
        SigningKey key = SigningKey.generate(spec, new SecureRandom());
        String claims = (String) EXTERNAL.get("SignJWTRequest.claims");
        SignedParts parts = new TokenSigner(key, POLICY).sign(claims);
        int expected = switch (spec) {
            case EC_P256 -> 64;
            case EC_P384 -> 96;
            default -> 132;
        };
        assertThat(new Base64URL(parts.signature()).decode()).hasSize(expected);
        JWSObject jws = JWSObject.parse(parts.header() + "." + claims + "." + parts.signature());
        assertThat(jws.verify(new ECDSAVerifier((ECPublicKey) key.verificationKey().publicKey()))).isTrue();
        assertThat(jws.getHeader().toJSONObject()).containsOnlyKeys("alg", "kid", "typ");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "''                 | claims are empty",
            "eyJhIjoxfQ==       | not unpadded base64url",
            "eyJh+IjoxfQ        | not unpadded base64url",
            "abcde              | not valid base64url",
            "WzEsMl0            | do not decode to a JSON object",
            "bnVsbA             | do not decode to a JSON object",
            "eyJhIjox           | do not decode to a JSON object",
            "aGVsbG8gd29ybGQ    | do not decode to a JSON object",
            "eyJhIjoi__59       | not valid UTF-8",
    })
    void badClaimsAreRefusedWithoutSigning(String claims, String reason) {
        TokenSigner signer = new TokenSigner(upstreamRsa(), POLICY);
        assertThatThrownBy(() -> signer.sign(claims)).isInstanceOf(InvalidClaimsException.class)
                .hasMessageContaining(reason)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(claims.isEmpty() ? "\u0000" : claims));
    }

    @Test
    void hugeClaimsAreRefused() {
        String huge = "e" + "A".repeat(TokenSigner.MAX_CLAIMS_CHARS);
        assertThatThrownBy(() -> new TokenSigner(upstreamRsa(), POLICY).sign(huge)).hasMessageContaining("over the 65536 limit");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "foreign iss        | {\"iss\":\"https://evil.example\",\"iat\":1000,\"exp\":4600}            | the iss claim is not the issuer this signer serves: https://oidc.example.com/cluster-a (issuer.url)",
            "iss with a slash   | {\"iss\":\"https://oidc.example.com/cluster-a/\",\"iat\":1000,\"exp\":4600} | the iss claim is not the issuer this signer serves:",
            "iss not a string   | {\"iss\":[\"https://oidc.example.com/cluster-a\"],\"iat\":1000,\"exp\":4600} | the iss claim is not the issuer this signer serves:",
            "no iss             | {\"iat\":1000,\"exp\":4600}                                         | claims have no iss",
            "no exp             | {\"iss\":\"https://oidc.example.com/cluster-a\",\"iat\":1000}               | claims have no exp",
            "no iat             | {\"iss\":\"https://oidc.example.com/cluster-a\",\"exp\":4600}               | claims have no iat",
            "fractional exp     | {\"iss\":\"https://oidc.example.com/cluster-a\",\"iat\":1000,\"exp\":4600.5}  | the exp claim is not an integer NumericDate",
            "string iat         | {\"iss\":\"https://oidc.example.com/cluster-a\",\"iat\":\"1000\",\"exp\":4600} | the iat claim is not an integer NumericDate",
            "exp before iat     | {\"iss\":\"https://oidc.example.com/cluster-a\",\"iat\":4600,\"exp\":1000}  | the exp claim is not after the iat claim",
            "one second too long| {\"iss\":\"https://oidc.example.com/cluster-a\",\"iat\":1000,\"exp\":87401} | the token lifetime (exp - iat) is over the 86400 s this signer allows",
            "ten years          | {\"iss\":\"https://oidc.example.com/cluster-a\",\"iat\":1000,\"exp\":315361000} | the token lifetime (exp - iat) is over the 86400 s",
            "overflowing span   | {\"iss\":\"https://oidc.example.com/cluster-a\",\"iat\":-9223372036854775807,\"exp\":9223372036854775807} | the token lifetime (exp - iat) is over",
    })
    void claimsKubeApiserverWouldNotSendAreRefused(String name, String json, String reason) {
        TokenSigner signer = new TokenSigner(upstreamRsa(), POLICY);
        assertThatThrownBy(() -> signer.sign(claims(json))).isInstanceOf(InvalidClaimsException.class)
                .hasMessageContaining(reason)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("evil").doesNotContain("4600")
                        .doesNotContain("87401").doesNotContain("315361000"));
    }

    @Test
    void exactlyTheMaximumLifetimeIsSigned() {
        // kube-apiserver caps its extended tokens at the advertised maximum, so exp - iat may equal it.
        var parts = new TokenSigner(upstreamRsa(), POLICY)
                .sign(claims("{\"iss\":\"https://oidc.example.com/cluster-a\",\"iat\":1000,\"exp\":87400}"));
        assertThat(parts.signature()).isNotEmpty();
    }

    @Test
    void anyOfSeveralIssuersIsAccepted() {
        var policy = new ClaimsPolicy(java.util.Set.of("https://old.example.com", "https://oidc.example.com/cluster-a"), 3600);
        var signer = new TokenSigner(upstreamRsa(), policy);
        assertThat(signer.sign(claims("{\"iss\":\"https://old.example.com\",\"iat\":1,\"exp\":3601}")).signature()).isNotEmpty();
        assertThatThrownBy(() -> signer.sign(claims("{\"iss\":\"https://evil.example\",\"iat\":1,\"exp\":3601}")))
                .hasMessage("the iss claim is not the issuer this signer serves: https://oidc.example.com/cluster-a or"
                        + " https://old.example.com (issuer.url and issuer.additional-urls)");
    }
}
