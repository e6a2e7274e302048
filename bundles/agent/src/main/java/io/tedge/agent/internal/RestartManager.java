package io.tedge.agent.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import io.tedge.agent.BoundedProcess;
import io.tedge.agent.FileOps;
import io.tedge.agent.OperationState;
import io.tedge.json.JsonNode;
import io.tedge.json.ObjectNode;

/**
 * The restart operation, as thin-edge.io 0.12's restart manager does it.
 *
 * <ol>
 * <li>The state {@code operation = "Restarting"} is saved in
 * {@code <data.path>/agent/restart-current-operation} (if that fails the status is
 * {@code failed}, and the device is restarted all the same), {@code executing} is published, and
 * the time is written to {@code <tmp.path>/tedge_agent_restart}.</li>
 * <li>{@code [sudo] sync}, then {@code [sudo] <reboot command>}: {@code [system] reboot} of
 * {@code <config dir>/system.toml}, an array of strings, default {@code ["init", "6"]}. Each runs
 * with a time limit of 60 s.</li>
 * <li>If the agent has not been stopped {@link #SHUTDOWN_WAIT} later, the restart failed: the
 * state is cleared and {@code failed} is published.</li>
 * <li>At the next start ({@link #recover}): a saved {@code Restarting} state is successful when the
 * marker file is gone (a reboot empties {@code /tmp}) or the system booted after its time (now
 * minus {@code /proc/uptime}); otherwise it failed.</li>
 * </ol>
 */
public final class RestartManager {
    public static final String STATE_FILE = "restart-current-operation";
    public static final String MARKER = "tedge_agent_restart";
    public static final Duration SHUTDOWN_WAIT = Duration.ofSeconds(5);
    static final List<String> DEFAULT_REBOOT = List.of("init", "6");

    private final Settings settings;
    private final Clock clock;

    public RestartManager(Settings settings, Clock clock) {
        this.settings = settings;
        this.clock = clock;
    }

    Path stateFile() {
        return settings.stateDir().resolve(STATE_FILE);
    }

    /** The statuses to publish for a request, through {@code publish}; returns when the reboot failed. */
    public void restart(String id, Publisher publish, java.util.function.BooleanSupplier stopping) throws InterruptedException {
        boolean saved = true;
        try {
            OperationState.write(stateFile(), id, "Restarting", clock.instant());
        } catch (IOException e) {
            saved = false;
            org.slf4j.LoggerFactory.getLogger(RestartManager.class).error("Cannot save the restart state: {}", e.getMessage());
        }
        publish.status(id, saved ? "executing" : "failed", saved ? null : "Cannot save the state of the restart in " + stateFile());
        try {
            Files.createDirectories(settings.tmpPath());
            FileOps.writeAtomically(settings.tmpPath().resolve(MARKER),
                    Long.toString(clock.instant().getEpochSecond()).getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            org.slf4j.LoggerFactory.getLogger(RestartManager.class).warn("Cannot write the restart marker: {}", e.getMessage());
        }
        String failure = null;
        try {
            List<String> reboot = rebootCommand();
            run(List.of("sync"));
            BoundedProcess.Result r = run(reboot);
            if (!r.success()) failure = "The reboot command " + reboot + " failed: " + reason(r);
        } catch (IOException e) {
            failure = e.getMessage();
        }
        long deadline = System.nanoTime() + SHUTDOWN_WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            if (stopping.getAsBoolean()) return; // going down: the next start decides
            Thread.sleep(100);
        }
        if (stopping.getAsBoolean()) return;
        clear();
        publish.status(id, "failed", failure != null ? failure
                : "The device was not restarted within " + SHUTDOWN_WAIT.toSeconds() + " s of the reboot command");
    }

    private BoundedProcess.Result run(List<String> cmd) throws IOException, InterruptedException {
        return BoundedProcess.run(BoundedProcess.Spec.of(settings.privileged(cmd), Duration.ofSeconds(60)));
    }

    private static String reason(BoundedProcess.Result r) {
        String e = r.stderrText().strip();
        return e.isEmpty() ? "exit status " + r.exitCode() : e;
    }

    /** {@code [system] reboot} of system.toml, or the default. */
    List<String> rebootCommand() throws IOException {
        Path f = settings.configDir().resolve("system.toml");
        if (!Files.exists(f)) return DEFAULT_REBOOT;
        JsonNode reboot = TomlFiles.read(f).path("system").path("reboot");
        if (reboot.isMissingNode()) return DEFAULT_REBOOT;
        List<String> cmd = new ArrayList<>();
        if (reboot.isArray()) {
            for (JsonNode n : reboot) {
                if (!n.isTextual()) break;
                cmd.add(n.asText());
            }
        }
        if (cmd.isEmpty() || cmd.size() != reboot.size()) {
            throw new IOException(f + ": [system] reboot must be an array of strings like [\"init\", \"6\"], not " + reboot);
        }
        return cmd;
    }

    private void clear() {
        try {
            Files.deleteIfExists(stateFile());
        } catch (IOException e) {
            org.slf4j.LoggerFactory.getLogger(RestartManager.class).warn("Cannot clear {}: {}", stateFile(), e.getMessage());
        }
    }

    /**
     * After a start: the final status of a restart that was in flight (published through
     * {@code publish}), then its state is cleared. Returns its id, or null when there was none.
     */
    public String recover(Publisher publish) {
        OperationState s;
        try {
            s = OperationState.read(stateFile());
        } catch (IOException e) {
            org.slf4j.LoggerFactory.getLogger(RestartManager.class).warn("Unreadable restart state, removed: {}", e.getMessage());
            clear();
            return null;
        }
        if (s == null) return null;
        boolean ok = s.what().equals("Restarting") && rebooted();
        publish.status(s.id(), ok ? "successful" : "failed", ok ? null : "The device was not restarted");
        clear();
        try {
            Files.deleteIfExists(settings.tmpPath().resolve(MARKER));
        } catch (IOException e) {
            // a stale marker only matters for the next restart, which rewrites it
        }
        return s.id();
    }

    /** Whether the system booted after the restart marker was written (or the marker is gone). */
    boolean rebooted() {
        Path marker = settings.tmpPath().resolve(MARKER);
        try {
            if (!Files.exists(marker)) return true;
            long at = Long.parseLong(Files.readString(marker).strip());
            String up = Files.readString(Path.of("/proc/uptime")).strip().split("\\s+")[0];
            long boot = clock.instant().getEpochSecond() - (long) Double.parseDouble(up);
            return boot > at;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Where statuses go. */
    public interface Publisher {
        void status(String id, String status, String reason);
    }

    static ObjectNode statusJson(String id, String status, String reason) {
        ObjectNode o = SoftwareManager.response(id, status);
        if (reason != null) o.put("reason", reason);
        return o;
    }

    static Instant now(Clock c) {
        return c.instant();
    }
}
