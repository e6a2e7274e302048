package io.tedge.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OperationStateTest {
    @TempDir
    Path dir;

    @Test
    void writeReadListClear() throws Exception {
        Path states = OperationState.dir(dir);
        OperationState a = OperationState.write(states.resolve("restart-current-operation"), "abc", "Restarting",
                Instant.ofEpochSecond(100));
        OperationState.write(states.resolve("c8y_Command.123.operation"), "123", "c8y_Command", Instant.ofEpochSecond(50));
        Files.writeString(states.resolve("recent-operations"), "abc\n");
        assertThat(Files.readString(a.file())).contains("operation_id = 'abc'").contains("operation = 'Restarting'");
        assertThat(OperationState.read(a.file())).isEqualTo(a);
        // the agent's data is its user's only, whatever the umask
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(a.file()))).isEqualTo("rw-------");
        OperationLog log = new OperationLog(dir.resolve("logs"), "software-update", Instant.ofEpochSecond(100));
        log.line("stderr <<EOF");
        log.save();
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(log.file()))).isEqualTo("rw-------");
        assertThat(OperationState.list(states)).extracting(OperationState::kind).containsExactly("c8y_Command", "restart");
        a.clear();
        assertThat(OperationState.list(states)).hasSize(1);
        assertThat(OperationState.read(a.file())).isNull();
    }

    @Test
    void upstreamStateFileReads() throws Exception {
        Path f = dir.resolve("software-current-operation");
        Files.writeString(f, "operation_id = \"1234\"\noperation = \"update\"\n");
        OperationState s = OperationState.read(f);
        assertThat(s.id()).isEqualTo("1234");
        assertThat(s.what()).isEqualTo("update");
        assertThat(s.kind()).isEqualTo("software");
    }
}
