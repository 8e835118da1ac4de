package io.kubeoidc.service.cli;

/** The exit-code lists of the commands' help (and docs/cli.md): one wording for what every command shares. */
final class ExitCodes {
    private ExitCodes() {}

    static final String HEADING = "%nExit codes:%n";
    static final String PRINTED = "0:Printed.";
    static final String COMMITTED = "0:Committed, or nothing to change (it says so).";
    static final String READ_FAILED = "1:Error: the store or etcd cannot be read, or the directory does not exist.";
    static final String WRITE_FAILED = "1:Error or refusal, one line saying why; nothing was changed.";
    static final String FAILED = "1:Failed; the output says why.";
    static final String USAGE = "2:Usage error: unknown command or option, missing or conflicting options, a"
            + " value of the wrong type.";
}
