package io.kubeoidc.service.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.util.JSONObjectUtils;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `keys status` and `keys list` through the real jar, on stores with a known history: the JSON is read by Python's
 * json module and checked against the documented schema (docs/keys-status.schema.json) by the jsonschema library,
 * and its values against what openssl computes from the key files and what keyset.json records.
 */
class KeysStatusIT {
    private static final Path SCHEMA = Path.of("../docs/keys-status.schema.json");

    /**
     * Validates argv[1] against the schema in argv[2] (refusing duplicate members, which json.load would hide), then
     * flattens it to tab-separated lines: doc, one key line per key, one milestone line per key and step.
     */
    private static final String FLATTEN = String.join("\n",
            "import json, sys",
            "from jsonschema import Draft202012Validator",
            "def unique(pairs):",
            "    names = [n for n, _ in pairs]",
            "    if len(names) != len(set(names)): sys.exit('duplicate members: %s' % names)",
            "    return dict(pairs)",
            "doc = json.load(open(sys.argv[1]), object_pairs_hook=unique)",
            "schema = json.load(open(sys.argv[2]))",
            "Draft202012Validator.check_schema(schema)",
            "errors = list(Draft202012Validator(schema).iter_errors(doc))",
            "for e in errors: print('invalid', '/'.join(map(str, e.absolute_path)), e.message, sep='\\t')",
            "if errors: sys.exit(1)",
            "v = lambda x: '-' if x is None else str(x)",
            "s, p = doc['store'], doc['policy']",
            "print('doc', doc['schemaVersion'], doc['generatedAt'], s['kind'], s['location'], s['revision'],"
                    + " v(s['keysChangedAt']), p['source'], p['period'], p['publishAhead'], p['retention'], sep='\\t')",
            "for k in doc['keys']:",
            "    c, g, n = k['custody'] or {}, k['gate'], k['next'] or {}",
            "    print('key', k['kid'], k['algorithm'], k['state'], k['since'], k['created'], v(c.get('kind')),"
                    + " v(c.get('location')), v(g['confirmedAt']), v(n.get('state')), v(n.get('at')), v(n.get('when')),"
                    + " v(n.get('gate')), sep='\\t')",
            "    for name in ('published', 'active', 'retired', 'removed'):",
            "        m = k['timeline'][name]",
            "        print('milestone', k['kid'], name, m['when'], v(m['at']), v(m['gate']), sep='\\t')");

    @TempDir
    Path work;

    /** The document as Python read it. */
    record Flat(String[] doc, Map<String, String[]> keys, Map<String, String[]> milestones) {
        String[] milestone(String kid, String name) {
            return milestones.get(kid + " " + name);
        }
    }

    private Flat flatten(String json) throws Exception {
        Path file = work.resolve("status-" + System.nanoTime() + ".json");
        Files.writeString(file, json);
        Process py = new ProcessBuilder("/usr/bin/python3", "-c", FLATTEN, file.toString(), SCHEMA.toAbsolutePath().toString())
                .redirectErrorStream(true).start();
        String out = new String(py.getInputStream().readAllBytes());
        assertThat(py.waitFor()).as("python3 and jsonschema on:\n%s\n%s", json, out).isZero();
        String[] doc = null;
        Map<String, String[]> keys = new LinkedHashMap<>();
        Map<String, String[]> milestones = new LinkedHashMap<>();
        for (String line : out.split("\n")) {
            String[] f = line.split("\t", -1);
            switch (f[0]) {
                case "doc" -> doc = f;
                case "key" -> keys.put(f[1], f);
                case "milestone" -> milestones.put(f[1] + " " + f[2], f);
                default -> throw new AssertionError("unexpected line from python: " + line);
            }
        }
        return new Flat(doc, keys, milestones);
    }

    private static Map<String, Map<String, Object>> keysetEntries(Path keysDir) throws Exception {
        Map<String, Map<String, Object>> byKid = new LinkedHashMap<>();
        for (Map<String, Object> e : JSONObjectUtils.getJSONObjectArray(keyset(keysDir), "keys")) {
            byKid.put((String) e.get("kid"), e);
        }
        return byKid;
    }

    private static Map<String, Object> keyset(Path keysDir) throws Exception {
        return JSONObjectUtils.parse(Files.readString(keysDir.resolve("keyset.json")));
    }

    private static void ok(JarProcess.Result r) {
        assertThat(r.exitCode()).as(r.output()).isZero();
    }

