package io.tedge.agent;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * Runs one program, never through a shell, with a bounded time and a bounded capture of its
 * output. Every process the agent and the operation components start goes through here.
 *
 * <ul>
 * <li>The command is an argument vector: the first element is the program, the others are passed
 * as they are (no splitting, no globbing, no variable expansion), so text from a cloud operation
 * can be an argument without ever being interpreted.</li>
 * <li>After {@link Spec#timeout} the process and its descendants get SIGTERM; those still alive
 * {@link Spec#forcefulTimeout} later get SIGKILL. The result then says {@link Result#timedOut}.</li>
 * <li>Standard output and error are read concurrently; beyond {@link Spec#maxStdout} and
 * {@link Spec#maxStderr} bytes they are read and discarded (so the process never blocks on a
 * full pipe) and the result says it was truncated.</li>
 * <li>Standard input gets {@link Spec#stdin} and is then closed (empty when null).</li>
 * <li>An interrupt of the calling thread kills the process tree (SIGKILL) and is re-thrown.</li>
 * </ul>
 */
public final class BoundedProcess {

    /** How long the pipes of a finished process (held open by a leftover child) are still read. */
    private static final long DRAIN_MS = 2000;

    private BoundedProcess() {
    }

    /**
     * What to run.
     *
     * @param command         program and arguments, at least the program
     * @param cwd             working directory, or null for the current one
     * @param env             variables added to (or replacing) the agent's environment
     * @param stdin           bytes for standard input, or null for none
     * @param timeout         time until SIGTERM
     * @param forcefulTimeout time from SIGTERM to SIGKILL
     * @param maxStdout       bytes of standard output kept
     * @param maxStderr       bytes of standard error kept
     */
    public record Spec(List<String> command, Path cwd, Map<String, String> env, byte[] stdin, Duration timeout,
            Duration forcefulTimeout, int maxStdout, int maxStderr) {
        public Spec {
            command = List.copyOf(command);
            if (command.isEmpty()) throw new IllegalArgumentException("no program to run");
            env = env == null ? Map.of() : Map.copyOf(env);
            Objects.requireNonNull(timeout, "timeout");
            Objects.requireNonNull(forcefulTimeout, "forcefulTimeout");
            if (maxStdout < 0 || maxStderr < 0) throw new IllegalArgumentException("negative output limit");
        }

        /** A command with the given time limit, 10 s of grace after SIGTERM and 1 MiB / 64 KiB of output. */
        public static Spec of(List<String> command, Duration timeout) {
            return new Spec(command, null, Map.of(), null, timeout, Duration.ofSeconds(10), 1 << 20, 64 << 10);
        }

        public Spec withCwd(Path dir) {
            return new Spec(command, dir, env, stdin, timeout, forcefulTimeout, maxStdout, maxStderr);
        }

        public Spec withStdin(byte[] input) {
            return new Spec(command, cwd, env, input, timeout, forcefulTimeout, maxStdout, maxStderr);
        }

        public Spec withForcefulTimeout(Duration grace) {
            return new Spec(command, cwd, env, stdin, timeout, grace, maxStdout, maxStderr);
        }

        public Spec withLimits(int stdoutBytes, int stderrBytes) {
            return new Spec(command, cwd, env, stdin, timeout, forcefulTimeout, stdoutBytes, stderrBytes);
        }

        public Spec withEnv(Map<String, String> vars) {
            return new Spec(command, cwd, vars, stdin, timeout, forcefulTimeout, maxStdout, maxStderr);
        }
    }

    /**
     * What happened.
     *
     * @param exitCode        the exit code; 128 + signal number when a signal ended it
     * @param stdout          captured standard output (at most the limit)
     * @param stderr          captured standard error (at most the limit)
     * @param timedOut        the time limit was reached and the process was terminated
     * @param killed          it had to be killed with SIGKILL after the grace time
     * @param stdoutTruncated more standard output was produced than kept
     * @param stderrTruncated more standard error was produced than kept
     */
    public record Result(int exitCode, byte[] stdout, byte[] stderr, boolean timedOut, boolean killed,
            boolean stdoutTruncated, boolean stderrTruncated) {
        public boolean success() {
            return exitCode == 0 && !timedOut;
        }

        public String stdoutText() {
            return new String(stdout, StandardCharsets.UTF_8);
        }

        public String stderrText() {
            return new String(stderr, StandardCharsets.UTF_8);
        }
    }

    /**
     * Runs the command and waits for it within the spec's bounds.
     *
     * @throws IOException          the program could not be started (not found, not executable)
     * @throws InterruptedException the caller was interrupted; the process tree was killed
     */
    public static Result run(Spec spec) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(spec.command());
        if (spec.cwd() != null) pb.directory(spec.cwd().toFile());
        pb.environment().putAll(spec.env());
        Process p = pb.start();
        Capture out = new Capture(p.getInputStream(), spec.maxStdout(), "stdout of " + spec.command().get(0));
        Capture err = new Capture(p.getErrorStream(), spec.maxStderr(), "stderr of " + spec.command().get(0));
        boolean timedOut = false;
        boolean killed = false;
        try {
            Thread feeder = feed(p.getOutputStream(), spec.stdin());
            if (!p.waitFor(spec.timeout().toMillis(), TimeUnit.MILLISECONDS)) {
                timedOut = true;
                signalTree(p, false);
                if (!p.waitFor(spec.forcefulTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
                    killed = true;
                    signalTree(p, true);
                    p.waitFor();
                }
            }
            feeder.interrupt();
            out.join(DRAIN_MS);
            err.join(DRAIN_MS);
        } catch (InterruptedException e) {
            signalTree(p, true);
            out.closeStream();
            err.closeStream();
            throw e;
        }
        return new Result(p.exitValue(), out.bytes(), err.bytes(), timedOut, killed, out.truncated, err.truncated);
    }

    /** SIGTERM (or SIGKILL) to the process and every descendant it has now. */
    private static void signalTree(Process p, boolean force) {
        List<ProcessHandle> tree = p.descendants().toList();
        if (force) {
            p.destroyForcibly();
        } else {
            p.destroy();
        }
        for (ProcessHandle h : tree) {
            if (force) {
                h.destroyForcibly();
            } else {
                h.destroy();
            }
        }
    }

    private static Thread feed(OutputStream stdin, byte[] bytes) {
        Thread t = new Thread(() -> {
            try (OutputStream o = stdin) {
                if (bytes != null) o.write(bytes);
            } catch (IOException e) {
                // the process closed its input early: nothing else to give it
            }
        }, "process-stdin");
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** Reads a stream to its end on its own thread, keeping at most {@code limit} bytes. */
    private static final class Capture extends Thread {
        private final InputStream in;
        private final int limit;
        private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
        private volatile boolean truncated;

        Capture(InputStream in, int limit, String name) {
            super(name);
            this.in = in;
            this.limit = limit;
            setDaemon(true);
            start();
        }

        @Override
        public void run() {
            byte[] buf = new byte[8192];
            try (InputStream i = in) {
                int n;
                while ((n = i.read(buf)) >= 0) {
                    synchronized (kept) {
                        int room = limit - kept.size();
                        if (room > 0) kept.write(buf, 0, Math.min(room, n));
                        if (n > room) truncated = true;
                    }
                }
            } catch (IOException e) {
                // closed by closeStream(): what was read so far is kept
            }
        }

        void closeStream() {
            try {
                in.close();
            } catch (IOException e) {
                // already closed
            }
        }

        byte[] bytes() {
            if (isAlive()) closeStream(); // a leftover child still holds the pipe: stop reading
            synchronized (kept) {
                return kept.toByteArray();
            }
        }
    }
}
