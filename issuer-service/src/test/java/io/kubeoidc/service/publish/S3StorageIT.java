package io.kubeoidc.service.publish;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kubeoidc.service.config.IssuerProperties;
import io.kubeoidc.service.it.S3Mock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;

/**
 * Two writers never overwrite each other blindly: S3Storage's writes are conditioned on the ETag it read, and
 * S3Mock answers a stale condition with 412, which must surface as a {@link MirrorStorage.Conflict} and leave
 * the other writer's object as it was.
 */
class S3StorageIT {
    @TempDir
    Path work;

    @Test
    void aConflictingWriterIsNeverOverwritten() throws Exception {
        try (S3Mock s3 = new S3Mock(work, "oidc"); var other = s3.client()) {
            // The SDK's default chain reads these first; S3Mock checks none.
            System.setProperty("aws.accessKeyId", S3Mock.ACCESS_KEY_ID);
            System.setProperty("aws.secretAccessKey", S3Mock.SECRET_ACCESS_KEY);
            S3Storage storage = S3Storage.create(new IssuerProperties.S3("oidc", "c/", S3Mock.REGION, s3.endpoint(),
                    true, null, "no-cache"));
            String key = "c/openid/v1/jwks";
            assertThat(storage.read(key)).isEmpty();
            storage.write(key, bytes("{\"keys\":[]}"), "application/json", "no-cache", null);
            var mine = storage.read(key).orElseThrow();
            assertThat(mine.contentType()).isEqualTo("application/json");
            assertThat(mine.cacheControl()).isEqualTo("no-cache");

            // Created meanwhile by someone else: If-None-Match: * fails.
            assertThatThrownBy(() -> storage.write(key, bytes("{\"keys\":[1]}"), "application/json", "no-cache", null))
                    .isInstanceOf(MirrorStorage.Conflict.class).hasMessageContaining("HTTP 412");

            // Changed by someone else after our read: If-Match on the old ETag fails, their bytes stay.
            other.putObject(r -> r.bucket("oidc").key(key).contentType("application/json"),
                    RequestBody.fromString("{\"keys\":[\"theirs\"]}"));
            assertThatThrownBy(() -> storage.write(key, bytes("{\"keys\":[\"mine\"]}"), "application/json", "no-cache",
                    mine.version())).isInstanceOf(MirrorStorage.Conflict.class).hasMessageContaining("HTTP 412");
            var now = storage.read(key).orElseThrow();
            assertThat(new String(now.bytes(), StandardCharsets.UTF_8)).isEqualTo("{\"keys\":[\"theirs\"]}");

            // Conditioned on what is there now, the write goes through.
            storage.write(key, bytes("{\"keys\":[\"mine\"]}"), "application/json", "no-cache", now.version());
            assertThat(other.getObjectAsBytes(r -> r.bucket("oidc").key(key)).asUtf8String()).isEqualTo("{\"keys\":[\"mine\"]}");

            // An outage names the object and a stable cause, and nothing else.
            s3.kill();
            assertThatThrownBy(() -> storage.read(key)).isInstanceOf(IllegalStateException.class)
                    .hasMessageStartingWith("reading s3://oidc/" + key + " at " + s3.endpoint() + ": ")
                    .hasMessageNotContaining(S3Mock.SECRET_ACCESS_KEY);
        } finally {
            System.clearProperty("aws.accessKeyId");
            System.clearProperty("aws.secretAccessKey");
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
