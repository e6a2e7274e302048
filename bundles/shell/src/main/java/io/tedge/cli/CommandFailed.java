package io.tedge.cli;

/** A command failed for a reason the user can act on; printed as {@code Error: <message>}, exit code 1. */
public final class CommandFailed extends Exception {
    private static final long serialVersionUID = 1L;
    final int exitCode;

    public CommandFailed(String message) {
        this(message, 1);
    }

    public CommandFailed(String message, int exitCode) {
        super(message);
        this.exitCode = exitCode;
    }
}
