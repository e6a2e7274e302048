package io.tedge.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LogCollectorTest {
    @TempDir
    Path dir;
    LogPluginFile config;
    static final Instant T = Instant.parse("2026-11-01T12:00:00Z");

    @BeforeEach
    void files() throws Exception {
        Path logs = dir.resolve("logs");
        Files.createDirectories(logs.resolve("old"));
        write(logs.resolve("software-1.log"), "a1 install x\na2 error y\na3 install z\n", T.minusSeconds(7200));
        write(logs.resolve("software-2.log"), "b1 install x\nb2 error y\nb3 install z\nb4 error w", T.minusSeconds(3600));
        write(logs.resolve("software-3.log"), "c1 error\n", T.plusSeconds(3600));
        write(logs.resolve("other.log"), "other error\n", T.minusSeconds(3600));
        write(logs.resolve("old").resolve("software-0.log"), "nested error\n", T.minusSeconds(3600));
        Path cfg = dir.resolve(LogPluginFile.FILE_NAME);
        Files.writeString(cfg, "files = [ { type = \"software-management\", path = \"" + logs + "/software-*\" },\n"
                + "  { type = \"all\", path = \"" + logs + "/**.log\" }, { type = \"none\", path = \"" + logs + "/nothing*\" } ]\n");
        config = LogPluginFile.read(cfg);
    }

    private static void write(Path p, String s, Instant mtime) throws Exception {
        Files.writeString(p, s);
        Files.setLastModifiedTime(p, FileTime.from(mtime));
    }

    @Test
    void typesAreUniqueAndSorted() {
        assertThat(config.problem()).isNull();
        assertThat(config.types()).containsExactly("all", "none", "software-management");
    }

    @Test
    void bothEndsOfTheDateRangeAreHonoured() throws Exception {
        String text = LogCollector.collect(config, "software-management", T.minusSeconds(4000), T, null, 1000, 1 << 20);
        assertThat(text).isEqualTo("filename: software-2.log\nb1 install x\nb2 error y\nb3 install z\nb4 error w\n");
    }

    @Test
    void searchTextAndLineLimitAcrossFilesNewestFirst() throws Exception {
        String text = LogCollector.collect(config, "software-management", T.minusSeconds(10000), T, "install", 3, 1 << 20);
        assertThat(text).isEqualTo("filename: software-2.log\nb1 install x\nb3 install z\nfilename: software-1.log\na3 install z\n");
    }

    @Test
    void globWithDoubleStarReachesSubfolders() throws Exception {
        String text = LogCollector.collect(config, "all", null, null, "nested", 10, 1 << 20);
        assertThat(text).contains("filename: software-0.log\nnested error\n");
    }

    @Test
    void errorsNameTheType() {
        assertThatThrownBy(() -> LogCollector.collect(config, "none", null, null, null, 10, 1000))
                .hasMessage("No such file or directory for log type: none");
        assertThatThrownBy(() -> LogCollector.collect(config, "unknown", null, null, null, 10, 1000))
                .hasMessageContaining("unknown is not defined");
    }

    @Test
    void textIsBoundedInBytes() throws Exception {
        String text = LogCollector.collect(config, "software-management", null, null, null, 1000, 30);
        assertThat(text).hasSize(30);
    }
}
