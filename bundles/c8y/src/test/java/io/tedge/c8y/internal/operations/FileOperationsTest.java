package io.tedge.c8y.internal.operations;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;


import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.tedge.api.BusMessage;

class FileOperationsTest {
    @TempDir
    Path dir;
    FileOperations files;
    final List<String> uploads = new ArrayList<>();
    final List<String> downloads = new ArrayList<>();
    byte[] served = "new content\n".getBytes(StandardCharsets.UTF_8);

    final OperationsHttp http = new OperationsHttp() {
        @Override
        public String jwt() {
            return "JWT";
        }

        @Override
        public void updateDevice(byte[] json) {
        }

        @Override
        public String uploadEventBinary(String type, String text, byte[] content) {
            uploads.add(type + "|" + text + "|" + new String(content, StandardCharsets.UTF_8));
            return "https://t1.c8y.example/event/events/" + uploads.size() + "/binaries";
        }

        @Override
        public byte[] download(String url, long maxBytes) throws IOException {
            downloads.add(url);
            if (url.contains("missing")) throw new IOException("HTTP status 404 for " + url);
            return served;
        }
    };

    @BeforeEach
    void setUp() throws Exception {
        Path plugins = Files.createDirectories(dir.resolve("c8y"));
        Files.writeString(dir.resolve("app.conf"), "old content\n");
        Files.writeString(plugins.resolve("c8y-configuration-plugin.toml"), "files = [ { path = '" + dir.resolve("app.conf")
                + "', type = 'app', user = 'nobody', group = 'nogroup', mode = 0o640 } ]\n");
        Path logs = Files.createDirectories(dir.resolve("logs"));
        Files.writeString(logs.resolve("app-1.log"), "a start\na error one\na end\n");
        Files.setLastModifiedTime(logs.resolve("app-1.log"), FileTime.from(Instant.parse("2026-11-30T10:00:00Z")));
        Files.writeString(logs.resolve("app-2.log"), "b start\nb error two\nb error three\nb end\n");
        Files.setLastModifiedTime(logs.resolve("app-2.log"), FileTime.from(Instant.parse("2026-12-01T10:00:00Z")));
        Files.writeString(logs.resolve("app-3.log"), "c error later\n");
        Files.setLastModifiedTime(logs.resolve("app-3.log"), FileTime.from(Instant.parse("2026-12-02T10:00:00Z")));
        Files.writeString(plugins.resolve("c8y-log-plugin.toml"), "files = [ { type = \"app\", path = \"" + logs + "/app-*.log\" } ]\n");
        files = new FileOperations(plugins);
    }

    private static List<String> lines(List<BusMessage> ms) {
        List<String> out = new ArrayList<>();
        for (BusMessage m : ms) out.add(m.topic() + " " + m.text());
        return out;
    }

    @Test
    void configUpload() throws Exception {
        assertThat(lines(files.handle(List.of("526", "dev1", "app"), http))).containsExactly("c8y/s/us 501,c8y_UploadConfigFile\n",
                "c8y/s/us 503,c8y_UploadConfigFile,https://t1.c8y.example/event/events/1/binaries\n");
        assertThat(uploads).containsExactly("app|app|old content\n");
        assertThat(lines(files.handle(List.of("526", "dev1", "nope"), http))).containsExactly("c8y/s/us 501,c8y_UploadConfigFile\n",
                "c8y/s/us 502,c8y_UploadConfigFile,\"The requested config_type nope is not defined in the plugin configuration file.\"\n");
    }

    @Test
    void configDownloadAppliesOwnerAndModeAndNotifies() throws Exception {
        assertThat(lines(files.handle(List.of("524", "dev1", "https://t1.c8y.example/inventory/binaries/9", "app"), http)))
                .containsExactly("c8y/s/us 501,c8y_DownloadConfigFile\n", "c8y/s/us 503,c8y_DownloadConfigFile,\n",
                        "tedge/configuration_change/app {\"path\":\"" + dir.resolve("app.conf") + "\"}");
        assertThat(dir.resolve("app.conf")).hasContent("new content");
        PosixFileAttributes a = Files.readAttributes(dir.resolve("app.conf"), PosixFileAttributes.class);
        assertThat(a.owner().getName()).isEqualTo("nobody");
        assertThat(a.group().getName()).isEqualTo("nogroup");
        assertThat(PosixFilePermissions.toString(a.permissions())).isEqualTo("rw-r-----");
    }

    @Test
    void aFailedDownloadLeavesTheFileAndSaysWhyOnce() throws Exception {
        assertThat(lines(files.handle(List.of("524", "dev1", "https://t1.c8y.example/missing", "app"), http)))
                .containsExactly("c8y/s/us 501,c8y_DownloadConfigFile\n",
                        "c8y/s/us 502,c8y_DownloadConfigFile,\"HTTP status 404 for https://t1.c8y.example/missing\"\n");
        assertThat(dir.resolve("app.conf")).hasContent("old content");
    }

    @Test
    void logRequestWithDateRangeSearchTextAndLineLimit() throws Exception {
        assertThat(lines(files.handle(List.of("522", "dev1", "app", "2026-11-30T12:00:00+0100", "2026-12-01T12:00:00+0100", "error", "10"), http)))
                .containsExactly("c8y/s/us 501,c8y_LogfileRequest\n", "c8y/s/us 503,c8y_LogfileRequest,https://t1.c8y.example/event/events/1/binaries\n");
        assertThat(uploads).containsExactly("app|app|filename: app-2.log\nb error two\nb error three\n");
        assertThat(lines(files.handle(List.of("522", "dev1", "nolog", "2026-11-30T12:00:00+0100", "2026-12-01T12:00:00+0100", "", "10"), http)))
                .last().isEqualTo("c8y/s/us 502,c8y_LogfileRequest,\"Handling of operation failed with The requested log type nolog is not defined in the plugin configuration file.\"\n");
    }

    @Test
    void cumulocityDates() throws Exception {
        assertThat(FileOperations.date("2021-01-27T13:10:24+0100")).isEqualTo(Instant.parse("2021-01-27T12:10:24Z"));
        assertThat(FileOperations.date("2021-01-27T13:10:24.123Z")).isEqualTo(Instant.parse("2021-01-27T13:10:24.123Z"));
        assertThat(FileOperations.date(" ")).isNull();
    }
}
