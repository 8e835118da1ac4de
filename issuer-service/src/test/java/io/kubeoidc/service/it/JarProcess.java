package io.kubeoidc.service.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

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
        return launch(workDir, command(jvmOptions, args));
    }

    /**
     * Started through bash after {@code ulimit -n limit} (soft and hard), as on a host with a low file
     * descriptor limit; bash execs the JVM, so {@link #pid()} is the JVM's.
     */
    static JarProcess startWithDescriptorLimit(Path workDir, int limit, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("/bin/bash", "-c", "ulimit -n " + limit + " && exec \"$@\"", "bash"));
        cmd.addAll(command(List.of(), args));
        return launch(workDir, cmd);
    }

    private static List<String> command(List<String> jvmOptions, String... args) {
        List<String> cmd = new ArrayList<>(List.of(javaBin()));
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-jar", jar().toAbsolutePath().toString()));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /**
     * With extra environment variables, e.g. SOFTHSM2_CONF from {@code SoftHsm.environment()}: a PKCS#11 module
     * reads its configuration from the environment of the process that loads it.
     */
    static JarProcess start(Path workDir, java.util.Map<String, String> env, String... args) throws IOException {
        return launch(workDir, command(List.of(), args), env);
    }

    /** With JVM options and extra environment variables (a per-run SOFTHSM2_CONF) together. */
    static JarProcess start(Path workDir, List<String> jvmOptions, java.util.Map<String, String> env, String... args)
            throws IOException {
        return launch(workDir, command(jvmOptions, args), env);
    }

    /** As {@link #run(Path, String...)} with extra environment variables. */
    static Result run(Path workDir, java.util.Map<String, String> env, String... args) throws Exception {
        try (JarProcess p = launch(workDir, command(SHORT_LIVED, args), env)) {
            if (!p.process.waitFor(LOADED_MACHINE.toSeconds(), java.util.concurrent.TimeUnit.SECONDS)) {
                throw new IllegalStateException("process did not finish within " + LOADED_MACHINE.toSeconds() + " s: "
                        + p.output());
            }
            return new Result(p.process.exitValue(), p.output());
        }
    }

    private static JarProcess launch(Path workDir, List<String> cmd) throws IOException {
        return launch(workDir, cmd, java.util.Map.of());
    }

    private static JarProcess launch(Path workDir, List<String> cmd, java.util.Map<String, String> env)
            throws IOException {
        Path log = Files.createTempFile("issuer-service", ".log");
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(workDir.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        pb.environment().putAll(env);
        return new JarProcess(pb.start(), log);
    }

    /**
     * Another program's executable jar (e.g. the example workload), with exactly {@code env} as its environment
     * (plus PATH and HOME): the same log, waits and stop as the service.
     */
    static JarProcess startOther(Path jar, Path workDir, List<String> jvmOptions, java.util.Map<String, String> env)
            throws IOException {
        List<String> cmd = new ArrayList<>(List.of(javaBin()));
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-jar", jar.toAbsolutePath().toString()));
        Path log = Files.createTempFile(jar.getFileName().toString(), ".log");
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(workDir.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        java.util.Map<String, String> inherited = pb.environment();
        java.util.Map<String, String> kept = new java.util.HashMap<>();
        for (String name : List.of("PATH", "HOME")) {
            if (inherited.containsKey(name)) {
                kept.put(name, inherited.get(name));
            }
        }
        inherited.clear();
        inherited.putAll(kept);
        inherited.putAll(env);
        return new JarProcess(pb.start(), log);
    }

    /** As {@link #run(Path, String...)} with another copy of the jar (to test what is read next to it). */
    static Result runJar(Path jar, Path workDir, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(javaBin(), "-jar", jar.toAbsolutePath().toString()));
        cmd.addAll(List.of(args));
        Path log = Files.createTempFile("issuer-service", ".log");
        JarProcess p = new JarProcess(new ProcessBuilder(cmd).directory(workDir.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start(), log);
        try (p) {
            if (!p.process.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
                throw new IllegalStateException("process did not finish within 60 s: " + p.output());
            }
            return new Result(p.process.exitValue(), p.output());
        }
    }

    /** Runs a CLI command, or a service expected to refuse its configuration, to completion. */
    static Result run(Path workDir, String... args) throws Exception {
        try (JarProcess p = start(workDir, SHORT_LIVED, args)) {
            if (!p.process.waitFor(LOADED_MACHINE.toSeconds(), java.util.concurrent.TimeUnit.SECONDS)) {
                throw new IllegalStateException("process did not finish within " + LOADED_MACHINE.toSeconds() + " s: "
                        + p.output());
            }
            return new Result(p.process.exitValue(), p.output());
        }
    }

    record Result(int exitCode, String output) {}

    /**
     * Runs a CLI command with stdout and stderr redirected to files, as {@code cmd > out 2> err} in a shell:
     * what reaches a file is what the command flushed before it exited.
     */
    static Separated runSeparated(Path workDir, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(javaBin()));
        cmd.addAll(SHORT_LIVED);
        cmd.addAll(List.of("-jar", jar().toAbsolutePath().toString()));
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile("issuer-service", ".stdout");
        Path err = Files.createTempFile("issuer-service", ".stderr");
        try {
            Process p = new ProcessBuilder(cmd).directory(workDir.toFile()).redirectOutput(out.toFile())
                    .redirectError(err.toFile()).start();
            if (!p.waitFor(LOADED_MACHINE.toSeconds(), java.util.concurrent.TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
                throw new IllegalStateException("process did not finish within " + LOADED_MACHINE.toSeconds() + " s: "
                        + Files.readString(err));
            }
            return new Separated(p.exitValue(), Files.readString(out), Files.readString(err));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    record Separated(int exitCode, String stdout, String stderr) {}

    /**
     * How long a start or a CLI command may take before it counts as hung: a Spring context took 21 s to
     * initialise with three replicas and etcd starting at once on 2 loaded cores. Only a deadline: a process
     * that exits is reported at once.
     */
    static final Duration LOADED_MACHINE = Duration.ofSeconds(180);

    /**
     * Waits until the management health endpoint answers UP from this process, or fails with the process log.
     * "From this process": another one may have taken the port since it was picked (then this one fails to
     * bind and exits), and must not be mistaken for it.
     */
    JarProcess awaitReady(int managementPort) throws Exception {
        return awaitReady(managementPort, LOADED_MACHINE);
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
                if (r.statusCode() == 200 && listensOn(managementPort)) {
                    return this;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("service not ready within " + timeout.toSeconds() + " s:\n" + output());
    }

    /** Whether this process holds the listening TCP socket on {@code port} (Linux: /proc/net and its fds). */
    private boolean listensOn(int port) throws IOException {
        Set<String> sockets = new HashSet<>();
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            for (String line : Files.readAllLines(Path.of(table))) {
                String[] f = line.strip().split("\\s+"); // sl local_address rem_address st ... inode
                if (f.length > 9 && f[3].equals("0A") && f[1].endsWith(String.format(":%04X", port))) {
                    sockets.add("socket:[" + f[9] + "]");
                }
            }
        }
        try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(process.pid()), "fd"))) {
            return fds.anyMatch(fd -> {
                try {
                    return sockets.contains(Files.readSymbolicLink(fd).toString());
                } catch (IOException closedMeanwhile) {
                    return false;
                }
            });
        }
    }

    /** Waits for the process to exit on its own (a refused configuration). */
    int awaitExit() throws InterruptedException {
        if (!process.waitFor(LOADED_MACHINE.toSeconds(), java.util.concurrent.TimeUnit.SECONDS)) {
            throw new IllegalStateException("process did not exit:\n" + output());
        }
        return process.exitValue();
    }

    /** SIGKILL, as a node losing power: no shutdown hooks, the lease is not revoked. */
    void kill() throws InterruptedException {
        process.destroyForcibly().waitFor();
    }

    long pid() {
        return process.pid();
    }

    /**
     * Waits (60 s) until the log contains {@code text}: a line is written when the service gets to it, which
     * can be just after the change it reports is visible from outside.
     */
    String awaitOutput(String text) throws InterruptedException {
        return awaitOutput(text, Duration.ofSeconds(60));
    }

    /** As {@link #awaitOutput(String)}, for a line that comes after a start (e.g. a JVM's first round of work). */
    String awaitOutput(String text, Duration within) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        String out = output();
        while (!out.contains(text) && System.nanoTime() < deadline) {
            Thread.sleep(100);
            out = output();
        }
        assertThat(out).contains(text);
        return out;
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
