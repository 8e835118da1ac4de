package io.kubeoidc.service.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.util.JSONObjectUtils;
import io.kubeoidc.service.cli.Cli;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/**
 * The CLI as a user meets it, through the real jar: help and version (which must never start the service),
 * output redirected to files, shell completion loaded into bash, and every exit code the help documents.
 */
class CommandLineIT {
    private static final String VERIFY_ONLY_KID = "BgpH2PfUrxbzBypHlSVqfh7h8Z04iZL4xHfwBdeAu5s"; // ec-p256.spki.pem

    /** A store as after a kubeadm migration: sa.key ACTIVE, one extra public key VERIFY_ONLY. */
    @TempDir
    static Path template;

    @TempDir
    Path work;

    @BeforeAll
    static void prepareStore() throws Exception {
        var signing = JarProcess.run(template, "keys", "import", "--keys-dir", "data/keys",
                TestData.pem("kubeadm-sa.key").toString());
        assertThat(signing.exitCode()).as(signing.output()).isZero();
        var verifyOnly = JarProcess.run(template, "keys", "import", "--verify-only", "--keys-dir", "data/keys",
                TestData.pem("ec-p256.spki.pem").toString());
        assertThat(verifyOnly.exitCode()).as(verifyOnly.output()).isZero();
    }

    private void copyStore() throws Exception {
        try (Stream<Path> files = Files.walk(template.resolve("data"))) {
            for (Path p : files.toList()) {
                Files.copy(p, work.resolve(template.relativize(p).toString()), StandardCopyOption.COPY_ATTRIBUTES);
            }
        }
    }