    /** A store and its kids, each as openssl computes it from the key files. */
    record Rotated(Path keys, String active, String verifyOnly, String next) {}

    /** sa.key imported ACTIVE, a public key imported VERIFY_ONLY with a removal date, then `keys rotate`. */
    private Rotated importAndRotate() throws Exception {
        ok(JarProcess.run(work, "keys", "import", "--keys-dir", "data/keys", TestData.pem("kubeadm-sa.key").toString()));
        ok(JarProcess.run(work, "keys", "import", "--verify-only", "--remove-after", "7d", "--keys-dir", "data/keys",
                TestData.pem("ec-p256.spki.pem").toString()));
        ok(JarProcess.run(work, "keys", "rotate", "--keys-dir", "data/keys", "--reason", "drill"));
        Path keys = work.resolve("data/keys").toAbsolutePath();
        String active = TestData.opensslKid(TestData.pem("kubeadm-sa.key"), false);
        String verifyOnly = TestData.opensslKid(TestData.pem("ec-p256.spki.pem"), true);
        return new Rotated(keys, active, verifyOnly, generatedKid(keys, active, verifyOnly));
    }

    /** The kid of the key `keys rotate` generated: the one .pub file in the store that is neither import. */
    private static String generatedKid(Path keysDir, String... imported) throws Exception {
        try (Stream<Path> files = Files.list(keysDir)) {
            List<Path> pubs = files.filter(p -> p.toString().endsWith(".pub")).toList();
            List<String> kids = new ArrayList<>();
            for (Path p : pubs) {
                kids.add(TestData.opensslKid(p, true));
            }
            kids.removeAll(List.of(imported));
            assertThat(kids).hasSize(1);
            return kids.get(0);
        }
    }

    @Test
    void jsonOfImportedAndRotatedKeysMatchesOpensslAndTheKeySet() throws Exception {
        Rotated store = importAndRotate();
        Path keys = store.keys();
        String active = store.active();
        String verifyOnly = store.verifyOnly();
        String next = store.next();
        // The generated key's private half is where the document says, and is the same key.
        assertThat(TestData.opensslKid(keys.resolve(next + ".key"), false)).isEqualTo(next);

        var r = JarProcess.runSeparated(work, "keys", "status", "--keys-dir", "data/keys", "--output", "json");
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(r.stderr()).isEmpty();
        Flat flat = flatten(r.stdout());
        Map<String, Object> keyset = keyset(keys);
        Map<String, Map<String, Object>> stored = keysetEntries(keys);

        assertThat(flat.doc()).containsExactly("doc", "1", flat.doc()[2], "directory", keys.toString(),
                String.valueOf(keyset.get("revision")), (String) keyset.get("keysChangedAt"), "defaults", "PT720H", "PT24H",
                "PT48H");
        assertThat(flat.keys().keySet()).as("publication order").containsExactly(active, verifyOnly, next);
        for (String kid : List.of(active, verifyOnly, next)) {
            String[] k = flat.keys().get(kid);
            assertThat(k[4]).as("since of %s", kid).isEqualTo(stored.get(kid).get("since"));
            assertThat(k[5]).as("created of %s", kid).isEqualTo(stored.get(kid).get("created"));
            assertThat(k[3]).as("state of %s", kid).isEqualTo(stored.get(kid).get("state"));
            assertThat(flat.milestone(kid, "published")).containsExactly("milestone", kid, "published", "done",
                    (String) stored.get(kid).get("created"), "-");
        }
        Instant generated = Instant.parse(flat.doc()[2]);
        // Unconfirmed, the NEXT key could sign at the earliest publish-ahead (24 h) after a confirmation right now;
        // the ACTIVE key retires at that instant and is removed retention (48 h) later.
        String activation = generated.plus(Duration.ofHours(24)).toString();
        assertThat(flat.keys().get(active)).containsExactly("key", active, "RS256", "ACTIVE", flat.keys().get(active)[4],
                flat.keys().get(active)[5], "files", keys.resolve(active + ".key").toString(), "-", "RETIRED", activation,
                "estimated", "publication confirmed by all targets");
        assertThat(flat.milestone(active, "active")[3]).isEqualTo("done");
        assertThat(flat.milestone(active, "active")[4]).isEqualTo(stored.get(active).get("since"));
        assertThat(flat.milestone(active, "removed")).containsExactly("milestone", active, "removed", "estimated",
                generated.plus(Duration.ofHours(72)).toString(), "retention elapsed");

        assertThat(flat.keys().get(verifyOnly)).containsExactly("key", verifyOnly, "ES256", "VERIFY_ONLY",
                flat.keys().get(verifyOnly)[4], flat.keys().get(verifyOnly)[5], "-", "-", "-", "REMOVED",
                (String) stored.get(verifyOnly).get("removeAt"), "scheduled", "configured removal time");
        assertThat(Duration.between(Instant.parse((String) stored.get(verifyOnly).get("created")),
                Instant.parse((String) stored.get(verifyOnly).get("removeAt")))).isEqualTo(Duration.ofDays(7));
        assertThat(flat.milestone(verifyOnly, "active")).containsExactly("milestone", verifyOnly, "active", "never", "-", "-");
        assertThat(flat.milestone(verifyOnly, "retired")).containsExactly("milestone", verifyOnly, "retired", "never", "-", "-");

        assertThat(flat.keys().get(next)).containsExactly("key", next, "RS256", "NEXT", flat.keys().get(next)[4],
                flat.keys().get(next)[5], "files", keys.resolve(next + ".key").toString(), "-", "ACTIVE", activation,
                "estimated", "publication confirmed by all targets");
        assertThat(flat.milestone(next, "retired")).containsExactly("milestone", next, "retired", "estimated",
                generated.plus(Duration.ofHours(24)).plus(Duration.ofDays(30)).toString(), "period elapsed");

        // `keys list --output json` prints the same document.
        var list = JarProcess.runSeparated(work, "keys", "list", "--keys-dir", "data/keys", "--output=json");
        assertThat(list.exitCode()).as(list.stderr()).isZero();
        Flat listed = flatten(list.stdout());
        assertThat(listed.keys().keySet()).containsExactly(active, verifyOnly, next);
        assertThat(listed.keys().get(verifyOnly)).isEqualTo(flat.keys().get(verifyOnly));
    }

