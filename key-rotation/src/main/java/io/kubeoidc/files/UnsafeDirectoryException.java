package io.kubeoidc.files;

/** A directory another local user could change; the message names it, its mode and owner, and the fix. */
public class UnsafeDirectoryException extends RuntimeException {
    private final String problem;
    private final String fix;

    public UnsafeDirectoryException(String problem, String fix) {
        super(problem + "; fix: " + fix);
        this.problem = problem;
        this.fix = fix;
    }

    /** The message without the fix. */
    public String problem() {
        return problem;
    }

    /** The command or change that makes the directory safe. */
    public String fix() {
        return fix;
    }
}
