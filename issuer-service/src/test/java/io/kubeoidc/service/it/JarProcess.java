package io.kubeoidc.service.it;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** The real issuer-service.jar, run as a separate process exactly as a user runs it. */
final class JarProcess implements AutoCloseable {
    private final Process process;
    private final Path log;

    private JarProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    static Path jar() {
        Path jar = Path.of(System.getProperty("issuer.jar", "target/issuer-service.jar"));
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " does not exist; run the package phase first");
        }
        return jar;
    }

    /** A process that ends by itself in seconds (or is killed in a loop) starts faster with C1 alone and the serial collector. */
    static final List<String> SHORT_LIVED = List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC");

    static JarProcess start(Path workDir, String... args) throws IOException {
        return start(workDir, List.of(), args);
    }

    /** @param jvmOptions options for the JVM itself (before -jar), e.g. for a faster start in loops */
    static JarProcess start(Path workDir, List<String> jvmOptions, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(javaBin()));
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-jar", jar().toAbsolutePath().toString()));
        cmd.addAll(List.of(args));
        Path log = Files.createTempFile("issuer-service", ".log");
        Process p = new ProcessBuilder(cmd).directory(workDir.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        return new JarProcess(p, log);
    }

    /** Runs a CLI command, or a service expected to refuse its configuration, to completion. */
    static Result run(Path workDir, String... args) throws Exception {
        try (JarProcess p = start(workDir, SHORT_LIVED, args)) {
            if (!p.process.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
                throw new IllegalStateException("process did not finish within 60 s: " + p.output());
            }
            return new Result(p.process.exitValue(), p.output());
        }
    }

    record Result(int exitCode, String output) {}

    /** Waits until the management health endpoint answers UP, or fails with the process log. */
    JarProcess awaitReady(int managementPort) throws Exception {
        return awaitReady(managementPort, Duration.ofSeconds(60));
    }

    /** As {@link #awaitReady(int)}, for tests that start several processes on a loaded machine. */
    JarProcess awaitReady(int managementPort, Duration timeout) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("service exited with " + process.exitValue() + ":\n" + output());
            }
            try {
                var r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort
                        + "/actuator/health/readiness")).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return this;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("service not ready within " + timeout.toSeconds() + " s:\n" + output());
    }

    /** Waits for the process to exit on its own (a refused configuration). */
    int awaitExit() throws InterruptedException {
        if (!process.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
            throw new IllegalStateException("process did not exit:\n" + output());
        }
        return process.exitValue();
    }

    /** SIGKILL, as a node losing power: no shutdown hooks, the lease is not revoked. */
    void kill() throws InterruptedException {
        process.destroyForcibly().waitFor();
    }

    boolean alive() {
        return process.isAlive();
    }

    String output() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** SIGTERM, a clean stop (SIGKILL after 20 s); the log stays readable until {@link #close()}. */
    void stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
    }

    @Override
    public void close() {
        try {
            stop();
            Files.deleteIfExists(log);
        } catch (InterruptedException | IOException e) {
            process.destroyForcibly();
        }
    }

    private static String javaBin() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }
}
