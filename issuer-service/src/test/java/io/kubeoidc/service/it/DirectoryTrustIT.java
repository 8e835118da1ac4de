package io.kubeoidc.service.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Local-user attacks on the directories the real jar trusts, performed by user nobody through setpriv: a key
 * store it prepared or could write, a planted {@code .lock} link, and the signer's socket swapped for another.
 * The working directory holds {@code shared}, a sticky world-writable directory like /tmp.
 */
class DirectoryTrustIT {
    static final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path work;

    private Path shared;

    @BeforeEach
    void sharedDirectoryLikeTmp() throws Exception {
        Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxr-xr-x")); // nobody may pass through
        shared = Files.createDirectory(work.resolve("shared"));
        Files.setAttribute(shared, "unix:mode", 01777);
    }

    /** A valid store holding one key, made by the CLI. */
    private Path store(String name, String pem) throws Exception {
        var r = JarProcess.run(work, "keys", "import", "--keys-dir", name, TestData.pem(pem).toString());
        assertThat(r.exitCode()).as(r.output()).isZero();
        return work.resolve(name);
    }

    private JarProcess.Result startService(String... extra) throws Exception {
        var args = new java.util.ArrayList<>(java.util.List.of("--server.port=" + TestData.freePort(),
                "--management.server.port=" + TestData.freePort(), "--issuer.url=https://oidc.example.com"));
        args.addAll(java.util.List.of(extra));
        return JarProcess.run(work, args.toArray(String[]::new));
    }

    private static String section(String output, String title, String next) {
        int from = output.indexOf("\n" + title + ":\n");
        assertThat(from).as(output).isNotNegative();
        int to = next == null ? output.length() : output.indexOf("\n" + next + ":\n", from);
        return output.substring(from + title.length() + 3, to < 0 ? output.length() : to).strip();
    }

    @Test
    void aStoreDirectoryNobodyPreparedIsRefused() throws Exception {
        Path theirs = store("their-keys", "ec-p256.sec1.pem");
        try (Stream<Path> files = Files.walk(theirs)) {
            for (Path p : files.toList()) { // readable, so nobody can copy it
                Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(Files.isDirectory(p) ? "rwxr-xr-x" : "rw-r--r--"));
            }
        }
        var planted = LocalUser.nobody(work, "mkdir -m 777 shared/keys && cp their-keys/* shared/keys/");
        assertThat(planted.exitCode()).as(planted.output()).isZero();
        FileSnapshot before = FileSnapshot.of(shared);

