package io.tedge.agent;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * An operation file with an {@code [exec]} table (thin-edge.io 0.12's custom operations):
 *
 * <pre>
 * [exec]
 *   topic = "c8y/s/ds"      # the topic the operation arrives on
 *   on_message = "511"      # SmartREST template id it reacts to
 *   command = "/etc/tedge/operations/command"
 *   timeout = 10            # seconds until SIGTERM, default 3600
 *   forceful_timeout = 60   # seconds from SIGTERM to SIGKILL, default 60
 * </pre>
 *
 * The command is one program path, run directly (no shell, never split into words) with the
 * whole SmartREST line as its single argument, in {@code cwd}.
 *
 * @param name            the operation name (the file name), e.g. {@code c8y_Command}
 * @param topic           the {@code topic} key, or null
 * @param onMessage       the {@code on_message} template id, or null (then it is not a custom operation)
 * @param command         the {@code command} path, or null
 * @param timeout         graceful time limit
 * @param forcefulTimeout time from SIGTERM to SIGKILL
 */
public record CustomOperation(String name, String topic, String onMessage, String command, Duration timeout,
        Duration forcefulTimeout) {

    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(3600);
    public static final Duration DEFAULT_FORCEFUL_TIMEOUT = Duration.ofSeconds(60);
    /** Output kept from the command: Cumulocity takes 16000 bytes of it, stderr goes to the reason. */
    public static final int MAX_OUTPUT = 64 << 10;

    /** Whether this operation runs a command for a SmartREST template. */
    public boolean executable() {
        return onMessage != null && command != null;
    }

    /**
     * What a run gave.
     *
     * @param success whether the command exited with 0 in time
     * @param stdout  its standard output (bounded)
     * @param reason  for a failure: the reason, built from standard error as thin-edge.io does
     * @param log     the full record of the run (command, exit, stdout, stderr), for the operation log
     */
    public record Outcome(boolean success, String stdout, String reason, String log) {
    }

    /**
     * Runs the command with {@code smartRestLine} as its one argument, bounded by the timeouts.
     *
     * @throws InterruptedException the caller was interrupted (the process was killed)
     */
    public Outcome run(String smartRestLine, Path cwd) throws InterruptedException {
        if (!executable()) throw new IllegalStateException(name + " has no [exec] command");
        List<String> argv = List.of(command, smartRestLine);
        BoundedProcess.Result r;
        try {
            r = BoundedProcess.run(BoundedProcess.Spec.of(argv, timeout).withForcefulTimeout(forcefulTimeout)
                    .withCwd(cwd).withLimits(MAX_OUTPUT, MAX_OUTPUT));
        } catch (IOException e) {
            String reason = "Operation execution failed: " + e.getMessage() + ". Command: " + command
                    + ". Operation name: " + name;
            return new Outcome(false, "", reason, reason + "\n");
        }
        String stderr = r.stderrText();
        if (r.timedOut()) stderr = stderr + "operation failed due to timeout: duration=" + timeout.toSeconds() + "s";
        String log = "command: " + command + " " + smartRestLine + "\nexit status: " + r.exitCode()
                + (r.timedOut() ? " (timed out)" : "") + "\n\nstdout <<EOF\n" + r.stdoutText() + "EOF\n\nstderr <<EOF\n" + stderr + "EOF\n";
        if (r.success()) return new Outcome(true, r.stdoutText(), null, log);
        return new Outcome(false, r.stdoutText(), failureReason(stderr), log);
    }

    /**
     * thin-edge.io's failure reason from standard error: the one line there is, or the last line,
     * an empty line and all of it.
     */
    public static String failureReason(String stderr) {
        String s = stderr;
        List<String> lines = s.lines().toList();
        if (lines.isEmpty()) return "";
        if (lines.size() == 1) return lines.get(0);
        return lines.get(lines.size() - 1) + "\n\n" + s;
    }

    static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
