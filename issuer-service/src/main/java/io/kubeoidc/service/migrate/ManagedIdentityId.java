package io.kubeoidc.service.migrate;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A user-assigned managed identity's Azure resource ID, in the parts {@code az identity} takes. */
record ManagedIdentityId(String subscription, String resourceGroup, String name) {
    /** ARM segment names are case-insensitive; kubectl shows whatever case the AzureIdentity was written in. */
    private static final Pattern ID = Pattern.compile("(?i)/subscriptions/([^/]+)/resourcegroups/([^/]+)/providers/"
            + "Microsoft\\.ManagedIdentity/userAssignedIdentities/([^/]+)/?");

    static ManagedIdentityId parse(String resourceId) {
        Matcher m = resourceId == null ? null : ID.matcher(resourceId.strip());
        return m != null && m.matches() ? new ManagedIdentityId(m.group(1), m.group(2), m.group(3)) : null;
    }
}
