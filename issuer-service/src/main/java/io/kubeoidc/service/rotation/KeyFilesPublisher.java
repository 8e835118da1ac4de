package io.kubeoidc.service.rotation;

import io.kubeoidc.custody.KeyCustody;
import io.kubeoidc.keyfiles.KubeApiserverKeyFiles;
import io.kubeoidc.service.config.InvalidConfigurationException;
import io.kubeoidc.service.config.IssuerSettings;
import io.kubeoidc.store.StoredKeys;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes sa.key and sa.pub for kube-apiserver (issuer.key-files.directory) and reports that a
 * restart is needed whenever they change, because kube-apiserver reads them only at start.
 */
class KeyFilesPublisher {
    private static final Logger log = LoggerFactory.getLogger(KeyFilesPublisher.class);

    private final Path directory;
    private final String restartCommand;
    private final Counter restartsNeeded;
    private long writtenRevision = -1;

    KeyFilesPublisher(IssuerSettings settings, KeyCustody custody, MeterRegistry registry) {
        this.directory = settings.keyFilesDirectory();
        this.restartCommand = settings.restartCommand();
        this.restartsNeeded = Counter.builder("issuer.keyfiles.restart.required")
                .description("Times sa.key/sa.pub changed, each needing a kube-apiserver restart").register(registry);
        if (directory != null) {
            try {
                KubeApiserverKeyFiles.requireCustody(custody);
            } catch (IllegalArgumentException e) {
                throw new InvalidConfigurationException("issuer.key-files.directory: " + e.getMessage(),
                        "Set issuer.keys.custody=files, or drop issuer.key-files.directory and use issuer.signer.socket.",
                        null);
            }
            try {
                KubeApiserverKeyFiles.prepare(directory); // a directory others could change stops the start
            } catch (IOException e) {
                throw new InvalidConfigurationException("cannot create issuer.key-files.directory " + directory + ": "
                        + e.getMessage(), "Check that its parent exists and is writable by this user.", e);
            }
        }
    }

    /** Brings the files in line with the key set; cheap when the revision was already written. */
    void publish(StoredKeys keys) {
        if (directory == null || keys.keySet().revision() == writtenRevision) {
            return;
        }
        try {
            var written = KubeApiserverKeyFiles.write(directory, keys);
            writtenRevision = keys.keySet().revision();
            if (written.any()) {
                restartsNeeded.increment();
                log.warn("kube-apiserver key files changed in {} ({}{}): kube-apiserver and kube-controller-manager read"
                                + " them only at start, so restart them now (see docs/rotation.md)", directory,
                        written.publicKeys() ? "sa.pub " : "", written.signingKey() ? "sa.key" : "");
                runRestartCommand();
            }
        } catch (IOException | RuntimeException e) {
            log.error("Cannot write kube-apiserver key files in {}: {}", directory, e.getMessage());
        }
    }

    private void runRestartCommand() {
        if (restartCommand == null) {
            return;
        }
        try {
            Process p = new ProcessBuilder("/bin/sh", "-c", restartCommand).redirectErrorStream(true).start();
            boolean done = p.waitFor(120, TimeUnit.SECONDS);
            String output = new String(p.getInputStream().readNBytes(4096), StandardCharsets.UTF_8).strip();
            if (!done) {
                p.destroyForcibly();
                log.error("issuer.key-files.restart-command did not finish within 120 s: {}", output);
            } else if (p.exitValue() != 0) {
                log.error("issuer.key-files.restart-command exited {}: {}", p.exitValue(), output);
            } else {
                log.info("issuer.key-files.restart-command succeeded{}", output.isEmpty() ? "" : ": " + output);
            }
        } catch (IOException e) {
            log.error("issuer.key-files.restart-command could not start: {}", e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
