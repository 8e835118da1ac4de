package io.kubeoidc.service.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/** Settings records with real-looking credentials: their toString (logs, exceptions, debuggers) shows none. */
class SettingsRedactionTest {
    static final SecureRandom random = new SecureRandom();

    /** A storage account key as the portal shows it: 64 random bytes, base64. */
    static final String ACCOUNT_KEY = base64(64);
    /** A SAS signature: an HMAC-SHA256, base64, as it appears URL-encoded in the token. */
    static final String SIGNATURE = URLEncoder.encode(base64(32), StandardCharsets.UTF_8);
    static final String SAS = "sv=2024-11-04&ss=b&srt=co&sp=rwdlacx&se=2027-01-01T00:00:00Z&st=2026-01-01T00:00:00Z"
            + "&spr=https&sig=" + SIGNATURE;
    static final String PASSWORD = "Pw-" + base64(18);

    static String base64(int bytes) {
        byte[] b = new byte[bytes];
        random.nextBytes(b);
        return Base64.getEncoder().encodeToString(b);
    }

    static IssuerProperties.Azure azure(String connectionString, String endpoint, String sas) {
        return new IssuerProperties.Azure(connectionString, endpoint, sas, "$web", "cluster-a/",
                "https://acct.z6.web.core.windows.net/", "public, max-age=300", null);
    }

    @Test
    void azureConnectionStringKeepsTheAccountButNotItsKey() {
        String text = azure("DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=" + ACCOUNT_KEY
                + ";EndpointSuffix=core.windows.net", null, null).toString();
        assertThat(text).doesNotContain(ACCOUNT_KEY).doesNotContain(ACCOUNT_KEY.substring(0, 12))
                .contains("AccountName=acct;AccountKey=<redacted>;EndpointSuffix=core.windows.net")
                .contains("container=$web").contains("prefix=cluster-a/");
    }

    @Test
    void sasInAConnectionStringAnEndpointOrItsOwnSettingIsRedacted() {
        var withSas = azure("BlobEndpoint=https://acct.blob.core.windows.net/;SharedAccessSignature=" + SAS,
                "https://acct.blob.core.windows.net/?" + SAS, "?" + SAS);
        String text = withSas.toString();
        assertThat(text).doesNotContain(SIGNATURE).doesNotContain(SAS)
                .contains("connectionString=BlobEndpoint=https://acct.blob.core.windows.net/;SharedAccessSignature=<redacted>")
                .contains("endpoint=https://acct.blob.core.windows.net/?sv=2024-11-04&").contains("&spr=https&sig=<redacted>")
                .contains("sasToken=?sv=2024-11-04&ss=b&srt=co&sp=rwdlacx&se=2027-01-01T00:00:00Z");
        // Azure accepts the member names in any case.
        assertThat(azure("accountname=acct;ACCOUNTKEY=" + ACCOUNT_KEY, null, "SIG=" + SIGNATURE).toString())
                .doesNotContain(ACCOUNT_KEY).doesNotContain(SIGNATURE);
    }

    @Test
    void etcdPasswordIsRedacted() {
        var etcd = new IssuerProperties.Etcd("https://10.0.0.1:2379", "/kube-oidc-issuer/", Path.of("ca.crt"), null, null,
                "issuer", PASSWORD, Duration.ofSeconds(2), "node-1", Duration.ofSeconds(15));
        assertThat(etcd.toString()).doesNotContain(PASSWORD).contains("user=issuer, password=<redacted>")
                .contains("endpoints=https://10.0.0.1:2379");
        var keys = new IssuerProperties.Keys(Path.of("data/keys"), "etcd", Path.of("kek"), Path.of("copy"), etcd, "files",
                new IssuerProperties.Pkcs11(null, null, null, null, false));
        assertThat(keys.toString()).doesNotContain(PASSWORD);
    }

    @Test
    void unsetSecretsStayVisiblyUnset() {
        assertThat(azure(null, "https://acct.blob.core.windows.net/", null).toString())
                .contains("connectionString=null, endpoint=https://acct.blob.core.windows.net/, sasToken=null");
    }
}
