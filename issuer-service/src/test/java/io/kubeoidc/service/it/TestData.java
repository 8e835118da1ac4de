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

    /** AAD Pod Identity manifests (src/test/resources/pod-identity), written from its documentation. */
    static Path podIdentity(String name) {
        try {
            return Path.of(TestData.class.getResource("/pod-identity/" + name).toURI());
        } catch (java.net.URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("test resource pod-identity/" + name + " is missing", e);
        }
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

    /**
     * The kid of a PEM key file as openssl computes it: base64url of the SHA-256 of the SubjectPublicKeyInfo DER
     * (kubernetes.md's rule), for a private key or, with {@code publicKey}, a public one.
     */
    static String opensslKid(Path pem, boolean publicKey) throws Exception {
        String pubin = publicKey ? "-pubin " : "";
        Process p = new ProcessBuilder("sh", "-c", "openssl pkey " + pubin + "-in \"$1\" -pubout -outform DER"
                + " | openssl dgst -sha256 -binary | openssl base64 -A | tr '+/' '-_' | tr -d '='", "kid", pem.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String kid = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII).strip();
        if (p.waitFor() != 0 || kid.length() != 43) {
            throw new IllegalStateException("openssl could not compute the kid of " + pem + ": '" + kid + "'");
        }
        return kid;
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
