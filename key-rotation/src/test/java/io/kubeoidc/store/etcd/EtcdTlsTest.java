package io.kubeoidc.store.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kubeoidc.keys.KeySpec;
import io.kubeoidc.keys.SigningKey;
import io.kubeoidc.keyset.KeySet;
import io.kubeoidc.rotation.GateStatus;
import io.kubeoidc.rotation.RotationPlan;
import io.kubeoidc.rotation.RotationPlanner;
import io.kubeoidc.rotation.RotationPolicy;
import io.kubeoidc.sealing.KeyEncryptionKey;
import io.kubeoidc.sealing.SealedBox;
import io.kubeoidc.testing.EtcdCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * etcd as kubeadm runs it: TLS on the client port and client certificates required. The CA, server and
 * client certificates are made by openssl, the client key in PKCS#1 ("BEGIN RSA PRIVATE KEY") as kubeadm
 * writes apiserver-etcd-client.key.
 */
class EtcdTlsTest {
    @TempDir
    static Path dir;
    static EtcdCluster etcd;

    static void openssl(String... args) throws Exception {
        var cmd = new java.util.ArrayList<>(List.of("openssl"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new IllegalStateException("openssl " + String.join(" ", args) + " failed: " + out);
        }
    }

    @BeforeAll
    static void startTlsEtcd() throws Exception {
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2",
                "-subj", "/CN=etcd-ca");
        Files.writeString(dir.resolve("server.ext"), "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=etcd");
        openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                "-out", "server.crt", "-days", "2", "-extfile", "server.ext");
        openssl("genrsa", "-traditional", "-out", "client.key", "2048");
        Files.writeString(dir.resolve("client.ext"), "extendedKeyUsage=clientAuth\n");
        openssl("req", "-new", "-key", "client.key", "-out", "client.csr", "-subj", "/CN=kube-oidc-issuer");
        openssl("x509", "-req", "-in", "client.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                "-out", "client.crt", "-days", "2", "-extfile", "client.ext");
        assertThat(Files.readString(dir.resolve("client.key"))).startsWith("-----BEGIN RSA PRIVATE KEY-----");
        etcd = EtcdCluster.startTls(Files.createDirectories(dir.resolve("etcd")), List.of(
                "--cert-file", dir.resolve("server.crt").toString(), "--key-file", dir.resolve("server.key").toString(),
                "--trusted-ca-file", dir.resolve("ca.crt").toString(), "--client-cert-auth"));
    }

    @AfterAll
    static void stop() throws Exception {
        etcd.close();
    }

    EtcdSettings settings(Path cert, Path key) {
        return new EtcdSettings(etcd.endpoints(), "/tls/", dir.resolve("ca.crt"), cert, key, null, null, Duration.ofSeconds(5));
    }

    @Test
    void mutualTlsWithAKubeadmStyleClientCertificate() {
        assertThat(etcd.endpoints().get(0).getScheme()).isEqualTo("https");
        byte[] raw = new byte[32];
        new SecureRandom().nextBytes(raw);
        try (var conn = new EtcdConnection(settings(dir.resolve("client.crt"), dir.resolve("client.key")))) {
            var store = new EtcdKeyStore(conn, new SealedBox(KeyEncryptionKey.of(raw)), Clock.systemUTC(), List::of);
            RotationPlan plan = RotationPlanner.plan(KeySet.EMPTY, RotationPolicy.defaults(Duration.ofHours(1)),
                    new GateStatus(Map.of()), Instant.now(), spec -> SigningKey.generate(KeySpec.RSA_2048, new SecureRandom()));
            var committed = store.commit(0, plan.next(), plan.newKeys());
            assertThat(store.load().keySet()).isEqualTo(committed.keySet());
        }
    }

    @Test
    void withoutAClientCertificateEtcdRefusesAndTheErrorSaysWhere() {
        try (var conn = new EtcdConnection(new EtcdSettings(etcd.endpoints(), "/tls/", dir.resolve("ca.crt"), null, null,
                null, null, Duration.ofSeconds(2)))) {
            assertThatThrownBy(() -> EtcdGroupView.read(conn)).isInstanceOf(EtcdUnavailableException.class)
                    .hasMessageContaining(etcd.endpoints().get(0).toString());
        }
    }

    @Test
    void unreadableTlsFilesAreNamed() {
        assertThatThrownBy(() -> new EtcdConnection(settings(dir.resolve("client.crt"), dir.resolve("missing.key"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("etcd TLS files")
                .hasMessageContaining("missing.key");
    }
}
