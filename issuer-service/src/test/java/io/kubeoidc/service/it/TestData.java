package io.kubeoidc.service.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Upstream vectors and openssl fixtures, shared with key-rotation's tests. */
final class TestData {
    private TestData() {}

    static Path dir() {
        String dir = System.getProperty("testdata.dir");
        if (dir == null) {
            throw new IllegalStateException("system property testdata.dir is not set (run through Maven)");
        }
        return Path.of(dir);
    }

    static Path vector(String relative) {
        return dir().resolve("vectors").resolve(relative);
    }

    static Path pem(String name) {
        return dir().resolve("pem").resolve(name);
    }

    static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A port for a server the test starts (see {@link io.kubeoidc.testing.FreePorts} for why not bind(0)). */
    static int freePort() {
        return io.kubeoidc.testing.FreePorts.next();
    }

    /** A random key-encryption key as an operator makes one: 32 bytes, base64, in a file of mode 0600. */
    static Path keyEncryptionKey(Path file) throws IOException {
        byte[] raw = new byte[32];
        new java.security.SecureRandom().nextBytes(raw);
        Files.writeString(file, java.util.Base64.getEncoder().encodeToString(raw));
        Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        return file;
    }

    static boolean portFree(int port) {
        return io.kubeoidc.testing.FreePorts.free(port);
    }

    /**
     * Sign claims as kube-apiserver sends them (sorted members, aud an array) for the given issuer and
     * subject, valid from now for 600 s (kube-apiserver's shortest, so within any max-lifetime the signer allows):
     * the signer signs only its own issuer and a bounded lifetime.
     */
    static String kubeClaims(String issuer, String subject) {
        return kubeClaims(issuer, subject, java.time.Duration.ofSeconds(600));
    }

    /** As {@link #kubeClaims(String, String)}, valid for {@code lifetime} from now. */
    static String kubeClaims(String issuer, String subject, java.time.Duration lifetime) {
        long now = System.currentTimeMillis() / 1000;
        String json = "{\"aud\":[\"api://AzureADTokenExchange\"],\"exp\":" + (now + lifetime.toSeconds()) + ",\"iat\":" + now
                + ",\"iss\":\"" + issuer + "\",\"nbf\":" + now + ",\"sub\":\"" + subject + "\"}";
        return java.util.Base64.getUrlEncoder().withoutPadding()
                .encodeToString(json.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
}
