package io.tedge.log.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.event.Level;

class LogSinkTest {
    @TempDir
    Path tmp;

    @Test
    void aNewLogAndItsFolderAreForTheOwnerOnly() throws Exception {
        Path log = tmp.resolve("logs/tedge.log");
        try (OutputStream out = LogSink.open(log)) {
            out.write("x\n".getBytes(StandardCharsets.UTF_8));
        }
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(log))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(log.getParent()))).isEqualTo("rwx------");
    }

    @Test
    void anExistingLogOpenToOthersIsClosedToThemAndKept() throws Exception {
        Path log = tmp.resolve("tedge.log");
        Files.writeString(log, "old line\n");
        Files.setPosixFilePermissions(log, PosixFilePermissions.fromString("rw-r--r--"));
        try (OutputStream out = LogSink.open(log)) {
            out.write("new line\n".getBytes(StandardCharsets.UTF_8));
        }
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(log))).isEqualTo("rw-------");
        assertThat(Files.readString(log)).isEqualTo("old line\nnew line\n");
    }

    @Test
    void journalLinesCarryThePriorityAndNoTimestamp() {
        String body = LogSink.body(Level.WARN, "io.tedge.bridge.internal.Link", "c8y link down", null);
        assertThat(body).isEqualTo("WARN  Link: c8y link down\n");
        assertThat(LogSink.journalLine(Level.ERROR, "ERROR x: y\n")).isEqualTo("<3>ERROR x: y\n");
        assertThat(LogSink.journalLine(Level.WARN, body)).isEqualTo("<4>WARN  Link: c8y link down\n");
        assertThat(LogSink.journalLine(Level.INFO, "i\n")).startsWith("<6>");
        assertThat(LogSink.journalLine(Level.DEBUG, "d\n")).startsWith("<7>");
        assertThat(LogSink.journalLine(Level.TRACE, "t\n")).startsWith("<7>");
    }

    @Test
    void thePlatformLogsOneStepQuieterThanTheAgent() {
        try {
            LogSink.configure(null, Level.INFO, false);
            assertThat(LogSink.enabledForPlatform(Level.INFO)).isFalse();
            assertThat(LogSink.enabledForPlatform(Level.WARN)).isTrue();
            LogSink.configure(null, Level.DEBUG, false);
            assertThat(LogSink.enabledForPlatform(Level.INFO)).isTrue();
            assertThat(LogSink.enabledForPlatform(Level.DEBUG)).isFalse();
            LogSink.configure(null, Level.TRACE, false);
            assertThat(LogSink.enabledForPlatform(Level.DEBUG)).isTrue();
            LogSink.configure(null, Level.ERROR, false);
            assertThat(LogSink.enabledForPlatform(Level.WARN)).isFalse();
            assertThat(LogSink.enabledForPlatform(Level.ERROR)).isTrue();
        } finally {
            LogSink.configure(null, Level.INFO, false);
        }
    }

    @Test
    void aStackTraceFollowsItsMessage() {
        String body = LogSink.body(Level.ERROR, "scr", "activation failed", new IllegalStateException("boom"));
        assertThat(body).startsWith("ERROR scr: activation failed\njava.lang.IllegalStateException: boom\n");
    }
}
