package io.tedge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.tedge.agent.OperationState;

class OperationsCliTest {
    @TempDir
    Path dir;

    @Test
    void listsSupportedAndInFlightOperations() throws Exception {
        Path ops = Files.createDirectories(dir.resolve("operations/c8y"));
        Files.writeString(ops.resolve("c8y_Restart"), "");
        Files.writeString(ops.resolve("c8y_Command"), "[exec]\non_message = \"511\"\ncommand = \"/usr/bin/cmd\"\ntimeout = 10\n");
        Files.createDirectories(ops.resolve("child1"));
        Files.writeString(ops.resolve("child1/c8y_Restart"), "");
        Files.writeString(dir.resolve("tedge.toml"), "[data]\npath = \"" + dir.resolve("var") + "\"\n");
        OperationState.write(dir.resolve("var/agent/software-current-operation"), "abc", "update", Instant.parse("2026-12-01T10:00:00Z"));

        CliRunner.Result r = new CliRunner(dir).run("operations");
        assertThat(r.code()).isZero();
        assertThat(r.out()).isEqualTo("Supported operations (" + ops + "):\n"
                + "  c8y_Command  [exec] on_message=511 command=/usr/bin/cmd timeout=10s\n"
                + "  c8y_Restart\n"
                + "  child child1: c8y_Restart\n"
                + "In flight (" + dir.resolve("var/agent") + "):\n"
                + "  software  update  id=abc  since 2026-12-01T10:00:00Z\n");
    }

    @Test
    void nothingYet() {
        CliRunner.Result r = new CliRunner(dir).run("operations", "list");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("Supported operations").contains("  none\nIn flight").endsWith("  none\n");
        assertThat(new CliRunner(dir).run("operations", "frob").code()).isEqualTo(2);
    }
}
