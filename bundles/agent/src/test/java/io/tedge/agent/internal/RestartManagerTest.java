package io.tedge.agent.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.tedge.agent.OperationState;

class RestartManagerTest {
    @TempDir
    Path dir;
    Settings settings;
    final List<String> published = new CopyOnWriteArrayList<>();

    @BeforeEach
    void setUp() {
        settings = SoftwareManagerTest.settings(dir, Duration.ofSeconds(30), 1000, List.of(), null);
    }

    private void publish(String id, String status, String reason) {
        published.add(id + " " + status + (reason == null ? "" : " " + reason));
    }

    private Path rebootScript(String body) throws Exception {
        Path script = SoftwareManagerTest.write(dir.resolve("reboot.sh"), "#!/bin/sh\n" + body + "\n");
        Files.createDirectories(settings.configDir());
        Files.writeString(settings.configDir().resolve("system.toml"), "[system]\nreboot = [\"" + script + "\", \"now\"]\n");
        return script;
    }

    @Test
    void theStateIsSavedBeforeTheRebootCommandRuns() throws Exception {
        Path seen = dir.resolve("seen");
        rebootScript("cat " + settings.stateDir().resolve(RestartManager.STATE_FILE) + " > " + seen + "; echo \"$1\" >> " + seen);
        new RestartManager(settings, Clock.systemUTC()).restart("R1", this::publish, () -> Files.exists(seen));
        assertThat(published).containsExactly("R1 executing");
        assertThat(Files.readString(seen)).contains("operation_id = 'R1'", "operation = 'Restarting'").endsWith("now\n");
        assertThat(settings.tmpPath().resolve(RestartManager.MARKER)).exists();
        assertThat(OperationState.read(settings.stateDir().resolve(RestartManager.STATE_FILE)).id()).isEqualTo("R1");
    }

    @Test
    void noShutdownAfterTheRebootCommandIsAFailure() throws Exception {
        rebootScript("echo 'reboot: not permitted' >&2; exit 1");
        new RestartManager(settings, Clock.systemUTC()).restart("R2", this::publish, () -> false);
        assertThat(published).hasSize(2);
        assertThat(published.get(0)).isEqualTo("R2 executing");
        assertThat(published.get(1)).startsWith("R2 failed The reboot command [").endsWith("failed: reboot: not permitted");
        assertThat(settings.stateDir().resolve(RestartManager.STATE_FILE)).doesNotExist();
    }

    @Test
    void anInvalidRebootSettingIsAFailure() throws Exception {
        Files.createDirectories(settings.configDir());
        Files.writeString(settings.configDir().resolve("system.toml"), "[system]\nreboot = \"init 6\"\n");
        new RestartManager(settings, Clock.systemUTC()).restart("R3", this::publish, () -> false);
        assertThat(published.get(1)).contains("[system] reboot must be an array of strings");
    }

    @Test
    void afterTheRebootTheSavedStateDecides() throws Exception {
        Path state = settings.stateDir().resolve(RestartManager.STATE_FILE);
        RestartManager m = new RestartManager(settings, Clock.systemUTC());
        assertThat(m.recover(this::publish)).isNull();

        // the marker is gone, as /tmp after a reboot: successful
        OperationState.write(state, "R4", "Restarting", Instant.now());
        assertThat(m.recover(this::publish)).isEqualTo("R4");
        assertThat(state).doesNotExist();

        // the system booted before the marker was written: the device did not reboot
        OperationState.write(state, "R5", "Restarting", Instant.now());
        Files.createDirectories(settings.tmpPath());
        Files.writeString(settings.tmpPath().resolve(RestartManager.MARKER), Long.toString(Instant.now().getEpochSecond()));
        m.recover(this::publish);

        // the system booted after the marker: successful
        OperationState.write(state, "R6", "Restarting", Instant.now());
        Files.writeString(settings.tmpPath().resolve(RestartManager.MARKER), "1000");
        m.recover(this::publish);

        OperationState.write(state, "R7", "Pending", Instant.now());
        m.recover(this::publish);
        assertThat(published).containsExactly("R4 successful", "R5 failed The device was not restarted", "R6 successful",
                "R7 failed The device was not restarted");
    }

    @Test
    void defaultRebootIsInitSix() throws Exception {
        assertThat(new RestartManager(settings, Clock.systemUTC()).rebootCommand()).containsExactly("init", "6");
    }
}
