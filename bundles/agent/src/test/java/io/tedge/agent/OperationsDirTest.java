package io.tedge.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OperationsDirTest {
    @TempDir
    Path dir;

    @Test
    void operationsChildrenAndProblems() throws Exception {
        Files.writeString(dir.resolve("c8y_Restart"), "");
        Files.writeString(dir.resolve("c8y_SoftwareUpdate"), "");
        Files.writeString(dir.resolve("c8y_Command"), "[exec]\non_message = \"511\"\ncommand = \"/bin/true\"\n");
        Files.writeString(dir.resolve("bad-name"), "");
        Files.writeString(dir.resolve("c8y_Broken"), "[exec\n");
        Files.writeString(dir.resolve("c8y_BadTimeout"), "[exec]\ntimeout = \"soon\"\n");
        Files.createDirectories(dir.resolve("child1"));
        Files.writeString(dir.resolve("child1").resolve("c8y_ChildOp"), "");
        Files.createDirectories(dir.resolve("child0"));

        OperationsDir.Supported s = OperationsDir.read(dir);
        assertThat(s.operations()).containsExactly("c8y_Command", "c8y_Restart", "c8y_SoftwareUpdate");
        assertThat(s.custom()).containsOnlyKeys("c8y_Command");
        assertThat(s.children()).containsOnlyKeys("child0", "child1");
        assertThat(s.children().get("child1")).containsExactly("c8y_ChildOp");
        assertThat(s.children().get("child0")).isEmpty();
        assertThat(s.problems()).hasSize(3);
        assertThat(String.join("\n", s.problems())).contains("bad-name", "c8y_Broken", "exec.timeout must be a number of seconds");
    }

    @Test
    void missingFolderHasNoOperations() {
        assertThat(OperationsDir.read(dir.resolve("none")).operations()).isEmpty();
    }

    @Test
    void ensureCreatesAnEmptyFileOnce() throws Exception {
        Path ops = dir.resolve("operations").resolve("c8y");
        assertThat(OperationsDir.ensure(ops, "c8y_Restart")).isTrue();
        assertThat(OperationsDir.ensure(ops, "c8y_Restart")).isFalse();
        assertThat(ops.resolve("c8y_Restart")).isEmptyFile();
    }
}
