package io.kubeoidc.service.cli;

import io.kubeoidc.keyset.KeySet;
import io.kubeoidc.keyset.ManagedKey;
import io.kubeoidc.rotation.KeyTimeline;
import io.kubeoidc.rotation.RotationPolicy;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import tools.jackson.core.util.DefaultIndenter;
import tools.jackson.core.util.DefaultPrettyPrinter;
import tools.jackson.core.util.Separators;
import tools.jackson.databind.ObjectWriter;
import tools.jackson.databind.json.JsonMapper;

/**
 * What `keys status --output json` and `keys list --output json` print: the schema documented in docs/keys.md
 * ("JSON output") and checked by docs/keys-status.schema.json. Every field is always present (null when it does
 * not apply); times are RFC 3339 in UTC as keyset.json holds them, durations ISO-8601 as policy.json holds them.
 * A change that removes or retypes a field raises {@link #SCHEMA_VERSION}; adding one does not.
 */
record KeysDocument(int schemaVersion, String generatedAt, Store store, Policy policy, List<Key> keys) {
    static final int SCHEMA_VERSION = 1;

    /** Two-space indents, `"name": value`, one array element per line: what jq and python -m json.tool print. */
    private static final ObjectWriter JSON = JsonMapper.builder().build().writer().with(new DefaultPrettyPrinter(
            Separators.createDefaultInstance().withObjectNameValueSpacing(Separators.Spacing.AFTER))
            .withArrayIndenter(new DefaultIndenter("  ", "\n")).withObjectIndenter(new DefaultIndenter("  ", "\n")));

    /** @param kind "directory" or "etcd" */
    record Store(String kind, String location, long revision, String keysChangedAt) {}

    /** @param source "service" (policy.json, as the service last ran) or "defaults" (the service has not run here) */
    record Policy(String source, String period, String publishAhead, String retention, String maxTokenLifetime,
                  String jwksMaxAge, String confirmationAllowance, String algorithm, int maxKeys) {}

    /** Where the private half lives; null for keys without one. @param kind "files" or "etcd" */
    record Custody(String kind, String location) {}

    /**
     * @param confirmedAt    when every publication target had confirmed it (NEXT keys activate publish-ahead later)
     * @param bypass         why it signs without a confirmation (first key, emergency), or null
     * @param signingRefusal for the ACTIVE key: why the service would refuse to sign with it, null when it signs
     */
    record Gate(String confirmedAt, String bypass, String signingRefusal) {}

    /** @param when done, not-recorded, scheduled, estimated, waiting or never */
    record Milestone(String when, String at, String gate) {}

    record Timeline(Milestone published, Milestone active, Milestone retired, Milestone removed) {}

    /** @param state the state it moves to: ACTIVE, RETIRED or REMOVED */
    record Next(String state, String at, String when, String gate) {}

    record Key(String kid, String algorithm, String size, String state, String since, String created, String origin,
               Custody custody, Gate gate, Next next, Timeline timeline) {}

    static KeysDocument of(KeySet set, Store store, RotationPolicy policy, boolean policyFromService,
                           Function<String, Custody> custody, Instant now) {
        List<Key> keys = KeyTimeline.of(set, policy, now).stream().map(t -> key(t, custody)).toList();
        return new KeysDocument(SCHEMA_VERSION, now.toString(), store, policy(policy, policyFromService), keys);
    }

    String toJson() {
        return JSON.writeValueAsString(this);
    }

    private static Policy policy(RotationPolicy p, boolean fromService) {
        return new Policy(fromService ? "service" : "defaults", iso(p.period()), iso(p.publishAhead()),
                iso(p.retention()), iso(p.maxTokenLifetime()), iso(p.jwksMaxAge()), iso(p.confirmationAllowance()),
                p.keySpec().label(), p.maxKeys());
    }

    private static Key key(KeyTimeline t, Function<String, Custody> custody) {
        ManagedKey k = t.key();
        Next next = t.next().map(n -> new Next(n.toName(), time(n.milestone().at()), when(n.milestone().when()),
                gate(n.milestone().gate()))).orElse(null);
        return new Key(k.kid(), k.key().algorithm().getName(), k.key().size(), k.state().name(), time(k.stateSince()),
                time(k.created()), k.origin(), k.hasPrivateKey() ? custody.apply(k.kid()) : null,
                new Gate(time(k.confirmedAt()), k.gateBypass(),
                        k.state() == io.kubeoidc.keyset.KeyState.ACTIVE ? k.signingRefusal().orElse(null) : null),
                next, new Timeline(milestone(t.published()), milestone(t.active()), milestone(t.retired()),
                        milestone(t.removed())));
    }

    private static Milestone milestone(KeyTimeline.Milestone m) {
        return new Milestone(when(m.when()), time(m.at()), gate(m.gate()));
    }

    /** NOT_RECORDED reads "not-recorded": lower-case words, as in the documented enumeration. */
    static String when(KeyTimeline.When w) {
        return w.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    private static String gate(KeyTimeline.Gate g) {
        return g == null ? null : g.text();
    }

    private static String time(Instant at) {
        return at == null ? null : at.toString();
    }

    private static String iso(Duration d) {
        return d.toString();
    }
}
