package io.kubeoidc.service.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Commands run as another, unprivileged local user (nobody, uid and gid 65534, no supplementary groups) through
 * setpriv: the attacker of the local-user attacks. Needs the tests to run as root.
 */
final class LocalUser {
    static final int NOBODY = 65534;

    private LocalUser() {}

    record Result(int exitCode, String output) {}

    /** Runs {@code sh -c script} as nobody in {@code dir}, to completion. */
    static Result nobody(Path dir, String script) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY, "--clear-groups",
                "/bin/sh", "-c", script));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("as nobody, did not finish within 60 s: " + script);
        }
        return new Result(p.exitValue(), output);
    }
}
