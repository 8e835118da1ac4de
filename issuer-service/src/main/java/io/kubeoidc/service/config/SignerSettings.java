package io.kubeoidc.service.config;

import io.kubeoidc.rotation.RotationPolicy;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;

/**
 * Validated external-signer settings; null in {@link IssuerSettings} when the signer is off.
 *
 * @param mode  socket file mode (never world-accessible)
 * @param group group to own the socket, or null
 */
public record SignerSettings(Path socket, Set<PosixFilePermission> mode, String group, long refreshHintSeconds,
                             long maxTokenExpirationSeconds) {

    /** kube-apiserver refuses a signer whose max_token_expiration_seconds is under this (MinTokenAgeSec). */
    public static final long MIN_TOKEN_EXPIRATION_SECONDS = 600;

    /** sun_path holds 108 bytes with the closing NUL: a longer path can be neither bound nor connected to. */
    static final int MAX_SOCKET_PATH_BYTES = 107;

    /**
     * Where the signer binds the socket before moving it into place: in a private directory beside it
     * named ".signer-" and six random hex digits.
     */
    public static Path bindPath(Path socket, String random) {
        return socket.resolveSibling(".signer-" + random).resolve("s");
    }

    static SignerSettings from(IssuerProperties.Signer p, RotationPolicy policy) {
        if (p.socket() == null || p.socket().isBlank()) {
            return null;
        }
        String socket = p.socket().strip();
        if (socket.startsWith("@")) {
            throw new InvalidConfigurationException("issuer.signer.socket '" + socket + "' is an abstract socket, which"
                    + " has no file permissions: any local process could ask it to sign tokens",
                    "Use a filesystem path such as /var/run/kube-oidc-issuer/signer.sock, which the socket mode protects.",
                    null);
        }
        long maxLifetime = policy.maxTokenLifetime().toSeconds();
        if (maxLifetime < MIN_TOKEN_EXPIRATION_SECONDS) {
            throw new InvalidConfigurationException("issuer.tokens.max-lifetime is " + policy.maxTokenLifetime()
                    + "; with the external signer it must be at least 600 s, or kube-apiserver refuses to start",
                    "Set issuer.tokens.max-lifetime to 10m or more (24h is the default).", null);
        }
        Duration hint = p.refreshHint();
        if (hint.toSeconds() < 1) {
            throw new InvalidConfigurationException("issuer.signer.refresh-hint must be at least 1s (got " + hint + ")",
                    "60s is the default.", null);
        }
        if (policy.publishAhead().compareTo(hint) < 0) {
            throw new InvalidConfigurationException("issuer.rotation.publish-ahead (" + policy.publishAhead()
                    + ") must be at least issuer.signer.refresh-hint (" + hint + "): kube-apiserver refreshes its key"
                    + " cache that often, and must know a key before it signs", "Lower the refresh hint or raise publish-ahead.",
                    null);
        }
        Path path = Path.of(socket).toAbsolutePath().normalize();
        checkLength(path);
        return new SignerSettings(path, mode(p.socketMode()),
                p.socketGroup() == null || p.socketGroup().isBlank() ? null : p.socketGroup().strip(),
                hint.toSeconds(), maxLifetime);
    }

    private static void checkLength(Path socket) {
        int length = bytes(socket);
        if (length > MAX_SOCKET_PATH_BYTES) {
            throw new InvalidConfigurationException("issuer.signer.socket " + socket + " is " + length + " bytes long;"
                    + " a Unix socket path holds at most " + MAX_SOCKET_PATH_BYTES + ", so kube-apiserver could not"
                    + " connect to it", "Use a shorter path such as /var/run/kube-oidc-issuer/signer.sock.", null);
        }
        Path bind = bindPath(socket, "XXXXXX");
        if (bytes(bind) > MAX_SOCKET_PATH_BYTES) {
            throw new InvalidConfigurationException("issuer.signer.socket " + socket + ": the signer binds it first as "
                    + bind + ", " + bytes(bind) + " bytes long, and a Unix socket path holds at most "
                    + MAX_SOCKET_PATH_BYTES, "Use a shorter directory, or a longer file name in it.", null);
        }
    }

    private static int bytes(Path p) {
        return p.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
    }

    static Set<PosixFilePermission> mode(String text) {
        int bits;
        try {
            bits = Integer.parseInt(text.strip(), 8);
        } catch (NumberFormatException e) {
            throw new InvalidConfigurationException("issuer.signer.socket-mode '" + text + "' is not an octal file mode",
                    "Use 0600 (owner only) or 0660 (owner and issuer.signer.socket-group).", e);
        }
        if (bits < 0 || bits > 0777) {
            throw new InvalidConfigurationException("issuer.signer.socket-mode '" + text + "' is out of range",
                    "Use 0600 or 0660.", null);
        }
        if ((bits & 07) != 0) {
            throw new InvalidConfigurationException("issuer.signer.socket-mode " + text + " gives every local user"
                    + " access to the signer, so any of them could mint service-account tokens",
                    "Use 0600 (owner only) or 0660 with issuer.signer.socket-group.", null);
        }
        Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] order = {PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE,
                PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE,
                PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE,
                PosixFilePermission.OTHERS_EXECUTE};
        for (int i = 0; i < 9; i++) {
            if ((bits & (0400 >> i)) != 0) {
                set.add(order[i]);
            }
        }
        return set;
    }
}
