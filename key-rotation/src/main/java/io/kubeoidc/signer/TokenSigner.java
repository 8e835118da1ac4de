package io.kubeoidc.signer;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.util.JSONObjectUtils;
import io.kubeoidc.custody.KeyHandle;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Signs kube-apiserver's claims as a KEP-740 external signer: the header is exactly
 * {"alg","kid","typ":"JWT"} (kube-apiserver rejects any other member), the signature covers
 * base64url(header) + "." + claims, and ES* signatures are JOSE R||S (Nimbus transcodes from DER).
 * Only claims the {@link ClaimsPolicy} accepts are signed. One instance per signing key: the header
 * and the Nimbus signer (from the key's custody handle) are built once.
 */
public final class TokenSigner {
    /** kube-apiserver's claims are a few hundred bytes; anything this large is not a token. */
    public static final int MAX_CLAIMS_CHARS = 64 * 1024;

    private final KeyHandle key;
    private final ClaimsPolicy policy;
    private final JWSHeader nimbusHeader;
    private final JWSSigner signer;
    private final String header;
    private final byte[] headerDot;

    /** @throws io.kubeoidc.custody.KeyCustodyException when the key's custody cannot sign now */
    public TokenSigner(KeyHandle key, ClaimsPolicy policy) {
        this.key = key;
        this.policy = java.util.Objects.requireNonNull(policy, "policy");
        var alg = key.verificationKey().algorithm();
        this.nimbusHeader = new JWSHeader(alg);
        this.signer = key.signer();
        // Sorted members, as go-jose marshals a header map.
        String json = "{\"alg\":\"" + alg.getName() + "\",\"kid\":\"" + key.kid() + "\",\"typ\":\"JWT\"}";
        this.header = Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.US_ASCII));
        this.headerDot = (header + ".").getBytes(StandardCharsets.US_ASCII);
    }

    public String kid() {
        return key.kid();
    }

    public SignedParts sign(String claims) {
        policy.check(validate(claims));
        byte[] input = new byte[headerDot.length + claims.length()];
        System.arraycopy(headerDot, 0, input, 0, headerDot.length);
        for (int i = 0; i < claims.length(); i++) {
            input[headerDot.length + i] = (byte) claims.charAt(i); // validated ASCII
        }
        try {
            String signature = signer.sign(nimbusHeader, input).toString();
            return new SignedParts(header, signature, key.kid(), nimbusHeader.getAlgorithm().getName());
        } catch (JOSEException e) {
            throw new IllegalStateException("signing with " + key.kid() + " failed: " + e.getMessage(), e);
        }
    }

    /** base64url without padding, decoding to a JSON object, which it returns. The reason never quotes the claims. */
    static java.util.Map<String, Object> validate(String claims) {
        if (claims == null || claims.isEmpty()) {
            throw new InvalidClaimsException("claims are empty");
        }
        if (claims.length() > MAX_CLAIMS_CHARS) {
            throw new InvalidClaimsException("claims are " + claims.length() + " characters, over the "
                    + MAX_CLAIMS_CHARS + " limit");
        }
        for (int i = 0; i < claims.length(); i++) {
            char c = claims.charAt(i);
            if (!(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_')) {
                throw new InvalidClaimsException("claims are not unpadded base64url (character at index " + i + ")");
            }
        }
        byte[] json;
        try {
            json = Base64.getUrlDecoder().decode(claims);
        } catch (IllegalArgumentException e) {
            throw new InvalidClaimsException("claims are not valid base64url: " + e.getMessage());
        }
        String text;
        try {
            // JSON is UTF-8 (RFC 8259): a lenient decode would check U+FFFD, not the bytes the token carries.
            text = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(json)).toString().strip();
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new InvalidClaimsException("claims are not valid UTF-8");
        }
        if (!text.startsWith("{") || !text.endsWith("}")) {
            throw new InvalidClaimsException("claims do not decode to a JSON object");
        }
        try {
            return JSONObjectUtils.parse(text);
        } catch (java.text.ParseException e) {
            throw new InvalidClaimsException("claims do not decode to a JSON object");
        }
    }
}
