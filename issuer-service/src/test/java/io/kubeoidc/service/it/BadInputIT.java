package io.kubeoidc.service.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Bad input gets a specific message, a non-zero exit, and changes nothing. */
class BadInputIT {
    @TempDir
    Path work;

    private static Map<String, byte[]> snapshot(Path dir) throws Exception {
        Map<String, byte[]> files = new HashMap<>();
        if (Files.isDirectory(dir)) {
            try (Stream<Path> s = Files.list(dir)) {
                for (Path p : s.toList()) {
                    files.put(p.getFileName().toString(), Files.readAllBytes(p));
                }
            }
        }
        return files;
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "garbage.pem                 | no usable key: block 1 (PUBLIC KEY): not a DER key structure",
            "not-pem.txt                 | no usable key: it contains no PEM block",
            "rsa1024.pkcs1.pem           | RSA key of 1024 bits is below the 2048-bit minimum",
            "ed25519.pkcs8.pem           | Ed25519 key",
            "rsa2048.encrypted-pkcs8.pem | encrypted key; decrypt it first",
            "mixed.pem                   | block 1 (PUBLIC KEY): not a DER key structure",
    })
    void badKeyFilesAreRefusedAndTheStoreIsUntouched(String file, String message) throws Exception {
        var first = JarProcess.run(work, "keys", "import", "--keys-dir", "keys", TestData.pem("kubeadm-sa.key").toString());
        assertThat(first.exitCode()).as(first.output()).isZero();
        var before = snapshot(work.resolve("keys"));

        var r = JarProcess.run(work, "keys", "import", "--verify-only", "--keys-dir", "keys",
                TestData.pem("kubeadm-sa.pub").toString(), TestData.pem(file).toString());
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.output()).contains("error: " + TestData.pem(file)).contains(message).contains("nothing was changed");
        assertThat(snapshot(work.resolve("keys"))).usingRecursiveComparison().isEqualTo(before);
    }

    @Test
    void importingASigningKeyIntoAUsedStoreIsRefused() throws Exception {
        assertThat(JarProcess.run(work, "keys", "import", "--keys-dir", "keys", TestData.pem("kubeadm-sa.key").toString())
                .exitCode()).isZero();
        var before = snapshot(work.resolve("keys"));
        var r = JarProcess.run(work, "keys", "import", "--keys-dir", "keys", TestData.pem("ec-p256.sec1.pem").toString());
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.output()).contains("already holds 1 key(s)").contains("--verify-only");
        assertThat(snapshot(work.resolve("keys"))).usingRecursiveComparison().isEqualTo(before);
    }

    @Test
    void aMissingFileIsNamed() throws Exception {
        var r = JarProcess.run(work, "keys", "import", "--keys-dir", "keys", "does-not-exist.pem");
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.output()).contains("does-not-exist.pem: cannot read");
        assertThat(work.resolve("keys")).doesNotExist();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "--issuer.tokens.max-lifetime=5m   | with the external signer it must be at least 600 s",
            "--issuer.key-files.directory=pki  | issuer.signer.socket and issuer.key-files.directory are both set",
            "--issuer.signer.refresh-hint=2d   | must be at least issuer.signer.refresh-hint",
    })
    void badSignerConfigurationIsRefused(String arg, String message) throws Exception {
        try (JarProcess p = JarProcess.start(work, "--server.port=" + TestData.freePort(),
                "--management.server.port=" + TestData.freePort(), "--issuer.url=https://oidc.example.com",
                "--issuer.signer.socket=" + work.resolve("s.sock"), "--issuer.rotation.retention=48h", arg)) {
            assertThat(p.awaitExit()).isNotZero();
            assertThat(p.output()).contains("APPLICATION FAILED TO START").contains(message);
        }
        assertThat(work.resolve("s.sock")).doesNotExist();
    }

    @Test
    void unknownCommandIsAUsageError() throws Exception {
        var r = JarProcess.run(work, "keys", "frobnicate");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.output()).contains("Unmatched argument").contains("frobnicate");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "--issuer.url=http://oidc.example.com         | must use the https scheme, not 'http'",
            "--issuer.url=https://oidc.example.com?x=1    | must not contain a query",
            "--issuer.url=https://oidc.example.com#frag   | must not contain a fragment",
            "--issuer.jwks-uri=http://oidc.example.com/k  | jwks_uri 'http://oidc.example.com/k' must use the https scheme",
            "--issuer.rotation.algorithm=DSA-1024          | issuer.rotation.algorithm: unknown key algorithm 'DSA-1024'",
            "--issuer.rotation.publish-ahead=10m           | issuer.rotation.publish-ahead (PT10M) must be at least issuer.http.max-age (PT1H)",
            "--issuer.rotation.max-keys=500                | issuer.rotation.max-keys must be between 3 and 100",
            "--issuer.rotation.retention=1h                | issuer.rotation.retention (PT1H) must be at least issuer.tokens.max-lifetime (PT24H)",
            "--issuer.signer.socket=@issuer                | is an abstract socket, which has no file permissions",
            "--issuer.signer.socket-mode=0666              | gives every local user access to the signer",
            "--issuer.http.jwks-content-type=text/plain    | issuer.http.jwks-content-type must be one of",
    })
    void badConfigurationStopsTheServiceBeforeAnythingIsWritten(String arg, String message) throws Exception {
        var args = new java.util.ArrayList<>(java.util.List.of("--server.port=" + TestData.freePort(),
                "--management.server.port=" + TestData.freePort(), arg));
        if (arg.startsWith("--issuer.signer.socket-mode")) {
            args.add("--issuer.signer.socket=" + work.resolve("s.sock"));
        }
        if (!arg.startsWith("--issuer.url=")) {
            args.add("--issuer.url=https://oidc.example.com");
        }
        try (JarProcess p = JarProcess.start(work, args.toArray(String[]::new))) {
            assertThat(p.awaitExit()).isNotZero();
            assertThat(p.output()).contains("APPLICATION FAILED TO START").contains(message);
        }
        assertThat(work.resolve("data")).doesNotExist();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "--issuer.keys.store=zookeeper                                   | issuer.keys.store must be one of [directory, etcd] (got 'zookeeper')",
            "--issuer.keys.store=etcd                                        | issuer.keys.store=etcd needs issuer.keys.etcd.endpoints",
            "--issuer.keys.store=etcd --issuer.keys.etcd.endpoints=https://10.0.0.1:2379 | needs issuer.keys.encryption-key-file",
            "--issuer.keys.store=etcd --issuer.keys.etcd.endpoints=etcd-1:2379 --issuer.keys.encryption-key-file=KEK | etcd endpoint 'etcd-1:2379' must look like https://10.0.0.1:2379",
            "--issuer.keys.store=etcd --issuer.keys.etcd.endpoints=https://10.0.0.1:2379 --issuer.keys.encryption-key-file=missing.kek | missing.kek does not exist",
            "--issuer.keys.store=etcd --issuer.keys.etcd.endpoints=https://10.0.0.1:2379 --issuer.keys.encryption-key-file=KEK --issuer.keys.etcd.lease-ttl=1s | issuer.keys.etcd.lease-ttl is PT1S",
            "--issuer.keys.store=etcd --issuer.keys.etcd.endpoints=https://10.0.0.1:2379 --issuer.keys.encryption-key-file=KEK --issuer.keys.etcd.cert-file=c.pem | certificate and its key go together",
            "--issuer.keys.store=etcd --issuer.keys.etcd.endpoints=https://10.0.0.1:2379 --issuer.keys.encryption-key-file=KEK --issuer.publisher.keys-file=sa.pub | cannot be combined with issuer.keys.store=etcd",
    })
    void badHighAvailabilityConfigurationIsRefused(String args, String message) throws Exception {
        Path kek = work.resolve("kek");
        Files.write(kek, new byte[32]);
        Files.setPosixFilePermissions(kek, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        var all = new java.util.ArrayList<>(java.util.List.of("--server.port=" + TestData.freePort(),
                "--management.server.port=" + TestData.freePort(), "--issuer.url=https://oidc.example.com"));
        for (String a : args.split(" ")) {
            all.add(a.replace("=KEK", "=" + kek));
        }
        try (JarProcess p = JarProcess.start(work, all.toArray(String[]::new))) {
            assertThat(p.awaitExit()).isNotZero();
            assertThat(p.output()).contains("APPLICATION FAILED TO START").contains(message);
        }
        assertThat(work.resolve("data")).doesNotExist();
    }
}
