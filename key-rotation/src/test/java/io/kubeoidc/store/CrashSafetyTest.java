package io.kubeoidc.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.kubeoidc.keyset.KeySet;
import io.kubeoidc.keyset.KeyState;
import io.kubeoidc.keyset.ManagedKey;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills a real process with SIGKILL at every write step of a full rotation, then checks that the
 * store loads into a valid key set equal to the last committed one or the one being committed
 * (so no key is lost and no state is invented), that the signing key is never one that was not
 * already published, and that a restarted process completes the rotation.
 */
class CrashSafetyTest {
    @TempDir
    Path work;

    record Run(List<String> lines, Process process) {}

    private Run start(Path dir, int crashAt) throws Exception {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), CrashChild.class.getName(), dir.toString(),
                Integer.toString(crashAt)).redirectErrorStream(true).start();
        List<String> lines = new ArrayList<>();
        var reader = new BufferedReader(new InputStreamReader(p.getInputStream()));
        String line;
        while ((line = reader.readLine()) != null) {
            lines.add(line);
            if (line.equals("CRASH-POINT")) {
                p.destroyForcibly(); // SIGKILL: no shutdown hooks, no finally blocks
                p.waitFor(10, TimeUnit.SECONDS);
                return new Run(lines, p);
            }
        }
        p.waitFor(60, TimeUnit.SECONDS);
        return new Run(lines, p);
    }

    private static String last(List<String> lines, String prefix) {
        String found = null;
        for (String l : lines) {
            if (l.startsWith(prefix)) {
                found = l.substring(prefix.length());
            }
        }
        return found;
    }

    @Test
    void killNineAtEveryWriteStepLeavesAValidStore() throws Exception {
        Run clean = start(work.resolve("clean"), -1);
        assertThat(clean.lines()).as(String.join("\n", clean.lines())).last().asString().startsWith("DONE ");
        int steps = Integer.parseInt(last(clean.lines(), "DONE "));
        assertThat(steps).isGreaterThan(20);
        List<String> stepNames = clean.lines().stream().filter(l -> l.startsWith("STEP ")).toList();

        int crashes = 0;
        for (int i = 1; i <= steps; i++) {
            Path dir = work.resolve("crash-" + i);
            Run run = start(dir, i);
            assertThat(run.lines()).as("step %d", i).contains("CRASH-POINT");
            assertThat(run.process().isAlive()).isFalse();
            crashes++;
            String committed = last(run.lines(), "COMMITTED ");
            String committing = last(run.lines(), "COMMITTING ");

            KeySet loaded = new DirectoryKeyStore(dir).load().keySet();
            String now = CrashChild.describe(loaded);
            String before = committed == null ? "rev=0 " : committed;
            assertThat(now).as("after a kill at %s", stepNames.get(i - 1)).isIn(before, committing);

            // The signing key after the crash was already published before the interrupted commit.
            loaded.active().ifPresent(active -> {
                if (committed != null) {
                    assertThat(committed).as("active %s was published before", active.kid()).contains(active.kid() + ":");
                }
            });
            // Every key file the set refers to is complete; load() above parsed each and checked its kid.
            // A key that left ACTIVE may keep its .key only as an unreferenced leftover of the interrupted commit;
            // it can never be loaded to sign, and the next commit deletes it (checked after recovery below).
            for (ManagedKey k : loaded.keys()) {
                assertThat(Files.exists(dir.resolve(k.kid() + ".pub"))).isTrue();
                if (k.hasPrivateKey()) {
                    assertThat(Files.exists(dir.resolve(k.kid() + ".key"))).isTrue();
                } else if (Files.exists(dir.resolve(k.kid() + ".key"))) {
                    assertThat(k.state()).as("a leftover private key after %s", stepNames.get(i - 1))
                            .isIn(KeyState.RETIRED, KeyState.VERIFY_ONLY);
                }
            }

            Run recovery = start(dir, -1);
            assertThat(recovery.lines()).as("recovery after %s:\n%s", stepNames.get(i - 1), String.join("\n", recovery.lines()))
                    .last().asString().startsWith("DONE ");
            KeySet done = new DirectoryKeyStore(dir).load().keySet();
            assertThat(done.keys()).singleElement().satisfies(k -> assertThat(k.state()).isEqualTo(KeyState.ACTIVE));
            try (var files = Files.list(dir)) {
                assertThat(files.map(p -> p.getFileName().toString()).filter(n -> n.contains(".tmp-")))
                        .as("temp files left after recovery").isEmpty();
            }
            try (var files = Files.list(dir)) {
                assertThat(files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".key")))
                        .as("private key files after recovery: only the ACTIVE key's")
                        .containsExactly(done.keys().get(0).kid() + ".key");
            }
        }
        System.out.println("crash test: " + crashes + " SIGKILLs at " + steps + " distinct write steps, 0 invalid stores");
    }
}
