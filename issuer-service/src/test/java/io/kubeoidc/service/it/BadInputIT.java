package io.kubeoidc.service.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.util.JSONObjectUtils;
import io.kubeoidc.testing.SoftHsm;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bad input to the CLI and to the service's configuration: a specific message, a non-zero exit, and nothing
 * written. Every case runs in a working directory that already holds a key store (kubeadm's sa.key, imported
 * with the CLI) and a few files the cases point at; the whole directory is compared byte for byte afterwards.
 */
class BadInputIT {
    @TempDir
    static Path template;

    @TempDir
    Path work;

    private FileSnapshot before;

    /** kid of kubeadm-sa.key, as openssl computed it (pem/expected.json). */
    private static String kubeadmKid;

    @BeforeAll
    static void importOnce() throws Exception {
        var imported = JarProcess.run(template, "keys", "import", "--keys-dir", "data/keys",
                TestData.pem("kubeadm-sa.key").toString());
        assertThat(imported.exitCode()).as(imported.output()).isZero();
        Map<String, Object> expected = JSONObjectUtils.parse(TestData.read(TestData.pem("expected.json")));
        kubeadmKid = (String) JSONObjectUtils.getJSONObject(expected, "kubeadm-sa.key").get("kid");
    }

    /**
     * The store, a key-encryption key, a world-readable one, a group-readable one, a certificate (0600), a plain file and the socket's
     * directory; then the snapshot.
     */
    @BeforeEach
    void prepareWorkingDirectory() throws Exception {
        try (Stream<Path> files = Files.walk(template.resolve("data"))) {
            for (Path p : files.toList()) {
                Files.copy(p, work.resolve(template.relativize(p).toString()), StandardCopyOption.COPY_ATTRIBUTES);
            }
        }
        byte[] kek = new byte[32];
        new SecureRandom().nextBytes(kek);
        write("kek", kek, "rw-------");
        write("kek-readable", kek, "rw-r--r--");
        write("kek-group", kek, "rw-r-----");
        write("cert.pem", Files.readAllBytes(TestData.pem("rsa2048.cert.pem")), "rw-------");
        write("not-a-directory", "a plain file\n".getBytes(), "rw-r--r--");
        Files.createDirectory(work.resolve("run")); // where the signer's socket goes
        // Directories other local users could change (@TempDir itself is 0700 under the sticky /tmp: trusted).
        mkdir("loose", "rwxrwxrwx");
        mkdir("loose/inner", "rwx------");
        mkdir("group-writable", "rwxrwx---");
        before = FileSnapshot.of(work);
    }

    private void mkdir(String name, String mode) throws Exception {
        Path d = Files.createDirectory(work.resolve(name));
        Files.setPosixFilePermissions(d, PosixFilePermissions.fromString(mode)); // not narrowed by the umask
    }

