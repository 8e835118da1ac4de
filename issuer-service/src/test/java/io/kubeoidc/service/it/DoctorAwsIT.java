package io.kubeoidc.service.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.kubeoidc.pem.PemKeyReader;
import java.nio.file.Path;
import java.security.PrivateKey;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;

/**
 * `doctor --for aws`: the service publishes to S3Mock through its S3 mirror and doctor checks the bucket as AWS STS
 * would; each failure is provoked on objects the service does not manage (another prefix), so nothing races its
 * repair loop, and must name the STS error it would cause.
 */
class DoctorAwsIT {
    @TempDir
    Path work;

    @Test
    void checksAnS3HostedIssuerAsStsDoesAndNamesTheStsErrorOfEachFailure() throws Exception {
        try (S3Mock s3 = new S3Mock(work.resolve("s3mock"), "oidc"); var client = s3.client()) {
            String issuer = s3.bucketUrl() + "cluster-a";
            int port = TestData.freePort(), mgmt = TestData.freePort();
            var args = new java.util.ArrayList<>(java.util.List.of("--server.port=" + port,
                    "--management.server.port=" + mgmt, "--issuer.url=" + issuer, "--issuer.allow-insecure-http=true"));
            args.addAll(s3.serviceArguments("cluster-a/"));
            try (JarProcess service = JarProcess.start(work, S3Mock.credentialOptions(), args.toArray(String[]::new))
                    .awaitReady(mgmt)) {
                // Consistent layout: no consistency-guard warning.
                assertThat(service.output()).doesNotContain("AWS STS will fetch discovery from");
                S3MirrorIT.await("the S3 target verified", () -> AzureMirrorIT.verified(AzureMirrorIT.target(mgmt, "s3")));
                Path keys = work.resolve("data/keys");
                String kid = new io.kubeoidc.store.DirectoryKeyStore(keys).load().keySet().active().orElseThrow().kid();
                PrivateKey key = PemKeyReader.readFile(keys.resolve(kid + ".key")).requireKeys().get(0)
                        .signingKey().orElseThrow().privateKey();
                String sub = "system:serviceaccount:myns:myapp";

                var ok = JarProcess.run(work, "doctor", "--for", "aws", "--issuer", issuer, "--allow-http",
                        "--keys-dir", keys.toString(), "--token", DoctorIT.token(work, key, kid, issuer, "sts.amazonaws.com", sub));
                assertThat(ok.output()).as(ok.output()).contains("PASS  token aud contains sts.amazonaws.com")
                        .contains("PASS  token sub names a service account (system:serviceaccount:NAMESPACE:NAME)")
                        .contains("the role's trust policy must allow 127.0.0.1:" + s3.port + "/oidc/cluster-a:sub = " + sub
                                + " and :aud = sts.amazonaws.com")
                        .contains("PASS  token signature verifies with the published key")
                        .doesNotContain("Content-Type").doesNotContain("at most 100 keys").contains("checks passed");
                assertThat(ok.exitCode()).isZero();

                var https = JarProcess.run(work, "doctor", "--for", "aws", "--issuer", issuer);
                assertThat(https.exitCode()).isEqualTo(1);
                assertThat(https.output()).contains("FAIL  issuer uses https").contains("AWS STS would answer:"
                        + " InvalidIdentityToken: No OpenIDConnect provider found in your account for the token's issuer"
                        + " (IAM creates OIDC providers for https URLs only)");

                var azureAudience = JarProcess.run(work, "doctor", "--for", "aws", "--issuer", issuer, "--allow-http",
                        "--token", DoctorIT.token(work, key, kid, issuer, "api://AzureADTokenExchange", sub));
                assertThat(azureAudience.exitCode()).isEqualTo(1);
                assertThat(azureAudience.output()).contains("FAIL  token aud contains sts.amazonaws.com")
                        .contains("AWS STS would answer: InvalidIdentityToken: Incorrect token audience");

                var otherAudience = JarProcess.run(work, "doctor", "--for", "aws", "--audience", "my-audience",
                        "--issuer", issuer, "--allow-http", "--token", DoctorIT.token(work, key, kid, issuer, "my-audience", sub));
                assertThat(otherAudience.output()).as(otherAudience.output()).contains("PASS  token aud contains my-audience");
                assertThat(otherAudience.exitCode()).isZero();

                var user = JarProcess.run(work, "doctor", "--for", "aws", "--issuer", issuer, "--allow-http",
                        "--token", DoctorIT.token(work, key, kid, issuer, "sts.amazonaws.com", "alice"));
                assertThat(user.exitCode()).isEqualTo(1);
                assertThat(user.output()).contains("FAIL  token sub names a service account").contains("sub is 'alice'")
                        .contains("AWS STS would answer: AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity");

                var otherIssuer = JarProcess.run(work, "doctor", "--for", "aws", "--issuer", issuer, "--allow-http",
                        "--token", DoctorIT.token(work, key, kid, "https://elsewhere.example.com", "sts.amazonaws.com", sub));
                assertThat(otherIssuer.output()).contains("FAIL  token iss equals the issuer")
                        .contains("AWS STS would answer: InvalidIdentityToken: No OpenIDConnect provider found");

                // Hand-made publications under another prefix: a discovery whose jwks_uri is missing, and one whose
                // issuer is another cluster's.
                String broken = s3.bucketUrl() + "broken";
                client.putObject(r -> r.bucket("oidc").key("broken/.well-known/openid-configuration")
                        .contentType("application/json"), RequestBody.fromString("{\"issuer\":\"" + broken
                        + "\",\"jwks_uri\":\"" + broken + "/openid/v1/jwks\",\"id_token_signing_alg_values_supported\":[\"RS256\"]}"));
                var noJwks = JarProcess.run(work, "doctor", "--for", "aws", "--issuer", broken, "--allow-http");
                assertThat(noJwks.exitCode()).isEqualTo(1);
                assertThat(noJwks.output()).contains("FAIL  JWKS is reachable anonymously at " + broken + "/openid/v1/jwks")
                        .contains("HTTP 404").contains("AWS STS would answer: InvalidIdentityToken: Couldn't retrieve"
                                + " verification key from your identity provider");

                var noDiscovery = JarProcess.run(work, "doctor", "--for", "aws", "--issuer", s3.bucketUrl() + "nothing",
                        "--allow-http");
                assertThat(noDiscovery.output()).contains("FAIL  discovery document is reachable anonymously")
                        .contains("Couldn't retrieve verification key from your identity provider");

                client.putObject(r -> r.bucket("oidc").key("copied/.well-known/openid-configuration")
                        .contentType("application/json"), RequestBody.fromString("{\"issuer\":\"" + issuer
                        + "\",\"jwks_uri\":\"" + issuer + "/openid/v1/jwks\"}"));
                var copied = JarProcess.run(work, "doctor", "--for", "aws", "--issuer", s3.bucketUrl() + "copied", "--allow-http");
                assertThat(copied.exitCode()).isEqualTo(1);
                assertThat(copied.output()).contains("FAIL  discovery issuer equals '" + s3.bucketUrl() + "copied' exactly")
                        .contains("AWS STS would answer: InvalidIdentityToken: No OpenIDConnect provider found");

                var usage = JarProcess.run(work, "doctor", "--for", "gcp", "--issuer", issuer);
                assertThat(usage.exitCode()).as(usage.output()).isEqualTo(2);
                assertThat(usage.output()).contains("--for must be entra or aws (got 'gcp')");
            }
        }
    }
}