        var r = startService("--issuer.keys.directory=shared/keys", "--issuer.key-files.directory=pki");
        assertThat(r.exitCode()).as(r.output()).isEqualTo(1);
        assertThat(section(r.output(), "Description", "Action")).isEqualTo("key store " + shared.resolve("keys")
                + " is owned by nobody (uid 65534), not by this service's user (root) or root: that user could replace"
                + " the files in it");
        assertThat(section(r.output(), "Action", null)).startsWith("Fix: check what it holds, then chown root "
                + shared.resolve("keys") + ". Nothing was read from or written to it.");
        assertThat(work.resolve("pki")).as("no sa.key written from their key").doesNotExist();
        before.assertUnchanged();
    }

    @Test
    void aStoreItsGroupCanWriteIsRefusedAfterNobodyReplacedKeysetJson() throws Exception {
        Path ours = store("keys", "kubeadm-sa.key");
        Path theirs = store("their-keys", "ec-p256.sec1.pem");
        for (Path p : new Path[] {theirs, theirs.resolve("keyset.json")}) {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(Files.isDirectory(p) ? "rwxr-xr-x" : "rw-r--r--"));
        }
        Files.setAttribute(ours, "unix:gid", LocalUser.NOBODY); // the misconfiguration: 0770 for a group nobody is in
        Files.setPosixFilePermissions(ours, PosixFilePermissions.fromString("rwxrwx---"));
        var replaced = LocalUser.nobody(work, "cp their-keys/keyset.json keys/.k && mv -f keys/.k keys/keyset.json");
        assertThat(replaced.exitCode()).as("the group-writable directory lets nobody replace it: " + replaced.output()).isZero();
        FileSnapshot before = FileSnapshot.of(ours);

        var r = startService("--issuer.keys.directory=keys");
        assertThat(r.exitCode()).as(r.output()).isEqualTo(1);
        assertThat(section(r.output(), "Description", "Action")).isEqualTo("key store " + ours + " is writable by its"
                + " group (mode 0770, owner root): they could replace the files in it");
        var list = JarProcess.run(work, "keys", "list", "--keys-dir", "keys");
        assertThat(list.exitCode()).isEqualTo(1);
        assertThat(list.output()).isEqualTo("error: key store " + ours + " is writable by its group (mode 0770, owner root):"
                + " they could replace the files in it; fix: chmod 700 " + ours + "\n"); // read-only: no "nothing was changed"
        before.assertUnchanged();
    }

    @Test
    void aLockFilePlantedAsALinkIsNeverFollowed() throws Exception {
        Path victim = Files.writeString(work.resolve("victim.conf"), "root's configuration\n");
        // In a store every user can write, nobody plants the link; the store refuses the directory first.
        Path loose = store("loose", "kubeadm-sa.key");
        Files.setPosixFilePermissions(loose, PosixFilePermissions.fromString("rwxrwxrwx"));
        var planted = LocalUser.nobody(work, "ln -sf " + victim + " loose/.lock");
        assertThat(planted.exitCode()).as(planted.output()).isZero();
        var r = JarProcess.run(work, "keys", "rotate", "--keys-dir", "loose");
        assertThat(r.exitCode()).as(r.output()).isEqualTo(1);
        assertThat(r.output()).startsWith("error: key store " + loose + " is writable by its group and every user");
        assertThat(Files.readString(victim)).isEqualTo("root's configuration\n");

        // In a private store nobody cannot plant it; planted anyway (as root), the link is refused, not followed.
        Path store = store("keys", "kubeadm-sa.key");
        var denied = LocalUser.nobody(work, "ln -sf " + victim + " keys/.lock");
        assertThat(denied.exitCode()).isNotZero();
        assertThat(denied.output()).contains("Permission denied");
        Files.delete(store.resolve(".lock"));
        Files.createSymbolicLink(store.resolve(".lock"), victim);
        FileSnapshot before = FileSnapshot.of(store);
        var refused = JarProcess.run(work, "keys", "rotate", "--keys-dir", "keys");
        assertThat(refused.exitCode()).as(refused.output()).isEqualTo(1);
        assertThat(refused.output()).isEqualTo("error: key store " + store + ": .lock is a symbolic link (to " + victim
                + "), which the store never follows; remove " + store.resolve(".lock") + " (the store recreates it)\n"
                + "nothing was changed\n");
        assertThat(Files.readString(victim)).isEqualTo("root's configuration\n");
        before.assertUnchanged();
    }

    @Test
    void nobodyCannotSwapTheSocketAndAReplacedSocketTurnsReadinessDown() throws Exception {
        store("data/keys", "kubeadm-sa.key");
        Path socket = shared.resolve("run/signer.sock");
        int port = TestData.freePort();
        int mgmt = TestData.freePort();
        try (JarProcess service = JarProcess.start(work, "--server.port=" + port, "--management.server.port=" + mgmt,
                "--issuer.url=http://127.0.0.1:" + port, "--issuer.allow-insecure-http=true",
                "--issuer.signer.socket=" + socket).awaitReady(mgmt)) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(socket.getParent()))).isEqualTo("rwx------");

            // The attack of the issue, as nobody: move the socket away, bind one in the directory, or move the directory.
            var moved = LocalUser.nobody(work, "mv shared/run/signer.sock shared/run/old.sock");
            assertThat(moved.exitCode()).isNotZero();
            assertThat(moved.output()).contains("Permission denied");
            var bound = LocalUser.nobody(work, "/usr/bin/python3 -c \"import socket; socket.socket(socket.AF_UNIX)"
                    + ".bind('shared/run/evil.sock')\"");
            assertThat(bound.exitCode()).isNotZero();
            assertThat(bound.output()).contains("PermissionError");
            var renamed = LocalUser.nobody(work, "mv shared/run shared/run-old");
            assertThat(renamed.exitCode()).isNotZero();
            assertThat(renamed.output()).contains("Operation not permitted"); // the sticky bit of shared
            assertThat(readiness(mgmt).statusCode()).isEqualTo(200);

            // The same swap done as root: readiness must not stay UP while another process answers at the path.
            Files.move(socket, socket.resolveSibling("ours.sock"));
            Process impostor = new ProcessBuilder("/usr/bin/python3", "-c", "import socket, sys, time\n"
                    + "s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen()\n"
                    + "print('listening', flush=True); time.sleep(600)", socket.toString()).redirectErrorStream(true).start();
            try {
                var out = new BufferedReader(new InputStreamReader(impostor.getInputStream(), StandardCharsets.UTF_8));
                assertThat(out.readLine()).isEqualTo("listening");
                HttpResponse<String> down = awaitReadinessDown(mgmt);
                assertThat(down.statusCode()).isEqualTo(503);
                assertThat(down.body()).contains("\"reason\":\"the file at " + socket + " is not the socket this service"
                        + " bound (").contains("): another process may be answering kube-apiserver in its place; find out"
                        + " who replaced it, then restart the service\"");
                service.stop();
                assertThat(socket).as("another process's socket is evidence, not removed on shutdown").exists();
            } finally {
                impostor.destroyForcibly().waitFor();
            }
        }
    }

    private static HttpResponse<String> readiness(int mgmt) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + mgmt + "/actuator/health/readiness"))
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> awaitReadinessDown(int mgmt) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        HttpResponse<String> r = readiness(mgmt);
        while (r.statusCode() == 200 && System.nanoTime() < deadline) {
            Thread.sleep(200);
            r = readiness(mgmt);
        }
        return r;
    }
}
