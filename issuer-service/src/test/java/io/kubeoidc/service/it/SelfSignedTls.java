package io.kubeoidc.service.it;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A self-signed certificate made by openssl for the https endpoints a test runs on loopback (Azurite, the Entra
 * stand-in), with the files each kind of party needs: PEM for Azurite, a PKCS#12 key store for a JDK server, a
 * PKCS#12 trust store for a JVM process ({@code -Djavax.net.ssl.trustStore}), and SSL contexts for this JVM.
 * Only what trusts this certificate (nothing else) reaches these servers, and nothing that trusts only it
 * reaches anything else.
 */
final class SelfSignedTls {
    static final String PASSWORD = "changeit";

    final Path cert;
    final Path key;
    final Path keyStore;
    final Path trustStore;

    /**
     * @param names the subject alternative names, e.g. {@code IP:127.0.0.1}, {@code DNS:localhost}
     */
    SelfSignedTls(Path dir, String... names) throws Exception {
        Files.createDirectories(dir);
        cert = dir.resolve("cert.pem");
        key = dir.resolve("key.pem");
        keyStore = dir.resolve("server.p12");
        trustStore = dir.resolve("trust.p12");
        run(dir, "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key.toString(), "-out",
                cert.toString(), "-days", "2", "-subj", "/CN=kube-oidc-issuer test", "-addext",
                "subjectAltName=" + String.join(",", names));
        run(dir, "openssl", "pkcs12", "-export", "-in", cert.toString(), "-inkey", key.toString(), "-name", "server",
                "-out", keyStore.toString(), "-passout", "pass:" + PASSWORD);
        run(dir, Path.of(System.getProperty("java.home"), "bin", "keytool").toString(), "-importcert", "-noprompt",
                "-alias", "test", "-file", cert.toString(), "-keystore", trustStore.toString(), "-storetype", "PKCS12",
                "-storepass", PASSWORD);
    }

    /** JVM options that make another JVM trust this certificate (and only it). */
    List<String> trustOptions() {
        return List.of("-Djavax.net.ssl.trustStore=" + trustStore, "-Djavax.net.ssl.trustStorePassword=" + PASSWORD,
                "-Djavax.net.ssl.trustStoreType=PKCS12");
    }

    /** A client context that trusts this certificate only. */
    SSLContext clientContext() throws Exception {
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(load(trustStore));
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    /** A server context presenting this certificate. */
    SSLContext serverContext() throws Exception {
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(load(keyStore), PASSWORD.toCharArray());
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        return ctx;
    }

    private static KeyStore load(Path file) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(file)) {
            ks.load(in, PASSWORD.toCharArray());
        }
        return ks;
    }

    private static void run(Path dir, String... cmd) throws Exception {
        Process p = new ProcessBuilder(new ArrayList<>(List.of(cmd))).directory(dir.toFile()).redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out);
        }
    }
}
