package io.kubeoidc.service.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.kubeoidc.service.monitoring.MonitoringFiles;
import io.kubeoidc.testing.EtcdCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every metric monitoring/alerts.yaml and monitoring/dashboard.json query is on /actuator/prometheus as soon as
 * the service is ready, before any Sign, FetchKeys or public request: a service with everything that exports
 * metrics switched on (etcd store and election, external signer, the filesystem mirror).
 */
class MonitoringMetricsIT {
    @TempDir
    Path work;

    @Test
    void everyMetricTheAlertsAndTheDashboardUseIsExportedAtReadiness() throws Exception {
        Set<String> used = MonitoringFiles.metricNames();
        assertThat(used).as("names read from the rules and the dashboard").hasSizeGreaterThan(20);
        try (EtcdCluster etcd = EtcdCluster.start(Files.createDirectories(work.resolve("etcd")), 1);
             ServiceNode node = new ServiceNode(work, "node")) {
            node.start(List.of("--server.port=" + node.port, "--management.server.port=" + node.mgmt,
                    "--issuer.url=https://oidc.example.com/monitoring", "--issuer.keys.store=etcd",
                    "--issuer.keys.encryption-key-file=" + TestData.keyEncryptionKey(work.resolve("kek")),
                    "--issuer.keys.etcd.endpoints=" + etcd.endpointList(), "--issuer.keys.etcd.replica-id=node",
                    "--issuer.signer.socket=" + node.socket()));
            node.process.awaitReady(node.mgmt);

            Map<String, Double> samples = samples(node.metrics());
            Set<String> series = new TreeSet<>();
            samples.keySet().forEach(s -> series.add(s.contains("{") ? s.substring(0, s.indexOf('{')) : s));
            assertThat(series).as("series on /actuator/prometheus right after readiness").containsAll(used);

            // Before any Sign: no token counted yet, yet every error reason and the latency histogram are there at 0.
            assertThat(series).doesNotContain("issuer_signer_sign_requests_total");
            assertThat(samples).containsEntry("issuer_signer_sign_duration_seconds_count{alg=\"RS256\"}", 0.0);
            for (String reason : List.of("invalid_claims", "signing_failed", "no_keys", "no_active_key",
                    "unconfirmed_active_key", "no_private_key")) {
                assertThat(samples).containsEntry("issuer_signer_errors_total{reason=\"" + reason + "\"}", 0.0);
            }
            assertThat(samples).containsEntry("issuer_signer_fetchkeys_requests_total{api=\"v1\"}", 0.0)
                    .containsEntry("issuer_signer_fetchkeys_requests_total{api=\"v1alpha1\"}", 0.0)
                    .containsEntry("issuer_http_requests_total{document=\"jwks\",status=\"200\"}", 0.0)
                    .containsEntry("issuer_rotation_max_keys", 10.0);
            assertThat(samples).containsKeys("issuer_keys_state{state=\"NEXT\"}", "issuer_keys_state{state=\"ACTIVE\"}",
                    "issuer_keys_state{state=\"RETIRED\"}", "issuer_keys_state{state=\"VERIFY_ONLY\"}",
                    "issuer_ha_leader", "issuer_ha_degraded", "issuer_ha_replicas",
                    "issuer_mirror_unverified_seconds{mirror=\"filesystem\"}",
                    "issuer_rotation_gate_confirmed{target=\"filesystem\"}", "issuer_rotation_gate_confirmed{target=\"http\"}");
        }
    }

    /**
     * What the rotation and mirror alerts fire on, moving on a real service: a filesystem mirror verified at a URL
     * where nothing listens never confirms, so the NEXT key of a short period waits at the gate, the mirror's
     * unverified time grows and the rotation becomes overdue, while the service's own endpoint confirms.
     */
    @Test
    void aShutGateShowsInTheGateMirrorAndOverdueMetrics() throws Exception {
        int port = TestData.freePort();
        int mgmt = TestData.freePort();
        int nothingListens = TestData.freePort();
        try (JarProcess service = JarProcess.start(work, "--server.port=" + port, "--management.server.port=" + mgmt,
                "--issuer.url=https://oidc.example.com/monitoring", "--issuer.mirror.interval=1s",
                "--issuer.mirror.filesystem.public-base-url=http://127.0.0.1:" + nothingListens + "/",
                "--issuer.rotation.period=30s", "--issuer.rotation.publish-ahead=8s", "--issuer.http.max-age=5s",
                "--issuer.tokens.max-lifetime=10m", "--issuer.rotation.retention=10m", "--issuer.rotation.max-keys=30",
                "--issuer.rotation.check-interval=500ms").awaitReady(mgmt)) {
            Await.await("the NEXT key waiting at the gate and the rotation overdue", JarProcess.LOADED_MACHINE, () -> {
                Map<String, Double> s = samples(ServiceNode.get(mgmt, "/actuator/prometheus"));
                return s.get("issuer_keys_state{state=\"NEXT\"}") == 1.0 && s.get("issuer_rotation_overdue_seconds") > 0;
            });
            Map<String, Double> s = samples(ServiceNode.get(mgmt, "/actuator/prometheus"));
            assertThat(s).containsEntry("issuer_keys_state{state=\"ACTIVE\"}", 1.0)
                    .containsEntry("issuer_rotation_gate_confirmed{target=\"filesystem\"}", 0.0)
                    .containsEntry("issuer_rotation_gate_confirmed{target=\"http\"}", 1.0)
                    .containsEntry("issuer_mirror_verified{mirror=\"filesystem\"}", 0.0);
            // Never verified since the start: the unverified time is at least the time since the period began.
            assertThat(s.get("issuer_mirror_unverified_seconds{mirror=\"filesystem\"}")).isGreaterThanOrEqualTo(
                    s.get("issuer_rotation_overdue_seconds"));
            assertThat(s.get("issuer_mirror_failures_total{mirror=\"filesystem\",reason=\"unreachable\"}")).isPositive();
        }
    }

    /** Each sample line of the exposition, by its series (name and labels as written), with its value. */
    private static Map<String, Double> samples(String exposition) {
        Map<String, Double> out = new TreeMap<>();
        for (String line : exposition.lines().toList()) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int space = line.lastIndexOf(' ');
            out.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
        }
        return out;
    }
}
