package io.kubeoidc.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A SoftHSM2 token store (Debian's softhsm2, a real PKCS#11 module) of its own: a SOFTHSM2_CONF and token
 * directory per test, tokens made with softhsm2-util, and pkcs11-tool (Debian's opensc) to look at the key
 * objects from outside the JVM. SoftHSM reads its configuration and token list once, at C_Initialize: a process
 * started with {@link #environment()} sees this store; the test JVM itself sees only {@link #forThisJvm}.
 */
public final class SoftHsm {
    public static final Path MODULE = Path.of(System.getProperty("softhsm.module", "/usr/lib/softhsm/libsofthsm2.so"));
    public static final String SO_PIN = "5678-so";

    private final Path dir;
    private final Path conf;

    private SoftHsm(Path dir) throws IOException {
        this.dir = dir;
        this.conf = dir.resolve("softhsm2.conf");
        Path tokens = Files.createDirectories(dir.resolve("tokens"));
        Files.writeString(conf, "directories.tokendir = " + tokens + "\nobjectstore.backend = file\nlog.level = ERROR\n");
    }

    /** A fresh token store in {@code dir}, for processes started with {@link #environment()}. */
    public static SoftHsm create(Path dir) throws IOException {
        requireInstalled();
        return new SoftHsm(Files.createDirectories(dir));
    }

    /** Tokens of {@link #forThisJvm}: one to work on, one nobody logs in to (so a wrong PIN really is tried). */
    public static final String JVM_TOKEN = "main", JVM_PIN = "1234-user";
    public static final String JVM_IDLE_TOKEN = "never-logged-in", JVM_IDLE_PIN = "9999-idle";
    private static SoftHsm jvm;

    /**
     * The store the test JVM's own module uses (SOFTHSM2_CONF set by surefire), with {@link #JVM_TOKEN} and
     * {@link #JVM_IDLE_TOKEN}, made on the first call. SoftHSM lists tokens once, at C_Initialize, so every test
     * class in the JVM shares these two.
     */
    public static synchronized SoftHsm forThisJvm() throws IOException {
        if (jvm != null) {
            return jvm;
        }
        requireInstalled();
        String env = System.getenv("SOFTHSM2_CONF");
        if (env == null) {
            throw new IllegalStateException("SOFTHSM2_CONF is not set: surefire sets it for key-rotation's tests");
        }
        Path dir = Path.of(env).getParent();
        Path tokens = dir.resolve("tokens");
        if (Files.isDirectory(tokens)) {
            try (var old = Files.walk(tokens)) {
                old.sorted(java.util.Comparator.reverseOrder()).filter(p -> !p.equals(tokens)).forEach(p -> p.toFile().delete());
            }
        }
        SoftHsm hsm = new SoftHsm(Files.createDirectories(dir));
        hsm.initToken(JVM_TOKEN, JVM_PIN);
        hsm.initToken(JVM_IDLE_TOKEN, JVM_IDLE_PIN);
        jvm = hsm;
        return hsm;
    }

    /** The 0600 file holding {@code label}'s PIN, as {@link #initToken} wrote it. */
    public Path pinFile(String label) {
        return dir.resolve(label + ".pin");
    }

    private static void requireInstalled() {
        if (!Files.isRegularFile(MODULE)) {
            throw new IllegalStateException(MODULE + " not found: install Debian's softhsm2 and opensc (test.sh does, as root)");
        }
    }

    public Map<String, String> environment() {
        return Map.of("SOFTHSM2_CONF", conf.toString());
    }

    /** A new token {@code label} with user PIN {@code pin}; returns a 0600 pin file holding the PIN. */
    public Path initToken(String label, String pin) throws IOException {
        run("softhsm2-util", "--init-token", "--free", "--label", label, "--so-pin", SO_PIN, "--pin", pin);
        Path pinFile = dir.resolve(label + ".pin");
        Files.deleteIfExists(pinFile);
        Files.createFile(pinFile, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(pinFile, pin + "\n");
        return pinFile;
    }

    /** One private key object as pkcs11-tool prints it: its label and the flags of its Access line. */
    public record PrivateKeyObject(String label, String access) {
        public boolean sensitive() {
            return access.contains("sensitive") && access.contains("always sensitive");
        }

        public boolean neverExtractable() {
            return access.contains("never extractable");
        }
    }

    /** The private key objects on token {@code label}, as {@code pkcs11-tool --list-objects --type privkey} lists them. */
    public List<PrivateKeyObject> privateKeys(String label, String pin) throws IOException {
        String out = run("pkcs11-tool", "--module", MODULE.toString(), "--token-label", label, "--login",
                "--pin", pin, "--list-objects", "--type", "privkey");
        List<PrivateKeyObject> keys = new ArrayList<>();
        String current = null;
        for (String line : out.split("\n")) {
            String t = line.trim();
            if (t.startsWith("Private Key Object")) {
                current = "";
            } else if (current != null && t.startsWith("label:")) {
                current = t.substring("label:".length()).trim();
            } else if (current != null && t.startsWith("Access:")) {
                keys.add(new PrivateKeyObject(current, t.substring("Access:".length()).trim()));
                current = null;
            }
        }
        return keys;
    }

    /** Runs a SoftHSM or opensc tool against this store; its combined output, or an exception with it. */
    public String run(String... command) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().putAll(environment());
        Process p = pb.start();
        try {
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException(String.join(" ", command) + " failed: " + new String(out, StandardCharsets.UTF_8));
            }
            return new String(out, StandardCharsets.UTF_8);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    public Path dir() {
        return dir;
    }

    /** p11-kit's client module (Debian's p11-kit-modules): a PKCS#11 module that forwards every call over a socket. */
    public static final Path P11KIT_CLIENT = Path.of(System.getProperty("p11kit.client",
            "/usr/lib/x86_64-linux-gnu/pkcs11/p11-kit-client.so"));

    /** Serves token {@code label} of this store over a Unix socket with {@code p11-kit server}; not started yet. */
    public RemoteToken remote(String label) {
        return new RemoteToken(label, dir.resolve("p11kit-" + label + ".sock"));
    }

    /**
     * This store's token behind p11-kit's RPC, as a network HSM sits behind its client library: the service loads
     * {@link #P11KIT_CLIENT} with {@link #clientEnvironment()}; {@link #unplug()} kills the server and its per-client
     * workers (every call then fails in the client), {@link #plugIn()} starts a new server on the same socket.
     */
    public final class RemoteToken implements AutoCloseable {
        private final String label;
        private final Path socket;
        private Process server;

        private RemoteToken(String label, Path socket) {
            this.label = label;
            this.socket = socket;
            if (!Files.isRegularFile(P11KIT_CLIENT)) {
                throw new IllegalStateException(P11KIT_CLIENT + " not found: install Debian's p11-kit and p11-kit-modules");
            }
        }

        public Map<String, String> clientEnvironment() {
            return Map.of("P11_KIT_SERVER_ADDRESS", "unix:path=" + socket);
        }

        public synchronized RemoteToken plugIn() throws IOException {
            if (server != null) {
                throw new IllegalStateException("already plugged in");
            }
            Files.deleteIfExists(socket);
            ProcessBuilder pb = new ProcessBuilder("p11-kit", "server", "--provider", MODULE.toString(), "-f", "-n",
                    socket.toString(), "pkcs11:token=" + label).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("p11kit-" + label + ".log").toFile());
            pb.environment().putAll(environment());
            server = pb.start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!Files.exists(socket)) {
                if (!server.isAlive() || System.nanoTime() > deadline) {
                    throw new IOException("p11-kit server did not listen on " + socket + ": "
                            + Files.readString(dir.resolve("p11kit-" + label + ".log")));
                }
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException(e);
                }
            }
            return this;
        }

        /** Kills the server and the worker serving each connected client: the token is gone for every client. */
        public synchronized void unplug() {
            if (server == null) {
                return;
            }
            List<ProcessHandle> all = new ArrayList<>(server.descendants().toList());
            all.add(server.toHandle());
            all.forEach(ProcessHandle::destroyForcibly);
            for (ProcessHandle h : all) {
                h.onExit().join();
            }
            server = null;
        }

        @Override
        public void close() {
            unplug();
        }
    }
}