    @Test
    void jsonOfAnEmptyStoreListsNoKeys() throws Exception {
        Files.createDirectories(work.resolve("data/keys"));
        var r = JarProcess.runSeparated(work, "keys", "status", "--keys-dir", "data/keys", "--output", "json");
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        Flat flat = flatten(r.stdout());
        assertThat(flat.keys()).isEmpty();
        assertThat(flat.doc()[5]).as("revision").isEqualTo("0");
        assertThat(flat.doc()[6]).as("keysChangedAt").isEqualTo("-");
    }

    /** The human timeline: past times, estimates for what is ahead, every line within 100 columns. */
    @Test
    void textTimelineShowsWhereTheRotationStands() throws Exception {
        Rotated store = importAndRotate();
        Map<String, Map<String, Object>> stored = keysetEntries(store.keys());
        String active = store.active();
        String verifyOnly = store.verifyOnly();
        String next = store.next();
        DateTimeFormatter minute = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm").withZone(ZoneOffset.UTC);
        String published = minute.format(Instant.parse((String) stored.get(active).get("created")));

        var r = JarProcess.runSeparated(work, "keys", "status", "--keys-dir", "data/keys");
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        String out = r.stdout();
        assertThat(out.lines()).as(out).allSatisfy(line -> assertThat(line.length()).as(line).isLessThanOrEqualTo(100));
        assertThat(out).containsPattern("(?m)^KID\\s+STATE\\s+PUBLISHED\\s+ACTIVE\\s+RETIRED\\s+REMOVED$")
                .containsPattern("(?m)^" + active.substring(0, 8) + "\\s+ACTIVE\\s+" + published + "\\s+" + published
                        + "\\s+~ in 1 d\\s+~ in 3 d$")
                .containsPattern("(?m)^" + verifyOnly.substring(0, 8) + "\\s+VERIFY_ONLY\\s+\\S+ \\S+\\s+never\\s+never"
                        + "\\s+in 6 d 23 h$")
                .containsPattern("(?m)^" + next.substring(0, 8) + "\\s+NEXT\\s+\\S+ \\S+\\s+~ in 1 d\\s+~ in 31 d\\s+~ in 33 d$")
                .containsPattern("(?m)^" + next + "\\s+RS256\\s+NEXT since ")
                .contains("  next: ACTIVE ~ ").contains(", gate: publication confirmed by all targets")
                .contains("  confirmed by every publication target: not yet")
                .containsPattern("(?m)^" + verifyOnly + "\\s+ES256\\s+VERIFY_ONLY since ")
                .containsPattern("  next: REMOVED at " + stored.get(verifyOnly).get("removeAt").toString().substring(0, 19)
                        + "Z \\(in 6 d 23 h\\), gate: configured removal time")
                .contains("policy (defaults: the service has not run here): period 30 d, publish-ahead 1 d, retention 2 d,")
                .contains("store revision 3");
    }