    private static List<String> entries(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    // ------------------------------------------------------------------------------------------ help and version

    /** Each of these once started the service, which created ./data/keys with a private key wherever it ran. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"--help", "-h", "--server.port=1 --help", "help", "help keys", "keys --help",
            "keys rotate -h", "ha status --help", "doctor --help", "render static-pod --help", "migrate pod-identity --help",
            "completion --help"})
    void helpPrintsUsageAndStartsNothing(String args) throws Exception {
        var r = JarProcess.runSeparated(work, args.split(" "));
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(r.stdout()).startsWith("Usage: issuer-service").contains("\nExit codes:\n");
        assertThat(r.stderr()).isEmpty();
        assertThat(entries(work)).as("the working directory after `%s`", args).isEmpty();
    }

    /** The version the build wrote into the jar, the same from every command and from /actuator/info. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"--version", "-V", "--server.port=1 --version", "keys --version", "keys list -V",
            "keys import -V", "keys status -V", "keys rotate -V", "keys remove -V", "ha -V", "ha status -V",
            "doctor -V", "render -V", "render static-pod -V", "migrate -V", "migrate pod-identity -V", "completion -V"})
    void versionIsTheBuildsAndStartsNothing(String args) throws Exception {
        var r = JarProcess.runSeparated(work, args.split(" "));
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(r.stdout().lines().findFirst()).hasValue("issuer-service " + projectVersion());
        assertThat(r.stdout()).containsPattern("\nbuilt \\d{4}-\\d\\d-\\d\\dT[^,]+Z, Java ");
        assertThat(entries(work)).as("the working directory after `%s`", args).isEmpty();
    }

    @Test
    void actuatorInfoReportsTheSameVersion() throws Exception {
        int port = TestData.freePort();
        int mgmt = TestData.freePort();
        try (JarProcess service = JarProcess.start(work, "--server.port=" + port, "--management.server.port=" + mgmt)
                .awaitReady(mgmt)) {
            var info = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + mgmt
                    + "/actuator/info")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(info.statusCode()).isEqualTo(200);
            Map<String, Object> build = JSONObjectUtils.getJSONObject(JSONObjectUtils.parse(info.body()), "build");
            assertThat(build).as(info.body()).containsEntry("version", projectVersion())
                    .containsEntry("artifact", "issuer-service");
        }
    }

    /** Maven's project.version, handed over by failsafe: not something the jar computes. */
    private static String projectVersion() {
        String v = System.getProperty("project.version");
        assertThat(v).as("system property project.version (run through Maven)").isNotBlank();
        return v;
    }

    // ------------------------------------------------------------------------------------------ redirected output

    /** `cmd > file`: what a command prints with print() (not println) once reached no file at all. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"render static-pod --issuer https://oidc.example.com", "completion",
            "keys list --keys-dir data/keys", "keys status --keys-dir data/keys", "keys status --keys-dir data/keys --output json",
            "--version", "--help"})
    void outputRedirectedToAFileIsComplete(String args) throws Exception {
        copyStore();
        var r = JarProcess.runSeparated(work, args.split(" "));
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(r.stdout()).isNotBlank().endsWith("\n");
        assertThat(r.stderr()).isEmpty();
    }

    @Test
    void renderedStaticPodIsTheWholeManifest() throws Exception {
        var r = JarProcess.runSeparated(work, "render", "static-pod", "--issuer", "https://oidc.example.com");
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(r.stdout()).contains("kind: Pod").contains("--issuer.url=https://oidc.example.com")
                .endsWith("      emptyDir: {}\n");
    }

    // ------------------------------------------------------------------------------------------ completion

    /** The script loads into a real bash, registers itself, and completes subcommands and options. */
    @Test
    void completionScriptCompletesInBash() throws Exception {
        var r = JarProcess.runSeparated(work, "completion");
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        Path script = work.resolve("issuer-service.bash");
        Files.writeString(script, r.stdout());
        // compopt (for file names) only works inside real completion; its complaint here goes to /dev/null.
        String probe = "source " + script + "\n"
                + "complete -p issuer-service\n"
                + "complete_words() { COMP_WORDS=(\"$@\"); COMP_CWORD=$(( $# - 1 )); COMP_LINE=\"$*\"; COMP_POINT=${#COMP_LINE};"
                + " COMPREPLY=(); $(complete -p issuer-service | sed -E 's/.*-F ([^ ]+) .*/\\1/') issuer-service 2>/dev/null;"
                + " echo \"${COMPREPLY[*]}\"; }\n"
                + "complete_words issuer-service ''\n"
                + "complete_words issuer-service keys ''\n"
                + "complete_words issuer-service keys rotate --em\n";
        Process bash = new ProcessBuilder("bash", "-c", probe).directory(work.toFile()).redirectErrorStream(true).start();
        String out = new String(bash.getInputStream().readAllBytes());
        assertThat(bash.waitFor()).as(out).isZero();
        List<String> lines = out.lines().toList();
        assertThat(lines.get(0)).as(out).startsWith("complete ").contains(" -F ").endsWith(" issuer-service");
        assertThat(lines.get(1).split(" ")).as(out).contains("keys", "ha", "doctor", "render", "migrate", "completion", "help");
        assertThat(lines.get(2).split(" ")).as(out).contains("import", "list", "status", "rotate", "remove");
        assertThat(lines.get(3)).as(out).isEqualTo("--emergency");
    }

    // ------------------------------------------------------------------------------------------ exit codes

    /**
     * @param command the command as its help names it ("issuer-service keys list")
     * @param args    run in a copy of the template store
     */
    record ExitCase(String command, int exit, String why, List<String> args) {
        @Override
        public String toString() {
            return command + " -> " + exit + ": " + why;
        }
    }

    private static ExitCase exit(String command, int exit, String why, String... args) {
        return new ExitCase(command, exit, why, List.of(args));
    }

    private static final String ROOT = "issuer-service";
    private static final String KEYS = "issuer-service keys";

    static List<ExitCase> exitCases() {
        String dir = "--keys-dir=data/keys";
        String missing = "--keys-dir=no-such-dir";
        String pub = TestData.pem("rsa2048.spki.pem").toString();
        return List.of(
                exit(ROOT, 0, "help", "--help"),
                exit(ROOT, 1, "the service refuses its configuration", "--server.port=0", "--management.server.port=0",
                        "--issuer.url=ftp://oidc.example.com"),
                exit(ROOT, 2, "unknown command", "frobnicate"),
                exit(KEYS, 0, "help", "keys", "--help"),
                exit(KEYS, 2, "no subcommand", "keys"),
                exit(KEYS + " import", 0, "a new verify-only key", "keys", "import", "--verify-only", dir, pub),
                exit(KEYS + " import", 1, "a file that does not exist", "keys", "import", "--verify-only", dir, "no-such.pem"),
                exit(KEYS + " import", 2, "--remove-after without --verify-only", "keys", "import", "--remove-after=7d", dir, pub),
                exit(KEYS + " list", 0, "a store", "keys", "list", dir),
                exit(KEYS + " list", 1, "no such directory", "keys", "list", missing),
                exit(KEYS + " list", 2, "unknown option", "keys", "list", "--keys-directory=data/keys"),
                exit(KEYS + " status", 0, "a store", "keys", "status", dir),
                exit(KEYS + " status", 1, "no such directory", "keys", "status", missing),
                exit(KEYS + " status", 2, "a stray argument", "keys", "status", dir, "extra"),
                exit(KEYS + " status", 0, "the JSON document", "keys", "status", dir, "--output=json"),
                exit(KEYS + " status", 2, "an unknown output format", "keys", "status", dir, "--output=yaml"),
                exit(KEYS + " list", 0, "the JSON document", "keys", "list", dir, "--output=json"),
                exit(KEYS + " list", 2, "an unknown output format", "keys", "list", dir, "--output=Json"),
                exit(KEYS + " rotate", 0, "rotate now", "keys", "rotate", dir),
                exit(KEYS + " rotate", 1, "--emergency without --yes", "keys", "rotate", dir, "--emergency", "--revoke",
                        VERIFY_ONLY_KID),
                exit(KEYS + " rotate", 2, "--yes without --emergency", "keys", "rotate", dir, "--yes"),
                exit(KEYS + " remove", 0, "a verify-only key", "keys", "remove", dir, VERIFY_ONLY_KID),
                exit(KEYS + " remove", 1, "an unknown kid", "keys", "remove", dir, "no-such-kid"),
                exit(KEYS + " remove", 2, "no kid", "keys", "remove", dir),
                exit(KEYS + " restore", 0, "re-commit the store above its high-water mark", "keys", "restore", dir, "--yes"),
                exit(KEYS + " restore", 1, "without --yes", "keys", "restore", dir),
                exit(KEYS + " restore", 2, "a revision that is not a number", "keys", "restore", dir, "--above-revision=x"),
                exit(KEYS + " reseal", 1, "the directory store is not sealed", "keys", "reseal", dir,
                        "--new-encryption-key-file=kek"),
                exit(KEYS + " reseal", 2, "no new key", "keys", "reseal", dir),
                exit(ROOT + " ha", 0, "help", "ha", "--help"),
                exit(ROOT + " ha", 2, "no subcommand", "ha"),
                exit(ROOT + " ha status", 1, "a malformed endpoint", "ha", "status", "--etcd-endpoints=etcd-1:2379"),
                exit(ROOT + " ha status", 2, "no endpoints", "ha", "status"),
                exit(ROOT + " doctor", 1, "nothing listens at the issuer", "doctor", "--issuer=https://127.0.0.1:1/x"),
                exit(ROOT + " doctor", 2, "no --issuer", "doctor"),
                exit(ROOT + " render", 0, "help", "render", "--help"),
                exit(ROOT + " render", 2, "no subcommand", "render"),
                exit(ROOT + " render static-pod", 0, "an https issuer", "render", "static-pod", "--issuer=https://oidc.example.com"),
                exit(ROOT + " render static-pod", 1, "an http issuer", "render", "static-pod", "--issuer=http://oidc.example.com"),
                exit(ROOT + " render static-pod", 2, "no --issuer", "render", "static-pod"),
                exit(ROOT + " migrate", 0, "help", "migrate", "--help"),
                exit(ROOT + " migrate", 2, "no subcommand", "migrate"),
                exit(ROOT + " migrate pod-identity", 0, "the documentation's resources", "migrate", "pod-identity",
                        "--issuer=https://oidc.example.com", "--out=out", TestData.podIdentity("identities.yaml").toString(),
                        TestData.podIdentity("workloads.yaml").toString()),
                exit(ROOT + " migrate pod-identity", 1, "a binding to a missing identity", "migrate", "pod-identity",
                        "--issuer=https://oidc.example.com", "--out=out", TestData.podIdentity("bad/missing-identity.yaml").toString()),
                exit(ROOT + " migrate pod-identity", 2, "no files", "migrate", "pod-identity", "--issuer=https://oidc.example.com",
                        "--out=out"),
                exit(ROOT + " completion", 0, "the script", "completion"),
                exit(ROOT + " completion", 2, "an argument", "completion", "zsh"),
                exit(ROOT + " help", 0, "help for a command", "help", "keys"),
                exit(ROOT + " help", 2, "help for an unknown command", "help", "frobnicate"));
    }

    /** Exit codes that need a running etcd or a healthy https issuer, and the test that sees each one. */
    private static final Map<String, String> COVERED_ELSEWHERE = Map.of(
            ROOT + " ha status 0", "HighAvailabilityIT.haStatusShowsTheLeaderAndEveryReplicaInStep",
            ROOT + " doctor 0", "DoctorIT.doctorPassesOnAHealthyIssuerAndExplainsEachFailure",
            KEYS + " reseal 0", "KeySetRollbackIT.keysResealMovesEtcdAndTheLocalCopiesToANewKeyEncryptionKey");

    @ParameterizedTest(name = "{0}")
    @MethodSource("exitCases")
    void everyDocumentedExitCodeHappens(ExitCase c) throws Exception {
        copyStore();
        var r = JarProcess.run(work, c.args().toArray(String[]::new));
        assertThat(r.exitCode()).as(r.output()).isEqualTo(c.exit());
    }

    /** The cases above, plus the few covered elsewhere, are exactly the codes each command's help lists. */
    @Test
    void theExitCodeCasesMatchTheHelp() {
        Set<String> documented = new TreeSet<>();
        collect(Cli.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter())), documented);
        Set<String> exercised = new TreeSet<>(COVERED_ELSEWHERE.keySet());
        exitCases().forEach(c -> exercised.add(c.command() + " " + c.exit()));
        assertThat(exercised).isEqualTo(documented);
    }

    private static void collect(CommandLine cmd, Set<String> into) {
        cmd.getCommandSpec().usageMessage().exitCodeList().keySet()
                .forEach(code -> into.add(cmd.getCommandSpec().qualifiedName() + " " + code.strip()));
        cmd.getSubcommands().values().forEach(sub -> collect(sub, into));
    }

}
