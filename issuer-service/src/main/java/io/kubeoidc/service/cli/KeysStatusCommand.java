package io.kubeoidc.service.cli;

import io.kubeoidc.keyset.KeyState;
import io.kubeoidc.keyset.ManagedKey;
import io.kubeoidc.rotation.KeyTimeline;
import io.kubeoidc.rotation.KeyTimeline.Milestone;
import io.kubeoidc.rotation.RotationPolicy;
import java.io.PrintWriter;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "status", mixinStandardHelpOptions = true,
        description = {"Where rotation stands: when each key was and will be published, active, retired and removed;"
                + " each key's next transition and what gates it; the rotation policy.",
                "With --output json, the document described in docs/keys.md (JSON output)."},
        exitCodeListHeading = ExitCodes.HEADING, exitCodeList = {ExitCodes.PRINTED, ExitCodes.READ_FAILED, ExitCodes.USAGE})
final class KeysStatusCommand implements Callable<Integer> {
    /** Past times in the timeline: to the minute, so four of them and the kid fit in 100 columns. */
    private static final DateTimeFormatter MINUTE = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm").withZone(ZoneOffset.UTC);
    /** Enough of a kid to tell keys apart at a glance; the lines below the table give each in full. */
    private static final int SHORT_KID = 8;

    @Mixin
    StoreOptions dir;

    @Mixin
    OutputOption output;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        var out = spec.commandLine().getOut();
        if (output.json()) {
            out.println(dir.json());
            return 0;
        }
        var set = dir.loadOrSayEmpty(out);
        RotationPolicy policy = dir.policy();
        boolean fromService = dir.store().recordedPolicy().isPresent();
        Instant now = Instant.now();
        if (set != null) {
            List<KeyTimeline> timelines = KeyTimeline.of(set, policy, now);
            Table table = new Table("KID", "STATE", "PUBLISHED", "ACTIVE", "RETIRED", "REMOVED");
            for (KeyTimeline t : timelines) {
                table.row(t.key().kid().substring(0, Math.min(SHORT_KID, t.key().kid().length())), t.key().state(),
                        cell(t.published(), now), cell(t.active(), now), cell(t.retired(), now), cell(t.removed(), now));
            }
            table.print(out, "");
            out.println("(times UTC; ~ marks an estimate, which holds if every gate opens on time)");
            out.println();
            timelines.forEach(t -> next(out, t, now));
        }
        out.println();
        out.println("policy" + (fromService ? " (as the service last ran)" : " (defaults: the service has not run here)")
                + ": period " + DurationText.format(policy.period()) + ", publish-ahead " + DurationText.format(policy.publishAhead())
                + ", retention " + DurationText.format(policy.retention()) + ",");
        out.println("  max token lifetime " + DurationText.format(policy.maxTokenLifetime()) + ", algorithm "
                + policy.keySpec().label() + ", max-keys " + policy.maxKeys());
        out.println("store revision " + (set == null ? 0 : set.revision()));
        var custody = dir.custody();
        out.println("private keys: " + custody.location());
        if (set != null && !custody.keepsPrivateKeysInStore()) {
            // Listed after the revision was read, as the service's sweep does; this command destroys nothing.
            var named = set.keys().stream().filter(ManagedKey::hasPrivateKey).map(ManagedKey::kid)
                    .collect(java.util.stream.Collectors.toSet());
            var orphans = new java.util.TreeSet<>(custody.kids());
            orphans.removeAll(named);
            out.println(orphans.isEmpty() ? "orphans: none" : "orphans (on " + custody.location() + ", named by no key set;"
                    + " the service destroys each once a later commit still does not name it): " + String.join(", ", orphans));
        }
        return 0;
    }

    /** Past: the time; ahead: how far ("~ in 3 d" when it depends on a gate); otherwise a word. */
    private static String cell(Milestone m, Instant now) {
        return switch (m.when()) {
            case DONE -> MINUTE.format(m.at());
            case NOT_RECORDED -> "not recorded";
            case NEVER -> "never";
            case WAITING -> m.gate() == KeyTimeline.Gate.OPERATOR ? "by command" : "gated";
            case SCHEDULED, ESTIMATED -> (m.when() == KeyTimeline.When.ESTIMATED ? "~ " : "")
                    + (m.at().isAfter(now) ? DurationText.relative(m.at(), now) : "due " + DurationText.relative(m.at(), now));
        };
    }

    /** The full kid, and its next transition with its time and gate. */
    private static void next(PrintWriter out, KeyTimeline t, Instant now) {
        ManagedKey k = t.key();
        out.println(k.kid() + "  " + k.key().algorithm() + "  " + k.state() + " since " + DurationText.timestamp(k.stateSince()));
        t.next().ifPresent(n -> {
            Milestone m = n.milestone();
            String at = m.at() == null ? "" : (m.when() == KeyTimeline.When.ESTIMATED ? " ~ " : " at ")
                    + DurationText.when(m.at(), now);
            out.println("  next: " + n.toName() + at + ", gate: " + m.gate().text()
                    + (m.when() == KeyTimeline.When.WAITING ? " (no time to expect)" : ""));
        });
        if (k.state() == KeyState.NEXT) {
            out.println("  confirmed by every publication target: " + (k.confirmedAt() == null ? "not yet"
                    : DurationText.when(k.confirmedAt(), now)));
        }
        if (k.state() == KeyState.ACTIVE) {
            k.signingRefusal().ifPresent(why -> out.println("  the service refuses to sign with it: " + why));
        }
    }
}
