package io.kubeoidc.service.config;

import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Storage credentials as a settings record's toString may print them: what identifies the account
 * stays (AccountName, endpoints, a SAS token's permissions and expiry), the secret parts do not.
 */
final class Redacted {
    static final String MARK = "<redacted>";

    /** Connection-string members that are secrets (Azure Storage names them case-insensitively). */
    private static final Set<String> SECRET_MEMBERS = Set.of("accountkey", "sharedaccesssignature");

    private Redacted() {}

    /** "AccountName=a;AccountKey=<redacted>;…" */
    static String connectionString(String value) {
        if (value == null) {
            return null;
        }
        return Stream.of(value.split(";", -1)).map(member -> {
            int eq = member.indexOf('=');
            String name = eq < 0 ? member : member.substring(0, eq);
            return SECRET_MEMBERS.contains(name.strip().toLowerCase(Locale.ROOT)) ? name + "=" + MARK : member;
        }).collect(Collectors.joining(";"));
    }

    /** "sv=…&se=…&sig=<redacted>": the signature is the secret; the rest says what the token allows. */
    static String sasToken(String value) {
        if (value == null) {
            return null;
        }
        boolean question = value.startsWith("?");
        String query = question ? value.substring(1) : value;
        String out = Stream.of(query.split("&", -1)).map(p -> p.toLowerCase(Locale.ROOT).startsWith("sig=")
                ? p.substring(0, 4) + MARK : p).collect(Collectors.joining("&"));
        return (question ? "?" : "") + out;
    }

    /** An endpoint URL that may carry a SAS token as its query. */
    static String url(String value) {
        int q = value == null ? -1 : value.indexOf('?');
        return q < 0 ? value : value.substring(0, q) + sasToken(value.substring(q));
    }

    /** A password: whether it is set, never what it is. */
    static String secret(String value) {
        return value == null ? null : MARK;
    }
}
