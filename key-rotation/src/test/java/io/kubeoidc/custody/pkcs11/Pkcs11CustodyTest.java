package io.kubeoidc.custody.pkcs11;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.kubeoidc.custody.KeyCustodyException;
import io.kubeoidc.custody.KeyHandle;
import io.kubeoidc.keys.KeySpec;
import io.kubeoidc.keys.SigningKey;
import io.kubeoidc.testing.SoftHsm;
import java.security.interfaces.RSAPublicKey;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class Pkcs11CustodyTest {
    private static SoftHsm hsm;
    private static Pkcs11Custody custody;

    @BeforeAll
    static void open() throws Exception {
        hsm = SoftHsm.forThisJvm();
        custody = Pkcs11Custody.open(new Pkcs11Settings(SoftHsm.MODULE, SoftHsm.JVM_TOKEN, null,
                hsm.pinFile(SoftHsm.JVM_TOKEN)));
    }

    @AfterAll
    static void close() {
        custody.close();
    }

    @Test
    void createdKeySignsJwtsThatNimbusVerifiesWithThePublishedHalf() throws Exception {
        KeyHandle key = custody.create(KeySpec.RSA_2048);
        assertThat(key.storableKey()).isEmpty();
        assertThat(custody.kids()).contains(key.kid());
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(key.kid()).build(),
                new JWTClaimsSet.Builder().subject("system:serviceaccount:default:x").build());
        jwt.sign(key.signer());
        // reopened from what a store keeps (public key only), as after a restart
        KeyHandle reopened = custody.open(key.verificationKey(), Optional.empty());
        SignedJWT again = SignedJWT.parse(jwt.serialize());
        assertThat(again.verify(new RSASSAVerifier((RSAPublicKey) reopened.verificationKey().publicKey()))).isTrue();

        custody.destroy(key.kid());
        custody.destroy(key.kid());
        assertThat(custody.kids()).doesNotContain(key.kid());
    }

    @Test
    void refusesEcKeysAndStoredPrivateKeys() {
        assertThatThrownBy(() -> custody.create(KeySpec.EC_P256)).isInstanceOf(KeyCustodyException.class)
                .hasMessageContaining("RSA keys only");
        SigningKey ec = SigningKey.generate(KeySpec.EC_P256, new java.security.SecureRandom());
        Set<String> before = custody.kids();
        assertThatThrownBy(() -> custody.adopt(ec)).hasMessageContaining("nothing was imported");
        assertThat(custody.kids()).isEqualTo(before);
        SigningKey rsa = SigningKey.generate(KeySpec.RSA_2048, new java.security.SecureRandom());
        assertThatThrownBy(() -> custody.open(rsa.verificationKey(), Optional.of(rsa.privateKey())))
                .hasMessage("the key store holds a private key for " + rsa.kid()
                        + ", but custody pkcs11 keeps private keys only on pkcs11:token=main");
    }
}
