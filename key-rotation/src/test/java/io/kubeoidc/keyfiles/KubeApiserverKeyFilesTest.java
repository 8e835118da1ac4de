package io.kubeoidc.keyfiles;

import static org.assertj.core.api.Assertions.assertThat;

import io.kubeoidc.Openssl;
import io.kubeoidc.keys.KeySpec;
import io.kubeoidc.keys.SigningKey;
import io.kubeoidc.keyset.KeySet;
import io.kubeoidc.keyset.ManagedKey;
import io.kubeoidc.pem.ParsedKey;
import io.kubeoidc.pem.PemKeyReader;
import io.kubeoidc.rotation.GateStatus;
import io.kubeoidc.rotation.KeySource;
import io.kubeoidc.rotation.RotationPlanner;
import io.kubeoidc.rotation.RotationPolicy;
import io.kubeoidc.store.DirectoryKeyStore;
import io.kubeoidc.store.StoredKeys;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KubeApiserverKeyFilesTest {
    static final RotationPolicy POLICY = RotationPolicy.defaults(Duration.ofHours(1));
    static final KeySource RSA = spec -> SigningKey.generate(KeySpec.RSA_2048, new SecureRandom());

    @TempDir
    Path work;

    StoredKeys advance(DirectoryKeyStore store, Instant now) {
        StoredKeys s = store.load();
        var kids = s.keySet().keys().stream().map(ManagedKey::kid).collect(Collectors.toSet());
        var plan = RotationPlanner.plan(s.keySet(), POLICY, new GateStatus(Map.of("http", kids)), now, RSA);
        return plan.changed() ? store.commit(s.keySet().revision(), plan.next(), plan.newKeys()) : s;
    }

    @Test
    void saPubGainsTheNextKeyBeforeSaKeySwitches() throws Exception {
        var store = new DirectoryKeyStore(work.resolve("store"));
        Path files = work.resolve("pki");
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");

        StoredKeys s0 = advance(store, t0);
        assertThat(KubeApiserverKeyFiles.write(files, s0)).isEqualTo(new KubeApiserverKeyFiles.Written(true, true));
        String first = s0.keySet().active().orElseThrow().kid();
        assertThat(Openssl.kidOf(files.resolve("sa.key"), true)).isEqualTo(first);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(files.resolve("sa.key")))).isEqualTo("rw-------");
        assertThat(KubeApiserverKeyFiles.write(files, s0).any()).isFalse(); // unchanged: nothing rewritten

        Instant create = t0.plus(POLICY.period()).minus(POLICY.publishAhead());
        StoredKeys s1 = advance(store, create);
        assertThat(KubeApiserverKeyFiles.write(files, s1)).isEqualTo(new KubeApiserverKeyFiles.Written(true, false));
        List<String> pubKids = PemKeyReader.readFile(files.resolve("sa.pub")).keys().stream().map(ParsedKey::kid).toList();
        assertThat(pubKids).containsExactlyElementsOf(s1.keySet().keys().stream().map(ManagedKey::kid).toList()).hasSize(2);
        assertThat(Openssl.kidOf(files.resolve("sa.key"), true)).isEqualTo(first);

        StoredKeys s2 = advance(store, create.plusSeconds(1));          // confirmed
        StoredKeys s3 = advance(store, create.plusSeconds(1).plus(POLICY.publishAhead())); // activated
        assertThat(s3.keySet().active().orElseThrow().kid()).isNotEqualTo(first);
        assertThat(KubeApiserverKeyFiles.write(files, s2).any()).isFalse();
        assertThat(KubeApiserverKeyFiles.write(files, s3)).isEqualTo(new KubeApiserverKeyFiles.Written(false, true));
        assertThat(Openssl.kidOf(files.resolve("sa.key"), true)).isEqualTo(s3.keySet().active().orElseThrow().kid());
    }
}
