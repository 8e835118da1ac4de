package io.kubeoidc.testing;

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
import java.util.StringJoiner;
import java.util.concurrent.TimeUnit;

/**
 * A real etcd cluster on loopback (Debian's etcd-server, which test.sh installs): N members, each its
 * own process and data directory, that tests can stop and restart.
 */
public final class EtcdCluster implements AutoCloseable {
    private static final String BINARY = System.getProperty("etcd.binary", "/usr/bin/etcd");
    /** Raft's election timeout on every member: how long the survivors wait before electing a new raft leader. */
    public static final Duration ELECTION_TIMEOUT = Duration.ofMillis(1000);
    private static final Duration HEARTBEAT = Duration.ofMillis(100);
    /** Starting or re-joining members on a loaded 2-core machine: generous, it only bounds a real failure. */
    public static final Duration STARTUP = Duration.ofSeconds(120);

    private final Path dir;
    private final int[] clientPorts;
    private final int[] peerPorts;
    private final Process[] members;
    private final String initialCluster;
    private final List<String> tlsArgs;
    private final String scheme;

    private EtcdCluster(Path dir, int size, List<String> tlsArgs) throws IOException {
        this.dir = dir;
        this.tlsArgs = tlsArgs;
        this.scheme = tlsArgs.isEmpty() ? "http" : "https";
        this.clientPorts = new int[size];
        this.peerPorts = new int[size];
        this.members = new Process[size];
        StringJoiner cluster = new StringJoiner(",");
        for (int i = 0; i < size; i++) {
            clientPorts[i] = freePort();
            peerPorts[i] = freePort();
            cluster.add(name(i) + "=http://127.0.0.1:" + peerPorts[i]);
        }
        this.initialCluster = cluster.toString();
    }

    /** Starts {@code size} members and waits until the cluster has a leader. */
    public static EtcdCluster start(Path dir, int size) throws Exception {
        return start(dir, size, List.of());
    }

    /**
     * With TLS on the client port, as kubeadm runs etcd: {@code tlsArgs} are etcd's flags, e.g.
     * --cert-file, --key-file, --trusted-ca-file, --client-cert-auth. A single member only (no peer TLS).
     */
    public static EtcdCluster startTls(Path dir, List<String> tlsArgs) throws Exception {
        return start(dir, 1, tlsArgs);
    }

    private static EtcdCluster start(Path dir, int size, List<String> tlsArgs) throws Exception {
        if (!Files.isExecutable(Path.of(BINARY))) {
            throw new IllegalStateException(BINARY + " not found: install Debian's etcd-server (test.sh does, as root)");
        }
        EtcdCluster c = new EtcdCluster(dir, size, tlsArgs);
        for (int i = 0; i < size; i++) {
            c.launch(i, "new");
        }
        c.awaitHealthy(STARTUP);
        return c;
    }

    public List<URI> endpoints() {
        List<URI> out = new ArrayList<>();
        for (int port : clientPorts) {
            out.add(URI.create(scheme + "://127.0.0.1:" + port));
        }
        return out;
    }

    public String endpointList() {
        StringJoiner j = new StringJoiner(",");
        endpoints().forEach(u -> j.add(u.toString()));
        return j.toString();
    }

    public int size() {
        return members.length;
    }

    /** SIGKILL: the member vanishes as in a power cut. */
    public void kill(int i) throws InterruptedException {
        Process p = members[i];
        if (p != null) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
            members[i] = null;
        }
    }

    /** Restarts a stopped member from its data directory. */
    public void restart(int i) throws IOException {
        launch(i, "existing");
    }

    public boolean running(int i) {
        return members[i] != null && members[i].isAlive();
    }

    /** Waits until every running member reports healthy (which needs a quorum). */
    public void awaitHealthy(Duration timeout) throws Exception {
        if (!tlsArgs.isEmpty()) {
            awaitLog("ready to serve client requests", timeout);
            return;
        }
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "";
        while (System.nanoTime() < deadline) {
            boolean all = true;
            for (int i = 0; i < members.length; i++) {
                if (!running(i)) {
                    continue;
                }
                try {
                    var r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + clientPorts[i] + "/health"))
                            .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
                    last = r.body();
                    all &= r.statusCode() == 200 && r.body().contains("\"true\"");
                } catch (IOException e) {
                    last = e.toString();
                    all = false;
                }
            }
            if (all) {
                return;
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("etcd not healthy within " + timeout + ": " + last + "\n" + logs());
    }

    private void awaitLog(String line, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.exists(dir.resolve(name(0) + ".log")) && Files.readString(dir.resolve(name(0) + ".log")).contains(line)) {
                Thread.sleep(300);
                return;
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("etcd did not log '" + line + "' within " + timeout + "\n" + logs());
    }

    public String logs() throws IOException {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < members.length; i++) {
            Path log = dir.resolve(name(i) + ".log");
            if (Files.exists(log)) {
                List<String> lines = Files.readAllLines(log);
                b.append("--- ").append(name(i)).append('\n')
                        .append(String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()))).append('\n');
            }
        }
        return b.toString();
    }

    private void launch(int i, String state) throws IOException {
        String client = scheme + "://127.0.0.1:" + clientPorts[i];
        String peer = "http://127.0.0.1:" + peerPorts[i];
        Path log = dir.resolve(name(i) + ".log");
        List<String> cmd = new ArrayList<>(List.of(BINARY, "--name", name(i), "--data-dir", dir.resolve(name(i)).toString(),
                "--listen-client-urls", client, "--advertise-client-urls", client,
                "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                "--initial-cluster", initialCluster, "--initial-cluster-token", "kube-oidc-issuer-test",
                "--initial-cluster-state", state, "--heartbeat-interval", String.valueOf(HEARTBEAT.toMillis()),
                "--election-timeout", String.valueOf(ELECTION_TIMEOUT.toMillis())));
        cmd.addAll(tlsArgs);
        members[i] = new ProcessBuilder(cmd)
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    }

    /**
     * Runs the real {@code etcdctl} (Debian's etcd-client, which test.sh installs) against the plain-HTTP cluster:
     * a writer from outside the JVM that holds no key-encryption key. Returns its standard output.
     */
    public String etcdctl(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(System.getProperty("etcdctl.binary", "/usr/bin/etcdctl"),
                "--endpoints=" + endpointList(), "--command-timeout=10s"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("ETCDCTL_API", "3");
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("etcdctl " + String.join(" ", args) + " failed: "
                    + new String(out, java.nio.charset.StandardCharsets.UTF_8));
        }
        return new String(out, java.nio.charset.StandardCharsets.UTF_8);
    }

    private static String name(int i) {
        return "m" + i;
    }

    private static int freePort() {
        return FreePorts.next(); // never in the ephemeral range: a killed member restarts on the same ports
    }

    @Override
    public void close() throws InterruptedException {
        for (int i = 0; i < members.length; i++) {
            kill(i);
        }
    }
}
