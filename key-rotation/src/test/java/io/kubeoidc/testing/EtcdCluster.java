package io.kubeoidc.testing;

import java.io.IOException;
import java.net.ServerSocket;
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

    private final Path dir;
    private final int[] clientPorts;
    private final int[] peerPorts;
    private final Process[] members;
    private final String initialCluster;

    private EtcdCluster(Path dir, int size) throws IOException {
        this.dir = dir;
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
        if (!Files.isExecutable(Path.of(BINARY))) {
            throw new IllegalStateException(BINARY + " not found: install Debian's etcd-server (test.sh does, as root)");
        }
        EtcdCluster c = new EtcdCluster(dir, size);
        for (int i = 0; i < size; i++) {
            c.launch(i, "new");
        }
        c.awaitHealthy(Duration.ofSeconds(30));
        return c;
    }

    public List<URI> endpoints() {
        List<URI> out = new ArrayList<>();
        for (int port : clientPorts) {
            out.add(URI.create("http://127.0.0.1:" + port));
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
        String client = "http://127.0.0.1:" + clientPorts[i];
        String peer = "http://127.0.0.1:" + peerPorts[i];
        Path log = dir.resolve(name(i) + ".log");
        members[i] = new ProcessBuilder(BINARY, "--name", name(i), "--data-dir", dir.resolve(name(i)).toString(),
                "--listen-client-urls", client, "--advertise-client-urls", client,
                "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                "--initial-cluster", initialCluster, "--initial-cluster-token", "kube-oidc-issuer-test",
                "--initial-cluster-state", state, "--heartbeat-interval", "100", "--election-timeout", "1000")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    }

    private static String name(int i) {
        return "m" + i;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() throws InterruptedException {
        for (int i = 0; i < members.length; i++) {
            kill(i);
        }
    }
}
