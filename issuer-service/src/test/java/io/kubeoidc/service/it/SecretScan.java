package io.kubeoidc.service.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;

/**
 * Searches captured output (logs, HTTP responses, blobs, files) for private key material: a PEM private
 * key block, the base64 of a key's DER (PKCS#8 and the inner PKCS#1/SEC1, both alphabets, every byte
 * alignment), and the secret numbers d, p, q in the forms they get printed (base64url as in a JWK,
 * base64, hex, decimal, raw bytes). Needles are windows from inside each value, so a truncated or
 * re-wrapped copy is still found.
 */
final class SecretScan {
    record Hit(String where, String what) {}

    private static final int WINDOW = 24; // bytes of DER or of a secret number per needle (32 base64 chars)

    private final Map<String, byte[]> needles = new LinkedHashMap<>();
    private final List<Hit> hits = new ArrayList<>();
    private int scanned;
    private long scannedBytes;

    SecretScan() {
        needles.put("a PEM private key block", "PRIVATE KEY-----".getBytes(StandardCharsets.US_ASCII));
    }

    /**
     * Also finds any RSA private key whose bytes the test does not know (one generated on a token): the DER start
     * of a PKCS#8 RSA key (version 0, then rsaEncryption) and of a PKCS#1 RSA-2048 key (version 0, then a 257-byte
     * modulus), raw and in base64 at every alignment. Public keys (SPKI, PKCS#1 public) have no version field.
     */
    SecretScan anyRsaPrivateKey() {
        addStructure("a PKCS#8 RSA private key", HexFormat.of().parseHex("020100300d06092a864886f70d0101010500"));
        addStructure("a PKCS#1 RSA-2048 private key", HexFormat.of().parseHex("0201000282010100"));
        return this;
    }

    private void addStructure(String what, byte[] der) {
        needles.put(what + " (DER)", der);
        for (int shift = 0; shift < 3; shift++) {
            byte[] window = Arrays.copyOfRange(der, shift, shift + (der.length - shift) / 3 * 3);
            needles.put(what + " (base64, offset " + shift + ")", Base64.getEncoder().encode(window));
            needles.put(what + " (base64url, offset " + shift + ")", Base64.getUrlEncoder().encode(window));
        }
    }

    /** Adds every key under its kid. Call it with each key the run ever held, before a removal deletes it. */
    SecretScan addKey(String kid, PrivateKey key) {
        byte[] pkcs8 = key.getEncoded();
        addDer(kid + " PKCS#8 DER", pkcs8);
        try {
            addDer(kid + " inner DER", PrivateKeyInfo.getInstance(pkcs8).parsePrivateKey().toASN1Primitive().getEncoded());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (key instanceof RSAPrivateCrtKey rsa) {
            addNumber(kid + " d", rsa.getPrivateExponent());
            addNumber(kid + " p", rsa.getPrimeP());
            addNumber(kid + " q", rsa.getPrimeQ());
        } else if (key instanceof ECPrivateKey ec) {
            addNumber(kid + " d", ec.getS());
        }
        return this;
    }

    /** A storage credential (an account key, a secret access key), found verbatim or by a window from its middle. */
    SecretScan addCredential(String what, String secret) {
        needles.put(what, secret.getBytes(StandardCharsets.UTF_8));
        if (secret.length() > WINDOW) {
            int start = secret.length() / 2 - WINDOW / 2;
            needles.put(what + " (part)", secret.substring(start, start + WINDOW).getBytes(StandardCharsets.UTF_8));
        }
        return this;
    }

    int keys() {
        return (int) needles.keySet().stream().filter(n -> n.endsWith(" d (raw bytes)")).count();
    }

    private void addDer(String what, byte[] der) {
        // Three windows with consecutive offsets: one of them is aligned with any base64 encoding's origin.
        int start = Math.max(0, der.length / 2 - WINDOW);
        for (int shift = 0; shift < 3; shift++) {
            byte[] window = Arrays.copyOfRange(der, start + shift, start + shift + WINDOW);
            needles.put(what + " (base64, offset " + shift + ")", Base64.getEncoder().encode(window));
            needles.put(what + " (base64url, offset " + shift + ")", Base64.getUrlEncoder().encode(window));
        }
        needles.put(what + " (raw bytes)", Arrays.copyOfRange(der, start, start + WINDOW));
    }

    private void addNumber(String what, BigInteger n) {
        byte[] bytes = n.toByteArray();
        if (bytes[0] == 0) {
            bytes = Arrays.copyOfRange(bytes, 1, bytes.length);
        }
        // Starting at byte 0 (a multiple of 3) the window is aligned with the JWK's base64url of the whole value.
        byte[] window = Arrays.copyOfRange(bytes, 0, Math.min(WINDOW, bytes.length));
        needles.put(what + " (base64url)", Base64.getUrlEncoder().withoutPadding().encode(window));
        needles.put(what + " (base64)", Base64.getEncoder().withoutPadding().encode(window));
        needles.put(what + " (raw bytes)", window);
        String hex = HexFormat.of().formatHex(bytes);
        String mid = hex.substring(hex.length() / 2 - 20, hex.length() / 2 + 20);
        needles.put(what + " (hex)", mid.getBytes(StandardCharsets.US_ASCII));
        needles.put(what + " (HEX)", mid.toUpperCase().getBytes(StandardCharsets.US_ASCII));
        String dec = n.toString();
        needles.put(what + " (decimal)", dec.substring(dec.length() / 2 - 20, dec.length() / 2 + 20)
                .getBytes(StandardCharsets.US_ASCII));
    }

    SecretScan scan(String where, byte[] content) {
        scanned++;
        scannedBytes += content.length;
        for (var n : needles.entrySet()) {
            if (indexOf(content, n.getValue()) >= 0) {
                hits.add(new Hit(where, n.getKey()));
            }
        }
        return this;
    }

    SecretScan scan(String where, String content) {
        return scan(where, content.getBytes(StandardCharsets.UTF_8));
    }

    /** Every regular file under a directory (a mirror, a blob dump), by its path. */
    SecretScan scanTree(Path dir) {
        if (!Files.isDirectory(dir)) {
            return this;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                scan(f.toString(), Files.readAllBytes(f));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    List<Hit> hits() {
        return List.copyOf(hits);
    }

    String summary() {
        return "secret scan: " + scanned + " items (" + scannedBytes / 1024 + " KiB), " + keys() + " private keys, "
                + needles.size() + " needles, " + hits.size() + " hits";
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i <= haystack.length - needle.length; i++) {
            if (haystack[i] != needle[0]) {
                continue;
            }
            for (int j = 1; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
