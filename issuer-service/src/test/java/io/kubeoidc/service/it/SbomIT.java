package io.kubeoidc.service.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.util.JSONObjectUtils;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The built jar carries a CycloneDX SBOM of what it ships, and the management port serves it. */
class SbomIT {
    static final String LOCATION = "META-INF/sbom/application.cdx.json";
    /** A nested jar as Spring Boot names it: artifactId-version.jar. */
    static final Pattern LIB = Pattern.compile("BOOT-INF/lib/(.+)-(\\d[^-]*(?:-[A-Za-z0-9.]+)*)\\.jar");

    @TempDir
    Path work;

    static Path jar() {
        return Path.of(System.getProperty("issuer.jar"));
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> sbomIn(JarFile jar) throws Exception {
        var entry = jar.getJarEntry(LOCATION);
        assertThat(entry).as(LOCATION + " in the jar").isNotNull();
        try (var in = jar.getInputStream(entry)) {
            return JSONObjectUtils.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    /** "name@version" of each component, by its Maven coordinates. */
    @SuppressWarnings("unchecked")
    static Map<String, String> versions(Map<String, Object> sbom) {
        Map<String, String> out = new HashMap<>();
        for (Object o : (List<Object>) sbom.get("components")) {
            Map<String, Object> c = (Map<String, Object>) o;
            out.put(c.get("group") + ":" + c.get("name"), (String) c.get("version"));
        }
        return out;
    }

    @Test
    void theJarCarriesACycloneDxSbomListingEveryLibraryItShips() throws Exception {
        try (JarFile jar = new JarFile(jar().toFile())) {
            assertThat(jar.getManifest().getMainAttributes().getValue("Sbom-Location")).isEqualTo(LOCATION);
            assertThat(jar.getManifest().getMainAttributes().getValue("Sbom-Format")).isEqualTo("CycloneDX");
            Map<String, Object> sbom = sbomIn(jar);
            assertThat(sbom.get("bomFormat")).isEqualTo("CycloneDX");
            assertThat((String) sbom.get("specVersion")).matches("1\\.[5-9]");
            Map<String, String> versions = versions(sbom);
            assertThat(versions).containsEntry("com.nimbusds:nimbus-jose-jwt", "10.10")
                    .containsEntry("io.grpc:grpc-netty", "1.84.1")
                    .containsEntry("io.etcd:jetcd-core", "0.8.7")
                    .containsEntry("net.java.dev.jna:jna", "5.17.0")
                    .containsEntry("net.java.dev.jna:jna-platform", "5.17.0")
                    .doesNotContainKey("io.netty:netty-codec-http3")
                    .doesNotContainKey("org.assertj:assertj-core"); // test scope is not shipped

            // Every nested jar, by artifactId and version, is in the SBOM (Boot's own jarmode tool is not a dependency).
            Map<String, String> byName = new HashMap<>();
            versions.forEach((coordinates, version) -> byName.put(coordinates.substring(coordinates.indexOf(':') + 1)
                    + "-" + version, coordinates));
            var libs = jar.stream().map(e -> LIB.matcher(e.getName())).filter(Matcher::matches)
                    .map(m -> m.group(1) + "-" + m.group(2)).filter(n -> !n.startsWith("spring-boot-jarmode-tools-"))
                    .toList();
            assertThat(libs).hasSizeGreaterThan(100);
            assertThat(libs).allSatisfy(lib -> assertThat(byName).as("SBOM components").containsKey(lib));
        }
    }

    @Test
    void theManagementPortServesTheSbom() throws Exception {
        Map<String, Object> shipped;
        try (JarFile jar = new JarFile(jar().toFile())) {
            shipped = sbomIn(jar);
        }
        int port = TestData.freePort();
        int mgmt = TestData.freePort();
        try (JarProcess service = JarProcess.start(work, "--server.port=" + port, "--management.server.port=" + mgmt)
                .awaitReady(mgmt)) {
            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> list = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + mgmt
                    + "/actuator/sbom")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(list.statusCode()).isEqualTo(200);
            assertThat(JSONObjectUtils.parse(list.body()).get("ids")).isEqualTo(List.of("application"));
            HttpResponse<String> one = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + mgmt
                    + "/actuator/sbom/application")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(one.statusCode()).isEqualTo(200);
            assertThat(one.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t)
                    .startsWith("application/vnd.cyclonedx+json"));
            assertThat(JSONObjectUtils.parse(one.body())).isEqualTo(shipped);
            // Not on the public port.
            HttpResponse<String> publicPort = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                    + "/actuator/sbom/application")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(publicPort.statusCode()).isEqualTo(404);
        }
    }
}
