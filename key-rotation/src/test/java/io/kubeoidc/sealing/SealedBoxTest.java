package io.kubeoidc.sealing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SealedBoxTest {
    @TempDir
    Path dir;

    private static byte[] random(int n) {
        byte[] b = new byte[n];
        new SecureRandom().nextBytes(b);
        return b;
    }

    /** The sealed form is a standard JWE: plain JCA AES-GCM opens it with the header as AAD. */
    @Test
    void sealsAsStandardAesGcmThatTheJdkAloneCanOpen() throws Exception {
        byte[] raw = random(32);
        byte[] sealed = new SealedBox(KeyEncryptionKey.of(raw)).seal("secret key bytes".getBytes(StandardCharsets.UTF_8), "/p/private/k1");
        String[] parts = new String(sealed, StandardCharsets.US_ASCII).split("\\.", -1);
        assertThat(parts).hasSize(5);
        assertThat(parts[1]).as("dir: no wrapped key").isEmpty();
        String header = new String(Base64.getUrlDecoder().decode(parts[0]), StandardCharsets.UTF_8);
        assertThat(header).contains("\"alg\":\"dir\"", "\"enc\":\"A256GCM\"", "\"slot\":\"/p/private/k1\"");
        assertThat(new String(sealed, StandardCharsets.US_ASCII)).doesNotContain("secret");

        Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
        c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(raw, "AES"), new GCMParameterSpec(128, Base64.getUrlDecoder().decode(parts[2])));
        c.updateAAD(parts[0].getBytes(StandardCharsets.US_ASCII));
        byte[] ct = Base64.getUrlDecoder().decode(parts[3]);
        byte[] tag = Base64.getUrlDecoder().decode(parts[4]);
        byte[] both = new byte[ct.length + tag.length];
        System.arraycopy(ct, 0, both, 0, ct.length);
        System.arraycopy(tag, 0, both, ct.length, tag.length);
        assertThat(new String(c.doFinal(both), StandardCharsets.UTF_8)).isEqualTo("secret key bytes");
    }

    @Test
    void freshIvEverySeal() {
        SealedBox box = new SealedBox(KeyEncryptionKey.of(random(32)));
        byte[] plain = "same".getBytes(StandardCharsets.UTF_8);
        assertThat(new String(box.seal(plain, "s"), StandardCharsets.US_ASCII))
                .isNotEqualTo(new String(box.seal(plain, "s"), StandardCharsets.US_ASCII));
    }

    @Test
    void refusesAnotherKeyAnotherSlotAndTampering() {
        SealedBox box = new SealedBox(KeyEncryptionKey.of(random(32)));
        SealedBox other = new SealedBox(KeyEncryptionKey.of(random(32)));
        byte[] sealed = box.seal("x".getBytes(StandardCharsets.UTF_8), "/p/private/a");

        assertThatThrownBy(() -> other.open(sealed, "/p/private/a")).isInstanceOf(SealedBoxException.class)
                .hasMessageContaining("was sealed with key-encryption key " + box.keyId())
                .hasMessageContaining("configured key is " + other.keyId());
        assertThatThrownBy(() -> box.open(sealed, "/p/private/b")).isInstanceOf(SealedBoxException.class)
                .hasMessageContaining("sealed for /p/private/a");
        // Flip the first ciphertext character (all six of its bits are data, unlike a segment's last one).
        String[] parts = new String(sealed, StandardCharsets.US_ASCII).split("\\.", -1);
        parts[3] = (parts[3].charAt(0) == 'A' ? "B" : "A") + parts[3].substring(1);
        byte[] tampered = String.join(".", parts).getBytes(StandardCharsets.US_ASCII);
        assertThatThrownBy(() -> box.open(tampered, "/p/private/a")).isInstanceOf(SealedBoxException.class)
                .hasMessageContaining("failed authentication");
        assertThatThrownBy(() -> box.open("not a jwe".getBytes(StandardCharsets.US_ASCII), "/p/private/a"))
                .isInstanceOf(SealedBoxException.class).hasMessageContaining("is not a sealed value");
    }

    @Test
    void readsRawAndBase64KeyFilesToTheSameKey() throws Exception {
        byte[] raw = random(32);
        Path rawFile = write("raw", raw, "rw-------");
        Path b64File = write("b64", (Base64.getEncoder().encodeToString(raw) + "\n").getBytes(StandardCharsets.US_ASCII), "r--------");
        assertThat(KeyEncryptionKey.readFile(rawFile).id()).isEqualTo(KeyEncryptionKey.readFile(b64File).id())
                .isEqualTo(KeyEncryptionKey.of(raw).id()).hasSize(16);
        assertThat(KeyEncryptionKey.of(raw).toString()).doesNotContain(Base64.getEncoder().encodeToString(raw));
    }

    @Test
    void badKeyFilesGetSpecificMessages() throws Exception {
        assertThatThrownBy(() -> KeyEncryptionKey.readFile(dir.resolve("missing")))
                .hasMessageContaining("does not exist").hasMessageContaining("openssl rand -base64 32");
        Path shortKey = write("short", Base64.getEncoder().encode(random(16)), "rw-------");
        assertThatThrownBy(() -> KeyEncryptionKey.readFile(shortKey)).hasMessageContaining("decodes to 16 bytes; AES-256 needs 32");
        Path garbage = write("garbage", "not base64 at all!!".getBytes(StandardCharsets.US_ASCII), "rw-------");
        assertThatThrownBy(() -> KeyEncryptionKey.readFile(garbage)).hasMessageContaining("neither 32 raw bytes nor base64");
        Path cert = write("cert.pem", java.nio.file.Files.readAllBytes(io.kubeoidc.Vectors.path("pem/rsa2048.cert.pem")),
                "rw-------");
        assertThatThrownBy(() -> KeyEncryptionKey.readFile(cert))
                .hasMessageStartingWith(cert + " is a PEM file (CERTIFICATE), not a key-encryption key.");
        Path open = write("open", random(32), "rw-r--r--");
        assertThatThrownBy(() -> KeyEncryptionKey.readFile(open)).hasMessage(open + " has mode 0644 (rw-r--r--); a"
                + " key-encryption key must be 0600 or 0400, readable by its owner only: chmod 600 it, or mount the"
                + " Secret with defaultMode 0400 (and no fsGroup)");
    }

    /** Group read is enough to unseal every key in etcd: only 0600 and 0400 are accepted. */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({"rw-r-----, 0640", "r--r-----, 0440", "rw-rw----, 0660",
            "rw----r--, 0604", "rwx------, 0700", "rw-----w-, 0602", "------r--, 0004"})
    void keyFilesOthersCouldReadAreRefused(String mode, String octal) throws Exception {
        Path f = write("kek-" + octal, random(32), mode);
        assertThatThrownBy(() -> KeyEncryptionKey.readFile(f))
                .hasMessageStartingWith(f + " has mode " + octal + " (" + mode + "); a key-encryption key must be 0600 or 0400");
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"rw-------", "r--------"})
    void ownerOnlyKeyFilesAreRead(String mode) throws Exception {
        byte[] raw = random(32);
        Path f = write("kek-ok", raw, mode);
        assertThat(KeyEncryptionKey.readFile(f).id()).isEqualTo(KeyEncryptionKey.of(raw).id());
    }

    private Path write(String name, byte[] content, String mode) throws Exception {
        Path f = dir.resolve(name);
        Files.write(f, content);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(mode));
        return f;
    }
}
