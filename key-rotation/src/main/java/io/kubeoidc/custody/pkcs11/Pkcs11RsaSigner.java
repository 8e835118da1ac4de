package io.kubeoidc.custody.pkcs11;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.jca.JCAContext;
import com.nimbusds.jose.util.Base64URL;
import java.util.Set;

/** Nimbus signer for RS256 whose private key stays on the token: each signature is one C_Sign. */
public final class Pkcs11RsaSigner implements JWSSigner {
    private final Pkcs11Token token;
    private final String kid;
    private final JCAContext jca = new JCAContext();

    public Pkcs11RsaSigner(Pkcs11Token token, String kid) {
        this.token = token;
        this.kid = kid;
    }

    @Override
    public Base64URL sign(JWSHeader header, byte[] signingInput) throws JOSEException {
        if (!JWSAlgorithm.RS256.equals(header.getAlgorithm())) {
            throw new JOSEException("key " + kid + " on " + token.location() + " signs RS256 only, not "
                    + header.getAlgorithm());
        }
        return Base64URL.encode(token.signRs256(kid, signingInput));
    }

    @Override
    public Set<JWSAlgorithm> supportedJWSAlgorithms() {
        return Set.of(JWSAlgorithm.RS256);
    }

    @Override
    public JCAContext getJCAContext() {
        return jca;
    }
}
