package io.kubeoidc.service.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;
import picocli.CommandLine.IVersionProvider;

/**
 * The version the build wrote into the jar (spring-boot-maven-plugin's build-info goal): the same file
 * /actuator/info reads, so `--version` and the running service always agree.
 */
public record BuildVersion(String version, String time) implements IVersionProvider {
    static final String RESOURCE = "/META-INF/build-info.properties";

    /** For picocli, which instantiates the provider itself. */
    public BuildVersion() {
        this(read());
    }

    private BuildVersion(Properties build) {
        this(build.getProperty("build.version", "unknown (no build information in this jar)"), build.getProperty("build.time"));
    }

    public static BuildVersion current() {
        return new BuildVersion();
    }

    @Override
    public String[] getVersion() {
        return new String[] {"issuer-service " + version,
                (time == null ? "" : "built " + time + ", ") + "Java " + Runtime.version() + " (" + System.getProperty("java.vendor") + ")"};
    }

    private static Properties read() {
        Properties p = new Properties();
        try (InputStream in = BuildVersion.class.getResourceAsStream(RESOURCE)) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return p;
    }
}
