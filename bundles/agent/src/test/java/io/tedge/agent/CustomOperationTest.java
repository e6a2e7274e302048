package io.tedge.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CustomOperationTest {
    @TempDir
    Path dir;

    private Path script(String name, String body) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        return p;
    }

    private Path opFile(String name, String toml) throws Exception {
        Path ops = dir.resolve("operations");
        Files.createDirectories(ops);
        Files.writeString(ops.resolve(name), toml);
        return ops;
    }

    private CustomOperation op(String name, String command, String extra) throws Exception {
        Path ops = opFile(name, "[exec]\ntopic = \"c8y/s/ds\"\non_message = \"511\"\ncommand = \"" + command + "\"\n" + extra);
        return OperationsDir.read(ops).custom().get(name);
    }

    @Test
    void theWholeSmartRestLineIsTheOneArgument() throws Exception {
        Path cmd = script("echo-args", "echo \"$#:$1\"");
        CustomOperation o = op("c8y_Command", cmd.toString(), "");
        CustomOperation.Outcome r = o.run("511,dev,ls -l; rm -rf / $(id)", dir);
        assertThat(r.success()).isTrue();
        assertThat(r.stdout()).isEqualTo("1:511,dev,ls -l; rm -rf / $(id)\n");
    }

    @Test
    void failureReasonFromStderrAsThinEdge() throws Exception {
        CustomOperation one = op("c8y_One", script("one", "echo only line >&2; exit 1").toString(), "");
        assertThat(one.run("511,dev", dir).reason()).isEqualTo("only line");
        CustomOperation two = op("c8y_Two", script("two", "echo first >&2; echo last >&2; exit 2").toString(), "");
        CustomOperation.Outcome r = two.run("511,dev", dir);
        assertThat(r.success()).isFalse();
        assertThat(r.reason()).isEqualTo("last\n\nfirst\nlast\n");
    }

    @Test
    void timeoutTerminatesAndSaysSo() throws Exception {
        CustomOperation o = op("c8y_Slow", script("slow", "exec sleep 60").toString(), "timeout = 1\nforceful_timeout = 1\n");
        assertThat(o.timeout().toSeconds()).isEqualTo(1);
        CustomOperation.Outcome r = o.run("511,dev", dir);
        assertThat(r.success()).isFalse();
        assertThat(r.reason()).isEqualTo("operation failed due to timeout: duration=1s");
    }

    @Test
    void timeoutKillsWhatIgnoresTerm() throws Exception {
        CustomOperation o = op("c8y_Stubborn", script("stubborn", "trap '' TERM\nwhile :; do sleep 1; done").toString(),
                "timeout = 1\nforceful_timeout = 1\n");
        CustomOperation.Outcome r = o.run("511,dev", dir);
        assertThat(r.success()).isFalse();
        assertThat(r.log()).contains("exit status: 137 (timed out)");
    }

    @Test
    void aCommandThatCannotStart() throws Exception {
        CustomOperation o = op("c8y_Missing", dir.resolve("missing").toString(), "");
        CustomOperation.Outcome r = o.run("511,dev", dir);
        assertThat(r.success()).isFalse();
        assertThat(r.reason()).startsWith("Operation execution failed: ").endsWith(". Command: " + dir.resolve("missing")
                + ". Operation name: c8y_Missing");
    }

    @Test
    void defaultsOfTheExecTable() throws Exception {
        CustomOperation o = op("c8y_Defaults", "/bin/true", "");
        assertThat(o.timeout()).isEqualTo(CustomOperation.DEFAULT_TIMEOUT);
        assertThat(o.forcefulTimeout()).isEqualTo(CustomOperation.DEFAULT_FORCEFUL_TIMEOUT);
        assertThat(o.onMessage()).isEqualTo("511");
        assertThat(o.topic()).isEqualTo("c8y/s/ds");
    }
}
