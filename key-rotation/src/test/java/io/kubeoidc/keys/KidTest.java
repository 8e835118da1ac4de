package io.kubeoidc.keys;

import static org.assertj.core.api.Assertions.assertThat;

import io.kubeoidc.Vectors;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** kid = base64url(SHA-256(DER SPKI)), pinned upstream by TestKeyIDStability. */
class KidTest {
    @Test
    void everyUpstreamTestKeyHasItsPinnedKid() {
        Map<String, Object> kids = Vectors.json("vectors/k8s-serviceaccount-testkeys/kids.json");
        int checked = 0;
        for (var e : kids.entrySet()) {
            if (e.getKey().startsWith("_")) {
                continue;
            }
            String file = e.getKey().split(" ")[0];
            assertThat(Vectors.key("vectors/k8s-serviceaccount-testkeys/" + file).kid())
                    .as(file).isEqualTo(e.getValue());
            checked++;
        }
        assertThat(checked).isEqualTo(5);
    }

    @Test
    void algorithmFollowsKeyType() {
        assertThat(Vectors.key("vectors/k8s-serviceaccount-testkeys/rsa-2048-public.pem").algorithm().getName()).isEqualTo("RS256");
        assertThat(Vectors.key("vectors/k8s-serviceaccount-testkeys/ecdsa-p256-public.pem").algorithm().getName()).isEqualTo("ES256");
        assertThat(Vectors.key("vectors/derived/p384.public.pem").algorithm().getName()).isEqualTo("ES384");
        assertThat(Vectors.key("vectors/derived/p521-x-short.public.pem").algorithm().getName()).isEqualTo("ES512");
    }
}
