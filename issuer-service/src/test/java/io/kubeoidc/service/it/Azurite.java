package io.kubeoidc.service.it;

import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.blob.models.PublicAccessType;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The Azure Storage emulator (npm azurite, installed into the project by test.sh), as a real process
 * on a free port, persisting to a directory so it can be stopped and started again with its data.
 */
final class Azurite implements AutoCloseable {
    /** Azurite's well-known development account key (from its README). */
    static final String KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    final int port;
    private final Path location;
    private final SelfSignedTls tls;
    private Process process;

    Azurite(Path location) throws Exception {
        this(location, null);
    }

    /**
     * Over https with {@code tls}, and with OAuth ({@code --oauth basic}, which needs https): a bearer token is
     * accepted when its iss, aud, nbf and exp are what Azure Storage's tokens carry (the signature is not checked),
     * next to shared key and anonymous access to public containers. Plain http when {@code tls} is null.
     */
    Azurite(Path location, SelfSignedTls tls) throws Exception {
        this.port = TestData.freePort();
        this.location = location;
        this.tls = tls;
        start();
    }

    private String scheme() {
        return tls == null ? "http" : "https";
    }

    /** The account's blob endpoint, e.g. for a client with a token credential. */
    String accountUrl() {
        return scheme() + "://127.0.0.1:" + port + "/devstoreaccount1";
    }

    String connectionString() {
        return "DefaultEndpointsProtocol=" + scheme() + ";AccountName=devstoreaccount1;AccountKey=" + KEY
                + ";BlobEndpoint=" + accountUrl() + ";";
    }

    String containerUrl(String container) {
        return accountUrl() + "/" + container + "/";
    }

    /** A shared-key client of this account (trusting the test certificate when over https). */
    BlobServiceClientBuilder client() throws Exception {
        BlobServiceClientBuilder builder = new BlobServiceClientBuilder().connectionString(connectionString());
        if (tls != null) {
            builder.httpClient(new JdkHttpClientBuilder(java.net.http.HttpClient.newBuilder()
                    .sslContext(tls.clientContext())).build());
        }
        return builder;
    }

    BlobContainerClient publicContainer(String name) throws Exception {
        BlobContainerClient c = client().buildClient().getBlobContainerClient(name);
        c.createWithResponse(null, PublicAccessType.BLOB, null, null);
        return c;
    }

    void start() throws Exception {
        Path bin = Path.of(System.getProperty("azurite.bin", "../node_modules/.bin/azurite-blob"));
        if (!Files.exists(bin)) {
            throw new IllegalStateException(bin + " is missing: run ./test.sh (it installs npm azurite into the project)");
        }
        Files.createDirectories(location);
        // --skipApiVersionCheck: the Java SDK speaks a newer API version than Azurite knows (stack.md §5);
        // --disableTelemetry: otherwise Azurite ignores SIGTERM while it tries to reach the network.
        List<String> cmd = new ArrayList<>(List.of("node", bin.toString(), "--blobHost", "127.0.0.1", "--blobPort",
                Integer.toString(port), "--location", location.toString(), "--skipApiVersionCheck",
                "--disableTelemetry", "--silent"));
        if (tls != null) {
            cmd.addAll(List.of("--cert", tls.cert.toString(), "--key", tls.key.toString(), "--oauth", "basic"));
        }
        process = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(location.resolve("azurite.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            try (Socket s = new Socket("127.0.0.1", port)) {
                return;
            } catch (IOException notYet) {
                if (!process.isAlive()) {
                    throw new IllegalStateException("azurite exited: " + Files.readString(location.resolve("azurite.log")));
                }
                Thread.sleep(100);
            }
        }
        throw new IllegalStateException("azurite did not listen on " + port);
    }

    /**
     * SIGSTOP: a hung endpoint. The port stays open and connections are accepted by the kernel, but nothing
     * answers until {@link #thaw()}.
     */
    void freeze() throws Exception {
        signal("-STOP");
    }

    /** SIGCONT: the frozen endpoint answers again (queued requests first). */
    void thaw() throws Exception {
        signal("-CONT");
    }

    private void signal(String signal) throws Exception {
        signal(process, signal);
    }

    /** Sends a signal with kill(1), as an operator would (also used by {@link S3Mock}). */
    static void signal(Process process, String signal) throws Exception {
        Process kill = new ProcessBuilder("kill", signal, Long.toString(process.pid())).inheritIO().start();
        if (kill.waitFor() != 0) {
            throw new IllegalStateException("kill " + signal + " " + process.pid() + " failed");
        }
    }

    void stop() throws InterruptedException {
        if (process != null) {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
            process = null;
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
