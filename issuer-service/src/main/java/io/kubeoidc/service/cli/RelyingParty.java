package io.kubeoidc.service.cli;

/**
 * Whose rules doctor applies, and what that relying party answers when a check fails. Entra ID and AWS STS fetch
 * the same two documents the same way; they differ in the audience they expect, a few limits, and their errors.
 *
 * @param answers       how the report names it ("Entra ID would answer: ...")
 * @param audience      the token audience it expects by default
 * @param tokenFile     where the pod finds the projected token, for the fix line
 * @param unreachable   discovery or JWKS cannot be fetched or parsed
 * @param noKey         the token's kid is not in the JWKS (or no key can be read)
 * @param issuerMismatch the discovery document's issuer is not the issuer
 * @param tokenIssuer   the token's iss is not the issuer
 * @param notRs256      a key or token is not RS256
 * @param badToken      the token is not a JWT, or its signature does not verify
 * @param audienceError the token's aud lacks the audience
 * @param expired       the token has expired
 * @param wrongType     the documents are not served as JSON; null: not checked
 * @param maxKeys       how many keys it reads; 0: not checked
 * @param subjectError  the token's sub is not a service account's; null: not checked
 * @param notHttps      the issuer is not https
 * @param hosting       where to host the documents over https
 * @param notPublic     what an anonymous 401, 403 or 409 means there
 * @param makePublic    how to make them public
 * @param webhook       what mounts the projected token in the pod
 */
record RelyingParty(String answers, String audience, String tokenFile, String unreachable, String noKey,
                    String issuerMismatch, String tokenIssuer, String notRs256, String badToken, String audienceError,
                    String expired, String wrongType, int maxKeys, String subjectError, String notHttps,
                    String hosting, String notPublic, String makePublic, String webhook) {

    static final RelyingParty ENTRA = new RelyingParty("Entra ID", "api://AzureADTokenExchange",
            "/var/run/secrets/azure/tokens/azure-identity-token",
            "AADSTS50166 / AADSTS90061 (request to the external OIDC endpoint failed)",
            "AADSTS7000272 (the token's kid is not in the issuer's metadata)",
            "AADSTS700211 / AADSTS70021 (no federated credential matches the token's issuer)", "AADSTS700211",
            "AADSTS700027 (Entra supports only RS256 signatures)", "AADSTS50027 (invalid JWT)", "AADSTS700212",
            "AADSTS700024", "AADSTS50166", 100, null, "AADSTS50166 (Entra cannot fetch the issuer's metadata)",
            "the storage static website", "a private container: use the static website or blob-level public access",
            "static website ($web) or a public container", "workload-identity webhook");

    /** AssumeRoleWithWebIdentity's errors, as STS words them. */
    static final RelyingParty AWS = new RelyingParty("AWS STS", "sts.amazonaws.com",
            "/var/run/secrets/eks.amazonaws.com/serviceaccount/token",
            "InvalidIdentityToken: Couldn't retrieve verification key from your identity provider",
            "InvalidIdentityToken: Couldn't retrieve verification key from your identity provider",
            "InvalidIdentityToken: No OpenIDConnect provider found in your account for the token's issuer",
            "InvalidIdentityToken: No OpenIDConnect provider found in your account for the token's issuer",
            "InvalidIdentityToken: The web identity token that was passed could not be validated by AWS"
                    + " (IRSA tokens are RS256, as EKS signs them)",
            "InvalidIdentityToken: The web identity token that was passed could not be validated by AWS",
            "InvalidIdentityToken: Incorrect token audience", "ExpiredTokenException: Token expired", null, 0,
            "AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity (the role's trust policy matches"
                    + " ISSUER:sub against system:serviceaccount:NAMESPACE:NAME)",
            "InvalidIdentityToken: No OpenIDConnect provider found in your account for the token's issuer (IAM creates"
                    + " OIDC providers for https URLs only)",
            "S3 or CloudFront (docs/aws.md)",
            "not public: a bucket policy allowing anonymous s3:GetObject on the prefix, or CloudFront with origin"
                    + " access control, docs/aws.md",
            "bucket policy or CloudFront", "pod identity webhook");

    /** The --for value: entra or aws. */
    static RelyingParty named(String name) {
        return switch (name.toLowerCase(java.util.Locale.ROOT)) {
            case "entra", "azure" -> ENTRA;
            case "aws", "sts" -> AWS;
            default -> throw new IllegalArgumentException("--for must be entra or aws (got '" + name + "')");
        };
    }
}
