package io.kubeoidc.service.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.util.JSONObjectUtils;
import io.kubeoidc.pem.ParsedKey;
import io.kubeoidc.pem.PemKeyReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real service rotating on a short policy, observed from outside the way a relying party sees it. */
class RotationIT {
    static final HttpClient http = HttpClient.newHttpClient();
    static final Duration POLL = Duration.ofMillis(100);

    @TempDir
    Path work;

    static List<String> jwksKids(int port) throws Exception {
        var r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/openid/v1/jwks")).build(),
                HttpResponse.BodyHandlers.ofString());
        return JWKSet.parse(r.body()).getKeys().stream().map(JWK::getKeyID).toList();
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> issuerHealth(int mgmt) throws Exception {
        var r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + mgmt + "/actuator/health/issuer")).build(),
                HttpResponse.BodyHandlers.ofString());
        return (Map<String, Object>) JSONObjectUtils.parse(r.body()).get("details");
    }

    static String activeKid(int mgmt) throws Exception {
        return (String) issuerHealth(mgmt).get("activeKid");
    }

    static List<String> kids(Path pem) {
        if (!Files.exists(pem)) {
            return List.of();
        }
        return PemKeyReader.readFile(pem).keys().stream().map(ParsedKey::kid).toList();
    }

    @Test
    void nextKeyIsPublishedForPublishAheadBeforeItSignsAndTheOldKeyStays() throws Exception {
        int port = TestData.freePort();
        int mgmt = TestData.freePort();
        try (JarProcess service = JarProcess.start(work, "--server.port=" + port, "--management.server.port=" + mgmt,
                "--issuer.url=https://oidc.example.com", "--issuer.rotation.period=20s",
                "--issuer.rotation.publish-ahead=8s", "--issuer.http.max-age=2s", "--issuer.tokens.max-lifetime=10s",
                "--issuer.rotation.retention=15s", "--issuer.rotation.check-interval=250ms",
                "--issuer.key-files.directory=pki", "--issuer.key-files.restart-command=echo restart >> restarts.log")
                .awaitReady(mgmt)) {
            // Per kid, the start of the last read that did NOT show it: it was published after that. With the
            // time after the read that first showed it signing, this bounds the real interval from above
            // however slow a loaded machine makes each poll (the first read bounds nothing: MIN_VALUE).
            Map<String, Long> absentFromJwks = new HashMap<>();
            Map<String, Long> absentFromSaPub = new HashMap<>();
            long lastJwksRead = Long.MIN_VALUE;
            long lastSaPubRead = Long.MIN_VALUE;
            List<long[]> switches = new ArrayList<>();      // {time}
            List<String[]> switchKids = new ArrayList<>();  // {old, new}
            List<Object[]> oldKidChecks = new ArrayList<>(); // {kid, due nanos}: the retired key must still be there
            String active = activeKid(mgmt);
            long start = System.nanoTime();
            long deadline = start + Duration.ofSeconds(150).toNanos();
            while ((switches.size() < 2 || !oldKidChecks.isEmpty()) && System.nanoTime() < deadline) {
                long now = System.nanoTime();
                for (var it = oldKidChecks.iterator(); it.hasNext(); ) {
                    Object[] check = it.next();
                    if (now >= (long) check[1]) {
                        assertThat(jwksKids(port)).as("retired kid %s still published after the switch", check[0])
                                .contains((String) check[0]);
                        it.remove();
                    }
                }
                long jwksRead = System.nanoTime();
                for (String kid : jwksKids(port)) {
                    absentFromJwks.putIfAbsent(kid, lastJwksRead);
                }
                lastJwksRead = jwksRead;
                long saPubRead = System.nanoTime();
                for (String kid : kids(work.resolve("pki/sa.pub"))) {
                    absentFromSaPub.putIfAbsent(kid, lastSaPubRead);
                }
                lastSaPubRead = saPubRead;
                List<String> signingFile = kids(work.resolve("pki/sa.key"));
                // kube-apiserver must always be able to verify what sa.key signs.
                assertThat(kids(work.resolve("pki/sa.pub"))).containsAll(signingFile);
                String nowActive = activeKid(mgmt);
                if (!nowActive.equals(active)) {
                    switches.add(new long[] {System.nanoTime()});
                    switchKids.add(new String[] {active, nowActive});
                    oldKidChecks.add(new Object[] {active, System.nanoTime() + Duration.ofSeconds(3).toNanos()});
                    active = nowActive;
                }
                Thread.sleep(POLL.toMillis());
            }
            assertThat(switches).as(service.output()).hasSize(2);
            assertThat(oldKidChecks).isEmpty();
            for (int i = 0; i < switches.size(); i++) {
                String newKid = switchKids.get(i)[1];
                long signing = switches.get(i)[0];
                if (absentFromJwks.get(newKid) != Long.MIN_VALUE) {
                    assertThat(Duration.ofNanos(signing - absentFromJwks.get(newKid))).as("kid %s in the JWKS before it signed",
                            newKid).isGreaterThanOrEqualTo(Duration.ofSeconds(8));
                }
                if (absentFromSaPub.get(newKid) != Long.MIN_VALUE) {
                    assertThat(Duration.ofNanos(signing - absentFromSaPub.get(newKid))).as("kid %s in sa.pub before it signed",
                            newKid).isGreaterThanOrEqualTo(Duration.ofSeconds(7));
                }
            }
            String log = service.output();
            assertThat(log).contains("from=NEW to=NEXT").contains("from=NEXT to=ACTIVE").contains("from=ACTIVE to=RETIRED")
                    .contains("kube-apiserver key files changed");
            // A healthy rotation: NEXT is published early enough to absorb the confirmation, so it is not overdue.
            // (The first one may be: the first key is made during the start, and no check runs until it ends.)
            assertThat(log.substring(log.indexOf("from=NEXT to=ACTIVE"))).doesNotContain("signs past its period");
            assertThat(Files.readAllLines(work.resolve("restarts.log"))).hasSizeGreaterThanOrEqualTo(3);

            // The first key leaves after retention (15 s after its retirement).
            String firstKid = switchKids.get(0)[0];
            long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (jwksKids(port).contains(firstKid) && System.nanoTime() < until) {
                Thread.sleep(200);
            }
            assertThat(jwksKids(port)).doesNotContain(firstKid);
            service.awaitOutput("kid=" + firstKid + " from=RETIRED to=REMOVED");

            var metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + mgmt + "/actuator/prometheus"))
                    .build(), HttpResponse.BodyHandlers.ofString()).body();
            assertThat(metrics).contains("issuer_rotation_transitions_total{from=\"NEXT\",to=\"ACTIVE\"")
                    .contains("issuer_keyfiles_restart_required_total").contains("issuer_rotation_overdue_seconds 0.0");
        }
    }

    @Test
    void cliRotatesAndRevokesWhileTheServiceRuns() throws Exception {
        int port = TestData.freePort();
        int mgmt = TestData.freePort();
        try (JarProcess service = JarProcess.start(work, "--server.port=" + port, "--management.server.port=" + mgmt,
                // publish-ahead outlasts the `keys status` run below (a JVM start, seconds on a loaded machine),
                // so that it still sees the NEXT key waiting.
                "--issuer.url=https://oidc.example.com", "--issuer.rotation.publish-ahead=20s", "--issuer.http.max-age=2s",
                "--issuer.rotation.check-interval=200ms").awaitReady(mgmt)) {
            String first = activeKid(mgmt);

            var rotate = JarProcess.run(work, "keys", "rotate", "--reason", "quarterly drill");
            assertThat(rotate.exitCode()).as(rotate.output()).isZero();
            assertThat(rotate.output()).contains("from=NEW to=NEXT why=\"rotate command");
            var status = JarProcess.run(work, "keys", "status");
            assertThat(status.output()).containsPattern(first + "\\s+RS256\\s+ACTIVE")
                    .containsPattern("RS256\\s+NEXT").contains("(as the service last ran)").contains("publish-ahead 20 s,");

            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            while (activeKid(mgmt).equals(first) && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            String second = activeKid(mgmt);
            assertThat(second).isNotEqualTo(first);
            assertThat(jwksKids(port)).containsExactly(first, second);

            var refused = JarProcess.run(work, "keys", "rotate", "--emergency", "--revoke", second);
            assertThat(refused.exitCode()).isEqualTo(1);
            assertThat(refused.output()).contains("every token it signed stops verifying").contains("Re-run with --yes");
            assertThat(jwksKids(port)).containsExactly(first, second);

            var revoked = JarProcess.run(work, "keys", "rotate", "--emergency", "--revoke", second, "--yes",
                    "--reason", "key leaked in \"CI\" logs");
            assertThat(revoked.exitCode()).as(revoked.output()).isZero();
            deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (jwksKids(port).contains(second) && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertThat(jwksKids(port)).doesNotContain(second).contains(first).hasSize(2);
            assertThat(activeKid(mgmt)).isNotIn(first, second);
            // The service's audit line says what the operator ran and why (recorded with the commit by the CLI).
            String user = System.getProperty("user.name");
            service.awaitOutput("from=NEW to=NEXT why=\"keys rotate run by " + user
                    + ", reason: quarterly drill (committed by the CLI at revision ");
            service.awaitOutput("kid=" + second + " from=ACTIVE to=REMOVED why=\"keys rotate --emergency --revoke " + second
                    + " run by " + user + ", reason: key leaked in 'CI' logs (committed by the CLI at revision ");

            var unknown = JarProcess.run(work, "keys", "rotate", "--emergency", "--revoke", "no-such-kid", "--yes");
            assertThat(unknown.exitCode()).isEqualTo(1);
            assertThat(unknown.output()).contains("unknown kid no-such-kid");
        }
    }
}
