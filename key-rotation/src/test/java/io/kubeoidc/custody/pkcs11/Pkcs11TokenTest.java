package io.kubeoidc.custody.pkcs11;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kubeoidc.custody.pkcs11.Pkcs11TokenException.Reason;
import io.kubeoidc.keys.Kid;
import io.kubeoidc.testing.SoftHsm;
import io.kubeoidc.testing.SoftHsm.PrivateKeyObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Against SoftHSM2 through the real module; key objects checked from outside the JVM with pkcs11-tool. */
class Pkcs11TokenTest {
    private static final String PIN = SoftHsm.JVM_PIN;
    private static final String WRONG_PIN_TOKEN_PIN = SoftHsm.JVM_IDLE_PIN;
    private static SoftHsm hsm;
    private static Path pinFile;
    private static Path rightPinOfOther;
    private static Pkcs11Token token;

    @BeforeAll
    static void tokens() throws Exception {
        hsm = SoftHsm.forThisJvm();
        pinFile = hsm.pinFile(SoftHsm.JVM_TOKEN);
        rightPinOfOther = hsm.pinFile(SoftHsm.JVM_IDLE_TOKEN);
        token = Pkcs11Token.open(new Pkcs11Settings(SoftHsm.MODULE, "main", null, pinFile));
    }

    @AfterAll
    static void close() {
        token.close();
    }

    @Test
    void generatedKeyIsNamedByKidSignsRs256AndNeverLeavesTheToken() throws Exception {
        RSAPublicKey pub = token.generateRsa(2048, Kid::of);
        String kid = Kid.of(pub);

        assertThat(pub.getModulus().bitLength()).isEqualTo(2048);
        assertThat(token.labels()).contains(kid).noneMatch(l -> l.startsWith(Pkcs11Token.PENDING_PREFIX));
        assertThat(token.publicKey(kid)).contains(pub);
        byte[] data = "header.payload".getBytes(StandardCharsets.US_ASCII);
        assertThat(verifies(pub, data, token.signRs256(kid, data))).isTrue();

        assertThat(hsm.privateKeys("main", PIN)).filteredOn(k -> k.label().equals(kid)).singleElement()
                .satisfies(k -> assertThat(k.sensitive()).as(k.access()).isTrue())
                .satisfies(k -> assertThat(k.neverExtractable()).as(k.access()).isTrue());
    }

    @Test
    void importedKeyIsSensitiveAndNotExtractable() throws Exception {
        KeyPair pair = rsa();
        String kid = Kid.of(pair.getPublic());
        token.importRsa(kid, (RSAPrivateCrtKey) pair.getPrivate());

        byte[] data = "imported".getBytes(StandardCharsets.US_ASCII);
        assertThat(verifies(pair.getPublic(), data, token.signRs256(kid, data))).isTrue();
        PrivateKeyObject onToken = hsm.privateKeys("main", PIN).stream().filter(k -> k.label().equals(kid))
                .findFirst().orElseThrow();
        assertThat(onToken.access()).contains("sensitive").doesNotContain(" extractable").doesNotStartWith("extractable");
        assertThatThrownBy(() -> token.importRsa(kid, (RSAPrivateCrtKey) pair.getPrivate()))
                .isInstanceOf(Pkcs11TokenException.class).hasMessageContaining("already holds a key named " + kid);
    }

    @Test
    void destroyRemovesBothHalves() throws Exception {
        String kid = Kid.of(token.generateRsa(2048, Kid::of));
        assertThat(token.destroy(kid)).isEqualTo(2);
        assertThat(token.labels()).doesNotContain(kid);
        assertThat(hsm.privateKeys("main", PIN)).noneMatch(k -> k.label().equals(kid));
        assertThatThrownBy(() -> token.signRs256(kid, new byte[1])).isInstanceOf(Pkcs11TokenException.class)
                .hasMessage("pkcs11 token 'main' holds no private key named " + kid);
    }

    @Test
    void wrongPinNamesTheCauseNotThePin() throws Exception {
        Path wrong = pinFile("wrong.pin", "0000-wrong");
        assertThatThrownBy(() -> Pkcs11Token.open(new Pkcs11Settings(SoftHsm.MODULE, "never-logged-in", null, wrong)))
                .isInstanceOf(Pkcs11TokenException.class)
                .hasMessage("pkcs11 token 'never-logged-in' refused the PIN in " + wrong + " (CKR_PIN_INCORRECT)")
                .satisfies(e -> assertThat(((Pkcs11TokenException) e).reason()).isEqualTo(Reason.WRONG_PIN));
    }

    @Test
    void unknownTokenListsTheTokensThereAre() {
        assertThatThrownBy(() -> Pkcs11Token.open(new Pkcs11Settings(SoftHsm.MODULE, "nope", null, pinFile)))
                .hasMessage("PKCS#11 module " + SoftHsm.MODULE + " has no token 'nope'; it shows 'main', 'never-logged-in'");
    }

    @Test
    void missingModule() {
        Path missing = Path.of("/usr/lib/no-such-pkcs11.so");
        assertThatThrownBy(() -> Pkcs11Token.open(new Pkcs11Settings(missing, "main", null, pinFile)))
                .hasMessage("PKCS#11 module /usr/lib/no-such-pkcs11.so does not exist");
    }

    @Test
    void pinFileReadableByOthersIsRefusedWithoutShowingThePin() throws Exception {
        Path open = pinFile("open.pin", PIN);
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rw-r--r--"));
        assertThatThrownBy(() -> Pkcs11Token.open(new Pkcs11Settings(SoftHsm.MODULE, "never-logged-in", null, open)))
                .hasMessage("pin-file " + open + " has mode rw-r--r--; it must be 0600 or 0400 (readable by its owner only)")
                .satisfies(e -> assertThat(e.toString()).doesNotContain(PIN));
        Path readOnly = pinFile("ro.pin", WRONG_PIN_TOKEN_PIN);
        Files.setPosixFilePermissions(readOnly, PosixFilePermissions.fromString("r--------"));
        assertThat(PinFile.read(readOnly)).containsExactly(WRONG_PIN_TOKEN_PIN.toCharArray());
        assertThat(PinFile.read(rightPinOfOther)).containsExactly(WRONG_PIN_TOKEN_PIN.toCharArray());
    }

    private static Path pinFile(String name, String pin) throws Exception {
        Path f = hsm.dir().resolve(name);
        Files.deleteIfExists(f);
        Files.createFile(f, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(f, pin + "\n");
        return f;
    }

    private static boolean verifies(PublicKey key, byte[] data, byte[] sig) throws Exception {
        Signature v = Signature.getInstance("SHA256withRSA", "SunRsaSign");
        v.initVerify(key);
        v.update(data);
        return v.verify(sig);
    }

    private static KeyPair rsa() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        return g.generateKeyPair();
    }
}
