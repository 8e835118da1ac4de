package io.kubeoidc.service.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.util.JSONObjectUtils;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Entra ID accepts only RS256. A key that would sign anything else is accepted (other relying parties take
 * ES256), but never silently: `keys import` warns when it makes one ACTIVE, and the service warns at start for
 * an EC algorithm or an EC ACTIVE key, with no Azure mirror configured.
 */
class EntraAlgorithmWarningIT {
    static final String ENTRA = "Entra ID accepts only RS256";

    @TempDir
    Path work;

    /** kid of a pem/ fixture as openssl computed it (expected.json). */
    private static String kid(String file) throws Exception {
        Map<String, Object> expected = JSONObjectUtils.parse(TestData.read(TestData.pem("expected.json")));
        return (String) JSONObjectUtils.getJSONObject(expected, file).get("kid");
    }

    @Test
    void importingAnEcKeyThatBecomesActiveWarnsAndAnRsaOneDoesNot() throws Exception {
        var ec = JarProcess.run(work, "keys", "import", "--keys-dir", "ec/keys", TestData.pem("ec-p256.sec1.pem").toString());
        assertThat(ec.exitCode()).as(ec.output()).isZero();
        assertThat(ec.output()).contains("warning: the new ACTIVE key " + kid("ec-p256.sec1.pem") + " signs ES256, and "
                + ENTRA + ": its workload identity token exchange will refuse the tokens it signs (AADSTS700027)");

        var rsa = JarProcess.run(work, "keys", "import", "--keys-dir", "rsa/keys", TestData.pem("kubeadm-sa.key").toString());
        assertThat(rsa.exitCode()).as(rsa.output()).isZero();
        assertThat(rsa.output()).doesNotContain(ENTRA);

        // Published for verification only, an EC key never signs: no warning.
        var verifyOnly = JarProcess.run(work, "keys", "import", "--verify-only", "--keys-dir", "rsa/keys",
                TestData.pem("ec-p384.spki.pem").toString());
        assertThat(verifyOnly.exitCode()).as(verifyOnly.output()).isZero();
        assertThat(verifyOnly.output()).doesNotContain(ENTRA);
    }

    @Test
    void theServiceWarnsAtStartForAnEcAlgorithmAndForAnEcActiveKeyWithoutAnAzureMirror() throws Exception {
        var ec = JarProcess.run(work, "keys", "import", "--keys-dir", "data/keys", TestData.pem("ec-p256.sec1.pem").toString());
        assertThat(ec.exitCode()).as(ec.output()).isZero();
        int mgmt = TestData.freePort();
        try (JarProcess service = JarProcess.start(work, "--server.port=" + TestData.freePort(),
                "--management.server.port=" + mgmt, "--issuer.url=https://oidc.example.com",
                "--issuer.rotation.algorithm=EC-P256").awaitReady(mgmt)) {
            assertThat(service.output()).contains("issuer.rotation.algorithm is EC-P256: keys generated from now on sign"
                    + " ES256, and " + ENTRA).contains("The ACTIVE key " + kid("ec-p256.sec1.pem") + " signs ES256, and " + ENTRA);
        }
        int mgmt2 = TestData.freePort();
        try (JarProcess rsa = JarProcess.start(java.nio.file.Files.createDirectories(work.resolve("rsa")), "--server.port=" + TestData.freePort(),
                "--management.server.port=" + mgmt2, "--issuer.url=https://oidc.example.com").awaitReady(mgmt2)) {
            assertThat(rsa.output()).doesNotContain(ENTRA);
        }
    }
}
