package io.kubeoidc.store;

import com.nimbusds.jose.util.JSONObjectUtils;
import io.kubeoidc.files.AtomicFiles;
import io.kubeoidc.keys.KeySpec;
import io.kubeoidc.rotation.RotationPolicy;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * {@code policy.json} in the store directory (or {@code policy} under the etcd prefix): the rotation policy the
 * service last ran with, so the CLI's status and rotate commands use the same one. Informational; no key
 * state depends on it.
 */
public final class PolicyFile {
    public static final String NAME = "policy.json";

    private PolicyFile() {}

    public static void write(DirectoryKeyStore store, RotationPolicy policy) throws IOException {
        store.ensureDirectory();
        AtomicFiles.writeIfChanged(store.directory().resolve(NAME), encode(policy), AtomicFiles.PUBLIC);
    }

    /** The policy as JSON: the same bytes in policy.json and in etcd. */
    public static byte[] encode(RotationPolicy policy) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("period", policy.period().toString());
        json.put("publishAhead", policy.publishAhead().toString());
        json.put("retention", policy.retention().toString());
        json.put("maxTokenLifetime", policy.maxTokenLifetime().toString());
        json.put("jwksMaxAge", policy.jwksMaxAge().toString());
        json.put("algorithm", policy.keySpec().label());
        json.put("maxKeys", policy.maxKeys());
        json.put("confirmationAllowance", policy.confirmationAllowance().toString());
        return (JSONObjectUtils.toJSONString(json) + "\n").getBytes(StandardCharsets.UTF_8);
    }

    public static RotationPolicy decode(byte[] bytes) throws java.text.ParseException {
        Map<String, Object> j = JSONObjectUtils.parse(new String(bytes, StandardCharsets.UTF_8));
        return new RotationPolicy(
                Duration.parse(JSONObjectUtils.getString(j, "period")),
                Duration.parse(JSONObjectUtils.getString(j, "publishAhead")),
                Duration.parse(JSONObjectUtils.getString(j, "retention")),
                Duration.parse(JSONObjectUtils.getString(j, "maxTokenLifetime")),
                Duration.parse(JSONObjectUtils.getString(j, "jwksMaxAge")),
                KeySpec.parse(JSONObjectUtils.getString(j, "algorithm")),
                JSONObjectUtils.getInt(j, "maxKeys"),
                // Absent in files written before it existed.
                j.containsKey("confirmationAllowance")
                        ? Duration.parse(JSONObjectUtils.getString(j, "confirmationAllowance")) : Duration.ZERO);
    }

    public static Optional<RotationPolicy> read(Path storeDir) {
        try {
            return Optional.of(decode(AtomicFiles.read(storeDir.resolve(NAME))));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException | java.text.ParseException | RuntimeException e) {
            throw new KeyStoreException(storeDir.resolve(NAME) + " is unreadable: " + e.getMessage(), e);
        }
    }
}
