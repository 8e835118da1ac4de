package io.kubeoidc.service.it;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Adobe S3Mock (Maven Central com.adobe.testing:s3mock, classifier exec, copied into target/s3mock by the build)
 * as a real process on a free port, keeping its objects in a directory so it can be stopped and started again
 * with its data. It serves plain HTTP with path-style URLs and checks no credentials: any GET is anonymous.
 */
public final class S3Mock implements AutoCloseable {
    public static final String REGION = "us-east-1";
    /** Made-up credentials for the AWS SDK's default chain (S3Mock checks none); the secret scan looks for them. */
    public static final String ACCESS_KEY_ID = "AKIAS3MOCKTESTKEY001";
    public static final String SECRET_ACCESS_KEY = "s3mock/Secret+Access+Key/never-logged-0123456789";

    final int port;
    private final Path root;
    private final String bucket;
    private Process process;

    public S3Mock(Path root, String bucket) throws Exception {
        this.port = TestData.freePort();
        this.root = root;
        this.bucket = bucket;
        start();
    }

    /** The endpoint the service writes to (issuer.mirror.s3.endpoint, with path-style access). */
    public String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    /** Where anonymous readers fetch the bucket's objects (issuer.mirror.s3.public-base-url). */
    String bucketUrl() {
        return endpoint() + "/" + bucket + "/";
    }

    /** The service's S3 settings against this store, and the credentials the SDK's chain reads (JVM options). */
    List<String> serviceArguments(String prefix) {
        return List.of("--issuer.mirror.s3.bucket=" + bucket, "--issuer.mirror.s3.region=" + REGION,
                "--issuer.mirror.s3.endpoint=" + endpoint(), "--issuer.mirror.s3.path-style-access=true",
                "--issuer.mirror.s3.prefix=" + prefix, "--issuer.mirror.s3.public-base-url=" + bucketUrl());
    }

    /** System properties are the first link of the SDK's default credentials chain. */
    static List<String> credentialOptions() {
        return List.of("-Daws.accessKeyId=" + ACCESS_KEY_ID, "-Daws.secretAccessKey=" + SECRET_ACCESS_KEY);
    }

    /** A second writer, as another tool or a person would change the bucket. */
    public S3Client client() {
        return S3Client.builder().region(Region.of(REGION)).endpointOverride(URI.create(endpoint()))
                .forcePathStyle(true).httpClient(UrlConnectionHttpClient.create())
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY_ID,
                        SECRET_ACCESS_KEY))).build();
    }

    void start() throws Exception {
        Path jar = Path.of(System.getProperty("s3mock.jar", "target/s3mock/s3mock.jar"));
        if (!Files.exists(jar)) {
            throw new IllegalStateException(jar + " is missing: the build copies it in pre-integration-test (./mvnw verify)");
        }
        Files.createDirectories(root.resolve("store"));
        // server.port is S3Mock's https listener: any free one; http-port is the plain HTTP one the tests use.
        process = new ProcessBuilder(javaBin(), "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx256m", "-jar",
                jar.toString(), "--server.port=0", "--com.adobe.testing.s3mock.http-port=" + port,
                "--com.adobe.testing.s3mock.store.initial-buckets=" + bucket,
                "--com.adobe.testing.s3mock.store.root=" + root.resolve("store"),
                "--com.adobe.testing.s3mock.store.retain-files-on-exit=true")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(root.resolve("s3mock.log").toFile()))
                .start();
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline) {
            try {
                // Ready when the bucket answers, not merely when the port is open.
                var r = http.send(HttpRequest.newBuilder(URI.create(endpoint() + "/" + bucket + "?list-type=2")).build(),
                        HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            if (!process.isAlive()) {
                throw new IllegalStateException("S3Mock exited: " + Files.readString(root.resolve("s3mock.log")));
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("S3Mock did not serve bucket " + bucket + " on " + port + ": "
                + Files.readString(root.resolve("s3mock.log")));
    }

    /** SIGSTOP: a hung endpoint, connections accepted by the kernel but never answered until {@link #thaw()}. */
    void freeze() throws Exception {
        Azurite.signal(process, "-STOP");
    }

    /** SIGCONT: the frozen store answers again. */
    void thaw() throws Exception {
        Azurite.signal(process, "-CONT");
    }

    /** SIGKILL, frozen or not: the store is gone at once, its files stay for {@link #start()}. */
    public void kill() throws InterruptedException {
        if (process != null) {
            process.destroyForcibly().waitFor();
            process = null;
        }
    }

    /** Every object in the bucket, by key, as another tool lists and reads them. */
    java.util.Map<String, byte[]> objects() {
        try (S3Client c = client()) {
            var all = new java.util.TreeMap<String, byte[]>();
            c.listObjectsV2Paginator(r -> r.bucket(bucket)).contents().forEach(o ->
                    all.put(o.key(), c.getObjectAsBytes(r -> r.bucket(bucket).key(o.key())).asByteArray()));
            return all;
        }
    }

    /** S3Mock's data directory, for the secret scan. */
    Path store() {
        return root.resolve("store");
    }

    void stop() throws InterruptedException {
        if (process != null) {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
            process = null;
        }
    }

    @Override
    public void close() throws Exception {
        if (process != null) {
            thaw(); // a frozen JVM does not act on SIGTERM
        }
        stop();
    }

    private static String javaBin() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }
}