    /**
     * A history the service itself made (20 s periods): the retired key's retirement is the instant its successor
     * activated, its removal retention later, and the policy is the one the service ran with.
     */
    @Test
    void jsonOfARotationTheServiceMade() throws Exception {
        int port = TestData.freePort();
        int mgmt = TestData.freePort();
        Path keys = work.resolve("data/keys").toAbsolutePath();
        try (JarProcess service = JarProcess.start(work, "--server.port=" + port, "--management.server.port=" + mgmt,
                "--issuer.url=https://oidc.example.com", "--issuer.rotation.period=20s",
                "--issuer.rotation.publish-ahead=8s", "--issuer.http.max-age=2s", "--issuer.tokens.max-lifetime=10s",
                "--issuer.rotation.retention=60s", "--issuer.rotation.check-interval=250ms").awaitReady(mgmt)) {
            long deadline = System.nanoTime() + Duration.ofSeconds(150).toNanos();
            while (!Files.readString(keys.resolve("keyset.json")).contains("\"RETIRED\"") && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
        }
        // Stopped: the store holds still while the CLI and the test read it.
        Map<String, Map<String, Object>> stored = keysetEntries(keys);
        var r = JarProcess.runSeparated(work, "keys", "status", "--output", "json");
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        Flat flat = flatten(r.stdout());
        assertThat(flat.doc()[7]).as("policy source").isEqualTo("service");
        assertThat(flat.doc()[8]).isEqualTo("PT20S");
        assertThat(flat.doc()[10]).isEqualTo("PT1M");
        // The newest RETIRED key (a slow machine may have seen a second rotation before the service stopped).
        List<String> retiredKids = stored.entrySet().stream().filter(e -> "RETIRED".equals(e.getValue().get("state")))
                .sorted(Map.Entry.comparingByValue(java.util.Comparator.comparing(e -> Instant.parse((String) e.get("since")))))
                .map(Map.Entry::getKey).toList();
        assertThat(retiredKids).as("RETIRED keys in %s", stored).isNotEmpty();
        String retired = retiredKids.get(retiredKids.size() - 1);
        String active = stored.entrySet().stream().filter(e -> "ACTIVE".equals(e.getValue().get("state")))
                .map(Map.Entry::getKey).findFirst().orElseThrow();
        String retiredAt = (String) stored.get(retired).get("since");
        assertThat(flat.keys().get(retired)[3]).isEqualTo("RETIRED");
        assertThat(flat.keys().get(retired)[6]).as("no private key after retirement").isEqualTo("-");
        assertThat(Files.exists(keys.resolve(retired + ".key"))).isFalse();
        assertThat(flat.milestone(retired, "retired")).containsExactly("milestone", retired, "retired", "done", retiredAt, "-");
        assertThat(flat.milestone(retired, "removed")).containsExactly("milestone", retired, "removed", "scheduled",
                Instant.parse(retiredAt).plus(Duration.ofSeconds(60)).toString(), "retention elapsed");
        if (retiredKids.size() == 1) {
            assertThat(flat.milestone(retired, "active")[3]).as("the first key: no predecessor to tell").isEqualTo("not-recorded");
        } else {
            // Its predecessor is still published: it retired at the instant this key activated.
            assertThat(flat.milestone(retired, "active")).containsExactly("milestone", retired, "active", "done",
                    (String) stored.get(retiredKids.get(retiredKids.size() - 2)).get("since"), "-");
        }
        // The planner retires the old key at the instant the new one activates.
        assertThat(flat.milestone(active, "active")).containsExactly("milestone", active, "active", "done", retiredAt, "-");
        assertThat(flat.keys().get(active)[8]).as("confirmedAt").isEqualTo(stored.get(active).get("confirmed"));
        assertThat(TestData.opensslKid(keys.resolve(active + ".key"), false)).isEqualTo(active);
        assertThat(TestData.opensslKid(keys.resolve(retired + ".pub"), true)).isEqualTo(retired);
    }
}
