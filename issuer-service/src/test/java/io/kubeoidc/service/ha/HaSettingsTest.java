package io.kubeoidc.service.ha;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kubeoidc.service.config.InvalidConfigurationException;
import io.kubeoidc.service.config.IssuerProperties;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The validated etcd settings never show the etcd password, whether it is a setting or was put in an endpoint URL. */
class HaSettingsTest {
    static final String PASSWORD = "s3cret-Xq7vT2pL9";

    static IssuerProperties properties(String endpoints, String user, String password) {
        var etcd = new IssuerProperties.Etcd(endpoints, "/kube-oidc-issuer/", null, null, null, user, password,
                Duration.ofSeconds(2), "node-1", Duration.ofSeconds(15));
        var keys = new IssuerProperties.Keys(Path.of("data/keys"), "etcd", Path.of("kek"), Path.of("copy"), etcd, "files",
                new IssuerProperties.Pkcs11(null, null, null, null, false));
        return new IssuerProperties("https://oidc.example.com", null, false, keys, null, null, null, null, null, null,
                new IssuerProperties.Publisher(null), null);
    }

    @Test
    void toStringRedactsThePassword() {
        HaSettings ha = HaSettings.from(properties("https://10.0.0.1:2379,https://10.0.0.2:2379", "issuer", PASSWORD));
        assertThat(ha.toString()).doesNotContain(PASSWORD).contains("user=issuer, password=<redacted>")
                .contains("replicaId=node-1");
        assertThat(ha.etcd().password()).isEqualTo(PASSWORD); // still there for the connection
    }

    @Test
    void aPasswordInAnEndpointUrlIsRefusedWithoutRepeatingIt() {
        assertThatThrownBy(() -> HaSettings.from(properties("https://10.0.0.1:2379,https://issuer:" + PASSWORD
                + "@10.0.0.2:2379", null, null)))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessage("issuer.keys.etcd: etcd endpoint https://***@10.0.0.2:2379 carries a user name and password"
                        + " in the URL, which would end up in logs and process listings; set the etcd user and password"
                        + " settings instead")
                .satisfies(e -> assertThat(e.getCause().getMessage()).doesNotContain(PASSWORD));
    }

    @Test
    void aHostJavaCannotParseDoesNotLeakThePasswordEither() {
        // An underscore in the host makes java.net.URI fall back to a registry authority, with no user info.
        assertThatThrownBy(() -> HaSettings.from(properties("https://issuer:" + PASSWORD + "@etcd_1:2379", null, null)))
                .hasMessageContaining("https://***@etcd_1:2379").satisfies(e -> assertThat(e.getMessage()).doesNotContain(PASSWORD));
        // Not a URI at all: the text is echoed, minus the user info.
        assertThatThrownBy(() -> HaSettings.from(properties("https://issuer:" + PASSWORD + "@10.0.0.1:2379/a b", null, null)))
                .hasMessage("issuer.keys.etcd: etcd endpoint 'https://***@10.0.0.1:2379/a b' must look like https://10.0.0.1:2379");
        // No scheme, and a password holding '/' and '@'.
        assertThatThrownBy(() -> HaSettings.from(properties("issuer:" + PASSWORD + "/x@y@10.0.0.1:2379", null, null)))
                .hasMessageStartingWith("issuer.keys.etcd: etcd endpoint ***@10.0.0.1:2379 carries a user name");
    }
}
