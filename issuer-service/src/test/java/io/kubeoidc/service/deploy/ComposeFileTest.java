package io.kubeoidc.service.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/** There is no Docker engine here; the compose file is parsed and its settings checked against the real properties. */
class ComposeFileTest {
    @Test
    @SuppressWarnings("unchecked")
    void issuerEnvironmentNamesAreRealProperties() throws Exception {
        Map<String, Object> compose;
        try (Reader r = Files.newBufferedReader(Path.of("../docker-compose.yml"))) {
            compose = new Yaml().load(r);
        }
        Map<String, Object> services = (Map<String, Object>) compose.get("services");
        assertThat(services).containsKeys("issuer", "azurite", "create-container");
        Map<String, Object> issuer = (Map<String, Object>) services.get("issuer");
        Map<String, Object> env = (Map<String, Object>) issuer.get("environment");
        Set<String> known = ConfigurationMetadata.propertyNames().stream()
                .flatMap(p -> ConfigurationMetadata.environmentNames(p).stream()).collect(Collectors.toSet());
        assertThat(env).isNotEmpty();
        for (String name : env.keySet()) {
            assertThat(known).as("%s in docker-compose.yml is not a configuration property", name).contains(name);
        }
        // The issuer's discovery URL is where the mirror publishes (the consistency guard's rule).
        String issuerUrl = (String) env.get("ISSUER_URL");
        assertThat(issuerUrl + "/").isEqualTo(env.get("ISSUER_MIRROR_AZURE_PUBLIC_BASE_URL") + "" + env.get("ISSUER_MIRROR_AZURE_PREFIX"));
        assertThat(issuer.get("read_only")).isEqualTo(true);
        // The management port is mapped to the host (127.0.0.1:8081): the service must listen beyond its loopback.
        assertThat((java.util.List<Object>) issuer.get("ports")).contains("127.0.0.1:8081:8081");
        assertThat(env).containsEntry("MANAGEMENT_SERVER_ADDRESS", "0.0.0.0");
    }
}
