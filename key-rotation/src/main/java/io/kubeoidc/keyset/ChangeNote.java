package io.kubeoidc.keyset;

/**
 * Who changed the key set by hand, with which command and why: recorded with the commit, so a running service
 * that picks the change up can audit what happened rather than only that someone else wrote.
 *
 * @param command what was run, e.g. "keys rotate", "keys rotate --emergency --revoke KID", "keys remove KID"
 * @param reason  the operator's --reason, or null when none was given
 * @param user    the operating-system user who ran it
 */
public record ChangeNote(String command, String reason, String user) {
    public ChangeNote {
        java.util.Objects.requireNonNull(command, "command");
    }

    /** For audit lines (inside their why="..."): {@code keys rotate run by root, reason: suspected leak}. */
    @Override
    public String toString() {
        return command + " run by " + (user == null ? "an unknown user" : user) + ", reason: "
                + (reason == null || reason.isBlank() ? "(none given)" : reason.replace('"', '\''));
    }
}
