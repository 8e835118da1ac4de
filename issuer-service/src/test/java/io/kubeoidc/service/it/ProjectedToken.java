package io.kubeoidc.service.it;

import com.nimbusds.jose.JWSObject;
import io.kubeoidc.externaljwt.v1.SignJWTRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;

/**
 * What kubelet does for a pod's projected service account token: it has kube-apiserver sign the token (here: the
 * signer socket, called as kube-apiserver calls it), writes it atomically where AZURE_FEDERATED_TOKEN_FILE points,
 * and renews it once 80 % of its lifetime has passed.
 */
final class ProjectedToken {
    private final Path socket;
    private final Path file;
    private final String issuer;
    private final String subject;
    private final Duration lifetime;
    private long renewAt;
    private String kid;

    ProjectedToken(Path socket, Path file, String issuer, String subject, Duration lifetime) throws Exception {
        this.socket = socket;
        this.file = file;
        this.issuer = issuer;
        this.subject = subject;
        this.lifetime = lifetime;
        Files.createDirectories(file.getParent());
        renew();
    }

    /** Signs a new token and replaces the file (rename: a reader sees the old token or the new one, whole). */
    void renew() throws Exception {
        String claims = TestData.kubeClaims(issuer, subject, lifetime);
        try (SignerClient signer = new SignerClient(socket)) {
            var signed = signer.v1.sign(SignJWTRequest.newBuilder().setClaims(claims).build());
            String token = signed.getHeader() + "." + claims + "." + signed.getSignature();
            kid = JWSObject.parse(token).getHeader().getKeyID();
            write(file, token);
        }
        renewAt = System.nanoTime() + lifetime.toNanos() * 8 / 10;
    }

    /** Renews the token when kubelet would (80 % of its lifetime); true when it did. */
    boolean renewIfDue() throws Exception {
        if (System.nanoTime() - renewAt < 0) {
            return false;
        }
        renew();
        return true;
    }

    /** The kid of the token in the file. */
    String kid() {
        return kid;
    }

    static void write(Path file, String token) throws Exception {
        Path tmp = Files.createTempFile(file.getParent(), ".token", ".tmp");
        Files.writeString(tmp, token);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