    private void write(String name, byte[] content, String mode) throws Exception {
        Path f = work.resolve(name);
        Files.write(f, content);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(mode));
    }

    /**
     * Replaces {work}, {pem}, {kid}, {user} (who runs the tests) and {port:NAME} (a free port, or for "busy" one
     * held open) in a case.
     */
    private String fill(String text, Map<String, Integer> ports) {
        String s = text.replace("{work}", work.toString())
                .replace("{pem}", TestData.dir().resolve("pem").toAbsolutePath().normalize().toString())
                .replace("{kid}", kubeadmKid).replace("{user}", System.getProperty("user.name"))
                .replace("{podid}", TestData.podIdentity("identities.yaml").getParent().toString());
        for (var p : ports.entrySet()) {
            s = s.replace("{port:" + p.getKey() + "}", Integer.toString(p.getValue()));
        }
        return s;
    }

    // ------------------------------------------------------------------------------------------------ key files

    private static final String ONLY_RSA_AND_ECDSA = "kube-apiserver signs and verifies only RSA and ECDSA (P-256, P-384, P-521)";
    private static final String ED25519 = "Ed25519 key; " + ONLY_RSA_AND_ECDSA;
    private static final String NOT_DER = "not a DER key structure (garbage or truncated data)";
    private static final String ENCRYPTED = "encrypted key; decrypt it first (openssl pkey -in FILE -out PLAIN)";
    private static final String ALLOW_SKIPPED = " (fix the file, or pass --allow-skipped to import the other blocks anyway)";

    /** A file whose only block yields no key. */
    private static Arguments noKey(String file, String block, String reason) {
        return Arguments.of(file, "no usable key: block 1 (" + block + "): " + reason);
    }

    static List<Arguments> keyFiles() {
        return List.of(
                Arguments.of("not-pem.txt", "no usable key: it contains no PEM block"),
                Arguments.of("bad-input/empty.pem", "no usable key: it contains no PEM block"),
                Arguments.of("bad-input/rsa2048.pkcs8.der", "no usable key: it contains no PEM block"),
                noKey("garbage.pem", "PUBLIC KEY", NOT_DER),
                noKey("bad-input/truncated-der.pem", "PRIVATE KEY", NOT_DER),
                noKey("bad-input/truncated-base64.pem", "PRIVATE KEY", "body is not valid base64"),
                noKey("bad-input/no-end-line.pem", "PRIVATE KEY", "no matching '-----END PRIVATE KEY-----' line"),
                noKey("bad-input/mismatched-end-label.pem", "PRIVATE KEY", "no matching '-----END PRIVATE KEY-----' line"),
                noKey("rsa1024.pkcs1.pem", "RSA PRIVATE KEY", "RSA key of 1024 bits is below the 2048-bit minimum"),
                noKey("ed25519.pkcs8.pem", "PRIVATE KEY", ED25519),
                noKey("ed25519.spki.pem", "PUBLIC KEY", ED25519),
                noKey("bad-input/ed25519.crlf-trailing.pem", "PUBLIC KEY", ED25519),
                noKey("bad-input/ed25519.cert.pem", "CERTIFICATE", ED25519),
                noKey("bad-input/dsa2048.pkcs8.pem", "PRIVATE KEY", "DSA key; " + ONLY_RSA_AND_ECDSA),
                noKey("bad-input/dsa2048.traditional.pem", "DSA PRIVATE KEY",
                        "DSA key (OpenSSL's traditional format); " + ONLY_RSA_AND_ECDSA),
                noKey("bad-input/rsa-pss2048.pkcs8.pem", "PRIVATE KEY", "RSASSA-PSS key (OID 1.2.840.113549.1.1.10);"
                        + " kube-apiserver reads RSA keys only with the rsaEncryption OID, as openssl genrsa writes them"),
                noKey("ec-secp256k1.sec1.pem", "EC PRIVATE KEY",
                        "unsupported curve secp256k1 (1.3.132.0.10); kube-apiserver accepts P-256, P-384 and P-521"),
                noKey("bad-input/ec-parameters-only.pem", "EC PARAMETERS",
                        "EC PARAMETERS (prime256v1 (1.2.840.10045.3.1.7)), not a key"),
                noKey("rsa2048.encrypted-pkcs8.pem", "ENCRYPTED PRIVATE KEY", ENCRYPTED),
                noKey("rsa2048.encrypted-legacy.pem", "RSA PRIVATE KEY", ENCRYPTED),
                noKey("rsa2048.pkcs1-public.pem", "RSA PUBLIC KEY", "PKCS#1 RSA PUBLIC KEY, which kube-apiserver does not"
                        + " read; convert it (openssl rsa -RSAPublicKey_in -in FILE -pubout)"),
                noKey("bad-input/openssh-ecdsa-p256.key", "OPENSSH PRIVATE KEY",
                        "OpenSSH key format; convert it (ssh-keygen -p -m PEM -f FILE)"),
                // A usable key does not carry a broken block in with it.
                Arguments.of("bad-input/key-then-truncated-block.pem", "block 2 (PRIVATE KEY): " + NOT_DER + ALLOW_SKIPPED),
                Arguments.of("mixed.pem", "block 1 (PUBLIC KEY): " + NOT_DER + "; block 2 (PUBLIC KEY): " + ED25519
                        + "; block 4 (RSA PRIVATE KEY): RSA key of 1024 bits is below the 2048-bit minimum;"
                        + " block 7 (ENCRYPTED PRIVATE KEY): " + ENCRYPTED + ALLOW_SKIPPED));
    }

    /** Each file is imported --verify-only after kubeadm's sa.pub, into the store that already holds sa.key. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("keyFiles")
    void keyFilesTheCliRefuses(String file, String message) throws Exception {
        var r = JarProcess.run(work, "keys", "import", "--verify-only", "--keys-dir", "data/keys",
                TestData.pem("kubeadm-sa.pub").toString(), TestData.pem(file).toString());
        assertThat(r.exitCode()).as(r.output()).isEqualTo(1);
        assertThat(r.output()).contains("error: " + TestData.pem(file) + ": " + message + "\nnothing was changed\n");
        before.assertUnchanged();
    }

    // ------------------------------------------------------------------------------------------------ the CLI

    /**
     * @param output  what the command prints, verbatim (its error, and "nothing was changed" for a writing command)
     * @param changes whether the command writes; only then may it say "nothing was changed"
     */
    record CliCase(String name, List<String> args, int exit, String output, boolean changes) {
        @Override
        public String toString() {
            return name;
        }
    }

    /** A writing command that refuses: exit 1, its error and "nothing was changed". */
    private static CliCase cli(String name, String error, String... args) {
        return new CliCase(name, List.of(args), 1, "error: " + error + "\nnothing was changed\n", true);
    }

    /** A read-only command that fails: exit 1 and its error, with no talk of changes it never makes. */
    private static CliCase readOnly(String name, String error, String... args) {
        return new CliCase(name, List.of(args), 1, "error: " + error + "\n", false);
    }

    /** A wrong command line: exit 2, the error and the synopsis. */
    private static CliCase usage(String name, String error, String... args) {
        return new CliCase(name, List.of(args), 2, "error: " + error + "\nUsage: issuer-service ", false);
    }

    private static final String NO_DIR = " does not exist (--keys-dir names the service's issuer.keys.directory;"
            + " its default is ./data/keys in the service's working directory)";

    private static final String LOOSE_STORE = "key store {work}/loose is writable by its group and every user"
            + " (mode 0777, owner {user}): they could replace the files in it";
    private static final String LOOSE_PARENT = "{work}/loose, a directory above key store {work}/loose/inner, is writable"
            + " by its group and every user without the sticky bit (mode 0777, owner {user}): they could move inner away"
            + " and put their own in its place";

    /** A password in a case's arguments: no output may contain it. */
    private static final String SECRET = "s3cret";
    private static final String KEK_MODE = "a key-encryption key must be 0600 or 0400, readable by its owner only:"
            + " chmod 600 it, or mount the Secret with defaultMode 0400 (and no fsGroup)";
    private static final String ETCD_PASSWORD_URL = "etcd endpoint https://***@127.0.0.1:2379 carries a user name and"
            + " password in the URL, which would end up in logs and process listings; set the etcd user and password"
            + " settings instead";

    static List<CliCase> cliCases() {
        String how = "(use 90s, 48h, 7d or PT48H)";
        return List.of(
                cli("a signing key into a store that has one", "the store already holds 1 key(s), active kid {kid};"
                        + " import a signing key only into an empty store, or use --verify-only to publish the imported"
                        + " keys without changing the signing key", "keys", "import", "--keys-dir", "data/keys",
                        "{pem}/ec-p256.sec1.pem"),
                cli("a key file that does not exist", "does-not-exist.pem: cannot read: no such file",
                        "keys", "import", "--verify-only", "--keys-dir", "data/keys", "does-not-exist.pem"),
                cli("a directory as the key file", "data: cannot read: Is a directory",
                        "keys", "import", "--verify-only", "--keys-dir", "data/keys", "data"),
                usage("--remove-after abc", "Invalid value for option '--remove-after': 'abc' is not a positive duration " + how,
                        "keys", "import", "--verify-only", "--keys-dir", "data/keys", "--remove-after", "abc", "{pem}/kubeadm-sa.pub"),
                usage("--remove-after negative", "Invalid value for option '--remove-after': '-5h' is not a positive duration " + how,
                        "keys", "import", "--verify-only", "--keys-dir", "data/keys", "--remove-after=-5h", "{pem}/kubeadm-sa.pub"),
                usage("--remove-after zero", "Invalid value for option '--remove-after': '0s' is not a positive duration " + how,
                        "keys", "import", "--verify-only", "--keys-dir", "data/keys", "--remove-after", "0s", "{pem}/kubeadm-sa.pub"),
                cli("--keys-dir is a file", "key store {work}/not-a-directory: cannot read keyset.json:"
                        + " {work}/not-a-directory/keyset.json: Not a directory",
                        "keys", "import", "--verify-only", "--keys-dir", "not-a-directory", "{pem}/kubeadm-sa.pub"),
                cli("a certificate as the key-encryption key", "cert.pem is a PEM file (CERTIFICATE), not a key-encryption"
                        + " key. Create one with: (umask 077; openssl rand -base64 32 > FILE), and give every replica the same file",
                        "keys", "import", "--verify-only", "--etcd-endpoints", "https://127.0.0.1:2379",
                        "--encryption-key-file", "cert.pem", "{pem}/kubeadm-sa.pub"),
                cli("a key-encryption key every user can read", "kek-readable has mode 0644 (rw-r--r--); " + KEK_MODE,
                        "keys", "import", "--verify-only", "--etcd-endpoints", "https://127.0.0.1:2379",
                        "--encryption-key-file", "kek-readable", "{pem}/kubeadm-sa.pub"),
                cli("a key-encryption key its group can read", "kek-group has mode 0640 (rw-r-----); " + KEK_MODE,
                        "keys", "import", "--verify-only", "--etcd-endpoints", "https://127.0.0.1:2379",
                        "--encryption-key-file", "kek-group", "{pem}/kubeadm-sa.pub"),
                cli("an etcd endpoint with a password in it", ETCD_PASSWORD_URL,
                        "keys", "import", "--verify-only", "--etcd-endpoints", "https://user:" + SECRET + "@127.0.0.1:2379",
                        "--encryption-key-file", "kek", "{pem}/kubeadm-sa.pub"),
                cli("remove an unknown kid", "unknown kid no-such-kid; `keys status` lists the kids in the store",
                        "keys", "remove", "--keys-dir", "data/keys", "no-such-kid"),
                cli("revoke an unknown kid", "unknown kid no-such-kid; `keys status` lists the kids in the store",
                        "keys", "rotate", "--keys-dir", "data/keys", "--emergency", "--revoke", "no-such-kid", "--yes"),
                usage("--emergency without --revoke", "--emergency needs --revoke KID (the leaked key)",
                        "keys", "rotate", "--keys-dir", "data/keys", "--emergency"),
                usage("--revoke without --emergency", "--revoke and --yes belong to --emergency",
                        "keys", "rotate", "--keys-dir", "data/keys", "--revoke", "{kid}"),
                new CliCase("--emergency without --yes", List.of("keys", "rotate", "--keys-dir", "data/keys", "--emergency",
                        "--revoke", "{kid}"), 1, "Nothing was changed. Re-run with --yes to proceed.\n", true),
                cli("keys reseal on the directory store", "keys reseal works on the etcd store: give --etcd-endpoints"
                        + " and --encryption-key-file (the directory store is not sealed)",
                        "keys", "reseal", "--keys-dir", "data/keys", "--new-encryption-key-file", "kek"),
                cli("keys reseal --local-copy-only without a copy", "--local-copy-only needs at least one --local-copy FILE",
                        "keys", "reseal", "--local-copy-only", "--encryption-key-file", "kek", "--new-encryption-key-file", "kek"),
                cli("keys restore --above-revision negative", "--above-revision must be 0 or more, got -1",
                        "keys", "restore", "--keys-dir", "data/keys", "--above-revision=-1", "--yes"),
                new CliCase("keys restore without --yes", List.of("keys", "restore", "--keys-dir", "data/keys"), 1,
                        "Nothing was changed. Re-run with --yes to proceed.\n", true),
                readOnly("a static pod for an http issuer", "issuer URL 'http://oidc.example.com' must use the https scheme,"
                        + " not 'http'; kube-apiserver and Entra ID reject anything else (issuer.allow-insecure-http=true"
                        + " permits http for local development only)",
                        "render", "static-pod", "--issuer", "http://oidc.example.com"),
                readOnly("a store directory every user can write", LOOSE_STORE + "; fix: chmod 700 {work}/loose",
                        "keys", "list", "--keys-dir", "loose"),
                cli("a store directory its group can write", "key store {work}/group-writable is writable by its group"
                        + " (mode 0770, owner {user}): they could replace the files in it; fix: chmod 700 {work}/group-writable",
                        "keys", "rotate", "--keys-dir", "group-writable"),
                cli("a store below a directory every user can write", LOOSE_PARENT + "; fix: chmod go-w {work}/loose,"
                        + " or choose a directory elsewhere", "keys", "import", "--keys-dir", "loose/inner", "{pem}/kubeadm-sa.key"),
                new CliCase("an unknown command", List.of("keys", "frobnicate"), 2, "error: Unmatched argument at index 1:"
                        + " 'frobnicate'\nDid you mean: keys rotate or keys status?\nUsage: issuer-service keys [-hV] [COMMAND]\n"
                        + "Try 'issuer-service keys --help' for more information.\n", false),
                // A typo in --keys-dir is a wrong path, never an empty store.
                readOnly("keys list of a directory that does not exist", "key store directory {work}/typo" + NO_DIR,
                        "keys", "list", "--keys-dir", "typo"),
                readOnly("keys status of a directory that does not exist", "key store directory {work}/typo" + NO_DIR,
                        "keys", "status", "--keys-dir", "typo"),
                cli("keys remove in a directory that does not exist", "key store directory {work}/typo" + NO_DIR,
                        "keys", "remove", "--keys-dir", "typo", "{kid}"),
                cli("keys rotate in a directory that does not exist", "key store directory {work}/typo" + NO_DIR,
                        "keys", "rotate", "--keys-dir", "typo"),
                readOnly("keys list of a file", "key store {work}/not-a-directory: cannot read keyset.json:"
                        + " {work}/not-a-directory/keyset.json: Not a directory", "keys", "list", "--keys-dir", "not-a-directory"),
                // Usage errors exit 2, as docs/cli.md says.
                usage("--yes without --emergency", "--revoke and --yes belong to --emergency",
                        "keys", "rotate", "--keys-dir", "data/keys", "--yes"),
                usage("--remove-after without --verify-only", "--remove-after applies to --verify-only imports: an"
                        + " imported signing key stays until rotation retires it",
                        "keys", "import", "--keys-dir", "data/keys", "--remove-after", "7d", "{pem}/ec-p256.sec1.pem"),
                usage("keys status --output of an unknown format", "Invalid value for option '--output': 'yaml' is not"
                        + " an output format; use one of [text, json]", "keys", "status", "--keys-dir", "data/keys",
                        "--output", "yaml"),
                usage("ha status without endpoints", "--etcd-endpoints (or $ISSUER_KEYS_ETCD_ENDPOINTS) is required",
                        "ha", "status"),
                usage("etcd without a key-encryption key", "--etcd-endpoints needs --encryption-key-file (the"
                        + " key-encryption key every replica uses), or $ISSUER_KEYS_ENCRYPTION_KEY_FILE",
                        "keys", "list", "--etcd-endpoints", "https://127.0.0.1:2379"),
                // An unknown kid is named before any consequences are listed.
                cli("--emergency without --yes for an unknown kid", "unknown kid no-such-kid; `keys status` lists the"
                        + " kids in the store", "keys", "rotate", "--keys-dir", "data/keys", "--emergency", "--revoke", "no-such-kid"),
                // Importing what is already there changes nothing, not even the revision.
                new CliCase("re-import of a key already in the store", List.of("keys", "import", "--verify-only",
                        "--keys-dir", "data/keys", "{pem}/kubeadm-sa.pub"), 0, "is already in the set\nnothing to change:"
                        + " every key is already in key store {work}/data/keys (revision 1)\n", false),
                readOnly("a high-availability static pod with an etcd endpoint that is not a URL",
                        "etcd endpoint 'etcd-1:2379' must look like https://10.0.0.1:2379",
                        "render", "static-pod", "--issuer", "https://oidc.example.com", "--etcd-endpoints", "etcd-1:2379"),
                readOnly("a high-availability static pod with a relative key-encryption key", "--encryption-key-file 'kek' must"
                        + " be an absolute path to a file in a directory on the node, such as /etc/kube-oidc-issuer/kek",
                        "render", "static-pod", "--issuer", "https://oidc.example.com", "--etcd-endpoints",
                        "https://10.0.0.1:2379", "--encryption-key-file", "kek"),
                new CliCase("doctor with an issuer that is not a URL", List.of("doctor", "--issuer", "notaurl"), 2,
                        "--issuer: issuer URL 'notaurl' has no scheme; it must start with https://\n", false),
                new CliCase("doctor with an ftp issuer", List.of("doctor", "--issuer", "ftp://oidc.example.com"), 2,
                        "--issuer: issuer URL 'ftp://oidc.example.com' must use the https scheme, not 'ftp'", false),
                new CliCase("doctor with a timeout that is not a duration", List.of("doctor", "--issuer",
                        "https://oidc.example.com", "--timeout", "abc"), 2,
                        "--timeout 'abc' is not a positive duration (use 90s, 48h, 7d or PT48H)\n", false),
                // migrate pod-identity reads and checks every file before it writes one: neither the new directory
                // "out" nor the existing "data" changes.
                cli("migrate pod-identity: a file that is not YAML", "{podid}/bad/not-yaml.yaml: not YAML: mapping values"
                        + " are not allowed here (line 3, column 11)", "migrate", "pod-identity", "--issuer",
                        "https://oidc.example.com", "--out", "out", "{podid}/identities.yaml", "{podid}/bad/not-yaml.yaml"),
                cli("migrate pod-identity: an unknown kind", "{podid}/bad/unknown-kind.yaml, document 1: Secret"
                        + " shop/legacy-sp-secret: kind 'Secret' is not one this command reads: give it AzureIdentity,"
                        + " AzureIdentityBinding and AzurePodIdentityException (aadpodidentity.k8s.io/v1), and Deployment,"
                        + " StatefulSet, DaemonSet, Job, CronJob and Pod resources", "migrate", "pod-identity", "--issuer",
                        "https://oidc.example.com", "--out", "data", "{podid}/identities.yaml", "{podid}/workloads.yaml",
                        "{podid}/bad/unknown-kind.yaml"),
                cli("migrate pod-identity: a binding to a missing identity", "{podid}/bad/missing-identity.yaml, document 1:"
                        + " AzureIdentityBinding shop/payments-binding: spec.azureIdentity 'payments-identity' names no"
                        + " AzureIdentity in namespace shop in the input (MIC looks it up in the binding's namespace)",
                        "migrate", "pod-identity", "--issuer", "https://oidc.example.com", "--out", "out",
                        "{podid}/identities.yaml", "{podid}/workloads.yaml", "{podid}/bad/missing-identity.yaml"),
                cli("migrate pod-identity: an identity without clientID", "{podid}/bad/no-client-id.yaml, document 1:"
                        + " AzureIdentity shop/payments-identity: has no spec.clientID; Workload Identity names the identity"
                        + " by its client ID (az identity show or az ad sp show prints it)", "migrate", "pod-identity",
                        "--issuer", "https://oidc.example.com", "--out", "data", "{podid}/identities.yaml",
                        "{podid}/bad/no-client-id.yaml"),
                cli("migrate pod-identity: a file that does not exist", "no-such.yaml: cannot read: no such file",
                        "migrate", "pod-identity", "--issuer", "https://oidc.example.com", "--out", "out", "no-such.yaml"),
                cli("migrate pod-identity: --out is a file", "not-a-directory: not a directory", "migrate", "pod-identity",
                        "--issuer", "https://oidc.example.com", "--out", "not-a-directory", "{podid}/identities.yaml"),
                cli("migrate pod-identity: an http issuer", "issuer URL 'http://oidc.example.com' must use the https"
                        + " scheme, not 'http'; kube-apiserver and Entra ID reject anything else (issuer.allow-insecure-http=true"
                        + " permits http for local development only)", "migrate", "pod-identity", "--issuer",
                        "http://oidc.example.com", "--out", "out", "{podid}/identities.yaml"),
                usage("migrate pod-identity without --out", "Missing required option: '--out=DIR'", "migrate",
                        "pod-identity", "--issuer", "https://oidc.example.com", "{podid}/identities.yaml"),
                new CliCase("doctor with a --keys-dir that does not exist", List.of("doctor", "--issuer",
                        "https://oidc.example.com", "--keys-dir", "typo"), 2, "key store directory {work}/typo" + NO_DIR, false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cliCases")
    void commandsTheCliRefuses(CliCase c) throws Exception {
        var r = JarProcess.run(work, c.args().stream().map(a -> fill(a, Map.of())).toArray(String[]::new));
        assertThat(r.exitCode()).as(r.output()).isEqualTo(c.exit());
        assertThat(r.output()).contains(fill(c.output(), Map.of())).doesNotContain(SECRET);
        if (!c.changes()) {
            assertThat(r.output()).doesNotContain("othing was changed");
        }
        if (!c.output().contains("Re-run with --yes")) {
            assertThat(r.output()).doesNotContain("Emergency revocation");
        }
        before.assertUnchanged();
    }

    // ------------------------------------------------------------------------------------------------ the service

    /**
     * @param description Boot's "APPLICATION FAILED TO START" description, verbatim
     * @param args        besides free ports and https://oidc.example.com as the issuer, unless a case sets them
     */
    record ServiceCase(String name, String description, List<String> args) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static ServiceCase service(String name, String description, String... args) {
        return new ServiceCase(name, description, List.of(args));
    }

    private static final String SIGNER = "--issuer.signer.socket={work}/run/signer.sock";
    private static final String ETCD = "--issuer.keys.store=etcd";
    /** An Azure mirror that is never reached: the cases fail at start, before any request. */
    private static final String AZURE = "--issuer.mirror.azure.connection-string=DefaultEndpointsProtocol=http;"
            + "AccountName=devstoreaccount1;AccountKey=" + Azurite.KEY + ";BlobEndpoint=http://127.0.0.1:9/devstoreaccount1;";
    private static final String AZURE_PUBLIC = "--issuer.mirror.azure.public-base-url=http://127.0.0.1:9/devstoreaccount1/oidc/";
    /** An S3 mirror that is never reached: the cases fail at start, before any request. */
    private static final String S3_BUCKET = "--issuer.mirror.s3.bucket=oidc";
    private static final String S3_REGION = "--issuer.mirror.s3.region=eu-west-2";
    private static final String S3_PUBLIC = "--issuer.mirror.s3.public-base-url=https://oidc.s3.eu-west-2.amazonaws.com/";
    private static final String ENDPOINT = "--issuer.keys.etcd.endpoints=https://10.0.0.1:2379";
    private static final String KEK = "--issuer.keys.encryption-key-file={work}/kek";
    private static final String PKCS11 = "--issuer.keys.custody=pkcs11";
    private static final String PKCS11_MODULE = "--issuer.keys.pkcs11.library=" + SoftHsm.MODULE;
    private static final String DEV_HINT = " (issuer.allow-insecure-http=true permits http for local development only)";

    static List<ServiceCase> serviceCases() {
        return List.of(
                // issuer.url and issuer.jwks-uri
                service("issuer without a scheme", "issuer URL 'oidc.example.com' has no scheme; it must start with https://",
                        "--issuer.url=oidc.example.com"),
                service("relative issuer", "issuer URL '/cluster-a' has no scheme; it must start with https://",
                        "--issuer.url=/cluster-a"),
                service("issuer https:// without a host", "issuer URL 'https://' is not a valid URL: Expected authority at index 8",
                        "--issuer.url=https://"),
                service("issuer with user info", "issuer URL 'https://u:p@oidc.example.com' must not contain user info ('user@')",
                        "--issuer.url=https://u:p@oidc.example.com"),
                service("issuer with a space inside", "issuer URL 'https://oidc.example.com/a b' is not a valid URL: Illegal"
                        + " character in path at index 26", "--issuer.url=https://oidc.example.com/a b"),
                service("issuer given twice", "issuer URL 'https://a.example.com,https://b.example.com' has an invalid host"
                        + " 'a.example.com,https:' (a comma here often means the property was given twice and merged)",
                        "--issuer.url=https://a.example.com", "--issuer.url=https://b.example.com"),
                service("http issuer", "issuer URL 'http://oidc.example.com' must use the https scheme, not 'http';"
                        + " kube-apiserver and Entra ID reject anything else" + DEV_HINT, "--issuer.url=http://oidc.example.com"),
                service("ftp issuer", "issuer URL 'ftp://oidc.example.com' must use the https scheme, not 'ftp';"
                        + " kube-apiserver and Entra ID reject anything else", "--issuer.url=ftp://oidc.example.com"),
                service("issuer with a query", "issuer URL 'https://oidc.example.com?x=1' must not contain a query ('?...')",
                        "--issuer.url=https://oidc.example.com?x=1"),
                service("issuer with a fragment", "issuer URL 'https://oidc.example.com#frag' must not contain a fragment ('#...')",
                        "--issuer.url=https://oidc.example.com#frag"),
                service("http jwks_uri", "jwks_uri 'http://oidc.example.com/k' must use the https scheme, not 'http';"
                        + " kube-apiserver and Entra ID reject anything else" + DEV_HINT, "--issuer.jwks-uri=http://oidc.example.com/k"),
                service("relative jwks_uri", "jwks_uri '/openid/v1/jwks' has no scheme; it must start with https://",
                        "--issuer.jwks-uri=/openid/v1/jwks"),
                // durations and numbers
                service("period that is not a duration", """
                        Failed to bind properties under 'issuer.rotation.period' to java.time.Duration:

                            Property: issuer.rotation.period
                            Value: "abc"
                            Origin: "issuer.rotation.period" from property source "commandLineArgs"
                            Reason: failed to convert java.lang.String to \
                        @org.springframework.boot.context.properties.bind.DefaultValue java.time.Duration \
                        (caused by java.lang.IllegalArgumentException: 'abc' is not a valid duration)""",
                        "--issuer.rotation.period=abc"),
                service("negative period", "issuer.rotation.period must be positive (got PT-24H)", "--issuer.rotation.period=-1d"),
                service("negative max-age", "issuer.http.max-age must not be negative (got PT-1S)", "--issuer.http.max-age=-1s"),
                service("zero check interval", "issuer.rotation.check-interval must be positive (got PT0S)",
                        "--issuer.rotation.check-interval=0s"),
                service("zero mirror interval", "issuer.mirror.interval must be at least 1s (got PT0S)",
                        "--issuer.mirror.interval=0s"),
                service("publish-ahead under max-age", "issuer.rotation.publish-ahead (PT10M) must be at least"
                        + " issuer.http.max-age (PT1H): relying parties may serve a cached JWKS that long, so a key published"
                        + " for less would be unknown to them when it starts signing", "--issuer.rotation.publish-ahead=10m"),
                service("retention under the token lifetime", "issuer.rotation.retention (PT1H) must be at least"
                        + " issuer.tokens.max-lifetime (PT24H): a retired key must stay published until every token it signed"
                        + " has expired", "--issuer.rotation.retention=1h"),
                service("max-keys too many", "issuer.rotation.max-keys must be between 3 and 100 (got 500); Entra ID and AWS"
                        + " read only the first 100 keys of a JWKS", "--issuer.rotation.max-keys=500"),
                service("max-keys that cannot hold what the policy keeps", "issuer.rotation.max-keys (10) cannot hold"
                        + " the keys this policy publishes at once: 30 RETIRED (retention PT10M / period PT20S, rounded up)"
                        + " + ACTIVE + NEXT = 32; rotation would stop at the cap. Set max-keys to at least 32, or shorten"
                        + " retention or lengthen period", "--issuer.rotation.period=20s", "--issuer.rotation.publish-ahead=10s",
                        "--issuer.http.max-age=2s", "--issuer.tokens.max-lifetime=5m", "--issuer.rotation.retention=10m"),
                // misspelled properties
                service("misspelled issuer.url", "issuer.urll is not a configuration property (set in commandLineArgs);"
                        + " did you mean issuer.url?", "--issuer.urll=https://oidc.example.com"),
                service("misspelled nested property", "issuer.rotation.max-key is not a configuration property (set in"
                        + " commandLineArgs); did you mean issuer.rotation.max-keys?", "--issuer.rotation.max-key=5"),
                service("unknown algorithm", "issuer.rotation.algorithm: unknown key algorithm 'DSA-1024'; use one of RSA-2048,"
                        + " RSA-3072, RSA-4096, EC-P256, EC-P384, EC-P521 (or RS256, ES256, ES384, ES512)",
                        "--issuer.rotation.algorithm=DSA-1024"),
                service("unknown JWKS content type", "issuer.http.jwks-content-type must be one of [application/jwk-set+json,"
                        + " application/json] (got 'text/plain')", "--issuer.http.jwks-content-type=text/plain"),
                service("request-read-timeout under 1s", "issuer.http.request-read-timeout must be at least 1s (got"
                        + " PT0.5S)", "--issuer.http.request-read-timeout=500ms"),
                service("no connections allowed", "issuer.http.max-connections must be at least 1 (got 0)",
                        "--issuer.http.max-connections=0"),
                service("per-client cap over the total", "issuer.http.max-connections-per-client must be between 1 and"
                        + " issuer.http.max-connections (10); got 20", "--issuer.http.max-connections=10",
                        "--issuer.http.max-connections-per-client=20"),
                // ports
                service("server.port not a number", "server.port 'abc' is not a port number (0 to 65535)", "--server.port=abc"),
                service("server.port out of range", "server.port '70000' is not a port number (0 to 65535)", "--server.port=70000"),
                service("server.port in use", "server.port {port:busy} is already in use (Address already in use)",
                        "--server.port={port:busy}"),
                service("server.port equal to the management port", "server.port {port:shared} is already in use"
                        + " (Address already in use)", "--server.port={port:shared}", "--management.server.port={port:shared}"),
                // the signer: socket path, mode, group, and what it needs from the rest
                service("socket path over 107 bytes", "issuer.signer.socket {work}/run/" + "s".repeat(110) + ".sock is "
                        + "{socket-bytes} bytes long; a Unix socket path holds at most 107, so kube-apiserver could not"
                        + " connect to it", "--issuer.signer.socket=run/" + "s".repeat(110) + ".sock"),
                service("socket directory is a file", "cannot create the directory of issuer.signer.socket"
                        + " {work}/not-a-directory/signer.sock: {work}/not-a-directory exists and is not a directory",
                        "--issuer.signer.socket=not-a-directory/signer.sock"),
                service("socket path is a regular file", "issuer.signer.socket {work}/not-a-directory exists and is not a socket",
                        "--issuer.signer.socket=not-a-directory"),
                service("abstract socket", "issuer.signer.socket '@issuer' is an abstract socket, which has no file"
                        + " permissions: any local process could ask it to sign tokens", "--issuer.signer.socket=@issuer"),
                service("socket mode 0777", "issuer.signer.socket-mode 0777 gives every local user access to the signer,"
                        + " so any of them could mint service-account tokens", SIGNER, "--issuer.signer.socket-mode=0777"),
                service("socket mode 0606", "issuer.signer.socket-mode 0606 gives every local user access to the signer,"
                        + " so any of them could mint service-account tokens", SIGNER, "--issuer.signer.socket-mode=0606"),
                service("socket mode not octal", "issuer.signer.socket-mode 'abc' is not an octal file mode",
                        SIGNER, "--issuer.signer.socket-mode=abc"),
                service("socket mode out of range", "issuer.signer.socket-mode '01777' is out of range",
                        SIGNER, "--issuer.signer.socket-mode=01777"),
                service("socket group that does not exist", "issuer.signer.socket-group 'no-such-group-x' does not exist",
                        SIGNER, "--issuer.signer.socket-group=no-such-group-x"),
                service("zero refresh hint", "issuer.signer.refresh-hint must be at least 1s (got PT0S)",
                        SIGNER, "--issuer.signer.refresh-hint=0s"),
                service("token lifetime under 600 s with the signer", "issuer.tokens.max-lifetime is PT5M; with the external"
                        + " signer it must be at least 600 s, or kube-apiserver refuses to start",
                        SIGNER, "--issuer.rotation.retention=48h", "--issuer.tokens.max-lifetime=5m"),
                service("signer and key files together", "issuer.signer.socket and issuer.key-files.directory are both set;"
                        + " kube-apiserver accepts either --service-account-signing-endpoint or the key-file flags, never both",
                        SIGNER, "--issuer.key-files.directory=pki"),
                service("socket directory every user can write", "the directory of issuer.signer.socket {work}/loose is"
                        + " writable by its group and every user (mode 0777, owner {user}): they could replace the files in it",
                        "--issuer.signer.socket=loose/signer.sock"),
                service("socket directory its group can write, with a socket group", "the directory of issuer.signer.socket"
                        + " {work}/group-writable is writable by its group (mode 0770, owner {user}): they could replace the"
                        + " files in it", "--issuer.signer.socket=group-writable/signer.sock",
                        "--issuer.signer.socket-mode=0660", "--issuer.signer.socket-group=daemon"),
                service("socket below a directory every user can write", "{work}/loose, a directory above the directory of"
                        + " issuer.signer.socket {work}/loose/inner, is writable by its group and every user without the"
                        + " sticky bit (mode 0777, owner {user}): they could move inner away and put their own in its place",
                        "--issuer.signer.socket=loose/inner/signer.sock"),
                service("publish-ahead under the refresh hint", "issuer.rotation.publish-ahead (PT24H) must be at least"
                        + " issuer.signer.refresh-hint (PT48H): kube-apiserver refreshes its key cache that often, and must"
                        + " know a key before it signs", SIGNER, "--issuer.signer.refresh-hint=2d"),
                // stores, files and mirrors
                service("key store directory is a file", "key store {work}/not-a-directory: cannot read keyset.json:"
                        + " {work}/not-a-directory/keyset.json: Not a directory", "--issuer.keys.directory=not-a-directory"),
                service("key store directory every user can write", LOOSE_STORE, "--issuer.keys.directory=loose"),
                service("key store below a directory every user can write", LOOSE_PARENT,
                        "--issuer.keys.directory=loose/inner"),
                service("key-files directory its group can write", "key-files directory {work}/group-writable is writable"
                        + " by its group (mode 0770, owner {user}): they could replace the files in it",
                        "--issuer.key-files.directory=group-writable"),
                service("publisher keys file missing", "{work}/missing.pem: cannot read: no such file",
                        "--issuer.publisher.keys-file=missing.pem"),
                service("publisher keys file with an Ed25519 key", "{pem}/ed25519.spki.pem: block 1 (PUBLIC KEY): " + ED25519,
                        "--issuer.publisher.keys-file={pem}/ed25519.spki.pem"),
                service("mirror base URL not http", "issuer.mirror.filesystem.public-base-url 'ftp://x' is not an http(s) URL",
                        "--issuer.mirror.filesystem.public-base-url=ftp://x"),
                service("Azure prefix without a trailing slash", "issuer.mirror.azure.prefix 'cluster-a' must end with"
                        + " '/': blob names are the prefix followed by the document path, so it would publish"
                        + " cluster-aopenid/v1/jwks", AZURE, AZURE_PUBLIC, "--issuer.mirror.azure.prefix=cluster-a"),
                service("Azure connection string that is not one", "issuer.mirror.azure.connection-string is not a valid"
                        + " Azure Storage connection string", "--issuer.mirror.azure.connection-string=abc", AZURE_PUBLIC),
                service("S3 settings without a bucket", "issuer.mirror.s3.bucket is not set, but other issuer.mirror.s3"
                        + " settings are: the S3 mirror needs a bucket", S3_REGION, S3_PUBLIC),
                service("S3 bucket given as a URL", "issuer.mirror.s3.bucket 's3://oidc' is not a valid S3 bucket name",
                        "--issuer.mirror.s3.bucket=s3://oidc", S3_REGION, S3_PUBLIC),
                service("S3 bucket without a region", "issuer.mirror.s3.region is not set: requests to bucket oidc are"
                        + " signed for its region", S3_BUCKET, S3_PUBLIC),
                service("S3 region that is not one", "issuer.mirror.s3.region 'EU (London)' is not a region name",
                        S3_BUCKET, "--issuer.mirror.s3.region=EU (London)", S3_PUBLIC),
                service("S3 endpoint with credentials in it", "issuer.mirror.s3.endpoint '(URL with credentials)' is not an"
                        + " http(s) URL without credentials", S3_BUCKET, S3_REGION, S3_PUBLIC,
                        "--issuer.mirror.s3.endpoint=https://minio:" + SECRET + "@minio.example.com:9000"),
                service("S3 prefix without a trailing slash", "issuer.mirror.s3.prefix 'cluster-a' must end with '/':"
                        + " object names are the prefix followed by the document path, so it would publish"
                        + " cluster-aopenid/v1/jwks", S3_BUCKET, S3_REGION, S3_PUBLIC, "--issuer.mirror.s3.prefix=cluster-a"),
                service("S3 prefix starting with a slash", "issuer.mirror.s3.prefix '/cluster-a/' must not start with '/':"
                        + " object names are the prefix followed by the document path, so it would publish"
                        + " /cluster-a/openid/v1/jwks", S3_BUCKET, S3_REGION, S3_PUBLIC, "--issuer.mirror.s3.prefix=/cluster-a/"),
                service("S3 without a public base URL", "issuer.mirror.s3.public-base-url is not set; the mirror must know"
                        + " where anonymous readers (AWS STS) fetch the documents to verify them", S3_BUCKET, S3_REGION),
                service("S3 public base URL over http", "issuer.mirror.s3.public-base-url"
                        + " 'http://oidc.s3.eu-west-2.amazonaws.com/' is not https: AWS STS fetches the documents over"
                        + " https only", S3_BUCKET, S3_REGION,
                        "--issuer.mirror.s3.public-base-url=http://oidc.s3.eu-west-2.amazonaws.com/"),
                // issuer URL moves (docs/issuer-migration.md)
                service("additional issuer equal to issuer.url", "issuer.additional-urls: additional issuer"
                        + " 'https://oidc.example.com' is the signing issuer itself; list only the other issuers"
                        + " kube-apiserver accepts (its further --service-account-issuer flags)",
                        "--issuer.additional-urls=https://oidc.example.com"),
                service("additional issuer listed twice", "issuer.additional-urls: additional issuer"
                        + " 'https://new.example.com' is listed twice",
                        "--issuer.additional-urls=https://new.example.com,https://new.example.com"),
                service("two issuers the public port cannot tell apart", "issuer.additional-urls: issuers"
                        + " 'https://oidc.example.com' and 'https://oidc.example.com/' cannot be told apart: a relying party"
                        + " fetches both discovery documents from host oidc.example.com at /.well-known/openid-configuration"
                        + " (they differ only in scheme, port, the case of the host or a trailing slash), and one location"
                        + " can serve only one issuer; publish the new issuer under another host or path",
                        "--issuer.additional-urls=https://oidc.example.com/"),
                service("two additional issuers on one host and path", "issuer.additional-urls: issuers"
                        + " 'https://new.example.com/c' and 'https://new.example.com:8443/c' cannot be told apart: a relying"
                        + " party fetches both discovery documents from host new.example.com at"
                        + " /c/.well-known/openid-configuration (they differ only in scheme, port, the case of the host or a"
                        + " trailing slash), and one location can serve only one issuer; publish the new issuer under another"
                        + " host or path", "--issuer.additional-urls=https://new.example.com/c,https://new.example.com:8443/c"),
                service("mirror for an issuer that is not configured", "issuer.mirror.filesystem.issuer"
                        + " 'https://new.example.com' is neither issuer.url nor one of issuer.additional-urls"
                        + " [https://oidc.example.com]", "--issuer.mirror.filesystem.issuer=https://new.example.com"),
                service("additional Azure container without credentials", "issuer.mirror.additional-azure[0] has"
                        + " neither connection-string nor endpoint", "--issuer.additional-urls=https://new.example.com",
                        "--issuer.mirror.additional-azure[0].container=oidc"),
                service("unknown key store", "issuer.keys.store must be one of [directory, etcd] (got 'zookeeper')",
                        "--issuer.keys.store=zookeeper"),
                service("unknown key custody", "issuer.keys.custody must be one of [files, pkcs11] (got 'vault')",
                        "--issuer.keys.custody=vault"),
                service("etcd without endpoints", "issuer.keys.store=etcd needs issuer.keys.etcd.endpoints", ETCD),
                service("etcd without a key-encryption key", "issuer.keys.store=etcd needs issuer.keys.encryption-key-file:"
                        + " private keys are sealed with it before they reach etcd", ETCD, ENDPOINT),
                service("etcd endpoint without a scheme", "issuer.keys.etcd: etcd endpoint 'etcd-1:2379' must look like"
                        + " https://10.0.0.1:2379", ETCD, "--issuer.keys.etcd.endpoints=etcd-1:2379", KEK),
                service("missing key-encryption key", "issuer.keys.encryption-key-file: {work}/missing.kek does not exist."
                        + " Create one with: (umask 077; openssl rand -base64 32 > FILE), and give every replica the same file",
                        ETCD, ENDPOINT, "--issuer.keys.encryption-key-file={work}/missing.kek"),
                service("etcd endpoint with a password in it", "issuer.keys.etcd: " + ETCD_PASSWORD_URL, ETCD,
                        "--issuer.keys.etcd.endpoints=https://user:" + SECRET + "@127.0.0.1:2379", KEK),
                service("key-encryption key its group can read", "issuer.keys.encryption-key-file: {work}/kek-group has mode"
                        + " 0640 (rw-r-----); " + KEK_MODE, ETCD, ENDPOINT, "--issuer.keys.encryption-key-file={work}/kek-group"),
                service("etcd lease under 2 s", "issuer.keys.etcd.lease-ttl is PT1S; it must be at least 2s and at least"
                        + " twice issuer.keys.etcd.timeout (PT2S)", ETCD, ENDPOINT, KEK, "--issuer.keys.etcd.lease-ttl=1s"),
                service("etcd client certificate without its key", "issuer.keys.etcd: the etcd client certificate and its"
                        + " key go together; set both or neither", ETCD, ENDPOINT, KEK, "--issuer.keys.etcd.cert-file=c.pem"),
                service("etcd with publisher mode", "issuer.publisher.keys-file (publisher mode) cannot be combined with"
                        + " issuer.keys.store=etcd", ETCD, ENDPOINT, KEK, "--issuer.publisher.keys-file=sa.pub"),
                // issuer.keys.custody=pkcs11 (the token cases, which need a SoftHSM2 token, are tokensTheServiceRefuses)
                service("pkcs11 without a module", "issuer.keys.custody=pkcs11 needs issuer.keys.pkcs11.library (the"
                        + " token's PKCS#11 module, e.g. /usr/lib/softhsm/libsofthsm2.so)", PKCS11,
                        "--issuer.keys.pkcs11.token-label=issuer", "--issuer.keys.pkcs11.pin-file={work}/kek"),
                service("pkcs11 without a pin file", "issuer.keys.custody=pkcs11 needs issuer.keys.pkcs11.pin-file (a 0600"
                        + " or 0400 file holding the token's user PIN)", PKCS11, PKCS11_MODULE, "--issuer.keys.pkcs11.token-label=issuer"),
                service("pkcs11 with both a label and a slot", "set exactly one of issuer.keys.pkcs11.token-label and"
                        + " issuer.keys.pkcs11.slot", PKCS11, PKCS11_MODULE, "--issuer.keys.pkcs11.pin-file={work}/kek",
                        "--issuer.keys.pkcs11.token-label=issuer", "--issuer.keys.pkcs11.slot=0"),
                service("pkcs11 with a module that does not exist", "PKCS#11 module {work}/no-such-module.so does not exist",
                        PKCS11, "--issuer.keys.pkcs11.library={work}/no-such-module.so",
                        "--issuer.keys.pkcs11.token-label=issuer", "--issuer.keys.pkcs11.pin-file={work}/kek"),
                service("pkcs11 with kube-apiserver key files", "issuer.keys.custody=pkcs11 cannot be combined with"
                        + " issuer.key-files.directory: kube-apiserver would need the private key in sa.key, and it never"
                        + " leaves the token. Let kube-apiserver sign through issuer.signer.socket instead", PKCS11,
                        PKCS11_MODULE, "--issuer.keys.pkcs11.token-label=issuer", "--issuer.keys.pkcs11.pin-file={work}/kek",
                        "--issuer.key-files.directory={work}/pki"),
                service("pkcs11 with etcd and a token per replica", "issuer.keys.custody=pkcs11 with issuer.keys.store=etcd"
                        + " needs one token every replica reaches (a network or cloud HSM); replicas with a local token each"
                        + " cannot share a signing key. If yours is shared, set issuer.keys.pkcs11.shared-token=true",
                        ETCD, ENDPOINT, KEK, PKCS11, PKCS11_MODULE, "--issuer.keys.pkcs11.token-label=issuer",
                        "--issuer.keys.pkcs11.pin-file={work}/kek"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("serviceCases")
    void configurationTheServiceRefuses(ServiceCase c) throws Exception {
        try (ServerSocket busy = new ServerSocket(0)) {
            Map<String, Integer> ports = Map.of("busy", busy.getLocalPort(), "shared", TestData.freePort());
            List<String> args = new ArrayList<>();
            if (c.args().stream().noneMatch(a -> a.startsWith("--server.port="))) {
                args.add("--server.port=" + TestData.freePort());
            }
            if (c.args().stream().noneMatch(a -> a.startsWith("--management.server.port="))) {
                args.add("--management.server.port=" + TestData.freePort());
            }
            if (c.args().stream().noneMatch(a -> a.startsWith("--issuer.url="))) {
                args.add("--issuer.url=https://oidc.example.com");
            }
            c.args().forEach(a -> args.add(fill(a, ports)));
            var r = JarProcess.run(work, args.toArray(String[]::new));
            assertThat(r.exitCode()).as(r.output()).isNotZero();
            assertThat(r.output()).doesNotContain(SECRET);
            String socketBytes = Integer.toString(work.resolve("run/" + "s".repeat(110) + ".sock").toString().length());
            assertThat(description(r.output())).isEqualTo(fill(c.description(), ports).replace("{socket-bytes}", socketBytes));
            // The report alone: no stack trace, no context warning repeating it before.
            assertThat(r.output()).doesNotContain("\tat ").doesNotContain("Exception encountered during context initialization");
        }
        before.assertUnchanged();
    }

    /** A token-side start error: the PIN file given, and Boot's description verbatim ({pin-file}: its path). */
    record TokenCase(String name, String description, String tokenLabel, String pin, String pinFileMode) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static final String TOKEN_PIN = "8642-user";

    static List<TokenCase> tokenCases() {
        return List.of(
                new TokenCase("pkcs11 with a wrong PIN", "pkcs11 token 'issuer' refused the PIN in {pin-file}"
                        + " (CKR_PIN_INCORRECT)", "issuer", "1357-wrong", "rw-------"),
                new TokenCase("pkcs11 with an unknown token", "PKCS#11 module " + SoftHsm.MODULE + " has no token 'other';"
                        + " it shows 'issuer'", "other", TOKEN_PIN, "rw-------"),
                new TokenCase("pkcs11 pin file readable by others", "pin-file {pin-file} has mode rw-r--r--; it must be 0600"
                        + " or 0400 (readable by its owner only)", "issuer", TOKEN_PIN, "rw-r--r--"));
    }

    @TempDir
    Path hsmDir;

    /** Against a real SoftHSM2 token: the start fails naming the cause, never the PIN, and nothing is created. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("tokenCases")
    void tokensTheServiceRefuses(TokenCase c) throws Exception {
        SoftHsm hsm = SoftHsm.create(hsmDir);
        hsm.initToken("issuer", TOKEN_PIN);
        Path pinFile = hsmDir.resolve("given.pin");
        Files.createFile(pinFile, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(c.pinFileMode())));
        Files.writeString(pinFile, c.pin() + "\n");
        var r = JarProcess.run(work, hsm.environment(), "--server.port=" + TestData.freePort(),
                "--management.server.port=" + TestData.freePort(), "--issuer.url=https://oidc.example.com", PKCS11,
                PKCS11_MODULE, "--issuer.keys.pkcs11.token-label=" + c.tokenLabel(), "--issuer.keys.pkcs11.pin-file=" + pinFile);
        assertThat(r.exitCode()).as(r.output()).isNotZero();
        assertThat(r.output()).doesNotContain(TOKEN_PIN).doesNotContain(c.pin());
        assertThat(description(r.output())).isEqualTo(c.description().replace("{pin-file}", pinFile.toString()));
        assertThat(r.output()).doesNotContain("\tat ");
        assertThat(hsm.privateKeys("issuer", TOKEN_PIN)).isEmpty();
        before.assertUnchanged();
    }

    private static final String SWITCH = "key store {dir} was written with custody {from} but issuer.keys.custody is {to};"
            + " a key store cannot switch custody: keep issuer.keys.custody={from} for this store, or start custody {to}"
            + " with a new, empty key store";

    /**
     * A store keeps the custody that wrote it: files keys opened with pkcs11 (which would sign with objects the token
     * does not hold and delete the private keys at the next commit), and a pkcs11 store opened with files (which finds
     * no private keys), are refused by the service and the CLI, naming both custodies; no file and no token changes.
     */
    @org.junit.jupiter.api.Test
    void aKeyStoreCannotSwitchCustody() throws Exception {
        SoftHsm hsm = SoftHsm.create(hsmDir);
        Path pin = hsm.initToken("issuer", TOKEN_PIN);
        String[] token = {"--pkcs11-library", SoftHsm.MODULE.toString(), "--pkcs11-token-label", "issuer",
                "--pkcs11-pin-file", pin.toString()};
        // A pkcs11 store next to the files store (data/keys, holding kubeadm-sa.key): the kubeadm key put on the token.
        List<String> importArgs = new ArrayList<>(List.of("keys", "import", "--keys-dir", "pk", "--custody", "pkcs11"));
        importArgs.addAll(List.of(token));
        importArgs.add(TestData.pem("kubeadm-sa.key").toString());
        var imported = JarProcess.run(work, hsm.environment(), importArgs.toArray(String[]::new));
        assertThat(imported.exitCode()).as(imported.output()).isZero();
        assertThat(hsm.privateKeys("issuer", TOKEN_PIN)).hasSize(1);
        before = FileSnapshot.of(work);
        String filesToPkcs11 = SWITCH.replace("{dir}", work.resolve("data/keys").toString()).replace("{from}", "files")
                .replace("{to}", "pkcs11") + " and `keys import` the keys into it";
        String pkcs11ToFiles = SWITCH.replace("{dir}", work.resolve("pk").toString()).replace("{from}", "pkcs11")
                .replace("{to}", "files");

        var start = JarProcess.run(work, hsm.environment(), "--server.port=" + TestData.freePort(),
                "--management.server.port=" + TestData.freePort(), "--issuer.url=https://oidc.example.com", PKCS11,
                PKCS11_MODULE, "--issuer.keys.pkcs11.token-label=issuer", "--issuer.keys.pkcs11.pin-file=" + pin);
        assertThat(start.exitCode()).as(start.output()).isNotZero();
        assertThat(description(start.output())).isEqualTo(filesToPkcs11);
        List<String> rotate = new ArrayList<>(List.of("keys", "rotate", "--keys-dir", "data/keys", "--custody", "pkcs11"));
        rotate.addAll(List.of(token));
        var cli = JarProcess.run(work, hsm.environment(), rotate.toArray(String[]::new));
        assertThat(cli.exitCode()).as(cli.output()).isEqualTo(1);
        assertThat(cli.output()).contains("error: " + filesToPkcs11 + "\nnothing was changed\n");

        start = JarProcess.run(work, "--server.port=" + TestData.freePort(), "--management.server.port="
                + TestData.freePort(), "--issuer.url=https://oidc.example.com", "--issuer.keys.directory=pk");
        assertThat(start.exitCode()).as(start.output()).isNotZero();
        assertThat(description(start.output())).isEqualTo(pkcs11ToFiles);
        cli = JarProcess.run(work, "keys", "rotate", "--keys-dir", "pk");
        assertThat(cli.exitCode()).as(cli.output()).isEqualTo(1);
        assertThat(cli.output()).contains("error: " + pkcs11ToFiles + "\nnothing was changed\n");

        assertThat(start.output() + cli.output()).doesNotContain(TOKEN_PIN).doesNotContain("\tat ");
        assertThat(hsm.privateKeys("issuer", TOKEN_PIN)).hasSize(1);
        before.assertUnchanged();
    }

    /**
     * application.properties next to the jar is read whatever the working directory (systemd starts services
     * in /): a misspelled name in it is refused, naming the file.
     */
    @org.junit.jupiter.api.Test
    void aFileNextToTheJarIsReadFromAnyWorkingDirectory() throws Exception {
        Path opt = Files.createDirectories(work.resolve("opt"));
        Path jar = Files.copy(JarProcess.jar(), opt.resolve("issuer-service.jar"));
        Files.writeString(opt.resolve("application.properties"), "issuer.url=https://oidc.example.com\n"
                + "issuer.rotation.perod=7d\n");
        var r = JarProcess.runJar(jar, Files.createDirectories(work.resolve("elsewhere")),
                "--server.port=" + TestData.freePort(), "--management.server.port=" + TestData.freePort());
        assertThat(r.exitCode()).as(r.output()).isNotZero();
        assertThat(description(r.output())).isEqualTo("issuer.rotation.perod is not a configuration property (set in"
                + " Config resource 'file [" + opt.toRealPath() + "/application.properties]' via location 'optional:file:"
                + opt.toRealPath() + "/'); did you mean issuer.rotation.period?");
        Files.delete(jar);
        Files.delete(opt.resolve("application.properties"));
        Files.delete(opt);
        Files.delete(work.resolve("elsewhere"));
    }

    /** The "Description:" part of Boot's "APPLICATION FAILED TO START" report. */
    private static String description(String output) {
        assertThat(output).contains("APPLICATION FAILED TO START");
        int from = output.indexOf("\nDescription:\n");
        int to = output.indexOf("\nAction:\n", from);
        assertThat(from).as(output).isNotNegative();
        assertThat(to).as(output).isPositive();
        return output.substring(from + "\nDescription:\n".length(), to).strip();
    }
}
