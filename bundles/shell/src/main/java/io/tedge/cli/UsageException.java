package io.tedge.cli;

/** Bad command line: the message, then the usage text of the command, exit code 2. */
public final class UsageException extends Exception {
    private static final long serialVersionUID = 1L;
    final String usage;

    UsageException(String message, String usage) {
        super(message);
        this.usage = usage;
    }
}
