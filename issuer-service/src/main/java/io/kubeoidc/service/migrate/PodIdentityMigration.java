package io.kubeoidc.service.migrate;

import io.kubeoidc.files.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code migrate pod-identity}: reads every file and decides everything before the first byte is written, so bad
 * input leaves the output directory as it was.
 *
 * @param files   file name in the output directory, and its content
 * @param summary what the terminal shows
 */
public record PodIdentityMigration(Map<String, String> files, List<String> summary) {
    public static final String SERVICE_ACCOUNTS = "serviceaccounts.yaml";
    public static final String WORKLOADS = "workloads.yaml";
    public static final String SCRIPT = "federated-credentials.sh";
    public static final String REPORT = "migration-report.md";

    /** @param keepBindingLabel workloads keep aadpodidbinding, for a phase in which both mechanisms work */
    public static PodIdentityMigration plan(List<Path> inputs, String issuer, boolean keepBindingLabel) {
        List<Manifest> manifests = new ArrayList<>();
        inputs.forEach(f -> manifests.addAll(ManifestReader.read(f)));
        MigrationPlan plan = MigrationPlan.of(PodIdentityInput.of(manifests), issuer);
        Map<String, String> files = new LinkedHashMap<>();
        files.put(SERVICE_ACCOUNTS, WorkloadManifests.serviceAccounts(plan));
        files.put(WORKLOADS, WorkloadManifests.workloads(plan, keepBindingLabel));
        files.put(SCRIPT, FederatedCredentialScript.render(plan));
        files.put(REPORT, MigrationReport.markdown(plan, List.of(SERVICE_ACCOUNTS, WORKLOADS, SCRIPT)));
        return new PodIdentityMigration(Map.copyOf(files), MigrationReport.summary(plan));
    }

    /** Each file is replaced atomically; the script is executable. */
    public void write(Path dir) {
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new MigrationInputException(dir + ": not a directory");
        }
        try {
            for (String name : List.of(SERVICE_ACCOUNTS, WORKLOADS, SCRIPT, REPORT)) {
                AtomicFiles.write(dir.resolve(name), files.get(name).getBytes(StandardCharsets.UTF_8),
                        name.equals(SCRIPT) ? PosixFilePermissions.fromString("rwxr-xr-x") : AtomicFiles.PUBLIC);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot write to " + dir + ": " + e.getMessage(), e);
        }
    }
}
