package io.kubeoidc.sealing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Set;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

/**
 * The AES-256 key that seals private keys before they leave the process (etcd, the local copy). Read
 * from a file holding 32 random bytes, raw or base64 ({@code openssl rand -base64 32}). Its id (a hash,
 * never the key) is stamped on everything it seals, so a wrong file gives a clear error, not garbage.
 */
public final class KeyEncryptionKey {
    static final int BYTES = 32;

    private final SecretKey key;
    private final String id;
    private final byte[] macSeed;

    private KeyEncryptionKey(byte[] raw) {
        this.key = new SecretKeySpec(raw, "AES");
        this.id = idOf(raw);
        this.macSeed = raw.clone();
        Arrays.fill(raw, (byte) 0);
    }

    /** A separate 256-bit key for another purpose (HMAC-SHA256 of the label), so no key serves two algorithms. */
    byte[] derive(String label) {
        try {
            javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(macSeed, "HmacSHA256"));
            return mac.doFinal(label.getBytes(StandardCharsets.US_ASCII));
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    public static KeyEncryptionKey of(byte[] raw) {
        if (raw.length != BYTES) {
            throw new IllegalArgumentException("a key-encryption key is " + BYTES + " bytes, got " + raw.length);
        }
        return new KeyEncryptionKey(raw.clone());
    }

    /** Reads and checks the file; the message of any failure says how to make a good one. */
    public static KeyEncryptionKey readFile(Path file) {
        byte[] content;
        try {
            Set<PosixFilePermission> mode = Files.getPosixFilePermissions(file);
            if (!OWNER_ONLY.containsAll(mode)) {
                // Group read is enough to unseal every private key in etcd: only the owner may read it.
                throw new InvalidKeyEncryptionKeyException(file + " has mode " + octal(mode) + " ("
                        + java.nio.file.attribute.PosixFilePermissions.toString(mode) + "); a key-encryption key must"
                        + " be 0600 or 0400, readable by its owner only: chmod 600 it, or mount the Secret with"
                        + " defaultMode 0400 (and no fsGroup)");
            }
            content = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new InvalidKeyEncryptionKeyException(file + " does not exist. " + HOW_TO_CREATE);
        } catch (IOException e) {
            throw new InvalidKeyEncryptionKeyException("cannot read " + file + ": " + e.getMessage());
        }
        try {
            if (content.length == BYTES) {
                return new KeyEncryptionKey(content);
            }
            String text = new String(content, StandardCharsets.US_ASCII).strip();
            if (text.startsWith("-----BEGIN ")) {
                String label = text.substring(11, Math.max(11, text.indexOf("-----", 11)));
                throw new InvalidKeyEncryptionKeyException(file + " is a PEM file (" + label + "), not a key-encryption"
                        + " key. " + HOW_TO_CREATE);
            }
            byte[] decoded;
            try {
                decoded = Base64.getDecoder().decode(text);
            } catch (IllegalArgumentException e) {
                throw new InvalidKeyEncryptionKeyException(file + " holds " + content.length + " bytes that are neither "
                        + BYTES + " raw bytes nor base64. " + HOW_TO_CREATE);
            }
            if (decoded.length != BYTES) {
                Arrays.fill(decoded, (byte) 0);
                throw new InvalidKeyEncryptionKeyException(file + " decodes to " + decoded.length + " bytes; AES-256 needs "
                        + BYTES + ". " + HOW_TO_CREATE);
            }
            return new KeyEncryptionKey(decoded);
        } finally {
            Arrays.fill(content, (byte) 0);
        }
    }

    private static final Set<PosixFilePermission> OWNER_ONLY =
            java.util.EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);

    /** "0640", as chmod and Kubernetes' defaultMode write it. */
    private static String octal(Set<PosixFilePermission> mode) {
        int bits = 0;
        for (PosixFilePermission p : mode) {
            bits |= 0400 >> p.ordinal(); // the enum runs OWNER_READ .. OTHERS_EXECUTE, high bit first
        }
        return String.format("%04o", bits);
    }

    static final String HOW_TO_CREATE = "Create one with: (umask 077; openssl rand -base64 32 > FILE), and give every"
            + " replica the same file";

    /** Names the key without revealing it: the first 16 hex digits of a domain-separated SHA-256. */
    public String id() {
        return id;
    }

    SecretKey secretKey() {
        return key;
    }

    private static String idOf(byte[] raw) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update("kube-oidc-issuer key-encryption key id\0".getBytes(StandardCharsets.US_ASCII));
            return HexFormat.of().formatHex(sha.digest(raw), 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return "KeyEncryptionKey[id=" + id + "]";
    }
}
